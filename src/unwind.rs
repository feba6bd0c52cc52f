//! Catching panics at job boundaries and re-raising them where they belong.
//!
//! Every job catches the panics of the user code it runs; the payload travels to the caller
//! of `join`/`scope`/`install` (or to the pool's panic handler for detached work) and is
//! re-raised there with [`resume_unwind`]. Code whose unwinding would break an invariant
//! (a waiter left with a dangling job) runs under [`AbortIfPanic`].

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// Runs `func`, turning a panic into an `Err` holding its payload.
#[inline]
pub(crate) fn halt_unwinding<F, R>(func: F) -> Result<R, Box<dyn Any + Send>>
where
    F: FnOnce() -> R,
{
    // AssertUnwindSafe: the payload is re-raised at the caller, which then sees the same
    // state it would have seen had the code run on its own thread.
    panic::catch_unwind(AssertUnwindSafe(func))
}

/// Re-raises a payload caught by [`halt_unwinding`].
pub(crate) fn resume_unwinding(payload: Box<dyn Any + Send>) -> ! {
    panic::resume_unwind(payload)
}

/// Drops a panic payload that nobody will re-raise (a second panic in the same join or
/// scope). A payload whose own `Drop` panics is leaked instead of tearing the worker down.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(inner) = halt_unwinding(move || drop(payload)) {
        std::mem::forget(inner);
    }
}

/// The message of a panic payload, when it is a string.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}

/// Aborts the process if dropped while unwinding: guards code that must not unwind, because
/// a waiter would be left with a pointer to a dead stack frame. Only brigade's own
/// invariants are guarded this way; user code never runs under it uncaught.
pub(crate) struct AbortIfPanic;

impl Drop for AbortIfPanic {
    fn drop(&mut self) {
        eprintln!("brigade: an internal invariant was broken by an unexpected panic; aborting");
        std::process::abort();
    }
}

//! A panic on any rank ends the whole MPI job, with its message: never a hang.
//!
//! MPI cannot lose a rank: the others would wait for it forever in the next collective or
//! chunk request. So a panic on a rank calls `MPI_Abort`, which makes `mpirun` kill every
//! rank and exit non-zero ([`ABORT_CODE`]). Since only the main thread may call MPI
//! (funneled), a panic reaches it by one of three ways:
//!
//! - a panic on the main thread itself: the panic hook installed by `Cluster::init` prints
//!   the message (through the hook that was there before) and aborts, before unwinding
//!   starts (unwinding could block in some `Drop`);
//! - a panic in a loop body on a pool worker: brigade catches it and re-raises it on the
//!   thread that waits for the loop, which is the main thread or a chunk thread of a
//!   `Dynamic` loop; the verb catches it there ([`abort_with_panic`]) and aborts. The hook
//!   has already printed the message on the worker where it happened;
//! - a panic re-raised on the main thread outside any verb (by `cluster.pool().install`,
//!   say): unwinding drops the `Cluster`, whose `Drop` aborts instead of finalizing MPI.

use std::any::Any;
use std::panic;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, ThreadId};

use mpi::topology::{Communicator, SimpleCommunicator};
use std::sync::OnceLock;

/// The exit code `MPI_Abort` gives `mpirun`: 101, as a Rust program that panics.
pub const ABORT_CODE: i32 = 101;

/// Whether a `Cluster` is alive (MPI initialized and not finalized), so that the panic hook
/// may call `MPI_Abort`. Written only by the main thread; Release/Acquire make the hook on
/// another thread see the rank it is published with (`RANK`, `SIZE` are written before).
static LIVE: AtomicBool = AtomicBool::new(false);
static RANK: AtomicUsize = AtomicUsize::new(0);
static SIZE: AtomicUsize = AtomicUsize::new(0);
/// The thread that initialized MPI: the only one that calls it.
static MAIN: OnceLock<ThreadId> = OnceLock::new();

/// Installs the hook (once per process) and marks MPI live for `rank` of `size`.
pub(crate) fn arm(rank: usize, size: usize) {
    static HOOK: Once = Once::new();
    let _ = MAIN.set(thread::current().id());
    RANK.store(rank, Ordering::Relaxed);
    SIZE.store(size, Ordering::Relaxed);
    // Release: pairs with the Acquire load in the hook, which then sees RANK and SIZE.
    LIVE.store(true, Ordering::Release);
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            previous(info);
            // Acquire: pairs with the Release store above.
            let live = LIVE.load(Ordering::Acquire);
            if live && MAIN.get() == Some(&thread::current().id()) {
                let (rank, size) = (RANK.load(Ordering::Relaxed), SIZE.load(Ordering::Relaxed));
                abort(&format!(
                    "rank {rank} of {size} panicked on its main thread (message above)"
                ));
            }
        }));
    });
}

/// Marks MPI finalized: the hook no longer aborts.
pub(crate) fn disarm() {
    LIVE.store(false, Ordering::Release);
}

/// Prints why, then ends the job with `MPI_Abort`. Main thread only.
pub(crate) fn abort(why: &str) -> ! {
    eprintln!("brigade-mpi: {why}; calling MPI_Abort to end the whole job");
    SimpleCommunicator::world().abort(ABORT_CODE)
}

/// Ends the job for a panic caught on the main thread in `what`.
pub(crate) fn abort_with_panic(what: &str, payload: Box<dyn Any + Send>) -> ! {
    let (rank, size) = (RANK.load(Ordering::Relaxed), SIZE.load(Ordering::Relaxed));
    abort(&format!(
        "rank {rank} of {size}: {what} panicked: {}",
        message(payload.as_ref())
    ))
}

/// A panic payload's message, when it is a string.
pub(crate) fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a panic whose payload is not a string"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let p: Box<dyn Any + Send> = Box::new("static");
        assert_eq!(message(p.as_ref()), "static");
        let p: Box<dyn Any + Send> = Box::new(String::from("owned"));
        assert_eq!(message(p.as_ref()), "owned");
        let p: Box<dyn Any + Send> = Box::new(7);
        assert!(message(p.as_ref()).contains("not a string"));
    }
}

//! Helpers shared by the integration tests: small pools, pools for property-test cases,
//! quiet expected panics, and a deadlock guard.

#![allow(dead_code)] // each test file uses a subset

use std::any::Any;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Once, OnceLock};
use std::thread;
use std::time::Duration;

use brigade::ThreadPool;

/// How long a test run under [`within`] may take before it counts as a deadlock. The tests
/// take well under a second natively. Under miri they take up to a minute or so, and miri's
/// clock (virtual under isolation) runs about as fast as the wall clock, so it gets ten.
pub(crate) const DEADLOCK: Duration = if cfg!(miri) {
    Duration::from_secs(600)
} else {
    Duration::from_secs(60)
};

/// Panic messages of panics the tests cause on purpose start with this; the panic hook
/// installed by [`quiet_expected_panics`] does not print them.
pub(crate) const EXPECTED: &str = "expected panic";

/// A pool of `n` threads; every test sets `num_threads` so none reads `BRIGADE_NUM_THREADS`.
pub(crate) fn pool_of(n: usize) -> ThreadPool {
    ThreadPool::builder()
        .num_threads(n)
        .build()
        .expect("a small pool builds")
}

/// The pool a property-test case runs on: see [`case_pool`].
pub(crate) enum CasePool {
    /// Built once per thread count and kept for the whole run.
    Cached(&'static ThreadPool),
    /// Built for this case, and shut down when the case drops it.
    Own(ThreadPool),
}

impl Deref for CasePool {
    type Target = ThreadPool;

    fn deref(&self) -> &ThreadPool {
        match self {
            CasePool::Cached(pool) => pool,
            CasePool::Own(pool) => pool,
        }
    }
}

/// A pool of `n` threads (`1..=cache.len()`) for one property-test case. Natively it is
/// built once per thread count, in `cache`, and shared by all cases: building pools would
/// dominate the run. Under miri every case builds its own and drops it, because a cached
/// pool's threads outlive `main`, which miri reports as an error (and its leak check needs
/// every thread finished).
pub(crate) fn case_pool(
    cache: &'static [OnceLock<ThreadPool>],
    n: usize,
    build: impl FnOnce() -> ThreadPool,
) -> CasePool {
    if cfg!(miri) {
        CasePool::Own(build())
    } else {
        CasePool::Cached(cache[n - 1].get_or_init(build))
    }
}

/// Keeps the test output readable: panics the tests raise on purpose are not printed.
pub(crate) fn quiet_expected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !payload_str(info.payload()).starts_with(EXPECTED) {
                default(info);
            }
        }));
    });
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn payload_str(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string payload>".to_owned()
    }
}

/// Runs `f` on a fresh thread and returns its result, re-raising its panic; fails the test
/// if it takes longer than [`DEADLOCK`], instead of hanging the test run.
pub(crate) fn within<T, F>(what: &str, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name(format!("within: {what}"))
        .spawn(move || {
            let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn a test thread");
    match rx.recv_timeout(DEADLOCK) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(RecvTimeoutError::Timeout) => panic!("{what}: not done after {DEADLOCK:?}; deadlock?"),
        Err(RecvTimeoutError::Disconnected) => panic!("{what}: the test thread vanished"),
    }
}

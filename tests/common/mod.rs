//! Helpers shared by the integration tests: small pools, pools for property-test cases,
//! quiet expected panics, and a deadlock guard.

#![allow(dead_code, unused_macros)] // each test file uses a subset

use std::any::Any;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Once, OnceLock};
use std::thread;
use std::time::Duration;

use brigade::ThreadPool;

pub(crate) mod iter_cases;

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
            // Tests raise non-string payloads (`panic_any`) only on purpose: printing their
            // backtrace can take seconds under a sanitizer, longer than a test waits.
            let payload = info.payload();
            let is_str = payload.is::<&str>() || payload.is::<String>();
            if !is_str {
                let at = info.location().map(|l| l.to_string()).unwrap_or_default();
                eprintln!("panic with a non-string payload at {at}");
            } else if !payload_str(payload).starts_with(EXPECTED) {
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

/// xorshift64*: a small deterministic generator, so that a randomized test follows from
/// one seed and a failure can be replayed.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator whose sequence follows from `seed` alone (any value, zero included).
    pub(crate) fn new(seed: u64) -> Rng {
        // xorshift has a fixed point at zero: mix the seed first (splitmix64's finalizer).
        Rng(mix64(seed) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..n` (`0` if `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A `usize` in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo + 1) as u64) as usize
    }

    /// True with probability `1 / n`.
    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// splitmix64's finalizer: a bijective mix of 64 bits, for seeds and check values.
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// State shared between a [`Watchdog`] and its thread.
struct WatchdogShared {
    /// Bumped by [`Watchdog::progress`].
    progress: std::sync::atomic::AtomicU64,
    stop: std::sync::atomic::AtomicBool,
}

/// Aborts the process, after printing `report()`, if [`progress`](Watchdog::progress) is not
/// called for `hang`: a randomized run that deadlocks then fails loudly, with what it was
/// doing, instead of hanging CI. Aborting (not panicking) because a hung test thread cannot
/// be unwound, and the test harness would wait for it forever. Stops when dropped.
pub(crate) struct Watchdog {
    shared: std::sync::Arc<WatchdogShared>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Watchdog {
    pub(crate) fn start<F>(name: &str, hang: Duration, report: F) -> Watchdog
    where
        F: Fn() -> String + Send + 'static,
    {
        use std::sync::atomic::Ordering::Relaxed;
        let shared = std::sync::Arc::new(WatchdogShared {
            progress: std::sync::atomic::AtomicU64::new(0),
            stop: std::sync::atomic::AtomicBool::new(false),
        });
        let thread = {
            let shared = shared.clone();
            let name = name.to_owned();
            thread::Builder::new()
                .name(format!("watchdog: {name}"))
                .spawn(move || {
                    let mut last = (0, std::time::Instant::now());
                    while !shared.stop.load(Relaxed) {
                        thread::park_timeout(Duration::from_millis(100));
                        let now = shared.progress.load(Relaxed);
                        if now != last.0 {
                            last = (now, std::time::Instant::now());
                        } else if last.1.elapsed() > hang {
                            eprintln!(
                                "{name}: HANG: no progress for {hang:?} (after {now} steps)\n{}",
                                report()
                            );
                            std::process::abort();
                        }
                    }
                })
                .expect("spawn the watchdog thread")
        };
        Watchdog {
            shared,
            thread: Some(thread),
        }
    }

    /// Something finished: the hang clock starts again.
    pub(crate) fn progress(&self) {
        self.shared
            .progress
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// Waits until `count` reaches `n`, for at most 20 s: true if it did. Sleeps between looks,
/// so a waiting task leaves the core to the others (the pools in the tests may have more
/// threads than the machine has cores).
pub(crate) fn all_started(count: &std::sync::atomic::AtomicUsize, n: usize) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while count.load(std::sync::atomic::Ordering::SeqCst) < n {
        if std::time::Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_micros(200));
    }
    true
}

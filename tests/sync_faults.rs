//! `brigade::sync` with faults and misuse: a task that panics before it releases, a barrier
//! party that never arrives, more barrier parties than workers, a task that panics inside
//! another task's wait, counts that cannot move. Each test backs a row of the bad-inputs
//! table in `docs/reliability.md`; the happy paths are in `tests/sync.rs`.
//!
//! Every test runs under [`within`], so a deadlock fails the test instead of hanging the run.

mod common;

use common::{EXPECTED, payload_str, pool_of, quiet_expected_panics, within};

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use brigade::sync::{Barrier, CountLatch, IncrementError, Latch, WaitGroup};

/// A wait that is meant to time out.
const SHORT: Duration = Duration::from_millis(20);
/// A wait that is meant to succeed (far longer than the tests take).
const LONG: Duration = Duration::from_secs(20);

#[test]
fn a_panic_before_set_makes_waiters_time_out_and_the_scope_re_raise() {
    quiet_expected_panics();
    within("panic, latch", || {
        let pool = pool_of(2);
        let latch = Latch::new();
        let timed_out = AtomicUsize::new(0);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                s.spawn(|_| {
                    panic!("{EXPECTED}: before set");
                    #[allow(unreachable_code)]
                    latch.set();
                });
                for _ in 0..3 {
                    s.spawn(|_| {
                        if !latch.wait_timeout(SHORT) {
                            timed_out.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
            })
        }));
        let payload = result.expect_err("the scope re-raises the task's panic");
        assert!(payload_str(&*payload).starts_with(EXPECTED));
        assert_eq!(timed_out.load(Ordering::Relaxed), 3);
        assert!(!latch.is_set());
        // A plain thread waiting on the latch times out as well.
        assert!(!latch.wait_timeout(SHORT));
    });
}

#[test]
fn a_panicking_spawned_task_releases_plain_thread_waiters_of_its_wait_group() {
    quiet_expected_panics();
    within("panic, wait group, plain thread", || {
        let pool = pool_of(2);
        let wg = WaitGroup::new();
        let theirs = wg.clone();
        let handle = pool.spawn_with_handle(move || {
            let _theirs = theirs;
            panic!("{EXPECTED}: holding a wait group handle");
        });
        // This thread is not a worker: it blocks until the unwinding task drops its handle.
        assert!(wg.wait_timeout(LONG), "the panicking task left the group");
        let err = handle.join().expect_err("the handle reports the panic");
        assert!(err.to_string().contains(EXPECTED), "{err}");
    });
}

#[test]
fn increment_errors_leave_the_count_unchanged() {
    let full = CountLatch::new(usize::MAX);
    assert_eq!(full.increment(), Err(IncrementError::Overflow));
    assert_eq!(full.count(), usize::MAX);

    let released = CountLatch::new(1);
    released.count_down();
    assert_eq!(released.increment(), Err(IncrementError::Released));
    assert_eq!(released.count(), 0);
    assert!(released.wait_timeout(Duration::ZERO), "still released");
    // The error says what to do instead.
    assert!(
        IncrementError::Released
            .to_string()
            .contains("new CountLatch")
    );
}

#[test]
fn releasing_twice_changes_nothing() {
    within("release twice", || {
        let pool = pool_of(2);
        let latch = Latch::new();
        let count = CountLatch::new(1);
        pool.scope(|s| {
            for _ in 0..2 {
                s.spawn(|_| {
                    latch.set();
                    count.count_down();
                });
            }
        });
        assert!(latch.is_set());
        assert_eq!(count.count(), 0);
        assert!(latch.wait_timeout(Duration::ZERO) && count.wait_timeout(Duration::ZERO));
    });
}

#[test]
fn a_barrier_party_that_panics_leaves_the_others_to_time_out() {
    quiet_expected_panics();
    within("barrier, panicking party", || {
        let pool = pool_of(3);
        let barrier = Barrier::new(3);
        let timed_out = AtomicUsize::new(0);
        let passed = AtomicUsize::new(0);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.broadcast(|ctx| {
                if ctx.index() == 0 {
                    panic!("{EXPECTED}: a party that never arrives");
                }
                match barrier.wait_timeout(SHORT) {
                    None => timed_out.fetch_add(1, Ordering::Relaxed),
                    Some(_) => passed.fetch_add(1, Ordering::Relaxed),
                };
            })
        }));
        let payload = result.expect_err("the broadcast re-raises the party's panic");
        assert!(payload_str(&*payload).starts_with(EXPECTED));
        assert_eq!(timed_out.load(Ordering::Relaxed), 2);
        assert_eq!(passed.load(Ordering::Relaxed), 0);
        // The timed-out parties took their arrivals back: phase 0 still needs all three.
        let phases = pool.broadcast(|_| barrier.wait().phase());
        assert_eq!(phases, [0, 0, 0]);
    });
}

#[test]
fn more_barrier_parties_than_workers_time_out_instead_of_meeting() {
    within("barrier, too many parties", || {
        // Three party tasks on two workers: a waiting party blocks its worker, so the third
        // starts only after one of the first two gave up. With `wait` this deadlocks, as
        // documented on `Barrier`; with `wait_timeout` every party times out.
        let pool = pool_of(2);
        let barrier = Barrier::new(3);
        let outcomes = Mutex::new(Vec::new());
        pool.scope(|s| {
            for _ in 0..3 {
                s.spawn(|_| {
                    let met = barrier.wait_timeout(SHORT).is_some();
                    outcomes.lock().unwrap().push(met);
                });
            }
        });
        assert_eq!(outcomes.into_inner().unwrap(), [false, false, false]);
    });
}

#[test]
fn a_task_run_inside_a_wait_panics_into_its_own_scope() {
    quiet_expected_panics();
    within("panic inside a wait", || {
        // One worker: the scope's tasks run newest first, so the waiter starts first, and its
        // wait runs the panicking task, then the setter, on its own stack.
        let pool = pool_of(1);
        let latch = Latch::new();
        let waiting = AtomicBool::new(false);
        let panicked_inside_the_wait = AtomicBool::new(false);
        let waited = AtomicBool::new(false);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                s.spawn(|_| latch.set());
                s.spawn(|_| {
                    panicked_inside_the_wait
                        .store(waiting.load(Ordering::SeqCst), Ordering::SeqCst);
                    panic!("{EXPECTED}: inside another task's wait");
                });
                s.spawn(|_| {
                    waiting.store(true, Ordering::SeqCst);
                    assert!(latch.wait_timeout(LONG), "the setter ran after the panic");
                    waiting.store(false, Ordering::SeqCst);
                    waited.store(true, Ordering::SeqCst);
                });
            })
        }));
        let payload = result.expect_err("the scope re-raises the panic");
        assert!(payload_str(&*payload).starts_with(EXPECTED));
        assert!(panicked_inside_the_wait.load(Ordering::SeqCst));
        assert!(waited.load(Ordering::SeqCst), "the waiting task went on");
        // The pool is fine afterwards.
        assert_eq!(pool.install(|| 6 * 7), 42);
    });
}

/// A task that waits by working may pick up code that joins the task's own handle, which
/// then waits for a frame below it on the same stack: it can never end. A user-side test
/// hung this way about once in 500 runs (handles joined inside `install`, tasks using
/// `join`); here a pool of one thread makes it certain. The join must panic, with a message
/// that says what to do, instead of hanging, and the pool must stay usable.
#[test]
fn joining_a_handle_of_a_task_below_on_the_same_stack_panics() {
    within("handle joined above its own task", || {
        let pool = std::sync::Arc::new(pool_of(1));
        let release = std::sync::Arc::new(Latch::new());
        let started = std::sync::Arc::new(AtomicBool::new(false));
        let handle = {
            let (release, started) = (release.clone(), started.clone());
            pool.spawn_with_handle(move || {
                started.store(true, Ordering::SeqCst);
                // Waits by working: the only worker picks up the `install` below.
                release.wait();
                7
            })
        };
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let joined = panic::catch_unwind(AssertUnwindSafe(|| pool.install(|| handle.join())));
        let payload = joined.expect_err("the join panics instead of waiting forever");
        let message = payload_str(&*payload);
        assert!(message.contains("outside the pool"), "{message}");
        release.set();
        assert_eq!(pool.install(|| 1 + 1), 2, "the pool is still usable");
    });
}

//! `brigade::sync::OnceCell`: one initializer, one value, an initializer that uses the pool
//! while other tasks want the value (the `OnceLock` re-entrancy case), panics, and
//! re-entry from inside the initializer.

mod common;

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use brigade::Schedule;
use brigade::sync::OnceCell;
use common::{EXPECTED, payload_str, pool_of, quiet_expected_panics, within};

const TASKS: usize = if cfg!(miri) { 8 } else { 64 };
const ITEMS: u64 = if cfg!(miri) { 16 } else { 2000 };

/// The `OnceLock` hazard: the initializer runs a parallel loop, and every task of an outer
/// loop wants the value. A worker waiting inside the initializer could start an outer task,
/// whose `get_or_init` would wait on the initializer below it on the same stack. With
/// `OnceCell` the initializer is isolated and the others wait for it: one initializer run,
/// every task gets the value, on 1 to 8 workers.
#[test]
fn initializer_that_uses_the_pool_while_tasks_wait() {
    within("OnceCell with a parallel initializer", || {
        for threads in [1, 2, 3, 8] {
            let pool = pool_of(threads);
            let runs = AtomicUsize::new(0);
            let cell = OnceCell::new();
            let seen = pool.map_reduce(
                0..TASKS,
                Schedule::Dynamic { chunk: 1 },
                || 0,
                |_| {
                    *cell.get_or_init(|| {
                        runs.fetch_add(1, Ordering::SeqCst);
                        brigade::map_reduce(
                            0..ITEMS,
                            Schedule::Dynamic { chunk: 1 },
                            || 0,
                            |i| {
                                if !cfg!(miri) && i % 64 == 0 {
                                    thread::sleep(Duration::from_micros(50));
                                }
                                i
                            },
                            |a, b| a + b,
                        )
                    })
                },
                |a, b| a + b,
            );
            assert_eq!(runs.into_inner(), 1, "{threads} threads");
            assert_eq!(
                seen,
                TASKS as u64 * (ITEMS * (ITEMS - 1) / 2),
                "{threads} threads"
            );
        }
    });
}

/// A panicking initializer leaves the cell empty and its caller gets the panic; the tasks
/// that waited for it try again, and one of them initializes the cell.
#[test]
fn a_panicking_initializer_leaves_the_cell_empty_for_the_next() {
    quiet_expected_panics();
    within("OnceCell initializer panics", || {
        let pool = pool_of(4);
        let cell = OnceCell::new();
        let attempts = AtomicUsize::new(0);
        let panics = AtomicUsize::new(0);
        pool.for_each(0..TASKS, Schedule::Dynamic { chunk: 1 }, |_| {
            let got = panic::catch_unwind(AssertUnwindSafe(|| {
                *cell.get_or_init(|| {
                    // The first two attempts fail, after a while, so that others wait.
                    let n = attempts.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(2));
                    if n < 2 {
                        panic!("{EXPECTED}: initializer {n}");
                    }
                    n
                })
            }));
            match got {
                Ok(value) => assert_eq!(value, 2),
                Err(payload) => {
                    assert!(payload_str(&*payload).contains("initializer"));
                    panics.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        assert_eq!(attempts.into_inner(), 3);
        assert_eq!(panics.into_inner(), 2);
        assert_eq!(cell.get(), Some(&2));
    });
}

/// `get_or_init` from inside the initializer (directly, or from a task it spawned) panics
/// with a message instead of hanging; the cell stays usable.
#[test]
fn reentry_from_the_initializer_panics() {
    quiet_expected_panics();
    within("OnceCell re-entry", || {
        let pool = pool_of(2);
        let cell: OnceCell<u32> = OnceCell::new();
        for from_task in [false, true] {
            let caught = panic::catch_unwind(AssertUnwindSafe(|| {
                pool.install(|| {
                    cell.get_or_init(|| {
                        if from_task {
                            brigade::join(|| 0, || *cell.get_or_init(|| 1)).1
                        } else {
                            *cell.get_or_init(|| 1)
                        }
                    })
                });
            }));
            let payload = caught.expect_err("re-entry panics");
            assert!(
                payload_str(&*payload).contains("own initializer"),
                "{}",
                payload_str(&*payload)
            );
            assert_eq!(cell.get(), None);
        }
        assert_eq!(pool.install(|| *cell.get_or_init(|| 5)), 5);
    });
}

/// Plain threads and workers of two pools race for one cell: one initializer, one value.
#[test]
fn plain_threads_and_workers_share_one_value() {
    within("OnceCell from threads and pools", || {
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let pools = [pool_of(2), pool_of(1)];
        let init = |runs: &AtomicUsize| {
            runs.fetch_add(1, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(5));
            brigade::join(|| 40, || 2)
        };
        thread::scope(|s| {
            for _ in 0..4 {
                let (cell, runs) = (&cell, &runs);
                s.spawn(move || assert_eq!(*cell.get_or_init(|| init(runs)), (40, 2)));
            }
            for pool in &pools {
                let (cell, runs) = (&cell, &runs);
                s.spawn(move || {
                    pool.broadcast(|_| assert_eq!(*cell.get_or_init(|| init(runs)), (40, 2)));
                });
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

/// `wait` and `wait_timeout` on workers and plain threads; `set`, `take`, `into_inner` and
/// the value's drop.
#[test]
fn wait_set_take_and_drop() {
    within("OnceCell wait, set, take", || {
        let pool = pool_of(2);
        let cell = OnceCell::new();
        assert_eq!(
            pool.install(|| cell.wait_timeout(Duration::from_millis(5))),
            None
        );
        pool.scope(|s| {
            for _ in 0..TASKS {
                s.spawn(|_| assert_eq!(*cell.wait(), 9));
            }
            s.spawn(|_| assert_eq!(cell.set(9), Ok(())));
        });
        assert_eq!(cell.set(10), Err(10));

        struct Counted<'a>(&'a AtomicUsize);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let drops = AtomicUsize::new(0);
        let mut cell = OnceCell::new();
        cell.get_or_init(|| Counted(&drops));
        let taken = cell.take();
        assert!(taken.is_some() && cell.get().is_none());
        drop(taken);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert!(cell.wait_timeout(Duration::from_millis(1)).is_none());
        cell.get_or_init(|| Counted(&drops));
        drop(cell);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        let cell = OnceCell::from(Counted(&drops));
        let inner = cell.into_inner();
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        drop(inner);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    });
}

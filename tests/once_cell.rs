//! `brigade::sync::OnceCell`: one initializer, one value, an initializer that uses the pool
//! while other tasks want the value (the `OnceLock` re-entrancy case), panics, and
//! re-entry from inside the initializer.

mod common;

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
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

/// Where a re-entry case runs: on a worker of a pool of that many threads, or on the plain
/// thread of the test (outside every pool).
#[derive(Clone, Copy, Debug)]
enum Place {
    Worker(usize),
    Plain,
}

const PLACES: [Place; 3] = [Place::Worker(1), Place::Worker(2), Place::Plain];

/// Runs `case` at `place`; it must panic with the re-entry message, which is returned.
fn reentry_panic(place: Place, case: impl FnOnce() + Send) -> String {
    let caught = panic::catch_unwind(AssertUnwindSafe(|| match place {
        Place::Worker(threads) => pool_of(threads).install(case),
        Place::Plain => case(),
    }));
    let message = payload_str(&*caught.expect_err("re-entry panics"));
    assert!(message.contains("own initializer"), "{place:?}: {message}");
    message
}

/// Runs `f` inside `depth` nested `brigade::isolate` regions.
fn in_regions(depth: usize, f: &(dyn Fn() -> u32 + Sync)) -> u32 {
    if depth == 0 {
        f()
    } else {
        brigade::isolate(|| in_regions(depth - 1, f))
    }
}

/// The initializer calls `get_or_init` of its own cell from inside one or two regions it
/// opened (`brigade::isolate`): that can never finish, so it panics as direct re-entry
/// does, on a worker and on a plain thread. The cell stays usable.
#[test]
fn reentry_through_nested_regions_panics() {
    quiet_expected_panics();
    within("OnceCell re-entry through nested regions", || {
        for place in PLACES {
            for depth in [1, 2] {
                let cell: OnceCell<u32> = OnceCell::new();
                reentry_panic(place, || {
                    cell.get_or_init(|| in_regions(depth, &|| *cell.get_or_init(|| 1)));
                });
                assert_eq!(cell.get(), None, "{place:?}, depth {depth}");
                assert_eq!(*cell.get_or_init(|| 5), 5, "{place:?}, depth {depth}");
            }
        }
    });
}

/// The same through `ThreadPool::isolate`, called from a worker of that pool (which opens the
/// region right there) and from a plain thread (which sends it to a worker as a job of the
/// initializer's region).
#[test]
fn reentry_through_thread_pool_isolate_panics() {
    quiet_expected_panics();
    within("OnceCell re-entry through ThreadPool::isolate", || {
        for threads in [1, 2] {
            let pool = pool_of(threads);
            for on_worker in [true, false] {
                let cell: OnceCell<u32> = OnceCell::new();
                let case = || {
                    cell.get_or_init(|| pool.isolate(|| *cell.get_or_init(|| 1)));
                };
                let caught = panic::catch_unwind(AssertUnwindSafe(|| {
                    if on_worker {
                        pool.install(case)
                    } else {
                        case()
                    }
                }));
                let message = payload_str(&*caught.expect_err("re-entry panics"));
                assert!(
                    message.contains("own initializer"),
                    "{threads} threads, on a worker: {on_worker}: {message}"
                );
                assert_eq!(cell.get(), None);
            }
        }
    });
}

/// The value of `cells[i]` is that of the next cell (cyclically) plus one: the initializers
/// form a cycle.
fn around(cells: &[OnceCell<u32>], i: usize) -> u32 {
    *cells[i % cells.len()].get_or_init(|| around(cells, i + 1) + 1)
}

/// A cycle of cells, `a -> b -> a` and `a -> b -> c -> a` (each initializer asks for the
/// next cell): the innermost initializer asks for a cell whose initializer is below it on
/// the same stack, which panics instead of hanging, on a worker and on a plain thread. Every
/// cell is left empty and usable.
#[test]
fn reentry_through_a_cycle_of_cells_panics() {
    quiet_expected_panics();
    within("OnceCell re-entry through a cycle of cells", || {
        for place in PLACES {
            for len in [2, 3] {
                let cells: Vec<OnceCell<u32>> = (0..len).map(|_| OnceCell::new()).collect();
                reentry_panic(place, || {
                    around(&cells, 0);
                });
                assert!(
                    cells.iter().all(|cell| cell.get().is_none()),
                    "{place:?}, {len} cells"
                );
                assert_eq!(*cells[1].get_or_init(|| 5), 5, "{place:?}, {len} cells");
            }
        }
    });
}

/// The initializer sends a job into another pool (`install`), and that job opens a region
/// and asks for the cell: the worker that runs the job entered the initializer's region by
/// running it, below the region it opened. The initializer waits for that job, so this is
/// re-entry too, and panics, whether the initializer runs on a worker or a plain thread.
#[test]
fn reentry_through_a_job_of_the_initializer_panics() {
    quiet_expected_panics();
    within("OnceCell re-entry through a job", || {
        for place in PLACES {
            for threads in [1, 2] {
                let other = pool_of(threads);
                let cell: OnceCell<u32> = OnceCell::new();
                reentry_panic(place, || {
                    cell.get_or_init(|| {
                        other.install(|| brigade::isolate(|| *cell.get_or_init(|| 1)))
                    });
                });
                assert_eq!(cell.get(), None, "{place:?}, {threads} threads");
            }
        }
    });
}

/// Not re-entry: a job of some region, run by a worker (which puts that worker in the
/// region), asks for a cell whose initializer runs on another thread. It waits for that
/// initializer and gets its value, whether the region is unrelated to the initializer (a
/// plain thread's `isolate`) or was opened by it (a detached task spawned inside the
/// initializer's `isolate`, which the initializer does not wait for).
#[test]
fn a_job_of_another_region_waits_for_an_initializer_on_another_thread() {
    within("OnceCell wait from a job of another region", || {
        // Blocks its thread (no pool-aware wait) until `asked`, then a little longer, so that
        // the asking job finds the initializer running.
        fn slow_init(asked: &AtomicBool) -> u32 {
            while !asked.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
            thread::sleep(Duration::from_millis(20));
            7
        }

        // An unrelated region: the initializer runs on a plain thread.
        for threads in [1, 2] {
            let pool = pool_of(threads);
            let cell = OnceCell::new();
            let (started, asked) = (AtomicBool::new(false), AtomicBool::new(false));
            thread::scope(|s| {
                let init = s.spawn(|| {
                    *cell.get_or_init(|| {
                        started.store(true, Ordering::SeqCst);
                        slow_init(&asked)
                    })
                });
                while !started.load(Ordering::SeqCst) {
                    thread::yield_now();
                }
                let got = brigade::isolate(|| {
                    pool.install(|| {
                        asked.store(true, Ordering::SeqCst);
                        *cell.get_or_init(|| 0)
                    })
                });
                assert_eq!(got, 7, "{threads} threads");
                assert_eq!(init.join().unwrap(), 7, "{threads} threads");
            });
        }

        // A region the initializer opened: its task runs on the other worker.
        let pool = pool_of(2);
        let cell = Arc::new(OnceCell::new());
        let asked = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let value = pool.install(|| {
            *cell.get_or_init(|| {
                let (task_cell, task_asked) = (Arc::clone(&cell), Arc::clone(&asked));
                brigade::isolate(move || {
                    brigade::spawn(move || {
                        task_asked.store(true, Ordering::SeqCst);
                        tx.send(*task_cell.get_or_init(|| 0)).unwrap();
                    });
                });
                slow_init(&asked)
            })
        });
        assert_eq!(value, 7);
        assert_eq!(rx.recv().unwrap(), 7);
    });
}

/// Re-entry from under more nested waits than one stack holds (64): the waits past the bound
/// carry on as the same worker on a fresh thread, which must still know the regions the
/// blocked thread is in, or the re-entry waits for itself instead of panicking.
#[test]
fn reentry_from_under_waits_past_the_stack_bound_panics() {
    use brigade::sync::WaitGroup;
    quiet_expected_panics();
    /// A chain of tasks, each waiting (by running the next) for the next to leave its group.
    fn chain(depth: usize, at_bottom: &(dyn Fn() + Sync)) {
        if depth == 0 {
            return at_bottom();
        }
        let wg = WaitGroup::new();
        brigade::scope(|s| {
            let handle = wg.clone();
            s.spawn(move |_| {
                let _handle = handle; // dropped when this task ends, panicking or not
                chain(depth - 1, at_bottom);
            });
            wg.wait();
        });
    }
    within("OnceCell re-entry past the stack bound", || {
        for depth in [10, 70] {
            let cell: OnceCell<u32> = OnceCell::new();
            reentry_panic(Place::Worker(1), || {
                cell.get_or_init(|| {
                    brigade::isolate(|| {
                        chain(depth, &|| {
                            cell.get_or_init(|| 1);
                        })
                    });
                    0
                });
            });
            assert_eq!(cell.get(), None, "depth {depth}");
        }
    });
}

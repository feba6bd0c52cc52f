//! A text snapshot of a pool's workers, for a watchdog that finds the pool stuck
//! (`brigade::internals::pool_state`).
//!
//! Every value is read while the workers run on (relaxed loads, `try_lock`), so the report is
//! approximate and its lines may come from slightly different moments. It never waits for a
//! lock: a worker stuck while holding one cannot stop the report, which shows `?` instead.

use std::fmt::Write;

use crate::isolate::Region;
use crate::pool::Registry;

/// `yes`, `no`, or `?` for a value that could not be read without waiting.
fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

impl Registry {
    /// One line for the pool (live count, injector, sleep counts, heartbeat thread), then one
    /// line per worker (`worker N`): its deque and inbox lengths, whether it is on the sleep
    /// list (`asleep`), whether a waker has unparked it since it last went to sleep
    /// (`notified`: with `asleep no`, it was woken and is awake or about to run), its
    /// heartbeat flag and its terminate latch.
    pub(crate) fn state(&self) -> String {
        let (searching, sleeping) = self.sleep.counts();
        let names = self.thread_names();
        let mut out = String::new();
        // `write!` to a `String` cannot fail.
        // One worker has no heartbeat thread.
        let parked = if self.num_threads() > 1 {
            yes_no(Some(self.heartbeat.is_parked()))
        } else {
            "(no heartbeat thread)"
        };
        let _ = writeln!(
            out,
            "pool: workers {}, live count {} (handles and unfinished spawns), injector {}, \
             searching {searching}, sleeping {sleeping}, heartbeat thread parked {parked}",
            self.num_threads(),
            self.live(),
            self.injector.len(),
        );
        if let Some(regions) = self.injector.regions().filter(|r| !r.is_empty()) {
            let regions: Vec<String> = regions.iter().map(|r| r.describe()).collect();
            let _ = writeln!(out, "  injector regions: {}", regions.join(", "));
        }
        for (index, info) in self.thread_infos.iter().enumerate() {
            let name = names
                .as_ref()
                .and_then(|names| names.get(index).cloned().flatten())
                .unwrap_or_else(|| "?".to_owned());
            let _ = writeln!(
                out,
                "  worker {index} ({name}): deque ~{}, recorded joins ~{}, inbox {}, asleep {}, \
                 notified {}, heartbeat flag {}, terminate {}, oldest job's region {}",
                info.stealer.len(),
                info.pending.len(),
                info.inbox.len(),
                yes_no(self.sleep.is_asleep(index)),
                yes_no(self.sleep.is_notified(index)),
                yes_no(Some(info.heartbeat.load(crate::loom::Ordering::Relaxed))),
                yes_no(Some(info.terminate.probe())),
                info.stealer
                    .oldest_tag()
                    .map_or_else(|| "-".to_owned(), |tag| Region::from_tag(tag).describe()),
            );
        }
        out
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::ThreadPool;
    use crate::internals::pool_state;

    /// The report has a line for every worker, and sees the jobs a busy worker holds.
    #[test]
    fn names_every_worker_and_counts_queued_jobs() {
        let pool = ThreadPool::builder().num_threads(3).build().unwrap();
        let text = pool_state(&pool);
        assert!(text.starts_with("pool: workers 3,"), "{text}");
        for index in 0..3 {
            assert!(
                text.contains(&format!(
                    "  worker {index} (brigade-worker-{index}): deque ~"
                )),
                "worker {index} missing from:\n{text}"
            );
        }
        assert_eq!(text.lines().count(), 4, "{text}");

        // One worker: tasks spawned in a scope wait in its deque until the body ends.
        let one = ThreadPool::builder().num_threads(1).build().unwrap();
        let during = one.scope(|s| {
            for _ in 0..5 {
                s.spawn(|_| {});
            }
            pool_state(&one)
        });
        assert!(
            during.contains("worker 0 (brigade-worker-0): deque ~5,"),
            "{during}"
        );
        assert!(pool_state(&one).contains("deque ~0,"));
    }

    /// A thread that built its pool (`use_current_thread`) and is outside it counts as
    /// asleep: the heartbeat thread parks, and the thread's next join wakes it.
    #[test]
    fn the_heartbeat_parks_while_the_building_thread_is_outside_the_pool() {
        std::thread::spawn(|| {
            let pool = ThreadPool::builder()
                .num_threads(2)
                .use_current_thread()
                .build()
                .unwrap();
            let parked = || pool_state(&pool).contains("heartbeat thread parked yes");
            let wait_parked = || {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while !parked() {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "{}",
                        pool_state(&pool)
                    );
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            };
            wait_parked();
            // A join on this thread wakes it: a beat then wakes worker 1 for the join's
            // second half, which waits for a thief (`a` below never joins, so only the
            // heartbeat can offer it). Waited for, not slept on: under miri, with other
            // tests' threads running, a 20 ms sleep once ended before the heartbeat thread
            // had run at all. (Seeing the thread unparked is no proof: it parks again after
            // one beat nobody answers, and a look every millisecond can miss that beat.)
            let ran_on = std::sync::atomic::AtomicUsize::new(usize::MAX);
            let stolen_by = crate::join(
                || {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                    while ran_on.load(std::sync::atomic::Ordering::Acquire) == usize::MAX
                        && std::time::Instant::now() < deadline
                    {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    ran_on.load(std::sync::atomic::Ordering::Acquire)
                },
                || {
                    let index = crate::current_thread_index().expect("on a worker");
                    ran_on.store(index, std::sync::atomic::Ordering::Release);
                },
            )
            .0;
            assert_eq!(stolen_by, 1, "{}", pool_state(&pool));
            // ...and it parks again once the thread is out.
            wait_parked();
        })
        .join()
        .unwrap();
    }

    /// A worker blocked in user code inside the pool (a program living in `install` that
    /// waits for input), with no `join` open and the other worker asleep: nothing can come
    /// of beats, so the heartbeat thread parks. It used to beat every interval for as long
    /// as the wait lasted (130 to 145 ms of CPU per second on this machine).
    #[test]
    fn the_heartbeat_parks_while_a_worker_waits_in_user_code() {
        let pool = ThreadPool::builder().num_threads(2).build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let waiter = {
            let pool = &pool;
            move || {
                pool.install(move || {
                    // One join, done: it kicked the heartbeat (worker 1 sleeps).
                    assert_eq!(crate::join(|| 1, || 2), (1, 2));
                    ready_tx.send(()).unwrap();
                    rx.recv().unwrap();
                })
            }
        };
        std::thread::scope(|s| {
            s.spawn(waiter);
            ready_rx.recv().unwrap();
            let parked = || pool_state(&pool).contains("heartbeat thread parked yes");
            // Parked for 50 looks in a row, a millisecond apart: a thread that beats every
            // 100 µs is never seen so (it can park for a moment only while worker 1 searches
            // on its way to sleep).
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut in_a_row = 0;
            while in_a_row < 50 {
                in_a_row = if parked() { in_a_row + 1 } else { 0 };
                if std::time::Instant::now() >= deadline {
                    let state = pool_state(&pool);
                    tx.send(()).unwrap();
                    panic!("the heartbeat kept beating: {state}");
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            tx.send(()).unwrap();
        });
        // And the pool still works, with the heartbeat woken by the next join.
        assert_eq!(pool.install(|| crate::join(|| 3, || 4)), (3, 4));
    }
}

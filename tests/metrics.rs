//! Pool metrics (`ThreadPool::metrics`): each counter counts what it says, snapshots only
//! grow, and an idle pool's workers are seen asleep, not busy.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use brigade::{PoolMetrics, ThreadPool};

fn pool(threads: usize) -> ThreadPool {
    ThreadPool::builder().num_threads(threads).build().unwrap()
}

fn jobs(m: &PoolMetrics) -> u64 {
    m.workers.iter().map(|w| w.jobs_run).sum()
}

/// Polls `cond` on fresh snapshots for up to 10 s.
fn eventually(pool: &ThreadPool, what: &str, cond: impl Fn(&PoolMetrics) -> bool) {
    let start = Instant::now();
    loop {
        let m = pool.metrics();
        if cond(&m) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{what}: {m:#?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn spawned_tasks_count_as_jobs_run() {
    let pool = pool(2);
    let before = pool.metrics();
    pool.scope(|s| (0..500).for_each(|_| s.spawn(|_| {})));
    let after = pool.metrics();
    // The 500 tasks, and the scope's own entry from outside the pool.
    assert!(jobs(&after) - jobs(&before) >= 501, "{after:#?}");
    assert_eq!(after.workers.len(), 2);
}

#[test]
fn calls_from_outside_are_injected_jobs() {
    let pool = pool(1);
    let before = pool.metrics();
    for _ in 0..20 {
        pool.install(|| ());
    }
    let after = pool.metrics();
    assert_eq!(after.injected_jobs - before.injected_jobs, 20);
    assert_eq!(after.injector_len, 0);
}

#[test]
fn queue_lengths_are_seen_while_jobs_wait() {
    let pool = pool(1);
    let (deque, inbox) = pool.scope(|s| {
        for _ in 0..10 {
            s.spawn(|_| {});
        }
        brigade::spawn_broadcast(|_| {});
        // One worker, and it is here: nothing has run yet.
        let m = pool.metrics();
        (m.workers[0].deque_len, m.workers[0].inbox_len)
    });
    assert_eq!((deque, inbox), (10, 1));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "waits on the wall clock for workers to steal and sleep"
)]
fn steals_are_counted_on_the_thief() {
    let pool = pool(2);
    let release = AtomicBool::new(false);
    pool.scope(|s| {
        // Worker 0 (the scope's) spawns a task, then waits for it to be taken elsewhere.
        s.spawn(|_| release.store(true, Ordering::Release));
        while !release.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
    });
    let m = pool.metrics();
    let steals: u64 = m.workers.iter().map(|w| w.steals).sum();
    assert!(steals >= 1, "{m:#?}");
    for w in &m.workers {
        assert!(w.steal_attempts >= w.steals, "{w:#?}");
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "waits on the wall clock for workers to steal and sleep"
)]
fn idle_workers_are_asleep_and_not_busy() {
    let pool = pool(2);
    pool.install(|| ());
    eventually(&pool, "both workers asleep", |m| {
        m.workers.iter().all(|w| w.parked && w.parks >= 1)
    });
    let a = pool.metrics();
    std::thread::sleep(Duration::from_millis(200));
    let b = pool.metrics();
    assert!(b.uptime > a.uptime);
    for (wa, wb) in a.workers.iter().zip(&b.workers) {
        // Asleep throughout: busy time stands still (to within a few wake-ups).
        let busy = wb.busy_time.saturating_sub(wa.busy_time);
        assert!(busy < Duration::from_millis(50), "busy {busy:?} while idle");
        assert!(wb.busy_time <= b.uptime);
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "waits on the wall clock for workers to steal and sleep"
)]
fn busy_time_grows_while_working() {
    let pool = pool(1);
    let before = pool.metrics();
    pool.install(|| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(100) {
            std::hint::spin_loop();
        }
    });
    let after = pool.metrics();
    let busy = after.workers[0].busy_time - before.workers[0].busy_time;
    assert!(busy >= Duration::from_millis(90), "busy {busy:?}");
}

#[test]
#[cfg_attr(miri, ignore = "needs the heartbeat thread to beat during real work")]
fn heartbeat_promotions_are_counted() {
    fn fib(n: u32) -> u64 {
        if n < 2 {
            return u64::from(n);
        }
        let (a, b) = brigade::join(|| fib(n - 1), || fib(n - 2));
        a + b
    }
    let pool = pool(2);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        assert_eq!(pool.install(|| fib(25)), 75_025);
        let m = pool.metrics();
        if m.workers
            .iter()
            .map(|w| w.heartbeat_promotions)
            .sum::<u64>()
            > 0
        {
            return;
        }
    }
    panic!(
        "no heartbeat promotion in 5 s of joins: {:#?}",
        pool.metrics()
    );
}

#[test]
fn snapshots_only_grow() {
    let pool = pool(2);
    let mut last = pool.metrics();
    for _ in 0..20 {
        pool.scope(|s| (0..50).for_each(|_| s.spawn(|_| {})));
        let m = pool.metrics();
        assert!(m.injected_jobs >= last.injected_jobs);
        for (w, l) in m.workers.iter().zip(&last.workers) {
            assert!(w.jobs_run >= l.jobs_run);
            assert!(w.steal_attempts >= l.steal_attempts && w.steals >= l.steals);
            assert!(w.parks >= l.parks && w.unparks >= l.unparks);
            assert!(w.unparks <= w.parks);
        }
        last = m;
    }
}

/// Found by a helper: busy time came out above uptime in every snapshot of a busy worker
/// (by 5 to 115 µs), because the uptime and each worker's clock were read apart.
#[test]
fn busy_time_never_exceeds_uptime() {
    let pool = pool(2);
    let stop = AtomicBool::new(false);
    let mut worst = None;
    pool.scope(|s| {
        for _ in 0..2 {
            s.spawn(|_| {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        for _ in 0..if cfg!(miri) { 20 } else { 5_000 } {
            let m = pool.metrics();
            for w in &m.workers {
                if w.busy_time > m.uptime {
                    worst = Some((w.busy_time, m.uptime));
                }
            }
        }
        // Asserted after the scope, so that a failure cannot leave the spinners running.
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(worst, None, "(busy time, uptime)");
}

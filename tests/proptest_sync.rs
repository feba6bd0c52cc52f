//! Random graphs of tasks that release, then wait: every task finishes exactly once, no wait
//! returns before what it waits for happened, and nothing deadlocks, on pools of 1 to 3
//! workers with up to 40 tasks (fewer than the 64 nested waits a worker runs jobs for).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use brigade::ThreadPool;
use brigade::sync::{Barrier, CountLatch, Latch, WaitGroup};
use proptest::prelude::*;

/// Long enough never to fire unless something deadlocked.
const DEADLOCK: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
struct Graph {
    threads: usize,
    /// For each task, the other tasks' latches it waits for after setting its own.
    waits: Vec<Vec<usize>>,
}

fn graph() -> impl Strategy<Value = Graph> {
    (1usize..=3, 1usize..=40).prop_flat_map(|(threads, n)| {
        proptest::collection::vec(proptest::collection::vec(0..n, 0..4), n)
            .prop_map(move |waits| Graph { threads, waits })
    })
}

fn run(g: &Graph) {
    let pool = ThreadPool::builder()
        .num_threads(g.threads)
        .build()
        .expect("a small pool builds");
    let n = g.waits.len();
    let latches: Vec<Latch> = (0..n).map(|_| Latch::new()).collect();
    let started: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
    let finished: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
    let all_started = CountLatch::new(n);
    let (latches, started, finished, all_started) = (&latches, &started, &finished, &all_started);
    pool.scope(|s| {
        let wg = WaitGroup::new();
        for (i, waits) in g.waits.iter().enumerate() {
            let wg = wg.clone();
            s.spawn(move |_| {
                started[i].fetch_add(1, Ordering::Relaxed);
                latches[i].set();
                all_started.count_down();
                for &j in waits {
                    assert!(
                        latches[j].wait_timeout(DEADLOCK),
                        "deadlock waiting for {j}"
                    );
                    assert_eq!(started[j].load(Ordering::Relaxed), 1, "released early");
                }
                finished[i].fetch_add(1, Ordering::Relaxed);
                drop(wg);
            });
        }
        assert!(
            all_started.wait_timeout(DEADLOCK),
            "deadlock: not all tasks started"
        );
        assert!(
            wg.wait_timeout(DEADLOCK),
            "deadlock: not all tasks finished"
        );
        assert!(finished.iter().all(|f| f.load(Ordering::Relaxed) == 1));
    });
}

/// 64 cases by default (a fraction of a second), 4 under miri; `PROPTEST_CASES=N` asks for more.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else if cfg!(miri) {
        4
    } else {
        64
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..default
    }
}

/// A phase program: `tasks` party tasks (at most one per worker) on a pool of `threads`, `phases` barrier phases,
/// each task doing `work[t][k]` units of busy work before arriving at phase `k`. No task may
/// pass phase `k` before every task arrived at it, each phase has one leader, and the run
/// ends.
fn run_phases(threads: usize, phases: usize, work: &[Vec<u32>]) {
    let pool = ThreadPool::builder()
        .num_threads(threads)
        .build()
        .expect("pool");
    let tasks = work.len();
    let barrier = Barrier::new(tasks);
    let arrived: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
    let leaders: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            pool.scope(|sc| {
                for w in work {
                    let (barrier, arrived, leaders) = (&barrier, &arrived, &leaders);
                    sc.spawn(move |_| {
                        for (k, &units) in w.iter().enumerate().take(phases) {
                            for i in 0..units * 50 {
                                std::hint::black_box(i);
                            }
                            arrived[k].fetch_add(1, Ordering::SeqCst);
                            let r = barrier.wait();
                            assert_eq!(
                                arrived[k].load(Ordering::SeqCst),
                                tasks,
                                "passed phase {k} early"
                            );
                            if r.is_leader() {
                                leaders[k].fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    });
                }
            });
            let _ = tx.send(());
        });
        rx.recv_timeout(DEADLOCK)
            .expect("the phase program deadlocked");
    });
    assert!(leaders.iter().all(|l| l.load(Ordering::SeqCst) == 1));
}

fn phase_program() -> impl Strategy<Value = (usize, usize, Vec<Vec<u32>>)> {
    // At most one party task per worker: a barrier party blocks its worker (see `Barrier`).
    // Under miri up to 4 threads and 4 phases: each case costs seconds there.
    let most = if cfg!(miri) { 4 } else { 8 };
    (1usize..=most, 1usize..=most).prop_flat_map(|(threads, phases)| {
        (1..=threads).prop_flat_map(move |tasks| {
            proptest::collection::vec(proptest::collection::vec(0u32..20, phases), tasks)
                .prop_map(move |work| (threads, phases, work))
        })
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn barrier_phase_programs_keep_phases_apart((threads, phases, work) in phase_program()) {
        run_phases(threads, phases, &work);
    }

    #[test]
    fn release_then_wait_graphs_complete(g in graph()) {
        run(&g);
    }
}

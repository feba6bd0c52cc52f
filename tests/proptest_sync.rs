//! Random graphs of tasks that release, then wait: every task finishes exactly once, no wait
//! returns before what it waits for happened, and nothing deadlocks, on pools of 1 to 3
//! workers with up to 40 tasks (fewer than the 64 nested waits a worker runs jobs for).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use brigade::ThreadPool;
use brigade::sync::{CountLatch, Latch, WaitGroup};
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

/// 64 cases by default (a fraction of a second); `PROPTEST_CASES=N` asks for more.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else {
        64
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..default
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn release_then_wait_graphs_complete(g in graph()) {
        run(&g);
    }
}

//! Every steal policy (victim order x amount) on pools of 1, 2 and 4 threads (2 and 4 under
//! miri) computes the right results: a recursive `join` sum, a scope of many small spawned
//! tasks (the case `StealAmount::Half` is for), and `install` nested across two pools. Tests
//! that could hang on a scheduler bug run under [`within`], which turns a deadlock into a
//! failure.

mod common;

use common::within;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use brigade::{StealAmount, StealPolicy, ThreadPool, ThreadPoolBuilder, Victims};

const VICTIMS: [Victims; 3] = [Victims::RoundRobin, Victims::Random, Victims::NearestFirst];
const AMOUNTS: [StealAmount; 2] = [StealAmount::One, StealAmount::Half];
/// Pool sizes; under miri, only those with a thief (each pool is costly to start there).
const THREADS: &[usize] = if cfg!(miri) { &[3] } else { &[1, 2, 4] };

const N: u64 = if cfg!(miri) { 4_000 } else { 1_000_000 };
const TASKS: usize = if cfg!(miri) { 100 } else { 10_000 };

fn pool(threads: usize, policy: StealPolicy) -> ThreadPool {
    ThreadPool::builder()
        .num_threads(threads)
        .steal_policy(policy)
        .build()
        .expect("pool")
}

fn policy(victims: Victims, amount: StealAmount) -> StealPolicy {
    StealPolicy::new().victims(victims).amount(amount)
}

/// The sum of `lo..hi` by recursive halving, with a small sequential base case so that
/// there are many joins to steal.
fn join_sum(lo: u64, hi: u64) -> u64 {
    if hi - lo <= 256 {
        return (lo..hi).sum();
    }
    let mid = lo + (hi - lo) / 2;
    let (a, b) = brigade::join(|| join_sum(lo, mid), || join_sum(mid, hi));
    a + b
}

fn closed_form(n: u64) -> u64 {
    n * (n - 1) / 2
}

fn check_join_sum(pool: &ThreadPool, label: &str) {
    assert_eq!(pool.install(|| join_sum(0, N)), closed_form(N), "{label}");
}

/// `TASKS` tasks spawned from one worker: a pile of small jobs on a single deque.
fn check_scope_counter(pool: &ThreadPool, label: &str) {
    let count = AtomicUsize::new(0);
    pool.scope(|s| {
        for _ in 0..TASKS {
            s.spawn(|_| {
                count.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    assert_eq!(count.load(Ordering::Relaxed), TASKS, "{label}");
}

/// Tasks that spawn tasks: jobs stolen in a batch spawn more on the thief's deque.
fn check_nested_scope(pool: &ThreadPool, label: &str) {
    let count = AtomicUsize::new(0);
    pool.scope(|s| {
        for _ in 0..TASKS / 100 {
            s.spawn(|s| {
                for _ in 0..100 {
                    s.spawn(|_| {
                        count.fetch_add(1, Ordering::Relaxed);
                    });
                }
            });
        }
    });
    assert_eq!(count.load(Ordering::Relaxed), TASKS, "{label}");
}

/// `install` into `inner` from a worker of `outer`, with work in both pools.
fn check_nested_install(outer: &ThreadPool, inner: &ThreadPool, label: &str) {
    let (from_inner, from_outer) = outer.install(|| {
        let outer_index = brigade::current_thread_index();
        let from_inner = inner.install(|| {
            // On a worker of the inner pool now.
            assert_eq!(brigade::current_num_threads(), inner.current_num_threads());
            join_sum(0, N / 10)
        });
        // Back on the same worker of the outer pool.
        assert_eq!(brigade::current_thread_index(), outer_index);
        (from_inner, join_sum(0, N / 10))
    });
    assert_eq!(from_inner, closed_form(N / 10), "{label}: inner");
    assert_eq!(from_outer, closed_form(N / 10), "{label}: outer");
}

fn check_policy(victims: Victims, amount: StealAmount) {
    within(&format!("{victims:?}/{amount:?}"), move || {
        let policy = policy(victims, amount);
        for &threads in THREADS {
            let label = format!("{victims:?}/{amount:?} on {threads} threads");
            let p = pool(threads, policy);
            check_join_sum(&p, &label);
            check_scope_counter(&p, &label);
            check_nested_scope(&p, &label);
            // The other pool has another size and the default policy, so each direction
            // mixes two policies.
            let other = pool(5 - threads, StealPolicy::new());
            check_nested_install(&p, &other, &label);
            check_nested_install(&other, &p, &label);
        }
    });
}

#[test]
fn round_robin_one() {
    check_policy(Victims::RoundRobin, StealAmount::One);
}

#[test]
fn round_robin_half() {
    check_policy(Victims::RoundRobin, StealAmount::Half);
}

#[test]
fn random_one() {
    check_policy(Victims::Random, StealAmount::One);
}

#[test]
fn random_half() {
    check_policy(Victims::Random, StealAmount::Half);
}

#[test]
fn nearest_first_one() {
    check_policy(Victims::NearestFirst, StealAmount::One);
}

#[test]
fn nearest_first_half() {
    check_policy(Victims::NearestFirst, StealAmount::Half);
}

/// Work queued on one worker reaches the other under every policy: a worker spawns tasks
/// that each wait until both workers have run one of them, so they finish only if a thief
/// took some (a pool whose thieves never got any would fail at the deadline).
#[test]
fn work_queued_on_one_worker_spreads() {
    within("spread", || {
        for victims in VICTIMS {
            for amount in AMOUNTS {
                let p = pool(2, policy(victims, amount));
                let seen = [AtomicUsize::new(0), AtomicUsize::new(0)];
                let deadline = Instant::now() + Duration::from_secs(20);
                p.scope(|s| {
                    for _ in 0..64 {
                        s.spawn(|_| {
                            let me = brigade::current_thread_index().expect("on a worker");
                            seen[me].fetch_add(1, Ordering::SeqCst);
                            while seen.iter().any(|c| c.load(Ordering::SeqCst) == 0)
                                && Instant::now() < deadline
                            {
                                std::thread::yield_now();
                            }
                        });
                    }
                });
                let seen: Vec<_> = seen.iter().map(|c| c.load(Ordering::SeqCst)).collect();
                assert_eq!(seen.iter().sum::<usize>(), 64, "{victims:?}/{amount:?}");
                assert!(
                    seen.iter().all(|&c| c > 0),
                    "{victims:?}/{amount:?}: {seen:?}"
                );
            }
        }
    });
}

/// A panic in one of many small tasks (some of them moved by batch steals) reaches the
/// scope's caller once every other task has run, and the pool stays usable.
#[test]
fn panic_among_batch_stolen_tasks_reaches_the_caller() {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"expected panic") {
                default(info);
            }
        }));
    });
    within("panic", || {
        for victims in VICTIMS {
            let p = pool(4, policy(victims, StealAmount::Half));
            let count = AtomicUsize::new(0);
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                p.scope(|s| {
                    for i in 0..TASKS {
                        let count = &count;
                        s.spawn(move |_| {
                            if i == TASKS / 2 {
                                panic!("expected panic");
                            }
                            count.fetch_add(1, Ordering::Relaxed);
                        });
                    }
                });
            }));
            let payload = result.expect_err("the task's panic reaches the scope");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"expected panic"));
            assert_eq!(count.load(Ordering::Relaxed), TASKS - 1, "{victims:?}");
            check_join_sum(&p, &format!("{victims:?} after a panic"));
        }
    });
}

#[test]
fn builder_debug_shows_the_policy() {
    let b = ThreadPoolBuilder::new().steal_policy(policy(Victims::Random, StealAmount::Half));
    let text = format!("{b:?}");
    assert!(
        text.contains("steal_policy: StealPolicy { victims: Random, amount: Half }"),
        "{text}"
    );
    let default = format!("{:?}", ThreadPoolBuilder::new());
    assert!(
        default.contains("steal_policy: StealPolicy { victims: RoundRobin, amount: One }"),
        "{default}"
    );
}

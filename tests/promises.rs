//! Regression tests for the promises brigade broke in short programs: a `join` half stranded
//! behind a first half that never joins again, a second half run from a drop guard during
//! unwinding, a countdown that underflowed, spawns that ran on the caller past the deque's
//! capacity, isolated waiters nobody woke, pools dropped on other pools' workers, spawns
//! from exit handlers, and waits beyond the stack bound. Each test hung, panicked or lost
//! work on the code before its fix.

mod common;

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{EXPECTED, pool_of, quiet_expected_panics, within};

/// How many fresh pools the timing-dependent tests try: a stranded half showed on most
/// fresh pools, not all.
const FRESH_POOLS: usize = if cfg!(miri) { 2 } else { 20 };

/// Both halves of a `join` wait at a `std` barrier: they must run at the same time, so the
/// second half must reach the idle worker although the first never joins again (rayon
/// returns at once; brigade kept the second half private and hung).
#[test]
fn join_halves_meeting_at_a_std_barrier_from_install() {
    within("join halves at a std barrier (install)", || {
        for _ in 0..FRESH_POOLS {
            let pool = pool_of(2);
            let barrier = Barrier::new(2);
            pool.install(|| brigade::join(|| barrier.wait(), || barrier.wait()));
        }
    });
}

/// The same through `ThreadPool::join` from outside the pool (the README's second example
/// has this shape).
#[test]
fn join_halves_meeting_at_a_std_barrier_from_outside() {
    within("join halves at a std barrier (pool.join)", || {
        for _ in 0..FRESH_POOLS {
            let pool = pool_of(2);
            let barrier = Barrier::new(2);
            pool.join(|| barrier.wait(), || barrier.wait());
        }
    });
}

/// Three parties on three workers: the outer and the inner second halves must both reach
/// idle workers while the innermost first half blocks.
#[test]
fn nested_join_halves_meeting_at_a_std_barrier() {
    within("nested join halves at a std barrier", || {
        for _ in 0..FRESH_POOLS {
            let pool = pool_of(3);
            let barrier = Barrier::new(3);
            pool.install(|| {
                brigade::join(
                    || brigade::join(|| barrier.wait(), || barrier.wait()),
                    || barrier.wait(),
                )
            });
        }
    });
}

/// When `a` panics, `b` runs as ordinary code, not inside a drop guard during unwinding:
/// `std::thread::panicking()` is false in it, at every depth (recorded and unrecorded joins).
#[test]
fn second_half_does_not_run_during_unwinding() {
    quiet_expected_panics();
    let pool = pool_of(2);
    for depth in [0usize, 1, 2, 5, 40, 100] {
        let unwinding_seen = AtomicBool::new(false);
        let b_runs = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| nest(depth, &unwinding_seen, &b_runs))
        }));
        let payload = result.expect_err("the first half's panic reaches the caller");
        assert_eq!(
            common::payload_str(&*payload),
            format!("{EXPECTED} in a first half")
        );
        assert_eq!(
            b_runs.load(Ordering::SeqCst),
            1,
            "depth {depth}: b ran once"
        );
        assert!(
            !unwinding_seen.load(Ordering::SeqCst),
            "depth {depth}: b ran while the thread was panicking"
        );
    }

    fn nest(depth: usize, unwinding_seen: &AtomicBool, b_runs: &AtomicUsize) {
        if depth == 0 {
            brigade::join(
                || panic!("{EXPECTED} in a first half"),
                || {
                    b_runs.fetch_add(1, Ordering::SeqCst);
                    unwinding_seen.fetch_or(std::thread::panicking(), Ordering::SeqCst);
                },
            );
        } else {
            brigade::join(|| nest(depth - 1, unwinding_seen, b_runs), || ());
        }
    }
}

#[test]
fn deep_join_past_the_pending_stack_keeps_recording() {
    // 20,000 nested joins on one worker fill the pending stack (256 entries); the countdown
    // of the join that found it full underflowed ("attempt to subtract with overflow" in a
    // debug build; in release, recording silently stopped).
    const DEPTH: usize = if cfg!(miri) { 300 } else { 20_000 };
    let pool = brigade::ThreadPool::builder()
        .num_threads(1)
        .stack_size(1 << 30)
        .build()
        .unwrap();
    fn deep(n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let (a, b) = brigade::join(|| deep(n - 1), || 1);
        a + b
    }
    assert_eq!(pool.install(|| deep(DEPTH)), DEPTH);
    // And the pool still records joins afterwards: a second run gives the same.
    assert_eq!(pool.install(|| deep(DEPTH)), DEPTH);
}

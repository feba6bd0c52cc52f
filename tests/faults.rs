//! Faults that end a process or could grow without bound: what brigade does with them.
//! (The panics a pool survives are in `tests/api.rs`.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use brigade::ThreadPool;
use brigade::prelude::*;

/// The variable that turns `overflow_child` on, in the child process only.
const CHILD: &str = "BRIGADE_OVERFLOW_CHILD";

fn recurse(depth: u64) -> u64 {
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    let pad = std::hint::black_box([depth; 64]);
    recurse(depth + 1) + pad[0]
}

/// Run only as a child of the test below: a task on a 64 KiB worker stack that recurses
/// forever.
#[test]
#[ignore = "run by stack_overflow_in_a_task_aborts_with_a_message, in a child process"]
fn overflow_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let pool = ThreadPool::builder()
        .num_threads(1)
        .stack_size(64 * 1024)
        .build()
        .expect("pool");
    pool.install(|| recurse(0));
}

/// A stack overflow in a task is not a panic: Rust's guard page turns it into an abort of
/// the whole process, with a message naming the worker thread. Nothing can catch it; the
/// remedy is a larger `stack_size` (or less recursion).
#[test]
#[cfg_attr(miri, ignore = "miri cannot spawn processes")]
fn stack_overflow_in_a_task_aborts_with_a_message() {
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "overflow_child", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .expect("the child runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the child must not survive: {stderr}"
    );
    assert!(
        stderr.contains("brigade-worker-0") && stderr.contains("overflowed its stack"),
        "the abort names the worker: {stderr}"
    );
}

/// The variable that turns `nested_loops_child` on, in the child process only.
const NESTED_CHILD: &str = "BRIGADE_NESTED_LOOPS_CHILD";

/// A recursion through parallel loops of three items whose first item recurses: each level
/// is a loop nested in an item of the one above, on the stack of the worker that runs it.
fn nested(depth: usize) -> usize {
    if depth == 0 {
        return 1;
    }
    (0..3usize)
        .into_par_iter()
        .map(|i| if i == 0 { nested(depth - 1) } else { i })
        .sum()
}

/// How deep `nested_loops_child` recurses, and on what stack: in a release build the default
/// (2 MiB), in a debug build, whose frames are several times larger, 8 MiB.
const NESTED_DEPTH: usize = 1_000;
const NESTED_STACK: usize = if cfg!(debug_assertions) {
    8 << 20
} else {
    2 << 20
};

/// Run only as a child of the test below.
#[test]
#[ignore = "run by nested_three_item_loops_recurse_deep_on_a_small_stack, in a child process"]
fn nested_loops_child() {
    if std::env::var_os(NESTED_CHILD).is_none() {
        return;
    }
    let pool = ThreadPool::builder()
        .num_threads(2)
        .stack_size(NESTED_STACK)
        .build()
        .expect("pool");
    for _ in 0..20 {
        assert_eq!(pool.install(|| nested(NESTED_DEPTH)), 1 + 3 * NESTED_DEPTH);
    }
}

/// The stack a level of nested loops takes: a loop of three items or more keeps its range
/// shared with thieves (a `Stealable`, its token, the owner's claims), and each of those
/// frames once held 128-byte-aligned padding and copies of the block sizer, about 3 KiB a
/// level in a release build: this recursion overflowed 2 MiB at about 670 levels (rayon
/// reaches about 2,800) and the debug build's 8 MiB at about 930. Now about 1.5 KiB (about
/// 1,350 levels) and 6.5 KiB (about 1,250);
/// `a_level_of_nested_loops_takes_at_most_2_kib_of_stack` checks the size itself, with a
/// tighter bound.
#[test]
#[cfg_attr(miri, ignore = "miri cannot spawn processes")]
fn nested_three_item_loops_recurse_deep_on_a_small_stack() {
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "nested_loops_child", "--nocapture"])
        .env(NESTED_CHILD, "1")
        .output()
        .expect("the child runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{NESTED_DEPTH} levels of nested loops on a {} MiB stack: {stderr}",
        NESTED_STACK >> 20
    );
}

/// The address of a local at each level of `nested_measured`, by depth.
static LEVEL_AT: [AtomicUsize; 201] = [const { AtomicUsize::new(0) }; 201];

/// `nested`, noting the address of a local at every level (at most 200).
fn nested_measured(depth: usize) -> usize {
    let marker = 0u8;
    let here = std::ptr::from_ref(std::hint::black_box(&marker)).addr();
    LEVEL_AT[depth].store(here, Ordering::Relaxed);
    if depth == 0 {
        return 1;
    }
    (0..3usize)
        .into_par_iter()
        .map(|i| {
            if i == 0 {
                nested_measured(depth - 1)
            } else {
                i
            }
        })
        .sum()
}

/// The stack a level of nested loops of three items takes, measured: at most 2 KiB in a
/// release build (1,456 bytes now; 3 KiB before 2026-12-07, see above), 9 KiB in a debug
/// build (7,472 bytes). 200 levels, well within one stack. Item 0, which recurses, is
/// the owner's first claim, so a level runs on the thread of the level above, unless a
/// thief took item 0 from a descheduled owner (a busy machine): the median of the steps
/// between levels counts, and a step to another thread's stack does not.
#[test]
#[cfg_attr(miri, ignore = "miri's frames are its own")]
fn a_level_of_nested_loops_takes_at_most_2_kib_of_stack() {
    const LEVELS: usize = 200;
    let most = if cfg!(debug_assertions) {
        9 << 10
    } else {
        2 << 10
    };
    let pool = ThreadPool::builder()
        .num_threads(2)
        .stack_size(8 << 20)
        .build()
        .expect("pool");
    assert_eq!(pool.install(|| nested_measured(LEVELS)), 1 + 3 * LEVELS);
    let at: Vec<usize> = LEVEL_AT.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    // Level `d` is called from level `d + 1`: its frames lie below.
    let mut steps: Vec<usize> = (0..LEVELS)
        .map(|d| at[d + 1].wrapping_sub(at[d]))
        .filter(|&step| step < 1 << 20)
        .collect();
    assert!(
        steps.len() > LEVELS / 2,
        "most levels ran below the one above"
    );
    steps.sort_unstable();
    let per_level = steps[steps.len() / 2];
    assert!(
        per_level <= most,
        "a level of nested loops takes {per_level} bytes of stack (at most {most})"
    );
}

/// Work that keeps spawning more work is bounded by the user's own condition, not by a
/// crash: 100,000 generations of a detached task that respawns itself run one by one, in
/// bounded memory, and dropping the pool waits for the last.
#[test]
fn a_task_that_respawns_itself_runs_until_the_user_stops_it() {
    const GENERATIONS: usize = if cfg!(miri) { 100 } else { 100_000 };
    fn generation(pool: Arc<ThreadPool>, count: Arc<AtomicUsize>) {
        if count.fetch_add(1, Ordering::Relaxed) + 1 < GENERATIONS {
            let next = Arc::clone(&pool);
            pool.spawn(move || generation(next, count));
        }
    }
    let pool = Arc::new(ThreadPool::builder().num_threads(2).build().expect("pool"));
    let count = Arc::new(AtomicUsize::new(0));
    let (p, c) = (Arc::clone(&pool), Arc::clone(&count));
    pool.spawn(move || generation(p, c));
    // The last generation drops its handle; the pool ends once every spawned task ran.
    drop(pool);
    while Arc::strong_count(&count) > 1 {
        std::thread::yield_now();
    }
    // `strong_count` is a Relaxed load. Acquire: pairs with the Release decrement with which
    // the last generation dropped its `count`, so its increment is visible here (without it,
    // miri's weak memory returned a stale count).
    fence(Ordering::Acquire);
    assert_eq!(count.load(Ordering::Relaxed), GENERATIONS);
}

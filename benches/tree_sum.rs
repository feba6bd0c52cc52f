//! `tree_sum` (chili's benchmark): a balanced binary tree of heap nodes, summed with a `join`
//! at every node, serial vs brigade vs chili vs rayon at 1, 2 and 8 threads, for a tree of
//! 1,023 nodes (where per-join overhead dominates) and one of 10,000,000 nodes at shuffled
//! addresses (see `tree`). Prints each time relative to serial from this run's medians.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};

const SIZES: [usize; 2] = [1_023, 10_000_000];
const THREADS: [usize; 3] = [1, 2, 8];

struct Node {
    value: u64,
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
}

/// A balanced tree of exactly `n` nodes, valued `first..first + n` in pre-order.
///
/// The nodes sit at shuffled addresses. A naive builder allocates each node after its
/// subtrees (post-order), which makes a right-before-left traversal a sequential memory walk
/// and a left-before-right one a jumpy walk: the benchmark would measure traversal order
/// (chili runs the second closure first when it does not record a join) instead of
/// scheduling. Shuffled placement favours no order.
fn tree(n: usize, first: u64) -> Option<Box<Node>> {
    let mut boxes: Vec<Box<Node>> = (0..n)
        .map(|_| {
            Box::new(Node {
                value: 0,
                left: None,
                right: None,
            })
        })
        .collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..boxes.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        boxes.swap(i, (x % (i as u64 + 1)) as usize);
    }
    build(n, first, &mut boxes)
}

// Each node must be its own allocation (the tree owns `Box`es), so the pool of nodes to
// shuffle is a `Vec` of boxes on purpose.
#[allow(clippy::vec_box)]
fn build(n: usize, first: u64, boxes: &mut Vec<Box<Node>>) -> Option<Box<Node>> {
    if n == 0 {
        return None;
    }
    let left = (n - 1) / 2;
    let right = n - 1 - left;
    let mut node = boxes.pop().expect("one box per node");
    node.value = first;
    node.left = build(left, first + 1, boxes);
    node.right = build(right, first + 1 + left as u64, boxes);
    Some(node)
}

fn sum_serial(node: &Node) -> u64 {
    node.value
        + node.left.as_deref().map_or(0, sum_serial)
        + node.right.as_deref().map_or(0, sum_serial)
}

fn sum_brigade(node: &Node) -> u64 {
    let (l, r) = brigade::join(
        || node.left.as_deref().map_or(0, sum_brigade),
        || node.right.as_deref().map_or(0, sum_brigade),
    );
    node.value + l + r
}

fn sum_rayon(node: &Node) -> u64 {
    let (l, r) = rayon::join(
        || node.left.as_deref().map_or(0, sum_rayon),
        || node.right.as_deref().map_or(0, sum_rayon),
    );
    node.value + l + r
}

fn sum_chili(s: &mut chili::Scope<'_>, node: &Node) -> u64 {
    let (l, r) = s.join(
        |s| node.left.as_deref().map_or(0, |n| sum_chili(s, n)),
        |s| node.right.as_deref().map_or(0, |n| sum_chili(s, n)),
    );
    node.value + l + r
}

fn group_name(size: usize) -> String {
    format!("tree_sum/{size}")
}

fn bench(c: &mut Criterion) {
    for size in SIZES {
        let root = tree(size, 1).expect("non-empty tree");
        let expected = (size as u64) * (size as u64 + 1) / 2;
        assert_eq!(sum_serial(&root), expected);
        let mut g = c.benchmark_group(group_name(size));
        let secs = if size > 100_000 { 5 } else { 2 };
        g.sample_size(if size > 100_000 { 10 } else { 50 })
            .measurement_time(Duration::from_secs(secs))
            .warm_up_time(Duration::from_secs(1));
        g.bench_function("serial", |b| b.iter(|| sum_serial(black_box(&root))));
        for t in THREADS {
            let pool = common::brigade_pool(t);
            assert_eq!(pool.install(|| sum_brigade(&root)), expected);
            g.bench_function(format!("brigade/{t}"), |b| {
                b.iter(|| pool.install(|| sum_brigade(black_box(&root))))
            });
            drop(pool);
            let pool = common::chili_pool(t);
            g.bench_function(format!("chili/{t}"), |b| {
                b.iter(|| {
                    let mut s = pool.scope();
                    sum_chili(&mut s, black_box(&root))
                })
            });
            drop(pool);
            let pool = common::rayon_pool(t);
            g.bench_function(format!("rayon/{t}"), |b| {
                b.iter(|| pool.install(|| sum_rayon(black_box(&root))))
            });
            drop(pool);
        }
        g.finish();
    }
}

fn report() {
    for size in SIZES {
        let group = group_name(size);
        let Some(serial) = common::median_ns(&group, "serial") else {
            continue;
        };
        println!(
            "\ntree_sum, {size} nodes: median time, and time relative to serial (lower is better)"
        );
        println!(
            "{:<10} {:>8} {:>14} {:>12}",
            "library", "threads", "median (ms)", "T / T_serial"
        );
        println!(
            "{:<10} {:>8} {:>14.4} {:>12.2}",
            "serial",
            1,
            serial / 1e6,
            1.0
        );
        for t in THREADS {
            for lib in ["brigade", "chili", "rayon"] {
                if let Some(ns) = common::median_ns(&group, &format!("{lib}/{t}")) {
                    println!(
                        "{:<10} {:>8} {:>14.4} {:>12.2}",
                        lib,
                        t,
                        ns / 1e6,
                        ns / serial
                    );
                }
            }
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}

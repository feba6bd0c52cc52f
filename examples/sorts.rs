//! Divide and conquer with `join`: a parallel quicksort and a parallel merge sort, each
//! checked against `std`'s sort, with serial and parallel times.
//!
//! ```text
//! cargo run --release --example sorts               # 10 million u64
//! cargo run --release --example sorts -- --quick    # 200,000, for CI
//! ```
//!
//! Both recurse with `brigade::join` down to pieces of a few thousand items, which they sort
//! with `std`. The quicksort partitions in place and sorts the two sides in parallel; the
//! merge sort sorts both halves in parallel into a scratch buffer, then merges back (the merge
//! is serial, so it scales less far: the last merge reads and writes every item once on one
//! thread). The serial versions are the same code with `join` replaced by two calls.

use std::time::{Duration, Instant};

/// Below this many items a piece is sorted with `std`.
const CUTOFF: usize = 4096;

fn join<A: FnOnce() + Send, B: FnOnce() + Send>(parallel: bool, a: A, b: B) {
    if parallel {
        brigade::join(a, b);
    } else {
        a();
        b();
    }
}

/// Quicksort: median-of-three pivot, three-way partition, sides in parallel.
fn quicksort(v: &mut [u64], parallel: bool) {
    if v.len() <= CUTOFF {
        v.sort_unstable();
        return;
    }
    let mid = v.len() / 2;
    let last = v.len() - 1;
    let mut trio = [v[0], v[mid], v[last]];
    trio.sort_unstable();
    let pivot = trio[1];
    // Three-way partition: v[..lt] < pivot, v[lt..gt] == pivot, v[gt..] > pivot (equal keys
    // never recurse, so many duplicates cannot make it quadratic).
    let (mut lt, mut i, mut gt) = (0, 0, v.len());
    while i < gt {
        if v[i] < pivot {
            v.swap(lt, i);
            lt += 1;
            i += 1;
        } else if v[i] > pivot {
            gt -= 1;
            v.swap(i, gt);
        } else {
            i += 1;
        }
    }
    let (left, rest) = v.split_at_mut(lt);
    let right = &mut rest[gt - lt..];
    join(
        parallel,
        || quicksort(left, parallel),
        || quicksort(right, parallel),
    );
}

/// Merge sort of `v` using `buf` (same length) as scratch.
fn mergesort(v: &mut [u64], buf: &mut [u64], parallel: bool) {
    if v.len() <= CUTOFF {
        v.sort_unstable();
        return;
    }
    let mid = v.len() / 2;
    {
        let (vl, vr) = v.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        join(
            parallel,
            || mergesort(vl, bl, parallel),
            || mergesort(vr, br, parallel),
        );
    }
    buf.copy_from_slice(v);
    let (left, right) = buf.split_at(mid);
    let (mut i, mut j) = (0, 0);
    for slot in v.iter_mut() {
        if j == right.len() || (i < left.len() && left[i] <= right[j]) {
            *slot = left[i];
            i += 1;
        } else {
            *slot = right[j];
            j += 1;
        }
    }
}

/// Random data from a fixed seed (xorshift64*), with some duplicates.
fn data(n: usize) -> Vec<u64> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d) % (n as u64 * 4)
        })
        .collect()
}

fn timed(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn main() {
    let quick = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--quick") => true,
        Some(other) => {
            eprintln!("sorts: unknown argument {other:?}; try --quick");
            std::process::exit(2);
        }
    };
    let n = if quick { 200_000 } else { 10_000_000 };
    let input = data(n);
    let mut expected = input.clone();
    let std_time = timed(|| expected.sort_unstable());
    println!(
        "{n} u64 on {} threads; std sort_unstable: {:.1} ms",
        brigade::current_num_threads(),
        std_time.as_secs_f64() * 1e3
    );

    for (name, sort) in [
        (
            "quicksort",
            &(|v: &mut [u64], p| quicksort(v, p)) as &dyn Fn(&mut [u64], bool),
        ),
        ("merge sort", &|v: &mut [u64], p| {
            let mut buf = vec![0; v.len()];
            mergesort(v, &mut buf, p);
        }),
    ] {
        let mut serial = input.clone();
        let serial_time = timed(|| sort(&mut serial, false));
        let mut parallel = input.clone();
        let parallel_time = timed(|| sort(&mut parallel, true));
        assert!(serial == expected, "{name}, serial: not the sorted input");
        assert!(
            parallel == expected,
            "{name}, parallel: not the sorted input"
        );
        println!(
            "{name:<10}: serial {:>8.1} ms, parallel {:>8.1} ms ({:.2}x); both equal std's result",
            serial_time.as_secs_f64() * 1e3,
            parallel_time.as_secs_f64() * 1e3,
            serial_time.as_secs_f64() / parallel_time.as_secs_f64(),
        );
    }
}

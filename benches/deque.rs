//! `deque`: brigade's work-stealing deque against `crossbeam-deque`, owner push/pop
//! (LIFO) and steal, uncontended and with one thief running alongside the owner.

use std::hint::black_box;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use brigade::internals::deque as ours;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_deque as cb;

/// Items per batch: half the capacity of brigade's fixed deque.
const BATCH: usize = 512;

fn item(i: usize) -> NonNull<u8> {
    // Distinct, never dereferenced pointers.
    NonNull::new(std::ptr::without_provenance_mut(i + 1)).expect("non-null")
}

fn push_pop(c: &mut Criterion) {
    let mut g = c.benchmark_group("deque/push_pop");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let (w, _s) = ours::new::<u8>();
    g.bench_function("brigade", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                let _ = w.push(item(i));
            }
            while let Some(x) = w.pop() {
                black_box(x);
            }
        })
    });
    let w = cb::Worker::<usize>::new_lifo();
    g.bench_function("crossbeam", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                w.push(i + 1);
            }
            while let Some(x) = w.pop() {
                black_box(x);
            }
        })
    });
    g.finish();
}

fn steal(c: &mut Criterion) {
    let mut g = c.benchmark_group("deque/steal");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let (w, s) = ours::new::<u8>();
    g.bench_function("brigade", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                let _ = w.push(item(i));
            }
            while let ours::Steal::Success(x) = s.steal() {
                black_box(x);
            }
        })
    });
    let w = cb::Worker::<usize>::new_lifo();
    let s = w.stealer();
    g.bench_function("crossbeam", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                w.push(i + 1);
            }
            while let cb::Steal::Success(x) = s.steal() {
                black_box(x);
            }
        })
    });
    g.finish();
}

/// The owner pushes and pops while one thief steals all the time: both ends contended.
fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("deque/push_pop_with_thief");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    {
        let (w, s) = ours::new::<u8>();
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    if let ours::Steal::Success(x) = s.steal() {
                        black_box(x);
                    }
                }
            });
            g.bench_function("brigade", |b| {
                b.iter(|| {
                    for i in 0..BATCH {
                        let _ = w.push(item(i));
                    }
                    while let Some(x) = w.pop() {
                        black_box(x);
                    }
                })
            });
            stop.store(true, Ordering::Relaxed);
        });
    }
    {
        let w = cb::Worker::<usize>::new_lifo();
        let s = w.stealer();
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    if let cb::Steal::Success(x) = s.steal() {
                        black_box(x);
                    }
                }
            });
            g.bench_function("crossbeam", |b| {
                b.iter(|| {
                    for i in 0..BATCH {
                        w.push(i + 1);
                    }
                    while let Some(x) = w.pop() {
                        black_box(x);
                    }
                })
            });
            stop.store(true, Ordering::Relaxed);
        });
    }
    g.finish();
}

criterion_group!(benches, push_pop, steal, contended);
criterion_main!(benches);

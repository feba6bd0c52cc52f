//! `scope_spawn`: 1,000,000 tiny `spawn`s in one scope, brigade vs `rayon::scope`, at 1 and 2
//! threads. Prints the cost per spawn and the throughput ratio from this run's medians.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};

const TASKS: usize = 1_000_000;
const THREADS: [usize; 2] = [1, 2];
const GROUP: &str = "scope_spawn/1M_tiny";

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for t in THREADS {
        let pool = common::brigade_pool(t);
        g.bench_function(format!("brigade/{t}"), |b| {
            b.iter(|| {
                pool.scope(|s| {
                    for i in 0..TASKS {
                        s.spawn(move |_| {
                            black_box(i);
                        });
                    }
                })
            })
        });
        drop(pool);
        let pool = common::rayon_pool(t);
        g.bench_function(format!("rayon/{t}"), |b| {
            b.iter(|| {
                pool.scope(|s| {
                    for i in 0..TASKS {
                        s.spawn(move |_| {
                            black_box(i);
                        });
                    }
                })
            })
        });
        drop(pool);
    }
    g.finish();
}

fn report() {
    println!("\nscope_spawn: {TASKS} tiny spawns in one scope");
    println!(
        "{:<8} {:>14} {:>14} {:>22}",
        "threads", "brigade ns/spawn", "rayon ns/spawn", "brigade throughput / rayon"
    );
    for t in THREADS {
        let b = common::median_ns(GROUP, &format!("brigade/{t}"));
        let r = common::median_ns(GROUP, &format!("rayon/{t}"));
        if let (Some(b), Some(r)) = (b, r) {
            println!(
                "{:<8} {:>14.1} {:>14.1} {:>22.2}",
                t,
                b / TASKS as f64,
                r / TASKS as f64,
                r / b
            );
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}

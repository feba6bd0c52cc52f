//! `scalability`: parallel loops under every brigade schedule, rayon's `par_iter` and a
//! serial loop, at 1, 2, 4 and 8 threads, on five workloads (`common/loops.rs`): uniform
//! memory-bound and compute-bound, skewed (Mandelbrot rows), tiny bodies, and nested loops.
//!
//! ```text
//! cargo bench --bench scalability -- --noplot
//! ```
//!
//! After the runs it prints each workload's speedups over serial from this run's medians,
//! and checks the targets of the loop schedules (docs/scheduling.md) against them.

mod common;

use std::time::Duration;

use common::loops::{Data, Sizes, Workload, schedules};
use common::{brigade_pool, median_ns, rayon_pool};
use criterion::{Criterion, criterion_group};

const THREADS: [usize; 4] = [1, 2, 4, 8];

fn configure(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

fn scalability(c: &mut Criterion) {
    let mut data = Data::new(Sizes::BENCH);
    // Workload by workload, serial first, so that the points of one curve are measured a
    // minute or two apart at most: on this VM, memory bandwidth and CPU speed drift over a
    // run.
    for w in Workload::ALL {
        let want = w.serial(&mut data);
        let mut g = c.benchmark_group(w.name());
        configure(&mut g);
        g.bench_function("serial", |b| b.iter(|| w.serial(&mut data)));
        g.finish();
        for threads in THREADS {
            // One pair of pools at a time: idle pools sleep, but fewer threads is less noise.
            let bp = brigade_pool(threads);
            let rp = rayon_pool(threads);
            let mut g = c.benchmark_group(w.name());
            configure(&mut g);
            for (name, schedule) in schedules(w.grain()) {
                assert_eq!(w.brigade(&bp, schedule, &mut data), want, "{name}");
                g.bench_function(format!("{name}/{threads}"), |b| {
                    b.iter(|| w.brigade(&bp, schedule, &mut data))
                });
            }
            if threads == 1 {
                // The serial loop, run on the pool's one worker: the same hand-off to another
                // thread as every pooled run, without any loop machinery. On this VM a
                // long-lived second thread often runs tight loops slower than the calling
                // thread does (a plain std thread fed by a channel shows it too), so this,
                // not `serial`, is what tells the loop's own cost at 1 thread.
                g.bench_function("serial-on-worker/1", |b| {
                    b.iter(|| bp.install(|| w.serial(&mut data)))
                });
            }
            assert_eq!(w.rayon(&rp, &mut data), want, "rayon");
            g.bench_function(format!("rayon/{threads}"), |b| {
                b.iter(|| w.rayon(&rp, &mut data))
            });
            g.finish();
        }
    }
}

/// Prints speedups over serial, and the targets, from this run's medians.
fn report() {
    let mut variants: Vec<&str> = schedules(1).iter().map(|(n, _)| *n).collect();
    variants.push("rayon");
    println!(
        "\nspeedup over serial (median times of this run; threads 4 and 8 oversubscribe 2 cores)"
    );
    for w in Workload::ALL {
        let Some(serial) = median_ns(w.name(), "serial") else {
            continue;
        };
        println!(
            "\n{} ({}): serial {:.1} ms",
            w.name(),
            w.describe(Sizes::BENCH),
            serial / 1e6
        );
        println!("  {:<14} {:>7} {:>7} {:>7} {:>7}", "", "1", "2", "4", "8");
        if let Some(ns) = median_ns(w.name(), "serial-on-worker/1") {
            println!("  {:<14} {:>6.2}x", "serial-on-wkr", serial / ns);
        }
        for v in &variants {
            let cells: Vec<String> = THREADS
                .iter()
                .map(|t| match median_ns(w.name(), &format!("{v}/{t}")) {
                    Some(ns) => format!("{:>6.2}x", serial / ns),
                    None => format!("{:>7}", "-"),
                })
                .collect();
            println!("  {:<14} {}", v, cells.join(" "));
        }
    }
    // Each target: the ratio of two medians (time of `a` over time of `b`), the bound it must
    // keep, and how to say it.
    struct Target {
        what: String,
        a: (Workload, &'static str),
        b: (Workload, &'static str),
        met: fn(f64) -> bool,
        unit: &'static str,
    }
    use Workload::*;
    let t = |what: &str, a, b, met, unit| Target {
        what: what.to_string(),
        a,
        b,
        met,
        unit,
    };
    let mut targets = vec![
        t(
            "mandelbrot, default at 2 threads >= 1.9x serial",
            (Mandelbrot, "serial"),
            (Mandelbrot, "adaptive/2"),
            |r| r >= 1.9,
            "x",
        ),
        t(
            "mandelbrot, static at 2 threads slower than default",
            (Mandelbrot, "static/2"),
            (Mandelbrot, "adaptive/2"),
            |r| r > 1.0,
            "x the time",
        ),
        t(
            "sum_squares, default at 2 threads no slower than rayon",
            (SumSquares, "adaptive/2"),
            (SumSquares, "rayon/2"),
            |r| r <= 1.0,
            "x rayon's time",
        ),
        t(
            "tiny_bodies, default at 1 thread within 1.3x serial",
            (TinyBodies, "adaptive/1"),
            (TinyBodies, "serial"),
            |r| r <= 1.3,
            "x serial's time",
        ),
        t(
            "tiny_bodies, default at 1 thread within 1.3x the serial loop run on a worker",
            (TinyBodies, "adaptive/1"),
            (TinyBodies, "serial-on-worker/1"),
            |r| r <= 1.3,
            "x its time",
        ),
        t(
            "tiny_bodies, default at 2 threads beats rayon",
            (TinyBodies, "adaptive/2"),
            (TinyBodies, "rayon/2"),
            |r| r < 1.0,
            "x rayon's time",
        ),
    ];
    for w in Workload::ALL {
        targets.push(t(
            &format!(
                "{}, default at 8 threads at most 1.25x slower than at 2",
                w.name()
            ),
            (w, "adaptive/8"),
            (w, "adaptive/2"),
            |r| r <= 1.25,
            "x",
        ));
        // Oversubscribed: more workers than cores, where how idle workers wait matters
        // most (docs/design.md, "Spinning and oversubscription").
        for (threads, ours, theirs) in [(4, "adaptive/4", "rayon/4"), (8, "adaptive/8", "rayon/8")]
        {
            targets.push(t(
                &format!(
                    "{}, default at {threads} threads no slower than rayon",
                    w.name()
                ),
                (w, ours),
                (w, theirs),
                |r| r <= 1.0,
                "x rayon's time",
            ));
        }
    }
    let checks = targets.into_iter().map(|t| {
        let ratio = median_ns(t.a.0.name(), t.a.1)
            .zip(median_ns(t.b.0.name(), t.b.1))
            .map(|(a, b)| a / b);
        (
            format!("{}: {}", t.what, fmt(ratio, t.unit)),
            ratio.map(t.met),
        )
    });
    println!("\ntargets:");
    for (text, ok) in checks {
        let mark = match ok {
            Some(true) => "met ",
            Some(false) => "MISS",
            None => "n/a ",
        };
        println!("  [{mark}] {text}");
    }
}

fn fmt(r: Option<f64>, unit: &str) -> String {
    r.map_or_else(|| "not measured".into(), |r| format!("{r:.2}{unit}"))
}

criterion_group!(benches, scalability);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}

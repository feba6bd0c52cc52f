//! Prints how parallel loops speed up with the number of threads on this machine, under
//! every brigade schedule and rayon's `par_iter`, and can draw the curves as an SVG plot.
//!
//! ```text
//! cargo run --release --example scaling                      # the table, demo sizes
//! cargo run --release --example scaling -- --svg scaling.svg # and the plot
//! cargo run --release --example scaling -- --full            # the bench's sizes
//! cargo run --release --example scaling -- --metrics         # and steals, busy time per worker
//! ```
//!
//! The workloads are those of `benches/scalability.rs` (uniform memory-bound, uniform
//! compute-bound, skewed Mandelbrot rows, tiny bodies, nested loops), at about a tenth of the
//! bench's sizes unless `--full` is given. Each runs serially, then on pools of 1, 2, 4 and
//! 8 threads (more threads than cores is oversubscribed, a real case that should degrade
//! gracefully). Each time is the best of a few runs; speedup is serial time / time, and
//! efficiency is speedup / min(threads, cores). For figures to rely on, use the bench: it
//! measures each point many times, side by side in one run.

#[path = "../benches/common/loops.rs"]
mod loops;

use std::hint::black_box;
use std::time::{Duration, Instant};

use loops::{Data, Sizes, Workload, schedules};
use plotters::prelude::*;

const THREADS: [usize; 4] = [1, 2, 4, 8];

/// One way to run a workload: a brigade schedule, or rayon.
type Runner<'a> = Box<dyn FnMut(&mut Data) -> u64 + 'a>;

/// One measured point.
struct Row {
    workload: Workload,
    variant: &'static str,
    threads: usize,
    time: Duration,
    speedup: f64,
    /// With `--metrics`: each worker's steals and busy time over the variant's runs.
    metrics: Option<String>,
}

struct Options {
    svg: Option<String>,
    metrics: bool,
    sizes: Sizes,
    runs: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        svg: None,
        metrics: false,
        sizes: Sizes::DEMO,
        runs: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--svg" => o.svg = Some(args.next().ok_or("--svg needs a file name")?),
            "--full" => o.sizes = Sizes::BENCH,
            "--metrics" => o.metrics = true,
            "--runs" => {
                o.runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--runs needs a positive number")?
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; try --svg FILE, --full, --runs N, --metrics"
                ));
            }
        }
    }
    Ok(o)
}

fn best_of(runs: usize, mut f: impl FnMut() -> u64) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut value = 0;
    for _ in 0..runs {
        let t = Instant::now();
        value = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, value)
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("scaling: {e}");
            std::process::exit(2);
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "brigade parallel loops on this machine: {cores} logical CPUs; best of {} runs each\n",
        o.runs
    );
    println!(
        "{:<12} {:<14} {:>7} {:>11} {:>8} {:>10}",
        "workload", "schedule", "threads", "time (ms)", "speedup", "efficiency"
    );
    let mut data = Data::new(o.sizes);
    let mut serial = Vec::new();
    for w in Workload::ALL {
        serial.push(best_of(o.runs, || w.serial(&mut data)));
    }
    let mut rows = Vec::new();
    for threads in THREADS {
        let bp = brigade::ThreadPool::builder()
            .num_threads(threads)
            .build()
            .expect("failed to build a brigade pool");
        let rp = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("failed to build a rayon pool");
        for (w, &(serial_time, expected)) in Workload::ALL.into_iter().zip(&serial) {
            let mut variants: Vec<(&'static str, Runner<'_>)> = schedules(w.grain())
                .into_iter()
                .map(|(name, s)| {
                    let bp = &bp;
                    (
                        name,
                        Box::new(move |d: &mut Data| w.brigade(bp, s, d)) as Runner<'_>,
                    )
                })
                .collect();
            variants.push(("rayon", Box::new(|d: &mut Data| w.rayon(&rp, d))));
            for (variant, mut run) in variants {
                let before = bp.metrics();
                let (time, value) = best_of(o.runs, || run(&mut data));
                let metrics =
                    (o.metrics && variant != "rayon").then(|| per_worker(&before, &bp.metrics()));
                assert_eq!(
                    value,
                    expected,
                    "{} under {variant}: result differs from serial",
                    w.name()
                );
                rows.push(Row {
                    workload: w,
                    variant,
                    threads,
                    time,
                    speedup: serial_time.as_secs_f64() / time.as_secs_f64(),
                    metrics,
                });
            }
        }
    }
    for (w, (serial_time, _)) in Workload::ALL.into_iter().zip(&serial) {
        println!(
            "{:<12} {:<14} {:>7} {:>11.2} {:>8} {:>10}   {}",
            w.name(),
            "serial",
            "-",
            serial_time.as_secs_f64() * 1e3,
            "1.00",
            "-",
            w.describe(o.sizes)
        );
        for r in rows.iter().filter(|r| r.workload == w) {
            let efficiency = r.speedup / r.threads.min(cores) as f64;
            println!(
                "{:<12} {:<14} {:>7} {:>11.2} {:>8.2} {:>9.0}%{}",
                "",
                r.variant,
                r.threads,
                r.time.as_secs_f64() * 1e3,
                r.speedup,
                efficiency * 100.0,
                r.metrics
                    .as_deref()
                    .map_or(String::new(), |m| format!("   {m}"))
            );
        }
    }
    if let Some(path) = &o.svg {
        match plot(path, &rows, o.sizes, cores) {
            Ok(()) => println!("\nwrote {path}"),
            Err(e) => {
                eprintln!("scaling: cannot write {path}: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// Each worker's steals and busy time between two snapshots: `steals 12/0 busy 30/29 ms`.
fn per_worker(before: &brigade::PoolMetrics, after: &brigade::PoolMetrics) -> String {
    let pairs = || before.workers.iter().zip(&after.workers);
    let steals: Vec<String> = pairs()
        .map(|(b, a)| (a.steals - b.steals).to_string())
        .collect();
    let busy: Vec<String> = pairs()
        .map(|(b, a)| {
            format!(
                "{:.0}",
                a.busy_time.saturating_sub(b.busy_time).as_secs_f64() * 1e3
            )
        })
        .collect();
    format!("steals {} busy {} ms", steals.join("/"), busy.join("/"))
}

/// One panel per workload: speedup over serial against threads, a line per schedule.
fn plot(
    path: &str,
    rows: &[Row],
    sizes: Sizes,
    cores: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1500, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!("brigade parallel loops: speedup over serial ({cores} cores; 4 and 8 threads oversubscribed)"),
        ("sans-serif", 24),
    )?;
    let panels = root.split_evenly((2, 3));
    let variants: Vec<&str> = {
        let mut v: Vec<&str> = schedules(1).iter().map(|(n, _)| *n).collect();
        v.push("rayon");
        v
    };
    let colors = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(214, 39, 40),
        RGBColor(90, 90, 90),
    ];
    let y_max = rows.iter().map(|r| r.speedup).fold(2.0f64, f64::max).ceil() + 0.25;
    for (w, panel) in Workload::ALL.into_iter().zip(panels.iter()) {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{}: {}", w.name(), w.describe(sizes)),
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(-0.2f64..3.2f64, 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_labels(4)
            .x_label_formatter(&|x| {
                let i = x.round() as usize;
                THREADS.get(i).map_or(String::new(), |t| t.to_string())
            })
            .x_desc("threads")
            .y_desc("speedup")
            .draw()?;
        for (variant, color) in variants.iter().zip(colors) {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.workload == w && r.variant == *variant)
                .map(|r| {
                    let i = THREADS.iter().position(|&t| t == r.threads).unwrap_or(0);
                    (i as f64, r.speedup)
                })
                .collect();
            let width = if *variant == "adaptive" { 3 } else { 1 };
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(width)))?
                .label(if *variant == "adaptive" {
                    "adaptive (default)"
                } else {
                    variant
                })
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(width))
                });
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 12))
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

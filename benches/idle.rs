//! `idle`: what a built but idle pool costs, brigade vs rayon (and chili for the CPU figure),
//! at 1, 2 and 8 threads:
//!
//! - CPU time the whole process burns per second of wall time while the pool is idle
//!   (`getrusage`, user + system, over `IDLE_SECS` seconds after the pool has settled);
//! - the latency from handing work to an idle pool (idle for `GAP_MS` ms) until the work
//!   starts running: the median, 10th and 90th percentile over `TRIES` tries.
//!
//! A plain `main` rather than criterion: each latency sample needs a long idle gap before it,
//! which criterion's iteration scheme cannot express. Run with `cargo bench --bench idle`.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

const THREADS: [usize; 3] = [1, 2, 8];
const IDLE_SECS: f64 = 2.0;
const GAP_MS: u64 = 100;
const TRIES: usize = 100;

fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the struct we pass; RUSAGE_SELF covers every thread.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Milliseconds of CPU per second of wall time while `hold` keeps a pool alive and idle.
fn idle_cpu_ms_per_s() -> f64 {
    std::thread::sleep(Duration::from_millis(300)); // let workers settle into sleep
    let (c0, t0) = (cpu_time(), Instant::now());
    std::thread::sleep(Duration::from_secs_f64(IDLE_SECS));
    let (c1, t1) = (cpu_time(), Instant::now());
    (c1 - c0).as_secs_f64() * 1e3 / (t1 - t0).as_secs_f64()
}

/// Percentiles (10, 50, 90) in microseconds of `TRIES` wake-ups, each after `GAP_MS` idle.
fn wake_latency(spawn: impl Fn(Box<dyn FnOnce() + Send>)) -> (f64, f64, f64) {
    let mut samples = Vec::with_capacity(TRIES);
    for _ in 0..TRIES {
        std::thread::sleep(Duration::from_millis(GAP_MS));
        let (tx, rx) = mpsc::channel();
        let t0 = Instant::now();
        spawn(Box::new(move || {
            let _ = tx.send(t0.elapsed());
        }));
        samples.push(rx.recv().expect("the pool ran the job").as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (p(0.1), p(0.5), p(0.9))
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter on the library name.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |lib: &str| filter.is_empty() || filter.iter().any(|f| lib.contains(f.as_str()));

    println!(
        "idle: CPU burnt per idle second ({IDLE_SECS} s window), and wake latency after {GAP_MS} ms idle ({TRIES} tries)"
    );
    println!(
        "{:<8} {:>7} {:>18} {:>14} {:>14} {:>14}",
        "library", "threads", "idle CPU (ms/s)", "wake p10 (us)", "wake p50 (us)", "wake p90 (us)"
    );
    // The floor: what this process burns with no pool at all (the sampling itself).
    let floor = idle_cpu_ms_per_s();
    println!(
        "{:<8} {:>7} {:>18.3} {:>14} {:>14} {:>14}",
        "no pool", "-", floor, "-", "-", "-"
    );
    for t in THREADS {
        if run("brigade") {
            let pool = common::brigade_pool(t);
            pool.broadcast(|_| ());
            let cpu = idle_cpu_ms_per_s();
            let (p10, p50, p90) = wake_latency(|f| pool.spawn(f));
            println!(
                "{:<8} {:>7} {:>18.3} {:>14.1} {:>14.1} {:>14.1}",
                "brigade", t, cpu, p10, p50, p90
            );
        }
        if run("rayon") {
            let pool = common::rayon_pool(t);
            pool.broadcast(|_| ());
            let cpu = idle_cpu_ms_per_s();
            let (p10, p50, p90) = wake_latency(|f| pool.spawn(f));
            println!(
                "{:<8} {:>7} {:>18.3} {:>14.1} {:>14.1} {:>14.1}",
                "rayon", t, cpu, p10, p50, p90
            );
        }
        if run("chili") {
            let pool = common::chili_pool(t);
            pool.scope().join(|_| (), |_| ());
            let cpu = idle_cpu_ms_per_s();
            println!(
                "{:<8} {:>7} {:>18.3} {:>14} {:>14} {:>14}",
                "chili", t, cpu, "n/a", "n/a", "n/a"
            );
        }
    }
}

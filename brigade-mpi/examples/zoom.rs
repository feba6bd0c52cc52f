//! Generative video across MPI ranks: the frames of a zoom into the Mandelbrot set, each
//! rendered by one rank's brigade pool (rows in parallel), fingerprinted with SHA-256, and
//! listed in a manifest that rank 0 writes. Later frames zoom deeper and iterate more, so
//! they cost more than early ones: skew that `--dist dynamic` balances across ranks.
//!
//! ```text
//! cargo build --release -p brigade-mpi --example zoom
//! target/release/examples/zoom --serial --out serial.txt        # one process, no MPI
//! mpirun -np 4 target/release/examples/zoom --out mpi.txt      # 4 ranks, dynamic
//! cmp serial.txt mpi.txt                                       # byte-identical
//! ```
//!
//! Options: `--frames N` (48), `--width W` (320), `--height H` (180), `--dist static|dynamic`
//! (dynamic), `--chunk C` (frames per dynamic chunk, 1), `--out PATH` (zoom-manifest.txt),
//! `--serial` (one process, no MPI), `--slow-rank R --slow-factor F` (rank R sleeps F - 1
//! times each frame's render time after it: a machine F times slower, or busy with another
//! job). Rank 0 prints the time, frames per rank and chunk requests on stderr.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use brigade_mpi::{Cluster, Distribution, Schedule, brigade};
use sha2::{Digest, Sha256};

/// The point the zoom closes in on, and how much each frame zooms.
const CENTER: (f64, f64) = (-0.743_643_887_037_151, 0.131_825_904_205_330);
const ZOOM_PER_FRAME: f64 = 0.9;

#[derive(Clone, Debug)]
struct Options {
    frames: u64,
    width: usize,
    height: usize,
    dist: Distribution,
    out: String,
    serial: bool,
    slow_rank: Option<usize>,
    slow_factor: u32,
}

fn options() -> Result<Options, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| -> Option<&str> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let number = |name: &str, default: u64| -> Result<u64, String> {
        value(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("{name} needs a number, not {v:?}"))
        })
    };
    let chunk = number("--chunk", 1)?;
    let dist = match value("--dist").unwrap_or("dynamic") {
        "static" => Distribution::Static,
        "dynamic" => Distribution::Dynamic { chunk },
        other => return Err(format!("--dist is static or dynamic, not {other:?}")),
    };
    Ok(Options {
        frames: number("--frames", 48)?,
        width: number("--width", 320)? as usize,
        height: number("--height", 180)? as usize,
        dist,
        out: value("--out").unwrap_or("zoom-manifest.txt").to_string(),
        serial: args.iter().any(|a| a == "--serial"),
        slow_rank: value("--slow-rank")
            .map(|r| {
                r.parse()
                    .map_err(|_| format!("--slow-rank needs a rank, not {r:?}"))
            })
            .transpose()?,
        slow_factor: number("--slow-factor", 4)? as u32,
    })
}

/// Iterations allowed for frame `frame`: deeper frames need more to show the boundary.
fn max_iter(frame: u64) -> u32 {
    100 + 25 * frame as u32
}

/// Renders frame `frame` on the current brigade pool, rows in parallel; returns the pixels
/// (one byte each) and the iterations spent.
fn render(frame: u64, width: usize, height: usize) -> (Vec<u8>, u64) {
    let limit = max_iter(frame);
    let span = 3.0 * ZOOM_PER_FRAME.powi(frame as i32);
    let step = span / width as f64;
    let top = CENTER.1 + step * height as f64 / 2.0;
    let left = CENTER.0 - span / 2.0;
    let mut pixels = vec![0u8; width * height];
    let mut rows: Vec<(usize, &mut [u8])> = pixels.chunks_mut(width).enumerate().collect();
    let iterations = brigade::map_reduce(
        &mut rows,
        Schedule::default(),
        || 0u64,
        |(y, row)| {
            let ci = top - *y as f64 * step;
            let mut spent = 0u64;
            for (x, pixel) in row.iter_mut().enumerate() {
                let cr = left + x as f64 * step;
                let (mut zr, mut zi, mut n) = (0.0f64, 0.0f64, 0u32);
                while n < limit && zr * zr + zi * zi <= 4.0 {
                    let t = zr * zr - zi * zi + cr;
                    zi = 2.0 * zr * zi + ci;
                    zr = t;
                    n += 1;
                }
                spent += u64::from(n);
                *pixel = if n == limit { 0 } else { (n % 255) as u8 + 1 };
            }
            spent
        },
        |a, b| a + b,
    );
    (pixels, iterations)
}

/// A frame's line in the manifest: its iterations and SHA-256, from its pixels alone.
fn fingerprint(frame: u64, opts: &Options) -> (u64, [u8; 32]) {
    let (pixels, iterations) = render(frame, opts.width, opts.height);
    (iterations, Sha256::digest(&pixels).into())
}

fn manifest(opts: &Options, frames: &[(u64, [u8; 32])]) -> String {
    let mut text = format!(
        "# brigade-mpi zoom: {} frames of {}x{}, centre ({}, {}), x{} per frame\n\
         # frame max_iter iterations sha256\n",
        opts.frames, opts.width, opts.height, CENTER.0, CENTER.1, ZOOM_PER_FRAME
    );
    for (frame, (iterations, hash)) in frames.iter().enumerate() {
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        let limit = max_iter(frame as u64);
        writeln!(text, "{frame:05} {limit} {iterations} {hex}").expect("a String");
    }
    text
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let opts = options().map_err(|e| format!("zoom: {e}"))?;
    if opts.serial {
        // One process, no MPI: the reference manifest.
        let pool = brigade::ThreadPool::builder().build()?;
        let started = Instant::now();
        let frames: Vec<_> = pool.install(|| {
            let mut frames = vec![(0, [0; 32]); opts.frames as usize];
            brigade::for_each_chunk(&mut frames, Schedule::Dynamic { chunk: 1 }, |at, piece| {
                for (k, slot) in piece.iter_mut().enumerate() {
                    *slot = fingerprint((at + k) as u64, &opts);
                }
            });
            frames
        });
        eprintln!(
            "zoom: 1 process x {} threads (serial, no MPI): {} frames in {:.3} s",
            pool.current_num_threads(),
            opts.frames,
            started.elapsed().as_secs_f64()
        );
        std::fs::write(&opts.out, manifest(&opts, &frames))?;
        return Ok(());
    }

    let cluster = Cluster::init()?;
    let slow = opts.slow_rank == Some(cluster.rank());
    let started = Instant::now();
    let frames = cluster.gather(
        0..opts.frames,
        opts.dist,
        Schedule::Dynamic { chunk: 1 },
        |f| {
            let began = Instant::now();
            let line = fingerprint(f, &opts);
            if slow {
                std::thread::sleep(began.elapsed() * (opts.slow_factor.max(1) - 1));
            }
            line
        },
    )?;
    let took = started.elapsed();
    let stats = cluster.gather_ranks(cluster.last_stats())?;
    if let (Some(frames), Some(stats)) = (frames, stats) {
        let per_rank: Vec<u64> = stats.iter().map(|s| s.items).collect();
        let requests: u64 = stats.iter().map(|s| s.requests).sum();
        let waited: Duration = stats.iter().map(|s| s.request_wait).sum();
        let per_request = if requests > 0 {
            format!(
                ", {:.1} µs per chunk request",
                waited.as_secs_f64() * 1e6 / requests as f64
            )
        } else {
            String::new()
        };
        eprintln!(
            "zoom: {} ranks x {} threads, {}: {} frames in {:.3} s; frames per rank {per_rank:?}{per_request}",
            cluster.size(),
            cluster.num_threads(),
            opts.dist,
            opts.frames,
            took.as_secs_f64()
        );
        std::fs::write(&opts.out, manifest(&opts, &frames))?;
    }
    Ok(())
}

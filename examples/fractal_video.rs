//! Generative video: the frames of a zoom into the Mandelbrot set, rendered in parallel (the
//! frames at once, and each frame's rows), written as PPM images, and fingerprinted with a
//! content hash into a manifest.
//!
//! ```text
//! cargo run --release --example fractal_video                    # 48 frames of 640x360
//! cargo run --release --example fractal_video -- --quick         # 8 small frames, for CI
//! cargo run --release --example fractal_video -- --out DIR       # default: target/fractal-video
//! ```
//!
//! The cost is irregular twice over: rows inside the set take the full iteration budget and
//! rows outside escape at once, and deeper frames get a larger budget. Nested parallelism
//! (`par_iter` over frames, `par_chunks_mut` over each frame's rows) lets idle workers take
//! rows of a slow frame once the cheap frames are done. The run renders everything serially
//! too, checks that every frame is byte-for-byte the same, and checks the manifest against
//! the files on disk.
//!
//! Turn the frames into a video with, for example,
//! `ffmpeg -i target/fractal-video/frame-%04d.ppm zoom.mp4`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use brigade::prelude::*;

struct Options {
    frames: usize,
    width: usize,
    height: usize,
    out: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        frames: 48,
        width: 640,
        height: 360,
        out: PathBuf::from("target/fractal-video"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {
                o.frames = 8;
                o.width = 160;
                o.height = 90;
                o.out = PathBuf::from("target/fractal-video-quick");
            }
            "--out" => o.out = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    o
}

fn usage() -> ! {
    eprintln!("fractal_video: try --quick, --out DIR");
    std::process::exit(2);
}

/// Where the zoom goes: a point on the set's boundary with structure at every scale.
const CENTER: (f64, f64) = (-0.743_643_887_037_151, 0.131_825_904_205_33);

/// The iteration budget of frame `f`: deeper frames need more to show their detail.
fn budget(f: usize) -> u32 {
    200 + 40 * f as u32
}

/// Renders row `y` of frame `f` into `row` (RGB, 3 bytes a pixel).
fn render_row(o: &Options, f: usize, y: usize, row: &mut [u8]) {
    let scale = 3.0 * 0.9f64.powi(f as i32) / o.width as f64;
    let max = budget(f);
    for (x, px) in row.chunks_exact_mut(3).enumerate() {
        let cx = CENTER.0 + (x as f64 - o.width as f64 / 2.0) * scale;
        let cy = CENTER.1 + (y as f64 - o.height as f64 / 2.0) * scale;
        let (mut zx, mut zy, mut i) = (0.0f64, 0.0f64, 0);
        while i < max && zx * zx + zy * zy <= 4.0 {
            let t = zx * zx - zy * zy + cx;
            zy = 2.0 * zx * zy + cy;
            zx = t;
            i += 1;
        }
        let rgb = if i == max {
            [0, 0, 0]
        } else {
            let t = i as f64 / max as f64;
            [
                (255.0 * (9.0 * (1.0 - t) * t * t * t)).min(255.0) as u8,
                (255.0 * (15.0 * (1.0 - t) * (1.0 - t) * t * t)).min(255.0) as u8,
                (255.0 * (8.5 * (1.0 - t) * (1.0 - t) * (1.0 - t) * t)).min(255.0) as u8,
            ]
        };
        px.copy_from_slice(&rgb);
    }
}

fn render_serial(o: &Options, f: usize) -> Vec<u8> {
    let mut pixels = vec![0u8; o.width * o.height * 3];
    for (y, row) in pixels.chunks_exact_mut(o.width * 3).enumerate() {
        render_row(o, f, y, row);
    }
    pixels
}

fn render_parallel(o: &Options, f: usize) -> Vec<u8> {
    let mut pixels = vec![0u8; o.width * o.height * 3];
    pixels
        .par_chunks_mut(o.width * 3)
        .enumerate()
        .for_each(|(y, row)| render_row(o, f, y, row));
    pixels
}

/// FNV-1a, 64 bits: a content hash that is the same on every platform and Rust version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn ppm(o: &Options, pixels: &[u8]) -> Vec<u8> {
    let mut file = format!("P6\n{} {}\n255\n", o.width, o.height).into_bytes();
    file.extend_from_slice(pixels);
    file
}

fn main() -> std::io::Result<()> {
    let o = options();
    std::fs::create_dir_all(&o.out)?;

    let t = Instant::now();
    let serial: Vec<u64> = (0..o.frames)
        .map(|f| fnv1a(&ppm(&o, &render_serial(&o, f))))
        .collect();
    let serial_time = t.elapsed();

    let t = Instant::now();
    let frames: Vec<Vec<u8>> = (0..o.frames)
        .into_par_iter()
        .map(|f| ppm(&o, &render_parallel(&o, f)))
        .collect();
    let parallel_time = t.elapsed();

    let mut manifest = String::new();
    for (f, file) in frames.iter().enumerate() {
        let hash = fnv1a(file);
        assert_eq!(
            hash, serial[f],
            "frame {f}: the parallel render differs from the serial one"
        );
        let name = format!("frame-{f:04}.ppm");
        std::fs::write(o.out.join(&name), file)?;
        writeln!(manifest, "{name} {hash:016x} {} bytes", file.len()).unwrap();
    }
    std::fs::write(o.out.join("manifest.txt"), &manifest)?;

    // The manifest matches what is on disk.
    for line in std::fs::read_to_string(o.out.join("manifest.txt"))?.lines() {
        let mut parts = line.split_whitespace();
        let (name, hash) = (parts.next().unwrap(), parts.next().unwrap());
        let on_disk = fnv1a(&std::fs::read(o.out.join(name))?);
        assert_eq!(format!("{on_disk:016x}"), hash, "{name} changed on disk");
    }

    println!(
        "{} frames of {}x{} in {}: serial {:.1} ms, parallel {:.1} ms on {} threads ({:.2}x); \
         every frame identical to the serial render; manifest checked",
        o.frames,
        o.width,
        o.height,
        o.out.display(),
        serial_time.as_secs_f64() * 1e3,
        parallel_time.as_secs_f64() * 1e3,
        brigade::current_num_threads(),
        serial_time.as_secs_f64() / parallel_time.as_secs_f64(),
    );
    Ok(())
}

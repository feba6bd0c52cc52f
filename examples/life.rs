//! Conway's game of life, one band of rows per worker, the workers meeting at a
//! `brigade::sync::Barrier` after every generation.
//!
//! ```text
//! cargo run --release --example life               # 1024x1024, 200 generations
//! cargo run --release --example life -- --quick    # 128x128, 20 generations, for CI
//! ```
//!
//! `pool.broadcast` runs the same loop on every worker: compute my band of the next
//! generation from the current one, wait at the barrier, swap. The two grids are shared by
//! all workers as `AtomicU8` cells read and written with relaxed loads and stores: the barrier
//! orders each generation's writes before the next generation's reads. The run checks the
//! final grid against a serial run and prints the number of live cells.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use brigade::ThreadPool;
use brigade::sync::Barrier;

struct Grid {
    width: usize,
    height: usize,
}

impl Grid {
    /// The next state of cell (x, y) of `cur` (the edges wrap around).
    fn next(&self, cur: &[AtomicU8], x: usize, y: usize) -> u8 {
        let mut n = 0;
        for dy in [self.height - 1, 0, 1] {
            for dx in [self.width - 1, 0, 1] {
                if dx == 0 && dy == 0 {
                    continue;
                }
                let (nx, ny) = ((x + dx) % self.width, (y + dy) % self.height);
                n += cur[ny * self.width + nx].load(Ordering::Relaxed);
            }
        }
        let alive = cur[y * self.width + x].load(Ordering::Relaxed) == 1;
        u8::from(n == 3 || (alive && n == 2))
    }

    /// Computes rows `rows` of `next` from `cur`.
    fn step_rows(&self, cur: &[AtomicU8], next: &[AtomicU8], rows: std::ops::Range<usize>) {
        for y in rows {
            for x in 0..self.width {
                next[y * self.width + x].store(self.next(cur, x, y), Ordering::Relaxed);
            }
        }
    }
}

/// A random start from a fixed seed: about a third of the cells alive.
fn start(cells: usize) -> Vec<AtomicU8> {
    let mut x = 0x1234_5678_9abc_def1_u64;
    (0..cells)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            AtomicU8::new(u8::from(x.is_multiple_of(3)))
        })
        .collect()
}

fn snapshot(cells: &[AtomicU8]) -> Vec<u8> {
    cells.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

fn serial(grid: &Grid, generations: usize) -> (Vec<u8>, Duration) {
    let (a, b) = (
        start(grid.width * grid.height),
        start(grid.width * grid.height),
    );
    let t = Instant::now();
    for g in 0..generations {
        let (cur, next) = if g.is_multiple_of(2) {
            (&a, &b)
        } else {
            (&b, &a)
        };
        grid.step_rows(cur, next, 0..grid.height);
    }
    let last = if generations.is_multiple_of(2) {
        &a
    } else {
        &b
    };
    (snapshot(last), t.elapsed())
}

fn parallel(pool: &ThreadPool, grid: &Grid, generations: usize) -> (Vec<u8>, Duration) {
    let (a, b) = (
        start(grid.width * grid.height),
        start(grid.width * grid.height),
    );
    let barrier = Barrier::new(pool.current_num_threads());
    let t = Instant::now();
    pool.broadcast(|ctx| {
        let (me, workers) = (ctx.index(), ctx.num_threads());
        let rows = grid.height * me / workers..grid.height * (me + 1) / workers;
        for g in 0..generations {
            let (cur, next) = if g.is_multiple_of(2) {
                (&a, &b)
            } else {
                (&b, &a)
            };
            grid.step_rows(cur, next, rows.clone());
            // Everyone's band of `next` is written before anyone reads it as `cur`.
            barrier.wait();
        }
    });
    let last = if generations.is_multiple_of(2) {
        &a
    } else {
        &b
    };
    (snapshot(last), t.elapsed())
}

fn main() {
    let quick = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--quick") => true,
        Some(other) => {
            eprintln!("life: unknown argument {other:?}; try --quick");
            std::process::exit(2);
        }
    };
    let (side, generations) = if quick { (128, 20) } else { (1024, 200) };
    let grid = Grid {
        width: side,
        height: side,
    };
    let pool = ThreadPool::builder()
        .build()
        .expect("failed to build the pool");
    let (expected, serial_time) = serial(&grid, generations);
    let (got, parallel_time) = parallel(&pool, &grid, generations);
    assert!(
        got == expected,
        "the parallel run differs from the serial one"
    );
    println!(
        "{side}x{side}, {generations} generations on {} threads: serial {:.1} ms, parallel {:.1} ms \
         ({:.2}x); the same {} live cells at the end",
        pool.current_num_threads(),
        serial_time.as_secs_f64() * 1e3,
        parallel_time.as_secs_f64() * 1e3,
        serial_time.as_secs_f64() / parallel_time.as_secs_f64(),
        got.iter().filter(|&&c| c == 1).count(),
    );
}

//! The parallel-loop workloads of the `scalability` bench and the `scaling` example, written
//! once: each as a serial loop, as a brigade loop under a given schedule, and as rayon's
//! `par_iter`, all computing the same checksum.

#![allow(dead_code)] // the bench and the example use different parts

use brigade::Schedule;
use rayon::prelude::*;

/// Problem sizes: the bench's, or smaller ones for a quick demo.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    /// `u64`s summed by `SumSquares`.
    pub(crate) sum: usize,
    /// Items computed by `ComputeMap`.
    pub(crate) map: usize,
    /// Width and height of the Mandelbrot image.
    pub(crate) mandel: usize,
    /// Iterations of `TinyBodies`.
    pub(crate) tiny: usize,
    /// Outer and inner lengths of `Nested`.
    pub(crate) nested: (usize, usize),
}

impl Sizes {
    /// The sizes the issue asks the bench for.
    pub(crate) const BENCH: Sizes = Sizes {
        sum: 50_000_000,
        map: 1_000_000,
        mandel: 1024,
        tiny: 10_000_000,
        nested: (1000, 10_000),
    };
    /// About a tenth of the work, for the demo.
    pub(crate) const DEMO: Sizes = Sizes {
        sum: 8_000_000,
        map: 200_000,
        mandel: 512,
        tiny: 4_000_000,
        nested: (300, 5_000),
    };
}

/// Inputs and outputs, allocated once.
pub(crate) struct Data {
    pub(crate) sizes: Sizes,
    input: Vec<u64>,
    out: Vec<u64>,
}

impl Data {
    pub(crate) fn new(sizes: Sizes) -> Self {
        Data {
            sizes,
            input: (0..sizes.sum as u64).collect(),
            out: vec![0; sizes.map],
        }
    }
}

/// Maximum iterations per Mandelbrot pixel.
const MANDEL_ITER: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Workload {
    /// Uniform, memory-bound: the sum of `x * x` over a large `Vec<u64>`.
    SumSquares,
    /// Uniform, compute-bound: `out[i] = f(i)` with `f` about 60 ns.
    ComputeMap,
    /// Skewed: Mandelbrot rows, whose cost varies from row to row by 100x (see `mandel_row`).
    Mandelbrot,
    /// Tiny bodies: a few-ns body, many times (grain-size stress).
    TinyBodies,
    /// A parallel loop whose body runs a parallel loop.
    Nested,
}

/// The schedules each workload runs under, with their names in reports. `grain` is the
/// chunk of `StaticChunks` and `Dynamic`.
pub(crate) fn schedules(grain: usize) -> [(&'static str, Schedule); 5] {
    [
        ("static", Schedule::Static),
        ("static-chunks", Schedule::StaticChunks { chunk: grain }),
        ("dynamic", Schedule::Dynamic { chunk: grain }),
        ("guided", Schedule::Guided { min_chunk: 1 }),
        ("adaptive", Schedule::default()),
    ]
}

impl Workload {
    pub(crate) const ALL: [Workload; 5] = [
        Workload::SumSquares,
        Workload::ComputeMap,
        Workload::Mandelbrot,
        Workload::TinyBodies,
        Workload::Nested,
    ];

    /// A short name, for criterion groups and tables.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::SumSquares => "sum_squares",
            Workload::ComputeMap => "compute_map",
            Workload::Mandelbrot => "mandelbrot",
            Workload::TinyBodies => "tiny_bodies",
            Workload::Nested => "nested",
        }
    }

    /// What it runs, with its size.
    pub(crate) fn describe(self, s: Sizes) -> String {
        match self {
            Workload::SumSquares => format!("sum of x*x over {}M u64", s.sum / 1_000_000),
            Workload::ComputeMap => format!("out[i] = f(i), ~60 ns each, {}k items", s.map / 1000),
            Workload::Mandelbrot => {
                format!(
                    "Mandelbrot {0}x{0} rows, max {MANDEL_ITER} iterations",
                    s.mandel
                )
            }
            Workload::TinyBodies => format!("{}M iterations of a ~2 ns body", s.tiny / 1_000_000),
            Workload::Nested => format!("{} x parallel loop of {}", s.nested.0, s.nested.1),
        }
    }

    /// The chunk for `StaticChunks` and `Dynamic`: rows and outer iterations are large,
    /// items are small.
    pub(crate) fn grain(self) -> usize {
        match self {
            Workload::Mandelbrot | Workload::Nested => 1,
            _ => 4096,
        }
    }

    pub(crate) fn serial(self, d: &mut Data) -> u64 {
        let s = d.sizes;
        match self {
            Workload::SumSquares => d
                .input
                .iter()
                .map(|&x| square(x))
                .fold(0, u64::wrapping_add),
            Workload::ComputeMap => {
                for (i, x) in d.out.iter_mut().enumerate() {
                    *x = compute(i as u64);
                }
                map_checksum(&d.out)
            }
            Workload::Mandelbrot => (0..s.mandel).map(|y| mandel_row(y, s.mandel)).sum(),
            Workload::TinyBodies => (0..s.tiny as u64).map(tiny).fold(0, u64::wrapping_add),
            Workload::Nested => (0..s.nested.0 as u64)
                .map(|i| {
                    (0..s.nested.1 as u64)
                        .map(|j| tiny(i ^ j))
                        .fold(0, u64::wrapping_add)
                })
                .fold(0, u64::wrapping_add),
        }
    }

    pub(crate) fn brigade(
        self,
        pool: &brigade::ThreadPool,
        schedule: Schedule,
        d: &mut Data,
    ) -> u64 {
        let s = d.sizes;
        match self {
            Workload::SumSquares => {
                pool.map_reduce(&d.input, schedule, || 0, |&x| square(x), u64::wrapping_add)
            }
            Workload::ComputeMap => {
                pool.for_each_chunk(&mut d.out, schedule, |start, chunk| {
                    for (i, x) in chunk.iter_mut().enumerate() {
                        *x = compute((start + i) as u64);
                    }
                });
                map_checksum(&d.out)
            }
            Workload::Mandelbrot => pool.map_reduce(
                0..s.mandel,
                schedule,
                || 0,
                |y| mandel_row(y, s.mandel),
                |a, b| a + b,
            ),
            Workload::TinyBodies => {
                pool.map_reduce(0..s.tiny as u64, schedule, || 0, tiny, u64::wrapping_add)
            }
            Workload::Nested => {
                // The inner loops use the same kind of schedule, with the element grain.
                let inner = match schedule {
                    Schedule::StaticChunks { .. } => Schedule::StaticChunks { chunk: 1024 },
                    Schedule::Dynamic { .. } => Schedule::Dynamic { chunk: 1024 },
                    other => other,
                };
                pool.map_reduce(
                    0..s.nested.0 as u64,
                    schedule,
                    || 0,
                    |i| {
                        brigade::map_reduce(
                            0..s.nested.1 as u64,
                            inner,
                            || 0,
                            |j| tiny(i ^ j),
                            u64::wrapping_add,
                        )
                    },
                    u64::wrapping_add,
                )
            }
        }
    }

    pub(crate) fn rayon(self, pool: &rayon::ThreadPool, d: &mut Data) -> u64 {
        let s = d.sizes;
        match self {
            Workload::SumSquares => pool.install(|| {
                d.input
                    .par_iter()
                    .map(|&x| square(x))
                    .reduce(|| 0, u64::wrapping_add)
            }),
            Workload::ComputeMap => {
                pool.install(|| {
                    d.out
                        .par_iter_mut()
                        .enumerate()
                        .for_each(|(i, x)| *x = compute(i as u64))
                });
                map_checksum(&d.out)
            }
            Workload::Mandelbrot => pool.install(|| {
                (0..s.mandel)
                    .into_par_iter()
                    .map(|y| mandel_row(y, s.mandel))
                    .sum()
            }),
            Workload::TinyBodies => pool.install(|| {
                (0..s.tiny as u64)
                    .into_par_iter()
                    .map(tiny)
                    .reduce(|| 0, u64::wrapping_add)
            }),
            Workload::Nested => pool.install(|| {
                (0..s.nested.0 as u64)
                    .into_par_iter()
                    .map(|i| {
                        (0..s.nested.1 as u64)
                            .into_par_iter()
                            .map(|j| tiny(i ^ j))
                            .reduce(|| 0, u64::wrapping_add)
                    })
                    .reduce(|| 0, u64::wrapping_add)
            }),
        }
    }
}

#[inline]
fn square(x: u64) -> u64 {
    x.wrapping_mul(x)
}

/// About 60 ns of integer arithmetic (xorshift-multiply rounds).
#[inline]
fn compute(i: u64) -> u64 {
    let mut x = i | 1;
    for _ in 0..40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    }
    x
}

/// A cheap check of the map's output (a few entries), outside the timed loop's cost.
fn map_checksum(out: &[u64]) -> u64 {
    let n = out.len();
    if n == 0 {
        return 0;
    }
    out[0] ^ out[n / 3].rotate_left(7) ^ out[n / 2].rotate_left(13) ^ out[n - 1].rotate_left(29)
}

/// splitmix64's finalizer: a few ns.
#[inline]
fn tiny(i: u64) -> u64 {
    let mut x = i;
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Total escape iterations of row `y` of a `size` x `size` Mandelbrot image of the square
/// `[-2, 1] x [-1.5, 1.5]`, turned a quarter turn so that a row runs along the imaginary
/// axis. The usual orientation is symmetric top to bottom, so any split into two equal
/// halves (two threads, static blocks) is balanced by accident; turned, the cost of the
/// rows rises and falls unevenly from left to right, as in most skewed work.
fn mandel_row(y: usize, size: usize) -> u64 {
    let cx = y as f64 / size as f64 * 3.0 - 2.0;
    let mut total = 0u64;
    for x in 0..size {
        let cy = x as f64 / size as f64 * 3.0 - 1.5;
        let (mut zx, mut zy, mut i) = (0.0f64, 0.0f64, 0);
        while i < MANDEL_ITER && zx * zx + zy * zy <= 4.0 {
            let t = zx * zx - zy * zy + cx;
            zy = 2.0 * zx * zy + cy;
            zx = t;
            i += 1;
        }
        total += u64::from(i);
    }
    total
}

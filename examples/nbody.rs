//! N-body: gravitating bodies stepped through time; each step computes every body's
//! acceleration from all the others (O(n²)) in a parallel loop, then moves the bodies.
//!
//! ```text
//! cargo run --release --example nbody               # 3,000 bodies, 10 steps
//! cargo run --release --example nbody -- --quick    # 400 bodies, 3 steps, for CI
//! ```
//!
//! Each body's acceleration is summed over the others in the same order in the serial and in
//! the parallel run, so the two must agree bit for bit; the run checks that, and prints the
//! total energy before and after (which a small time step keeps nearly constant).

use std::time::{Duration, Instant};

use brigade::prelude::*;

#[derive(Clone, Copy, PartialEq, Debug)]
struct Body {
    pos: [f64; 3],
    vel: [f64; 3],
    mass: f64,
}

const DT: f64 = 1e-3;
const SOFTENING: f64 = 1e-3;

/// A disc of bodies from a fixed seed.
fn bodies(n: usize) -> Vec<Body> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let r = 0.1 + rand();
            let a = rand() * std::f64::consts::TAU;
            let v = 0.5 / r.sqrt();
            Body {
                pos: [r * a.cos(), r * a.sin(), 0.01 * (rand() - 0.5)],
                vel: [-v * a.sin(), v * a.cos(), 0.0],
                mass: 1.0 / n as f64,
            }
        })
        .collect()
}

/// The acceleration of body `i`, summed over all others in index order.
fn acceleration(bodies: &[Body], i: usize) -> [f64; 3] {
    let p = bodies[i].pos;
    let mut acc = [0.0; 3];
    for (j, b) in bodies.iter().enumerate() {
        if j == i {
            continue;
        }
        let d = [b.pos[0] - p[0], b.pos[1] - p[1], b.pos[2] - p[2]];
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + SOFTENING * SOFTENING;
        let f = b.mass / (r2 * r2.sqrt());
        for k in 0..3 {
            acc[k] += f * d[k];
        }
    }
    acc
}

fn advance(bodies: &mut [Body], acc: &[[f64; 3]]) {
    for (b, a) in bodies.iter_mut().zip(acc) {
        for ((pos, vel), a) in b.pos.iter_mut().zip(&mut b.vel).zip(a) {
            *vel += DT * a;
            *pos += DT * *vel;
        }
    }
}

fn energy(bodies: &[Body]) -> f64 {
    let mut e = 0.0;
    for (i, a) in bodies.iter().enumerate() {
        e += 0.5 * a.mass * a.vel.iter().map(|v| v * v).sum::<f64>();
        for b in &bodies[i + 1..] {
            let d: f64 = (0..3).map(|k| (a.pos[k] - b.pos[k]).powi(2)).sum();
            e -= a.mass * b.mass / (d + SOFTENING * SOFTENING).sqrt();
        }
    }
    e
}

fn run(mut bodies: Vec<Body>, steps: usize, parallel: bool) -> (Vec<Body>, Duration) {
    let t = Instant::now();
    let mut acc = vec![[0.0; 3]; bodies.len()];
    for _ in 0..steps {
        if parallel {
            let b = &bodies;
            acc.par_iter_mut()
                .enumerate()
                .for_each(|(i, a)| *a = acceleration(b, i));
        } else {
            for (i, a) in acc.iter_mut().enumerate() {
                *a = acceleration(&bodies, i);
            }
        }
        advance(&mut bodies, &acc);
    }
    (bodies, t.elapsed())
}

fn main() {
    let quick = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--quick") => true,
        Some(other) => {
            eprintln!("nbody: unknown argument {other:?}; try --quick");
            std::process::exit(2);
        }
    };
    let (n, steps) = if quick { (400, 3) } else { (3_000, 10) };
    let start = bodies(n);
    let e0 = energy(&start);
    let (serial, serial_time) = run(start.clone(), steps, false);
    let (parallel, parallel_time) = run(start, steps, true);
    assert!(
        serial == parallel,
        "the parallel run differs from the serial one"
    );
    println!(
        "{n} bodies, {steps} steps on {} threads: serial {:.1} ms, parallel {:.1} ms ({:.2}x); \
         both runs agree bit for bit; energy {e0:.6} -> {:.6}",
        brigade::current_num_threads(),
        serial_time.as_secs_f64() * 1e3,
        parallel_time.as_secs_f64() * 1e3,
        serial_time.as_secs_f64() / parallel_time.as_secs_f64(),
        energy(&parallel),
    );
}

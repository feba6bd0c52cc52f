//! A rank that panics, in one of several places, while the others go on into the next
//! distributed call (where, without `MPI_Abort`, they would wait for it forever); launched
//! by `tests/mpirun.rs`, which expects the job to end non-zero with the message.
//!
//! ```text
//! panics static-body RANK     a loop body panics on RANK (Static)
//! panics dynamic-body RANK    a loop body panics on RANK (Dynamic; RANK 0 is the server)
//! panics reduce               rank 0's combining `reduce` panics (on its main thread)
//! panics main RANK            RANK's main thread panics between two calls
//! panics install RANK         a panic re-raised on RANK's main thread by pool().install
//! panics nested               rank 0's combining `reduce` makes a distributed call (a
//!                             call inside a call: once a silent hang)
//! ```

use std::cell::Cell;
use std::thread;
use std::time::Duration;

use brigade_mpi::{Cluster, Distribution, Schedule};

thread_local! {
    /// The cluster, for code that cannot capture it (a `reduce` must be `Sync`): as a
    /// program that keeps its cluster in a global would reach it.
    static CLUSTER: Cell<*const Cluster> = const { Cell::new(std::ptr::null()) };
}

/// A distributed call from wherever the program is, through `CLUSTER`.
fn log_progress(x: u64) {
    CLUSTER.with(|c| {
        let cluster = c.get();
        if !cluster.is_null() {
            // SAFETY: set in `main` to a cluster that outlives every call made there, and
            // read on the thread that set it (a thread-local).
            let cluster = unsafe { &*cluster };
            let _ = cluster.gather_ranks(x);
        }
    });
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("");
    let victim: usize = args.get(2).map_or(Ok(0), |r| r.parse())?;
    let cluster = Cluster::init()?;
    let rank = cluster.rank();
    let s = Schedule::default();
    let boom = || panic!("deliberate panic on rank {rank}");
    // Items that take a while, so that the other ranks are mid-loop when the victim panics.
    let slow = |i: u64| {
        thread::sleep(Duration::from_micros(200));
        i
    };

    match case {
        "static-body" => {
            cluster.for_each(0..400, Distribution::Static, s, |i| {
                slow(i);
                if rank == victim && i % 100 == 50 {
                    boom();
                }
            })?;
        }
        "dynamic-body" => {
            cluster.map_reduce(
                0..2000,
                Distribution::Dynamic { chunk: 10 },
                s,
                || 0,
                |i| {
                    if rank == victim && i > 300 {
                        boom();
                    }
                    slow(i)
                },
                |a, b| a + b,
            )?;
        }
        "reduce" => {
            cluster.map_reduce(
                0..400,
                Distribution::Dynamic { chunk: 10 },
                s,
                || 0u64,
                slow,
                |a, b| {
                    if a > 1000 && brigade_mpi::brigade::current_thread_index().is_none() {
                        panic!("deliberate panic on rank {rank} while combining");
                    }
                    a + b
                },
            )?;
        }
        "main" => {
            cluster.for_each(0..100, Distribution::Static, s, |i| {
                slow(i);
            })?;
            if rank == victim {
                boom();
            }
        }
        "install" => {
            if rank == victim {
                cluster.pool().install(boom);
            }
        }
        "nested" => {
            CLUSTER.with(|c| c.set(&cluster));
            cluster.map_reduce(
                0..8,
                Distribution::Static,
                s,
                || 0u64,
                |i| i,
                |a, b| {
                    log_progress(a + b);
                    a + b
                },
            )?;
        }
        other => panic!("unknown case {other:?}: see the top of tests/programs/panics.rs"),
    }
    // The ranks that did not panic wait here for the one that did.
    cluster.for_each(0..100, Distribution::Dynamic { chunk: 1 }, s, |i| {
        slow(i);
    })?;
    println!("rank {rank}: not reached: the job should have ended");
    Ok(())
}

//! What one `Distribution::Dynamic` chunk costs, measured with chunks of one item that does
//! nothing, so that all that is left is overhead:
//!
//! - the MPI round trip alone: an 8-byte ping-pong between the main threads of rank 0 and
//!   each other rank in turn (blocking send and receive);
//! - a chunk end to end: the loop's time divided by the chunks each rank ran (the round
//!   trip to rank 0, rank 0's polling, and the hand-off of each chunk to the rank's pool);
//! - the waiting the askers saw (`RankStats::request_wait` per request): with chunks that
//!   take no time, nothing hides the round trip;
//! - rank 0's service time per request (`RankStats::serving` per request served): receive,
//!   claim, send; its inverse bounds the requests rank 0 can answer per second.
//!
//! ```text
//! cargo build --release -p brigade-mpi --example chunk_cost
//! mpirun -np 2 --bind-to none target/release/examples/chunk_cost [--chunks N]
//! ```

use std::time::{Duration, Instant};

use brigade_mpi::mpi::traits::*;
use brigade_mpi::{Cluster, Distribution, Schedule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let chunks: u64 = args
        .iter()
        .position(|a| a == "--chunks")
        .and_then(|i| args.get(i + 1))
        .map_or(Ok(20_000), |n| n.parse())?;
    let cluster = Cluster::init()?;
    let world = cluster.world();
    let (rank, size) = (cluster.rank(), cluster.size());

    // The MPI round trip alone, rank 0 with each other rank in turn.
    let pings = 2000;
    let mut round_trip = Duration::ZERO;
    for peer in 1..size {
        world.barrier();
        if rank == 0 {
            let other = world.process_at_rank(peer as i32);
            let started = Instant::now();
            for i in 0..pings {
                other.send(&(i as u64));
                let (_echo, _) = other.receive::<u64>();
            }
            round_trip += started.elapsed() / pings;
        } else if rank == peer {
            let root = world.process_at_rank(0);
            for _ in 0..pings {
                let (x, _) = root.receive::<u64>();
                root.send(&x);
            }
        }
    }

    // Chunks of one empty item: all overhead. Then a Static loop of one empty item per
    // rank, for the fixed cost of a call (agreement, hand-off, barrier).
    let dynamic = Distribution::Dynamic { chunk: 1 };
    cluster.for_each(0..chunks, dynamic, Schedule::default(), |_| ())?;
    let stats = cluster.gather_ranks(cluster.last_stats())?;
    let started = Instant::now();
    let calls = 200;
    for _ in 0..calls {
        cluster.for_each(
            0..size as u64,
            Distribution::Static,
            Schedule::default(),
            |_| (),
        )?;
    }
    let per_call = started.elapsed() / calls;

    if let Some(stats) = stats {
        let wall = stats.iter().map(|s| s.wall).max().unwrap_or_default();
        let per_rank: Vec<u64> = stats.iter().map(|s| s.chunks).collect();
        let requests: u64 = stats.iter().map(|s| s.requests).sum();
        let waited: Duration = stats.iter().map(|s| s.request_wait).sum();
        let most = per_rank.iter().copied().max().unwrap_or(1).max(1);
        println!(
            "{size} ranks x {} threads, {chunks} chunks of 1 empty item:",
            cluster.num_threads()
        );
        if size > 1 {
            println!(
                "  MPI round trip (8 bytes, main threads): {:.1} µs",
                round_trip.as_secs_f64() * 1e6 / (size - 1) as f64
            );
            println!(
                "  waiting per request, askers: {:.1} µs",
                waited.as_secs_f64() * 1e6 / requests.max(1) as f64
            );
            println!(
                "  rank 0's service time per request: {:.2} µs ({} requests)",
                stats[0].serving.as_secs_f64() * 1e6 / stats[0].served.max(1) as f64,
                stats[0].served
            );
        }
        println!(
            "  a chunk end to end: {:.1} µs ({:.0} ms for the loop; chunks per rank {per_rank:?})",
            wall.as_secs_f64() * 1e6 / most as f64,
            wall.as_secs_f64() * 1e3
        );
        println!(
            "  a whole call, Static, one empty item per rank: {:.1} µs",
            per_call.as_secs_f64() * 1e6
        );
    }
    Ok(())
}

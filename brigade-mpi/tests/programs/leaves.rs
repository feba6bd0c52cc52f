//! A rank that leaves early (its `Cluster` dropped) while the others make another
//! distributed call; launched by `tests/mpirun.rs`, which expects the job to end with a
//! message naming the rank and its number of calls, never to hang.
//!
//! ```text
//! leaves error RANK     after one call, RANK returns an error from main; the others go
//!                       on into a Dynamic map_reduce
//! leaves skip RANK      RANK returns Ok(()) before a Static map_reduce the others make
//! leaves together       every rank leaves after the same two calls: a normal end
//! ```

use brigade_mpi::{Cluster, Distribution, Schedule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("");
    let leaver: usize = args.get(2).map_or(Ok(usize::MAX), |r| r.parse())?;
    let cluster = Cluster::init()?;
    let rank = cluster.rank();
    let s = Schedule::default();

    cluster.for_each(0..100, Distribution::Static, s, |_| ())?;
    match case {
        "error" => {
            if rank == leaver {
                return Err(format!("deliberate error on rank {rank}").into());
            }
            let sum = cluster.map_reduce(
                0..1000,
                Distribution::Dynamic { chunk: 10 },
                s,
                || 0u64,
                |i| i,
                |a, b| a + b,
            )?;
            println!("rank {rank}: not reached: the sum {sum} was computed without rank {leaver}");
        }
        "skip" => {
            if rank == leaver {
                return Ok(());
            }
            let sum = cluster.map_reduce(
                0..1000,
                Distribution::Static,
                s,
                || 0u64,
                |i| i,
                |a, b| a + b,
            )?;
            println!("rank {rank}: not reached: the sum {sum} was computed without rank {leaver}");
        }
        "together" => {
            let sum = cluster.map_reduce(
                0..1000,
                Distribution::Dynamic { chunk: 10 },
                s,
                || 0u64,
                |i| i,
                |a, b| a + b,
            )?;
            assert_eq!(sum, 499_500);
            println!("rank {rank}: left together");
        }
        other => panic!("unknown case {other:?}: see the top of tests/programs/leaves.rs"),
    }
    Ok(())
}

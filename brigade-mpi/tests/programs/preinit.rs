//! `Cluster::init` on ranks where MPI is already initialized by other code; launched by
//! `tests/mpirun.rs`, which expects every rank to report, never a hang.
//!
//! ```text
//! preinit single RANK     RANK initializes MPI itself at the Single level first: every
//!                         rank's Cluster::init returns an error; each prints it
//! preinit funneled RANK   RANK initializes MPI itself at the Funneled level first: its
//!                         Cluster::init uses that, and a distributed call works
//! ```

use brigade_mpi::mpi::Threading;
use brigade_mpi::{Cluster, Distribution, Schedule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("");
    let early: usize = args.get(2).map_or(Ok(0), |r| r.parse())?;
    // The rank before MPI starts, as OpenMPI's mpirun tells it.
    let rank: usize = std::env::var("OMPI_COMM_WORLD_RANK")?.parse()?;

    // Declared before the Cluster, so dropped after it: MPI is finalized last.
    let _universe = match (case, rank == early) {
        ("single", true) => Some(brigade_mpi::mpi::initialize().expect("MPI starts")),
        ("funneled", true) => {
            let (universe, _) = brigade_mpi::mpi::initialize_with_threading(Threading::Funneled)
                .expect("MPI starts");
            Some(universe)
        }
        ("single" | "funneled", false) => None,
        (other, _) => panic!("unknown case {other:?}: see the top of tests/programs/preinit.rs"),
    };
    let cluster = match Cluster::init() {
        Ok(cluster) => cluster,
        Err(e) => {
            println!("rank {rank}: init failed: {e}");
            return Ok(());
        }
    };
    let sum = cluster.map_reduce(
        0..100,
        Distribution::Dynamic { chunk: 7 },
        Schedule::default(),
        || 0u64,
        |i| i,
        |a, b| a + b,
    )?;
    println!("rank {rank}: sum {sum}");
    Ok(())
}

//! Every error a distributed call can return, on every rank; launched by
//! `tests/mpirun.rs` under `mpirun -np 4`. Each rank prints `rank R: CASE: MESSAGE` for each
//! case, then rank 0 prints `errors: all checked`. A call that does not fail as expected
//! panics, which ends the job (`MPI_Abort`).

use brigade_mpi::{Cluster, DistError, Distribution, InitError, Schedule, Wire, WireError};

/// A result whose `decode` reads one byte less than `encode` wrote.
struct Lopsided(u32);

impl Wire for Lopsided {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        out.push(0);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        u32::decode(input).map(Lopsided)
    }
}

/// The sum of `0..100`, across the ranks.
fn plain(cluster: &Cluster) -> Result<u64, DistError> {
    let s = Schedule::default();
    cluster.map_reduce(0..100, Distribution::Static, s, || 0, |i| i, |a, b| a + b)
}

/// Twice the sum of `0..100`: the same call as [`plain`] but for its body.
fn doubled(cluster: &Cluster) -> Result<u64, DistError> {
    let s = Schedule::default();
    cluster.map_reduce(
        0..100,
        Distribution::Static,
        s,
        || 0,
        |i| 2 * i,
        |a, b| a + b,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = Cluster::init()?;
    let rank = cluster.rank();
    let size = cluster.size();
    let report = |case: &str, err: &dyn std::fmt::Display| println!("rank {rank}: {case}: {err}");
    let s = Schedule::default();
    let d = Distribution::Dynamic { chunk: 3 };

    match Cluster::init() {
        Err(e @ InitError::AlreadyInitialized) => report("already initialized", &e),
        other => panic!("a second init: {other:?}"),
    }

    match cluster.for_each(5..5, d, s, |_| ()) {
        Err(e @ DistError::EmptyRange { start: 5, end: 5 }) => report("empty range", &e),
        other => panic!("empty range: {other:?}"),
    }

    let few = size as u64 - 1;
    match cluster.map_reduce(
        0..few,
        Distribution::Static,
        s,
        || 0u64,
        |i| i,
        |a, b| a + b,
    ) {
        Err(e @ DistError::MoreRanksThanItems { .. }) => report("more ranks than items", &e),
        other => panic!("more ranks than items: {other:?}"),
    }

    // Under Dynamic a rank may get no chunk at all: fewer items than ranks is no error.
    let one = Distribution::Dynamic { chunk: 1 };
    let sum = cluster.map_reduce(0..few, one, s, || 0u64, |i| i, |a, b| a + b)?;
    let gathered = cluster.gather(0..few, one, s, |i| i)?;
    report(
        "fewer items than ranks under Dynamic",
        &format!("sum {sum}, gathered {gathered:?}"),
    );

    match cluster.gather(0..100, Distribution::Dynamic { chunk: 0 }, s, |i| i) {
        Err(e @ DistError::ZeroChunk) => report("chunk 0", &e),
        other => panic!("chunk 0: {other:?}"),
    }

    // More items than one gather can bring to rank 0: refused before any is computed.
    match cluster.gather(0..u64::MAX, Distribution::Static, s, |i| i) {
        Err(e @ DistError::TooManyToGather { .. }) => report("too many items to gather", &e),
        Ok(_) => panic!("too many items to gather: Ok"),
        Err(other) => panic!("too many items to gather: {other:?}"),
    }

    // Rank 1 loops over one item more than the others.
    let end = 100 + u64::from(rank == 1);
    match cluster.for_each(0..end, d, s, |_| ()) {
        Err(e @ DistError::RanksDisagree { .. }) => report("ranks disagree on the range", &e),
        other => panic!("ranks disagree on the range: {other:?}"),
    }

    // The last rank returns another result type.
    let r = if rank == size - 1 {
        cluster
            .map_reduce(0..100, d, s, || 0u32, |i| i as u32, |a, b| a + b)
            .map(u64::from)
    } else {
        cluster.map_reduce(0..100, d, s, || 0u64, |i| i, |a, b| a + b)
    };
    match r {
        Err(e @ DistError::RanksDisagree { .. }) => report("ranks disagree on the type", &e),
        other => panic!("ranks disagree on the type: {other:?}"),
    }

    // Two calls alike in verb, range, distribution and result type, made in another order
    // on rank 1: told apart by their call sites.
    let (first, second) = if rank == 1 {
        (doubled(&cluster), plain(&cluster))
    } else {
        (plain(&cluster), doubled(&cluster))
    };
    for r in [first, second] {
        match r {
            Err(e @ DistError::RanksDisagree { .. }) => {
                report("ranks disagree on the call site", &e)
            }
            other => panic!("ranks disagree on the call site: {other:?}"),
        }
    }

    // A result type whose Wire impl does not read back what it wrote.
    let r = cluster.map_reduce(
        0..100,
        d,
        s,
        || Lopsided(0),
        |i| Lopsided(i as u32),
        |a, b| Lopsided(a.0 + b.0),
    );
    match r {
        Err(e @ DistError::Decode { .. }) => report("map_reduce result cannot travel", &e),
        Ok(_) => panic!("map_reduce result cannot travel: Ok"),
        Err(other) => panic!("map_reduce result cannot travel: {other:?}"),
    }
    match cluster.gather(0..100, Distribution::Static, s, |i| Lopsided(i as u32)) {
        Err(e @ DistError::Decode { .. }) => report("gather result cannot travel", &e),
        Ok(_) => panic!("gather result cannot travel: Ok"),
        Err(other) => panic!("gather result cannot travel: {other:?}"),
    }

    // The ranks are still in step: a correct call after all of these works.
    let sum = cluster.map_reduce(0..100, d, s, || 0u64, |i| i, |a, b| a + b)?;
    assert_eq!(sum, 4950);
    if rank == 0 {
        println!("errors: all checked");
    }
    Ok(())
}

//! How a parallel loop cuts its range into pieces for the workers: [`Schedule`].

/// How a parallel loop ([`for_each`](crate::for_each), [`map_reduce`](crate::map_reduce),
/// [`for_each_chunk`](crate::for_each_chunk)) cuts its range `0..len` into pieces for the
/// pool's workers.
///
/// The default, [`Adaptive`](Schedule::Adaptive) with `min_len: 1`, is the one that
/// brigade's `scalability` bench shows best or close to best on every workload it measures
/// (uniform, skewed, tiny bodies, nested; see `docs/scheduling.md`), so most loops never need
/// to pick one. The others are there for the cases where you know the shape of the work
/// better than any runtime can, and to compare.
///
/// | schedule | pieces | overhead | balances skew |
/// |---|---|---|---|
/// | `Static` | one block per worker | lowest | no |
/// | `StaticChunks { chunk }` | `chunk`-sized, dealt round-robin | low | partly |
/// | `Dynamic { chunk }` | next `chunk` from a shared counter | one atomic add per chunk | yes, at the cost of contention on small chunks |
/// | `Guided { min_chunk }` | `remaining / threads`, at least `min_chunk` | one CAS per piece, few pieces | mostly; poorly when the costly part comes first |
/// | `Adaptive { min_len }` | halves of what remains, split off by idle workers | a clock read and a CAS per ~10 µs block | yes |
///
/// A `chunk`, `min_chunk` or `min_len` of 0 counts as 1. The pieces
/// [`for_each_chunk`](crate::for_each_chunk) hands its body are as each variant below says
/// on every pool, one worker included. With one worker, `for_each` and `map_reduce` run
/// the loop as one sequential piece, since nothing they return depends on the cut.
///
/// # Results of `map_reduce`
///
/// Every schedule combines partial results in index order, so for an associative `reduce`
/// the result equals the sequential fold (`reduce` need not be commutative). `Static` and
/// `StaticChunks` also group them the same way on every run with the same length and
/// thread count, which matters for floating-point sums: they are reproducible run to run,
/// while the other schedules' groupings (and so the rounding) depend on timing.
///
/// # Examples
///
/// ```
/// use brigade::Schedule;
///
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let schedules = [
///     Schedule::Static,
///     Schedule::StaticChunks { chunk: 64 },
///     Schedule::Dynamic { chunk: 16 },
///     Schedule::Guided { min_chunk: 8 },
///     Schedule::Adaptive { min_len: 1 },
///     Schedule::default(),
/// ];
/// for schedule in schedules {
///     let sum = pool.map_reduce(0..1000u64, schedule, || 0, |i| i, |a, b| a + b);
///     assert_eq!(sum, 499_500);
/// }
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Schedule {
    /// One contiguous block per worker, of equal length (OpenMP's `schedule(static)`). The
    /// cheapest schedule and the most cache-friendly for uniform work, but a block that
    /// costs more than the others (skew), or a worker that is busy elsewhere or descheduled,
    /// holds up the whole loop.
    Static,
    /// Chunks of `chunk` items dealt round-robin to the workers: worker `i` of `n` takes
    /// chunks `i`, `i + n`, `i + 2n`, ... (OpenMP's `schedule(static, chunk)`). Spreads
    /// smooth skew (cost that grows along the range) over all workers, at no cost of
    /// coordination.
    StaticChunks {
        /// Items per chunk.
        chunk: usize,
    },
    /// Workers claim the next `chunk` items from a shared counter until none are left
    /// (OpenMP's `schedule(dynamic, chunk)`). Balances any skew, but every claim is an
    /// atomic add on one cache line that all workers share: keep `chunk` large enough that
    /// a chunk takes well over a microsecond.
    Dynamic {
        /// Items per claim.
        chunk: usize,
    },
    /// Like `Dynamic`, but each claim takes the remaining items divided by the number of
    /// workers (rounded up), and at least `min_chunk` (OpenMP's
    /// `schedule(guided, min_chunk)`): few claims, large at first and small at the end. So
    /// the first piece is half the loop on two workers, and the whole loop on one.
    Guided {
        /// The smallest claim, except for the last one.
        min_chunk: usize,
    },
    /// Lazy binary splitting, the default. A worker runs its piece in blocks of about
    /// 10 µs (sized by measuring, so tiny bodies still run as a plain inner loop) and
    /// leaves what remains open to thieves from the start: an idle worker takes the upper
    /// half of what is left at that moment (the last item too) and does the same with it.
    /// A sleeping worker is woken for it at once if the pool was idle, else at the end of
    /// the first block 10 µs or more into the piece, or by the pool's heartbeat (every
    /// 100 µs by default, [`heartbeat_interval`](crate::ThreadPoolBuilder::heartbeat_interval))
    /// if the first item is longer, so a loop of a few long items runs them side by side.
    /// So
    /// the range is cut only where a steal happens, as rayon's adaptive splitting and
    /// oneTBB's `auto_partitioner` aim for, but decided while the loop runs: a costly
    /// stretch found late is still shared, and a thief does not wait for a busy (or
    /// descheduled) worker to hand work over.
    ///
    /// Blocks and steals are made of whole runs of `min_len` items counted from the start
    /// of the loop, the last run with the `len % min_len` items left over too, so every
    /// piece (every block a `for_each_chunk` body gets) holds at least `min_len` items
    /// unless the whole loop holds fewer: a multiple of `min_len`, plus the leftover for the
    /// last piece.
    Adaptive {
        /// The fewest items in a piece, unless the whole loop holds fewer.
        min_len: usize,
    },
}

impl Default for Schedule {
    /// `Adaptive { min_len: 1 }`.
    fn default() -> Self {
        Schedule::Adaptive { min_len: 1 }
    }
}

//! Parallel loops: `for_each`, `map_reduce` and `for_each_chunk`, on the current pool, and
//! the dispatch from a [`Schedule`] to the code that runs it.

use std::sync::Arc;

use crate::loops::Schedule;
use crate::loops::adaptive::run_adaptive;
use crate::loops::body::{Body, ForEach, ForEachChunk, Loop, MapReduce};
use crate::loops::claim::{Claim, run_claimed};
use crate::loops::fixed::{run_blocks, run_chunks};
use crate::loops::source::LoopSource;
use crate::pool::{Registry, WorkerThread, in_worker};

/// Runs a loop on `worker`'s pool; with no worker (a thread outside every pool), only a
/// loop of at most one item, which runs right here (`enter`).
pub(crate) fn run_loop<S, B>(
    worker: Option<&WorkerThread>,
    source: S,
    schedule: Schedule,
    body: &B,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    // Pieces on other workers read it; not padded (`Loop`).
    let lp = Loop::new(source, body);
    let lp: &Loop<'_, S, B> = &lp;
    let len = lp.len();
    if len == 0 {
        return lp.identity();
    }
    let worker = match worker {
        Some(worker) if len > 1 && (B::SEES_PIECES || worker.registry().num_threads() > 1) => {
            worker
        }
        // SAFETY: the whole range, once.
        _ => return unsafe { lp.fold(lp.identity(), 0, len) },
    };
    match schedule {
        Schedule::Static => run_blocks(worker, lp),
        Schedule::StaticChunks { chunk } => run_chunks(worker, lp, chunk),
        Schedule::Dynamic { chunk } => run_claimed(worker, lp, Claim::Dynamic(chunk.max(1))),
        Schedule::Guided { min_chunk } => run_claimed(worker, lp, Claim::Guided(min_chunk.max(1))),
        Schedule::Adaptive { min_len } => run_adaptive(worker, lp, min_len),
    }
}

/// Runs a loop on `pool`'s registry, or on the current pool (this worker's, or the global
/// one) if `None`: the one entry of the free functions and the `ThreadPool` methods.
///
/// Called from a thread outside every pool with no `pool`, a loop of at most one item has
/// nothing to share, so it runs right on the calling thread, as rayon's does; any other goes
/// to a worker of the global pool. (Sending it there is a round trip of about a
/// microsecond: 20,000 `par_extend`s of one item each, or sums of one item, from `main` took
/// 20 to 50 ms that way, against rayon's 0.2 to 0.4 ms.)
pub(crate) fn enter<S, B>(
    pool: Option<&Arc<Registry>>,
    source: S,
    schedule: Schedule,
    body: &B,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    match pool {
        Some(registry) => registry
            .in_worker(|worker: &WorkerThread, _| run_loop(Some(worker), source, schedule, body)),
        None => match WorkerThread::current() {
            Some(worker) => run_loop(Some(worker), source, schedule, body),
            None => enter_outside(source, schedule, body),
        },
    }
}

/// `enter` from a thread outside every pool, with no pool given. Out of line: inlined, it
/// made `enter` too large for its callers to inline, and a one-item loop on a worker ran
/// about 40 more instructions (callgrind).
#[cold]
#[inline(never)]
fn enter_outside<S, B>(source: S, schedule: Schedule, body: &B) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    if source.checked_len().is_some_and(|len| len <= 1) {
        return run_loop(None, source, schedule, body);
    }
    in_worker(|worker: &WorkerThread, _| run_loop(Some(worker), source, schedule, body))
}

/// Calls `body` once for every item of `source`, in parallel on the current pool (the pool
/// of this worker thread, or the global pool), cut into pieces by `schedule`. A loop of at
/// most one item called from outside every pool runs on the calling thread.
///
/// `source` is an integer range (the body gets each integer), a slice or `&Vec` (the body
/// gets `&T`), or a mutable slice or `&mut Vec` (the body gets `&mut T`); see
/// [`LoopSource`]. [`ThreadPool::for_each`](crate::ThreadPool::for_each) does the same on a
/// given pool.
///
/// # Panics
///
/// If `body` panics, pieces not yet started are skipped, pieces already running finish,
/// and then the panic is re-raised here. No item is ever visited twice.
///
/// Panics before running anything if `source` is a range of more than `usize::MAX` items
/// (see [`LoopSource`]).
///
/// # Examples
///
/// ```
/// use brigade::Schedule;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// let mut pixels = vec![0u8; 64 * 64];
/// brigade::for_each(&mut pixels, Schedule::default(), |p| *p = 255);
/// assert!(pixels.iter().all(|&p| p == 255));
///
/// let total = AtomicU64::new(0);
/// brigade::for_each(0..1000u64, Schedule::Dynamic { chunk: 50 }, |i| {
///     total.fetch_add(i, Ordering::Relaxed);
/// });
/// assert_eq!(total.into_inner(), 499_500);
/// ```
pub fn for_each<S, F>(source: S, schedule: Schedule, body: F)
where
    S: LoopSource,
    F: Fn(S::Item) + Sync,
{
    enter(None, source, schedule, &ForEach(body));
}

/// Maps every item of `source` with `map` and combines the results with `reduce`, in
/// parallel on the current pool, cut into pieces by `schedule`.
///
/// Each piece starts from `identity()` and folds its items in order with
/// `reduce(acc, map(item))`; the pieces' results are then combined in index order. So for
/// an associative `reduce` whose `identity()` is neutral, the result equals the sequential
/// `source.map(map).fold(identity(), reduce)`, with any schedule; `reduce` need not be
/// commutative. Floating-point addition is not associative: the result then depends on
/// the grouping, which is fixed for [`Schedule::Static`] and [`Schedule::StaticChunks`]
/// (same length, same thread count, same result) and varies from run to run for the
/// others. [`ThreadPool::map_reduce`](crate::ThreadPool::map_reduce) does the same on a
/// given pool.
///
/// # Panics
///
/// As [`for_each`]: a panic in `map`, `reduce` or `identity` is re-raised here once the
/// pieces already running have finished.
///
/// # Examples
///
/// ```
/// use brigade::Schedule;
///
/// let v: Vec<u64> = (1..=1000).collect();
/// let sum_sq = brigade::map_reduce(&v, Schedule::default(), || 0, |x| x * x, |a, b| a + b);
/// assert_eq!(sum_sq, 333_833_500);
///
/// // Associative but not commutative: concatenation keeps the order.
/// let s = brigade::map_reduce(0..20u8, Schedule::Guided { min_chunk: 2 }, String::new,
///     |i| char::from(b'a' + i).to_string(), |a, b| a + &b);
/// assert_eq!(s, "abcdefghijklmnopqrst");
/// ```
pub fn map_reduce<S, T, ID, M, R>(
    source: S,
    schedule: Schedule,
    identity: ID,
    map: M,
    reduce: R,
) -> T
where
    S: LoopSource,
    T: Send,
    ID: Fn() -> T + Sync,
    M: Fn(S::Item) -> T + Sync,
    R: Fn(T, T) -> T + Sync,
{
    let body = MapReduce {
        identity,
        map,
        reduce,
    };
    enter(None, source, schedule, &body)
}

/// Calls `body` once per piece of `source` as `schedule` cuts it, with the index of the
/// piece's first item and the piece itself: a sub-slice (`&[T]`, or `&mut [T]` for a
/// mutable source) or a sub-range (`Range` for `a..b`, `RangeInclusive` for `a..=b`, so
/// that a piece can end at the type's `MAX`; see [`LoopSource::Piece`]). For work that
/// pays a cost per piece rather than per item (a buffer, a lock, a call into a vectorized
/// kernel), on the current pool.
///
/// Pieces are what the schedule makes them, on a pool of any size (one thread included):
///
/// - `Static`: one block per worker, of equal length within one item.
/// - `StaticChunks { chunk }`, `Dynamic { chunk }`: `chunk` items, the last one shorter.
/// - `Guided { min_chunk }`: the items not yet claimed divided by the number of workers,
///   rounded up, and at least `min_chunk` (the last one may be shorter); on one worker,
///   the whole source.
/// - `Adaptive { min_len }`: blocks of about 10 µs of work, each a multiple of `min_len`
///   items, and the source's last piece also takes the `len % min_len` left over (so no
///   piece is shorter than `min_len` unless the source is). The time counted is
///   the part that grows with the items: a body with a cost per call of 20 µs gets blocks
///   long enough for the items' time to match it, not one item per call (the last few
///   calls of a piece are still short: a claim takes at most a quarter of what is left,
///   or of the block while that leaves each other worker its share).
///
/// They are never empty, are disjoint, and cover the source.
/// [`ThreadPool::for_each_chunk`](crate::ThreadPool::for_each_chunk) does the same on a
/// given pool.
///
/// # Panics
///
/// As [`for_each`].
///
/// # Examples
///
/// ```
/// use brigade::Schedule;
///
/// // Each chunk of 100 gets the index of its first item.
/// let mut v = vec![0usize; 1000];
/// brigade::for_each_chunk(&mut v, Schedule::Dynamic { chunk: 100 }, |start, chunk| {
///     for (i, x) in chunk.iter_mut().enumerate() {
///         *x = start + i;
///     }
/// });
/// assert!(v.iter().enumerate().all(|(i, &x)| x == i));
///
/// // Pieces of an inclusive range are inclusive: the last one ends at 255.
/// let items = std::sync::atomic::AtomicUsize::new(0);
/// brigade::for_each_chunk(0..=u8::MAX, Schedule::Dynamic { chunk: 100 }, |start, piece| {
///     assert_eq!(usize::from(*piece.start()), start);
///     items.fetch_add(piece.count(), std::sync::atomic::Ordering::Relaxed);
/// });
/// assert_eq!(items.into_inner(), 256);
/// ```
pub fn for_each_chunk<S, F>(source: S, schedule: Schedule, body: F)
where
    S: LoopSource,
    F: Fn(usize, S::Piece) + Sync,
{
    enter(None, source, schedule, &ForEachChunk(body));
}

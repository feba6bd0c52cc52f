//! What a loop does with a piece (`for_each`, `map_reduce`, `for_each_chunk`), and the state
//! one running loop shares between the workers that run its pieces.

use crate::loom::{AtomicBool, Ordering};
use crate::loops::LoopSource;

/// What a loop does with its pieces: folds each into an accumulator, and combines the
/// accumulators of neighbouring pieces, the left one first.
pub(crate) trait Body<S: LoopSource>: Sync {
    type Acc: Send;
    /// True if the body sees the pieces (`for_each_chunk`), so that a loop must cut the
    /// source as its schedule promises even where nobody could share the work (one worker).
    /// Otherwise the cut changes nothing a caller can rely on (`map_reduce` combines pieces
    /// in order), and such a loop runs as one piece.
    const SEES_PIECES: bool = false;
    fn identity(&self) -> Self::Acc;
    /// Folds the piece that starts at index `start` into `acc`. Only [`Loop::fold`] calls
    /// it, so the pieces a body sees are disjoint and each index comes at most once: a body
    /// may rely on that (the parallel iterators of `iter/` do, to rebuild `&mut` and owned
    /// items from the piece's bounds).
    fn fold(&self, acc: Self::Acc, start: usize, piece: S::Piece) -> Self::Acc;
    /// Combines the results of two neighbouring pieces, `left` before `right`.
    fn reduce(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc;
    /// True once the body needs no more pieces (an early exit such as `any` found its
    /// answer): the loop then stops handing them out, as after a panic.
    #[inline]
    fn done(&self) -> bool {
        false
    }
    /// True once the body needs no item at index `start` or later (a `find_first` found one
    /// before it). Every schedule hands each worker its pieces in increasing order (and
    /// the shared counters of `Dynamic` and `Guided` only grow), so a worker that meets
    /// such a piece leaves the rest of its share: over a long loop of small pieces, skipping
    /// them one by one cost as much as running them.
    #[inline]
    fn done_from(&self, _start: usize) -> bool {
        false
    }

    /// True once the body needs no item at an index in `start..end` ([`done_from`]
    /// `start`, by default): a stretch of the loop that may end early before the rest of
    /// it (the first side of a `chain` whose `take_any` has closed).
    ///
    /// [`done_from`]: Self::done_from
    #[inline]
    fn done_within(&self, start: usize, _end: usize) -> bool {
        self.done_from(start)
    }

    /// The first index at or after `start` whose item the body may still need (`start`,
    /// unless a stretch after it is known to yield nothing: the closed first side of a
    /// chain). The loops that deal out chunks jump there.
    #[inline]
    fn live_from(&self, start: usize) -> usize {
        start
    }
}

/// `for_each`: the body once per item.
pub(crate) struct ForEach<F>(pub(crate) F);

impl<S, F> Body<S> for ForEach<F>
where
    S: LoopSource,
    F: Fn(S::Item) + Sync,
{
    type Acc = ();

    #[inline]
    fn identity(&self) {}

    #[inline]
    fn fold(&self, _: (), _start: usize, piece: S::Piece) {
        piece.into_seq().for_each(&self.0);
    }

    #[inline]
    fn reduce(&self, _: (), _: ()) {}
}

/// `map_reduce`: `reduce(acc, map(item))` over each piece, in order.
pub(crate) struct MapReduce<ID, M, R> {
    pub(crate) identity: ID,
    pub(crate) map: M,
    pub(crate) reduce: R,
}

impl<S, T, ID, M, R> Body<S> for MapReduce<ID, M, R>
where
    S: LoopSource,
    T: Send,
    ID: Fn() -> T + Sync,
    M: Fn(S::Item) -> T + Sync,
    R: Fn(T, T) -> T + Sync,
{
    type Acc = T;

    #[inline]
    fn identity(&self) -> T {
        (self.identity)()
    }

    #[inline]
    fn fold(&self, acc: T, _start: usize, piece: S::Piece) -> T {
        fold_apart(piece.into_seq(), acc, |acc, item| {
            (self.reduce)(acc, (self.map)(item))
        })
    }

    #[inline]
    fn reduce(&self, left: T, right: T) -> T {
        (self.reduce)(left, right)
    }
}

/// `items.fold(acc, op)` in a function of its own, for the reductions (`map_reduce` here,
/// `reduce` and `reduce_with` in `iter::reduce`, so `min`, `max` and their kin): the loop
/// over a piece is then compiled by itself, as in sequential code. Inlined into the loop
/// machinery, it compiled to one dependent `cmov` per item: `(0..n).into_par_iter().map(f)
/// .max()` over 100,000 items took 67 µs on one thread (the sequential iterator 17) and 35
/// on two (rayon 9 to 16), a `map_reduce` taking the same max 38 µs on two threads; apart,
/// 11, 7 to 11 and 7.7 µs. Only the reductions take this detour: around every consumer's
/// `feed` it slowed `par_split_whitespace().count()` by a fifth. The call costs a few
/// nanoseconds per piece.
#[inline(never)]
pub(crate) fn fold_apart<T, I: Iterator, F: FnMut(T, I::Item) -> T>(items: I, acc: T, op: F) -> T {
    items.fold(acc, op)
}

/// `for_each_chunk`: the body once per piece, with the index of its first item.
pub(crate) struct ForEachChunk<F>(pub(crate) F);

impl<S, F> Body<S> for ForEachChunk<F>
where
    S: LoopSource,
    F: Fn(usize, S::Piece) + Sync,
{
    type Acc = ();
    const SEES_PIECES: bool = true;

    #[inline]
    fn identity(&self) {}

    #[inline]
    fn fold(&self, _: (), start: usize, piece: S::Piece) {
        (self.0)(start, piece);
    }

    #[inline]
    fn reduce(&self, _: (), _: ()) {}
}

/// One running loop, shared by every worker that runs a piece of it. It lives on the
/// stack of the thread that started the loop (`run_loop`). Not padded to a cache line of its
/// own: the frames below it are the loop's own calls, whose busy locals lie hundreds of bytes
/// further down, and a 128-byte-aligned local here cost each level of nested loops about 400
/// bytes of stack (no change in the loop benches or in instructions without it).
pub(crate) struct Loop<'b, S: LoopSource, B> {
    raw: S::Raw,
    len: usize,
    body: &'b B,
    /// Set when a piece panicked: pieces not yet started are skipped.
    stopped: AtomicBool,
}

impl<'b, S, B> Loop<'b, S, B>
where
    S: LoopSource,
    B: Body<S>,
{
    /// # Panics
    ///
    /// If `source` has more than `usize::MAX` items.
    pub(crate) fn new(source: S, body: &'b B) -> Self {
        let Some(len) = source.checked_len() else {
            too_long()
        };
        Loop {
            len,
            raw: source.into_raw(),
            body,
            stopped: AtomicBool::new(false),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn identity(&self) -> B::Acc {
        self.body.identity()
    }

    #[inline]
    pub(crate) fn reduce(&self, left: B::Acc, right: B::Acc) -> B::Acc {
        self.body.reduce(left, right)
    }

    /// True once a piece has panicked, or the body is done.
    #[inline]
    pub(crate) fn stopped(&self) -> bool {
        // Relaxed: a hint to skip work; the panic itself travels through the joins.
        self.stopped.load(Ordering::Relaxed) || self.body.done()
    }

    /// `stopped`, or the body needs nothing from index `start` on ([`Body::done_from`]).
    #[inline]
    pub(crate) fn stopped_from(&self, start: usize) -> bool {
        self.stopped() || self.body.done_from(start)
    }

    /// The first index at or after `start` that the body may still need
    /// ([`Body::live_from`]).
    #[inline]
    pub(crate) fn live_from(&self, start: usize) -> usize {
        self.body.live_from(start)
    }

    /// `stopped`, or the body needs nothing from `start..end` ([`Body::done_within`]).
    #[inline]
    pub(crate) fn stopped_within(&self, start: usize, end: usize) -> bool {
        self.stopped() || self.body.done_within(start, end)
    }

    /// Runs the items `start..end` into `acc`.
    ///
    /// # Safety
    ///
    /// `start <= end <= self.len()`, and no other call with an overlapping range runs at
    /// the same time, or ever did (every index is run once).
    #[inline]
    pub(crate) unsafe fn fold(&self, acc: B::Acc, start: usize, end: usize) -> B::Acc {
        debug_assert!(start <= end && end <= self.len);
        // SAFETY: the caller's promise is what `piece` asks for; the source's borrow lives
        // as long as `'b`, which outlives the loop.
        let piece = unsafe { S::piece(self.raw, start, end) };
        let guard = StopOnUnwind(&self.stopped);
        let acc = self.body.fold(acc, start, piece);
        std::mem::forget(guard);
        acc
    }
}

#[cold]
#[inline(never)]
fn too_long() -> ! {
    panic!(
        "a parallel loop numbers its items with usize, and this range has more than usize::MAX \
         items: split it into parts of at most usize::MAX items"
    )
}

/// Stops the loop if dropped, that is if a piece unwinds.
struct StopOnUnwind<'a>(&'a AtomicBool);

impl Drop for StopOnUnwind<'_> {
    #[cold]
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

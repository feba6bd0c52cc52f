//! `Adaptive`: lazy binary splitting, done by the thieves.
//!
//! A worker runs its piece of the range in blocks, sized by measuring so that a block takes
//! about `BLOCK_TARGET` (one item for heavy bodies, thousands for tiny ones, so the inner
//! loop stays a plain loop the compiler can vectorize). Once a piece has run for one block
//! target (or one block, if some worker is awake and searching) and items remain, its owner
//! keeps what is left in a [`Stealable`] range and offers one *token* job on its deque. An idle worker that steals the token takes the upper
//! half of what is left at that moment (`Stealable::steal_half`), offers a new token for the
//! same range on its own deque (so the range stays open to thieves even if its owner is
//! descheduled), and runs its half as a piece of its own, which gets a token of its own in
//! turn. The owner goes on claiming blocks from the front; when it sees a steal, it moves
//! what is left to a fresh range with a fresh token on its own deque.
//!
//! So the range is cut only where a steal happens, into halves of what remains at the
//! moment of the steal, as late as possible: a costly stretch found late is still shared,
//! which splitting decided up front (rayon's adaptive splitter, oneTBB's auto partitioner)
//! cannot do once a piece has started. And a thief never waits for the owner to notice it:
//! it splits the owner's range itself, even while the owner is in the middle of a long item
//! or descheduled.
//!
//! The token is the second half of a `join_now`: the owner's claims are the first half, so
//! results combine in index order, and the owner waits for the thief's half like any
//! `join`. A piece whose token nobody took pops it back and drops it. Each token taken
//! halves a range, so a worker nests at most `log2(len)` of these joins.
//!
//! Everything above counts in *groups* of `min_len` items from the start of the loop (the
//! last group may be shorter): blocks, claims and steals are whole groups, so every piece a
//! body sees has at least `min_len` items, except the last piece of the loop. With the
//! default `min_len` of 1 a group is an item.

use std::time::{Duration, Instant};

use crate::join::join_now;
use crate::loops::body::{Body, Loop};
use crate::loops::source::LoopSource;
use crate::loops::stealable::{self, Stealable};
use crate::pool::WorkerThread;

/// How long a block should take: long enough that a clock read and a CAS per block cost
/// nothing, short enough that a piece offers its token soon after it starts.
const BLOCK_TARGET: Duration = Duration::from_micros(10);

/// Runs the loop.
pub(crate) fn run_adaptive<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    min_len: usize,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let groups = Groups::new(lp.len(), min_len);
    let mut acc = lp.identity();
    let mut start = 0;
    // A `Stealable` holds at most `MAX_LEN` groups: longer loops run in segments. A loop
    // that stopped (a panic, an early exit) skips the segments left: over `0..u64::MAX`
    // there are 2^32 of them, and going through each took minutes.
    while start < groups.count && !lp.stopped_from(groups.first_item(start)) {
        let end = groups.count.min(start + stealable::MAX_LEN);
        acc = piece(worker, lp, groups, start, end, acc);
        start = end;
    }
    acc
}

/// The loop's items `0..len` as `count` groups of `size` items (the last one shorter if
/// `size` does not divide `len`): the unit in which this module cuts the loop.
#[derive(Clone, Copy)]
struct Groups {
    size: usize,
    len: usize,
    count: usize,
}

impl Groups {
    fn new(len: usize, min_len: usize) -> Self {
        let size = min_len.max(1);
        Groups {
            size,
            len,
            count: len.div_ceil(size),
        }
    }

    /// The index of group `g`'s first item (`len` or more past the last group).
    #[inline]
    fn first_item(&self, g: usize) -> usize {
        g.saturating_mul(self.size)
    }

    /// Folds the items of groups `start..end` into `acc`.
    ///
    /// # Safety
    ///
    /// As [`Loop::fold`], for the items of those groups: `start < end <= count`, and no
    /// other call with an overlapping range of groups runs at the same time, or ever did.
    #[inline]
    unsafe fn fold<S, B>(
        &self,
        lp: &Loop<'_, S, B>,
        acc: B::Acc,
        start: usize,
        end: usize,
    ) -> B::Acc
    where
        S: LoopSource,
        B: Body<S>,
    {
        debug_assert!(start < end && end <= self.count);
        // `start * size < len` as `start < count`; only the end of the last group can pass
        // `len` (and then `usize::MAX`, hence the saturating product).
        let (first, past) = (
            start * self.size,
            end.saturating_mul(self.size).min(self.len),
        );
        // SAFETY: disjoint groups have disjoint items, all within `0..len`.
        unsafe { lp.fold(acc, first, past) }
    }
}

/// Folds groups `start..end` into `acc`: alone for the first block target, then with a
/// token.
fn piece<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    start: usize,
    end: usize,
    mut acc: B::Acc,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let mut ran = Duration::ZERO;
    let mut block = Block::new();
    let mut at = start;
    while at < end {
        let stop = at + block.len.min(end - at);
        // SAFETY: this call owns `start..end` alone (it came from the loop's range, or
        // from a steal that moved the owner's end below it) and runs it in consecutive
        // blocks, once.
        acc = unsafe { groups.fold(lp, acc, at, stop) };
        at = stop;
        if lp.stopped_from(groups.first_item(at)) {
            return acc;
        }
        ran += block.measure();
        // Two groups left at least, so that a steal leaves one on each side. Offered after a
        // block target, or after the first block if a worker is searching: it takes the
        // token without being woken, and loops of a few microseconds (time steps) are
        // shared from their start instead of after most of their work is done.
        if end - at >= 2 && (ran >= BLOCK_TARGET || worker.registry().sleep.some_searching()) {
            return offer(worker, lp, groups, at, end, acc, block);
        }
    }
    acc
}

/// Folds groups `start..end` into `acc` while offering their back half to thieves (module
/// docs).
fn offer<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    start: usize,
    end: usize,
    acc: B::Acc,
    block: Block,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let range = Stealable::new(start, end);
    let (a, b) = join_now(
        worker,
        |w| claim_blocks(w, lp, groups, &range, acc, block),
        |w| take_token(w, lp, groups, &range),
    );
    lp.reduce(a, b)
}

/// A token's job: steals the upper half of what is left of `range` and runs it as a piece,
/// after offering `range` again from this worker's deque, so that others can go on
/// splitting it even while its owner is busy with a long item or descheduled. Each
/// offered token is the second half of a `join`, so the range outlives every token.
fn take_token<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    range: &Stealable,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    if lp.stopped() {
        // A piece panicked (the panic is on its way to the caller), or the body is done
        // (an early exit found its answer): leave the rest.
        return lp.identity();
    }
    match range.steal_half() {
        Some((s, e)) => {
            let (mine, below) = join_now(
                worker,
                |w| piece(w, lp, groups, s, e, lp.identity()),
                // Whatever a later steal takes lies below `s`: its result comes first.
                |w| take_token(w, lp, groups, range),
            );
            lp.reduce(below, mine)
        }
        // Popped back by its owner, or the rest was too short to share.
        None => lp.identity(),
    }
}

/// The owner's side of `offer`: claims blocks from the front until nothing is left, and
/// offers the rest again once the token was taken.
fn claim_blocks<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    range: &Stealable,
    mut acc: B::Acc,
    mut block: Block,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    while let Some((s, e)) = range.claim(block.len) {
        // SAFETY: `claim` hands out disjoint parts of the range, each once; steals take
        // parts disjoint from them.
        acc = unsafe { groups.fold(lp, acc, s, e) };
        if lp.stopped_from(groups.first_item(e)) {
            return acc;
        }
        block.measure();
        if range.was_stolen() {
            return match range.claim_rest() {
                Some((s, e)) if e - s >= 2 => offer(worker, lp, groups, s, e, acc, block),
                // SAFETY: claimed just above: ours alone.
                Some((s, e)) => unsafe { groups.fold(lp, acc, s, e) },
                None => acc,
            };
        }
    }
    acc
}

/// The block length in groups, grown or halved after each block to keep it near
/// `BLOCK_TARGET`: one
/// clock read per block, and few blocks to reach the target (a loop of 10 µs in all, as
/// inner loops often are, reads the clock about five times).
struct Block {
    len: usize,
    clock: Instant,
}

impl Block {
    fn new() -> Self {
        Block {
            len: 1,
            clock: Instant::now(),
        }
    }

    /// Ends a block: returns how long it took, and sizes the next one.
    #[inline]
    fn measure(&mut self) -> Duration {
        let now = Instant::now();
        let took = now.duration_since(self.clock);
        self.clock = now;
        if took < BLOCK_TARGET / 8 {
            self.len = self.len.saturating_mul(8);
        } else if took < BLOCK_TARGET / 2 {
            self.len = self.len.saturating_mul(2);
        } else if took > BLOCK_TARGET * 2 {
            self.len = (self.len / 2).max(1);
        }
        took
    }
}

//! `Adaptive`: lazy binary splitting, done by the thieves.
//!
//! A worker runs its piece of the range in blocks, sized by measuring so that a block takes
//! about `BLOCK_TARGET` (one item for heavy bodies, thousands for tiny ones, so the inner
//! loop stays a plain loop the compiler can vectorize). A piece of two groups is a `join`
//! of the two (`pair`). A piece of three groups or more keeps its range in a [`Stealable`]
//! and offers one *token* job on its deque before its first block, since that block may be
//! one long item. The push wakes nobody while the pool is busy (on an idle pool it does,
//! `WorkerThread::push_unannounced`): a searching worker takes the token as any job; if
//! nobody has by the end of a timed block a block target into the piece, the owner wakes a
//! sleeper for it; and the heartbeat thread wakes one at its next beat while the token sits
//! on the deque (`pool/heartbeat.rs`), so an idle worker waits at most about one heartbeat
//! interval for it even while the owner is inside a single long item. A loop of a few
//! microseconds thus costs a push and a pop, and no futex call. An idle worker that steals
//! the token takes the upper half of what is left at that moment, rounded up, so the last
//! group too (`Stealable::steal_half`), offers a new token for the same range on its own
//! deque (so the range stays open to thieves even if its owner is descheduled), and runs
//! its half as a piece of its own, which gets a token of its own in turn. The owner goes on
//! claiming blocks from the front; when it sees a steal, it moves what is left to a fresh
//! range with a fresh token on its own deque.
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
//! last group also takes the `len % min_len` items left over): blocks, claims and steals
//! are whole groups, so every piece a body sees has at least `min_len` items, unless the
//! whole loop has fewer. With the default `min_len` of 1 a group is an item.

use std::time::Duration;

use crate::join::{Announce, join_now, offer_now};
use crate::loops::body::{Body, Loop};
use crate::loops::clock::{self, Stamp};
use crate::loops::runs::Runs;
use crate::loops::source::LoopSource;
use crate::loops::stealable::{self, Stealable};
use crate::pool::WorkerThread;

/// How long a block should take: long enough that a clock read and a CAS per block cost
/// nothing, short enough that the owner wakes a sleeper for its token soon after it
/// starts.
pub(crate) const BLOCK_TARGET: Duration = Duration::from_micros(10);

/// A stolen piece that kept its thief busy for less than this (the steal included, its
/// waits for parts that others took from it left out) was a *crumb*. A steal alone keeps a
/// thief busy 0.5 to 1.5 µs on a 2-core VM, and its owner waits about as long for the
/// result: a piece must bring a few times that to be worth an eager search for the next.
/// A worker that steals crumbs in a row looks for work less eagerly
/// (`WorkerThread::note_steal_worth`, "Crumbs" in `docs/design.md`); with 1 µs here, the
/// steals of 1,000-item sums counted as worth it, and nothing changed for them.
const CRUMB: Duration = Duration::from_micros(4);

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
    if groups.count() == 2 && worker.registry().num_threads() > 1 {
        // As `piece` would, without its checks for a part that a thief took.
        return pair(worker, lp, groups, 0, lp.identity());
    }
    if groups.count() <= stealable::MAX_LEN {
        return piece(worker, lp, groups, 0, groups.count(), lp.identity());
    }
    halves(worker, lp, groups, 0, groups.count(), lp.identity())
}

/// Folds groups `start..end` into `acc`. A `Stealable` holds at most `MAX_LEN` groups: a
/// longer range is cut in halves up front, the upper one offered to idle workers at once
/// (as rayon splits), down to pieces a `Stealable` holds. So a thief starts on the far
/// half of a huge loop at once: run as segments one after the other, a search over
/// `0..2^63` whose answers all lay in the upper half went through 2^30 segments first.
/// A half above where the loop stopped (a panic, an early exit) is left at once.
///
/// Out of line, and not on the way to a loop that a `Stealable` holds: inlined, its join
/// made the frame of every loop level larger, nested loops or not (a nested loop's stack
/// per level, `docs/reliability.md`).
#[cold]
#[inline(never)]
fn halves<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    start: usize,
    end: usize,
    acc: B::Acc,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    if end - start <= stealable::MAX_LEN {
        return piece(worker, lp, groups, start, end, acc);
    }
    if lp.stopped_within(groups.first_item(start), groups.first_item(end)) {
        return acc;
    }
    let mid = start + (end - start) / 2;
    let (left, right) = join_now(
        worker,
        // A loop this long is worth a wake-up.
        Announce::Now,
        |w| halves(w, lp, groups, start, mid, acc),
        |w| halves(w, lp, groups, mid, end, lp.identity()),
    );
    lp.reduce(left, right)
}

/// The loop's items `0..len` as groups of at least `min_len` (`Runs`): the unit in which
/// this module cuts the loop.
#[derive(Clone, Copy)]
struct Groups(Runs);

impl Groups {
    #[inline]
    fn new(len: usize, min_len: usize) -> Self {
        Groups(Runs::new(0..len, min_len))
    }

    /// How many groups.
    #[inline]
    fn count(&self) -> usize {
        self.0.count()
    }

    /// The index of group `g`'s first item (`len` past the last group).
    #[inline]
    fn first_item(&self, g: usize) -> usize {
        self.0.start_of(g)
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
        debug_assert!(start < end && end <= self.count());
        let (first, past) = (self.first_item(start), self.first_item(end));
        // SAFETY: disjoint groups have disjoint items, all within `0..len`.
        unsafe { lp.fold(acc, first, past) }
    }
}

/// Folds groups `start..end` into `acc`: with a token from the start if there are two groups
/// or more and other workers to share them with, else alone, in blocks.
#[inline]
fn piece<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    start: usize,
    end: usize,
    acc: B::Acc,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    if lp.stopped_within(groups.first_item(start), groups.first_item(end)) {
        // Stolen after the loop stopped, or above an early exit's answer: without this, the
        // offers of pieces that stop at once made the work to end a stopped loop of `n`
        // items grow with `n` (`find_first` over `0..usize::MAX` never ended).
        return acc;
    }
    if end - start == 2 && worker.registry().num_threads() > 1 {
        return pair(worker, lp, groups, start, acc);
    }
    if end - start > 2 && worker.registry().num_threads() > 1 {
        // Offered before the first block: a first item may be long (two 20 ms items on two
        // threads took 40 ms when the range was offered only after a first block). In a
        // busy pool nobody is woken for it yet: a searcher takes it, the heartbeat thread
        // wakes a sleeper for it at its next beat if it is still there, and the owner wakes
        // one itself after a block target (`claim_blocks`). A loop of a few microseconds
        // thus costs a push and a pop, not a wake-up that finds nothing left.
        return offer(
            worker,
            lp,
            groups,
            start,
            end,
            acc,
            &mut Block::new(end - start),
            Announce::Later,
        );
    }
    alone(lp, groups, start, end, acc)
}

/// Folds groups `start..end` into `acc` in blocks, with nobody to share them with (a
/// 1-thread pool) or nothing to share (one group).
///
/// Out of line, as `offer` is: inlined into `piece`, the body's locals and the block
/// took room in the frame of every nested loop level that goes on to `offer`.
#[inline(never)]
fn alone<S, B>(
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
    let mut block = Block::new(end - start);
    let mut at = start;
    while at < end {
        let stop = at + block.len.min(end - at);
        // SAFETY: this call owns `start..end` alone (it came from the loop's range, or
        // from a steal that moved the owner's end below it) and runs it in consecutive
        // blocks, once.
        acc = unsafe { groups.fold(lp, acc, at, stop) };
        let len = stop - at;
        at = stop;
        if at == end || lp.stopped_from(groups.first_item(at)) {
            return acc;
        }
        block.measure(len);
    }
    acc
}

/// Folds the two groups `start` and `start + 1` into `acc` as the two halves of a `join`
/// (`join_on`, the one behind `brigade::join`): a loop of two groups is a `join`. The
/// second half is recorded as any join's is: open to theft at once among the worker's
/// outermost three, or, deeper, published at a heartbeat (module docs of `join.rs`). A
/// thief of a token would take the second group whole anyway, and the `Stealable` range,
/// its claims and the token's run cost more than the two groups of a tiny loop: the inner
/// loops of a tree walked with `par_iter` over each node's two children. On 2 threads a
/// loop of two items ran about 860 instructions with a token, 540 with a `join_now` (rayon's
/// about 365; callgrind), and a tree of 65,535 such loops took 2.1x rayon's time with a
/// token, 1.3x with a `join_now`, and 1.1x as a `join`.
#[inline(never)]
fn pair<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    start: usize,
    acc: B::Acc,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let (mid, end) = (start + 1, start + 2);
    let offerer = worker.index();
    let (a, b) = crate::join::join_on(
        worker,
        // SAFETY: the first group, run here once; the second is the other half's.
        || unsafe { groups.fold(lp, acc, start, mid) },
        || {
            let w = WorkerThread::current().expect("a job runs on a worker thread");
            noting_worth(w, offerer, || {
                if lp.stopped_within(groups.first_item(mid), groups.first_item(end)) {
                    return lp.identity();
                }
                // SAFETY: the second group, run by this half alone, once.
                unsafe { groups.fold(lp, lp.identity(), mid, end) }
            })
        },
    );
    lp.reduce(a, b)
}

/// Runs `f`, the part of a loop that `worker` took from `offerer` (a token, or a join's
/// second half, from its deque or its pending stack), and if it was stolen (another worker
/// offered it), tells the wait that ran it whether it was worth the steal (`CRUMB`): its
/// time, the steal included, less its waits for parts that others took from it.
#[inline]
fn noting_worth<R>(worker: &WorkerThread, offerer: usize, f: impl FnOnce() -> R) -> R {
    if worker.index() == offerer {
        return f();
    }
    let (started, waited) = (clock::now(), worker.waited());
    let result = f();
    // The time waiting for halves that others stole from this piece is theirs, not this
    // piece's: in a tiny loop it was most of the thief's time.
    let busy = clock::between(started, clock::now())
        .saturating_sub(worker.waited().saturating_sub(waited));
    // After the pieces nested in this one noted theirs: the wait that stole this part
    // reads this word.
    worker.note_steal_worth(busy >= CRUMB);
    result
}

/// Folds groups `start..end` into `acc` while offering their back half to thieves (module
/// docs); `announce` tells whether a sleeper is woken for the token now.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn offer<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    start: usize,
    end: usize,
    acc: B::Acc,
    block: &mut Block,
    announce: Announce,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let range = Stealable::new(start, end);
    let offerer = worker.index();
    let (a, b) = offer_now(
        worker,
        announce,
        |w| claim_blocks(w, lp, groups, &range, end, acc, block, announce),
        |w| take_token(w, lp, groups, &range, offerer),
        // Popped back by the owner: its claims ran the range to its end, or the loop
        // stopped, so the token would find nothing. (Only here: a thief's token for the
        // same range, in `take_token`, is popped back after an unrelated piece.)
        || lp.identity(),
    );
    lp.reduce(a, b)
}

/// A token's job: steals the upper half of what is left of `range` and runs it as a piece,
/// after offering `range` again from this worker's deque, so that others can go on
/// splitting it even while its owner is busy with a long item or descheduled. Each
/// offered token is the second half of a `join`, so the range outlives every token.
/// `offerer` is the worker that pushed the token: on another worker, the token was stolen,
/// and the thief learns whether that was worth it (`CRUMB`).
fn take_token<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    range: &Stealable,
    offerer: usize,
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
    noting_worth(worker, offerer, || match range.steal_half() {
        Some((s, e)) => {
            let here = worker.index();
            // A `join_now`, not an offer: a token this thief pops back after its piece may
            // still find part of the range, the owner being inside a long item, and steals
            // it then (dropped unrun, such a token left the rest of the range to an owner
            // stuck in an item: two items of a 3-item loop that wait for each other hung).
            let (mine, below) = join_now(
                worker,
                // A thief was there to take this token: the range is worth sharing now.
                Announce::Now,
                |w| piece(w, lp, groups, s, e, lp.identity()),
                // Whatever a later steal takes lies below `s`: its result comes first.
                |w| take_token(w, lp, groups, range, here),
            );
            lp.reduce(below, mine)
        }
        // Popped back by its owner, or nothing was left.
        None => lp.identity(),
    })
}

/// The owner's side of `offer`: claims blocks from the front until nothing is left, and
/// offers the rest again once the token was taken. A token offered with `Announce::Later`
/// is announced (a sleeper woken for it) once the claims have run a block target and
/// nobody took it.
#[allow(clippy::too_many_arguments)]
fn claim_blocks<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    groups: Groups,
    range: &Stealable,
    end: usize,
    mut acc: B::Acc,
    block: &mut Block,
    announce: Announce,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let mut unannounced = match announce {
        // A fresh piece's block was just made: its clock is as good as a new one.
        Announce::Later => Some(Duration::ZERO),
        // Offering the range again (a push, perhaps a wake-up) is not part of a block's
        // cost.
        Announce::Now => {
            block.restart();
            None
        }
    };
    let workers = worker.registry().num_threads();
    // Groups run since the clock was last read. A claim cut short of the block (by the
    // share `Stealable::claim` leaves the others) is not timed: the end of every piece is
    // a run of such claims, where a clock read per claim cost a tiny loop a tenth of its
    // time, and the block's length no longer decides how much is claimed. The next full
    // block counts them in.
    let mut untimed = 0;
    while let Some((s, e, last)) = range.claim(block.len, workers) {
        // SAFETY: `claim` hands out disjoint parts of the range, each once; steals take
        // parts disjoint from them.
        acc = unsafe { groups.fold(lp, acc, s, e) };
        // What is left of the range lies within `e..end`.
        if last || lp.stopped_within(groups.first_item(e), groups.first_item(end)) {
            // Nothing left to claim, measure or offer (a loop of a few items saves a
            // clock read).
            return acc;
        }
        let took = if e - s < block.len {
            untimed += e - s;
            Duration::ZERO
        } else {
            block.measure(std::mem::take(&mut untimed) + e - s)
        };
        if range.was_stolen() {
            return match range.claim_rest() {
                Some((s, e)) if e - s >= 2 => {
                    offer(worker, lp, groups, s, e, acc, block, Announce::Now)
                }
                // SAFETY: claimed just above: ours alone.
                Some((s, e)) => unsafe { groups.fold(lp, acc, s, e) },
                None => acc,
            };
        }
        if let Some(ran) = &mut unannounced
            && !took.is_zero()
        {
            *ran += took;
            if *ran >= BLOCK_TARGET {
                // A loop this long is worth a wake-up: the token is still there.
                worker.announce();
                unannounced = None;
            }
        }
    }
    acc
}

/// The block length in groups, grown or halved after each block to keep the time its items
/// take near `BLOCK_TARGET`: one clock read per block, and few blocks to reach the target (a
/// loop of 10 µs in all, as inner loops often are, reads the clock about five times).
///
/// A block's time is a cost per block (the body's own setup per call, as a `for_each_chunk`
/// body that allocates a buffer or takes a lock for each chunk) plus a cost per item. Only
/// the second should decide the length: with a per-call cost above the target, a rule on the
/// whole time never grows a block past one item, and a loop over `n` items made `n` calls.
/// So each time two blocks in a row have different lengths, the block fits a line through
/// them (`fixed`, the time at length zero); the rule then sizes the *items'* time,
/// `took - fixed`, against the target, or against `fixed` if that is longer (between half
/// and twice it; docs/scheduling.md lists where the estimate falls short). A piece whose
/// first block already takes half the target has no second length to compare with, so it
/// tries twice the length once; and since one pair of blocks can mislead (a preempted
/// block, a block that paid for a wake-up), a length that stays put is tried doubled again
/// after 4 blocks, then 8, 16, ...: a few blocks of twice the length in all, for a fresh
/// estimate.
struct Block {
    len: usize,
    /// When the current block started, or `None` for a piece of two groups or fewer: it
    /// runs them one by one, and no measurement could change what it does (the second
    /// claim is the last), so it reads no clock (a tiny loop's clock reads were a third
    /// of its cost).
    clock: Option<Stamp>,
    /// Blocks in a row that kept the same length.
    same: u32,
    /// How many blocks of the same length until the next try of twice the length.
    patience: u32,
    /// The last block's length (in groups) and time, or `None` before the first.
    last: Option<(usize, Duration)>,
    /// The last two blocks of different lengths, whose line gives the cost per block
    /// (`intercept`), or `None` while there were none. Kept as the two points and fitted
    /// only when a block is long enough for the fit to matter: a loop's first blocks grow
    /// eightfold on their whole time whatever the fit says, and fitting each of them cost
    /// a tiny loop more than its clock reads.
    pair: Option<((usize, Duration), (usize, Duration))>,
}

impl Block {
    /// The first block of a piece of `groups` groups.
    #[inline]
    fn new(groups: usize) -> Self {
        Block {
            len: 1,
            clock: (groups > 2).then(clock::now),
            same: 0,
            patience: 4,
            last: None,
            pair: None,
        }
    }

    /// Ends a block of `ran` groups: returns how long it took, and sizes the next one (an
    /// untimed block took no time, and the next is one group again).
    #[inline]
    fn measure(&mut self, ran: usize) -> Duration {
        let Some(clock) = &mut self.clock else {
            return Duration::ZERO;
        };
        let now = clock::now();
        let took = clock::between(*clock, now);
        *clock = now;
        self.resize(ran, took);
        took
    }

    /// Sizes the next block after one of `ran` groups took `took` (type docs).
    fn resize(&mut self, ran: usize, took: Duration) {
        if let Some(last) = self.last
            && last.0 != ran
        {
            self.pair = Some((last, (ran, took)));
        }
        self.last = Some((ran, took));
        let len = if took < BLOCK_TARGET / 8 {
            // Whatever the cost per block, the items took less than this: the rule below
            // would grow eightfold too.
            self.len.saturating_mul(8)
        } else if let Some((a, b)) = self.pair {
            let fixed = intercept(a, b);
            let items = took.saturating_sub(fixed);
            let target = BLOCK_TARGET.max(fixed);
            if items < target / 8 {
                self.len.saturating_mul(8)
            } else if items < target / 2 {
                self.len.saturating_mul(2)
            } else if items > target * 2 {
                (self.len / 2).max(1)
            } else {
                self.len
            }
        } else {
            // One length seen so far, and past an eighth of the target: try twice the
            // length once to learn what a block costs by itself.
            self.len = self.len.saturating_mul(2);
            return;
        };
        if len != self.len {
            self.same = 0;
            self.len = len;
        } else if self.same + 1 < self.patience {
            self.same += 1;
        } else {
            self.same = 0;
            self.patience = self.patience.saturating_mul(2);
            self.len = len.saturating_mul(2);
        }
    }

    /// Starts timing the next block afresh, leaving out what ran since the last one ended.
    #[inline]
    fn restart(&mut self) {
        if let Some(clock) = &mut self.clock {
            *clock = clock::now();
        }
    }
}

/// The time at length zero of the line through two blocks' (length, time), clamped to
/// `0..=` the shorter of the two times: the cost of a block apart from its items. The
/// lengths differ.
fn intercept(a: (usize, Duration), b: (usize, Duration)) -> Duration {
    let (short, long) = if a.0 < b.0 { (a, b) } else { (b, a) };
    let (short_len, long_len) = (short.0 as f64, long.0 as f64);
    let (short_t, long_t) = (short.1.as_secs_f64(), long.1.as_secs_f64());
    let per_item = ((long_t - short_t) / (long_len - short_len)).max(0.0);
    Duration::from_secs_f64((short_t - per_item * short_len).clamp(0.0, short_t.min(long_t)))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Runs `Block`'s sizing for `blocks` blocks of a body costing `fixed` per block and
    /// `per_item` per item; returns the lengths it chose.
    fn lengths(fixed: Duration, per_item: Duration, blocks: usize) -> Vec<usize> {
        let mut block = Block::new(usize::MAX);
        let mut lens = Vec::new();
        for _ in 0..blocks {
            lens.push(block.len);
            let took = fixed + per_item * block.len as u32;
            block.resize(block.len, took);
        }
        lens
    }

    #[test]
    fn a_cost_per_block_above_the_target_still_grows_blocks() {
        // 20 µs per call and 1 ns per item: blocks grow until the items' time is about the
        // per-call cost (~20,000 items), instead of staying at one item per call.
        let lens = lengths(Duration::from_micros(20), Duration::from_nanos(1), 40);
        let last = *lens.last().unwrap();
        assert!((5_000..=80_000).contains(&last), "{lens:?}");
        // And it gets there within a few blocks.
        assert!(lens[12] >= 5_000, "{lens:?}");
    }

    #[test]
    fn a_constant_body_grows_without_bound() {
        let lens = lengths(Duration::from_micros(50), Duration::ZERO, 12);
        assert!(lens[11] >= 1 << 20, "{lens:?}");
    }

    #[test]
    fn heavy_items_stay_single_but_for_a_few_tries_of_two() {
        // 100 µs per item, nothing per call: one try of two items, then one at a time, with
        // a try of two after 4 blocks of one, then 8, 16, ...
        let lens = lengths(Duration::ZERO, Duration::from_micros(100), 40);
        let twos: Vec<usize> = (0..40).filter(|&i| lens[i] == 2).collect();
        assert_eq!(twos, [1, 6, 15, 32], "{lens:?}");
        assert!(lens.iter().all(|&len| len <= 2), "{lens:?}");
    }

    #[test]
    fn one_misleading_pair_of_blocks_is_outgrown() {
        // 20 µs per call: the second block also paid for 30 µs of something else, so the
        // first estimate says the time is all per item; the next tries of twice the length
        // find the cost per call.
        let (fixed, per_item) = (Duration::from_micros(20), Duration::from_nanos(1));
        let mut block = Block::new(usize::MAX);
        let mut lens = Vec::new();
        for i in 0..40 {
            lens.push(block.len);
            let noise = if i == 1 {
                Duration::from_micros(30)
            } else {
                Duration::ZERO
            };
            block.resize(block.len, fixed + per_item * block.len as u32 + noise);
        }
        assert!(*lens.last().unwrap() >= 5_000, "{lens:?}");
    }

    #[test]
    fn cheap_items_settle_near_the_target() {
        // 1 ns per item: blocks of 10 µs are ~10,000 items; the rule keeps them between a
        // half and twice the target.
        let lens = lengths(Duration::ZERO, Duration::from_nanos(1), 30);
        let last = *lens.last().unwrap();
        assert!((5_000..=20_000).contains(&last), "{lens:?}");
    }

    #[test]
    fn the_intercept_is_clamped_to_the_shorter_time() {
        let us = Duration::from_micros;
        assert_eq!(intercept((1, us(20)), (2, us(20))), us(20));
        assert_eq!(intercept((2, us(30)), (1, us(20))), us(10));
        // Time fell as the block grew (noise, or a preempted first block): no per-item
        // cost, and no more per block than the faster block took.
        assert_eq!(intercept((1, us(20)), (2, us(10))), us(10));
        // Time more than doubled: the line crosses zero below length zero.
        assert_eq!(intercept((1, us(10)), (2, us(40))), Duration::ZERO);
    }
}

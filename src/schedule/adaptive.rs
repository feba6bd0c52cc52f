//! `Adaptive`: lazy binary splitting, on demand.
//!
//! A worker runs its range in blocks, sized by measuring so that a block takes about
//! `BLOCK_TARGET` (a block of 1 item for heavy bodies, thousands for tiny ones, so the inner
//! loop stays a plain loop the compiler can vectorize). Between blocks it reads one flag:
//! its heartbeat flag, which an idle worker raises when it finds this worker's deque empty
//! (see `pool/worker.rs`). Only then, and only if an idle worker still exists and at least
//! `2 * min_len` items remain, does it split what remains in two: it offers the upper half
//! on its deque (`join_now`), where the asking worker steals it, and goes on with the lower
//! half. The thief does the same with its half. So the range is cut only where a steal
//! happens, and as late as possible: a costly stretch found late is still shared, which
//! splitting decided up front (rayon's adaptive splitter, oneTBB's auto partitioner) cannot
//! do once a piece has started.
//!
//! Each split nests one `join` on the splitting worker's stack and halves its range, so a
//! worker nests at most `log2(len)` splits.

use std::time::{Duration, Instant};

use crate::join::join_now;
use crate::pool::WorkerThread;
use crate::schedule::body::{Body, Loop};
use crate::schedule::source::LoopSource;

/// How long a block should take: the longest an idle worker waits for an answer (beyond
/// the item in progress), and long enough that one clock read per block costs nothing.
const BLOCK_TARGET: Duration = Duration::from_micros(10);

/// Runs the loop. If some worker is idle right now, the range is split once up front, so
/// that the loop does not wait for a request to start spreading.
pub(crate) fn run_adaptive<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    min_len: usize,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let len = lp.len();
    let min_len = min_len.max(1);
    if len / 2 >= min_len && worker.registry().sleep.has_idle() {
        let mid = len / 2;
        let (a, b) = join_now(
            worker,
            |w| split_on_demand(w, lp, 0, mid, lp.identity(), min_len, 1),
            |w| split_on_demand(w, lp, mid, len, lp.identity(), min_len, 1),
        );
        return lp.reduce(a, b);
    }
    split_on_demand(worker, lp, 0, len, lp.identity(), min_len, 1)
}

/// Folds `start..end` into `acc` in measured blocks of `block` items and up, splitting
/// when asked (module docs).
fn split_on_demand<S, B>(
    worker: &WorkerThread,
    lp: &Loop<'_, S, B>,
    mut start: usize,
    end: usize,
    mut acc: B::Acc,
    min_len: usize,
    mut block: usize,
) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let mut clock = Instant::now();
    loop {
        let stop = start + block.min(end - start);
        // SAFETY: this call owns `start..end` alone (the loop's range is only ever cut in
        // two, each half going to one call), and runs it in consecutive blocks, once.
        acc = unsafe { lp.fold(acc, start, stop) };
        start = stop;
        if start == end || lp.stopped() {
            return acc;
        }
        if (end - start) / 2 >= min_len && worker.work_requested() {
            let mid = start + (end - start) / 2;
            let (a, b) = join_now(
                worker,
                |w| split_on_demand(w, lp, start, mid, acc, min_len, block),
                |w| split_on_demand(w, lp, mid, end, lp.identity(), min_len, 1),
            );
            return lp.reduce(a, b);
        }
        let now = Instant::now();
        let took = now.duration_since(clock);
        clock = now;
        if took < BLOCK_TARGET / 2 {
            block = block.saturating_mul(2);
        } else if took > BLOCK_TARGET * 2 {
            block = (block / 2).max(1);
        }
    }
}

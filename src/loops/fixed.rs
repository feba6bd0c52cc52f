//! `Static` and `StaticChunks`: pieces fixed before the loop starts.

use crate::loops::body::{Body, Loop};
use crate::loops::lanes::{Runs, fan_out};
use crate::loops::source::LoopSource;
use crate::pool::WorkerThread;

/// One contiguous block per worker, of equal length (within one item). Results combine as
/// a tree whose shape depends only on the length and the number of workers.
///
/// Out of line: inlined into `run_loop`, its locals made the frame of every loop level
/// larger, nested loops or not (a nested loop's stack per level, `docs/reliability.md`).
#[inline(never)]
pub(crate) fn run_blocks<S, B>(worker: &WorkerThread, lp: &Loop<'_, S, B>) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let len = lp.len();
    let blocks = worker.registry().num_threads().min(len).max(1);
    // Block `i` is `bound(i)..bound(i + 1)`; u128 keeps `i * len` from overflowing.
    let bound = |i: usize| (i as u128 * len as u128 / blocks as u128) as usize;
    fan_out(
        worker,
        0,
        blocks,
        &|_: &WorkerThread, i: usize| {
            if lp.stopped() {
                return lp.identity();
            }
            // SAFETY: the blocks tile `0..len` without overlap, and `fan_out` runs each
            // lane once.
            unsafe { lp.fold(lp.identity(), bound(i), bound(i + 1)) }
        },
        &|a, b| lp.reduce(a, b),
    )
}

/// Chunks of `chunk` items dealt round-robin: lane `i` of `n` runs chunks `i`, `i + n`, ...
/// Each chunk's result is kept apart and all are combined left to right at the end (a
/// lane's chunks are not adjacent), so the grouping is the same on every run.
///
/// Out of line: inlined into `run_loop`, its locals made the frame of every loop level
/// larger, nested loops or not (a nested loop's stack per level, `docs/reliability.md`).
#[inline(never)]
pub(crate) fn run_chunks<S, B>(worker: &WorkerThread, lp: &Loop<'_, S, B>, chunk: usize) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let len = lp.len();
    let chunk = chunk.clamp(1, len.max(1));
    let chunks = len.div_ceil(chunk);
    let lanes = worker.registry().num_threads().min(chunks).max(1);
    let runs = fan_out(
        worker,
        0,
        lanes,
        &|_: &WorkerThread, lane: usize| {
            let mut runs = Runs::new();
            let mut c = lane;
            while c < chunks && !lp.stopped_from(c.saturating_mul(chunk)) {
                let start = c * chunk;
                let end = start.saturating_add(chunk).min(len);
                let live = lp.live_from(start);
                if live >= end {
                    // Nothing can come from this chunk, nor from any before `live` (the
                    // closed first side of a chain): on to this lane's first chunk at or
                    // after the one that holds `live` (past `c`, as `live >= end`).
                    let first = live / chunk;
                    c = c.saturating_add((first - c).div_ceil(lanes).saturating_mul(lanes));
                    continue;
                }
                runs.add(
                    start,
                    end,
                    || lp.identity(),
                    |acc, s, e| {
                        // SAFETY: chunk `c` is `c * chunk..` up to the next chunk's start; the
                        // lanes take disjoint sets of chunks, each once.
                        unsafe { lp.fold(acc, s, e) }
                    },
                );
                c = c.saturating_add(lanes);
            }
            runs
        },
        &Runs::merge,
    );
    runs.finish(|| lp.identity(), |a, b| lp.reduce(a, b))
}

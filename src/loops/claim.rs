//! `Dynamic` and `Guided`: workers claim the next piece from a shared counter.
//!
//! One lane per worker (spread by `fan_out`) claims pieces until the counter passes the end.
//! Claims come in increasing index order, so a lane keeps its results as runs of adjacent
//! pieces (`Runs`), and the lanes' runs are merged and combined in index order at the end:
//! `reduce` need only be associative. A lane whose claims are never interrupted by another
//! lane's keeps a single run.

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicUsize, Ordering};
use crate::loops::body::{Body, Loop};
use crate::loops::lanes::{Runs, fan_out};
use crate::loops::source::LoopSource;
use crate::pool::WorkerThread;

/// How big a claim is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Claim {
    /// `chunk` items (at least 1).
    Dynamic(usize),
    /// `remaining / workers` items, at least `min_chunk` (at least 1).
    Guided(usize),
}

/// The shared counter: the first index nobody has claimed yet.
struct Counter {
    next: CachePadded<AtomicUsize>,
    len: usize,
    lanes: usize,
    claim: Claim,
    /// `fetch_add` cannot overflow: every lane overshoots `len` by at most one chunk.
    add_is_safe: bool,
}

impl Counter {
    fn new(len: usize, lanes: usize, claim: Claim) -> Self {
        let add_is_safe = match claim {
            Claim::Dynamic(chunk) => chunk
                .checked_mul(lanes + 1)
                .and_then(|over| over.checked_add(len))
                .is_some(),
            Claim::Guided(_) => false,
        };
        Counter {
            next: CachePadded::new(AtomicUsize::new(0)),
            len,
            lanes,
            claim,
            add_is_safe,
        }
    }

    /// Claims the next piece, or `None` once every index is claimed. Every index is in
    /// exactly one claimed piece.
    // Relaxed throughout: the counter only hands out disjoint index ranges. What a piece
    // reads was published to this lane by the job that started it (deque push/steal), and
    // what it writes reaches the caller through the joins that end the loop.
    #[inline]
    fn claim(&self) -> Option<(usize, usize)> {
        if let (Claim::Dynamic(chunk), true) = (self.claim, self.add_is_safe) {
            let start = self.next.fetch_add(chunk, Ordering::Relaxed);
            return (start < self.len).then(|| (start, (start + chunk).min(self.len)));
        }
        let mut start = self.next.load(Ordering::Relaxed);
        loop {
            if start >= self.len {
                return None;
            }
            let remaining = self.len - start;
            let size = match self.claim {
                Claim::Dynamic(chunk) => chunk,
                Claim::Guided(min_chunk) => remaining.div_ceil(self.lanes).max(min_chunk),
            }
            .min(remaining);
            match self.next.compare_exchange_weak(
                start,
                start + size,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((start, start + size)),
                Err(now) => start = now,
            }
        }
    }

    /// Moves the counter on to `at` if it is behind, so that no later claim starts before
    /// `at`: the indices skipped are known to yield nothing. The counter only grows, so
    /// claims stay disjoint.
    #[inline]
    fn skip_to(&self, at: usize) {
        // Relaxed: as in `claim`.
        self.next.fetch_max(at.min(self.len), Ordering::Relaxed);
    }
}

/// Runs the loop with claims of the given kind.
///
/// Out of line: inlined into `run_loop`, its locals made the frame of every loop level
/// larger, nested loops or not (a nested loop's stack per level, `docs/reliability.md`).
#[inline(never)]
pub(crate) fn run_claimed<S, B>(worker: &WorkerThread, lp: &Loop<'_, S, B>, claim: Claim) -> B::Acc
where
    S: LoopSource,
    B: Body<S>,
{
    let len = lp.len();
    let smallest = match claim {
        Claim::Dynamic(chunk) | Claim::Guided(chunk) => chunk.max(1),
    };
    let lanes = worker
        .registry()
        .num_threads()
        .min(len.div_ceil(smallest))
        .max(1);
    let counter = Counter::new(len, lanes, claim);
    let runs = fan_out(
        worker,
        0,
        lanes,
        &|_: &WorkerThread, _lane: usize| {
            let mut runs = Runs::new();
            while !lp.stopped() {
                let Some((start, end)) = counter.claim() else {
                    break;
                };
                // Claims only grow: every later one is past `start` too.
                if lp.stopped_from(start) {
                    break;
                }
                let live = lp.live_from(start);
                if live >= end {
                    // Nothing can come from this claim, nor from any before `live` (the
                    // closed first side of a chain): nobody claims those.
                    counter.skip_to(live);
                    continue;
                }
                runs.add(
                    start,
                    end,
                    || lp.identity(),
                    |acc, s, e| {
                        // SAFETY: `claim` hands out disjoint ranges within `0..len`, each once.
                        unsafe { lp.fold(acc, s, e) }
                    },
                );
            }
            runs
        },
        &Runs::merge,
    );
    runs.finish(|| lp.identity(), |a, b| lp.reduce(a, b))
}

#[cfg(all(test, loom))]
mod loom_models {
    use loom::thread;

    use super::{Claim, Counter};
    use crate::loom::Arc;

    /// Two lanes claim from 10 indices while one of them skips to index 6 when it meets a
    /// claim that ends before it: no index is claimed twice, every index from 6 on is
    /// claimed, and a skip never moves the counter back.
    fn claims_stay_disjoint_across_a_skip(claim: Claim) {
        loom::model(move || {
            let counter = Arc::new(Counter::new(10, 2, claim));
            let lane = |skip: bool, counter: Arc<Counter>| {
                let mut got = Vec::new();
                while let Some((s, e)) = counter.claim() {
                    if skip && e <= 6 {
                        counter.skip_to(6);
                        continue;
                    }
                    got.push((s, e));
                }
                got
            };
            let other = {
                let counter = counter.clone();
                thread::spawn(move || lane(false, counter))
            };
            let mut seen = [0u8; 10];
            for (s, e) in lane(true, counter).into_iter().chain(other.join().unwrap()) {
                (s..e).for_each(|i| seen[i] += 1);
            }
            assert!(seen.iter().all(|&n| n <= 1), "{seen:?}");
            assert_eq!(seen[6..], [1; 4]);
        });
    }

    /// `Dynamic`: claims by `fetch_add`.
    #[test]
    fn dynamic_claims_stay_disjoint_across_a_skip() {
        claims_stay_disjoint_across_a_skip(Claim::Dynamic(2));
    }

    /// `Guided`: claims by compare-and-swap.
    #[test]
    fn guided_claims_stay_disjoint_across_a_skip() {
        claims_stay_disjoint_across_a_skip(Claim::Guided(1));
    }
}

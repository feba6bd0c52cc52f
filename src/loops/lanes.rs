//! Spreading a fixed number of lanes (one per worker) over the pool, and putting back in
//! index order the partial results of lanes that ran interleaved pieces.
//!
//! `Static`, `StaticChunks`, `Dynamic` and `Guided` all start one lane per worker. The
//! caller does not push them one by one (that would be O(workers) work on one thread before
//! the others start): it splits the lanes in two, offers the upper half to idle workers at
//! once (`join_now`), and recurses on the lower half; a worker that takes a half does the
//! same. Every worker has a lane after O(log workers) steps.

use crate::join::{Announce, join_now};
use crate::pool::WorkerThread;

/// Runs `lane(worker, i)` for every `i` in `first..first + count`, spread over the pool, and
/// combines their results left to right with `combine`.
pub(crate) fn fan_out<T, L, C>(
    worker: &WorkerThread,
    first: usize,
    count: usize,
    lane: &L,
    combine: &C,
) -> T
where
    T: Send,
    L: Fn(&WorkerThread, usize) -> T + Sync,
    C: Fn(T, T) -> T + Sync,
{
    debug_assert!(count > 0);
    if count == 1 {
        return lane(worker, first);
    }
    let low = count / 2;
    let (a, b) = join_now(
        worker,
        Announce::Now,
        |w| fan_out(w, first, low, lane, combine),
        |w| fan_out(w, first + low, count - low, lane, combine),
    );
    combine(a, b)
}

/// Partial results of pieces that one lane ran, in increasing index order: each entry is
/// the start of a run of adjacent pieces and their folded result. A lane whose pieces all
/// follow each other has one entry.
pub(crate) struct Runs<A> {
    runs: Vec<(usize, A)>,
    /// One past the last index of the last run.
    end: usize,
}

impl<A> Runs<A> {
    pub(crate) fn new() -> Self {
        Runs {
            runs: Vec::new(),
            end: usize::MAX,
        }
    }

    /// Folds the piece `start..end` (which starts after every piece added so far) with
    /// `fold`: into the last run if it continues it, else into a new run from `identity`.
    #[inline]
    pub(crate) fn add(
        &mut self,
        start: usize,
        end: usize,
        identity: impl FnOnce() -> A,
        fold: impl FnOnce(A, usize, usize) -> A,
    ) {
        if size_of::<A>() == 0 {
            // A zero-sized result (`for_each`) has a single value: nothing to keep in order.
            fold(identity(), start, end);
            return;
        }
        if start == self.end
            && let Some((run_start, acc)) = self.runs.pop()
        {
            self.runs.push((run_start, fold(acc, start, end)));
        } else {
            let acc = fold(identity(), start, end);
            self.runs.push((start, acc));
        }
        self.end = end;
    }

    /// Merges the runs of two lanes into one list, in index order.
    pub(crate) fn merge(self, other: Runs<A>) -> Runs<A> {
        let (mut a, mut b) = (
            self.runs.into_iter().peekable(),
            other.runs.into_iter().peekable(),
        );
        let mut runs = Vec::with_capacity(a.len() + b.len());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.0 < y.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            runs.extend(if take_a { a.next() } else { b.next() });
        }
        Runs {
            runs,
            end: usize::MAX,
        }
    }

    /// Combines every run, left to right (`identity()` if there are none).
    pub(crate) fn finish(self, identity: impl FnOnce() -> A, reduce: impl Fn(A, A) -> A) -> A {
        self.runs
            .into_iter()
            .map(|(_, acc)| acc)
            .reduce(reduce)
            .unwrap_or_else(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::Runs;

    fn fold(acc: Vec<usize>, start: usize, end: usize) -> Vec<usize> {
        let mut acc = acc;
        acc.extend(start..end);
        acc
    }

    #[test]
    fn adjacent_pieces_share_a_run_and_merge_restores_order() {
        let mut a = Runs::new();
        a.add(0, 2, Vec::new, fold);
        a.add(2, 3, Vec::new, fold); // continues the run
        a.add(5, 6, Vec::new, fold);
        assert_eq!(a.runs.len(), 2);
        let mut b = Runs::new();
        b.add(3, 5, Vec::new, fold);
        b.add(6, 9, Vec::new, fold);
        let all = a.merge(b).finish(Vec::new, |mut x, y| {
            x.extend(y);
            x
        });
        assert_eq!(all, (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn no_runs_finish_with_the_identity() {
        let runs: Runs<u32> = Runs::new();
        assert_eq!(runs.finish(|| 7, |a, b| a + b), 7);
    }
}

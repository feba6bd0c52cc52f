//! The dynamic distribution: rank 0 hands out chunks to whichever rank asks.
//!
//! # Who does what
//!
//! Only a rank's main thread calls MPI (funneled). Each rank also has one *chunk thread*
//! that runs chunks on the rank's pool (it blocks in a brigade loop while the pool's
//! workers do the work), so that the main thread stays free for messages:
//!
//! - **Rank 0, main thread: the server.** It polls for chunk requests
//!   (`MPI_Improbe`) and answers each at once with the next chunk, or with "no more"
//!   (an empty range) once the range is handed out. For [`SPIN`] after its last request it
//!   polls without pause (requests come in bursts when chunks are short), then sleeps
//!   [`IDLE_SLEEP`] between polls: a request waits at most about that long (plus timer
//!   slack and the scheduler's delay) before rank 0 answers it, and a rank 0 whose own
//!   chunks keep its CPUs busy loses a few per cent of one CPU to polling.
//! - **Rank 0, chunk thread.** It claims chunks from the same counter as the server
//!   ([`Claims`], an atomic in this process: no messages) and runs them.
//! - **Other ranks, main thread.** It asks for a chunk, hands it to its chunk thread, and
//!   at once asks for the next one (so a rank holds at most two: one running, one
//!   requested); it sleeps until the running chunk finishes, and only then receives the
//!   answer. The round trip to rank 0 is thereby hidden behind a chunk that runs
//!   meanwhile, as long as a chunk takes longer than the round trip, and the main thread
//!   never spins in MPI while its chunk runs.
//!
//! A slow rank finishes its chunks later, so asks less often and takes fewer: the load
//! balances itself, at one round trip per chunk.
//!
//! # Why every rank terminates
//!
//! - A rank other than 0 has at most one request outstanding (it sends the next only after
//!   receiving the answer to the last), and stops asking after the first "no more". The counter only
//!   grows, so once it is exhausted every later answer is "no more" too.
//! - The server answers every request it receives, immediately, and counts the "no more"
//!   answers. It returns once it has given one to each of the `size - 1` other ranks. Each
//!   rank receives exactly one (the first ends its asking), so the server's count reaches
//!   `size - 1` exactly when every other rank has stopped asking: no request of this call
//!   is then unanswered or in flight.
//! - Each rank asks a finite number of times: one chunk per answer that is not "no more",
//!   and the range has finitely many chunks. A chunk thread runs finitely many chunks of
//!   finite user code. So the server's loop, the askers' loops and the chunk threads all
//!   end (a chunk that never ends hangs the job, as it would in one process). An asker
//!   whose chunk thread panicked aborts the job without receiving the answer it is owed:
//!   `MPI_Abort` ends every rank.
//! - The server never blocks: between polls it only sleeps a bounded time, and it checks
//!   its own chunk thread, so a panic there ends the job at once (`MPI_Abort`) rather than
//!   when the server is done. An asker blocks only on an answer (which the server always
//!   sends) or on its running chunk.
//!
//! Messages of one call carry a tag derived from the call's sequence number, so a request
//! of the next call (a rank that has already left this one) is never mistaken for one of
//! this call by a server still waiting for a slower rank.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::{self, ScopedJoinHandle};
use std::time::{Duration, Instant};

use mpi::Tag;
use mpi::point_to_point::{Destination, Source};
use mpi::topology::{Communicator, SimpleCommunicator};

use crate::abort;
use crate::stats::RankStats;

/// How long rank 0's main thread sleeps between polls for requests, once [`SPIN`] has
/// passed since the last one. The bound (plus Linux's timer slack, 50 µs by default, and
/// the scheduler's delay on a busy machine) on the time a request waits before rank 0
/// sees it.
pub(crate) const IDLE_SLEEP: Duration = Duration::from_micros(50);

/// How long rank 0's main thread polls without pause after a request.
pub(crate) const SPIN: Duration = Duration::from_micros(100);

/// The tag of the messages of distributed call number `seq`: in `1..=32767`, the range
/// every MPI implementation must offer (`MPI_TAG_UB` is at least 32767).
pub(crate) fn tag(seq: u64) -> Tag {
    Tag::try_from(seq % 32767).expect("below 32767") + 1
}

/// The chunks of a range, claimed in index order by rank 0's server and its chunk thread.
#[derive(Debug)]
pub(crate) struct Claims {
    /// The first item not yet handed out. Relaxed is enough: the counter only makes claims
    /// disjoint; no data is published through it.
    next: AtomicU64,
    end: u64,
    chunk: u64,
}

impl Claims {
    pub(crate) fn new(range: Range<u64>, chunk: u64) -> Claims {
        Claims {
            next: AtomicU64::new(range.start),
            end: range.end,
            chunk,
        }
    }

    /// The next chunk, or `None` once the range is handed out (and from then on).
    pub(crate) fn claim(&self) -> Option<Range<u64>> {
        let step = |n: u64| n.saturating_add(self.chunk).min(self.end);
        self.next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.end).then(|| step(n))
            })
            .ok()
            .map(|n| n..step(n))
    }
}

/// A chunk's outcome on its chunk thread: its start, its length, its result, its time.
type Ran<A> = (u64, u64, A, Duration);

/// Rank 0: serves the other ranks' requests on this (main) thread while a chunk thread
/// runs rank 0's own chunks, claimed from the same counter. Returns rank 0's results.
pub(crate) fn serve<A: Send>(
    world: &SimpleCommunicator,
    tag: Tag,
    claims: &Claims,
    run_chunk: &(dyn Fn(Range<u64>) -> A + Sync),
    what: &str,
    stats: &mut RankStats,
) -> Vec<(u64, A)> {
    let clients = usize::try_from(world.size()).expect("positive") - 1;
    thread::scope(|s| {
        let own = thread::Builder::new()
            .name("brigade-mpi-chunks".into())
            .spawn_scoped(s, || {
                let mut ran = Vec::new();
                while let Some(range) = claims.claim() {
                    ran.push(run_one(run_chunk, range));
                }
                ran
            })
            .expect("brigade-mpi: could not start rank 0's chunk thread");
        let mut own = Some(own);
        let mut own_done = None;

        let mut told_no_more = 0;
        let mut last_request = Instant::now();
        while told_no_more < clients {
            if let Some((message, status)) =
                world.any_process().immediate_matched_probe_with_tag(tag)
            {
                let serving = Instant::now();
                let (_chunks_done, _) = message.matched_receive::<u64>();
                let reply = match claims.claim() {
                    Some(range) => [range.start, range.end],
                    None => {
                        told_no_more += 1;
                        [0, 0]
                    }
                };
                world
                    .process_at_rank(status.source_rank())
                    .send_with_tag(&reply[..], tag);
                stats.served += 1;
                last_request = Instant::now();
                stats.serving += last_request - serving;
                continue;
            }
            // A panic on the chunk thread ends the job now, not once the others are done.
            if own.as_ref().is_some_and(ScopedJoinHandle::is_finished) {
                own_done = Some(join_or_abort(own.take().expect("checked"), what));
            }
            if last_request.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                thread::sleep(IDLE_SLEEP);
            }
        }
        let ran = match own_done {
            Some(ran) => ran,
            None => join_or_abort(own.take().expect("joined only once"), what),
        };
        collect(ran, stats)
    })
}

/// Ranks other than 0: asks rank 0 for chunks and runs them, asking for the next while one
/// runs. Returns this rank's results.
///
/// The request for the next chunk is sent when a chunk starts, and its answer received
/// when the chunk has finished: meanwhile the main thread sleeps on the chunk's channel
/// instead of polling MPI (a blocking MPI receive spins, and would take a CPU from the
/// rank's workers). The answer, a small message, waits in MPI's buffers until then.
pub(crate) fn ask<A: Send>(
    world: &SimpleCommunicator,
    tag: Tag,
    run_chunk: &(dyn Fn(Range<u64>) -> A + Sync),
    what: &str,
    stats: &mut RankStats,
) -> Vec<(u64, A)> {
    let root = world.process_at_rank(0);
    let send_request = |chunks_done: u64, stats: &mut RankStats| {
        root.send_with_tag(&chunks_done, tag);
        stats.requests += 1;
    };
    let receive_answer = |stats: &mut RankStats| {
        let waiting = Instant::now();
        let mut reply = [0u64; 2];
        root.receive_into_with_tag(&mut reply[..], tag);
        stats.request_wait += waiting.elapsed();
        (reply[0] < reply[1]).then(|| reply[0]..reply[1])
    };
    thread::scope(|s| {
        let (work_tx, work_rx) = mpsc::channel::<Range<u64>>();
        let (done_tx, done_rx) = mpsc::channel::<Ran<A>>();
        let runner = thread::Builder::new()
            .name("brigade-mpi-chunks".into())
            .spawn_scoped(s, move || {
                for range in work_rx {
                    if done_tx.send(run_one(run_chunk, range)).is_err() {
                        return;
                    }
                }
            })
            .expect("brigade-mpi: could not start this rank's chunk thread");

        let mut ran = Vec::new();
        send_request(0, stats);
        let mut next = receive_answer(stats);
        while let Some(range) = next.take() {
            if work_tx.send(range).is_err() {
                break; // the chunk thread panicked: joined below
            }
            send_request(ran.len() as u64 + 1, stats);
            match done_rx.recv() {
                Ok(outcome) => ran.push(outcome),
                Err(_) => break, // the chunk thread panicked: joined below
            }
            next = receive_answer(stats);
        }
        drop(work_tx);
        join_or_abort(runner, what);
        collect(ran, stats)
    })
}

/// Runs one chunk on the calling (chunk) thread, timing it.
fn run_one<A>(run_chunk: &(dyn Fn(Range<u64>) -> A + Sync), range: Range<u64>) -> Ran<A> {
    let started = Instant::now();
    let (start, len) = (range.start, range.end - range.start);
    let result = run_chunk(range);
    (start, len, result, started.elapsed())
}

/// Joins a chunk thread, or ends the job with its panic.
fn join_or_abort<T>(handle: ScopedJoinHandle<'_, T>, what: &str) -> T {
    handle
        .join()
        .unwrap_or_else(|payload| abort::abort_with_panic(what, payload))
}

/// The results, counted into `stats`.
fn collect<A>(ran: Vec<Ran<A>>, stats: &mut RankStats) -> Vec<(u64, A)> {
    ran.into_iter()
        .map(|(start, len, result, busy)| {
            stats.add_chunk(len, busy);
            (start, result)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_cover_the_range_in_order() {
        let c = Claims::new(3..20, 5);
        let got: Vec<_> = std::iter::from_fn(|| c.claim()).collect();
        assert_eq!(got, vec![3..8, 8..13, 13..18, 18..20]);
        assert_eq!(c.claim(), None);
        assert_eq!(c.claim(), None);
    }

    #[test]
    fn claims_near_the_top_do_not_overflow() {
        let c = Claims::new(u64::MAX - 3..u64::MAX, u64::MAX);
        assert_eq!(c.claim(), Some(u64::MAX - 3..u64::MAX));
        assert_eq!(c.claim(), None);
    }

    #[test]
    fn claims_from_two_threads_are_disjoint() {
        let c = Claims::new(0..100_000, 7);
        let (a, b) = thread::scope(|s| {
            let a = s.spawn(|| std::iter::from_fn(|| c.claim()).collect::<Vec<_>>());
            let b = s.spawn(|| std::iter::from_fn(|| c.claim()).collect::<Vec<_>>());
            (a.join().unwrap(), b.join().unwrap())
        });
        let mut all: Vec<_> = a.into_iter().chain(b).collect();
        all.sort_by_key(|r| r.start);
        assert_eq!(all.first().unwrap().start, 0);
        assert_eq!(all.last().unwrap().end, 100_000);
        assert!(all.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn tags_stay_in_range() {
        for seq in [0, 1, 32766, 32767, 32768, u64::MAX] {
            assert!((1..=32767).contains(&tag(seq)), "{seq}");
        }
        assert_ne!(tag(5), tag(6));
    }
}

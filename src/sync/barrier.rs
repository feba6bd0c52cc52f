//! [`Barrier`]: a fixed number of parties meet, phase after phase.
//!
//! # Protocol
//!
//! The state is `arrived` (parties in the current phase), `phase` (how many phases have
//! completed) and `release`, the signal the current phase's parties wait on, all under one
//! mutex. A party arrives under the lock; the last one of a phase (the *leader*) resets
//! `arrived`, counts the phase, and swaps in a fresh signal for the next phase before it
//! unlocks, then sets the old one. So a party that races ahead into the next phase waits on
//! the new signal and cannot be released by the old one (this swap is the sense reversal),
//! and a party released from phase `k` has seen every party arrive at `k`. No wake-up is lost
//! because each signal is a `Signal` (see `signal.rs`): a waiter that registers after `set`
//! sees it set. A party that gives up (`wait_timeout`) takes its arrival back under the lock,
//! unless its phase completed meanwhile, in which case it was released after all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::signal::Signal;
use crate::loom::Mutex;

/// A barrier for a fixed number of parties, reusable phase after phase: each
/// [`wait`](Barrier::wait) returns once all parties have called it for this phase, and tells
/// exactly one of them that it is the phase's *leader*.
///
/// Unlike the other primitives here, a party waiting at a barrier runs **no** other tasks:
/// it blocks its thread (a worker first publishes its unpublished `join` halves, so nothing
/// is hidden from the other workers). Running tasks would let a waiting party pick up
/// another party's task on its own stack; that party would pass this phase and wait for the
/// next one, which the party below it can never reach: a certain deadlock after one phase.
/// So all parties must be able to run at the same time, each on its own thread: at most
/// one party per worker, plus any plain threads. The safe pattern for a phase loop on a
/// pool is [`ThreadPool::broadcast`](crate::ThreadPool::broadcast) with a barrier of
/// `current_num_threads()` parties. More party tasks than workers deadlock, as with
/// `std::sync::Barrier`: the first parties block every worker and the rest never start.
///
/// A party that panics (or otherwise never arrives) leaves the others waiting: the barrier
/// cannot know the party is gone. Use [`wait_timeout`](Barrier::wait_timeout) where that can
/// happen; a timed-out party takes its arrival back.
///
/// # Examples
///
/// ```
/// use brigade::sync::Barrier;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let pool = brigade::ThreadPool::builder().num_threads(4).build()?;
/// let barrier = Barrier::new(pool.current_num_threads());
/// let done = [AtomicUsize::new(0), AtomicUsize::new(0)];
/// let leaders = AtomicUsize::new(0);
/// pool.broadcast(|_| {
///     for phase in 0..2 {
///         done[phase].fetch_add(1, Ordering::SeqCst);
///         if barrier.wait().is_leader() {
///             leaders.fetch_add(1, Ordering::SeqCst);
///         }
///         // Past the barrier, every party has finished this phase.
///         assert_eq!(done[phase].load(Ordering::SeqCst), 4);
///     }
/// });
/// assert_eq!(leaders.into_inner(), 2);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
}

struct State {
    arrived: usize,
    phase: u64,
    release: Arc<Signal>,
}

/// What [`Barrier::wait`] tells a party.
///
/// # Examples
///
/// ```
/// let barrier = brigade::sync::Barrier::new(1);
/// let result = barrier.wait();
/// assert!(result.is_leader());
/// assert_eq!(result.phase(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
    phase: u64,
}

impl BarrierWaitResult {
    /// True for exactly one party of each phase: the last to arrive.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = brigade::sync::Barrier::new(1);
    /// assert!(barrier.wait().is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }

    /// The number of the phase this party passed, counting from 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = brigade::sync::Barrier::new(1);
    /// assert_eq!(barrier.wait().phase(), 0);
    /// assert_eq!(barrier.wait().phase(), 1);
    /// ```
    pub fn phase(&self) -> u64 {
        self.phase
    }
}

impl Barrier {
    /// A barrier for `parties` parties. `0` counts as `1` (every wait returns at once), as
    /// for `std::sync::Barrier`.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = brigade::sync::Barrier::new(3);
    /// assert_eq!(barrier.parties(), 3);
    /// ```
    pub fn new(parties: usize) -> Self {
        Barrier {
            parties: parties.max(1),
            state: Mutex::new(State {
                arrived: 0,
                phase: 0,
                release: Arc::new(Signal::new()),
            }),
        }
    }

    /// The number of parties of each phase.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brigade::sync::Barrier::new(0).parties(), 1);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// Arrives at the barrier and waits until all parties of this phase have arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::sync::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// std::thread::scope(|s| {
    ///     let other = s.spawn(|| barrier.wait().is_leader());
    ///     let me = barrier.wait().is_leader();
    ///     assert!(me ^ other.join().unwrap(), "exactly one leader");
    /// });
    /// ```
    pub fn wait(&self) -> BarrierWaitResult {
        match self.arrive() {
            Ok(result) => result,
            Err((release, phase)) => {
                release.wait_until_blocking(None);
                BarrierWaitResult {
                    leader: false,
                    phase,
                }
            }
        }
    }

    /// Like [`wait`](Barrier::wait), but gives up after `timeout`: `None` if the phase did
    /// not complete in time, and then this party's arrival is taken back (the phase still
    /// needs all `parties` arrivals).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use brigade::sync::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// // Nobody else comes: give up, and the barrier is as before.
    /// assert_eq!(barrier.wait_timeout(Duration::from_millis(10)), None);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| barrier.wait());
    ///     assert!(barrier.wait_timeout(Duration::from_secs(60)).is_some());
    /// });
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Option<BarrierWaitResult> {
        let (release, phase) = match self.arrive() {
            Ok(result) => return Some(result),
            Err(waiting) => waiting,
        };
        let released = BarrierWaitResult {
            leader: false,
            phase,
        };
        if release.wait_until_blocking(Instant::now().checked_add(timeout)) {
            return Some(released);
        }
        let mut state = self.state.lock();
        if state.phase != phase {
            // The phase completed after the timeout and before this lock: released after all.
            return Some(released);
        }
        state.arrived -= 1;
        None
    }

    /// Counts an arrival: `Ok` for the leader (the phase is complete, the others released),
    /// else the signal to wait on and the phase's number.
    fn arrive(&self) -> Result<BarrierWaitResult, (Arc<Signal>, u64)> {
        let mut state = self.state.lock();
        let phase = state.phase;
        state.arrived += 1;
        if state.arrived < self.parties {
            return Err((Arc::clone(&state.release), phase));
        }
        state.arrived = 0;
        state.phase += 1;
        let release = std::mem::replace(&mut state.release, Arc::new(Signal::new()));
        drop(state);
        release.set();
        Ok(BarrierWaitResult {
            leader: true,
            phase,
        })
    }
}

impl std::fmt::Debug for Barrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("arrived", &state.arrived)
            .field("phase", &state.phase)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use loom::thread;

    use super::Barrier;
    use crate::loom::{Arc, AtomicUsize, Ordering};

    /// Two parties, two phases: nobody passes a phase before both arrived, each phase has
    /// one leader, and nobody hangs (loom reports a deadlock otherwise).
    #[test]
    fn two_parties_two_phases() {
        loom::model(|| {
            let barrier = Arc::new(Barrier::new(2));
            let arrived = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
            let party = {
                let (barrier, arrived) = (barrier.clone(), arrived.clone());
                move || {
                    let mut leaders = 0;
                    for phase in 0..2 {
                        arrived[phase].fetch_add(1, Ordering::SeqCst);
                        let r = barrier.wait();
                        assert_eq!(arrived[phase].load(Ordering::SeqCst), 2);
                        assert_eq!(r.phase(), phase as u64);
                        leaders += usize::from(r.is_leader());
                    }
                    leaders
                }
            };
            let other = thread::spawn(party.clone());
            let mine = party();
            assert_eq!(mine + other.join().unwrap(), 2);
        });
    }
}

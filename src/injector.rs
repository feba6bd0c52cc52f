//! The queue for work that arrives from outside a pool's workers.
//!
//! `install` and `spawn` called from a thread that is not one of the pool's workers, and
//! broadcast jobs addressed to one worker, go through an injector. It is a FIFO under a
//! mutex with an atomic length beside it, so that the common case, a worker checking an
//! empty injector, reads one shared word and takes no lock. Workers feed each other through
//! their deques; the injector is only on the path of work that enters the pool, so its lock
//! is not on a worker's hot path.
//!
//! The length is written under the lock and read without it. A reader that sees 0 may miss a
//! push that is under way; the sleep protocol covers that case: a pusher calls
//! `Sleep::notify_work` after `push` returns, whose fence pairs with the sleeper's fence
//! before its last look at `is_empty`.

use std::collections::VecDeque;

use crossbeam_utils::CachePadded;

use crate::isolate::Region;
use crate::job::JobRef;
use crate::loom::{AtomicU64, AtomicUsize, Mutex, Ordering};

/// A multi-producer, multi-consumer FIFO of jobs.
pub(crate) struct Injector {
    len: CachePadded<AtomicUsize>,
    queue: Mutex<VecDeque<JobRef>>,
    /// Jobs pushed so far (metrics), written under the queue's lock.
    pushed: AtomicU64,
}

impl Injector {
    pub(crate) fn new() -> Self {
        Injector {
            len: CachePadded::new(AtomicUsize::new(0)),
            queue: Mutex::new(VecDeque::new()),
            pushed: AtomicU64::new(0),
        }
    }

    /// Jobs pushed so far (for metrics).
    pub(crate) fn pushed(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }

    /// Counts `n` pushed jobs; the caller holds the queue's lock, so nothing is lost.
    fn count_pushed(&self, n: usize) {
        // Relaxed load and store under the lock: the lock orders the writers.
        let total = self.pushed.load(Ordering::Relaxed);
        self.pushed.store(total + n as u64, Ordering::Relaxed);
    }

    /// Appends a job.
    pub(crate) fn push(&self, job: JobRef) {
        let mut queue = self.queue.lock();
        queue.push_back(job);
        self.count_pushed(1);
        // Relaxed: the lock orders the queue itself; the length is only a hint (module docs).
        self.len.store(queue.len(), Ordering::Relaxed);
    }

    /// Appends jobs in order, under one lock.
    pub(crate) fn push_batch(&self, jobs: impl IntoIterator<Item = JobRef>) {
        let mut queue = self.queue.lock();
        let before = queue.len();
        queue.extend(jobs);
        self.count_pushed(queue.len() - before);
        // Relaxed: as in `push`.
        self.len.store(queue.len(), Ordering::Relaxed);
    }

    /// Takes the oldest job, if any.
    #[inline]
    pub(crate) fn pop(&self) -> Option<JobRef> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.queue.lock();
        let job = queue.pop_front();
        self.len.store(queue.len(), Ordering::Relaxed);
        job
    }

    /// Takes the oldest job and, under the same lock, hands up to `max - 1` of the jobs
    /// after it to `also`, in order. After the first, it takes only jobs outside every
    /// isolation region, and stops at the first that is not: the caller moves them onto its
    /// deque, and a job of a region there could end up below the floor of a wait in another
    /// region on that worker, out of its own reach, and under a job its region's thieves may
    /// not take. A job `also` gives back goes back to the front, and ends the batch.
    ///
    /// No allocation: a worker woken for a single job used to collect the batch in a fresh
    /// `Vec`, and that allocation and its free took 2 to 3 µs of the wake-up (glibc, a worker
    /// just back from sleep).
    pub(crate) fn pop_batch(
        &self,
        max: usize,
        mut also: impl FnMut(JobRef) -> Result<(), JobRef>,
    ) -> Option<JobRef> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.queue.lock();
        let first = queue.pop_front()?;
        for _ in 1..max {
            if !queue.front().is_some_and(|job| job.region().is_none()) {
                break;
            }
            let job = queue.pop_front().expect("the front was just seen");
            if let Err(job) = also(job) {
                queue.push_front(job);
                break;
            }
        }
        // Relaxed: as in `push`.
        self.len.store(queue.len(), Ordering::Relaxed);
        Some(first)
    }

    /// Takes the oldest job of `region`, if any (for a worker waiting inside that region; a
    /// scan under the lock, so only on that worker's search for work).
    pub(crate) fn pop_in(&self, region: Region) -> Option<JobRef> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.queue.lock();
        let at = queue.iter().position(|job| job.region().within(region))?;
        let job = queue.remove(at);
        self.len.store(queue.len(), Ordering::Relaxed);
        job
    }

    /// True if the injector holds a job of `region` (a scan under the lock: only for a
    /// waiter's last look before it parks).
    pub(crate) fn contains(&self, region: Region) -> bool {
        !self.is_empty()
            && self
                .queue
                .lock()
                .iter()
                .any(|job| job.region().within(region))
    }

    /// True if the injector looked empty.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Relaxed) == 0
    }

    /// The isolation regions of the queued jobs, oldest first (for diagnostics); `None` if
    /// the lock is taken.
    pub(crate) fn regions(&self) -> Option<Vec<Region>> {
        let queue = self.queue.try_lock()?;
        Some(queue.iter().map(JobRef::region).collect())
    }

    /// How many jobs the injector held a moment ago (for diagnostics).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Injector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injector")
            .field("len", &self.len.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::Arc;
    use loom::thread;

    /// Two producers and a consumer: every job comes out exactly once, in each producer's
    /// order.
    #[test]
    fn push_pop_exactly_once() {
        loom::model(|| {
            let inj = Arc::new(Injector::new());
            let producers: Vec<_> = (0..2)
                .map(|p| {
                    let inj = inj.clone();
                    thread::spawn(move || inj.push(JobRef::fake(p)))
                })
                .collect();
            let mut got = Vec::new();
            got.extend(inj.pop().map(|j| j.id() as usize));
            for p in producers {
                p.join().unwrap();
            }
            while let Some(j) = inj.pop() {
                got.push(j.id() as usize);
            }
            got.sort_unstable();
            assert_eq!(
                got,
                vec![JobRef::fake(0).id() as usize, JobRef::fake(1).id() as usize]
            );
            assert!(inj.is_empty());
        });
    }

    /// A batch taken while two producers push, with the caller giving one job back: every
    /// job still comes out exactly once.
    #[test]
    fn batch_with_a_job_given_back_loses_nothing() {
        loom::model(|| {
            let inj = Arc::new(Injector::new());
            inj.push(JobRef::fake(0));
            let producers: Vec<_> = (1..3)
                .map(|p| {
                    let inj = inj.clone();
                    thread::spawn(move || inj.push(JobRef::fake(p)))
                })
                .collect();
            let mut got = Vec::new();
            let mut gave_back = false;
            let first = inj.pop_batch(4, |job| {
                if gave_back {
                    got.push(job.id() as usize);
                    Ok(())
                } else {
                    gave_back = true;
                    Err(job)
                }
            });
            got.extend(first.map(|j| j.id() as usize));
            for p in producers {
                p.join().unwrap();
            }
            while let Some(j) = inj.pop() {
                got.push(j.id() as usize);
            }
            got.sort_unstable();
            let mut want: Vec<_> = (0..3).map(|p| JobRef::fake(p).id() as usize).collect();
            want.sort_unstable();
            assert_eq!(got, want);
            assert!(inj.is_empty());
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A batch is the oldest job and the jobs outside every region right after it: it stops
    /// at the first job of a region (which a later batch may start with), and at `max`.
    #[test]
    fn batch_stops_at_a_job_of_a_region() {
        let region = Region::fresh();
        let inj = Injector::new();
        let jobs = [
            JobRef::fake(0).in_region(region),
            JobRef::fake(1),
            JobRef::fake(2),
            JobRef::fake(3).in_region(region),
            JobRef::fake(4),
            JobRef::fake(5),
            JobRef::fake(6),
        ];
        let ids: Vec<_> = jobs.iter().map(JobRef::id).collect();
        for job in jobs {
            inj.push(job);
        }
        let take = |max| {
            let mut out = Vec::new();
            if let Some(first) = inj.pop_batch(max, |job| {
                out.push(job);
                Ok(())
            }) {
                out.insert(0, first);
            }
            out.iter().map(JobRef::id).collect::<Vec<_>>()
        };
        assert_eq!(take(64), ids[0..3], "first of a region, then two outside");
        assert_eq!(take(2), ids[3..5], "first of a region, then up to max");
        assert_eq!(take(64), ids[5..7]);
        assert!(take(64).is_empty());
        assert!(inj.is_empty());
    }

    /// A job the caller gives back stays in the queue, first, and ends the batch: nothing is
    /// lost when the caller's deque is full.
    #[test]
    fn a_job_given_back_stays_first() {
        let inj = Injector::new();
        let jobs: Vec<_> = (0..5).map(JobRef::fake).collect();
        let ids: Vec<_> = jobs.iter().map(JobRef::id).collect();
        for job in jobs {
            inj.push(job);
        }
        let mut accepted = Vec::new();
        let first = inj.pop_batch(64, |job| {
            if accepted.len() == 2 {
                return Err(job);
            }
            accepted.push(job.id());
            Ok(())
        });
        assert_eq!(first.map(|job| job.id()), Some(ids[0]));
        assert_eq!(accepted, ids[1..3]);
        assert_eq!(inj.len(), 2);
        assert_eq!(inj.pop().map(|job| job.id()), Some(ids[3]));
        assert_eq!(inj.pop().map(|job| job.id()), Some(ids[4]));
        assert!(inj.is_empty());
    }
}

//! [`WaitGroup`]: wait until every other participant has left.

use std::time::Duration;

use super::count_latch::CountLatch;
use crate::loom::Arc;

/// A group of participants; [`wait`](WaitGroup::wait) blocks until all the others have left.
///
/// Each handle is one participant: [`clone`](Clone::clone) adds one, and
/// [`done`](WaitGroup::done) or dropping the handle leaves. `wait` leaves too (it consumes the
/// handle) and then waits until the group is empty, as `crossbeam_utils::sync::WaitGroup`
/// does, but pool-aware: on a worker of a brigade pool it runs other tasks meanwhile (see the
/// [module docs](crate::sync)).
///
/// A task that panics drops its handle while unwinding, so it leaves the group and waiters
/// are not stuck; the panic itself still reaches whoever owns the task (a scope re-raises it).
///
/// # Examples
///
/// 64 tasks on a pool of 2 threads each join the group and wait for all of the others.
///
/// ```
/// use brigade::sync::WaitGroup;
/// use brigade::ThreadPool;
///
/// let pool = ThreadPool::builder().num_threads(2).build()?;
/// pool.scope(|s| {
///     let wg = WaitGroup::new();
///     for _ in 0..64 {
///         let wg = wg.clone();
///         s.spawn(move |_| wg.wait());
///     }
///     // This handle is a participant too: the tasks wait for it to leave.
///     wg.wait();
/// });
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct WaitGroup {
    /// One unit per live handle; released when the last handle leaves.
    inner: Arc<CountLatch>,
}

impl WaitGroup {
    /// A group with one participant: this handle.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = brigade::sync::WaitGroup::new();
    /// wg.wait(); // nobody else: returns at once
    /// ```
    pub fn new() -> Self {
        WaitGroup {
            inner: Arc::new(CountLatch::new(1)),
        }
    }

    /// Leaves the group without waiting (the same as dropping the handle).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::sync::WaitGroup;
    ///
    /// let wg = WaitGroup::new();
    /// let worker = wg.clone();
    /// std::thread::spawn(move || {
    ///     // ... work ...
    ///     worker.done();
    /// });
    /// wg.wait();
    /// ```
    pub fn done(self) {
        drop(self);
    }

    /// Leaves the group, then waits until every other participant has left.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use brigade::sync::WaitGroup;
    ///
    /// let finished = AtomicUsize::new(0);
    /// brigade::scope(|s| {
    ///     let wg = WaitGroup::new();
    ///     for _ in 0..4 {
    ///         let wg = wg.clone();
    ///         let finished = &finished;
    ///         s.spawn(move |_| {
    ///             finished.fetch_add(1, Ordering::Relaxed);
    ///             drop(wg);
    ///         });
    ///     }
    ///     wg.wait();
    ///     assert_eq!(finished.load(Ordering::Relaxed), 4);
    /// });
    /// ```
    pub fn wait(self) {
        let inner = Arc::clone(&self.inner);
        drop(self);
        inner.wait();
    }

    /// Leaves the group, then waits until every other participant has left or `timeout`
    /// has passed; true if they all left. On a worker, the time is checked between the tasks
    /// it runs meanwhile.
    ///
    /// The handle has left the group either way: leaving cannot be undone, because the
    /// group may have emptied (and released its other waiters) in between. To keep waiting
    /// after a timeout, wait on a clone made beforehand, or use a
    /// [`CountLatch`](super::CountLatch), whose waits do not consume anything.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use brigade::sync::WaitGroup;
    ///
    /// let wg = WaitGroup::new();
    /// let straggler = wg.clone();
    /// assert!(!wg.wait_timeout(Duration::from_millis(1)));
    /// drop(straggler);
    /// ```
    pub fn wait_timeout(self, timeout: Duration) -> bool {
        let inner = Arc::clone(&self.inner);
        drop(self);
        inner.wait_timeout(timeout)
    }
}

impl Default for WaitGroup {
    /// A group with one participant: this handle.
    fn default() -> Self {
        WaitGroup::new()
    }
}

impl Clone for WaitGroup {
    /// Adds a participant to the group.
    fn clone(&self) -> Self {
        // Cannot fail: this handle holds a unit, so the count is not zero, and it cannot
        // reach `usize::MAX` while each unit is a live handle in memory.
        self.inner
            .increment()
            .expect("a WaitGroup handle holds a unit, so the group is not released");
        WaitGroup {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl Drop for WaitGroup {
    fn drop(&mut self) {
        self.inner.count_down();
    }
}

impl std::fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitGroup")
            .field("participants", &self.inner.count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<WaitGroup>();
    }

    #[test]
    fn counts_participants() {
        let wg = WaitGroup::default();
        let a = wg.clone();
        let b = a.clone();
        assert_eq!(format!("{wg:?}"), "WaitGroup { participants: 3 }");
        a.done();
        drop(b);
        assert!(wg.wait_timeout(Duration::ZERO));
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::{AtomicUsize, Ordering};
    use loom::thread;

    /// A waiter is released once the other participant leaves, and not before (it sees the
    /// participant's write).
    #[test]
    fn wait_returns_after_the_other_leaves() {
        loom::model(|| {
            let wg = WaitGroup::new();
            let data = Arc::new(AtomicUsize::new(0));
            let (other, d) = (wg.clone(), data.clone());
            let t = thread::spawn(move || {
                d.store(1, Ordering::Relaxed);
                drop(other);
            });
            wg.wait();
            assert_eq!(data.load(Ordering::Relaxed), 1, "released early");
            t.join().unwrap();
        });
    }
}

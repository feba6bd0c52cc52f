//! [`CountLatch`]: released when a count reaches zero.

use std::time::Duration;

use super::signal::Signal;
use crate::error::IncrementError;
use crate::loom::{AtomicUsize, Ordering};

/// A latch released when its count reaches zero; after that it stays released.
///
/// Waiters behave as with [`Latch`](super::Latch): on a worker of a brigade pool they run
/// other tasks meanwhile, elsewhere they block.
///
/// If a task that was to count down panics, the count never reaches zero: `wait` then waits
/// forever, and `wait_timeout` returns false. Count down from a drop guard, or use a
/// [`WaitGroup`](super::WaitGroup), whose handles leave the group when dropped (also during
/// a panic), if that matters.
///
/// # Examples
///
/// 64 tasks on a pool of 2 threads each count down, then wait for all the others.
///
/// ```
/// use brigade::sync::CountLatch;
/// use brigade::ThreadPool;
///
/// let pool = ThreadPool::builder().num_threads(2).build()?;
/// let all_started = CountLatch::new(64);
/// pool.scope(|s| {
///     for _ in 0..64 {
///         s.spawn(|_| {
///             all_started.count_down();
///             all_started.wait();
///         });
///     }
/// });
/// assert_eq!(all_started.count(), 0);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct CountLatch {
    /// The count; once zero it never changes again.
    count: AtomicUsize,
    /// Set by whoever brings the count to zero (or by `new(0)`).
    signal: Signal,
}

impl CountLatch {
    /// A latch with `count` outstanding units. `CountLatch::new(0)` is released already.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = brigade::sync::CountLatch::new(2);
    /// assert_eq!(latch.count(), 2);
    /// assert!(brigade::sync::CountLatch::new(0).wait_timeout(std::time::Duration::ZERO));
    /// ```
    pub fn new(count: usize) -> Self {
        let signal = Signal::new();
        if count == 0 {
            signal.set();
        }
        CountLatch {
            count: AtomicUsize::new(count),
            signal,
        }
    }

    /// Removes one unit; the call that brings the count to zero releases the waiters. On a
    /// released latch (count zero) it does nothing.
    ///
    /// Everything this thread wrote before `count_down` is visible to a waiter once its
    /// wait returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = brigade::sync::CountLatch::new(1);
    /// latch.count_down();
    /// latch.count_down(); // already zero: no effect
    /// assert_eq!(latch.count(), 0);
    /// ```
    pub fn count_down(&self) {
        let mut count = self.count.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return;
            }
            // AcqRel: Release publishes this thread's writes; Acquire (for the last one) takes
            // every earlier count_down's writes along to `signal.set`, whose Release passes
            // them to the waiters.
            match self.count.compare_exchange_weak(
                count,
                count - 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => count = now,
            }
        }
        if count == 1 {
            self.signal.set();
        }
    }

    /// Adds one unit, if the count is not zero yet.
    ///
    /// # Errors
    ///
    /// [`IncrementError::Released`] if the count already reached zero (a released latch
    /// stays released), [`IncrementError::Overflow`] if it is `usize::MAX`. The count is then
    /// unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::sync::{CountLatch, IncrementError};
    ///
    /// let latch = CountLatch::new(1);
    /// latch.increment()?; // one more task to wait for
    /// latch.count_down();
    /// latch.count_down();
    /// assert_eq!(latch.increment(), Err(IncrementError::Released));
    /// # Ok::<(), IncrementError>(())
    /// ```
    pub fn increment(&self) -> Result<(), IncrementError> {
        let mut count = self.count.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return Err(IncrementError::Released);
            }
            let next = count.checked_add(1).ok_or(IncrementError::Overflow)?;
            // Relaxed: an increment publishes nothing; the count is only ever read by RMWs
            // here and in `count_down`, which see the latest value.
            match self.count.compare_exchange_weak(
                count,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => count = now,
            }
        }
    }

    /// The current count: a snapshot, which other threads may change at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = brigade::sync::CountLatch::new(3);
    /// latch.count_down();
    /// assert_eq!(latch.count(), 2);
    /// ```
    pub fn count(&self) -> usize {
        // Acquire: pairs with the AcqRel of `count_down`, so a zero read here carries the
        // counted-down threads' writes.
        self.count.load(Ordering::Acquire)
    }

    /// Waits until the count is zero. On a worker of a brigade pool it runs other tasks
    /// meanwhile; elsewhere it blocks (see the [module docs](crate::sync)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::sync::CountLatch;
    ///
    /// let done = CountLatch::new(3);
    /// brigade::scope(|s| {
    ///     for _ in 0..3 {
    ///         s.spawn(|_| done.count_down());
    ///     }
    ///     done.wait();
    ///     assert_eq!(done.count(), 0);
    /// });
    /// ```
    pub fn wait(&self) {
        self.signal.wait_until(None);
    }

    /// Waits until the count is zero or `timeout` has passed; true if it is zero. On a
    /// worker, the time is checked between the tasks it runs meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let latch = brigade::sync::CountLatch::new(1);
    /// assert!(!latch.wait_timeout(Duration::from_millis(1)));
    /// latch.count_down();
    /// assert!(latch.wait_timeout(Duration::from_millis(1)));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.signal.wait_for(timeout)
    }
}

impl std::fmt::Debug for CountLatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountLatch")
            .field("count", &self.count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<CountLatch>();
    }

    #[test]
    fn zero_is_released_and_stays_so() {
        let latch = CountLatch::new(0);
        assert!(latch.signal.is_set());
        latch.count_down();
        assert_eq!(latch.count(), 0);
        assert_eq!(latch.increment(), Err(IncrementError::Released));
    }

    #[test]
    fn debug_shows_the_count() {
        assert_eq!(
            format!("{:?}", CountLatch::new(3)),
            "CountLatch { count: 3 }"
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let latch = CountLatch::new(usize::MAX);
        assert_eq!(latch.increment(), Err(IncrementError::Overflow));
        assert_eq!(latch.count(), usize::MAX);
    }

    #[test]
    fn releases_only_at_zero() {
        let latch = CountLatch::new(2);
        latch.increment().unwrap();
        latch.count_down();
        latch.count_down();
        assert!(!latch.wait_timeout(Duration::ZERO));
        latch.count_down();
        assert!(latch.wait_timeout(Duration::ZERO));
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::Arc;
    use loom::thread;

    /// Two count-downs race a waiter: the waiter is woken (else loom reports a deadlock) and
    /// sees both threads' writes (no early release).
    #[test]
    fn waiter_is_released_after_the_last_count_down() {
        loom::model(|| {
            let latch = Arc::new(CountLatch::new(2));
            let data = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (l, d) = (latch.clone(), data.clone());
                    thread::spawn(move || {
                        d.fetch_add(1, Ordering::Relaxed);
                        l.count_down();
                    })
                })
                .collect();
            latch.wait();
            assert_eq!(data.load(Ordering::Relaxed), 2, "released early");
            for t in threads {
                t.join().unwrap();
            }
        });
    }

    /// An increment racing the last count-down either succeeds before it (and the latch
    /// waits for one more) or fails after it; never both released and incremented.
    #[test]
    fn increment_races_the_last_count_down() {
        loom::model(|| {
            let latch = Arc::new(CountLatch::new(1));
            let l = latch.clone();
            let t = thread::spawn(move || l.count_down());
            let incremented = latch.increment().is_ok();
            t.join().unwrap();
            if incremented {
                assert!(!latch.signal.is_set());
                assert_eq!(latch.count(), 1);
                latch.count_down();
            }
            latch.wait();
        });
    }
}

//! [`Latch`]: a one-shot signal.

use std::time::Duration;

use super::signal::Signal;

/// A one-shot signal: once [`set`](Latch::set), it stays set and releases every waiter.
///
/// Any number of threads may wait, on workers of any brigade pool (which run other tasks
/// meanwhile, see the [module docs](crate::sync)) and on plain threads. A `Latch` is `Send +
/// Sync`: share it by reference (in a scope) or in an `Arc`.
///
/// # Examples
///
/// 64 tasks wait for a signal that the last task sends, on a pool of 2 threads. With a std
/// primitive the first two tasks would block both workers and the sender would never run.
///
/// ```
/// use brigade::sync::Latch;
/// use brigade::ThreadPool;
///
/// let pool = ThreadPool::builder().num_threads(2).build()?;
/// let ready = Latch::new();
/// pool.scope(|s| {
///     for _ in 0..64 {
///         s.spawn(|_| ready.wait());
///     }
///     s.spawn(|_| ready.set());
/// });
/// assert!(ready.is_set());
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct Latch {
    signal: Signal,
}

impl Latch {
    /// A latch that is not set.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = brigade::sync::Latch::new();
    /// assert!(!latch.is_set());
    /// ```
    pub fn new() -> Self {
        Latch {
            signal: Signal::new(),
        }
    }

    /// Sets the latch and wakes every waiter. Setting a set latch does nothing.
    ///
    /// Everything this thread wrote before `set` is visible to a waiter once its wait
    /// returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use brigade::sync::Latch;
    ///
    /// let latch = Arc::new(Latch::new());
    /// let l = Arc::clone(&latch);
    /// let waiter = std::thread::spawn(move || l.wait());
    /// latch.set();
    /// waiter.join().unwrap();
    /// ```
    pub fn set(&self) {
        self.signal.set();
    }

    /// True once the latch is set. Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = brigade::sync::Latch::new();
    /// latch.set();
    /// assert!(latch.is_set());
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        self.signal.is_set()
    }

    /// Waits until the latch is set. On a worker of a brigade pool it runs other tasks
    /// meanwhile; elsewhere it blocks (see the [module docs](crate::sync)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::sync::Latch;
    ///
    /// let latch = Latch::new();
    /// brigade::scope(|s| {
    ///     s.spawn(|_| latch.set());
    ///     latch.wait();
    /// });
    /// ```
    pub fn wait(&self) {
        self.signal.wait_until(None);
    }

    /// Waits until the latch is set or `timeout` has passed; true if it is set. On a worker,
    /// the time is checked between the tasks it runs meanwhile, so a long task can make the
    /// wait return late.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use brigade::sync::Latch;
    ///
    /// let latch = Latch::new();
    /// assert!(!latch.wait_timeout(Duration::from_millis(1)));
    /// latch.set();
    /// assert!(latch.wait_timeout(Duration::from_millis(1)));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.signal.wait_for(timeout)
    }
}

impl std::fmt::Debug for Latch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latch")
            .field("is_set", &self.is_set())
            .finish()
    }
}

impl Default for Latch {
    /// A latch that is not set.
    fn default() -> Self {
        Latch::new()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Latch>();
    }

    #[test]
    fn default_is_unset() {
        let latch = Latch::default();
        assert_eq!(format!("{latch:?}"), "Latch { is_set: false }");
        latch.set();
        assert_eq!(format!("{latch:?}"), "Latch { is_set: true }");
    }
}

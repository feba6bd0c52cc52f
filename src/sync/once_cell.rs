//! [`OnceCell`]: a value initialized once, by an initializer that may itself use the pool.
//!
//! # Protocol
//!
//! `state` is `INCOMPLETE`, `RUNNING` or `COMPLETE`; it changes only under the lock of
//! `attempt`, which holds the initialization under way (its isolation region, and a signal
//! set when it ends, whether the value is there or the initializer panicked). `get` reads
//! `state` without the lock: `COMPLETE` (Acquire, after the value was written) means the
//! value is there for good.
//!
//! - The first caller that finds `INCOMPLETE` moves it to `RUNNING` and runs the initializer
//!   in a fresh isolation region (`isolate.rs`), so that while it waits for the pool (a
//!   loop, a `join`), its worker never starts an unrelated task, such as another
//!   `get_or_init` of this cell, on its stack. It writes the value, then under the lock
//!   stores `COMPLETE` and ends the attempt.
//! - A caller that finds `RUNNING` waits on the attempt's signal *inside the initializer's
//!   region*: a worker helps with the initializer's tasks meanwhile and runs nothing else (as
//!   oneTBB's `collaborative_call_once`), a plain thread blocks. Then it looks again.
//! - An initializer that panics puts the cell back to `INCOMPLETE` and ends its attempt; the
//!   panic goes on to its caller, and the waiters look again: one of them runs its own
//!   initializer. Nothing is left poisoned.
//! - A `get_or_init` from inside the initializer's own region, at any depth (the initializer
//!   itself, one of the tasks it spawned or sent into a pool, a region nested in those, or
//!   another cell's initializer they run, as in a cycle `a -> b -> a`), can never finish: it
//!   panics instead of hanging. The check sees every region the calling thread is in, not
//!   only the innermost (`isolate.rs`, "The chain of regions", which names the one case it
//!   misses). A caller merely *in another
//!   region*, waiting for an initializer on another thread, is not re-entry: it waits.
//!
//! No waiter is left behind: the attempt's signal is set after `state` leaves `RUNNING`,
//! under the same lock that a waiter holds when it reads `RUNNING` and takes the signal;
//! `Signal` loses no wake-up (`signal.rs`).

use std::fmt;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

use super::signal::Signal;
use crate::isolate::{self, Region};
use crate::loom::{Arc, AtomicUsize, Mutex, Ordering, UnsafeCell};

const INCOMPLETE: usize = 0;
const RUNNING: usize = 1;
const COMPLETE: usize = 2;

/// A value that is initialized once, on first use, by an initializer that may itself run
/// parallel work on a brigade pool: the pool-aware counterpart of `std::sync::OnceLock`.
///
/// With a `OnceLock`, an initializer that runs a parallel loop is a deadlock waiting to
/// happen: while the initializing worker waits for the loop, it may pick up another task that
/// calls `get_or_init` on the same `OnceLock`, on its own stack, above the initializer that
/// task now waits for. `OnceCell` runs its initializer *isolated*
/// ([`isolate`](crate::isolate())): the initializing worker runs only the initializer's own
/// tasks while it waits. Other callers wait pool-aware, helping with the initializer's tasks
/// (a worker) or blocking (a plain thread), and all of them get the one value.
///
/// If the initializer panics, the panic reaches its caller and the cell stays empty: the next
/// caller (or one that was waiting) runs its own initializer. A `get_or_init` from inside the
/// initializer itself could never finish, and panics: directly, from a task it spawned, from
/// inside an [`isolate`](crate::isolate()) region it opened, or through other cells (`a`'s
/// initializer needs `b`, whose initializer needs `a`).
///
/// # Examples
///
/// A table built in parallel on first use, from 64 tasks that all want it:
///
/// ```
/// use brigade::Schedule;
/// use brigade::sync::OnceCell;
///
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let table: OnceCell<Vec<u64>> = OnceCell::new();
/// let sums = pool.map_reduce(0..64, Schedule::default(), || 0, |_| {
///     let table = table.get_or_init(|| {
///         brigade::map_reduce(0..1000u64, Schedule::default(), Vec::new, |i| vec![i * i], |mut a, b| {
///             a.extend(b);
///             a
///         })
///     });
///     table[10]
/// }, |a, b| a + b);
/// assert_eq!(sums, 64 * 100);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct OnceCell<T> {
    /// `INCOMPLETE`, `RUNNING` or `COMPLETE`; written under `attempt`'s lock (module docs).
    state: AtomicUsize,
    /// The initialization under way, while `RUNNING`.
    attempt: Mutex<Option<Attempt>>,
    /// Set once the value is there, for [`wait`](OnceCell::wait).
    done: Signal,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// One run of an initializer.
#[derive(Clone)]
struct Attempt {
    /// The initializer's isolation region: its tasks, and what waiters help with.
    region: Region,
    /// Set when the attempt ends, with or without a value.
    ended: Arc<Signal>,
}

// SAFETY: the cell hands out `&T` to every thread that shares it (so `T: Sync`), and the value
// may be written by one thread and dropped by another (so `T: Send`). All other state is
// atomics and a lock.
unsafe impl<T: Send + Sync> Sync for OnceCell<T> {}
// SAFETY: moving the cell moves the value with it.
unsafe impl<T: Send> Send for OnceCell<T> {}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = brigade::sync::OnceCell::<u32>::new();
    /// assert_eq!(cell.get(), None);
    /// ```
    pub fn new() -> Self {
        OnceCell {
            state: AtomicUsize::new(INCOMPLETE),
            attempt: Mutex::new(None),
            done: Signal::new(),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The value, if it is initialized. Never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = brigade::sync::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.get_or_init(|| 7);
    /// assert_eq!(cell.get(), Some(&7));
    /// ```
    #[inline]
    pub fn get(&self) -> Option<&T> {
        // Acquire: pairs with the Release store of `COMPLETE`, after the value was written.
        if self.state.load(Ordering::Acquire) == COMPLETE {
            // SAFETY: `COMPLETE` is final and the value was written before it.
            Some(unsafe { self.value_unchecked() })
        } else {
            None
        }
    }

    /// The value, initializing it with `init` if nobody has: the first caller runs `init`
    /// (isolated, see the type docs), callers that come while it runs wait for it, and every
    /// caller gets the one value.
    ///
    /// # Panics
    ///
    /// If `init` panics, the panic is re-raised here and the cell stays empty. If called
    /// from inside the cell's own running initializer, at any depth (a task it spawned, a
    /// nested `isolate` region, another cell's initializer it called), panics at once
    /// instead of waiting forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::sync::OnceCell;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let total = OnceCell::new();
    /// let n = pool.install(|| {
    ///     // The initializer may use the pool.
    ///     *total.get_or_init(|| brigade::join(|| 20, || 22).0 + 22)
    /// });
    /// assert_eq!(n, 42);
    /// assert_eq!(total.get_or_init(|| unreachable!()), &42);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn get_or_init<F>(&self, init: F) -> &T
    where
        F: FnOnce() -> T,
    {
        match self.get() {
            Some(value) => value,
            None => self.initialize(init),
        }
    }

    /// Sets the value if the cell is empty and no initializer is running; else gives `value`
    /// back.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = brigade::sync::OnceCell::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(2));
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut attempt = self.attempt.lock();
        // Relaxed: `state` is only written under this lock.
        if self.state.load(Ordering::Relaxed) != INCOMPLETE {
            return Err(value);
        }
        // SAFETY: `INCOMPLETE` under the lock: nobody else writes or reads the value.
        self.value.with_mut(|v| unsafe { (*v).write(value) });
        // Release: the value is written before `COMPLETE` is seen (pairs with `get`).
        self.state.store(COMPLETE, Ordering::Release);
        *attempt = None;
        drop(attempt);
        self.done.set();
        Ok(())
    }

    /// Waits until the cell is initialized (by another caller's `get_or_init` or `set`) and
    /// returns the value. Pool-aware, as every wait in [`brigade::sync`](crate::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::sync::OnceCell;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let cell = OnceCell::new();
    /// pool.scope(|s| {
    ///     s.spawn(|_| assert_eq!(cell.wait(), &5));
    ///     s.spawn(|_| {
    ///         cell.set(5).unwrap();
    ///     });
    /// });
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn wait(&self) -> &T {
        self.done.wait_until(None);
        self.get()
            .expect("`done` is set only once the value is there")
    }

    /// Like [`wait`](OnceCell::wait), giving up after `timeout`: `None` if the cell is still
    /// empty then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cell = brigade::sync::OnceCell::<u8>::new();
    /// assert_eq!(cell.wait_timeout(Duration::from_millis(5)), None);
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.wait_timeout(Duration::from_millis(5)), Some(&3));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Option<&T> {
        self.done.wait_until(Instant::now().checked_add(timeout));
        self.get()
    }

    /// The value, if any, taking it out of the cell and leaving it empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = brigade::sync::OnceCell::new();
    /// assert_eq!(cell.take(), None);
    /// cell.set(String::from("once")).unwrap();
    /// assert_eq!(cell.take().as_deref(), Some("once"));
    /// assert_eq!(cell.get(), None);
    /// ```
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }

    /// The value, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = brigade::sync::OnceCell::new();
    /// cell.set(vec![1, 2]).unwrap();
    /// assert_eq!(cell.into_inner(), Some(vec![1, 2]));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        if self.state.load(Ordering::Acquire) != COMPLETE {
            return None;
        }
        // Empty again, so that `drop` does not drop the value we move out.
        self.state.store(INCOMPLETE, Ordering::Relaxed);
        // SAFETY: it was `COMPLETE`, so the value is there; `self` is owned, so nobody else
        // sees it, and the state now says empty, so it is read out exactly once.
        Some(self.value.with(|v| unsafe { (*v).assume_init_read() }))
    }

    /// # Safety
    /// The state must be `COMPLETE`.
    unsafe fn value_unchecked(&self) -> &T {
        // SAFETY: by the caller's contract the value was written, and it is never written
        // again while shared.
        self.value.with(|v| unsafe { (*v).assume_init_ref() })
    }

    #[cold]
    fn initialize<F: FnOnce() -> T>(&self, init: F) -> &T {
        let mut init = Some(init);
        loop {
            let mut attempt = self.attempt.lock();
            // Relaxed: under the lock that every writer of `state` holds; `get` below
            // re-reads it with Acquire.
            match self.state.load(Ordering::Relaxed) {
                COMPLETE => {
                    drop(attempt);
                    return self.get().expect("COMPLETE is final");
                }
                RUNNING => {
                    let running = attempt.clone().expect("a RUNNING cell has an attempt");
                    drop(attempt);
                    // Inside the initializer's region at any depth (nested regions, other
                    // cells' initializers, jobs it sent into a pool): it waits for us.
                    assert!(
                        !running.region.encloses_current_thread(),
                        "brigade::sync::OnceCell::get_or_init called from inside the cell's \
                         own initializer (directly, through nested regions or other cells' \
                         initializers, or from a task it spawned): it would wait for itself \
                         forever"
                    );
                    // Help with the initializer's tasks (a worker) or block (a plain thread).
                    isolate::in_region_here(running.region, || running.ended.wait_until(None));
                }
                _ => {
                    let region = Region::fresh();
                    let ended = Arc::new(Signal::new());
                    *attempt = Some(Attempt {
                        region,
                        ended: Arc::clone(&ended),
                    });
                    self.state.store(RUNNING, Ordering::Relaxed);
                    drop(attempt);
                    let mut end = EndAttempt {
                        cell: self,
                        ended,
                        complete: false,
                    };
                    let init = init.take().expect("only the initializer takes `init`");
                    let value = isolate::in_new_region(region, init);
                    // SAFETY: `RUNNING`, and this is the initializer: nobody else reads or
                    // writes the value until `COMPLETE` is stored.
                    self.value.with_mut(|v| unsafe { (*v).write(value) });
                    end.complete = true;
                    drop(end);
                    // SAFETY: `EndAttempt` stored `COMPLETE`.
                    return unsafe { self.value_unchecked() };
                }
            }
        }
    }
}

/// Ends an attempt: the cell becomes `COMPLETE` (the value was written) or `INCOMPLETE`
/// again (the initializer is unwinding), and the attempt's waiters are released.
struct EndAttempt<'a, T> {
    cell: &'a OnceCell<T>,
    ended: Arc<Signal>,
    complete: bool,
}

impl<T> Drop for EndAttempt<'_, T> {
    fn drop(&mut self) {
        {
            let mut attempt = self.cell.attempt.lock();
            let state = if self.complete { COMPLETE } else { INCOMPLETE };
            // Release: for `COMPLETE`, the value is written before (pairs with `get`).
            self.cell.state.store(state, Ordering::Release);
            *attempt = None;
        }
        self.ended.set();
        if self.complete {
            self.cell.done.set();
        }
    }
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        if self.state.load(Ordering::Acquire) == COMPLETE {
            // SAFETY: `COMPLETE`: the value is there, and `&mut self` means nobody shares it.
            self.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
        }
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    /// A cell that holds `value`.
    fn from(value: T) -> Self {
        let cell = OnceCell::new();
        if cell.set(value).is_err() {
            unreachable!("a new cell is empty");
        }
        cell
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("OnceCell");
        match self.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::thread;

    /// Two plain threads race to initialize: exactly one initializer runs, and both get its
    /// value (a waiter that missed the end of the attempt would block forever: loom reports
    /// the deadlock).
    #[test]
    fn racing_initializers_run_once() {
        loom::model(|| {
            let cell = Arc::new(OnceCell::new());
            let runs = Arc::new(AtomicUsize::new(0));
            let other = {
                let (cell, runs) = (cell.clone(), runs.clone());
                thread::spawn(move || {
                    *cell.get_or_init(|| {
                        runs.fetch_add(1, Ordering::Relaxed);
                        1
                    })
                })
            };
            let mine = *cell.get_or_init(|| {
                runs.fetch_add(1, Ordering::Relaxed);
                2
            });
            let theirs = other.join().unwrap();
            assert_eq!(mine, theirs);
            assert_eq!(runs.load(Ordering::Relaxed), 1);
        });
    }

    /// `set` races `wait`: the waiter returns the value once it is set, never before.
    #[test]
    fn wait_returns_the_value_set_by_another_thread() {
        loom::model(|| {
            let cell = Arc::new(OnceCell::new());
            let setter = {
                let cell = cell.clone();
                thread::spawn(move || cell.set(7).is_ok())
            };
            assert_eq!(*cell.wait(), 7);
            assert!(setter.join().unwrap());
        });
    }
}

//! Pool-aware synchronization: [`Latch`], [`CountLatch`], [`WaitGroup`], [`Barrier`] and
//! [`OnceCell`].
//!
//! Tasks in a pool often have to wait for each other. Blocking a worker on a std primitive
//! wastes its core and, when more tasks wait than the pool has workers, deadlocks: the task
//! that would release them never gets a thread. The primitives here wait *pool-aware*:
//!
//! - **On a worker of a brigade pool** (any pool, not only the one that sets it), a wait runs
//!   other pending tasks of its pool while the primitive is not released, the way `join` and
//!   `scope` wait. When it finds no task it sleeps in the pool's sleep state, counted as an
//!   idle worker, so a new task wakes it as it would wake any idle worker, and the release
//!   wakes it too. It burns no CPU while it sleeps.
//! - **On any other thread**, a wait blocks on a condition variable.
//!
//! Every wait has a `wait_timeout` form that returns whether the primitive was released.
//!
//! # The stack bound
//!
//! A task run by a wait may itself wait, so waits nest on a worker's stack. At most 64 waits
//! run tasks on one stack at a time, and on Linux none on a stack more than half used: a
//! wait that starts deeper blocks its thread and carries on as the same worker on a fresh
//! thread (with the pool's stack size), which runs tasks as the wait would have, and ends
//! when the wait is released. So the pool keeps its number of working threads and any
//! number of tasks may wait on each other; each 64 nested levels beyond the first (or each
//! half stack of large frames) cost one more OS thread while they wait. Elsewhere than on
//! Linux only the count applies, so a task that waits must keep its frames under about 1/64
//! of the pool's [`stack_size`](crate::ThreadPoolBuilder::stack_size) (32 KiB of the default
//! 2 MiB). On that thread
//! [`current_thread_index`](crate::current_thread_index) is unchanged, but
//! `std::thread::current()` and thread-locals are the new thread's.
//!
//! # Release before you wait
//!
//! A wait runs other tasks on its own stack. If task A waits and picks up task B, and B waits
//! for something A does only after A's wait returns, B holds A's frame below it: a deadlock,
//! however many workers the pool has. Release first (set, count down, drop your `WaitGroup`
//! handle), then wait, as the examples do. `docs/sync.md` has more.
//!
//! # Which primitive
//!
//! - [`Latch`]: one event, set once, awaited by any number of tasks ("the table is built").
//! - [`CountLatch`]: `n` things must happen first ("all 64 tiles are rendered"); can grow
//!   while not yet released.
//! - [`WaitGroup`]: a group of handles; wait until every other holder has dropped its handle.
//!   Robust against panics: an unwinding task drops its handle.
//! - [`Barrier`]: a fixed number of parties meet, phase after phase; one of them leads each
//!   phase. Best with one party per worker, in [`broadcast`](crate::ThreadPool::broadcast).
//! - [`OnceCell`]: a value computed once, on first use, by an initializer that may itself
//!   run parallel work (it runs [isolated](crate::isolate()); waiters help it).
//!
//! A wait that runs other tasks must not hold a lock that those tasks may take: wrap such a
//! wait in [`isolate`](crate::isolate()), which limits it to tasks spawned inside.
//!
//! For the `join` or `scope` shape of waiting (wait for tasks you spawn), use
//! [`join`](crate::join) and [`scope`](crate::scope) instead: they need no primitive at all.
//! To protect data, use `parking_lot::Mutex` or `std::sync::Mutex`, held briefly and never
//! across a wait; for spinning, `crossbeam_utils::Backoff`. brigade does not wrap these.
//!
//! # Examples
//!
//! ```
//! use brigade::sync::{CountLatch, Latch};
//!
//! let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
//! let start = Latch::new();
//! let done = CountLatch::new(8);
//! pool.scope(|s| {
//!     for _ in 0..8 {
//!         s.spawn(|_| {
//!             start.wait();
//!             done.count_down();
//!         });
//!     }
//!     start.set();
//!     done.wait();
//! });
//! # Ok::<(), brigade::BuildError>(())
//! ```

mod barrier;
mod count_latch;
mod latch;
mod once_cell;
mod signal;
mod wait_group;

pub use crate::error::IncrementError;
pub use barrier::{Barrier, BarrierWaitResult};
pub use count_latch::CountLatch;
pub use latch::Latch;
pub use once_cell::OnceCell;
pub use wait_group::WaitGroup;

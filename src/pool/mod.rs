//! The pool: its builder, the user's handle, the shared registry and the worker threads.

mod builder;
mod heartbeat;
mod pending;
mod registry;
mod state;
mod thread_pool;
mod worker;

pub use builder::ThreadPoolBuilder;
pub use thread_pool::ThreadPool;

#[cfg(all(test, loom))]
pub(crate) use pending::new as new_pending;
pub(crate) use registry::{Registry, global_registry, in_worker};
pub(crate) use worker::WorkerThread;

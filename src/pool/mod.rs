//! The pool: its builder, the user's handle, the shared registry and the worker threads.

mod builder;
mod registry;
mod thread_pool;
mod worker;

pub use builder::ThreadPoolBuilder;
pub use thread_pool::ThreadPool;

pub(crate) use registry::{Registry, global_registry, in_worker};
pub(crate) use worker::WorkerThread;

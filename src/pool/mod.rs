//! The pool: its builder, the user's handle, the shared registry, the worker threads, and how
//! idle workers steal ([`StealPolicy`]).

mod builder;
pub(crate) mod heartbeat;
mod metrics;
mod pending;
mod pinning;
mod registry;
pub(crate) mod stack;
mod state;
mod steal;
mod thread_builder;
mod thread_pool;
mod worker;

pub(crate) use builder::MAX_THREADS;
pub use builder::{CustomSpawn, DefaultSpawn, ThreadPoolBuilder, ThreadSpawn};
pub use metrics::{PoolMetrics, WorkerMetrics};
pub use pinning::CorePinning;
pub use steal::{StealAmount, StealPolicy, Victims};
pub use thread_builder::ThreadBuilder;
pub use thread_pool::ThreadPool;

#[cfg(all(test, loom))]
#[cfg(test)]
pub(crate) use pending::armed;
#[cfg(all(test, loom))]
pub(crate) use pending::new as new_pending;
pub(crate) use registry::{Registry, current_registry, global_registry, in_worker};
pub(crate) use worker::WorkerThread;

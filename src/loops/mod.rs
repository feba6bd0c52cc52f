//! Parallel loops: how a loop cuts its range into pieces ([`Schedule`]), how the pieces
//! reach idle workers, and the loop entry points. How idle workers steal is a pool concern
//! (`pool/steal.rs`).

mod adaptive;
mod body;
mod claim;
pub(crate) mod clock;
mod entry;
mod fixed;
mod lanes;
mod partition;
mod runs;
mod source;
mod stealable;

pub(crate) use adaptive::BLOCK_TARGET;
pub(crate) use body::{Body, ForEach, ForEachChunk, MapReduce, fold_apart};
pub(crate) use entry::enter;
pub use entry::{for_each, for_each_chunk, map_reduce};
pub use partition::Schedule;
pub(crate) use runs::Runs;
pub use source::LoopSource;

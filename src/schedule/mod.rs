//! Load balancing: how parallel loops cut their range into pieces ([`Schedule`]), and the
//! loops themselves.

mod adaptive;
mod body;
mod claim;
mod fixed;
mod lanes;
mod loops;
mod partition;
mod source;
mod stealable;

pub(crate) use body::{ForEach, ForEachChunk, MapReduce};
pub(crate) use loops::run_loop;
pub use loops::{for_each, for_each_chunk, map_reduce};
pub use partition::Schedule;
pub use source::LoopSource;

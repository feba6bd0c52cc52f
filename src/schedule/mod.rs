//! Load balancing: how idle workers steal ([`StealPolicy`]), how parallel loops cut their
//! range into pieces ([`Schedule`]), and the loops themselves.

mod adaptive;
mod body;
mod claim;
mod fixed;
mod lanes;
mod loops;
mod partition;
mod source;
mod steal;
mod stealable;

pub(crate) use body::{ForEach, ForEachChunk, MapReduce};
pub(crate) use loops::enter;
pub use loops::{for_each, for_each_chunk, map_reduce};
pub use partition::Schedule;
pub use source::LoopSource;
pub use steal::{StealAmount, StealPolicy, Victims};
pub(crate) use steal::{nearest_first, random, round_robin};

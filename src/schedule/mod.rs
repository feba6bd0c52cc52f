//! Load balancing: how idle workers steal, and (later) how parallel loops split their range.

mod steal;

pub use steal::{StealAmount, StealPolicy, Victims};
pub(crate) use steal::{nearest_first, random, round_robin};

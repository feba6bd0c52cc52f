//! The traits a rayon user imports with `use rayon::prelude::*`, for brigade:
//! `use brigade::prelude::*` brings `par_iter()`, `par_iter_mut()`, `into_par_iter()`,
//! `par_chunks(_mut)`, `par_windows`, `par_lines`, `par_split_whitespace`, `par_extend`, `par_drain` and
//! every adaptor and terminal into scope. As in rayon, `Either` (for `partition_map`) is not
//! in the prelude: it is [`brigade::iter::Either`](crate::iter::Either).
//!
//! # Examples
//!
//! ```
//! use brigade::prelude::*;
//!
//! let v: Vec<u64> = (0..1000).collect();
//! let evens: Vec<u64> = v.par_iter().copied().filter(|x| x % 2 == 0).collect();
//! assert_eq!(evens.len(), 500);
//! ```

pub use crate::iter::{
    FromParallelIterator, IndexedParallelIterator, IntoParallelIterator, IntoParallelRefIterator,
    IntoParallelRefMutIterator, ParallelBridge, ParallelDrainFull, ParallelDrainRange,
    ParallelExtend, ParallelIterator, ParallelSlice, ParallelSliceMut, ParallelString,
};

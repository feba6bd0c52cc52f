//! Parallel iterators: the data-parallel verbs of rayon (`par_iter().map(..).sum()`,
//! `collect`, `fold`, `par_chunks_mut`, `any`...) on brigade's loop schedules.
//!
//! Every parallel iterator is a parallel loop over its *base indices* `0..base_len` (a
//! slice's positions, a range's offsets, a string's bytes): the schedule cuts them into
//! pieces, each piece becomes a sequential iterator, and the terminal folds the pieces'
//! items (`drive.rs`). Adaptors wrap the piece iterators (`map` maps them, `enumerate`
//! numbers them from the piece's start, `zip` zips two sources' pieces of the same
//! indices). An *indexed* iterator has exactly one item per base index: `collect` then
//! writes each piece in place, and `enumerate`, `zip` and `position_first` know each item's
//! position; `skip`, `take`, `step_by` and `rev` map their pieces onto the base's indices,
//! and `chain` puts a second iterator's indices after the first's. `filter` and its kin
//! keep the pieces but not the count.
//!
//! `docs/iterators.md` has the porting table from rayon.

mod bridge;
mod chain;
mod chars;
mod chunks;
mod collect;
mod collections;
mod concat;
mod drain;
mod drive;
mod enumerate;
mod extend;
mod filter;
mod find;
mod flat_map;
mod fold;
mod gate;
mod indexed;
mod interleave;
mod intersperse;
mod into;
mod iter_chunks;
mod long_range;
mod map;
mod map_init;
mod multizip;
mod par_either;
mod parallel_iterator;
mod partition;
mod reduce;
mod repeat;
mod rev;
mod shared_item;
mod skip_take;
mod slice;
mod slice_parts;
mod sort;
mod source;
mod split;
mod splitter;
mod step_by;
mod stop;
mod str;
mod string_drain;
mod through;
mod try_ops;
mod tuning;
mod vec;
mod walk_tree;
mod zip;

pub use bridge::{IterBridge, ParallelBridge};
pub use chain::Chain;
pub use chars::{Bytes, CharIndices, Chars};
pub use chunks::{
    ArrayWindows, Chunks, ChunksExact, ChunksExactMut, ChunksMut, RChunks, RChunksExact,
    RChunksExactMut, RChunksMut, Windows,
};
pub use collect::FromParallelIterator;
pub use drain::{ParallelDrainFull, ParallelDrainRange};
/// The two-way choice of [`partition_map`](ParallelIterator::partition_map): the `either`
/// crate's `Either`, re-exported as rayon does.
pub use either::Either;
pub use enumerate::Enumerate;
pub use extend::ParallelExtend;
pub use filter::{Filter, FilterMap, FlatMapIter, FlattenIter};
pub use flat_map::{FlatMap, Flatten};
pub use fold::Fold;
pub use gate::{SkipAny, SkipAnyWhile, TakeAny, TakeAnyWhile, WhileSome};
pub use indexed::IndexedParallelIterator;
pub use interleave::{Interleave, InterleaveShortest};
pub use intersperse::Intersperse;
pub use into::{IntoParallelIterator, IntoParallelRefIterator, IntoParallelRefMutIterator};
pub use iter_chunks::IterChunks;
pub use map::{Cloned, Copied, Inspect, Map};
pub use map_init::MapInit;
pub use multizip::MultiZip;
pub use parallel_iterator::ParallelIterator;
pub use repeat::{RepeatN, empty, once, repeat, repeat_n, repeatn};
pub use rev::Rev;
pub use skip_take::{Skip, Take};
pub use slice::{ParallelSlice, ParallelSliceMut};
pub use slice_parts::{
    ChunkBy, ChunkByMut, SliceParts, SlicePartsMut, SliceSplit, SliceSplitInclusive,
    SliceSplitInclusiveMut, SliceSplitMut,
};
pub use source::Iter;
pub use split::{Pattern, Split, SplitInclusive, SplitParts, SplitTerminator};
pub use splitter::{IterSplit, split};
pub use step_by::StepBy;
pub use str::{
    EncodeUtf16, Lines, ParallelString, SplitAsciiWhitespace, SplitWhitespace, Utf16Units,
};
pub use string_drain::StringDrain;
pub use try_ops::Try;
pub use tuning::{ExponentialBlocks, MaxLen, MinLen, UniformBlocks, WithSchedule};
pub use vec::{Drain, IntoIter};
pub use walk_tree::{WalkTree, walk_tree, walk_tree_postfix, walk_tree_prefix};
pub use zip::Zip;

/// Keeps brigade's iterator traits implemented by brigade's types only, so that the hidden
/// methods the loops rely on cannot be implemented wrongly elsewhere.
mod sealed {
    pub trait Sealed {}
}

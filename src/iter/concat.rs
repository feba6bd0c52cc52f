//! Joining the `Vec`s that a loop collected, one per chain of pieces, into one, in order:
//! what `collect` and `par_extend` of an iterator that is not indexed end with.
//!
//! The first part keeps its buffer and grows (a large buffer grows in place, by remapping
//! its pages); the items of the others are moved in after it. When there are many of them
//! (at least [`PARALLEL_BYTES`]) and the pool has more than one thread, that move is itself
//! a parallel loop over the target's slots: on two threads a `collect` of 10M `u64`s spent
//! a third of its time in a serial copy into fresh memory, behind its page faults.

use std::mem::{MaybeUninit, size_of};
use std::ptr::{self, NonNull};

use crate::Schedule;

/// Below this many bytes to move, the parts are appended one after the other. (Tiny under
/// miri, so that its runs of the tests take the parallel move.)
const PARALLEL_BYTES: usize = if cfg!(miri) { 64 } else { 256 * 1024 };

/// Joins `parts` in order, moving each item once (none of the first part's).
pub(crate) fn concat<T: Send>(parts: Vec<Vec<T>>) -> Vec<T> {
    let mut parts = parts.into_iter();
    let Some(mut all) = parts.next() else {
        return Vec::new();
    };
    let rest: Vec<Vec<T>> = parts.collect();
    // Exact, as a `Vec` collected in one go would be (`append_parts` reserves with room
    // to grow, for a `Vec` extended again and again).
    all.reserve_exact(rest.iter().map(Vec::len).sum());
    append_parts(&mut all, rest);
    all
}

/// Moves the items of `parts`, in order, to the end of `target`.
pub(crate) fn append_parts<T: Send>(target: &mut Vec<T>, mut parts: Vec<Vec<T>>) {
    parts.retain(|part| !part.is_empty());
    let add: usize = parts.iter().map(Vec::len).sum();
    target.reserve(add);
    if add.saturating_mul(size_of::<T>()) < PARALLEL_BYTES || crate::current_num_threads() < 2 {
        for mut part in parts {
            target.append(&mut part);
        }
        return;
    }
    // Where each part starts among the slots after `target`'s items.
    let mut starts = Vec::with_capacity(parts.len());
    let mut at = 0;
    for part in &parts {
        starts.push(at);
        at += part.len();
    }
    let sources: Vec<Source<T>> = parts.iter_mut().map(Source::of).collect();
    let slots = &mut target.spare_capacity_mut()[..add];
    crate::for_each_chunk(slots, Schedule::default(), |start, piece| {
        move_into(piece, start, &starts, &sources);
    });
    for mut part in parts {
        // SAFETY: the loop above moved every item of every part out (the pieces cover
        // `0..add`, each slot once), so the part must not drop them: it keeps only its
        // buffer, which it frees.
        unsafe { part.set_len(0) };
    }
    let len = target.len() + add;
    // SAFETY: `reserve` made room for `add` more items, and the loop wrote each of
    // the `add` slots after the old length with an item that nobody else owns now.
    unsafe { target.set_len(len) };
}

/// Fills `piece`, the target's slots `start..start + piece.len()` after its items, with
/// the items of the parts that cover them (part `i` starts at `starts[i]`).
fn move_into<T>(
    piece: &mut [MaybeUninit<T>],
    start: usize,
    starts: &[usize],
    sources: &[Source<T>],
) {
    let mut done = 0;
    // The last part that starts at or before `start`.
    let mut i = starts.partition_point(|&s| s <= start) - 1;
    while done < piece.len() {
        let at = start + done;
        let offset = at - starts[i];
        let n = (sources[i].len - offset).min(piece.len() - done);
        // SAFETY: `offset + n <= len` of part `i`, whose buffer is alive (the parts
        // outlive the loop) and whose items at `offset..offset + n` no other piece reads
        // (the pieces cover disjoint slots, and each slot maps to one item of one part);
        // the target's slots and the part's buffer are different allocations.
        unsafe {
            ptr::copy_nonoverlapping(
                sources[i].items.as_ptr().add(offset),
                piece.as_mut_ptr().add(done).cast::<T>(),
                n,
            );
        }
        done += n;
        i += 1;
    }
}

/// A part's items, which the pieces of the loop move out, each its own stretch.
struct Source<T> {
    items: NonNull<T>,
    len: usize,
}

impl<T> Source<T> {
    fn of(part: &mut Vec<T>) -> Self {
        Source {
            items: NonNull::new(part.as_mut_ptr()).expect("a Vec's pointer is never null"),
            len: part.len(),
        }
    }
}

// SAFETY: the threads that share it each read (move out) their own items, and moving an
// item to another thread is sound when `T: Send`.
unsafe impl<T: Send> Send for Source<T> {}
// SAFETY: as above; sharing it only lets each thread move its own stretch of items.
unsafe impl<T: Send> Sync for Source<T> {}

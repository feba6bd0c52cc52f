//! Memory for heap jobs: fixed-size blocks recycled through per-worker magazines.
//!
//! A scoped or detached spawn needs memory for its closure. With the global allocator, a job
//! allocated on one worker and freed by the thief that ran it crosses threads every time, and
//! glibc's allocator then takes the allocating thread's arena lock on both sides: with tiny
//! tasks at 2 threads, `perf` showed over 40% of the `scope_spawn` bench's time in `malloc`
//! and `free`. Instead, jobs whose closure fits a 128-byte block live in blocks that
//! each worker keeps in a thread-local cache (Bonwick's magazines):
//!
//! - a worker's cache holds two magazines (stacks of up to [`MAGAZINE`] free blocks, linked
//!   through the blocks themselves), `loaded` and `previous`; `previous` is empty or full;
//! - allocating pops from `loaded`; when it is empty, a full `previous` takes its place, else a
//!   full magazine comes from the pool's depot, else the global allocator gives a new block;
//! - freeing pushes on `loaded`; when it is full, it becomes `previous`, and a full `previous`
//!   goes to the depot first;
//! - the depot, one per pool, is a mutex-protected list of full magazines touched once per
//!   [`MAGAZINE`] allocations or frees at most; beyond [`DEPOT_LIMIT`] magazines it returns
//!   blocks to the global allocator, so idle memory stays bounded.
//!
//! Blocks all have one layout, so any thread can allocate one (threads outside a pool use the
//! global allocator directly) and any worker can free one into its own cache.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::{self, NonNull};

use crate::loom::{AtomicUsize, Mutex, Ordering};

/// The size of a block: a job whose closure captures up to about 100 bytes fits.
pub(crate) const BLOCK_SIZE: usize = 128;
const BLOCK_ALIGN: usize = 16;
/// Blocks per magazine.
pub(crate) const MAGAZINE: usize = 64;
/// Full magazines a depot keeps before it frees blocks (64 × 64 × 128 B = 512 KiB).
pub(crate) const DEPOT_LIMIT: usize = 64;

const LAYOUT: Layout = match Layout::from_size_align(BLOCK_SIZE, BLOCK_ALIGN) {
    Ok(layout) => layout,
    Err(_) => panic!("invalid block layout"),
};

/// True if a `T` fits a block.
pub(crate) const fn fits<T>() -> bool {
    size_of::<T>() <= BLOCK_SIZE && align_of::<T>() <= BLOCK_ALIGN
}

/// A free block: its first word links to the next free block.
struct Free {
    next: *mut Free,
}

/// A stack of free blocks. `Copy` so that it can live in a `Cell`; each value is used
/// linearly by the code below.
#[derive(Clone, Copy)]
struct Magazine {
    head: *mut Free,
    len: usize,
}

impl Magazine {
    const EMPTY: Magazine = Magazine {
        head: ptr::null_mut(),
        len: 0,
    };

    #[inline]
    fn pop(&mut self) -> Option<NonNull<u8>> {
        let block = NonNull::new(self.head)?;
        // SAFETY: blocks on a magazine are unused, `LAYOUT`-sized and aligned, and start with
        // the link written by `push`.
        self.head = unsafe { (*block.as_ptr()).next };
        self.len -= 1;
        Some(block.cast())
    }

    /// # Safety
    /// `block` must be an unused block allocated with `LAYOUT`.
    #[inline]
    unsafe fn push(&mut self, block: NonNull<u8>) {
        let free = block.cast::<Free>();
        // SAFETY: the block is unused and large and aligned enough for a `Free`.
        unsafe { free.as_ptr().write(Free { next: self.head }) };
        self.head = free.as_ptr();
        self.len += 1;
    }

    /// Returns every block to the global allocator.
    fn free_all(mut self) {
        while let Some(block) = self.pop() {
            // SAFETY: every block on a magazine was allocated with `LAYOUT`.
            unsafe { alloc::dealloc(block.as_ptr(), LAYOUT) };
        }
    }
}

// SAFETY: a magazine owns the blocks it links; moving it moves that ownership.
unsafe impl Send for Magazine {}

/// A pool's store of full magazines.
pub(crate) struct Depot {
    full: Mutex<Vec<Magazine>>,
    /// How many magazines `full` held a moment ago: written under the lock, read without
    /// it, so that an allocation finding the depot empty (many jobs queued at once) goes
    /// straight to the global allocator instead of taking the lock each time.
    len: AtomicUsize,
}

impl Depot {
    pub(crate) fn new() -> Self {
        Depot {
            full: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
        }
    }

    fn take(&self) -> Option<Magazine> {
        // Relaxed: a hint; a magazine given meanwhile is found by a later allocation.
        if self.len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut full = self.full.lock();
        let magazine = full.pop();
        self.len.store(full.len(), Ordering::Relaxed);
        magazine
    }

    fn give(&self, magazine: Magazine) {
        if magazine.len == 0 {
            return;
        }
        let mut full = self.full.lock();
        if full.len() < DEPOT_LIMIT {
            full.push(magazine);
            self.len.store(full.len(), Ordering::Relaxed);
        } else {
            drop(full);
            magazine.free_all();
        }
    }
}

impl Drop for Depot {
    fn drop(&mut self) {
        for magazine in self.full.lock().drain(..) {
            magazine.free_all();
        }
    }
}

/// One worker's blocks. Not `Sync`: only its worker touches it.
pub(crate) struct Cache {
    loaded: Cell<Magazine>,
    /// Empty or full.
    previous: Cell<Magazine>,
}

impl Cache {
    pub(crate) fn new() -> Self {
        Cache {
            loaded: Cell::new(Magazine::EMPTY),
            previous: Cell::new(Magazine::EMPTY),
        }
    }

    /// A block for a job.
    #[inline]
    pub(crate) fn alloc(&self, depot: &Depot) -> NonNull<u8> {
        let mut loaded = self.loaded.get();
        if let Some(block) = loaded.pop() {
            self.loaded.set(loaded);
            return block;
        }
        self.alloc_slow(depot)
    }

    #[cold]
    fn alloc_slow(&self, depot: &Depot) -> NonNull<u8> {
        let previous = self.previous.get();
        let mut refill = if previous.len > 0 {
            self.previous.set(Magazine::EMPTY);
            previous
        } else if let Some(full) = depot.take() {
            full
        } else {
            return alloc_global();
        };
        let block = refill.pop().expect("a refill magazine is not empty");
        self.loaded.set(refill);
        block
    }

    /// Takes back a block that a job no longer uses.
    ///
    /// # Safety
    /// `block` must have been allocated with this module's layout (by any thread) and be
    /// unused from now on.
    #[inline]
    pub(crate) unsafe fn free(&self, block: NonNull<u8>, depot: &Depot) {
        let mut loaded = self.loaded.get();
        if loaded.len == MAGAZINE {
            let previous = self.previous.replace(loaded);
            depot.give(previous);
            loaded = Magazine::EMPTY;
        }
        // SAFETY: by the caller's contract.
        unsafe { loaded.push(block) };
        self.loaded.set(loaded);
    }

    /// Gives every cached block to the depot (when the worker exits).
    pub(crate) fn release(&self, depot: &Depot) {
        depot.give(self.loaded.replace(Magazine::EMPTY));
        depot.give(self.previous.replace(Magazine::EMPTY));
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.loaded.get().free_all();
        self.previous.get().free_all();
    }
}

/// A block from the global allocator (for threads outside a pool, or an empty depot).
pub(crate) fn alloc_global() -> NonNull<u8> {
    // SAFETY: `LAYOUT` has a non-zero size.
    let ptr = unsafe { alloc::alloc(LAYOUT) };
    NonNull::new(ptr).unwrap_or_else(|| alloc::handle_alloc_error(LAYOUT))
}

/// Returns a block to the global allocator.
///
/// # Safety
/// `block` must have been allocated with this module's layout and be unused from now on.
pub(crate) unsafe fn free_global(block: NonNull<u8>) {
    // SAFETY: by the caller's contract.
    unsafe { alloc::dealloc(block.as_ptr(), LAYOUT) };
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn blocks_cycle_through_cache_and_depot() {
        let depot = Depot::new();
        let producer = Cache::new();
        let consumer = Cache::new();
        // The producer allocates, the consumer frees: blocks flow to the depot and back.
        for _ in 0..10 {
            let blocks: Vec<_> = (0..3 * MAGAZINE).map(|_| producer.alloc(&depot)).collect();
            for (i, b) in blocks.iter().enumerate() {
                // SAFETY: each block is BLOCK_SIZE bytes and unused.
                unsafe { b.as_ptr().write_bytes(i as u8, BLOCK_SIZE) };
            }
            for b in blocks {
                // SAFETY: allocated above with this layout, freed once.
                unsafe { consumer.free(b, &depot) };
            }
        }
        assert!(depot.full.lock().len() <= DEPOT_LIMIT);
        consumer.release(&depot);
        producer.release(&depot);
    }

    #[test]
    fn depot_frees_beyond_its_limit() {
        let depot = Depot::new();
        let cache = Cache::new();
        let blocks: Vec<_> = (0..(DEPOT_LIMIT + 4) * MAGAZINE)
            .map(|_| alloc_global())
            .collect();
        for b in blocks {
            // SAFETY: allocated with this layout, freed once.
            unsafe { cache.free(b, &depot) };
        }
        assert_eq!(depot.full.lock().len(), DEPOT_LIMIT);
    }
}

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
//!   full magazine comes from the pool's depot, else a new *slab* of [`SLAB_BLOCKS`] blocks
//!   from the global allocator refills `loaded` (one allocation where a burst of queued jobs,
//!   a scope spawning past its deque, would otherwise make one per job);
//! - freeing pushes on `loaded`; when it is full, it becomes `previous`, and a full `previous`
//!   goes to the depot first;
//! - the depot, one per pool, is a mutex-protected list of full magazines touched once per
//!   [`MAGAZINE`] allocations or frees at most; beyond [`DEPOT_LIMIT`] magazines it returns
//!   blocks to the global allocator, so idle memory stays bounded.
//!
//! Blocks all have one size, so any thread can allocate one (threads outside a pool allocate
//! single blocks) and any worker can free one into its own cache. The last word of every
//! block names where it came from: its slab, or nothing for a single block. A slab counts
//! the blocks it has not got back yet, and goes back to the global allocator with the last
//! of them (an `Arc`'s protocol): so a slab stays allocated while any of its blocks is in use
//! or cached. At worst, one job in use keeps its slab's [`SLAB_BLOCKS`] blocks allocated.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::{self, NonNull};

use crate::loom::{AtomicUsize, Mutex, Ordering};

/// The size of a block: a job whose closure captures up to about 100 bytes fits.
pub(crate) const BLOCK_SIZE: usize = 128;
const BLOCK_ALIGN: usize = 16;
/// The bytes of a block a job may use; the last word names the block's slab.
const USABLE: usize = BLOCK_SIZE - size_of::<*const Slab>();
/// Blocks per magazine.
pub(crate) const MAGAZINE: usize = 64;
/// Blocks per slab: one magazine's worth (8 KiB).
pub(crate) const SLAB_BLOCKS: usize = MAGAZINE;
/// Full magazines a depot keeps before it frees blocks (64 × 64 × 128 B = 512 KiB).
pub(crate) const DEPOT_LIMIT: usize = 64;

/// A single block.
const LAYOUT: Layout = match Layout::from_size_align(BLOCK_SIZE, BLOCK_ALIGN) {
    Ok(layout) => layout,
    Err(_) => panic!("invalid block layout"),
};
/// A slab: its header in the first `BLOCK_ALIGN` bytes, then `SLAB_BLOCKS` blocks.
const SLAB_LAYOUT: Layout =
    match Layout::from_size_align(BLOCK_ALIGN + SLAB_BLOCKS * BLOCK_SIZE, BLOCK_ALIGN) {
        Ok(layout) => layout,
        Err(_) => panic!("invalid slab layout"),
    };

/// True if a `T` fits a block.
pub(crate) const fn fits<T>() -> bool {
    size_of::<T>() <= USABLE && align_of::<T>() <= BLOCK_ALIGN
}

/// The header of a slab.
struct Slab {
    /// Its blocks not yet given back to the global allocator (in use, cached or free).
    out: AtomicUsize,
}

const _: () = assert!(size_of::<Slab>() <= BLOCK_ALIGN && align_of::<Slab>() <= BLOCK_ALIGN);

/// Where `block` came from: its slab, or null for a single block.
///
/// # Safety
/// `block` must be a block of this module (its last word is never written after it is made).
#[inline]
unsafe fn origin(block: NonNull<u8>) -> *const Slab {
    // SAFETY: by the caller's contract, the block is `BLOCK_SIZE` bytes, and its last word
    // (aligned: `USABLE` is a multiple of a pointer's size) holds its origin.
    unsafe { block.as_ptr().add(USABLE).cast::<*const Slab>().read() }
}

/// Makes `block` name `slab` as its origin.
///
/// # Safety
/// `block` must be `BLOCK_SIZE` bytes of fresh memory, aligned to `BLOCK_ALIGN`.
#[inline]
unsafe fn set_origin(block: NonNull<u8>, slab: *const Slab) {
    // SAFETY: by the caller's contract.
    unsafe { block.as_ptr().add(USABLE).cast::<*const Slab>().write(slab) };
}

/// A new slab: its first block for the caller, the rest on `magazine` (which must be empty).
fn new_slab(magazine: &mut Magazine) -> NonNull<u8> {
    debug_assert_eq!(magazine.len, 0);
    // SAFETY: `SLAB_LAYOUT` has a non-zero size.
    let base = NonNull::new(unsafe { alloc::alloc(SLAB_LAYOUT) })
        .unwrap_or_else(|| alloc::handle_alloc_error(SLAB_LAYOUT));
    let slab = base.cast::<Slab>();
    // SAFETY: the header's room is at the start of the fresh allocation, aligned.
    unsafe {
        slab.as_ptr().write(Slab {
            out: AtomicUsize::new(SLAB_BLOCKS),
        })
    };
    let block = |i: usize| {
        // SAFETY: block `i` lies within the allocation, after the header.
        unsafe { base.add(BLOCK_ALIGN + i * BLOCK_SIZE) }
    };
    for i in 0..SLAB_BLOCKS {
        // SAFETY: each block is fresh, `BLOCK_SIZE` bytes, aligned to `BLOCK_ALIGN`.
        unsafe { set_origin(block(i), slab.as_ptr()) };
    }
    for i in 1..SLAB_BLOCKS {
        // SAFETY: the block is unused and of this module.
        unsafe { magazine.push(block(i)) };
    }
    block(0)
}

/// Gives `block` back: a single block to the global allocator, a slab's block to its slab,
/// which goes back to the global allocator with its last block.
///
/// # Safety
/// `block` must be a block of this module, unused from now on.
unsafe fn release(block: NonNull<u8>) {
    // SAFETY: by the caller's contract.
    let slab = unsafe { origin(block) };
    if slab.is_null() {
        // SAFETY: a single block, allocated with `LAYOUT` by `alloc_global`.
        unsafe { alloc::dealloc(block.as_ptr(), LAYOUT) };
        return;
    }
    // SAFETY: the slab stays allocated until its count reaches 0, and this block is one
    // of those it counts.
    let out = unsafe { &(*slab).out };
    // Release: this thread's uses of the block happen before the slab is freed; pairs with
    // the Acquire load of whichever thread gives back the last block.
    if out.fetch_sub(1, Ordering::Release) == 1 {
        // Acquire, pairs with the Release decrements of every other block. A load, not a
        // fence: ThreadSanitizer does not see fences, and reports the free as a race.
        let _ = out.load(Ordering::Acquire);
        // SAFETY: every block is back: nothing uses the slab any more. Its header is
        // dropped (a no-op, but loom tracks its atomics) before the memory goes.
        unsafe {
            ptr::drop_in_place(slab.cast_mut());
            alloc::dealloc(slab.cast_mut().cast::<u8>(), SLAB_LAYOUT);
        }
    }
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
        // SAFETY: blocks on a magazine are unused blocks of this module (`BLOCK_SIZE` bytes,
        // aligned to `BLOCK_ALIGN`, single or in a slab), and start with the link written
        // by `push`.
        self.head = unsafe { (*block.as_ptr()).next };
        self.len -= 1;
        Some(block.cast())
    }

    /// # Safety
    /// `block` must be an unused block of this module (single or in a slab).
    #[inline]
    unsafe fn push(&mut self, block: NonNull<u8>) {
        let free = block.cast::<Free>();
        // SAFETY: the block is unused and large and aligned enough for a `Free`.
        unsafe { free.as_ptr().write(Free { next: self.head }) };
        self.head = free.as_ptr();
        self.len += 1;
    }

    /// Gives every block back (to its slab or the global allocator).
    fn free_all(mut self) {
        while let Some(block) = self.pop() {
            // SAFETY: every block on a magazine is a block of this module, unused.
            unsafe { release(block) };
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
            // `loaded` is empty here: the new slab's other blocks go there.
            let mut loaded = Magazine::EMPTY;
            let block = new_slab(&mut loaded);
            self.loaded.set(loaded);
            return block;
        };
        let block = refill.pop().expect("a refill magazine is not empty");
        self.loaded.set(refill);
        block
    }

    /// Takes back a block that a job no longer uses.
    ///
    /// # Safety
    /// `block` must be a block of this module (single or in a slab, from any thread) and be
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

/// A single block from the global allocator (for threads outside a pool).
pub(crate) fn alloc_global() -> NonNull<u8> {
    // SAFETY: `LAYOUT` has a non-zero size.
    let ptr = unsafe { alloc::alloc(LAYOUT) };
    let block = NonNull::new(ptr).unwrap_or_else(|| alloc::handle_alloc_error(LAYOUT));
    // SAFETY: fresh, `BLOCK_SIZE` bytes, aligned to `BLOCK_ALIGN`; no slab.
    unsafe { set_origin(block, ptr::null()) };
    block
}

/// Gives a block back without a cache (on a thread outside a pool).
///
/// # Safety
/// `block` must be a block of this module (from any thread) and be unused from now on.
pub(crate) unsafe fn free_global(block: NonNull<u8>) {
    // SAFETY: by the caller's contract.
    unsafe { release(block) };
}

/// A block handed to another thread in a test.
#[cfg(test)]
struct SendBlock(NonNull<u8>);

// SAFETY: a block is plain memory; the tests hand each to one thread.
#[cfg(test)]
unsafe impl Send for SendBlock {}

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
                // SAFETY: each block is unused; a job may write its first USABLE bytes.
                unsafe { b.as_ptr().write_bytes(i as u8, USABLE) };
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

    #[test]
    fn a_slab_goes_back_with_its_last_block_from_any_thread() {
        let depot = Depot::new();
        let cache = Cache::new();
        // An empty depot: the first allocation makes a slab, the next ones come from it.
        let blocks: Vec<_> = (0..SLAB_BLOCKS + 1).map(|_| cache.alloc(&depot)).collect();
        // SAFETY: blocks of this module.
        let origins: Vec<_> = blocks.iter().map(|&b| unsafe { origin(b) }).collect();
        let slab = origins[0];
        assert!(!slab.is_null());
        assert!(origins[..SLAB_BLOCKS].iter().all(|&o| o == slab));
        assert_ne!(origins[SLAB_BLOCKS], slab, "a second slab");
        // Freed on other threads without a cache, in two halves: the slabs go back to the
        // global allocator once (miri's leak check and use-after-free check see the rest).
        let (left, right) = blocks.split_at(blocks.len() / 2);
        std::thread::scope(|s| {
            for half in [left, right] {
                let half: Vec<SendBlock> = half.iter().map(|&b| SendBlock(b)).collect();
                s.spawn(move || {
                    for b in half {
                        // SAFETY: each block once, unused.
                        unsafe { free_global(b.0) };
                    }
                });
            }
        });
        cache.release(&depot);
    }

    #[test]
    fn single_blocks_have_no_slab() {
        let b = alloc_global();
        // SAFETY: a block of this module.
        assert!(unsafe { origin(b) }.is_null());
        // SAFETY: unused from now on.
        unsafe { free_global(b) };
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::thread;

    /// A slab's blocks given back on two threads: the slab is freed once, after both
    /// (loom checks the accesses; its leak check, that it is freed).
    #[test]
    fn the_last_block_frees_the_slab() {
        loom::model(|| {
            let mut magazine = Magazine::EMPTY;
            let first = SendBlock(new_slab(&mut magazine));
            let other = thread::spawn(move || {
                // SAFETY: the slab's first block, unused, given back once.
                unsafe { release(first.0) };
            });
            magazine.free_all();
            other.join().unwrap();
        });
    }
}

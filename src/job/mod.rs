//! Type-erased jobs: what sits in a deque or the injector.
//!
//! A job is any struct that starts with a [`JobHeader`] (`#[repr(C)]`), so a single pointer to
//! the header identifies it and fits one atomic deque slot. The header holds the function that
//! knows the job's real type and runs it. Two kinds exist:
//!
//! - [`StackJob`]: lives in the stack frame of a thread that waits for it (the second half of a
//!   `join`, an `install`, a broadcast). The waiter keeps the frame alive until the job's latch
//!   is set; the result travels back through the job.
//! - [`HeapJob`]: boxed, owned by the queue until it runs (scoped and detached spawns).
//!
//! This is the bottom layer: the only place, with the deque, where raw pointers to user work
//! exist. Everything above handles [`JobRef`]s.

use std::any::Any;
use std::cell::UnsafeCell;
use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};

use crate::isolate::Region;
use crate::latch::{Latch, SpinLatch};
use crate::pool::{Registry, WorkerThread};
use crate::unwind;

pub(crate) mod blocks;
pub(crate) mod fifo;

/// Whose a recorded `join` half becomes when it is armed (`StackJob::arm`): the worker
/// that recorded it, whose `join` waits for it, and the isolation region it was recorded in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArmAs {
    /// The recording worker's handle on its registry (its `WorkerThread::registry_arc`),
    /// which its latch borrows.
    pub(crate) registry: *const std::sync::Arc<Registry>,
    /// The recording worker's index.
    pub(crate) index: usize,
    /// The region the half was recorded in.
    pub(crate) region: Region,
}

/// The first field of every job.
#[repr(C)]
pub(crate) struct JobHeader {
    execute: unsafe fn(NonNull<JobHeader>),
    /// The isolation region of a job recorded on a pending stack, for a thief that claims
    /// it there (see `pool/pending.rs`); `Region::NONE` for every other job, whose region
    /// travels in its `JobRef`.
    region: Region,
}

impl JobHeader {
    /// The region the job was recorded in.
    ///
    /// # Safety
    /// `ptr` must point to a live job's header.
    #[inline]
    pub(crate) unsafe fn region(ptr: NonNull<JobHeader>) -> Region {
        // SAFETY: by the caller's contract the header is live; `region` is written only
        // before the job is published.
        unsafe { (*ptr.as_ptr()).region }
    }
}

/// A job with a header and nothing else, never executed: for tests and models that claim
/// job references and read their headers.
#[cfg(test)]
pub(crate) struct HeaderOnly(JobHeader);

#[cfg(test)]
impl HeaderOnly {
    pub(crate) fn new() -> Self {
        unsafe fn never(_: NonNull<JobHeader>) {
            unreachable!("a header-only job is never executed")
        }
        HeaderOnly(JobHeader {
            execute: never,
            region: Region::NONE,
        })
    }

    pub(crate) fn job_ref(&self) -> JobRef {
        // SAFETY: never executed; the header stays valid as long as `self`.
        unsafe { JobRef::new(NonNull::from(&self.0)) }
    }
}

/// A pointer to a job that has not run yet, and the isolation region it belongs to (see
/// `isolate.rs`). Running it consumes it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct JobRef {
    header: NonNull<JobHeader>,
    region: Region,
}

// SAFETY: the job behind a `JobRef` is `Send` (its closure is required to be), and it is run
// exactly once, by whichever thread takes the `JobRef`.
unsafe impl Send for JobRef {}

impl JobRef {
    /// # Safety
    /// `header` must be the header of a job whose `execute` function matches its type, and the
    /// job must stay valid until `execute` has run.
    unsafe fn new(header: NonNull<JobHeader>) -> JobRef {
        JobRef {
            header,
            region: Region::NONE,
        }
    }

    /// The isolation region the job belongs to: only workers outside every region, or
    /// inside this one, may run it.
    #[inline]
    pub(crate) fn region(&self) -> Region {
        self.region
    }

    /// The same job, in `region`.
    #[inline]
    pub(crate) fn in_region(self, region: Region) -> JobRef {
        JobRef { region, ..self }
    }

    /// An identity for comparing a popped job with one we pushed.
    #[inline]
    pub(crate) fn id(&self) -> *const JobHeader {
        self.header.as_ptr()
    }

    /// Turns the reference into a raw pointer, to store in a deque slot (with its region as
    /// the slot's tag) or on a pending stack (whose entries all belong to its owner's region).
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<JobHeader> {
        self.header
    }

    /// # Safety
    /// `ptr` must come from [`JobRef::into_raw`] and be taken back only once.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<JobHeader>, region: Region) -> JobRef {
        JobRef {
            header: ptr,
            region,
        }
    }

    /// A distinct, never-executed reference `n` for tests and models that only move job
    /// references around and compare them.
    #[cfg(test)]
    pub(crate) fn fake(n: usize) -> JobRef {
        let addr = (n + 1) * std::mem::align_of::<JobHeader>();
        let ptr = NonNull::new(ptr::without_provenance_mut::<JobHeader>(addr)).expect("non-null");
        // SAFETY: the callers never execute or dereference it.
        unsafe { JobRef::new(ptr) }
    }

    /// Runs the job. Jobs catch their own panics, so this never unwinds.
    #[inline]
    pub(crate) fn execute(self) {
        // SAFETY: by the contract of `JobRef::new`, `execute` matches the job and the job is
        // still alive; taking `self` by value means it runs once.
        unsafe {
            let f = (*self.header.as_ptr()).execute;
            f(self.header)
        }
    }
}

/// The outcome of a job that someone waits for.
pub(crate) enum JobResult<T> {
    /// Not run yet.
    None,
    /// Returned normally.
    Ok(T),
    /// Panicked; the payload is re-raised in the waiter.
    Panic(Box<dyn Any + Send>),
}

impl<T> JobResult<T> {
    fn call(func: impl FnOnce() -> T) -> Self {
        match unwind::halt_unwinding(func) {
            Ok(v) => JobResult::Ok(v),
            Err(p) => JobResult::Panic(p),
        }
    }

    /// The value, or the panic as an `Err`.
    pub(crate) fn into_result(self) -> Result<T, Box<dyn Any + Send>> {
        match self {
            JobResult::Ok(v) => Ok(v),
            JobResult::Panic(p) => Err(p),
            JobResult::None => unreachable!("a job's result was read before it ran"),
        }
    }
}

/// A job in the stack frame of the thread that waits for it.
#[repr(C)]
pub(crate) struct StackJob<L, F, R> {
    header: JobHeader,
    /// Set after the result is written; the waiter reads the result only after that.
    pub(crate) latch: L,
    /// Moved out once, by whoever runs the job; `taken` says whether it was. Not an
    /// `Option<F>`: taking one whose `None` sits in a niche of `F` (the `bool` of a
    /// `RangeInclusive<u16>` captured by value) made rustc 1.95 to 1.97's LLVM merge the
    /// loads of `F` into invalid IR and pass the range on as `0..=0` (LLVM issue 207229,
    /// fixed upstream in July 2026). A separate flag keeps `F`'s bytes out of that pattern.
    func: UnsafeCell<ManuallyDrop<F>>,
    taken: UnsafeCell<bool>,
    result: UnsafeCell<JobResult<R>>,
}

impl<L, F, R> Drop for StackJob<L, F, R> {
    fn drop(&mut self) {
        if !*self.taken.get_mut() {
            // SAFETY: not moved out, and never again: the job is going away.
            unsafe { ManuallyDrop::drop(self.func.get_mut()) }
        }
    }
}

impl<L: Latch, F: FnOnce() -> R + Send, R: Send> StackJob<L, F, R> {
    /// A complete job, published at once (a recorded `join` half is built unarmed instead,
    /// see `write_unarmed`).
    pub(crate) fn new(func: F, latch: L) -> Self {
        StackJob {
            header: JobHeader {
                execute: Self::execute,
                region: Region::NONE,
            },
            latch,
            func: UnsafeCell::new(ManuallyDrop::new(func)),
            taken: UnsafeCell::new(false),
            result: UnsafeCell::new(JobResult::None),
        }
    }

    /// # Safety
    /// The caller must keep `self` alive, and not move it, until its latch is set or until
    /// the returned reference is known to be dropped unexecuted (popped back by the owner).
    pub(crate) unsafe fn as_job_ref(&self) -> JobRef {
        // SAFETY: the header is the first field of a `#[repr(C)]` struct whose `execute`
        // matches; the caller keeps the job alive. The pointer is taken from the whole job,
        // not from `&self.header`, so that it may reach the other fields (under Stacked
        // Borrows a pointer to the header alone may not; miri caught that).
        unsafe { JobRef::new(NonNull::from(self).cast::<JobHeader>()) }
    }

    unsafe fn execute(header: NonNull<JobHeader>) {
        // SAFETY: `header` is the first field of a `StackJob<L, F, R>` (see `as_job_ref`).
        let this = unsafe { header.cast::<Self>().as_ref() };
        // SAFETY: the job runs once, and nobody else touches `func` or `result` until the
        // latch is set below.
        let func = unsafe { this.take_func() };
        // SAFETY: as above.
        unsafe { *this.result.get() = JobResult::call(func) };
        // SAFETY: the latch may free `this` once set; we do not touch it afterwards.
        unsafe { L::set(&this.latch) };
    }

    /// Runs the closure on this thread, catching a panic.
    ///
    /// These methods take `&self`: a published job is reachable from another thread
    /// through the pointer `as_job_ref` made, so no `&mut` to it may exist while it is
    /// published (a `&mut` would invalidate that pointer; miri caught a helper that took
    /// one). The job also never moves while published.
    ///
    /// # Safety
    /// No other thread runs or will run the job: it was never published, or it was taken back
    /// from the deque by its owner.
    pub(crate) unsafe fn run_inline(&self) -> Result<R, Box<dyn Any + Send>> {
        // SAFETY: by the caller's contract nobody else touches `func`.
        let func = unsafe { self.take_func() };
        unwind::halt_unwinding(func)
    }

    /// Moves the closure out.
    ///
    /// # Safety
    /// Only the one thread that runs the job calls this, and nobody else touches `func` or
    /// `taken` meanwhile.
    #[inline]
    unsafe fn take_func(&self) -> F {
        // SAFETY: by the caller's contract this thread alone touches `taken` and `func`.
        unsafe {
            assert!(!*self.taken.get(), "job executed twice");
            *self.taken.get() = true;
            ManuallyDrop::take(&mut *self.func.get())
        }
    }

    /// The result of a job that ran elsewhere.
    ///
    /// # Safety
    /// The job's latch must be set (the thread that ran it no longer touches the result).
    pub(crate) unsafe fn take_result(&self) -> Result<R, Box<dyn Any + Send>> {
        // SAFETY: by the caller's contract the writer is done with `result`.
        unsafe { std::mem::replace(&mut *self.result.get(), JobResult::None) }.into_result()
    }
}

/// A `join`'s second half, recorded *unarmed*: its frame holds the `StackJob`'s memory, but
/// only the closure is written. The header, the latch and the result slot are written by
/// [`StackJob::arm`] when the job is about to be shared (published on the deque, or recorded
/// where thieves may claim it); most second halves are taken back by their own `join` before
/// that and called straight from the frame, so a recorded `join` costs hardly more than a
/// plain call (see `pool/pending.rs`).
///
/// Such a job is never dropped as a `StackJob`: every path out of its `join` moves the
/// closure out (it runs exactly once) and, if the job was armed and ran elsewhere, its result
/// too.
impl<'r, F: FnOnce() -> R + Send, R: Send> StackJob<SpinLatch<'r>, F, R> {
    /// Writes only the closure into `slot`.
    ///
    /// # Safety
    /// `slot` must be valid for writes and stay unmoved while the job is recorded.
    #[inline]
    pub(crate) unsafe fn write_unarmed(slot: *mut Self, func: F) {
        // SAFETY: by the caller's contract; only the `func` field is written.
        unsafe {
            ptr::addr_of_mut!((*slot).func).write(UnsafeCell::new(ManuallyDrop::new(func)));
        }
    }

    /// A reference to the job in `slot` (armed or not), for a pending stack.
    ///
    /// # Safety
    /// As for [`as_job_ref`](Self::as_job_ref), and the job must be armed (by passing
    /// [`arm`](Self::arm) along with it) before anyone executes it or reads its header.
    #[inline]
    pub(crate) unsafe fn unarmed_ref(slot: *mut Self) -> JobRef {
        // SAFETY: `slot` is non-null (it points to a frame's memory); the header is the first
        // field of a `#[repr(C)]` struct; the caller arms it before it is used.
        unsafe { JobRef::new(NonNull::new_unchecked(slot).cast::<JobHeader>()) }
    }

    /// Writes the rest of the job, so that another worker may run it: the header (in the
    /// region it was recorded in), a latch that wakes the worker that recorded it, and an
    /// empty result. Arming an armed job again (one whose publication failed) writes the
    /// same values. The recording worker arms a job it promotes; the pool's heartbeat
    /// thread arms one it claims (`pool/pending.rs`), with the recording worker's `as_`.
    ///
    /// # Safety
    /// `header` must point to a `StackJob<SpinLatch<'r>, F, R>` whose closure was written by
    /// [`write_unarmed`](Self::write_unarmed) and not moved out, and not shared yet; nobody
    /// else may read or write the job meanwhile; `as_.registry` must point to the recording
    /// worker's registry handle, which outlives the job.
    pub(crate) unsafe fn arm(header: NonNull<JobHeader>, as_: &ArmAs) {
        let slot = header.cast::<Self>().as_ptr();
        // SAFETY: by the caller's contract nobody else reads the job yet, and the writes
        // leave `func` alone. The latch borrows the recording worker's registry handle,
        // which outlives every frame on that worker's stack.
        unsafe {
            ptr::addr_of_mut!((*slot).header).write(JobHeader {
                execute: Self::execute,
                region: as_.region,
            });
            ptr::addr_of_mut!((*slot).latch).write(SpinLatch::new(&*as_.registry, as_.index));
            ptr::addr_of_mut!((*slot).taken).write(UnsafeCell::new(false));
            ptr::addr_of_mut!((*slot).result).write(UnsafeCell::new(JobResult::None));
        }
    }

    /// Calls the closure of a job its `join` took back (armed or not), letting a panic
    /// unwind.
    ///
    /// # Safety
    /// The closure was written and never moved out, and no other thread runs or will run
    /// the job.
    #[inline]
    pub(crate) unsafe fn call_taken_back(slot: *mut Self) -> R {
        // SAFETY: by the caller's contract the closure is there, ours alone, and read once.
        let func = unsafe { ManuallyDrop::into_inner(ptr::read((*slot).func.get())) };
        func()
    }
}

/// A job on the heap, owned by the queue it sits in until it runs (scoped and detached
/// spawns). It lives in a recycled block (see [`blocks`]) when it fits one, else in a `Box`.
#[repr(C)]
pub(crate) struct HeapJob<F> {
    header: JobHeader,
    func: ManuallyDrop<F>,
}

impl<F: FnOnce() + Send> HeapJob<F> {
    const IN_BLOCK: bool = blocks::fits::<Self>();

    /// Puts `func` on the heap as a job, using `worker`'s block cache when given. `func` must
    /// catch its own panics (callers wrap it).
    ///
    /// # Safety
    /// `F` may borrow data with a shorter life than `'static`: the caller must make sure the
    /// job runs before that data goes away (a scope waits for all its jobs).
    #[inline]
    pub(crate) unsafe fn into_job_ref(func: F, worker: Option<&WorkerThread>) -> JobRef {
        let job = HeapJob {
            header: JobHeader {
                execute: Self::execute,
                region: Region::NONE,
            },
            func: ManuallyDrop::new(func),
        };
        let ptr = if Self::IN_BLOCK {
            let block = match worker {
                Some(worker) => worker.job_blocks().alloc(worker.registry().job_depot()),
                None => blocks::alloc_global(),
            };
            let ptr = block.cast::<Self>();
            // SAFETY: the block is unused, and large and aligned enough for `Self`.
            unsafe { ptr.as_ptr().write(job) };
            ptr
        } else {
            NonNull::from(Box::leak(Box::new(job)))
        };
        // SAFETY: header first in a `#[repr(C)]` struct; the memory stays allocated until
        // `execute` frees it.
        unsafe { JobRef::new(ptr.cast::<JobHeader>()) }
    }

    unsafe fn execute(header: NonNull<JobHeader>) {
        let ptr = header.cast::<Self>();
        // SAFETY: `header` came from `into_job_ref` and runs once; `func` is moved out here,
        // exactly once, and the memory is then freed without dropping it again.
        let func = unsafe { ManuallyDrop::into_inner(ptr::read(&(*ptr.as_ptr()).func)) };
        if Self::IN_BLOCK {
            let block = ptr.cast::<u8>();
            match WorkerThread::current() {
                // SAFETY: the block came from `blocks` (a cache or `alloc_global`) and is unused now.
                Some(worker) => unsafe {
                    worker
                        .job_blocks()
                        .free(block, worker.registry().job_depot())
                },
                // SAFETY: as above.
                None => unsafe { blocks::free_global(block) },
            }
        } else {
            // SAFETY: allocated by `Box::new` in `into_job_ref`; `func` is `ManuallyDrop`, so
            // dropping the box frees the memory without running `func`'s destructor.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        }
        func();
    }
}

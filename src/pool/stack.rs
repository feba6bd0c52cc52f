//! How much of the current thread's stack is used, and what brigade does when a recursion
//! runs a worker's stack low.
//!
//! - **Entries** (`join`, `scope`, `install`, every parallel loop, through `in_worker` and
//!   `loops::enter`): one that finds less than a quarter of its thread's stack left
//!   (`running_low`: one load of a thread-local and a compare) carries on as its worker on a
//!   fresh thread (`grow`, through `WorkerThread::on_fresh_stack`) while the thread below
//!   waits, so a recursion through brigade is bounded by memory, not by one stack. Each
//!   thread knows how many fresh stacks lie below it; past `MAX_FRESH_STACKS` an entry stays
//!   where it is, so an endless recursion still ends in the stack overflow abort, after at
//!   most that many thread starts. A program that keeps calling into brigade from that deep
//!   pays a thread start per call; one that recursed that deep without brigade would have
//!   had less than a quarter of its stack left anyway.
//! - **Waits** that run jobs on top of the frames below them (`sync/signal.rs`): a wait that
//!   finds more than half of its stack used carries on as its worker on a fresh thread, as
//!   one beyond the count bound `MAX_WAIT_DEPTH` does. The count alone let 64 tasks with
//!   frames of 32 KiB each, waiting on each other, overflow a 2 MiB stack.
//!
//! Where the stack's bounds cannot be told (systems other than Linux, miri, loom), neither
//! check ever fires.

use std::cell::Cell;

thread_local! {
    /// This thread's stack, `(lowest address, size)`, once looked up; `(0, 0)` if it cannot
    /// be told; `None` before the first look.
    static BOUNDS: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
    /// The address below which an entry on this thread carries on on a fresh stack
    /// (`running_low`); 0 (never) on threads that are not workers, where the bounds cannot
    /// be told, or past `MAX_FRESH_STACKS`.
    static LIMIT: Cell<usize> = const { Cell::new(0) };
    /// How many fresh stacks an entry started below this thread's frames.
    static FRESH_BELOW: Cell<u32> = const { Cell::new(0) };
}

/// The most fresh stacks that entries start on top of each other, for one recursion: with
/// the default stack of 2 MiB, about 96 MiB of recursion through brigade in all.
pub(crate) const MAX_FRESH_STACKS: u32 = 64;

/// Makes this thread ready to act as a worker, with `fresh_below` fresh stacks started
/// below its frames: sets the limit of `running_low`. Called by every thread that becomes a
/// worker (its own thread, an adopted one, a fresh or stand-in thread).
pub(crate) fn enter_thread(fresh_below: u32) {
    FRESH_BELOW.with(|f| f.set(fresh_below));
    let limit = match bounds() {
        (low, size) if size > 0 && fresh_below < MAX_FRESH_STACKS => low + size / 4,
        _ => 0,
    };
    LIMIT.with(|l| l.set(limit));
}

/// This thread's entries stop checking their stack (the OS refused a fresh one).
pub(crate) fn stop_checking() {
    LIMIT.with(|l| l.set(0));
}

/// How many fresh stacks lie below this thread's frames.
pub(crate) fn fresh_below() -> u32 {
    FRESH_BELOW.with(Cell::get)
}

/// True if less than a quarter of this thread's stack is left, on a worker's thread whose
/// bounds are known (`enter_thread`). For the hot paths of every entry: a thread-local load
/// and a compare.
#[inline(always)]
pub(crate) fn running_low() -> bool {
    let marker = 0u8;
    let here = std::ptr::from_ref(&marker).addr();
    here < LIMIT.with(Cell::get)
}

/// This thread's stack, `(lowest address, size)`, looked up once; `(0, 0)` if unknown.
fn bounds() -> (usize, usize) {
    BOUNDS.with(|bounds| match bounds.get() {
        Some(known) => known,
        None => {
            let found = look_up().unwrap_or((0, 0));
            bounds.set(Some(found));
            found
        }
    })
}

/// True if more than half of this thread's stack is in use. False wherever the stack's
/// bounds cannot be told (systems other than Linux, miri, loom).
#[inline(never)]
pub(crate) fn past_half() -> bool {
    let (low, size) = bounds();
    if size == 0 {
        return false;
    }
    // The address of a local of this frame: the stack grows down towards `low`.
    let marker = 0u8;
    let here = std::ptr::from_ref(std::hint::black_box(&marker)).addr();
    here.saturating_sub(low) < size / 2
}

/// The current thread's stack from the C library: its lowest address and its size.
#[cfg(all(target_os = "linux", not(miri), not(loom)))]
fn look_up() -> Option<(usize, usize)> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `pthread_getattr_np` initialises `attr` for the calling thread (the main
    // thread included) when it returns 0; only then is `attr` read, and it is destroyed once.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return None;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        let found = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        found.then_some((addr.addr(), size))
    }
}

#[cfg(not(all(target_os = "linux", not(miri), not(loom))))]
fn look_up() -> Option<(usize, usize)> {
    None
}

#[cfg(all(test, target_os = "linux", not(miri), not(loom)))]
mod tests {
    use super::*;

    /// On a fresh thread, `past_half` turns true as frames fill the stack, once they fill
    /// half of it (the C library may hand a thread a larger cached stack than it asked for,
    /// so the size is the one it reports).
    #[test]
    fn past_half_turns_true_at_half_the_stack() {
        const FRAME: usize = 16 * 1024;
        fn first_past_half(depth: usize) -> usize {
            if past_half() {
                return depth;
            }
            let frame = [1u8; FRAME];
            std::hint::black_box(&frame);
            let found = first_past_half(depth + 1);
            std::hint::black_box(&frame);
            found
        }
        let (depth, size) = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| (first_past_half(0), look_up().expect("the stack's bounds").1))
            .unwrap()
            .join()
            .unwrap();
        assert!(depth >= 1, "past half on a fresh thread");
        assert!(
            depth * FRAME <= size / 2,
            "{depth} frames of {FRAME} bytes on a stack of {size}"
        );
    }

    /// `running_low` turns true once less than a quarter of the stack is left, and only
    /// after `enter_thread`; past `MAX_FRESH_STACKS` fresh stacks below, never.
    #[test]
    fn running_low_turns_true_with_a_quarter_of_the_stack_left() {
        const FRAME: usize = 16 * 1024;
        fn first_low(depth: usize) -> usize {
            if running_low() {
                return depth;
            }
            let frame = [1u8; FRAME];
            std::hint::black_box(&frame);
            let found = first_low(depth + 1);
            std::hint::black_box(&frame);
            found
        }
        let (before, depth, size, capped) = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| {
                let before = LIMIT.with(Cell::get);
                enter_thread(0);
                let found = first_low(0);
                enter_thread(MAX_FRESH_STACKS);
                let capped = LIMIT.with(Cell::get);
                (
                    before,
                    found,
                    look_up().expect("the stack's bounds").1,
                    capped,
                )
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(before, 0, "no limit before the thread enters");
        assert_eq!(capped, 0, "no limit past the fresh stacks' bound");
        assert!(
            depth * FRAME >= size / 2 && (depth + 1) * FRAME <= size,
            "low after {depth} frames of {FRAME} bytes on a stack of {size}"
        );
    }
}

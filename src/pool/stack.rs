//! How much of the current thread's stack is used, for waits that run jobs on top of the
//! frames below them (`sync/signal.rs`): a wait that finds more than half of its stack used
//! carries on as its worker on a fresh thread (`WorkerThread::on_fresh_stack`), as one
//! beyond the count bound `MAX_WAIT_DEPTH` does. The count alone let 64 tasks with frames of
//! 32 KiB each, waiting on each other, overflow a 2 MiB stack.

use std::cell::Cell;

thread_local! {
    /// This thread's stack, `(lowest address, size)`, once looked up; `(0, 0)` if it cannot
    /// be told; `None` before the first look.
    static BOUNDS: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

/// True if more than half of this thread's stack is in use. False wherever the stack's
/// bounds cannot be told (systems other than Linux, miri, loom).
#[inline(never)]
pub(crate) fn past_half() -> bool {
    let (low, size) = BOUNDS.with(|bounds| match bounds.get() {
        Some(known) => known,
        None => {
            let found = look_up().unwrap_or((0, 0));
            bounds.set(Some(found));
            found
        }
    });
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
}

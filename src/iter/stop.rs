//! The stop check of the early exit whose piece this thread is running, for adaptors that
//! hold items back from the consumer: a filter's rejects never reach it, and the items of
//! `flat_map`'s inner iterators may go into a `fold` before it, or come from none at all
//! (empty inner iterators). Without it, a search whose answer another worker had found went
//! on through every reject, or through a whole inner iterator (rayon's
//! `filter_find_any_octillion_flat` ran for minutes).
//!
//! `Drive::run_piece` runs each piece of an iterator that has such an adaptor
//! ([`ParallelIterator::CUTS_SHORT`](crate::iter::ParallelIterator)) inside [`scope`]: with
//! the consumer's stop check for an early exit, with none for any other consumer. So the
//! check an adaptor sees is always that of the innermost piece this thread runs, never one
//! further down its stack (a piece of another loop that the worker runs while it waits
//! inside a predicate, or a loop nested in a closure, each run through `scope` in turn).
//!
//! An iterator that closes the loop (`take_any`, `take_any_while`, `while_some`, and so
//! `collect` into a `Result`) is an early exit too ([`ParallelIterator::CLOSES`]): the
//! driver runs its pieces in a scope whose check also says, when asked with `gates`,
//! whether the loop has closed. Only adaptors below every gate may ask so: an adaptor asks
//! with `gates` only if its base has no gate, and a `flat_map` whose base has one runs its
//! inner iterators [`blind`] (`gates` is then ignored), since it must finish the inner
//! iterator of an item that passed, whatever adaptors that inner iterator has.
//!
//! Cutting a piece short once its check says so changes nothing a search can see: the piece
//! yields a prefix of its own items, and the check says so only once the piece's items can
//! no longer change the answer. An accumulator folded from a cut piece (a `fold` before the
//! search) is not an item of the sequence; the driver drops such flushes once the answer is
//! known (`Drive::flush`).

use std::cell::Cell;
use std::ptr;

/// How many items an early exit, or an adaptor dropping items before it, passes over between
/// two looks at whether the answer is known.
pub(crate) const CHECK_EVERY: usize = 512;

/// The check of one `scope` call, in its frame.
struct Watch<'a> {
    check: &'a dyn Fn(bool) -> bool,
    /// How many [`blind`] calls are running on this scope: if any, the gates are ignored.
    blind: Cell<usize>,
}

thread_local! {
    /// The innermost `scope`'s `Watch` on this thread, or null (no check). Set only by
    /// `scope`, which puts back the previous value before its frame ends (also when
    /// unwinding).
    static WATCHING: Cell<*const ()> = const { Cell::new(ptr::null()) };
}

/// Runs `f` (a piece and what consumes it) with `check` as this thread's stop check, or
/// with none. `check(gates)` is true once the early exit has its answer, or, with
/// `gates`, once the loop has closed.
#[inline]
pub(crate) fn scope<R>(check: Option<&dyn Fn(bool) -> bool>, f: impl FnOnce() -> R) -> R {
    struct Restore(*const ());
    impl Drop for Restore {
        fn drop(&mut self) {
            WATCHING.with(|watching| watching.set(self.0));
        }
    }
    let watch;
    let here = match check {
        Some(check) => {
            watch = Watch {
                check,
                blind: Cell::new(0),
            };
            ptr::from_ref(&watch).cast::<()>()
        }
        None => ptr::null(),
    };
    // Declared after `watch`, so dropped (unpublishing it) before it.
    let _restore = Restore(WATCHING.with(|watching| watching.replace(here)));
    f()
}

/// Whether a stop check is in force on this thread (an early exit's piece is running).
#[inline]
pub(crate) fn watched() -> bool {
    !WATCHING.with(Cell::get).is_null()
}

/// The innermost scope's `Watch` on this thread, if any.
#[inline]
fn current<'a>() -> Option<&'a Watch<'a>> {
    let at = WATCHING.with(Cell::get);
    // SAFETY: non-null only while the `scope` call that published it runs on this thread:
    // it puts back the previous value (also when unwinding) before its frame, which holds
    // the `Watch`, ends; the reference is used only within the caller's call, inside it.
    (!at.is_null()).then(|| unsafe { &*at.cast::<Watch<'a>>() })
}

/// True if the early exit whose piece this thread runs has no more use for its items; with
/// `gates` (the caller's base has no gate), also if the loop has closed, unless a
/// [`blind`] call is running.
#[inline]
pub(crate) fn requested(gates: bool) -> bool {
    current().is_some_and(|watch| (watch.check)(gates && watch.blind.get() == 0))
}

/// Runs `f` (a step of a `flat_map`'s inner iterator, where the `flat_map`'s base has a
/// gate) with the loop's gates ignored by [`requested`].
#[inline]
pub(crate) fn blind<R>(f: impl FnOnce() -> R) -> R {
    struct Unblind<'a>(&'a Cell<usize>);
    impl Drop for Unblind<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() - 1);
        }
    }
    let Some(watch) = current() else {
        return f();
    };
    watch.blind.set(watch.blind.get() + 1);
    let _unblind = Unblind(&watch.blind);
    f()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_scope_decides_and_leaving_puts_back_the_outer_one() {
        assert!(!watched() && !requested(true));
        scope(Some(&|_| true), || {
            assert!(watched() && requested(false));
            scope(None, || assert!(!watched() && !requested(true)));
            scope(Some(&|gates| gates), || {
                assert!(watched() && requested(true) && !requested(false));
                blind(|| {
                    assert!(!requested(true));
                    // A nested loop's scope has gates of its own.
                    scope(Some(&|gates| gates), || assert!(requested(true)));
                });
                let unwound = std::panic::catch_unwind(|| blind(|| panic!("inside")));
                assert!(unwound.is_err());
                assert!(requested(true));
            });
            let unwound = std::panic::catch_unwind(|| scope(None, || panic!("inside")));
            assert!(unwound.is_err());
            assert!(requested(false));
        });
        assert!(!watched());
    }
}

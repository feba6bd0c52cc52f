//! `try_for_each`, `try_reduce` and `try_reduce_with`: terminals that stop at the first
//! error, for results of type `Result`, `Option` or `ControlFlow` ([`Try`]).

use std::ops::{ControlFlow, Range};

use crate::iter::drive::Consumer;
use crate::iter::find::until;
use crate::iter::sealed::Sealed;
use crate::loom::{AtomicBool, Ordering};

/// A result that is either a value to go on with or an error to stop at: `Result<T, E>`
/// (stops at `Err`), `Option<T>` (stops at `None`) and `ControlFlow<B, C>` (stops at
/// `Break`). What [`try_for_each`](crate::iter::ParallelIterator::try_for_each) and
/// [`try_reduce`](crate::iter::ParallelIterator::try_reduce) accept, as the unstable
/// `std::ops::Try` would. Implemented by brigade for those three types only.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
/// use std::ops::ControlFlow;
///
/// let r = (0..100u32).into_par_iter().try_for_each(|x| {
///     if x == 42 { ControlFlow::Break(x) } else { ControlFlow::Continue(()) }
/// });
/// assert_eq!(r, ControlFlow::Break(42));
/// ```
pub trait Try: Sealed {
    /// The value to go on with.
    type Output;
    /// What an error carries to the caller.
    #[doc(hidden)]
    type Residual: Send;

    #[doc(hidden)]
    fn from_output(output: Self::Output) -> Self;
    #[doc(hidden)]
    fn from_residual(residual: Self::Residual) -> Self;
    #[doc(hidden)]
    fn branch(self) -> ControlFlow<Self::Residual, Self::Output>;
}

impl<T, E> Sealed for Result<T, E> {}

impl<T, E: Send> Try for Result<T, E> {
    type Output = T;
    type Residual = E;

    #[inline]
    fn from_output(output: T) -> Self {
        Ok(output)
    }

    #[inline]
    fn from_residual(residual: E) -> Self {
        Err(residual)
    }

    #[inline]
    fn branch(self) -> ControlFlow<E, T> {
        match self {
            Ok(t) => ControlFlow::Continue(t),
            Err(e) => ControlFlow::Break(e),
        }
    }
}

impl<T> Sealed for Option<T> {}

impl<T> Try for Option<T> {
    type Output = T;
    type Residual = ();

    #[inline]
    fn from_output(output: T) -> Self {
        Some(output)
    }

    #[inline]
    fn from_residual((): ()) -> Self {
        None
    }

    #[inline]
    fn branch(self) -> ControlFlow<(), T> {
        match self {
            Some(t) => ControlFlow::Continue(t),
            None => ControlFlow::Break(()),
        }
    }
}

impl<B, C> Sealed for ControlFlow<B, C> {}

impl<B: Send, C> Try for ControlFlow<B, C> {
    type Output = C;
    type Residual = B;

    #[inline]
    fn from_output(output: C) -> Self {
        ControlFlow::Continue(output)
    }

    #[inline]
    fn from_residual(residual: B) -> Self {
        ControlFlow::Break(residual)
    }

    #[inline]
    fn branch(self) -> ControlFlow<B, C> {
        self
    }
}

/// `try_for_each`: the first error a piece met, and a flag that stops the loop.
pub(crate) struct TryForEach<OP> {
    op: OP,
    failed: AtomicBool,
}

impl<OP> TryForEach<OP> {
    pub(crate) fn new(op: OP) -> Self {
        TryForEach {
            op,
            failed: AtomicBool::new(false),
        }
    }

    #[inline]
    fn failed(&self) -> bool {
        // Relaxed: a hint to skip work; the error travels through the loop's joins.
        self.failed.load(Ordering::Relaxed)
    }
}

impl<T, OP, R> Consumer<T> for TryForEach<OP>
where
    OP: Fn(T) -> R + Sync,
    R: Try<Output = ()>,
{
    type Acc = Option<R::Residual>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Self::Acc {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: Self::Acc, _: Range<usize>, items: I) -> Self::Acc {
        if acc.is_some() {
            return acc;
        }
        let error = until(items, || self.failed(), |x| (self.op)(x).branch());
        if error.is_some() {
            // Relaxed: see `failed`.
            self.failed.store(true, Ordering::Relaxed);
        }
        error
    }

    #[inline]
    fn reduce(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc {
        left.or(right)
    }

    #[inline]
    fn done(&self) -> bool {
        self.failed()
    }
}

/// `try_reduce`: `op` over the items' values from `identity()`, or the first error.
pub(crate) struct TryReduce<ID, OP> {
    identity: ID,
    op: OP,
    failed: AtomicBool,
}

impl<ID, OP> TryReduce<ID, OP> {
    pub(crate) fn new(identity: ID, op: OP) -> Self {
        TryReduce {
            identity,
            op,
            failed: AtomicBool::new(false),
        }
    }

    #[inline]
    fn failed(&self) -> bool {
        // Relaxed: a hint to skip work; the error travels through the loop's joins.
        self.failed.load(Ordering::Relaxed)
    }

    #[cold]
    fn fail<E>(&self, residual: E) -> Result<std::convert::Infallible, E> {
        // Relaxed: see `failed`.
        self.failed.store(true, Ordering::Relaxed);
        Err(residual)
    }
}

impl<T, R, ID, OP> Consumer<R> for TryReduce<ID, OP>
where
    R: Try<Output = T>,
    T: Send,
    ID: Fn() -> T + Sync,
    OP: Fn(T, T) -> R + Sync,
{
    type Acc = Result<T, R::Residual>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Self::Acc {
        Ok((self.identity)())
    }

    #[inline]
    fn feed<I: Iterator<Item = R>>(&self, acc: Self::Acc, _: Range<usize>, items: I) -> Self::Acc {
        let mut acc = Some(acc?);
        let error = until(
            items,
            || self.failed(),
            |x| {
                let value = match x.branch() {
                    ControlFlow::Continue(value) => value,
                    ControlFlow::Break(residual) => return ControlFlow::Break(residual),
                };
                let so_far = acc
                    .take()
                    .expect("the accumulator is put back after each item");
                match (self.op)(so_far, value).branch() {
                    ControlFlow::Continue(next) => {
                        acc = Some(next);
                        ControlFlow::Continue(())
                    }
                    ControlFlow::Break(residual) => ControlFlow::Break(residual),
                }
            },
        );
        match error {
            Some(residual) => self.fail(residual).map(|never| match never {}),
            // Stopped because another piece failed, or done: either way `acc` is back.
            None => Ok(acc.expect("no error, so the accumulator is back")),
        }
    }

    #[inline]
    fn reduce(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc {
        match (left, right) {
            (Ok(a), Ok(b)) => match (self.op)(a, b).branch() {
                ControlFlow::Continue(value) => Ok(value),
                ControlFlow::Break(residual) => self.fail(residual).map(|never| match never {}),
            },
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }

    #[inline]
    fn done(&self) -> bool {
        self.failed()
    }
}

/// `try_reduce_with`: `op` over the items' values, `None` if there are none, or the first
/// error.
pub(crate) struct TryReduceWith<OP> {
    op: OP,
    failed: AtomicBool,
}

impl<OP> TryReduceWith<OP> {
    pub(crate) fn new(op: OP) -> Self {
        TryReduceWith {
            op,
            failed: AtomicBool::new(false),
        }
    }

    #[inline]
    fn failed(&self) -> bool {
        // Relaxed: a hint to skip work; the error travels through the loop's joins.
        self.failed.load(Ordering::Relaxed)
    }

    #[cold]
    fn fail<E>(&self, residual: E) -> Result<std::convert::Infallible, E> {
        // Relaxed: see `failed`.
        self.failed.store(true, Ordering::Relaxed);
        Err(residual)
    }
}

impl<T, R, OP> Consumer<R> for TryReduceWith<OP>
where
    R: Try<Output = T>,
    T: Send,
    OP: Fn(T, T) -> R + Sync,
{
    type Acc = Result<Option<T>, R::Residual>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Self::Acc {
        Ok(None)
    }

    #[inline]
    fn feed<I: Iterator<Item = R>>(&self, acc: Self::Acc, _: Range<usize>, items: I) -> Self::Acc {
        let mut acc = acc?;
        let error = until(
            items,
            || self.failed(),
            |x| {
                let value = match x.branch() {
                    ControlFlow::Continue(value) => value,
                    ControlFlow::Break(residual) => return ControlFlow::Break(residual),
                };
                let next = match acc.take() {
                    None => value,
                    Some(so_far) => match (self.op)(so_far, value).branch() {
                        ControlFlow::Continue(next) => next,
                        ControlFlow::Break(residual) => return ControlFlow::Break(residual),
                    },
                };
                acc = Some(next);
                ControlFlow::Continue(())
            },
        );
        match error {
            Some(residual) => self.fail(residual).map(|never| match never {}),
            // Stopped because another piece failed, or done.
            None => Ok(acc),
        }
    }

    #[inline]
    fn reduce(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc {
        match (left?, right?) {
            (Some(a), Some(b)) => match (self.op)(a, b).branch() {
                ControlFlow::Continue(value) => Ok(Some(value)),
                ControlFlow::Break(residual) => self.fail(residual).map(|never| match never {}),
            },
            (a, b) => Ok(a.or(b)),
        }
    }

    #[inline]
    fn done(&self) -> bool {
        self.failed()
    }
}

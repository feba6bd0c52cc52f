//! `collect` and `unzip`, and the in-place writing that `par_extend` of a `Vec` shares.
//!
//! An indexed iterator's items have known places: the `Vec` is allocated once and every
//! piece writes its items straight into their slots ([`InPlace`]). A chain's accumulator is
//! the run of slots it has written ([`Written`]), which owns those items until the loop
//! ends: neighbouring runs merge, and when the loop is done a single run covers every slot
//! and the `Vec` takes the items over. If a closure panics, every run that exists is
//! dropped as the panic unwinds (each run drops its own items), so each item made is
//! dropped exactly once, and the `Vec` keeps its old length (0 for `collect`; for
//! `par_extend`, which writes after the items it had, those items stay as they were).
//!
//! Other iterators collect one collection per chain and join them in order at the end
//! ([`collect_parts`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::ffi::{OsStr, OsString};
use std::hash::{BuildHasher, Hash};
use std::ops::Range;
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::sync::Arc;

use crate::iter::concat::concat;
use crate::iter::drive::{Consumer, drive};
use crate::iter::{IntoParallelIterator, ParallelExtend, ParallelIterator};
use crate::loom::Mutex;

/// A collection that a parallel iterator can be collected into, with
/// [`collect`](ParallelIterator::collect): `Vec<T>`, `VecDeque<T>`, `LinkedList<T>`,
/// `BinaryHeap<T>`, `Box<[T]>`, `Rc<[T]>`, `Arc<[T]>`, `String` and `Box<str>` (from `char`,
/// `&char`, `&str`, `String`, `Box<str>` or `Cow<str>` items), `HashMap`, `HashSet`,
/// `BTreeMap`, `BTreeSet`, `()`, `Cow<'_, B>` of an owned form that
/// is one of these (always `Cow::Owned`), and `Result<C, E>` or `Option<C>` of any of
/// these (an error met, or `None`, if any item is one: the loop stops at the first it
/// meets, as rayon's, and drops what it had collected).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
/// use std::collections::HashMap;
///
/// let squares: HashMap<u32, u32> = (0..10u32).into_par_iter().map(|x| (x, x * x)).collect();
/// assert_eq!(squares[&7], 49);
/// let parsed: Result<Vec<u8>, _> = ["1", "2", "x"].par_iter().map(|s| s.parse::<u8>()).collect();
/// assert!(parsed.is_err());
/// ```
pub trait FromParallelIterator<T: Send>: Sized {
    /// Builds the collection from the items of `par_iter`, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use brigade::iter::FromParallelIterator;
    ///
    /// let v = Vec::from_par_iter((0..3u8).into_par_iter());
    /// assert_eq!(v, [0, 1, 2]);
    /// ```
    fn from_par_iter<I>(par_iter: I) -> Self
    where
        I: IntoParallelIterator<Item = T>;
}

impl<T: Send> FromParallelIterator<T> for Vec<T> {
    fn from_par_iter<I>(par_iter: I) -> Self
    where
        I: IntoParallelIterator<Item = T>,
    {
        let iter = par_iter.into_par_iter();
        if I::Iter::INDEXED {
            let mut v = Vec::new();
            collect_in_place(iter, &mut v);
            v
        } else {
            concat(collect_vecs(iter))
        }
    }
}

/// Collects `iter` into one `C` per chain, in order.
pub(crate) fn collect_parts<I, C>(iter: I) -> Vec<C>
where
    I: ParallelIterator,
    C: Default + Extend<I::Item> + Send,
{
    drive(&iter, &Parts(std::marker::PhantomData))
}

/// The consumer of [`collect_parts`].
struct Parts<C>(std::marker::PhantomData<fn() -> C>);

impl<T, C> Consumer<T> for Parts<C>
where
    C: Default + Extend<T> + Send,
{
    type Acc = Vec<C>;

    #[inline]
    fn identity(&self) -> Vec<C> {
        Vec::new()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, mut acc: Vec<C>, _: Range<usize>, items: I) -> Vec<C> {
        // A chain's pieces are adjacent: they extend the chain's one collection.
        match acc.last_mut() {
            Some(part) => part.extend(items),
            None => {
                let mut part = C::default();
                part.extend(items);
                acc.push(part);
            }
        }
        acc
    }

    #[inline]
    fn reduce(&self, mut left: Vec<C>, right: Vec<C>) -> Vec<C> {
        left.extend(right);
        left
    }
}

/// Collects `iter` into one `Vec` per chain, in order: [`collect_parts`] for `Vec`s, each
/// piece pushed through its own `fold` (std's `Vec::extend` steps an iterator that is not
/// `TrustedLen` with `next`, which a `flat_map`'s piece answers one item at a time).
pub(crate) fn collect_vecs<I: ParallelIterator>(iter: I) -> Vec<Vec<I::Item>> {
    drive(&iter, &VecParts)
}

/// The consumer of [`collect_vecs`].
struct VecParts;

impl<T: Send> Consumer<T> for VecParts {
    type Acc = Vec<Vec<T>>;

    #[inline]
    fn identity(&self) -> Vec<Vec<T>> {
        Vec::new()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(
        &self,
        mut acc: Vec<Vec<T>>,
        _: Range<usize>,
        items: I,
    ) -> Vec<Vec<T>> {
        let (lo, hi) = items.size_hint();
        // A part too short for the items starts a new one rather than grow: growing copies
        // the items already there, which `concat` copies again.
        if acc
            .last()
            .is_none_or(|part| !part.is_empty() && part.capacity() - part.len() < lo)
        {
            acc.push(Vec::with_capacity(lo));
        }
        let part = acc.last_mut().expect("pushed above");
        match (lo, hi) {
            // An exact length (a range or slice under `map`s, the pieces of an indexed
            // iterator): `Vec::extend`, which writes the items of a `TrustedLen` iterator
            // without a capacity check each (a vectorized loop for plain ones). Pushed one by
            // one, the items of a `flat_map`'s long inner iterators took 3 times rayon's
            // time to write.
            (lo, Some(hi)) if lo == hi => part.extend(items),
            // Otherwise (`filter`, the stream of a `flat_map`'s short inner iterators):
            // `for_each`, whose internal iteration such iterators run faster than `extend`'s
            // calls of `next`.
            (lo, _) => {
                part.reserve(lo);
                items.for_each(|x| part.push(x));
            }
        }
        acc
    }

    #[inline]
    fn reduce(&self, mut left: Vec<Vec<T>>, right: Vec<Vec<T>>) -> Vec<Vec<T>> {
        left.extend(right);
        left
    }
}

/// Collects an indexed iterator into `target` (cleared first), each piece writing its
/// items in place.
pub(crate) fn collect_in_place<I: ParallelIterator>(iter: I, target: &mut Vec<I::Item>) {
    target.clear();
    extend_in_place(iter, target);
}

/// Appends the items of an indexed iterator to `target`, each piece writing its items in
/// place after `target`'s own. If a closure panics, `target` keeps its items and length,
/// and the items written so far are dropped (by the runs that own them) as the panic
/// unwinds.
pub(crate) fn extend_in_place<I: ParallelIterator>(iter: I, target: &mut Vec<I::Item>) {
    assert!(I::INDEXED, "only an indexed iterator is collected in place");
    let len = iter.base_len();
    let old_len = target.len();
    target.reserve(len);
    let consumer = InPlace {
        slots: Slots::after(target),
        len,
    };
    let written = drive(&iter, &consumer);
    written.hand_over(0..len);
    // SAFETY: `reserve` made room for `old_len + len` items; slots `0..old_len` are the
    // `Vec`'s own items, untouched, and `hand_over` returned, so the `len` slots after them
    // hold items that nobody else owns.
    unsafe { target.set_len(old_len + len) };
}

/// The items of `iter`, in order, as a few `Vec`s: one written in place if `iter` is
/// indexed, else one per chain.
pub(crate) fn vec_parts<I: ParallelIterator>(iter: I) -> Vec<Vec<I::Item>> {
    if I::INDEXED {
        let mut v = Vec::new();
        collect_in_place(iter, &mut v);
        vec![v]
    } else {
        collect_vecs(iter)
    }
}

/// Splits an iterator of pairs into two `Vec`s: in place if it is indexed.
pub(crate) fn unzip<I, A, B>(iter: I) -> (Vec<A>, Vec<B>)
where
    I: ParallelIterator<Item = (A, B)>,
    A: Send,
    B: Send,
{
    if !I::INDEXED {
        let (a, b): (Vec<_>, Vec<_>) = collect_parts::<_, (Vec<A>, Vec<B>)>(iter)
            .into_iter()
            .unzip();
        return (concat(a), concat(b));
    }
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    unzip_in_place(iter, &mut va, &mut vb);
    (va, vb)
}

/// Splits an indexed iterator of pairs into `va` and `vb` (cleared first, their allocations
/// reused when large enough), each piece writing its items in place. If a closure panics,
/// both stay empty, and the items written so far are dropped (by the runs that own them)
/// as the panic unwinds.
pub(crate) fn unzip_in_place<I, A, B>(iter: I, va: &mut Vec<A>, vb: &mut Vec<B>)
where
    I: ParallelIterator<Item = (A, B)>,
    A: Send,
    B: Send,
{
    assert!(I::INDEXED, "only an indexed iterator is unzipped in place");
    va.clear();
    vb.clear();
    let len = iter.base_len();
    va.reserve(len);
    vb.reserve(len);
    let consumer = Unzip(
        InPlace {
            slots: Slots::of(va),
            len,
        },
        InPlace {
            slots: Slots::of(vb),
            len,
        },
    );
    let (wa, wb) = drive(&iter, &consumer);
    wa.hand_over(0..len);
    wb.hand_over(0..len);
    // SAFETY: `reserve` made room for `len` items in each (both were empty), and
    // `hand_over` returned for both, so slots `0..len` of each hold items that nobody else
    // owns.
    unsafe {
        va.set_len(len);
        vb.set_len(len);
    }
}

/// The buffer of a `Vec` that the pieces of one loop write into, each its own slots.
struct Slots<T>(NonNull<T>);

impl<T> Slots<T> {
    /// The slots of `v`'s buffer from index 0.
    fn of(v: &mut Vec<T>) -> Self {
        Slots(NonNull::new(v.as_mut_ptr()).expect("a Vec's pointer is never null"))
    }

    /// The slots of `v`'s buffer after its items: slot 0 is index `v.len()`.
    fn after(v: &mut Vec<T>) -> Self {
        let len = v.len();
        // SAFETY: `len <= capacity`, so the pointer stays within the buffer's allocation
        // (or one past its end; for a buffer of capacity 0 the offset is 0).
        let first = unsafe { v.as_mut_ptr().add(len) };
        Slots(NonNull::new(first).expect("a Vec's pointer is never null"))
    }
}

impl<T> Clone for Slots<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Slots<T> {}
// SAFETY: the threads that share it write disjoint slots (each piece its own), and writing
// an item there moves it to the thread that later owns the `Vec`: sound when `T: Send`.
unsafe impl<T: Send> Send for Slots<T> {}
// SAFETY: as above; sharing it only lets each thread write its own slots.
unsafe impl<T: Send> Sync for Slots<T> {}

/// The slots `start..end` of a buffer, written, and owned by this value: dropped with it
/// unless handed over.
struct Written<T> {
    slots: Slots<T>,
    start: usize,
    end: usize,
}

impl<T> Written<T> {
    fn empty(slots: Slots<T>) -> Self {
        Written {
            slots,
            start: 0,
            end: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// This run, extended by the run `right` that follows it. Runs of a loop that runs to
    /// the end always meet; a gap means the loop stopped on a panic, which is on its way to
    /// the caller: `right`'s items are then dropped at once, as they will never be used.
    fn join(mut self, right: Written<T>) -> Written<T> {
        if self.is_empty() {
            return right;
        }
        if self.end == right.start {
            self.end = right.end;
            std::mem::forget(right);
        }
        self
    }

    /// Gives up ownership of the items: they belong to the `Vec` from now on.
    ///
    /// # Panics
    ///
    /// If the run is not `all` (a broken loop: it would be a bug in brigade), after
    /// dropping the items it holds.
    fn hand_over(self, all: Range<usize>) {
        let complete = (self.start..self.end) == all || (all.is_empty() && self.is_empty());
        assert!(
            complete,
            "brigade bug: a collect wrote {}..{} of {all:?}",
            self.start, self.end
        );
        std::mem::forget(self);
    }
}

impl<T> Drop for Written<T> {
    fn drop(&mut self) {
        let run = ptr::slice_from_raw_parts_mut(
            // SAFETY: `start <= len`, and the buffer has room for `len` slots from `slots`
            // (`InPlace`).
            unsafe { self.slots.0.as_ptr().add(self.start) },
            self.end - self.start,
        );
        // SAFETY: slots `start..end` hold items written by this run's pieces, which this
        // value alone owns (runs never overlap, and a run handed over is forgotten).
        unsafe { ptr::drop_in_place(run) };
    }
}

/// Writes each piece's items into their slots of a buffer with room for `len` slots from
/// `slots`.
struct InPlace<T> {
    slots: Slots<T>,
    len: usize,
}

impl<T> InPlace<T> {
    /// The run to write the piece `at` into: `acc` if `at` continues it.
    #[inline]
    fn run_for(&self, acc: Written<T>, at: &Range<usize>) -> Written<T> {
        assert!(at.end <= self.len, "a piece ends within the loop");
        if acc.is_empty() || acc.end != at.start {
            // A new run (a gap, as in `Written::join`, drops the old one).
            drop(acc);
            return Written {
                slots: self.slots,
                start: at.start,
                end: at.start,
            };
        }
        acc
    }

    /// Writes `item` into `slot`, the slot after the run's end.
    #[inline]
    fn write(&self, run: &mut Written<T>, slot: usize, item: T) {
        debug_assert_eq!(slot, run.end);
        // SAFETY: `slot < at.end <= len`, and the buffer has room for `len` slots from
        // `slots` (`run_for` checked the piece's end, and the slots come from zipping the
        // piece's range); the loop hands each index to one piece once, so no other thread
        // writes or reads this slot.
        unsafe { self.slots.0.as_ptr().add(slot).write(item) };
        run.end = slot + 1;
    }
}

impl<T: Send> Consumer<T> for InPlace<T> {
    type Acc = Written<T>;

    #[inline]
    fn identity(&self) -> Written<T> {
        Written::empty(self.slots)
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Written<T>,
        at: Range<usize>,
        items: I,
    ) -> Written<T> {
        let mut run = self.run_for(acc, &at);
        for (slot, item) in at.zip(items) {
            self.write(&mut run, slot, item);
        }
        run
    }

    #[inline]
    fn reduce(&self, left: Written<T>, right: Written<T>) -> Written<T> {
        left.join(right)
    }
}

/// Writes the pairs of each piece into the slots of two buffers.
struct Unzip<A, B>(InPlace<A>, InPlace<B>);

impl<A: Send, B: Send> Consumer<(A, B)> for Unzip<A, B> {
    type Acc = (Written<A>, Written<B>);

    #[inline]
    fn identity(&self) -> Self::Acc {
        (self.0.identity(), self.1.identity())
    }

    #[inline]
    fn feed<I: Iterator<Item = (A, B)>>(
        &self,
        acc: Self::Acc,
        at: Range<usize>,
        items: I,
    ) -> Self::Acc {
        let (mut ra, mut rb) = (self.0.run_for(acc.0, &at), self.1.run_for(acc.1, &at));
        for (slot, (a, b)) in at.zip(items) {
            self.0.write(&mut ra, slot, a);
            self.1.write(&mut rb, slot, b);
        }
        (ra, rb)
    }

    #[inline]
    fn reduce(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc {
        (left.0.join(right.0), left.1.join(right.1))
    }
}

/// `String`s from items that extend a `String`: one per chain, joined at the end.
fn collect_string<I>(iter: I) -> String
where
    I: ParallelIterator,
    String: Extend<I::Item>,
{
    let parts: Vec<String> = collect_parts(iter);
    let mut all = String::with_capacity(parts.iter().map(String::len).sum());
    for part in parts {
        all.push_str(&part);
    }
    all
}

/// `String: FromParallelIterator<$item>` for each item type a `String` can be extended
/// with.
macro_rules! string_from_par_iter {
    ($($item:ty),*) => {$(
        impl<'a> FromParallelIterator<$item> for String {
            fn from_par_iter<I: IntoParallelIterator<Item = $item>>(par_iter: I) -> Self {
                collect_string(par_iter.into_par_iter())
            }
        }
    )*};
}
string_from_par_iter!(char, &'a char, &'a str, String, Box<str>, Cow<'a, str>);

/// `OsString: FromParallelIterator<$item>`, as for `String`: one `OsString` per chain,
/// joined at the end.
macro_rules! os_string_from_par_iter {
    ($($item:ty),*) => {$(
        impl<'a> FromParallelIterator<$item> for OsString {
            fn from_par_iter<I: IntoParallelIterator<Item = $item>>(par_iter: I) -> Self {
                let parts: Vec<OsString> = collect_parts(par_iter.into_par_iter());
                let mut all = OsString::with_capacity(parts.iter().map(|p| p.len()).sum());
                for part in parts {
                    all.push(part);
                }
                all
            }
        }
    )*};
}
os_string_from_par_iter!(&'a OsStr, OsString, Cow<'a, OsStr>);

/// A collection of one chain after another, in order: later items overwrite earlier ones
/// in a map, as in a sequential `collect`.
fn collect_merged<I, C>(iter: I) -> C
where
    I: ParallelIterator,
    C: Default + Extend<I::Item> + IntoIterator<Item = I::Item> + Send,
{
    let mut parts = collect_parts::<_, C>(iter).into_iter();
    let mut all = parts.next().unwrap_or_default();
    for part in parts {
        all.extend(part);
    }
    all
}

impl<K, V, S> FromParallelIterator<(K, V)> for HashMap<K, V, S>
where
    K: Eq + Hash + Send,
    V: Send,
    S: BuildHasher + Default + Send,
{
    fn from_par_iter<I: IntoParallelIterator<Item = (K, V)>>(par_iter: I) -> Self {
        collect_merged(par_iter.into_par_iter())
    }
}

impl<T, S> FromParallelIterator<T> for HashSet<T, S>
where
    T: Eq + Hash + Send,
    S: BuildHasher + Default + Send,
{
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        collect_merged(par_iter.into_par_iter())
    }
}

impl<K: Ord + Send, V: Send> FromParallelIterator<(K, V)> for BTreeMap<K, V> {
    fn from_par_iter<I: IntoParallelIterator<Item = (K, V)>>(par_iter: I) -> Self {
        collect_merged(par_iter.into_par_iter())
    }
}

impl<T: Ord + Send> FromParallelIterator<T> for BTreeSet<T> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        collect_merged(par_iter.into_par_iter())
    }
}

impl FromParallelIterator<()> for () {
    fn from_par_iter<I: IntoParallelIterator<Item = ()>>(par_iter: I) -> Self {
        par_iter.into_par_iter().for_each(drop);
    }
}

impl<C, T, E> FromParallelIterator<Result<T, E>> for Result<C, E>
where
    C: FromParallelIterator<T>,
    T: Send,
    E: Send,
{
    fn from_par_iter<I: IntoParallelIterator<Item = Result<T, E>>>(par_iter: I) -> Self {
        // The first error closes the gate: no item passes after it, and the loop hands out
        // no more pieces, so a loop over an endless range returns once an error is met.
        let error = Mutex::new(None);
        let collection = par_iter
            .into_par_iter()
            .map(|item| match item {
                Ok(value) => Some(value),
                Err(e) => {
                    error.lock().get_or_insert(e);
                    None
                }
            })
            .while_some()
            .collect();
        match error.into_inner() {
            Some(e) => Err(e),
            None => Ok(collection),
        }
    }
}

impl<C, T> FromParallelIterator<Option<T>> for Option<C>
where
    C: FromParallelIterator<T>,
    T: Send,
{
    fn from_par_iter<I: IntoParallelIterator<Item = Option<T>>>(par_iter: I) -> Self {
        let collected: Result<C, ()> = par_iter.into_par_iter().map(|x| x.ok_or(())).collect();
        collected.ok()
    }
}

impl<T: Send> FromParallelIterator<T> for VecDeque<T> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        // A `Vec`'s buffer becomes the deque's, without moving the items again.
        Vec::from_par_iter(par_iter).into()
    }
}

impl<T: Send> FromParallelIterator<T> for LinkedList<T> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        let mut list = LinkedList::new();
        list.par_extend(par_iter);
        list
    }
}

impl<T: Ord + Send> FromParallelIterator<T> for BinaryHeap<T> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        // Heapified in place, sequentially, in O(n).
        Vec::from_par_iter(par_iter).into()
    }
}

impl<T: Send> FromParallelIterator<T> for Box<[T]> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        Vec::from_par_iter(par_iter).into_boxed_slice()
    }
}

impl<T: Send> FromParallelIterator<T> for Rc<[T]> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        Vec::from_par_iter(par_iter).into()
    }
}

impl<T: Send> FromParallelIterator<T> for Arc<[T]> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        Vec::from_par_iter(par_iter).into()
    }
}

impl<T: Send> FromParallelIterator<T> for Box<str>
where
    String: FromParallelIterator<T>,
{
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        String::from_par_iter(par_iter).into_boxed_str()
    }
}

impl<B, T> FromParallelIterator<T> for Cow<'_, B>
where
    B: ToOwned + ?Sized,
    B::Owned: FromParallelIterator<T>,
    T: Send,
{
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(par_iter: I) -> Self {
        Cow::Owned(B::Owned::from_par_iter(par_iter))
    }
}

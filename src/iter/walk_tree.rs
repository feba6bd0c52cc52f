//! [`walk_tree_prefix`], [`walk_tree_postfix`] and [`walk_tree`]: the nodes of a tree given
//! by its root and a function from a node to its children, as rayon's.
//!
//! rayon splits the walk as its pool asks for work; brigade's iterators are loops over
//! indices, so the top of the tree is opened first, when the loop starts: level by level,
//! each subtree is replaced by its root (as a lone node) and its children's subtrees, in
//! the walk's order, until there are [`SUBTREES_PER_THREAD`] subtrees per thread of the
//! current pool (or no subtree is left, or after [`MAX_LEVELS`] levels: a chain has one
//! subtree at every level). The loop's items are then these *units*: a lone node yields
//! itself, a subtree is walked sequentially by the worker that takes it. `children` is
//! called once per node, as in a sequential walk. A tree much deeper on one side than the
//! other may leave most of its nodes in a few subtrees, each walked by one worker.

use std::fmt;
use std::sync::OnceLock;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::vec::{IntoIter, Take};
use crate::iter::{IntoParallelIterator, ParallelIterator};
use crate::loom::Mutex;

/// How many subtrees per thread the top of the tree is opened into, at least (when the
/// tree has them).
const SUBTREES_PER_THREAD: usize = 8;

/// How many levels are opened at most.
const MAX_LEVELS: usize = 32;

/// A part of the walk: one node alone, or a whole subtree.
#[derive(Debug)]
pub(crate) enum Unit<S> {
    Node(S),
    Tree(S),
}

/// Prefix (a node before its children) or postfix (after them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Prefix,
    Postfix,
}

/// The nodes of the tree under `root`, each once, in prefix order: a node before its
/// children's subtrees, which come in the order `children` gives them (as a sequential
/// depth-first walk). The top levels are opened when the loop starts, into at least
/// 8 subtrees per thread of the current pool where the tree has them; each subtree is then
/// walked by one worker (module docs of `walk_tree.rs`: a lopsided tree parallelizes less).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// //      4
/// //     / \
/// //    2   3
/// //       / \
/// //      1   2
/// let children = |&e: &u32| if e <= 2 { Vec::new() } else { vec![e / 2, e / 2 + 1] };
/// let order: Vec<u32> = brigade::iter::walk_tree_prefix(4u32, children).collect();
/// assert_eq!(order, [4, 2, 3, 1, 2]);
/// ```
pub fn walk_tree_prefix<S, B, I>(root: S, children: B) -> WalkTree<S, B>
where
    S: Send,
    B: Fn(&S) -> I + Send + Sync,
    I: IntoIterator<Item = S>,
{
    WalkTree::new(root, children, Order::Prefix)
}

/// The nodes of the tree under `root`, each once, in postfix order: a node after its
/// children's subtrees. Opened and walked as [`walk_tree_prefix`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let children = |&e: &u32| if e <= 2 { Vec::new() } else { vec![e / 2, e / 2 + 1] };
/// let order: Vec<u32> = brigade::iter::walk_tree_postfix(4u32, children).collect();
/// assert_eq!(order, [2, 1, 2, 3, 4]);
/// ```
pub fn walk_tree_postfix<S, B, I>(root: S, children: B) -> WalkTree<S, B>
where
    S: Send,
    B: Fn(&S) -> I + Send + Sync,
    I: IntoIterator<Item = S>,
{
    WalkTree::new(root, children, Order::Postfix)
}

/// The nodes of the tree under `root`, each once, in no promised order (as rayon's
/// `walk_tree`, which picks whatever it finds fastest; here it is the prefix order).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// // The numbers 1..=1023 as a binary tree (`i` has children `2i` and `2i + 1`).
/// let children = |&i: &u64| (2 * i..=2 * i + 1).filter(|&c| c <= 1023);
/// let total: u64 = brigade::iter::walk_tree(1u64, children).sum();
/// assert_eq!(total, 1023 * 1024 / 2);
/// ```
pub fn walk_tree<S, B, I>(root: S, children: B) -> WalkTree<S, B>
where
    S: Send,
    B: Fn(&S) -> I + Send + Sync,
    I: IntoIterator<Item = S>,
{
    walk_tree_prefix(root, children)
}

/// The parallel iterator of [`walk_tree_prefix`], [`walk_tree_postfix`] and [`walk_tree`].
/// Not indexed.
///
/// # Examples
///
/// ```
/// let it: brigade::iter::WalkTree<_, _> = brigade::iter::walk_tree(1u8, |_| None);
/// # drop(it);
/// ```
pub struct WalkTree<S, B> {
    /// The root, until the loop starts and opens the tree.
    root: Mutex<Option<S>>,
    children: B,
    order: Order,
    units: OnceLock<IntoIter<Unit<S>>>,
}

impl<S, B> WalkTree<S, B> {
    fn new(root: S, children: B, order: Order) -> Self {
        WalkTree {
            root: Mutex::new(Some(root)),
            children,
            order,
            units: OnceLock::new(),
        }
    }
}

impl<S, B, I> WalkTree<S, B>
where
    S: Send,
    B: Fn(&S) -> I + Send + Sync,
    I: IntoIterator<Item = S>,
{
    fn units(&self) -> &IntoIter<Unit<S>> {
        self.units.get_or_init(|| {
            let Some(root) = self.root.lock().take() else {
                return Vec::new().into_par_iter();
            };
            let target = crate::current_num_threads().saturating_mul(SUBTREES_PER_THREAD);
            let mut units = vec![Unit::Tree(root)];
            for _ in 0..MAX_LEVELS {
                let trees = units.iter().filter(|u| matches!(u, Unit::Tree(_))).count();
                if trees == 0 || trees >= target {
                    break;
                }
                units = self.open(units);
            }
            units.into_par_iter()
        })
    }

    /// Opens each subtree one level: its root alone, and its children's subtrees.
    fn open(&self, units: Vec<Unit<S>>) -> Vec<Unit<S>> {
        let mut out = Vec::with_capacity(units.len() * 2);
        for unit in units {
            match unit {
                Unit::Node(_) => out.push(unit),
                Unit::Tree(node) => {
                    let kids = (self.children)(&node);
                    if self.order == Order::Prefix {
                        out.push(Unit::Node(node));
                        out.extend(kids.into_iter().map(Unit::Tree));
                    } else {
                        out.extend(kids.into_iter().map(Unit::Tree));
                        out.push(Unit::Node(node));
                    }
                }
            }
        }
        out
    }
}

impl<S, B> fmt::Debug for WalkTree<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalkTree")
            .field("order", &self.order)
            .finish_non_exhaustive()
    }
}

impl<S, B> Sealed for WalkTree<S, B> {}

impl<S, B, I> ParallelIterator for WalkTree<S, B>
where
    S: Send,
    B: Fn(&S) -> I + Send + Sync,
    I: IntoIterator<Item = S>,
{
    type Item = S;
    type State = ();
    type Piece<'p>
        = Walk<'p, S, B, I::IntoIter>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<S>
    where
        Self: 'p;
    // How many units there are depends on the pool: not indexed.
    const INDEXED: bool = false;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;

    #[inline]
    fn base_len(&self) -> usize {
        self.units().base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, state: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        Walk {
            // SAFETY: forwarded: the caller's promise is the one the units' iterator needs.
            units: unsafe { self.units().piece(state, start, end) },
            children: &self.children,
            order: self.order,
            stack: Vec::new(),
        }
    }

    #[inline]
    fn flush<'p>(&'p self, (): ()) -> Self::Flush<'p> {
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, _start: usize) -> bool {
        false
    }
}

/// The nodes of one piece's units, in the walk's order: a subtree is walked depth first
/// with a stack of the nodes under way and the children each has left.
#[doc(hidden)]
pub struct Walk<'p, S, B, K> {
    units: Take<'p, Unit<S>>,
    children: &'p B,
    order: Order,
    /// The subtree under way: each node with its children still to walk (in postfix, the
    /// node waits for them; in prefix it was yielded already and is `None`).
    stack: Vec<(Option<S>, K)>,
}

impl<S, B, K> fmt::Debug for Walk<'_, S, B, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("depth", &self.stack.len())
            .finish_non_exhaustive()
    }
}

impl<S, B, I> Iterator for Walk<'_, S, B, I::IntoIter>
where
    B: Fn(&S) -> I,
    I: IntoIterator<Item = S>,
{
    type Item = S;

    fn next(&mut self) -> Option<S> {
        loop {
            if let Some((_, kids)) = self.stack.last_mut() {
                match kids.next() {
                    Some(child) => {
                        if let Some(node) = self.enter(child) {
                            return Some(node);
                        }
                    }
                    None => {
                        let (node, _) = self.stack.pop().expect("not empty");
                        if let Some(node) = node {
                            return Some(node);
                        }
                    }
                }
                continue;
            }
            match self.units.next()? {
                Unit::Node(node) => return Some(node),
                Unit::Tree(root) => {
                    if let Some(node) = self.enter(root) {
                        return Some(node);
                    }
                }
            }
        }
    }
}

impl<S, B, I> Walk<'_, S, B, I::IntoIter>
where
    B: Fn(&S) -> I,
    I: IntoIterator<Item = S>,
{
    /// Starts on `node`: pushes it with its children; in prefix order returns it to yield
    /// now, in postfix keeps it on the stack until its children are done.
    fn enter(&mut self, node: S) -> Option<S> {
        let kids = (self.children)(&node).into_iter();
        match self.order {
            Order::Prefix => {
                self.stack.push((None, kids));
                Some(node)
            }
            Order::Postfix => {
                self.stack.push((Some(node), kids));
                None
            }
        }
    }
}

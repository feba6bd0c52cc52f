//! The binary tree of the tree-sum benches (`tree_sum`, and `shapes`' tiny installs): a
//! balanced tree of heap nodes at shuffled addresses, summed serially or with a `join` at
//! every node on each library.

#![allow(dead_code)] // each bench uses a subset

pub(crate) struct Node {
    pub(crate) value: u64,
    pub(crate) left: Option<Box<Node>>,
    pub(crate) right: Option<Box<Node>>,
}

/// A balanced tree of exactly `n` nodes, valued `first..first + n` in pre-order.
///
/// The nodes sit at shuffled addresses. A naive builder allocates each node after its
/// subtrees (post-order), which makes a right-before-left traversal a sequential memory walk
/// and a left-before-right one a jumpy walk: the benchmark would measure traversal order
/// (chili runs the second closure first when it does not record a join) instead of
/// scheduling. Shuffled placement favours no order.
pub(crate) fn tree(n: usize, first: u64) -> Option<Box<Node>> {
    let mut boxes: Vec<Box<Node>> = (0..n)
        .map(|_| {
            Box::new(Node {
                value: 0,
                left: None,
                right: None,
            })
        })
        .collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..boxes.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        boxes.swap(i, (x % (i as u64 + 1)) as usize);
    }
    build(n, first, &mut boxes)
}

// Each node must be its own allocation (the tree owns `Box`es), so the pool of nodes to
// shuffle is a `Vec` of boxes on purpose.
#[allow(clippy::vec_box)]
fn build(n: usize, first: u64, boxes: &mut Vec<Box<Node>>) -> Option<Box<Node>> {
    if n == 0 {
        return None;
    }
    let left = (n - 1) / 2;
    let right = n - 1 - left;
    let mut node = boxes.pop().expect("one box per node");
    node.value = first;
    node.left = build(left, first + 1, boxes);
    node.right = build(right, first + 1 + left as u64, boxes);
    Some(node)
}

pub(crate) fn sum_serial(node: &Node) -> u64 {
    node.value
        + node.left.as_deref().map_or(0, sum_serial)
        + node.right.as_deref().map_or(0, sum_serial)
}

pub(crate) fn sum_brigade(node: &Node) -> u64 {
    let (l, r) = brigade::join(
        || node.left.as_deref().map_or(0, sum_brigade),
        || node.right.as_deref().map_or(0, sum_brigade),
    );
    node.value + l + r
}

pub(crate) fn sum_rayon(node: &Node) -> u64 {
    let (l, r) = rayon::join(
        || node.left.as_deref().map_or(0, sum_rayon),
        || node.right.as_deref().map_or(0, sum_rayon),
    );
    node.value + l + r
}

pub(crate) fn sum_chili(s: &mut chili::Scope<'_>, node: &Node) -> u64 {
    let (l, r) = s.join(
        |s| node.left.as_deref().map_or(0, |n| sum_chili(s, n)),
        |s| node.right.as_deref().map_or(0, |n| sum_chili(s, n)),
    );
    node.value + l + r
}

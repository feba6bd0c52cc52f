//! Profiling harness (temporary).
struct Node {
    value: u64,
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
}
fn tree(n: usize, first: u64) -> Option<Box<Node>> {
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
fn build(n: usize, first: u64, boxes: &mut Vec<Box<Node>>) -> Option<Box<Node>> {
    if n == 0 {
        return None;
    }
    let left = (n - 1) / 2;
    let right = n - 1 - left;
    let mut node = boxes.pop().unwrap();
    node.value = first;
    node.left = build(left, first + 1, boxes);
    node.right = build(right, first + 1 + left as u64, boxes);
    Some(node)
}
fn sum_brigade(node: &Node) -> u64 {
    let (l, r) = brigade::join(
        || node.left.as_deref().map_or(0, sum_brigade),
        || node.right.as_deref().map_or(0, sum_brigade),
    );
    node.value + l + r
}
fn sum_serial(node: &Node) -> u64 {
    node.value
        + node.left.as_deref().map_or(0, sum_serial)
        + node.right.as_deref().map_or(0, sum_serial)
}
fn main() {
    let t: usize = std::env::args().nth(1).map_or(1, |s| s.parse().unwrap());
    let root = tree(10_000_000, 1).unwrap();
    let pool = brigade::ThreadPool::builder()
        .num_threads(t)
        .build()
        .unwrap();
    for _ in 0..3 {
        let s = std::time::Instant::now();
        let x = pool.install(|| sum_brigade(&root));
        let b = s.elapsed();
        let s = std::time::Instant::now();
        let y = sum_serial(&root);
        println!("brigade {:?} serial {:?} {}", b, s.elapsed(), x == y);
    }
}

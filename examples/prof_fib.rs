//! Profiling harness (temporary).
fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = brigade::join(|| fib(n - 1), || fib(n - 2));
    a + b
}
fn main() {
    let t: usize = std::env::args().nth(1).map_or(1, |s| s.parse().unwrap());
    let pool = brigade::ThreadPool::builder()
        .num_threads(t)
        .build()
        .unwrap();
    let mut s = 0;
    for _ in 0..10 {
        s += pool.install(|| fib(32));
    }
    println!("{s}");
}

//! Profiling harness (temporary).
use std::hint::black_box;
fn main() {
    let t: usize = std::env::args().nth(1).map_or(2, |s| s.parse().unwrap());
    let pool = brigade::ThreadPool::builder()
        .num_threads(t)
        .build()
        .unwrap();
    for _ in 0..20 {
        pool.scope(|s| {
            for i in 0..1_000_000 {
                s.spawn(move |_| {
                    black_box(i);
                });
            }
        });
    }
}

//! Helpers shared by the benches: pools of each library, and reading criterion's results
//! back to print derived figures (ratios of benches measured in the same run).

#![allow(dead_code)] // each bench uses a subset

use std::path::PathBuf;

/// A brigade pool with `n` threads.
pub(crate) fn brigade_pool(n: usize) -> brigade::ThreadPool {
    brigade::ThreadPool::builder()
        .num_threads(n)
        .build()
        .expect("brigade pool")
}

/// A rayon pool with `n` threads.
pub(crate) fn rayon_pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("rayon pool")
}

/// A chili pool with `n` threads.
pub(crate) fn chili_pool(n: usize) -> chili::ThreadPool {
    chili::ThreadPool::with_config(chili::Config {
        thread_count: std::num::NonZero::new(n),
        ..Default::default()
    })
}

/// The median time in nanoseconds criterion measured for `group/bench` in this run.
pub(crate) fn median_ns(group: &str, bench: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    // criterion turns the `/` in group and bench names into `_` for its folders.
    let path = dir
        .join("criterion")
        .join(group.replace('/', "_"))
        .join(bench.replace('/', "_"))
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    // A tiny extraction instead of a JSON dependency: "median":{..."point_estimate":X
    let median = text.split("\"median\"").nth(1)?;
    let value = median.split("\"point_estimate\":").nth(1)?;
    let end = value.find([',', '}'])?;
    value[..end].trim().parse().ok()
}

pub(crate) mod loops;
pub(crate) mod tree;

//! Word count over a directory tree: the files are read and counted in parallel, each worker
//! folding into a map of its own, and the maps merged at the end.
//!
//! ```text
//! cargo run --release --example word_count -- DIR        # every file under DIR
//! cargo run --release --example word_count               # the current directory
//! cargo run --release --example word_count -- --quick    # this crate's src/, for CI
//! ```
//!
//! Hidden entries and `target/` are skipped; files that are not valid UTF-8 are read lossily.
//! A word is a run of alphanumeric characters, lower-cased. The run counts serially too,
//! checks that both counts are the same, and prints the ten most frequent words.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use brigade::prelude::*;

/// Every file under `dir`, hidden entries and `target/` skipped, in a sorted order.
fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            files(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

type Counts = HashMap<String, u64>;

fn count_file(mut counts: Counts, path: &PathBuf) -> Counts {
    // A file that vanished or cannot be read counts as empty.
    let bytes = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

fn merge(mut a: Counts, b: Counts) -> Counts {
    if a.len() < b.len() {
        return merge(b, a);
    }
    for (word, n) in b {
        *a.entry(word).or_insert(0) += n;
    }
    a
}

fn main() -> std::io::Result<()> {
    let dir = match std::env::args().nth(1) {
        None => PathBuf::from("."),
        Some(arg) if arg == "--quick" => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src"),
        Some(arg) if arg.starts_with("--") => {
            eprintln!("word_count: unknown option {arg:?}; give a directory, or --quick");
            std::process::exit(2);
        }
        Some(arg) => PathBuf::from(arg),
    };
    let mut paths = Vec::new();
    files(&dir, &mut paths)?;

    let t = Instant::now();
    let serial = paths.iter().fold(Counts::new(), count_file);
    let serial_time = t.elapsed();

    let t = Instant::now();
    let parallel = paths
        .par_iter()
        .fold(Counts::new, count_file)
        .reduce(Counts::new, merge);
    let parallel_time = t.elapsed();

    assert!(
        parallel == serial,
        "the parallel count differs from the serial one"
    );
    let total: u64 = parallel.values().sum();
    let mut top: Vec<_> = parallel.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "{} files under {}: {total} words, {} distinct; serial {:.1} ms, parallel {:.1} ms on {} \
         threads ({:.2}x); both counts equal",
        paths.len(),
        dir.display(),
        parallel.len(),
        serial_time.as_secs_f64() * 1e3,
        parallel_time.as_secs_f64() * 1e3,
        brigade::current_num_threads(),
        serial_time.as_secs_f64() / parallel_time.as_secs_f64(),
    );
    for (word, n) in top.iter().take(10) {
        println!("{n:>9}  {word}");
    }
    Ok(())
}

//! The program where std primitives deadlock and `brigade::sync` completes: a 2-thread pool
//! runs one scope of 64 tasks, and every task waits until all 64 have arrived.
//!
//! With `std::sync::Barrier` (or a count-down on a `Mutex` + `Condvar`) the first two tasks
//! block both workers, and the other 62 never start: a certain deadlock, not a race. That
//! program runs in a child process (this test binary again, with `CHILD` naming the
//! primitive), which the parent watches, finds stuck with exactly two tasks waiting, and
//! kills. With brigade's `CountLatch` or `WaitGroup` a waiting task runs the other tasks,
//! so the same program completes, in this process. This is also why the
//! `sync/waiting_tasks_64_on_2_workers` bench (`benches/sync.rs`) has no std peer.

mod common;

use common::{DEADLOCK, pool_of, within};

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use brigade::sync::{CountLatch, WaitGroup};

/// Tasks in the scope, all of which must arrive before any leaves.
const TASKS: usize = 64;
/// Workers of the pool.
const WORKERS: usize = 2;
/// The variable that turns a child mode on, in the child process only; its value names the
/// std primitive.
const CHILD: &str = "BRIGADE_SYNC_VS_STD_CHILD";
/// How long the parent watches a child that has reached the deadlock, to see it stay there.
const STUCK_FOR: Duration = Duration::from_secs(3);

/// A count-down latch built the textbook way from std parts.
struct StdCountDown {
    left: Mutex<usize>,
    cond: Condvar,
}

impl StdCountDown {
    fn count_down_and_wait(&self) {
        let mut left = self.left.lock().expect("not poisoned");
        *left -= 1;
        if *left == 0 {
            self.cond.notify_all();
        }
        while *left > 0 {
            left = self.cond.wait(left).expect("not poisoned");
        }
    }
}

/// Run only as a child of the tests below: the 64-task rendezvous on std primitives. Prints
/// `entered N` whenever the number of tasks that have started to wait changes, and
/// `finished` if the scope ever returns (it must not).
#[test]
#[ignore = "run by the std_* tests below, in a child process"]
fn std_rendezvous_child() {
    let Some(mode) = std::env::var_os(CHILD) else {
        return;
    };
    let entered = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&entered);
    thread::spawn(move || {
        let mut last = usize::MAX;
        loop {
            let now = seen.load(Ordering::SeqCst);
            if now != last {
                println!("entered {now}");
                last = now;
            }
            thread::sleep(Duration::from_millis(10));
        }
    });
    let barrier = std::sync::Barrier::new(TASKS);
    let count_down = StdCountDown {
        left: Mutex::new(TASKS),
        cond: Condvar::new(),
    };
    let use_barrier = match mode.to_str() {
        Some("barrier") => true,
        Some("condvar") => false,
        other => panic!("unknown {CHILD} {other:?}"),
    };
    pool_of(WORKERS).scope(|s| {
        for _ in 0..TASKS {
            s.spawn(|_| {
                entered.fetch_add(1, Ordering::SeqCst);
                if use_barrier {
                    barrier.wait();
                } else {
                    count_down.count_down_and_wait();
                }
            });
        }
    });
    println!("finished");
}

/// A child process that is killed when dropped, so that no failed assertion leaves it behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the std rendezvous on `primitive` in a child process and checks that it deadlocks:
/// exactly `WORKERS` tasks start to wait, and the child is still stuck `STUCK_FOR` later.
fn std_rendezvous_deadlocks(primitive: &str) {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--ignored",
            "--exact",
            "std_rendezvous_child",
            "--nocapture",
        ])
        .env(CHILD, primitive)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let mut child = KillOnDrop(child);

    // Lines of the child's stdout, as they come.
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let stderr_text = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    // Both workers block in the first two tasks; no third task can start. The child may be
    // slow to start on a busy machine, hence the generous limit.
    let stuck = format!("entered {WORKERS}");
    let start = Instant::now();
    let mut seen = Vec::new();
    while seen.last() != Some(&stuck) {
        let left = DEADLOCK.saturating_sub(start.elapsed());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    if seen.last() != Some(&stuck) {
        drop(child); // kills it, which ends its stderr
        let stderr_text = stderr_text.join().expect("the stderr reader");
        panic!(
            "{primitive}: the child did not reach the deadlock; its output: {seen:?}, \
             its stderr: {stderr_text}"
        );
    }

    // Stuck, and stays stuck: no other task starts, and the scope does not return.
    thread::sleep(STUCK_FOR);
    let status = child.0.try_wait().expect("the child's status");
    let later: Vec<String> = lines.try_iter().collect();
    assert!(
        status.is_none(),
        "{primitive}: the child exited ({status:?}) but should be deadlocked; \
         output after the deadlock: {later:?}"
    );
    assert!(
        later.is_empty(),
        "{primitive}: more tasks started, or the scope returned: {later:?}"
    );
    drop(child); // kills it, which ends its stderr
    let stderr_text = stderr_text.join().expect("the stderr reader");
    assert!(
        !stderr_text.contains("panicked"),
        "{primitive}: the child panicked: {stderr_text}"
    );
}

#[test]
#[cfg_attr(miri, ignore = "miri cannot spawn processes")]
fn std_barrier_deadlocks_64_tasks_on_2_workers() {
    std_rendezvous_deadlocks("barrier");
}

#[test]
#[cfg_attr(miri, ignore = "miri cannot spawn processes")]
fn std_condvar_count_down_deadlocks_64_tasks_on_2_workers() {
    std_rendezvous_deadlocks("condvar");
}

#[test]
fn brigade_count_latch_completes_64_tasks_on_2_workers() {
    within("count latch rendezvous", || {
        let latch = CountLatch::new(TASKS);
        let past = AtomicUsize::new(0);
        pool_of(WORKERS).scope(|s| {
            for _ in 0..TASKS {
                s.spawn(|_| {
                    latch.count_down();
                    latch.wait();
                    past.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(past.load(Ordering::Relaxed), TASKS);
        assert_eq!(latch.count(), 0);
    });
}

#[test]
fn brigade_wait_group_completes_64_tasks_on_2_workers() {
    within("wait group rendezvous", || {
        let past = AtomicUsize::new(0);
        pool_of(WORKERS).scope(|s| {
            let wg = WaitGroup::new();
            for _ in 0..TASKS {
                let wg = wg.clone();
                let past = &past;
                s.spawn(move |_| {
                    wg.wait();
                    past.fetch_add(1, Ordering::Relaxed);
                });
            }
            wg.done();
        });
        assert_eq!(past.load(Ordering::Relaxed), TASKS);
    });
}

//! Isolation (`brigade::isolate`, `ThreadPool::isolate`): a worker waiting inside a region
//! runs only the region's tasks. The rayon #592 pattern (a lock held across a parallel loop
//! whose outer tasks take the same lock) re-enters the lock without isolation (a real
//! `std::sync::Mutex` deadlocks: shown in a child process) and completes with it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use brigade::sync::Latch;
use brigade::{Schedule, ThreadPool};
use common::{DEADLOCK, EXPECTED, payload_str, pool_of, quiet_expected_panics, within};

/// The pattern's size: outer tasks that take the lock, and inner items per outer task.
const OUTER: u64 = 8;
const INNER: u64 = if cfg!(miri) { 4 } else { 48 };
/// Each inner item sleeps this long, so that idle workers steal inner pieces and the lock
/// holder has to wait for them.
const ITEM: Duration = Duration::from_micros(if cfg!(miri) { 1 } else { 100 });

/// The variable that turns `deadlock_child` on, in the child process only.
const CHILD: &str = "BRIGADE_ISOLATION_CHILD";

/// A lock that notices re-entry: where a thread that holds it locks it again (a
/// `std::sync::Mutex` would deadlock right there), it counts the re-entry and returns
/// without locking.
struct ReentryProbe {
    lock: Mutex<()>,
    /// The id of the holding thread, 0 if none.
    holder: AtomicU64,
    reentries: AtomicUsize,
}

fn thread_id() -> u64 {
    thread_local!(static ID: u64 = {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    });
    ID.with(|id| *id)
}

impl ReentryProbe {
    fn new() -> Self {
        ReentryProbe {
            lock: Mutex::new(()),
            holder: AtomicU64::new(0),
            reentries: AtomicUsize::new(0),
        }
    }

    /// Runs `f` holding the lock; false (without running `f`) if this thread holds it
    /// already.
    fn with_lock(&self, f: impl FnOnce()) -> bool {
        let me = thread_id();
        if self.holder.load(Ordering::SeqCst) == me {
            self.reentries.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        let _guard = self.lock.lock().unwrap();
        self.holder.store(me, Ordering::SeqCst);
        f();
        self.holder.store(0, Ordering::SeqCst);
        true
    }
}

/// One run of the pattern on `pool`: `OUTER` tasks each take the lock and run an inner loop
/// of `INNER` items while holding it, isolated or not. Returns the inner items that ran.
fn lock_across_loop(pool: &ThreadPool, probe: &ReentryProbe, isolated: bool) -> u64 {
    let inner_items = AtomicU64::new(0);
    pool.for_each(0..OUTER, Schedule::Dynamic { chunk: 1 }, |_| {
        probe.with_lock(|| {
            let inner = || {
                brigade::for_each(0..INNER, Schedule::Dynamic { chunk: 1 }, |_| {
                    thread::sleep(ITEM);
                    inner_items.fetch_add(1, Ordering::Relaxed);
                })
            };
            if isolated {
                brigade::isolate(inner);
            } else {
                inner();
            }
        });
    });
    inner_items.into_inner()
}

/// Without isolation the lock holder, waiting for inner pieces that other workers stole,
/// starts another outer task on its own stack, which locks the lock it holds: the deadlock
/// of rayon #592 (the probe counts it instead of hanging). Four workers: one holds the lock,
/// others block on it, and at least one steals inner pieces.
#[test]
#[cfg_attr(
    miri,
    ignore = "many timed runs; the isolated version below runs under miri"
)]
fn without_isolation_the_lock_holder_reenters_the_lock() {
    within("lock across a loop, not isolated", || {
        let pool = pool_of(4);
        let probe = ReentryProbe::new();
        // Usually the first few runs show it; on a loaded machine (the other tests of this
        // file beside it) 50 runs once did not.
        for _ in 0..200 {
            lock_across_loop(&pool, &probe, false);
            if probe.reentries.load(Ordering::SeqCst) > 0 {
                return;
            }
        }
        panic!("no re-entry in 200 runs: the hazard this test shows did not occur");
    });
}

/// With the inner loop isolated, the lock holder only runs inner pieces while it waits:
/// no re-entry, every inner item runs, on 1 to 8 workers.
#[test]
fn with_isolation_the_lock_is_never_reentered() {
    within("lock across a loop, isolated", || {
        let runs = if cfg!(miri) { 1 } else { 10 };
        for threads in [1, 2, 4, 8] {
            let pool = pool_of(threads);
            let probe = ReentryProbe::new();
            for _ in 0..runs {
                let items = lock_across_loop(&pool, &probe, true);
                assert_eq!(items, OUTER * INNER, "{threads} threads");
            }
            assert_eq!(
                probe.reentries.load(Ordering::SeqCst),
                0,
                "{threads} threads"
            );
        }
    });
}

/// Run only as a child of the test below: the pattern with a real `std::sync::Mutex` and no
/// isolation, over and over, printing a line after each run, until it deadlocks.
#[test]
#[ignore = "run by the deadlock test below, in a child process"]
fn deadlock_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let pool = pool_of(4);
    let lock = Mutex::new(0u64);
    for run in 0.. {
        pool.for_each(0..OUTER, Schedule::Dynamic { chunk: 1 }, |_| {
            let mut held = lock.lock().unwrap();
            brigade::for_each(0..INNER, Schedule::Dynamic { chunk: 1 }, |_| {
                thread::sleep(ITEM);
            });
            *held += 1;
        });
        println!("run {run} done");
    }
}

/// The real thing: without isolation, the pattern with a `std::sync::Mutex` stops making
/// progress (the holder's thread blocks on its own lock); a child process runs it and is
/// killed once it has printed nothing for 2 s.
#[test]
#[cfg_attr(miri, ignore = "miri cannot spawn processes")]
fn without_isolation_a_std_mutex_deadlocks() {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "deadlock_child", "--nocapture"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut runs = 0;
    let outcome = loop {
        match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(line) if line.starts_with("run ") => {
                runs += 1;
                if runs == 2000 {
                    break "still running after 2000 runs";
                }
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => break "deadlocked",
            Err(RecvTimeoutError::Disconnected) => break "exited",
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(outcome, "deadlocked", "after {runs} runs");
}

/// On one worker, a wait inside a region does not run a task queued before the region;
/// outside a region the same wait does. Deterministic: one worker, and the latch is set by a
/// plain thread.
#[test]
fn an_isolated_wait_skips_tasks_from_outside_the_region() {
    within("isolated wait on one worker", || {
        let pool = pool_of(1);
        for isolated in [true, false] {
            let in_region = AtomicBool::new(false);
            let ran_inside = AtomicBool::new(false);
            pool.scope(|s| {
                s.spawn(|_| ran_inside.store(in_region.load(Ordering::SeqCst), Ordering::SeqCst));
                let wait = || {
                    in_region.store(true, Ordering::SeqCst);
                    let latch = Arc::new(Latch::new());
                    let setter = Arc::clone(&latch);
                    let plain = thread::spawn(move || {
                        thread::sleep(Duration::from_millis(20));
                        setter.set();
                    });
                    latch.wait();
                    plain.join().unwrap();
                    in_region.store(false, Ordering::SeqCst);
                };
                if isolated {
                    brigade::isolate(wait);
                } else {
                    wait();
                }
            });
            // Isolated: the outer task ran after the region. Not isolated: during the wait.
            assert_eq!(ran_inside.into_inner(), !isolated, "isolated: {isolated}");
        }
    });
}

/// Tasks spawned inside a region all run, whether the waiter or another worker takes them,
/// and an isolated wait inside a task stolen by another worker is isolated too.
#[test]
fn region_tasks_run_wherever_they_are_taken() {
    within("region tasks", || {
        for threads in [1, 2, 4] {
            let pool = pool_of(threads);
            let n = if cfg!(miri) { 16 } else { 1000 };
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            pool.isolate(|| {
                brigade::scope(|s| {
                    for hit in &hits {
                        s.spawn(move |_| {
                            let (a, b) = brigade::join(|| 1, || 2);
                            hit.fetch_add(a + b - 2, Ordering::Relaxed);
                        });
                    }
                });
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        }
    });
}

/// Regions nest; a panic inside one reaches the caller and leaves the pool usable, and the
/// worker outside the region again (it runs outer tasks while it waits).
#[test]
fn nested_regions_and_panics() {
    quiet_expected_panics();
    within("nested regions", || {
        let pool = pool_of(2);
        let sum = pool.isolate(|| {
            let inner = brigade::isolate(|| {
                brigade::map_reduce(0..100u64, Schedule::default(), || 0, |i| i, |a, b| a + b)
            });
            inner + brigade::join(|| 1, || 2).0
        });
        assert_eq!(sum, 4951);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.isolate(|| {
                brigade::join(|| (), || panic!("{EXPECTED}: in a region"));
            })
        }));
        let payload = caught.expect_err("the panic reaches the caller");
        assert!(payload_str(&*payload).contains("in a region"));
        assert_eq!(pool.install(|| brigade::join(|| 3, || 4)), (3, 4));
    });
}

/// `broadcast` from inside a region: the caller's own share is a job of its region, so the
/// caller runs it while it waits.
#[test]
fn broadcast_inside_a_region() {
    within("broadcast in a region", || {
        for threads in [1, 2, 3] {
            let pool = pool_of(threads);
            let indices = pool.isolate(|| pool.broadcast(|ctx| ctx.index()));
            assert_eq!(indices, (0..threads).collect::<Vec<_>>());
        }
    });
}

/// A timed wait inside a region times out on time (the waiter parks on its latch alone).
#[test]
fn timed_wait_inside_a_region() {
    within("timed wait in a region", || {
        let pool = pool_of(2);
        let latch = Latch::new();
        let released = pool.isolate(|| latch.wait_timeout(Duration::from_millis(20)));
        assert!(!released);
        latch.set();
        assert!(pool.isolate(|| latch.wait_timeout(Duration::from_millis(20))));
    });
}

/// `isolate` outside every pool runs on the calling thread; the global pool runs what the
/// closure sends to it.
#[test]
fn isolate_outside_a_pool() {
    within("isolate outside a pool", || {
        let (a, b) = brigade::isolate(|| brigade::join(|| 1, || 2));
        assert_eq!(a + b, 3);
        assert!(brigade::isolate(brigade::current_thread_index).is_none());
    });
}

/// `isolate` on a plain thread runs the closure on that thread, not on a pool's worker, and
/// the jobs it sends into a pool belong to its region: on one worker, waiting inside such a
/// job, the worker does not run a task queued from outside meanwhile (and without
/// `isolate` it does). Deterministic: one worker, and the latch is set by another plain
/// thread after it queued the outside task.
#[test]
fn isolate_on_a_plain_thread_runs_on_that_thread() {
    within("isolate on a plain thread", || {
        let me = thread::current().id();
        let (ran_on, index) =
            brigade::isolate(|| (thread::current().id(), brigade::current_thread_index()));
        assert_eq!(ran_on, me);
        assert_eq!(index, None);

        let pool = pool_of(1);
        for isolated in [true, false] {
            let waiting = Arc::new(AtomicBool::new(false));
            let (tx, rx) = mpsc::channel();
            let body = || {
                pool.install(|| {
                    let latch = Latch::new();
                    waiting.store(true, Ordering::SeqCst);
                    thread::scope(|s| {
                        s.spawn(|| {
                            let (waiting, tx) = (Arc::clone(&waiting), tx.clone());
                            pool.spawn(move || tx.send(waiting.load(Ordering::SeqCst)).unwrap());
                            thread::sleep(Duration::from_millis(20));
                            latch.set();
                        });
                        latch.wait();
                    });
                    waiting.store(false, Ordering::SeqCst);
                });
            };
            if isolated {
                brigade::isolate(body);
            } else {
                body();
            }
            // Isolated: the outside task ran after the wait. Not isolated: during it.
            assert_eq!(rx.recv().unwrap(), !isolated, "isolated: {isolated}");
        }
    });
}

/// `ThreadPool::isolate` runs on a worker of that pool, whoever calls it: a plain thread, a
/// worker of another pool, a worker of the pool itself.
#[test]
fn thread_pool_isolate_runs_on_a_worker_of_that_pool() {
    within("ThreadPool::isolate", || {
        let named = |prefix: &'static str| {
            ThreadPool::builder()
                .num_threads(2)
                .thread_name(move |i| format!("{prefix}-{i}"))
                .build()
                .expect("a small pool builds")
        };
        let (pool, other) = (named("iso"), named("other"));
        let worker_name = || thread::current().name().map(String::from);
        let on = |name: Option<String>| name.is_some_and(|n| n.starts_with("iso-"));
        assert!(on(pool.isolate(worker_name)), "from a plain thread");
        assert!(
            on(other.install(|| pool.isolate(worker_name))),
            "from a worker of another pool"
        );
        assert!(
            on(pool.install(|| pool.isolate(worker_name))),
            "from a worker of the pool"
        );
    });
}

/// The variable that turns `plain_isolate_child` on, in the child process only.
const PLAIN_CHILD: &str = "BRIGADE_PLAIN_ISOLATE_CHILD";

/// Run only as a child of the test below, in a process of its own: `isolate` on a plain
/// thread, sending work into a pool of its own, and then the global pool can still be built
/// (nothing built it).
#[test]
#[ignore = "run by the test below, in a child process"]
fn plain_isolate_child() {
    if std::env::var_os(PLAIN_CHILD).is_none() {
        return;
    }
    let pool = pool_of(2);
    let (a, b) = brigade::isolate(|| pool.install(|| brigade::join(|| 1, || 2)));
    assert_eq!(a + b, 3);
    assert_eq!(brigade::isolate(|| 4), 4);
    brigade::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("nothing built the global pool");
    println!("the global pool was not built");
}

/// `isolate` on a plain thread neither builds nor uses the global pool when the closure does
/// not: checked in a child process, whose global pool nothing else touches.
#[test]
#[cfg_attr(miri, ignore = "miri cannot spawn processes")]
fn isolate_on_a_plain_thread_does_not_build_the_global_pool() {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "plain_isolate_child", "--nocapture"])
        .env(PLAIN_CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let deadline = Instant::now() + DEADLOCK;
    while child.try_wait().expect("wait for the child").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child is not done after {DEADLOCK:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("the child's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("the global pool was not built"),
        "{}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A program of nested `join`s (`J`), handles joined inside the pool (`H`, tasks in task
/// regions), scopes (`S`), loops (`F`), `isolate` (`Iso`), calls into a second pool (`O`) and
/// empty leaves (`L0`), on a pool of one thread: a user-side fuzzer found that it hung every
/// time. Its only worker waited inside a task region for a job of that region that sat at
/// the old end of its own deque, under jobs of other regions: no `pop` reached it, no thief
/// existed to take it, and `Registry::has_work_in` counted it, so the waiter never parked
/// either and spun forever. A waiter now moves the other regions' jobs off its deque.
#[test]
#[cfg_attr(
    miri,
    ignore = "about 150 tasks on pools of 1 and 3 threads: slow under miri"
)]
fn a_lone_waiter_takes_its_regions_job_from_its_own_deque() {
    let tree = TREE;
    within("a program of regions on a pool of one", move || {
        let pool = Arc::new(pool_of(1));
        let other = Arc::new(pool_of(3));
        let mut at = 0;
        let program = Arc::new(Node::parse(tree.as_bytes(), &mut at));
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..5 {
            ran.store(0, Ordering::SeqCst);
            let (p, o, r, t) = (pool.clone(), other.clone(), ran.clone(), program.clone());
            pool.install(move || t.run(&p, &o, &r));
            assert_eq!(
                ran.load(Ordering::SeqCst),
                program.size(),
                "every node ran once"
            );
        }
    });
}

/// The program of `a_lone_waiter_takes_its_regions_job_from_its_own_deque`.
const TREE: &str = concat!(
    "J(J(J(J(J(J(J(J(H(J(L0, J(J(J(J(L0, J(J(J(J(J(J(J(J(S[J(S[J(J(J(L0, L0), L0), ",
    "J(J(L0, L0), L0)), J(J(J(L0, L0), L0), L0)], J(J(O(L0), J(J(L0, L0), J(L0, L0))), ",
    "L0)), J(J(J(J(J(L0, L0), J(L0, L0)), L0), J(L0, L0)), J(J(J(J(L0, L0), L0), F[J(L0, ",
    "L0), J(L0, L0), J(L0, L0), J(L0, L0)]), J(J(L0, L0), L0)))], F[J(L0, J(L0, J(J(L0, ",
    "L0), J(J(L0, L0), J(L0, L0))))), J(J(J(L0, L0), J(J(L0, L0), J(L0, L0))), J(L0, ",
    "J(Iso(H(L0)), L0)))]), L0), L0), L0), L0), L0), L0), L0)), L0), L0), L0))), L0), ",
    "L0), L0), L0), L0), L0), L0), L0)",
);

/// A node of such a program.
enum Node {
    Join(Arc<Node>, Arc<Node>),
    Handle(Arc<Node>),
    Scope(Vec<Arc<Node>>),
    Loop(Vec<Arc<Node>>),
    Isolate(Arc<Node>),
    Other(Arc<Node>),
    Leaf,
}

impl Node {
    fn parse(s: &[u8], at: &mut usize) -> Node {
        let skip = |at: &mut usize, text: &[u8]| {
            while s[*at] == b' ' {
                *at += 1;
            }
            assert_eq!(&s[*at..*at + text.len()], text, "at {}", *at);
            *at += text.len();
        };
        let list = |at: &mut usize| {
            skip(at, b"[");
            let mut nodes = vec![Arc::new(Node::parse(s, at))];
            while s[*at] == b',' {
                skip(at, b",");
                nodes.push(Arc::new(Node::parse(s, at)));
            }
            skip(at, b"]");
            nodes
        };
        let one = |at: &mut usize| {
            skip(at, b"(");
            let node = Arc::new(Node::parse(s, at));
            skip(at, b")");
            node
        };
        while s[*at] == b' ' {
            *at += 1;
        }
        match s[*at] {
            b'J' => {
                skip(at, b"J(");
                let a = Arc::new(Node::parse(s, at));
                skip(at, b",");
                let b = Arc::new(Node::parse(s, at));
                skip(at, b")");
                Node::Join(a, b)
            }
            b'H' => {
                skip(at, b"H");
                Node::Handle(one(at))
            }
            b'S' => {
                skip(at, b"S");
                Node::Scope(list(at))
            }
            b'F' => {
                skip(at, b"F");
                Node::Loop(list(at))
            }
            b'I' => {
                skip(at, b"Iso");
                Node::Isolate(one(at))
            }
            b'O' => {
                skip(at, b"O");
                Node::Other(one(at))
            }
            _ => {
                skip(at, b"L0");
                Node::Leaf
            }
        }
    }

    fn size(&self) -> usize {
        1 + match self {
            Node::Join(a, b) => a.size() + b.size(),
            Node::Handle(c) | Node::Isolate(c) | Node::Other(c) => c.size(),
            Node::Scope(cs) | Node::Loop(cs) => cs.iter().map(|c| c.size()).sum(),
            Node::Leaf => 0,
        }
    }

    /// Runs the node on `pool` (the pool the current code runs in); `other` is the pool an
    /// `O` calls into.
    fn run(&self, pool: &Arc<ThreadPool>, other: &Arc<ThreadPool>, ran: &Arc<AtomicUsize>) {
        use brigade::prelude::*;
        ran.fetch_add(1, Ordering::SeqCst);
        match self {
            Node::Join(a, b) => {
                brigade::join(|| a.run(pool, other, ran), || b.run(pool, other, ran));
            }
            Node::Handle(c) => {
                let (c, p, o, r) = (c.clone(), pool.clone(), other.clone(), ran.clone());
                let handle = pool.spawn_with_handle(move || c.run(&p, &o, &r));
                handle.join().expect("no panic");
            }
            Node::Scope(cs) => brigade::scope(|s| {
                for c in cs {
                    s.spawn(move |_| c.run(pool, other, ran));
                }
            }),
            Node::Loop(cs) => cs.par_iter().for_each(|c| c.run(pool, other, ran)),
            Node::Isolate(c) => brigade::isolate(|| c.run(pool, other, ran)),
            Node::Other(c) => other.install(|| c.run(other, pool, ran)),
            Node::Leaf => {}
        }
    }
}

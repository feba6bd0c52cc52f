//! Integration tests for every public item of brigade: the builder and its errors,
//! `install`, `join`, `scope`, `spawn`/`spawn_with_handle`, `broadcast`, the
//! `current_*` functions, shutdown, and the `Debug` impls.
//!
//! Pools are small (1 to 4 threads). Tests that could hang on a scheduler bug run under
//! [`within`], which turns a deadlock into a failure.

mod common;

use common::{payload_str, pool_of, quiet_expected_panics, within};

use std::any::Any;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use brigade::{BuildError, JoinHandle, Scope, TaskPanicked, ThreadPool, ThreadPoolBuilder};

/// How long a test may wait for work that should finish in milliseconds.
/// How long a test waits for something that must happen: far longer than it takes natively,
/// for runs under ThreadSanitizer on a loaded machine (a hang is forever anyway).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Makes sure the global pool exists, so no later test can build it while
/// `BRIGADE_NUM_THREADS` holds a bad value (see `builder_reads_brigade_num_threads`).
fn ensure_global_pool() {
    assert_eq!(brigade::join(|| 1, || 2), (1, 2));
}

/// Blocks the calling thread for `ms` milliseconds: makes the other side of a join or the
/// other tasks of a scope still be running when a panic happens.
fn sleep_ms(ms: u64) {
    thread::sleep(Duration::from_millis(ms));
}

// ---------------------------------------------------------------------------------------
// ThreadPoolBuilder
// ---------------------------------------------------------------------------------------

#[test]
fn builder_num_threads() {
    for n in 1..=4 {
        let pool = pool_of(n);
        assert_eq!(pool.current_num_threads(), n);
        assert_eq!(pool.install(brigade::current_num_threads), n);
        assert_eq!(pool.broadcast(|_| ()).len(), n);
    }
}

#[test]
fn builder_default_is_usable() {
    let pool = ThreadPoolBuilder::default()
        .num_threads(2)
        .build()
        .expect("build");
    assert_eq!(pool.join(|| 1, || 2), (1, 2));
}

#[test]
fn builder_thread_name() {
    let pool = ThreadPool::builder()
        .num_threads(2)
        .thread_name(|i| format!("api-name-{i}"))
        .build()
        .expect("build");
    let (index, name) = pool.install(|| {
        (
            brigade::current_thread_index(),
            thread::current().name().map(str::to_owned),
        )
    });
    let index = index.expect("install runs on a worker");
    assert_eq!(name.as_deref(), Some(format!("api-name-{index}").as_str()));
    let names = pool.broadcast(|_| thread::current().name().map(str::to_owned));
    assert_eq!(
        names,
        vec![Some("api-name-0".to_owned()), Some("api-name-1".to_owned())]
    );
}

#[test]
fn builder_default_thread_name() {
    let pool = pool_of(2);
    let names = pool.broadcast(|_| thread::current().name().map(str::to_owned));
    assert_eq!(
        names,
        vec![
            Some("brigade-worker-0".to_owned()),
            Some("brigade-worker-1".to_owned())
        ]
    );
}

/// Uses about 4 KiB of stack per level, so `depth` 1000 needs about 4 MiB: more than the
/// 2 MiB default, well within 8 MiB.
fn deep_recursion(depth: usize) -> u64 {
    let mut frame = [0u8; 4096];
    frame[4095] = depth as u8;
    let frame = std::hint::black_box(&mut frame);
    if depth == 0 {
        return u64::from(frame[4095]);
    }
    deep_recursion(depth - 1) + u64::from(frame[4095])
}

/// The size of the current thread's stack as the OS reports it.
#[cfg(target_os = "linux")]
fn current_stack_size() -> usize {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    let mut size = 0usize;
    // SAFETY: `attr` is initialized by `pthread_getattr_np` (checked by its return value)
    // before it is read, and destroyed once; `size` is a valid out-pointer.
    unsafe {
        assert_eq!(
            libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()),
            0
        );
        assert_eq!(libc::pthread_attr_getstacksize(attr.as_ptr(), &mut size), 0);
        libc::pthread_attr_destroy(attr.as_mut_ptr());
    }
    size
}

#[test]
#[cfg_attr(
    miri,
    ignore = "miri has no pthread_getattr_np and no stack limit: nothing to check the size against"
)]
fn builder_stack_size() {
    const SIZE: usize = 8 << 20;
    let pool = ThreadPool::builder()
        .num_threads(2)
        .stack_size(SIZE)
        .build()
        .expect("build");
    #[cfg(target_os = "linux")]
    for size in pool.broadcast(|_| current_stack_size()) {
        assert!(
            size >= SIZE,
            "worker stack is {size} bytes, asked for {SIZE}"
        );
    }
    let expected: u64 = (1..=1000u64).map(|d| d % 256).sum();
    assert_eq!(pool.install(|| deep_recursion(1000)), expected);
}

#[test]
fn builder_start_and_exit_handlers() {
    for n in [1, 3] {
        let started = Arc::new(Mutex::new(Vec::new()));
        let exited = Arc::new(Mutex::new(Vec::new()));
        let (s, e) = (Arc::clone(&started), Arc::clone(&exited));
        let pool = ThreadPool::builder()
            .num_threads(n)
            // Each handler records its index and the index of the worker it runs on.
            .start_handler(move |i| s.lock().unwrap().push((i, brigade::current_thread_index())))
            .exit_handler(move |i| e.lock().unwrap().push((i, brigade::current_thread_index())))
            .build()
            .expect("build");
        pool.broadcast(|_| ());
        assert!(
            exited.lock().unwrap().is_empty(),
            "no worker exits while the pool is alive"
        );
        pool.shutdown();
        let mut started = started.lock().unwrap().clone();
        let mut exited = exited.lock().unwrap().clone();
        started.sort_unstable();
        exited.sort_unstable();
        let all: Vec<(usize, Option<usize>)> = (0..n).map(|i| (i, Some(i))).collect();
        assert_eq!(started, all, "each worker ran the start handler once");
        assert_eq!(
            exited, all,
            "each worker ran the exit handler once, before shutdown returned"
        );
    }
}

#[test]
fn builder_panic_handler_gets_spawn_payload() {
    quiet_expected_panics();
    let (tx, rx) = mpsc::channel::<Box<dyn Any + Send>>();
    let pool = ThreadPool::builder()
        .num_threads(2)
        .panic_handler(move |payload| tx.send(payload).expect("receiver alive"))
        .build()
        .expect("build");
    pool.spawn(|| panic!("expected panic: in spawn"));
    let payload = rx.recv_timeout(TIMEOUT).expect("the handler got the panic");
    assert_eq!(payload_str(&*payload), "expected panic: in spawn");

    // A payload that is not a string arrives as it was raised.
    pool.spawn(|| panic::panic_any(42u32));
    let payload = rx.recv_timeout(TIMEOUT).expect("the handler got the panic");
    assert_eq!(payload.downcast_ref::<u32>(), Some(&42));

    // The worker keeps running.
    assert_eq!(pool.join(|| 1, || 2), (1, 2));
    pool.shutdown();
    assert!(rx.try_recv().is_err(), "exactly one handler call per panic");
}

#[test]
fn builder_panic_handler_gets_start_handler_panic() {
    quiet_expected_panics();
    let (tx, rx) = mpsc::channel::<String>();
    let pool = ThreadPool::builder()
        .num_threads(2)
        .start_handler(|i| panic!("expected panic: start {i}"))
        .panic_handler(move |p| tx.send(payload_str(&*p)).expect("receiver alive"))
        .build()
        .expect("build");
    assert_eq!(
        pool.broadcast(|c| c.index()),
        vec![0, 1],
        "workers run on after the panic"
    );
    pool.shutdown();
    let mut got: Vec<String> = rx.try_iter().collect();
    got.sort();
    assert_eq!(
        got,
        vec!["expected panic: start 0", "expected panic: start 1"]
    );
}

#[test]
fn builder_exit_handler_panic_goes_to_panic_handler() {
    quiet_expected_panics();
    let (tx, rx) = mpsc::channel::<String>();
    let pool = ThreadPool::builder()
        .num_threads(2)
        .exit_handler(|i| panic!("expected panic: exit {i}"))
        .panic_handler(move |p| tx.send(payload_str(&*p)).expect("receiver alive"))
        .build()
        .expect("build");
    assert_eq!(pool.join(|| 1, || 2), (1, 2));
    pool.shutdown();
    let mut got: Vec<String> = rx.try_iter().collect();
    got.sort();
    assert_eq!(
        got,
        vec!["expected panic: exit 0", "expected panic: exit 1"]
    );
}

#[test]
fn panic_without_handler_or_in_handler_keeps_workers_running() {
    quiet_expected_panics();
    // No panic handler: the panic is reported on stderr.
    let pool = pool_of(1);
    pool.spawn(|| panic!("expected panic: no handler"));
    assert_eq!(pool.install(|| 1), 1);
    drop(pool);

    // A panic handler that panics itself.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let pool = ThreadPool::builder()
        .num_threads(1)
        .panic_handler(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            panic!("expected panic: in the handler");
        })
        .build()
        .expect("build");
    pool.spawn(|| panic!("expected panic: first"));
    pool.spawn(|| panic!("expected panic: second"));
    assert_eq!(pool.install(|| 2), 2);
    pool.shutdown();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the handler ran for each panic and the worker survived"
    );
}

#[test]
fn builder_debug() {
    let b = ThreadPool::builder().num_threads(2).stack_size(1 << 20);
    let text = format!("{b:?}");
    assert!(text.contains("ThreadPoolBuilder"), "{text}");
    assert!(text.contains("num_threads: Some(2)"), "{text}");
    assert!(text.contains("stack_size: Some(1048576)"), "{text}");
}

// ---------------------------------------------------------------------------------------
// BuildError
// ---------------------------------------------------------------------------------------

/// `num_threads(0)` is as if it was not called, as in rayon (rayon-core's
/// `init_zero_threads`): the pool reads `BRIGADE_NUM_THREADS`, else uses one worker per
/// logical CPU.
#[test]
fn zero_threads_means_the_default_count() {
    let pool = ThreadPool::builder()
        .num_threads(0)
        .build()
        .expect("the default count");
    let default = ThreadPool::builder().build().expect("the default count");
    assert_eq!(pool.current_num_threads(), default.current_num_threads());
    assert!(pool.current_num_threads() >= 1);
}

#[test]
fn build_error_too_many_threads() {
    let err = ThreadPool::builder()
        .num_threads(1 << 20)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, BuildError::TooManyThreads { requested, max } if requested == 1 << 20 && max < requested),
        "{err:?}"
    );
}

#[test]
fn build_error_stack_size_out_of_range() {
    for size in [0, 1, 4096, 64 * 1024 - 1, usize::MAX] {
        let err = ThreadPool::builder()
            .num_threads(1)
            .stack_size(size)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, BuildError::StackSize { requested, min, max } if requested == size && min <= max),
            "stack size {size}: {err:?}"
        );
    }
    // The smallest accepted size works.
    let pool = ThreadPool::builder()
        .num_threads(1)
        .stack_size(64 * 1024)
        .build()
        .expect("64 KiB is fine");
    assert_eq!(pool.install(|| 7), 7);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "miri does not model stack sizes: a 32 TiB stack does not make spawn fail"
)]
fn build_error_spawn_when_os_refuses_stack() {
    // 32 TiB: inside the builder's accepted range, but no OS will map that much stack.
    const HUGE: usize = 1 << 45;
    let exited = Arc::new(AtomicUsize::new(0));
    let e = Arc::clone(&exited);
    let result = ThreadPool::builder()
        .num_threads(2)
        .stack_size(HUGE)
        .exit_handler(move |_| {
            e.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    match result {
        Err(BuildError::Spawn { index, source }) => {
            assert_eq!(index, 0, "the first worker already fails");
            assert!(!source.to_string().is_empty());
        }
        other => panic!("expected BuildError::Spawn for a {HUGE}-byte stack, got {other:?}"),
    }
    assert_eq!(
        exited.load(Ordering::SeqCst),
        0,
        "no worker started, so none exited"
    );
}

/// Issue 12: a NUL byte in a thread name was reported as a spawn failure with a hint about
/// the stack size; the message must say what is wrong with the name. Worker 1's name has
/// the NUL byte, so worker 0 starts first: the build must stop and join it before it
/// returns the error.
#[test]
fn build_error_thread_name_with_a_nul_byte() {
    let exited = Arc::new(AtomicUsize::new(0));
    let e = Arc::clone(&exited);
    let err = ThreadPool::builder()
        .num_threads(3)
        .thread_name(|i| {
            if i == 1 {
                format!("render-{i}\0")
            } else {
                format!("render-{i}")
            }
        })
        .exit_handler(move |_| {
            e.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap_err();
    let msg = err.to_string();
    for needle in ["worker 1", "\"render-1\\0\"", "NUL byte", "thread_name"] {
        assert!(msg.contains(needle), "{needle:?} not in {msg:?}");
    }
    assert!(
        !msg.contains("stack"),
        "no hint about the stack size: {msg:?}"
    );
    assert!(
        matches!(&err, BuildError::ThreadNameNul { index: 1, name } if name == "render-1\0"),
        "{err:?}"
    );
    assert_eq!(
        exited.load(Ordering::SeqCst),
        1,
        "worker 0 was stopped and joined before build returned"
    );
}

#[test]
fn builder_thread_name_panic_stops_workers_that_started() {
    quiet_expected_panics();
    // The name closure panics for worker 1, after worker 0 started: the panic reaches the
    // caller of `build`, and worker 0 must not be left running forever.
    let exited = Arc::new(AtomicUsize::new(0));
    let e = Arc::clone(&exited);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        ThreadPool::builder()
            .num_threads(2)
            .thread_name(|i| {
                if i == 1 {
                    panic!("expected panic: name {i}")
                } else {
                    format!("ok-{i}")
                }
            })
            .exit_handler(move |_| {
                e.fetch_add(1, Ordering::SeqCst);
            })
            .build()
    }));
    let payload = result.expect_err("the name closure's panic reaches the caller");
    assert_eq!(payload_str(&*payload), "expected panic: name 1");
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while exited.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        sleep_ms(5);
    }
    assert_eq!(
        exited.load(Ordering::SeqCst),
        1,
        "worker 0 was stopped (it leaks otherwise)"
    );
}

#[test]
fn build_error_global_already_initialized() {
    ensure_global_pool();
    let err = ThreadPoolBuilder::new()
        .num_threads(2)
        .build_global()
        .unwrap_err();
    assert!(
        matches!(err, BuildError::GlobalPoolAlreadyInitialized),
        "{err:?}"
    );
    // A bad builder still reports the bad setting or the existing pool, never succeeds.
    assert!(
        ThreadPoolBuilder::new()
            .stack_size(1)
            .build_global()
            .is_err()
    );
}

#[test]
fn build_error_messages_are_actionable() {
    let cases: Vec<(BuildError, &[&str])> = vec![
        (
            BuildError::TooManyThreads {
                requested: 1 << 20,
                max: 1 << 16,
            },
            &["1048576", "65536", "fewer"],
        ),
        (
            BuildError::InvalidEnv {
                value: "abc".into(),
            },
            &["BRIGADE_NUM_THREADS", "\"abc\"", "num_threads"],
        ),
        (
            BuildError::StackSize {
                requested: 1,
                min: 65536,
                max: 1 << 46,
            },
            &["1 bytes", "65536", "at least"],
        ),
        (
            BuildError::Spawn {
                index: 3,
                source: std::io::Error::other("no memory"),
            },
            &["thread 3", "no memory", "fewer threads"],
        ),
        (
            BuildError::GlobalPoolAlreadyInitialized,
            &["already", "build_global"],
        ),
        (
            BuildError::TooManyThreadsInEnv {
                value: "100000".into(),
                max: 1 << 16,
            },
            &["BRIGADE_NUM_THREADS", "\"100000\"", "65536", "num_threads"],
        ),
        (
            BuildError::ThreadNameNul {
                index: 2,
                name: "a\0b".into(),
            },
            &["worker 2", "\"a\\0b\"", "NUL byte", "thread_name"],
        ),
    ];
    for (err, needles) in cases {
        let msg = err.to_string();
        assert!(msg.len() > 20, "{err:?} has a too-short message: {msg:?}");
        for needle in needles {
            assert!(
                msg.contains(needle),
                "message of {err:?} lacks {needle:?}: {msg}"
            );
        }
    }
    let spawn = BuildError::Spawn {
        index: 0,
        source: std::io::Error::other("x"),
    };
    assert!(
        std::error::Error::source(&spawn).is_some(),
        "Spawn exposes the OS error as source"
    );
}

/// Removes `BRIGADE_NUM_THREADS` when dropped, even if an assertion failed.
struct EnvGuard;

impl EnvGuard {
    fn set(value: &str) {
        // SAFETY: all environment access in this test process goes through `std::env`, which
        // serializes it with std's own lock, and no C code reads the environment here. Every
        // test that reads this variable is in this one function, and the global pool (the
        // only other reader) was built before the first `set`.
        unsafe { std::env::set_var("BRIGADE_NUM_THREADS", value) };
    }

    fn unset() {
        // SAFETY: as in `EnvGuard::set`.
        unsafe { std::env::remove_var("BRIGADE_NUM_THREADS") };
    }
}

impl Drop for EnvGuard {
    fn drop(&mut self) {
        // SAFETY: as in `EnvGuard::set`.
        unsafe { std::env::remove_var("BRIGADE_NUM_THREADS") };
    }
}

/// All environment-variable cases in one test: the variable is process-global.
#[test]
fn builder_reads_brigade_num_threads() {
    ensure_global_pool();
    let _guard = EnvGuard;

    EnvGuard::set("3");
    let pool = ThreadPoolBuilder::new().build().expect("3 is valid");
    assert_eq!(pool.current_num_threads(), 3);
    assert_eq!(pool.broadcast(|c| c.index()), vec![0, 1, 2]);
    drop(pool);

    EnvGuard::set(" 2\n");
    let pool = ThreadPoolBuilder::new()
        .build()
        .expect("surrounding whitespace is accepted");
    assert_eq!(pool.current_num_threads(), 2);
    drop(pool);

    // 0 is as if the variable was not set, as rayon reads `RAYON_NUM_THREADS`.
    EnvGuard::unset();
    let default = ThreadPoolBuilder::new()
        .build()
        .expect("the default")
        .current_num_threads();
    EnvGuard::set("0");
    let pool = ThreadPoolBuilder::new().build().expect("0 is the default");
    assert_eq!(pool.current_num_threads(), default);
    drop(pool);

    for bad in ["abc", "-1", "", "2.5"] {
        EnvGuard::set(bad);
        match ThreadPoolBuilder::new().build() {
            Err(BuildError::InvalidEnv { value }) => assert_eq!(value, bad),
            other => panic!("BRIGADE_NUM_THREADS={bad:?}: expected InvalidEnv, got {other:?}"),
        }
    }

    // Issue 12: too many threads from the variable must name the variable, not read as
    // if `num_threads` had asked for them.
    for huge in ["100000", "99999999999999999999999"] {
        EnvGuard::set(huge);
        let err = ThreadPoolBuilder::new().build().unwrap_err();
        let msg = err.to_string();
        for needle in ["BRIGADE_NUM_THREADS", huge, "65536", "unset it"] {
            assert!(
                msg.contains(needle),
                "BRIGADE_NUM_THREADS={huge}: {needle:?} not in {msg:?}"
            );
        }
        assert!(
            matches!(&err, BuildError::TooManyThreadsInEnv { value, max } if value == huge && *max == 1 << 16),
            "{err:?}"
        );
    }

    // An explicit num_threads wins over the variable, even a malformed one.
    EnvGuard::set("abc");
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("num_threads overrides");
    assert_eq!(pool.current_num_threads(), 2);
    drop(pool);

    EnvGuard::set("1");
    let pool = ThreadPoolBuilder::new().num_threads(0).build();
    assert_eq!(
        pool.expect("num_threads(0) reads the variable")
            .current_num_threads(),
        1
    );

    // Unset: one thread per logical CPU.
    // SAFETY: as in `EnvGuard::set`.
    unsafe { std::env::remove_var("BRIGADE_NUM_THREADS") };
    let pool = ThreadPoolBuilder::new().build().expect("default");
    let cpus = thread::available_parallelism().map_or(1, usize::from);
    assert!(pool.current_num_threads() >= 1);
    assert!(pool.current_num_threads() <= cpus.max(pool.current_num_threads()));
}

// ---------------------------------------------------------------------------------------
// install
// ---------------------------------------------------------------------------------------

#[test]
fn install_returns_value_on_a_worker() {
    let pool = pool_of(2);
    assert_eq!(pool.install(|| 6 * 7), 42);
    let s = String::from("borrowed");
    assert_eq!(
        pool.install(|| s.len()),
        8,
        "install may borrow from the caller"
    );
    let index = pool
        .install(brigade::current_thread_index)
        .expect("on a worker");
    assert!(index < 2);
}

/// A thread outside the pool waits for `install` on a latch in its thread-local storage,
/// which its exit frees: the worker that sets the latch must be done with it by then, even
/// when the thread exits the moment its wait returns. Threads that call `install` once and
/// end, over and over; miri checks that nothing touches the freed latch (it once did).
#[test]
fn install_from_threads_that_exit_at_once() {
    let pool = pool_of(1);
    let rounds = if cfg!(miri) { 8 } else { 200 };
    for round in 0..rounds {
        let pool = &pool;
        let got = thread::scope(|ts| {
            let hs: Vec<_> = (0..2)
                .map(|i| ts.spawn(move || pool.install(move || round + i)))
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("no panic"))
                .sum::<usize>()
        });
        assert_eq!(got, 2 * round + 1);
    }
}

#[test]
fn install_from_own_worker_runs_inline() {
    let pool = pool_of(2);
    let (outer, inner) = pool.install(|| {
        let outer = (brigade::current_thread_index(), thread::current().id());
        let inner = pool.install(|| (brigade::current_thread_index(), thread::current().id()));
        (outer, inner)
    });
    assert!(outer.0.is_some());
    assert_eq!(outer, inner, "nested install runs on the same worker");
}

fn cross_pool_install(n: usize) {
    let a = Arc::new(pool_of(n));
    let b = Arc::new(pool_of(n));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let seen = within("A -> B", move || {
        a2.install(|| {
            b2.install(|| {
                (
                    b2.current_thread_index().is_some(),
                    a2.current_thread_index(),
                )
            })
        })
    });
    assert_eq!(
        seen,
        (true, None),
        "B's closure runs on a worker of B, not of A"
    );

    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let seen = within("A -> B -> A", move || {
        a2.install(|| {
            b2.install(|| a2.install(|| (a2.current_thread_index(), b2.current_thread_index())))
        })
    });
    assert!(
        seen.0.is_some() && seen.1.is_none(),
        "innermost runs on A: {seen:?}"
    );

    // Several cross calls at once, from both pools' workers.
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let total = within("A <-> B, many", move || {
        a2.install(|| {
            let (x, y) = brigade::join(
                || b2.install(|| brigade::join(|| a2.install(|| 1), || 2)),
                || b2.join(|| a2.install(|| 3), || b2.install(|| 4)),
            );
            x.0 + x.1 + y.0 + y.1
        })
    });
    assert_eq!(total, 10);
}

#[test]
fn install_across_pools_one_thread_each() {
    cross_pool_install(1);
}

#[test]
fn install_across_pools_two_threads_each() {
    cross_pool_install(2);
}

#[test]
fn install_panic_reaches_caller_and_pool_survives() {
    quiet_expected_panics();
    let pool = pool_of(2);
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.install(|| -> u8 { panic!("expected panic: in install") })
    }))
    .unwrap_err();
    assert_eq!(payload_str(&*err), "expected panic: in install");
    assert_eq!(pool.install(|| 5), 5);

    // Re-raised across pools too.
    let other = pool_of(1);
    let caught = pool.install(|| {
        panic::catch_unwind(AssertUnwindSafe(|| {
            other.install(|| -> u8 { panic!("expected panic: cross") })
        }))
        .map_err(|p| payload_str(&*p))
    });
    assert_eq!(caught, Err("expected panic: cross".to_owned()));
    assert_eq!(other.install(|| 6), 6);
    assert_eq!(pool.install(|| 7), 7);
}

// ---------------------------------------------------------------------------------------
// join
// ---------------------------------------------------------------------------------------

#[test]
fn join_returns_both_results() {
    let pool = pool_of(2);
    assert_eq!(pool.join(|| 1, || "two"), (1, "two"));
    let v: Vec<u64> = (1..=1000).collect();
    let (l, r) = v.split_at(500);
    let (a, b) = pool.install(|| brigade::join(|| l.iter().sum::<u64>(), || r.iter().sum::<u64>()));
    assert_eq!(a + b, 500_500);
}

/// A chain of joins `depth` deep where the second half recurses (so a thief nests too).
fn chain_b(depth: usize) -> usize {
    if depth == 0 {
        return 0;
    }
    let (a, b) = brigade::join(|| 1, || chain_b(depth - 1));
    a + b
}

/// A chain of joins `depth` deep where the first half recurses.
fn chain_a(depth: usize) -> usize {
    if depth == 0 {
        return 0;
    }
    let (a, b) = brigade::join(|| chain_a(depth - 1), || 1);
    a + b
}

fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = brigade::join(|| fib(n - 1), || fib(n - 2));
    a + b
}

#[test]
fn join_nests_deeper_than_thread_count() {
    // fib(18) makes 8361 calls; under miri, fib(12) makes 465.
    let (depth, fib_n, fib_value) = if cfg!(miri) {
        (100, 12, 144)
    } else {
        (200, 18, 2584)
    };
    for n in [1, 2] {
        let pool = Arc::new(pool_of(n));
        let p = Arc::clone(&pool);
        let (a, b, f) = within("deep joins", move || {
            p.install(|| (chain_a(depth), chain_b(depth), fib(fib_n)))
        });
        assert_eq!((a, b, f), (depth, depth, fib_value), "{n} threads");
    }
}

#[test]
fn join_outside_any_pool_uses_global_pool() {
    assert_eq!(brigade::current_thread_index(), None);
    let (a, b) = brigade::join(brigade::current_thread_index, || 2);
    assert!(a.is_some(), "the first half runs on a global pool worker");
    assert_eq!(b, 2);
    assert_eq!(fib(15), 610);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "3000 nested joins ran out of 24 GB under miri; scope_many_tiny_spawns covers the overflow"
)]
fn join_deeper_than_the_deque() {
    // More nested joins than a worker's deque holds: the older halves spill to the injector.
    for n in [1, 2] {
        let pool = Arc::new(
            ThreadPool::builder()
                .num_threads(n)
                .stack_size(64 << 20)
                .build()
                .expect("build"),
        );
        let p = Arc::clone(&pool);
        let (a, b) = within("3000 nested joins", move || {
            p.install(|| (chain_a(3000), chain_b(3000)))
        });
        assert_eq!((a, b), (3000, 3000), "{n} threads");
    }
}

#[derive(Clone, Copy, Debug)]
enum Side {
    A,
    B,
    Both,
}

/// Runs a join where `side` panics and the other half (if any) takes a while; checks the
/// panic arrives only after the other half finished.
fn join_panic_case(pool: &ThreadPool, side: Side) {
    let a_done = AtomicBool::new(false);
    let b_done = AtomicBool::new(false);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.join(
            || {
                if matches!(side, Side::A | Side::Both) {
                    sleep_ms(2);
                    panic!("expected panic: a");
                }
                sleep_ms(30);
                a_done.store(true, Ordering::SeqCst);
            },
            || {
                if matches!(side, Side::B | Side::Both) {
                    b_done.store(true, Ordering::SeqCst);
                    panic!("expected panic: b");
                }
                sleep_ms(30);
                b_done.store(true, Ordering::SeqCst);
            },
        )
    }));
    let payload = result.expect_err("the panic reaches the caller");
    let msg = payload_str(&*payload);
    match side {
        Side::A => {
            assert_eq!(msg, "expected panic: a");
            assert!(
                b_done.load(Ordering::SeqCst),
                "b finished before a's panic was re-raised"
            );
        }
        Side::B => {
            assert_eq!(msg, "expected panic: b");
            assert!(
                a_done.load(Ordering::SeqCst),
                "a finished before b's panic was re-raised"
            );
        }
        Side::Both => {
            assert_eq!(msg, "expected panic: a", "a's panic wins when both panic");
            assert!(b_done.load(Ordering::SeqCst), "b ran although a panicked");
        }
    }
    assert_eq!(
        pool.join(|| 1, || 2),
        (1, 2),
        "pool usable after {side:?} panicked"
    );
}

#[test]
fn join_panic_reaches_caller_after_other_half() {
    quiet_expected_panics();
    for n in [1, 2, 3] {
        let pool = pool_of(n);
        for side in [Side::A, Side::B, Side::Both] {
            join_panic_case(&pool, side);
            // Also from inside the pool (the join runs on a worker directly).
            pool.install(|| join_panic_case(&pool, side));
        }
    }
}

#[test]
fn join_panic_from_global_pool() {
    quiet_expected_panics();
    let other_done = AtomicBool::new(false);
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        brigade::join(
            || -> u8 { panic!("expected panic: global") },
            || {
                sleep_ms(20);
                other_done.store(true, Ordering::SeqCst);
            },
        )
    }))
    .unwrap_err();
    assert_eq!(payload_str(&*err), "expected panic: global");
    assert!(other_done.load(Ordering::SeqCst));
    assert_eq!(brigade::join(|| 1, || 2), (1, 2));
}

/// A panic payload whose `Drop` panics too.
struct DropBomb;

impl Drop for DropBomb {
    fn drop(&mut self) {
        panic!("expected panic: payload drop");
    }
}

#[test]
fn second_panic_payload_that_panics_on_drop() {
    quiet_expected_panics();
    let pool = pool_of(2);
    // join: b's payload is dropped (a's wins); its Drop panic must not escape.
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.join(
            || panic!("expected panic: a wins"),
            || panic::panic_any(DropBomb),
        )
    }))
    .unwrap_err();
    assert_eq!(payload_str(&*err), "expected panic: a wins");
    // scope: only the first payload is kept; later ones are dropped.
    let ran = AtomicUsize::new(0);
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.scope(|s| {
            s.spawn(|_| {
                ran.fetch_add(1, Ordering::SeqCst);
                panic!("expected panic: first task");
            });
            for _ in 0..4 {
                s.spawn(|_| {
                    ran.fetch_add(1, Ordering::SeqCst);
                    sleep_ms(5);
                    panic::panic_any(DropBomb);
                });
            }
        })
    }));
    let err = err.unwrap_err();
    if err.is::<DropBomb>() {
        // A DropBomb task happened to panic first; do not let its payload explode here.
        std::mem::forget(err);
    } else {
        assert_eq!(payload_str(&*err), "expected panic: first task");
    }
    assert_eq!(ran.load(Ordering::SeqCst), 5);
    assert_eq!(pool.join(|| 1, || 2), (1, 2), "pool usable after");
}

// ---------------------------------------------------------------------------------------
// scope
// ---------------------------------------------------------------------------------------

#[test]
fn scope_tasks_borrow_from_the_stack() {
    let pool = pool_of(3);
    let input: Vec<u64> = (0..64).collect();
    let mut output = vec![0u64; 64];
    pool.scope(|s| {
        for (out, x) in output.iter_mut().zip(&input) {
            s.spawn(move |_| *out = x * x);
        }
    });
    let expected: Vec<u64> = input.iter().map(|x| x * x).collect();
    assert_eq!(output, expected);
}

/// The scope's owner may free what a task borrowed as soon as the task reports done, while
/// the task's thread is still returning from it: nothing on that thread may still hold the
/// borrow then. Each round makes another worker run the task (the body waits until it has
/// started), and frees the borrowed vector right after the scope; miri, which checks that
/// no live borrow (a protected function argument included) is freed, tries many schedules.
#[test]
fn scope_frees_borrowed_data_right_after_the_last_task() {
    let pool = pool_of(2);
    let rounds = if cfg!(miri) { 100 } else { 1000 };
    for round in 0..rounds {
        let mut values = vec![0u64; 2];
        let started = AtomicBool::new(false);
        pool.scope(|s| {
            let (first, _) = values.split_at_mut(1);
            let started = &started;
            s.spawn(move |_| {
                started.store(true, Ordering::Release);
                first[0] = round;
            });
            // Stolen by the other worker: this one waits here until it has started.
            while !started.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
        });
        assert_eq!(values[0], round);
        drop(values);
    }
}

#[test]
fn scope_returns_body_value() {
    let pool = pool_of(2);
    let counter = AtomicUsize::new(0);
    let r = pool.scope(|s| {
        s.spawn(|_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        "body value"
    });
    assert_eq!(r, "body value");
    assert_eq!(
        counter.load(Ordering::SeqCst),
        1,
        "the scope waited for its task"
    );
    assert_eq!(brigade::scope(|_| 11), 11, "global scope too");
}

#[test]
fn scope_nested() {
    let pool = pool_of(2);
    let count = AtomicUsize::new(0);
    pool.scope(|s| {
        for _ in 0..4 {
            s.spawn(|_| {
                brigade::scope(|inner| {
                    for _ in 0..5 {
                        inner.spawn(|_| {
                            pool.scope(|innermost| {
                                innermost.spawn(|_| {
                                    count.fetch_add(1, Ordering::SeqCst);
                                });
                            });
                        });
                    }
                });
                // The inner scope is done here: all 5 of its tasks ran.
                count.fetch_add(100, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(count.load(Ordering::SeqCst), 4 * (5 + 100));
}

fn count_tree<'a>(s: &Scope<'a>, depth: u32, nodes: &'a AtomicUsize) {
    nodes.fetch_add(1, Ordering::Relaxed);
    if depth > 0 {
        for _ in 0..2 {
            s.spawn(move |s| count_tree(s, depth - 1, nodes));
        }
    }
}

#[test]
fn scope_spawn_from_tasks() {
    let depth = if cfg!(miri) { 7 } else { 10 };
    for n in [1, 2, 4] {
        let pool = pool_of(n);
        let nodes = AtomicUsize::new(0);
        pool.scope(|s| count_tree(s, depth, &nodes));
        assert_eq!(
            nodes.load(Ordering::SeqCst),
            (2 << depth) - 1,
            "{n} threads"
        );
    }
}

#[test]
fn scope_many_tiny_spawns() {
    // Under miri too, more than a deque holds (1024): the overflow runs inline.
    const N: usize = if cfg!(miri) { 1200 } else { 100_000 };
    // Under miri one thread only: there nobody steals, so the deque surely overflows.
    for n in if cfg!(miri) { 1..=1 } else { 1..=2 } {
        let pool = pool_of(n);
        let counter = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..N {
                s.spawn(|_| {
                    counter.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(counter.load(Ordering::SeqCst), N, "{n} threads");
    }
}

#[test]
fn scope_spawn_from_outside_the_pool() {
    // A scope is Sync: its tasks may be spawned from a plain thread or another pool's worker.
    let pool = pool_of(2);
    let other = pool_of(1);
    let counter = AtomicUsize::new(0);
    pool.scope(|s| {
        thread::scope(|ts| {
            ts.spawn(|| {
                for _ in 0..10 {
                    s.spawn(|_| {
                        assert!(brigade::current_thread_index().is_some());
                        counter.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
        });
        other.install(|| {
            for _ in 0..10 {
                s.spawn(|_| {
                    counter.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
    });
    assert_eq!(counter.load(Ordering::SeqCst), 20);
}

#[test]
fn scope_task_panic_after_all_other_tasks() {
    quiet_expected_panics();
    for n in [1, 2, 4] {
        let pool = pool_of(n);
        let ran = AtomicUsize::new(0);
        let err = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                for i in 0..100 {
                    let ran = &ran;
                    s.spawn(move |_| {
                        if i == 37 {
                            panic!("expected panic: task 37");
                        }
                        if i % 10 == 0 {
                            sleep_ms(2);
                        }
                        ran.fetch_add(1, Ordering::SeqCst);
                    });
                }
            })
        }))
        .unwrap_err();
        assert_eq!(payload_str(&*err), "expected panic: task 37");
        assert_eq!(
            ran.load(Ordering::SeqCst),
            99,
            "{n} threads: every other task ran first"
        );
        assert_eq!(pool.install(|| 3), 3, "pool usable after");
    }
}

#[test]
fn scope_many_task_panics_raise_one() {
    quiet_expected_panics();
    let pool = pool_of(3);
    let ran = AtomicUsize::new(0);
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.scope(|s| {
            for i in 0..50 {
                let ran = &ran;
                s.spawn(move |_| {
                    ran.fetch_add(1, Ordering::SeqCst);
                    if i % 5 == 0 {
                        panic!("expected panic: task {i}");
                    }
                });
            }
        })
    }))
    .unwrap_err();
    assert!(payload_str(&*err).starts_with("expected panic: task "));
    assert_eq!(ran.load(Ordering::SeqCst), 50);
    assert_eq!(pool.join(|| 1, || 2), (1, 2));
}

#[test]
fn scope_body_panic_waits_for_tasks() {
    quiet_expected_panics();
    for n in [1, 2] {
        let pool = pool_of(n);
        let ran = AtomicUsize::new(0);
        let err = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                for _ in 0..8 {
                    s.spawn(|_| {
                        sleep_ms(10);
                        ran.fetch_add(1, Ordering::SeqCst);
                    });
                }
                panic!("expected panic: scope body");
            })
        }))
        .unwrap_err();
        assert_eq!(payload_str(&*err), "expected panic: scope body");
        assert_eq!(
            ran.load(Ordering::SeqCst),
            8,
            "{n} threads: all tasks ran despite the body's panic"
        );
        assert_eq!(pool.install(|| 4), 4);
    }
}

#[test]
fn scope_debug() {
    let pool = pool_of(2);
    let text = pool.scope(|s| format!("{s:?}"));
    assert!(
        text.contains("Scope") && text.contains("num_threads: 2"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// spawn, spawn_with_handle, JoinHandle, TaskPanicked
// ---------------------------------------------------------------------------------------

#[test]
fn spawn_with_handle_returns_value() {
    let pool = pool_of(2);
    let h = pool.spawn_with_handle(|| 6 * 7);
    assert_eq!(h.join().expect("no panic"), 42);
    let h = pool.spawn_with_handle(|| vec![1, 2, 3]);
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !h.is_finished() {
        assert!(std::time::Instant::now() < deadline, "task never finished");
        thread::yield_now();
    }
    assert_eq!(h.join().expect("no panic"), vec![1, 2, 3]);
}

#[test]
fn spawn_with_handle_panic_is_task_panicked() {
    quiet_expected_panics();
    let pool = pool_of(2);
    let err: TaskPanicked = pool
        .spawn_with_handle(|| -> u8 { panic!("expected panic: str") })
        .join()
        .unwrap_err();
    assert_eq!(err.message(), Some("expected panic: str"));
    assert!(err.to_string().contains("expected panic: str"), "{err}");
    assert!(format!("{err:?}").contains("TaskPanicked"), "{err:?}");

    let n = 5;
    let err = pool
        .spawn_with_handle(move || -> u8 { panic!("expected panic: {n}") })
        .join()
        .unwrap_err();
    assert_eq!(
        err.message(),
        Some("expected panic: 5"),
        "String payloads too"
    );

    let err = pool
        .spawn_with_handle(|| -> u8 { panic::panic_any(7u32) })
        .join()
        .unwrap_err();
    assert_eq!(err.message(), None);
    assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&7));

    assert_eq!(
        pool.spawn_with_handle(|| 1)
            .join()
            .expect("pool still works"),
        1
    );
}

#[test]
fn join_handle_join_inside_one_thread_pool() {
    let pool = Arc::new(pool_of(1));

    // Spawned from outside, joined on the only worker.
    let p = Arc::clone(&pool);
    let v = within("join on own worker, outside spawn", move || {
        let h = p.spawn_with_handle(|| "done");
        p.install(move || h.join().expect("no panic"))
    });
    assert_eq!(v, "done");

    // Spawned and joined on the only worker.
    let p = Arc::clone(&pool);
    let v = within("join on own worker, inside spawn", move || {
        p.install(|| {
            let hs: Vec<JoinHandle<usize>> = (0..10)
                .map(|i| p.spawn_with_handle(move || i * 2))
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("no panic"))
                .sum::<usize>()
        })
    });
    assert_eq!(v, 90);

    // The worker is already waiting when the task is queued.
    let p = Arc::clone(&pool);
    let v = within("join on own worker, task queued later", move || {
        let (htx, hrx) = mpsc::channel::<JoinHandle<u32>>();
        let waiter = {
            let p = Arc::clone(&p);
            thread::spawn(move || {
                p.install(move || hrx.recv().expect("handle").join().expect("no panic"))
            })
        };
        sleep_ms(20);
        htx.send(p.spawn_with_handle(|| 99)).expect("waiter alive");
        waiter.join().expect("waiter did not panic")
    });
    assert_eq!(v, 99);
}

#[test]
fn join_handle_join_waits_for_slow_task() {
    let a = Arc::new(pool_of(1));
    let b = pool_of(1);
    // From a plain thread (parks).
    let h = b.spawn_with_handle(|| {
        sleep_ms(50);
        1
    });
    assert_eq!(
        within("plain thread join", move || h.join().expect("no panic")),
        1
    );
    // From a worker of another pool, which goes to sleep meanwhile and must be woken.
    let h = b.spawn_with_handle(|| {
        sleep_ms(100);
        2
    });
    let a2 = Arc::clone(&a);
    assert_eq!(
        within("cross-pool join", move || a2
            .install(move || h.join().expect("no panic"))),
        2
    );
}

/// Spins until `flag` is up or `limit` has passed, running tiny joins meanwhile: a worker
/// publishes its unpublished `join` halves only at such points (or when it waits), so the
/// halves of the joins around this spin can be stolen.
fn spin_joining(flag: &AtomicBool, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    while !flag.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
        brigade::join(|| (), || ());
        std::hint::spin_loop();
    }
}

/// The hang a user-side test found (1 iteration in ~2,000, 4 and 8 threads), made
/// deterministic on 2 threads. Task T runs `join(a, x)` on worker 0; worker 1 steals `x`, which
/// runs `join(c, d)`; worker 0 (waiting for `x`) steals `d`; `x` then waits for `d`, and that
/// wait used to pick up the closure sent in with `install`, which joins T's handle: T waited
/// for `x`, buried on worker 1 under the code that waits for T. A task's pieces now wait only
/// for the task's own work (each task with a handle runs in an isolation region of its own).
#[test]
#[cfg_attr(
    miri,
    ignore = "timed spins; the region logic it relies on is in `isolation`"
)]
fn join_handle_inside_the_pool_with_a_piece_of_the_task_below_does_not_hang() {
    within("handle joined above a piece of its task", || {
        let pool = Arc::new(pool_of(2));
        let x_started = Arc::new(AtomicBool::new(false));
        let d_started = Arc::new(AtomicBool::new(false));
        let j_started = Arc::new(AtomicBool::new(false));
        let (x_s, d_s, j_s) = (x_started.clone(), d_started.clone(), j_started.clone());
        let handle = pool.spawn_with_handle(move || {
            let ((), x) = brigade::join(
                || spin_joining(&x_s, TIMEOUT),
                || {
                    x_s.store(true, Ordering::SeqCst);
                    let ((), ()) = brigade::join(
                        || spin_joining(&d_s, TIMEOUT),
                        || {
                            d_s.store(true, Ordering::SeqCst);
                            // Hold this worker until the joiner has started (it never does
                            // once `x` waits only for T's own work: then go on after a while).
                            spin_joining(&j_s, Duration::from_secs(1));
                        },
                    );
                    7
                },
            );
            x * 6
        });
        let deadline = std::time::Instant::now() + TIMEOUT;
        while !d_started.load(Ordering::SeqCst) {
            assert!(std::time::Instant::now() < deadline, "d never started");
            thread::yield_now();
        }
        pool.install(move || {
            j_started.store(true, Ordering::SeqCst);
            handle.join().expect("no panic")
        })
    });
}

/// A task with a handle runs in a task region of its own, but its `brigade::sync` waits are
/// not confined to it: on a 1-thread pool, the task waiting for a `Latch` that a task sent in
/// from outside sets must run that task itself.
#[test]
fn a_task_with_a_handle_waiting_on_a_latch_runs_the_setter_on_one_thread() {
    within("handle task waits on a latch set by a spawn", || {
        let pool = pool_of(1);
        let latch = Arc::new(brigade::sync::Latch::new());
        let waiting = Arc::new(AtomicBool::new(false));
        let (l, w) = (Arc::clone(&latch), Arc::clone(&waiting));
        let handle = pool.spawn_with_handle(move || {
            w.store(true, Ordering::SeqCst);
            l.wait();
            // Spawned inside the task, and waited for inside it.
            let group = brigade::sync::WaitGroup::new();
            let done = Arc::new(AtomicUsize::new(0));
            for _ in 0..10 {
                let (group, done) = (group.clone(), Arc::clone(&done));
                brigade::spawn(move || {
                    done.fetch_add(1, Ordering::SeqCst);
                    drop(group);
                });
            }
            group.wait();
            done.load(Ordering::SeqCst)
        });
        while !waiting.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        pool.spawn(move || latch.set());
        assert_eq!(handle.join().expect("no panic"), 10);
    });
}

/// Two 1-thread pools, each running a task with a handle that calls into the other pool: the
/// worker of each waits for the other's call and must run the call sent to it meanwhile.
#[test]
fn tasks_with_handles_calling_into_each_others_pools_do_not_hang() {
    within("handle tasks install into each other's pools", || {
        let a = Arc::new(pool_of(1));
        let b = Arc::new(pool_of(1));
        let started = Arc::new(AtomicUsize::new(0));
        let task = |into: &Arc<ThreadPool>, value: u32| {
            let (into, started) = (Arc::clone(into), Arc::clone(&started));
            move || {
                started.fetch_add(1, Ordering::SeqCst);
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while started.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
                    thread::yield_now();
                }
                into.install(move || value)
            }
        };
        let ha = a.spawn_with_handle(task(&b, 1));
        let hb = b.spawn_with_handle(task(&a, 2));
        (ha.join().expect("no panic"), hb.join().expect("no panic"))
    });
}

/// A task with a handle on pool A joins the handle of a task on pool B, which has a plain
/// thread call into A: A's only worker, waiting in the join, must run that call (the liveness
/// fuzzer's first find after tasks with handles got regions of their own).
#[test]
fn a_task_with_a_handle_joining_a_task_of_another_pool_that_calls_back() {
    within("handle of another pool's task that calls back", || {
        let a = Arc::new(pool_of(1));
        let b = Arc::new(pool_of(1));
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let outer = a.spawn_with_handle(move || {
            let inner = b2.spawn_with_handle(move || {
                thread::spawn(move || a2.install(|| 5))
                    .join()
                    .expect("no panic")
            });
            inner.join().expect("no panic") + 1
        });
        outer.join().expect("no panic")
    });
}

/// A task with a handle started inside an `isolate` region: a piece of it that another worker
/// takes (here a scope task) calls into another pool whose only worker waits inside that
/// region. The call must belong to the region, as it does when the task's own worker makes
/// it (the liveness fuzzer's second find: the thief sent it outside every region).
#[test]
#[cfg_attr(
    miri,
    ignore = "a timed spin; the region logic is shared with the tests beside it"
)]
fn a_piece_of_a_task_with_a_handle_keeps_the_isolation_around_the_task() {
    within(
        "piece of an isolated task calls into a waiting pool",
        || {
            let p0 = Arc::new(pool_of(2));
            let p1 = Arc::new(pool_of(1));
            let (a, b) = (Arc::clone(&p0), Arc::clone(&p1));
            p1.install(move || {
                b.isolate(|| {
                    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
                    a.join(
                        move || {
                            let a3 = Arc::clone(&a2);
                            let handle = a2.spawn_with_handle(move || {
                                let started = AtomicBool::new(false);
                                let value = AtomicUsize::new(0);
                                a3.scope(|s| {
                                    s.spawn(|_| {
                                        started.store(true, Ordering::SeqCst);
                                        value.store(b2.install(|| 7), Ordering::SeqCst);
                                    });
                                    // Keep this worker busy, so the other one takes the task.
                                    let deadline =
                                        std::time::Instant::now() + Duration::from_secs(2);
                                    while !started.load(Ordering::SeqCst)
                                        && std::time::Instant::now() < deadline
                                    {
                                        std::hint::spin_loop();
                                    }
                                });
                                value.load(Ordering::SeqCst)
                            });
                            handle.join().expect("no panic")
                        },
                        || (),
                    )
                    .0
                })
            })
        },
    );
}

/// A chain of tasks with handles, each joining the one before, joined inside a 1-thread
/// pool: each join runs the task before right there, so the runs nest. It aborted the process
/// with a stack overflow at 10,000 tasks (5,000 with task regions); every 128 nested runs now
/// move to a fresh stack.
#[test]
fn a_long_chain_of_tasks_joining_the_one_before_inside_the_pool() {
    let n: u64 = if cfg!(miri) { 300 } else { 30_000 };
    let pool = Arc::new(pool_of(1));
    let p = Arc::clone(&pool);
    let got = within("chain of handles", move || {
        p.install(|| {
            let mut prev: Option<JoinHandle<u64>> = None;
            for _ in 0..n {
                let before = prev.take();
                prev = Some(p.spawn_with_handle(move || {
                    before.map_or(0, |h| h.join().expect("no panic")) + 1
                }));
            }
            prev.expect("n > 0").join().expect("no panic")
        })
    });
    assert_eq!(got, n);
}

/// Tasks with handles that start tasks with handles and join them, to any depth and from
/// inside the pool: every value arrives, on 1 to 4 threads.
#[test]
fn recursive_tasks_with_handles_joined_inside_the_pool() {
    fn fib(pool: &Arc<ThreadPool>, n: u64) -> u64 {
        if n < 2 {
            return n;
        }
        let p = Arc::clone(pool);
        let left = pool.spawn_with_handle(move || fib(&p, n - 1));
        let (right, _) = brigade::join(|| fib(pool, n - 2), || ());
        left.join().expect("no panic") + right
    }
    let (n, most) = if cfg!(miri) { (6, 2) } else { (16, 4) };
    for threads in 1..=most {
        let pool = Arc::new(pool_of(threads));
        let p = Arc::clone(&pool);
        let got = within("recursive handles", move || p.install(|| fib(&p, n)));
        assert_eq!(got, if cfg!(miri) { 8 } else { 987 }, "{threads} threads");
    }
}

#[test]
fn join_handle_dropped_routes_panic_to_handler() {
    quiet_expected_panics();
    let (tx, rx) = mpsc::channel::<String>();
    let pool = ThreadPool::builder()
        .num_threads(2)
        .panic_handler(move |p| tx.send(payload_str(&*p)).expect("receiver alive"))
        .build()
        .expect("build");

    // Dropped before the task finished.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let h = pool.spawn_with_handle(move || -> u32 {
        go_rx.recv().expect("go");
        panic!("expected panic: dropped early")
    });
    drop(h);
    go_tx.send(()).expect("task alive");
    assert_eq!(
        rx.recv_timeout(TIMEOUT).as_deref(),
        Ok("expected panic: dropped early")
    );

    // Dropped after the task finished.
    let h = pool.spawn_with_handle(|| -> u32 { panic!("expected panic: dropped late") });
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !h.is_finished() {
        assert!(std::time::Instant::now() < deadline, "task never finished");
        thread::yield_now();
    }
    drop(h);
    assert_eq!(
        rx.recv_timeout(TIMEOUT).as_deref(),
        Ok("expected panic: dropped late")
    );

    // A joined panicking task does not also go to the handler; nor does a dropped handle of
    // a task that did not panic.
    assert!(
        pool.spawn_with_handle(|| -> u32 { panic!("expected panic: joined") })
            .join()
            .is_err()
    );
    drop(pool.spawn_with_handle(|| 5u32));
    pool.shutdown();
    assert_eq!(
        rx.try_iter().collect::<Vec<_>>(),
        Vec::<String>::new(),
        "no extra handler calls"
    );
}

#[test]
fn join_handle_debug() {
    let pool = pool_of(1);
    let h = pool.spawn_with_handle(|| 1);
    let text = format!("{h:?}");
    assert!(
        text.contains("JoinHandle") && text.contains("finished"),
        "{text}"
    );
    assert_eq!(h.join().expect("no panic"), 1);
}

#[test]
fn spawn_free_function() {
    // Outside any pool: the global pool.
    let (tx, rx) = mpsc::channel();
    brigade::spawn(move || {
        tx.send((6 * 7, brigade::current_thread_index().is_some()))
            .expect("receiver")
    });
    assert_eq!(rx.recv_timeout(TIMEOUT), Ok((42, true)));

    // On a worker: that worker's pool.
    let pool = ThreadPool::builder()
        .num_threads(2)
        .thread_name(|i| format!("api-spawn-{i}"))
        .build()
        .expect("build");
    let (tx, rx) = mpsc::channel();
    pool.install(|| {
        brigade::spawn(move || {
            tx.send(thread::current().name().map(str::to_owned))
                .expect("receiver")
        });
    });
    let name = rx
        .recv_timeout(TIMEOUT)
        .expect("the task ran")
        .expect("named thread");
    assert!(name.starts_with("api-spawn-"), "ran on {name}");
}

#[test]
fn spawn_runs_on_the_pool() {
    let pool = Arc::new(pool_of(2));
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(&pool);
    pool.spawn(move || tx.send(p.current_thread_index()).expect("receiver"));
    let index = rx.recv_timeout(TIMEOUT).expect("the task ran");
    assert!(matches!(index, Some(i) if i < 2), "{index:?}");
}

// ---------------------------------------------------------------------------------------
// broadcast
// ---------------------------------------------------------------------------------------

#[test]
fn broadcast_in_worker_order() {
    for n in 1..=4 {
        let pool = pool_of(n);
        let seen = pool.broadcast(|ctx| {
            (
                ctx.index(),
                ctx.num_threads(),
                brigade::current_thread_index(),
            )
        });
        let expected: Vec<_> = (0..n).map(|i| (i, n, Some(i))).collect();
        assert_eq!(seen, expected);
    }
}

#[test]
fn broadcast_runs_once_per_worker() {
    for n in 1..=4 {
        let pool = pool_of(n);
        for _ in 0..if cfg!(miri) { 4 } else { 20 } {
            let runs: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            let ids = pool.broadcast(|ctx| {
                runs[ctx.index()].fetch_add(1, Ordering::SeqCst);
                thread::current().id()
            });
            assert!(
                runs.iter().all(|r| r.load(Ordering::SeqCst) == 1),
                "{n} threads"
            );
            assert_eq!(
                ids.iter().collect::<HashSet<_>>().len(),
                n,
                "distinct threads"
            );
        }
    }
}

#[test]
fn broadcast_from_inside_a_worker() {
    for n in [1, 2, 3] {
        let pool = Arc::new(pool_of(n));
        let other = Arc::new(pool_of(2));
        let (p, o) = (Arc::clone(&pool), Arc::clone(&other));
        let (own, cross) = within("broadcast from a worker", move || {
            let own = p.install(|| p.broadcast(|ctx| ctx.index()));
            let cross = o.install(|| p.broadcast(|ctx| ctx.index()));
            (own, cross)
        });
        let expected: Vec<usize> = (0..n).collect();
        assert_eq!(own, expected);
        assert_eq!(cross, expected);
    }
}

#[test]
fn broadcast_from_several_threads_at_once() {
    let pool = pool_of(3);
    thread::scope(|ts| {
        for _ in 0..4 {
            ts.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(pool.broadcast(|ctx| ctx.index()), vec![0, 1, 2]);
                }
            });
        }
    });
}

#[test]
fn broadcast_nested_in_broadcast() {
    let pool = Arc::new(pool_of(3));
    let p = Arc::clone(&pool);
    let seen = within("nested broadcast", move || {
        p.broadcast(|outer| (outer.index(), p.broadcast(|inner| inner.index())))
    });
    let expected: Vec<_> = (0..3).map(|i| (i, vec![0, 1, 2])).collect();
    assert_eq!(seen, expected);
}

#[test]
fn broadcast_panic_reraised_after_all_ran() {
    quiet_expected_panics();
    let pool = pool_of(3);
    let ran = AtomicUsize::new(0);
    let err = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.broadcast(|ctx| {
            ran.fetch_add(1, Ordering::SeqCst);
            if ctx.index() == 1 {
                panic!("expected panic: broadcast");
            }
        })
    }))
    .unwrap_err();
    assert_eq!(payload_str(&*err), "expected panic: broadcast");
    assert_eq!(ran.load(Ordering::SeqCst), 3, "every worker ran it");
    assert_eq!(pool.broadcast(|ctx| ctx.index()), vec![0, 1, 2]);
}

#[test]
fn broadcast_context_debug() {
    let pool = pool_of(2);
    let texts = pool.broadcast(|ctx| format!("{ctx:?}"));
    assert!(
        texts[1].contains("BroadcastContext") && texts[1].contains("index: 1"),
        "{texts:?}"
    );
}

// ---------------------------------------------------------------------------------------
// current_thread_index / current_num_threads
// ---------------------------------------------------------------------------------------

#[test]
fn current_thread_index_and_num_threads() {
    let a = pool_of(3);
    let b = pool_of(2);
    assert_eq!(brigade::current_thread_index(), None);
    assert_eq!(a.current_thread_index(), None);
    let (free, own, other, count) = a.install(|| {
        (
            brigade::current_thread_index(),
            a.current_thread_index(),
            b.current_thread_index(),
            brigade::current_num_threads(),
        )
    });
    assert!(matches!(free, Some(i) if i < 3));
    assert_eq!(free, own);
    assert_eq!(other, None, "a worker of A is not a worker of B");
    assert_eq!(count, 3);
    assert_eq!(b.install(brigade::current_num_threads), 2);

    // Outside every pool: the global pool's size.
    let global = brigade::current_num_threads();
    assert!(global >= 1);
    assert_eq!(brigade::scope(|_| brigade::current_num_threads()), global);
}

// ---------------------------------------------------------------------------------------
// Drop and shutdown
// ---------------------------------------------------------------------------------------

/// How many tasks `spawn_counted` spawns.
const SPAWNED: usize = if cfg!(miri) { 200 } else { 1000 };

fn spawn_counted(pool: &ThreadPool, counter: &Arc<AtomicUsize>) {
    for i in 0..SPAWNED {
        let counter = Arc::clone(counter);
        pool.spawn(move || {
            if i % (SPAWNED / 4) == 0 {
                sleep_ms(5);
            }
            counter.fetch_add(1, Ordering::SeqCst);
        });
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "under miri a drop waits, as `shutdown` does (see `ThreadPool`'s `Drop`)"
)]
fn drop_returns_at_once_and_spawned_work_still_finishes() {
    // rayon's semantics (rayon-core's `termination_while_things_are_executing`, in our
    // words): a spawned task may wait for what the dropping thread does after the drop.
    // A drop that waited for the work hung here.
    for n in [1, 2] {
        let counter = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&counter);
        let done = within("a task waits for what follows the drop", move || {
            let pool = pool_of(n);
            let (go_tx, go_rx) = mpsc::channel::<u32>();
            let (done_tx, done_rx) = mpsc::channel::<u32>();
            pool.spawn(move || {
                let got = go_rx.recv().expect("sent after the drop");
                // Work spawned after the last handle is gone still runs.
                brigade::spawn(move || done_tx.send(got).expect("receiver alive"));
            });
            spawn_counted(&pool, &c);
            drop(pool);
            go_tx.send(22).expect("the task is alive");
            done_rx.recv_timeout(TIMEOUT)
        });
        assert_eq!(done, Ok(22), "{n} threads");
        let deadline = std::time::Instant::now() + TIMEOUT;
        while counter.load(Ordering::SeqCst) < SPAWNED {
            assert!(
                std::time::Instant::now() < deadline,
                "{n} threads: work lost"
            );
            sleep_ms(1);
        }
        assert_eq!(counter.load(Ordering::SeqCst), SPAWNED, "{n} threads");
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "under miri a drop waits, as `shutdown` does (see `ThreadPool`'s `Drop`)"
)]
fn drop_returns_while_start_and_exit_handlers_wait_for_the_dropping_thread() {
    // rayon-core's `start_callback_called` and `exit_callback_called`, in our words: the
    // handlers meet the thread that built and dropped the pool at a barrier after the drop.
    const N: usize = 4;
    let counts = within("handlers wait for the dropping thread", || {
        let start = Arc::new(Barrier::new(N + 1));
        let started = Arc::new(AtomicUsize::new(0));
        let (b, s) = (Arc::clone(&start), Arc::clone(&started));
        drop(
            ThreadPool::builder()
                .num_threads(N)
                .start_handler(move |_| {
                    s.fetch_add(1, Ordering::SeqCst);
                    b.wait();
                })
                .build()
                .expect("build"),
        );
        start.wait();
        let exit = Arc::new(Barrier::new(N + 1));
        let exited = Arc::new(AtomicUsize::new(0));
        let (b, e) = (Arc::clone(&exit), Arc::clone(&exited));
        drop(
            ThreadPool::builder()
                .num_threads(N)
                .exit_handler(move |_| {
                    e.fetch_add(1, Ordering::SeqCst);
                    b.wait();
                })
                .build()
                .expect("build"),
        );
        exit.wait();
        (
            started.load(Ordering::SeqCst),
            exited.load(Ordering::SeqCst),
        )
    });
    assert_eq!(counts, (N, N));
}

#[test]
fn shutdown_waits_for_spawned_work() {
    let pool = pool_of(2);
    let counter = Arc::new(AtomicUsize::new(0));
    spawn_counted(&pool, &counter);
    pool.shutdown();
    assert_eq!(counter.load(Ordering::SeqCst), SPAWNED);
}

#[test]
fn shutdown_waits_for_work_spawned_by_spawned_work() {
    let pool = pool_of(2);
    let counter = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let counter = Arc::clone(&counter);
        pool.spawn(move || {
            for _ in 0..10 {
                let counter = Arc::clone(&counter);
                brigade::spawn(move || {
                    sleep_ms(1);
                    counter.fetch_add(1, Ordering::SeqCst);
                });
            }
            counter.fetch_add(1, Ordering::SeqCst);
        });
    }
    pool.shutdown();
    assert_eq!(counter.load(Ordering::SeqCst), 110);
}

#[test]
fn drop_last_handle_on_own_worker_does_not_hang() {
    for n in [1, 2] {
        let exited = Arc::new(AtomicUsize::new(0));
        let e = Arc::clone(&exited);
        let pool = Arc::new(
            ThreadPool::builder()
                .num_threads(n)
                .exit_handler(move |_| {
                    e.fetch_add(1, Ordering::SeqCst);
                })
                .build()
                .expect("build"),
        );
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel::<bool>();
        let later = Arc::new(AtomicUsize::new(0));
        let last = Arc::clone(&pool);
        let l = Arc::clone(&later);
        pool.spawn(move || {
            go_rx.recv().expect("go");
            let on_worker = last.current_thread_index().is_some();
            assert_eq!(Arc::strong_count(&last), 1, "this is the last handle");
            // Work queued just before the drop still runs.
            for _ in 0..100 {
                let l = Arc::clone(&l);
                last.spawn(move || {
                    l.fetch_add(1, Ordering::SeqCst);
                });
            }
            drop(last);
            done_tx.send(on_worker).expect("receiver alive");
        });
        drop(pool);
        go_tx.send(()).expect("task alive");
        assert_eq!(
            done_rx.recv_timeout(TIMEOUT),
            Ok(true),
            "{n} threads: the drop returned"
        );
        // The workers still finish and exit on their own.
        let deadline = std::time::Instant::now() + TIMEOUT;
        while exited.load(Ordering::SeqCst) < n {
            assert!(
                std::time::Instant::now() < deadline,
                "{n} threads: workers never exited"
            );
            sleep_ms(1);
        }
        assert_eq!(exited.load(Ordering::SeqCst), n);
        assert_eq!(
            later.load(Ordering::SeqCst),
            100,
            "workers exited only after all queued work"
        );
    }
}

#[test]
fn shutdown_pool_from_another_pools_worker() {
    let a = pool_of(1);
    let b = pool_of(2);
    let counter = Arc::new(AtomicUsize::new(0));
    spawn_counted(&b, &counter);
    let c = Arc::clone(&counter);
    let seen = within("shut B down on A's worker", move || {
        a.install(move || {
            b.shutdown();
            c.load(Ordering::SeqCst)
        })
    });
    assert_eq!(
        seen, SPAWNED,
        "shutting B down on A's worker waited for B's work"
    );
}

#[test]
fn idle_workers_wake_for_new_work() {
    // Each round lets every worker run out of work and go to sleep first, then hands the
    // pool work that only a woken worker can run. A lost wake-up hangs (and times out).
    let pool = Arc::new(pool_of(2));
    let p = Arc::clone(&pool);
    let rounds = within("wake after idle", move || {
        let mut rounds = 0;
        for round in 0..20u64 {
            sleep_ms(3);
            assert_eq!(p.install(|| round), round);
            sleep_ms(3);
            assert_eq!(p.broadcast(|c| c.index()), vec![0, 1]);
            sleep_ms(3);
            let (tx, rx) = mpsc::channel();
            p.spawn(move || tx.send(round).expect("receiver alive"));
            assert_eq!(rx.recv_timeout(TIMEOUT), Ok(round));
            sleep_ms(3);
            assert_eq!(
                p.spawn_with_handle(move || round * 2)
                    .join()
                    .expect("no panic"),
                round * 2
            );
            rounds += 1;
        }
        rounds
    });
    assert_eq!(rounds, 20);
}

#[test]
fn many_outside_threads_at_once() {
    // Plain threads race to inject work into small pools and to join tasks' handles.
    let rounds: u64 = if cfg!(miri) { 15 } else { 100 };
    for n in [1, 2] {
        let pool = Arc::new(pool_of(n));
        let p = Arc::clone(&pool);
        let total = within("outside threads", move || {
            thread::scope(|ts| {
                let hs: Vec<_> = (0..6u64)
                    .map(|t| {
                        let p = &p;
                        ts.spawn(move || {
                            let mut sum = 0;
                            for i in 0..rounds {
                                let (a, b) = p.install(|| brigade::join(|| t, || i));
                                sum += a + b;
                                sum += p.spawn_with_handle(move || i).join().expect("no panic");
                            }
                            sum
                        })
                    })
                    .collect();
                hs.into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .sum::<u64>()
            })
        });
        // Per thread t: sum over i of (t + i) + i.
        let expected: u64 = (0..6u64)
            .map(|t| rounds * t + 2 * (0..rounds).sum::<u64>())
            .sum();
        assert_eq!(total, expected, "{n} threads");
    }
}

// ---------------------------------------------------------------------------------------
// Debug and auto traits
// ---------------------------------------------------------------------------------------

#[test]
fn thread_pool_debug() {
    let pool = pool_of(3);
    let text = format!("{pool:?}");
    assert!(text.starts_with("ThreadPool"), "{text}");
    assert!(text.contains("num_threads: 3"), "{text}");
    assert!(text.len() < 80, "Debug is short, no queue dumps: {text}");
}

#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) -> bool {
        true
    }
    fn send<T: Send>(_: &T) -> bool {
        true
    }
    let pool = pool_of(1);
    let h = pool.spawn_with_handle(|| 1u8);
    assert!(send_sync(&pool));
    assert!(send(&h));
    assert!(send_sync(
        &ThreadPool::builder().stack_size(1).build().unwrap_err()
    ));
    // A pool may be shared by reference across threads.
    let pool = &pool;
    let results: Vec<u8> = thread::scope(|ts| {
        let hs: Vec<_> = (0..3u8)
            .map(|i| ts.spawn(move || pool.install(move || i)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(results, vec![0, 1, 2]);
    assert_eq!(h.join().expect("no panic"), 1);
    // A task's panic converts into the usual boxed error with `?`.
    let err = pool
        .spawn_with_handle(|| -> u8 { panic!("expected panic: boxed") })
        .join()
        .unwrap_err();
    assert!(send_sync(&err));
    let boxed: Box<dyn std::error::Error + Send + Sync> = err.into();
    assert!(
        boxed.to_string().contains("expected panic: boxed"),
        "{boxed}"
    );
}

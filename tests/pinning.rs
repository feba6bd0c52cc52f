//! Core pinning (`CorePinning`): each worker runs on the core it was given, the plan follows
//! the process's affinity mask, and cores outside it are errors a user can act on. Linux
//! only (elsewhere pinning is `BuildError::PinningUnsupported`).
#![cfg(target_os = "linux")]

use brigade::{BuildError, CorePinning, ThreadPool};

/// The CPUs the calling thread may run on.
fn affinity() -> Vec<usize> {
    // SAFETY: a zeroed `cpu_set_t` is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a writable `cpu_set_t` of the size passed; pid 0 is this thread.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity failed");
    (0..8 * std::mem::size_of_val(&set))
        // SAFETY: `set` is initialized and `cpu` is below its capacity in bits.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

fn pinned(threads: usize, pinning: CorePinning) -> ThreadPool {
    ThreadPool::builder()
        .num_threads(threads)
        .core_pinning(pinning)
        .build()
        .expect("cores from the affinity mask are accepted")
}

#[test]
#[cfg_attr(miri, ignore = "calls the OS's affinity functions")]
fn each_worker_runs_on_the_core_it_was_given() {
    let allowed = affinity();
    let pool = pinned(allowed.len() + 1, CorePinning::OnePerCore);
    let masks = pool.broadcast(|_| affinity());
    for (i, mask) in masks.iter().enumerate() {
        let core = pool.worker_core(i).expect("every worker is pinned");
        // One per allowed core, in increasing order, starting over past the last.
        assert_eq!(core, allowed[i % allowed.len()], "worker {i}");
        assert_eq!(mask, &[core], "worker {i} reports its affinity");
    }
    assert_eq!(pool.worker_core(allowed.len() + 1), None);
    // The calling thread is not touched.
    assert_eq!(affinity(), allowed);
}

#[test]
#[cfg_attr(miri, ignore = "calls the OS's affinity functions")]
fn a_list_of_cores_is_used_in_turn() {
    let allowed = affinity();
    let list = vec![*allowed.last().unwrap(), allowed[0]];
    let pool = pinned(3, CorePinning::Cores(list.clone()));
    assert_eq!(
        (0..3).map(|i| pool.worker_core(i)).collect::<Vec<_>>(),
        [Some(list[0]), Some(list[1]), Some(list[0])]
    );
    let masks = pool.broadcast(|_| affinity());
    assert_eq!(masks, [vec![list[0]], vec![list[1]], vec![list[0]]]);
}

#[test]
#[cfg_attr(miri, ignore = "calls the OS's affinity functions")]
fn the_start_handler_already_runs_on_the_core() {
    let core = affinity()[0];
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let pool = ThreadPool::builder()
        .num_threads(2)
        .core_pinning(CorePinning::Cores(vec![core]))
        .start_handler(move |i| tx.lock().unwrap().send((i, affinity())).unwrap())
        .build()
        .unwrap();
    let mut seen: Vec<_> = rx.iter().take(2).collect();
    seen.sort();
    assert_eq!(seen, [(0, vec![core]), (1, vec![core])]);
    drop(pool);
}

#[test]
#[cfg_attr(miri, ignore = "calls the OS's affinity functions")]
fn a_core_outside_the_mask_is_an_error_that_lists_the_mask() {
    let allowed = affinity();
    let outside = (0..).find(|c| !allowed.contains(c)).unwrap();
    let err = ThreadPool::builder()
        .num_threads(2)
        .core_pinning(CorePinning::Cores(vec![allowed[0], outside]))
        .build()
        .unwrap_err();
    match &err {
        BuildError::CoreNotAllowed {
            core,
            allowed: listed,
        } => {
            assert_eq!(*core, outside);
            assert_eq!(listed, &allowed);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&format!("core {outside}")), "{msg}");
    assert!(msg.contains("OnePerCore"), "{msg}");
}

#[test]
fn an_empty_list_is_an_error() {
    let err = ThreadPool::builder()
        .core_pinning(CorePinning::Cores(Vec::new()))
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::NoCoresGiven), "{err:?}");
}

#[test]
fn unpinned_by_default() {
    let pool = ThreadPool::builder().num_threads(2).build().unwrap();
    assert_eq!(pool.worker_core(0), None);
    assert_eq!(pool.worker_core(1), None);
}

/// Found by a helper: on a worker of a pinned pool, building another pool read that
/// worker's one-core mask as the process's: `Cores(every allowed core)` failed with
/// `CoreNotAllowed`, `OnePerCore` put every worker on that core, an unpinned pool's workers
/// inherited it, and the default size shrank to one thread.
#[test]
#[cfg_attr(miri, ignore = "calls the OS's affinity functions")]
fn a_pool_built_on_a_pinned_worker_uses_the_process_mask() {
    let allowed = affinity();
    let outer = pinned(1, CorePinning::Cores(vec![*allowed.last().unwrap()]));
    outer.install(|| {
        assert_eq!(
            affinity(),
            [*allowed.last().unwrap()],
            "the outer worker is pinned"
        );
        let every = pinned(allowed.len(), CorePinning::Cores(allowed.clone()));
        assert_eq!(every.broadcast(|_| affinity()).concat(), allowed);
        let one_per_core = pinned(allowed.len(), CorePinning::OnePerCore);
        assert_eq!(
            (0..allowed.len())
                .map(|i| one_per_core.worker_core(i).unwrap())
                .collect::<Vec<_>>(),
            allowed
        );
        let unpinned = ThreadPool::builder().build().unwrap();
        assert_eq!(unpinned.current_num_threads(), allowed.len());
        for mask in unpinned.broadcast(|_| affinity()) {
            assert_eq!(
                mask, allowed,
                "an unpinned worker may run on every allowed CPU"
            );
        }
    });
}

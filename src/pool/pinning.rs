//! Core pinning: which CPU each worker runs on ([`CorePinning`]).
//!
//! The plan (one core per worker) is made and checked on the thread that builds the pool,
//! against the process's affinity mask (the main thread's, `sched_getaffinity(getpid())`,
//! not the building thread's, which may be a pinned worker); each worker pins itself when it
//! starts, before its start handler runs. A pool built without pinning on a thread that a
//! pool pinned (a job of a pinned pool, say) does not inherit that one core: its workers
//! and its default size follow the process's mask. Linux only (`sched_getaffinity` /
//! `sched_setaffinity`).

use std::cell::Cell;

use crate::error::BuildError;

thread_local! {
    /// Whether a pool pinned this thread (a worker of a pinned pool).
    static PINNED: Cell<bool> = const { Cell::new(false) };
}

/// True if a pool pinned this thread: a pool built here must not inherit its single core.
pub(crate) fn pinned_here() -> bool {
    PINNED.with(Cell::get)
}

/// The default number of workers: one per logical CPU this process may use. On a thread a
/// pool pinned to one core, the process's mask, not that core.
pub(crate) fn default_parallelism() -> usize {
    if pinned_here()
        && let Ok(cpus) = allowed_cpus()
    {
        return cpus.len();
    }
    num_cpus::get().max(1)
}

/// The mask the workers of an unpinned pool start with: `None` to inherit the building
/// thread's, or, when a pool pinned the building thread, the process's.
pub(crate) fn unpinned_mask() -> Option<Box<[usize]>> {
    if pinned_here() {
        allowed_cpus().ok().map(Vec::into_boxed_slice)
    } else {
        None
    }
}

/// Whether and where a pool's workers are pinned to CPU cores; set with
/// [`ThreadPoolBuilder::core_pinning`](crate::ThreadPoolBuilder::core_pinning).
///
/// Cores are numbered as the operating system numbers them (Linux: `0..` as in
/// `/proc/cpuinfo` and `taskset`), and only those in the process's affinity mask (its main
/// thread's, as `taskset -p` shows it) may be used, also when the pool is built on a worker
/// of a pinned pool.
/// Pinning suits a machine the pool has to itself; combine it with
/// [`Victims::NearestFirst`](crate::Victims::NearestFirst), which steals from neighbouring
/// indices first, so that stolen work stays on nearby cores. On a shared or oversubscribed
/// machine, leave workers unpinned: the OS then moves a worker off a busy core.
///
/// # Examples
///
/// ```
/// use brigade::{CorePinning, StealPolicy, Victims};
///
/// let pool = brigade::ThreadPool::builder()
///     .num_threads(2)
///     .core_pinning(CorePinning::OnePerCore)
///     .steal_policy(StealPolicy::new().victims(Victims::NearestFirst))
///     .build();
/// # #[cfg(target_os = "linux")]
/// # {
/// let pool = pool?;
/// // Worker 0 is on the first allowed core, worker 1 on the second (or the first again,
/// // on a machine with one core).
/// assert!(pool.worker_core(0).is_some());
/// # }
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorePinning {
    /// No pinning (the default): the OS places the workers.
    #[default]
    None,
    /// Worker `i` on the `i`-th core of the process's affinity mask, in increasing order,
    /// starting over from the first when there are more workers than cores.
    OnePerCore,
    /// Worker `i` on core `cores[i % cores.len()]`. Every core must be in the process's
    /// affinity mask ([`BuildError::CoreNotAllowed`] otherwise), and the list must not be
    /// empty ([`BuildError::NoCoresGiven`]).
    Cores(Vec<usize>),
}

/// The core of each of `n` workers, or `None` for no pinning.
pub(crate) fn plan(pinning: &CorePinning, n: usize) -> Result<Option<Box<[usize]>>, BuildError> {
    let list = match pinning {
        CorePinning::None => return Ok(None),
        CorePinning::Cores(cores) if cores.is_empty() => return Err(BuildError::NoCoresGiven),
        CorePinning::OnePerCore => allowed_cpus()?,
        CorePinning::Cores(cores) => {
            let allowed = allowed_cpus()?;
            if let Some(&core) = cores.iter().find(|c| !allowed.contains(c)) {
                return Err(BuildError::CoreNotAllowed { core, allowed });
            }
            cores.clone()
        }
    };
    Ok(Some((0..n).map(|i| list[i % list.len()]).collect()))
}

/// The CPUs this process may run on, in increasing order (never empty).
#[cfg(target_os = "linux")]
pub(crate) fn allowed_cpus() -> Result<Vec<usize>, BuildError> {
    // SAFETY: `cpu_set_t` is plain data; all zeros is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `getpid` cannot fail.
    let pid = unsafe { libc::getpid() };
    // SAFETY: `set` is a valid, writable `cpu_set_t` of the size passed; `pid` is the main
    // thread, whose mask stands for the process's (a brigade pool never pins it).
    let rc = unsafe { libc::sched_getaffinity(pid, std::mem::size_of_val(&set), &mut set) };
    if rc != 0 {
        return Err(BuildError::AffinityQuery {
            source: std::io::Error::last_os_error(),
        });
    }
    let max = 8 * std::mem::size_of_val(&set);
    // SAFETY: `set` is initialized and `cpu < max`, the set's capacity in bits.
    let cpus: Vec<usize> = (0..max)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect();
    if cpus.is_empty() {
        return Err(BuildError::AffinityQuery {
            source: std::io::Error::other("the affinity mask is empty"),
        });
    }
    Ok(cpus)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn allowed_cpus() -> Result<Vec<usize>, BuildError> {
    Err(BuildError::PinningUnsupported)
}

/// Pins the calling thread to `core`; false if the OS refused.
pub(crate) fn pin_current_thread(core: usize) -> bool {
    let pinned = set_current_mask(&[core]);
    if pinned {
        PINNED.with(|p| p.set(true));
    }
    pinned
}

/// Lets the calling thread run on `cpus` (taken from the affinity mask); false if the OS
/// refused.
#[cfg(target_os = "linux")]
pub(crate) fn set_current_mask(cpus: &[usize]) -> bool {
    // SAFETY: as in `allowed_cpus`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        // SAFETY: `cpu` was taken from the affinity mask, so it is below the set's capacity.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 is this thread.
    unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) == 0 }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn set_current_mask(_cpus: &[usize]) -> bool {
    false
}

//! How many CPUs this rank may use: the size of its pool.
//!
//! `mpirun` may bind each rank to a set of cores (OpenMPI binds to a core when it starts two
//! ranks or fewer, and to a socket above that, unless told `--bind-to none`). Threads inherit
//! the affinity mask of the thread that creates them, so a rank bound to one core that
//! started one worker per CPU of the machine would run them all on that core. The pool is
//! therefore sized from the mask, read after `MPI_Init` (where OpenMPI may apply the
//! binding).
//!
//! `std::thread::available_parallelism` reads the same mask on Linux (`sched_getaffinity`)
//! and also applies a cgroup CPU quota, so the count is the smaller of the two: the mask
//! (read here directly) and `available_parallelism`.

use std::io;
use std::num::NonZeroUsize;

/// The CPUs this thread may run on and, below that, a cgroup quota: at least 1.
pub(crate) fn usable_cpus() -> io::Result<NonZeroUsize> {
    let mask = mask_cpus()?;
    Ok(match std::thread::available_parallelism() {
        Ok(n) => mask.min(n),
        Err(_) => mask,
    })
}

/// The number of CPUs in this thread's affinity mask.
#[cfg(target_os = "linux")]
pub(crate) fn mask_cpus() -> io::Result<NonZeroUsize> {
    // SAFETY: `cpu_set_t` is a plain bit array, for which all zeroes is a valid (empty) set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live, writable `cpu_set_t` and the size passed is its size, so the
    // kernel writes only inside it; pid 0 is the calling thread.
    let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        // A mask wider than `cpu_set_t` (more than 1024 CPUs): fall back to std, which
        // sizes its buffer dynamically.
        if err.raw_os_error() == Some(libc::EINVAL) {
            return std::thread::available_parallelism();
        }
        return Err(err);
    }
    // SAFETY: `set` was filled in by the successful call above.
    let count = unsafe { libc::CPU_COUNT(&set) };
    let count = usize::try_from(count).unwrap_or(1);
    Ok(NonZeroUsize::new(count).unwrap_or(NonZeroUsize::MIN))
}

/// Elsewhere, what std reports.
#[cfg(not(target_os = "linux"))]
pub(crate) fn mask_cpus() -> io::Result<NonZeroUsize> {
    std::thread::available_parallelism()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_one_and_at_most_the_machine() {
        let n = usable_cpus().unwrap().get();
        assert!(n >= 1);
        assert!(n <= mask_cpus().unwrap().get());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_pinned_to_one_cpu_counts_one() {
        std::thread::spawn(|| {
            // SAFETY: as in `mask_cpus`; all zeroes is the empty set.
            let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            // SAFETY: `set` is a live `cpu_set_t` of the size passed; pid 0 is this thread.
            let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
            assert_eq!(rc, 0);
            let first = (0..libc::CPU_SETSIZE as usize)
                // SAFETY: `set` is initialized and `cpu` is below CPU_SETSIZE.
                .find(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
                .unwrap();
            // SAFETY: all zeroes is the empty set.
            let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            // SAFETY: `one` is initialized and `first` is below CPU_SETSIZE.
            unsafe { libc::CPU_SET(first, &mut one) };
            // SAFETY: `one` is a live `cpu_set_t` of the size passed; pid 0 is this thread,
            // which only this test uses.
            let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &one) };
            assert_eq!(rc, 0);
            assert_eq!(mask_cpus().unwrap().get(), 1);
            assert_eq!(usable_cpus().unwrap().get(), 1);
        })
        .join()
        .unwrap();
    }
}

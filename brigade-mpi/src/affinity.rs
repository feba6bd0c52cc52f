//! How many threads this rank's pool gets: its share of the CPUs it may use.
//!
//! `mpirun` may bind each rank to some CPUs (OpenMPI binds to a core when it starts two ranks
//! or fewer, to a socket above that, and not at all when oversubscribed or told
//! `--bind-to none`). Threads inherit the affinity mask of the thread that creates them, so
//! the pool is sized from the mask, read after `MPI_Init` (where the binding is in force).
//!
//! The mask alone is not enough: 4 unbound ranks on one host each see every CPU of the host,
//! and 2 ranks bound to the same socket each see the whole socket. So the ranks of one host
//! (`MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)`) exchange their masks, and each CPU counts
//! `1 / n` toward each of the `n` ranks whose mask holds it. A rank's share is the sum over
//! its CPUs; the shares are rounded to whole threads so that their total is the total of
//! the shares, rounded (largest remainders first, then lower local rank), and every rank
//! gets at least one. Ranks bound to disjoint cores get one thread per core they own; 4
//! unbound ranks on 8 CPUs get 2 each.
//!
//! The mask is read with `sched_getaffinity` (via `libc`), as a bit set.
//! `std::thread::available_parallelism` reads the same mask on Linux, but as a count, and
//! also applies a cgroup CPU quota: the share is capped by it.

use std::io;

/// Words of a CPU mask: CPU `i` is bit `i % 64` of word `i / 64`; 1024 CPUs, as
/// `cpu_set_t`.
pub(crate) const MASK_WORDS: usize = 16;

/// A CPU mask as bits.
pub(crate) type Mask = [u64; MASK_WORDS];

/// The affinity mask of the calling thread.
#[cfg(target_os = "linux")]
pub(crate) fn current_mask() -> io::Result<Mask> {
    // SAFETY: `cpu_set_t` is a plain bit array, for which all zeroes is a valid (empty) set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live, writable `cpu_set_t` and the size passed is its size, so the
    // kernel writes only inside it; pid 0 is the calling thread.
    let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        // A machine with more CPUs than `cpu_set_t` holds: count them with std, and take
        // them as the first ones.
        if err.raw_os_error() == Some(libc::EINVAL) {
            let n = std::thread::available_parallelism()?.get();
            return Ok(first_cpus(n));
        }
        return Err(err);
    }
    let mut mask = [0u64; MASK_WORDS];
    for cpu in 0..MASK_WORDS * 64 {
        // SAFETY: `set` was filled in by the successful call above, and `cpu` is below
        // CPU_SETSIZE (1024).
        if unsafe { libc::CPU_ISSET(cpu, &set) } {
            mask[cpu / 64] |= 1 << (cpu % 64);
        }
    }
    Ok(mask)
}

/// Elsewhere: as many CPUs as std reports.
#[cfg(not(target_os = "linux"))]
pub(crate) fn current_mask() -> io::Result<Mask> {
    Ok(first_cpus(std::thread::available_parallelism()?.get()))
}

/// A mask of CPUs `0..n` (at most 1024).
fn first_cpus(n: usize) -> Mask {
    let mut mask = [0u64; MASK_WORDS];
    for cpu in 0..n.min(MASK_WORDS * 64) {
        mask[cpu / 64] |= 1 << (cpu % 64);
    }
    mask
}

fn holds(mask: &Mask, cpu: usize) -> bool {
    mask[cpu / 64] & (1 << (cpu % 64)) != 0
}

/// The threads for local rank `me`, given the masks of all ranks on the host (in local rank
/// order): see the module's doc. At least 1.
pub(crate) fn fair_share(me: usize, masks: &[Mask]) -> usize {
    let shares: Vec<f64> = masks
        .iter()
        .map(|mask| {
            (0..MASK_WORDS * 64)
                .filter(|&cpu| holds(mask, cpu))
                .map(|cpu| 1.0 / masks.iter().filter(|m| holds(m, cpu)).count() as f64)
                .sum()
        })
        .collect();
    let total = shares.iter().sum::<f64>().round() as usize;
    let mut threads: Vec<usize> = shares.iter().map(|s| s.floor() as usize).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    // Largest remainder first, then lower local rank; the same order on every rank.
    order.sort_by(|&a, &b| {
        let (ra, rb) = (shares[a] - shares[a].floor(), shares[b] - shares[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let handed_out: usize = threads.iter().sum();
    for &r in order.iter().take(total.saturating_sub(handed_out)) {
        threads[r] += 1;
    }
    threads[me].max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpus(list: &[usize]) -> Mask {
        let mut mask = [0u64; MASK_WORDS];
        for &cpu in list {
            mask[cpu / 64] |= 1 << (cpu % 64);
        }
        mask
    }

    fn shares(masks: &[Mask]) -> Vec<usize> {
        (0..masks.len()).map(|r| fair_share(r, masks)).collect()
    }

    #[test]
    fn one_rank_gets_its_whole_mask() {
        assert_eq!(shares(&[first_cpus(8)]), [8]);
        assert_eq!(shares(&[cpus(&[3, 70, 1000])]), [3]);
    }

    #[test]
    fn unbound_ranks_split_the_host() {
        assert_eq!(shares(&[first_cpus(8); 4]), [2, 2, 2, 2]);
        assert_eq!(shares(&[first_cpus(8); 3]), [3, 3, 2]);
        assert_eq!(shares(&[first_cpus(2); 4]), [1, 1, 1, 1]);
    }

    #[test]
    fn ranks_bound_to_cores_keep_them() {
        assert_eq!(
            shares(&[cpus(&[0, 1]), cpus(&[2, 3]), cpus(&[4])]),
            [2, 2, 1]
        );
    }

    #[test]
    fn ranks_bound_to_the_same_socket_share_it() {
        let socket0 = cpus(&[0, 1, 2, 3]);
        let socket1 = cpus(&[4, 5, 6, 7]);
        assert_eq!(shares(&[socket0, socket0, socket1, socket1]), [2, 2, 2, 2]);
    }

    #[test]
    fn overlapping_masks_split_what_they_share() {
        // CPU 1 is shared: 1.5 threads each, rounded to 3 in total.
        assert_eq!(shares(&[cpus(&[0, 1]), cpus(&[1, 2])]), [2, 1]);
    }

    #[test]
    fn the_current_mask_is_not_empty() {
        let mask = current_mask().unwrap();
        assert!(fair_share(0, &[mask]) >= 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_pinned_to_one_cpu_has_a_mask_of_one() {
        std::thread::spawn(|| {
            let mask = current_mask().unwrap();
            let first = (0..MASK_WORDS * 64).find(|&c| holds(&mask, c)).unwrap();
            // SAFETY: all zeroes is the empty set.
            let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            // SAFETY: `one` is initialized and `first` is below CPU_SETSIZE.
            unsafe { libc::CPU_SET(first, &mut one) };
            // SAFETY: `one` is a live `cpu_set_t` of the size passed; pid 0 is this thread,
            // which only this test uses.
            let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &one) };
            assert_eq!(rc, 0);
            assert_eq!(current_mask().unwrap(), cpus(&[first]));
            // std reads the same mask.
            assert_eq!(std::thread::available_parallelism().unwrap().get(), 1);
        })
        .join()
        .unwrap();
    }
}

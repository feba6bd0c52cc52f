//! The clock that times an adaptive loop's blocks: the CPU's time-stamp counter where it
//! ticks at a constant rate, else `std::time::Instant`.
//!
//! A block's length is set by timing it (`adaptive.rs`), so a loop of a few items reads
//! the clock two or three times, and those reads were a third of such a loop's cost:
//! `Instant::now` is a `clock_gettime` call, about 20 ns here, where reading the counter
//! (`rdtsc`) takes about 9. The counter is used only on x86-64 processors that say it is
//! *invariant* (CPUID leaf `0x8000_0007`, EDX bit 8: the same rate in every power state,
//! and the same count on every core, so a thread that moves between cores mid-block still
//! times it right). Its rate is measured once per process against `Instant`, at the first
//! read, over three windows of 20 µs (the median: one window stretched by preemption does
//! not count); the block rule needs the time within some 10%, and gets it within about 1%.
//! Elsewhere (other processors, miri, loom) a stamp is an `Instant`.

use std::time::Duration;

/// A point in time, for [`since`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp(Inner);

/// Reads the clock.
#[inline]
pub(crate) fn now() -> Stamp {
    Stamp(Inner::now())
}

/// The time from `earlier` to `later` (zero if the clock seems to have gone back).
#[inline]
pub(crate) fn between(earlier: Stamp, later: Stamp) -> Duration {
    later.0.since(earlier.0)
}

#[cfg(all(target_arch = "x86_64", not(miri), not(loom)))]
use tsc::Inner;

#[cfg(not(all(target_arch = "x86_64", not(miri), not(loom))))]
use std_clock::Inner;

#[cfg(all(target_arch = "x86_64", not(miri), not(loom)))]
mod tsc {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// A counter value, or an `Instant` where the counter is not fit.
    #[derive(Clone, Copy, Debug)]
    pub(super) enum Inner {
        Ticks(u64),
        Std(Instant),
    }

    /// Nanoseconds per tick of the counter, or `None` if it is not invariant.
    static NS_PER_TICK: OnceLock<Option<f64>> = OnceLock::new();

    impl Inner {
        #[inline]
        pub(super) fn now() -> Inner {
            match NS_PER_TICK.get_or_init(calibrate) {
                Some(_) => Inner::Ticks(ticks()),
                None => Inner::Std(Instant::now()),
            }
        }

        #[inline]
        pub(super) fn since(self, earlier: Inner) -> Duration {
            match (earlier, self) {
                (Inner::Ticks(a), Inner::Ticks(b)) => {
                    // Set before the first `Ticks` was made (`now`).
                    let ns_per_tick = NS_PER_TICK.get().copied().flatten().unwrap_or(0.0);
                    Duration::from_nanos((b.saturating_sub(a) as f64 * ns_per_tick) as u64)
                }
                (Inner::Std(a), Inner::Std(b)) => b.saturating_duration_since(a),
                // The mode is chosen once, before the first stamp: never mixed.
                _ => Duration::ZERO,
            }
        }
    }

    #[inline]
    fn ticks() -> u64 {
        // SAFETY: `rdtsc` exists on every x86-64 processor and reads no memory.
        unsafe { std::arch::x86_64::_rdtsc() }
    }

    /// Whether the counter is invariant, and if so its rate against `Instant`.
    #[cold]
    fn calibrate() -> Option<f64> {
        // Leaf 0x8000_0000 says which extended leaves exist; 0x8000_0007 is read only if
        // it does.
        let max = std::arch::x86_64::__cpuid(0x8000_0000).eax;
        let invariant =
            max >= 0x8000_0007 && std::arch::x86_64::__cpuid(0x8000_0007).edx & (1 << 8) != 0;
        if !invariant {
            return None;
        }
        let mut rates: Vec<f64> = (0..3)
            .map(|_| {
                let (t0, c0) = (Instant::now(), ticks());
                while t0.elapsed() < Duration::from_micros(20) {
                    std::hint::spin_loop();
                }
                let (t1, c1) = (Instant::now(), ticks());
                (t1 - t0).as_nanos() as f64 / c1.wrapping_sub(c0).max(1) as f64
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        let ns_per_tick = rates[1];
        // A counter that runs at under 10 MHz or over 100 GHz is no clock to trust.
        (0.01..=100.0).contains(&ns_per_tick).then_some(ns_per_tick)
    }
}

#[cfg(not(all(target_arch = "x86_64", not(miri), not(loom))))]
mod std_clock {
    use std::time::{Duration, Instant};

    #[derive(Clone, Copy, Debug)]
    pub(super) struct Inner(Instant);

    impl Inner {
        #[inline]
        pub(super) fn now() -> Inner {
            Inner(Instant::now())
        }

        #[inline]
        pub(super) fn since(self, earlier: Inner) -> Duration {
            self.0.saturating_duration_since(earlier.0)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    #[cfg_attr(miri, ignore = "sleeps 20 ms, up to five times")]
    fn the_clock_agrees_with_instant() {
        // Over 20 ms, within 10% (the block rule's tolerance), on a machine that may be
        // preempted: the best of a few tries.
        let ok = (0..5).any(|_| {
            let (s0, i0) = (now(), Instant::now());
            std::thread::sleep(Duration::from_millis(20));
            let (s1, i1) = (now(), Instant::now());
            let ours = between(s0, s1).as_secs_f64();
            let std = (i1 - i0).as_secs_f64();
            (ours / std - 1.0).abs() < 0.1
        });
        assert!(ok);
    }

    #[test]
    fn time_never_runs_backwards() {
        let a = now();
        let b = now();
        // `b` is no earlier than `a`: from `b` back to `a` is nothing (or a few ticks of
        // skew between two cores, if the thread moved), never a wrapped-around eternity.
        assert!(between(b, a) < Duration::from_micros(1));
        assert!(between(a, b) < Duration::from_secs(1));
    }
}

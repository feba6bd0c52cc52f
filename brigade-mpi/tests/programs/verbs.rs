//! Every distributed verb, with both distributions and several in-rank schedules, checked
//! against the serial result on every rank; launched by `tests/mpirun.rs` under `mpirun`.
//!
//! ```text
//! verbs                              check every verb; rank 0 prints "verbs: all match"
//! verbs --slow-rank R --slow-factor F   also: rank R runs F times slower; compare Static
//!                                    with Dynamic and print the chunks each rank took
//! verbs --threads                    print the pool size of every rank, and exit
//! ```
//!
//! A mismatch panics, which ends the job (`MPI_Abort`) with the message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use brigade_mpi::{Cluster, Distribution, RankStats, Schedule};

/// Microseconds the slow rank (`--slow-rank`) sleeps per item in the distributed calls.
static SLOW_MICROS: AtomicU64 = AtomicU64::new(0);

/// An item of a distributed call: [`work`], slowed down on the slow rank.
fn item(i: u64) -> u64 {
    let micros = SLOW_MICROS.load(Ordering::Relaxed);
    if micros > 0 {
        thread::sleep(Duration::from_micros(micros));
    }
    work(i)
}

/// Integer work that depends on `i`, with a cost that grows with `i % 64`.
fn work(i: u64) -> u64 {
    (0..i % 64).fold(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), |h, k| {
        (h ^ k).rotate_left(7).wrapping_mul(31)
    })
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .map(|i| args.get(i + 1).cloned().unwrap_or_default())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = Cluster::init()?;
    let rank = cluster.rank();

    if arg("--user-messages").is_some() {
        // A message of the user's own, pending on the world communicator while a Dynamic
        // call runs, must be neither taken for one of the library's nor lose to it.
        use brigade_mpi::mpi::point_to_point::{Destination, Source};
        use brigade_mpi::mpi::topology::Communicator;
        use brigade_mpi::mpi::traits::CommunicatorCollectives;
        let world = cluster.world();
        if rank == 0 {
            world.process_at_rank(1).send_with_tag(&[0u64, 50][..], 1);
        }
        let n = 200u64;
        let sum = cluster.map_reduce(
            0..n,
            Distribution::Dynamic { chunk: 1 },
            Schedule::default(),
            || 0u64,
            |i| i,
            |a, b| a + b,
        )?;
        let want = n * (n - 1) / 2;
        if rank == 1 {
            let (got, _) = world.process_at_rank(0).receive_vec_with_tag::<u64>(1);
            assert_eq!(got, vec![0, 50], "the user's message arrives intact");
        }
        assert_eq!(
            sum, want,
            "rank {rank}: a user's message changed the result"
        );
        cluster.world().barrier();
        if rank == 0 {
            println!("verbs: user messages untouched");
        }
        return Ok(());
    }

    if arg("--threads").is_some() {
        let threads = cluster.gather_ranks(cluster.num_threads() as u64)?;
        if let Some(threads) = threads {
            println!("threads per rank: {threads:?}");
        }
        return Ok(());
    }

    let dists = [
        Distribution::Static,
        Distribution::Dynamic { chunk: 1 },
        Distribution::Dynamic { chunk: 37 },
    ];
    let schedules = [
        Schedule::default(),
        Schedule::Static,
        Schedule::Dynamic { chunk: 5 },
    ];
    let n = 3000u64;
    let serial_sum = (0..n).map(work).fold(0u64, u64::wrapping_add);
    let serial_items: Vec<u64> = (0..n).map(work).collect();
    // Non-commutative: the order of the pieces matters.
    let serial_text: String = (0..200u64)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let slow: Option<usize> = arg("--slow-rank").map(|r| r.parse()).transpose()?;
    let factor: u32 = arg("--slow-factor").unwrap_or_else(|| "5".into()).parse()?;
    if slow == Some(rank) {
        SLOW_MICROS.store(20 * u64::from(factor), Ordering::Relaxed);
    }

    for dist in dists {
        for schedule in schedules {
            // for_each: the items each rank ran add up to the range, once each.
            let sum = AtomicU64::new(0);
            let count = AtomicU64::new(0);
            cluster.for_each(0..n, dist, schedule, |i| {
                sum.fetch_add(item(i), Ordering::Relaxed);
                count.fetch_add(1, Ordering::Relaxed);
            })?;
            let stats = cluster.last_stats();
            assert_eq!(count.load(Ordering::Relaxed), stats.items);
            let local = (sum.into_inner(), count.into_inner());
            if let Some(all) = cluster.gather_ranks(local)? {
                let total = all.iter().fold(0u64, |a, (s, _)| a.wrapping_add(*s));
                let items: u64 = all.iter().map(|(_, c)| c).sum();
                assert_eq!(
                    (total, items),
                    (serial_sum, n),
                    "for_each {dist} {schedule:?}"
                );
            }

            // map_reduce: the serial result, on every rank.
            let s = cluster.map_reduce(0..n, dist, schedule, || 0u64, item, u64::wrapping_add)?;
            assert_eq!(
                s, serial_sum,
                "map_reduce sum {dist} {schedule:?} on rank {rank}"
            );
            let text = cluster.map_reduce(
                0..200,
                dist,
                schedule,
                String::new,
                |i| char::from(b'a' + (i % 26) as u8).to_string(),
                |a, b| a + &b,
            )?;
            assert_eq!(
                text, serial_text,
                "map_reduce text {dist} {schedule:?} on rank {rank}"
            );

            // gather: the serial items in index order on rank 0, nothing elsewhere.
            let items = cluster.gather(0..n, dist, schedule, item)?;
            match items {
                Some(items) => {
                    assert_eq!(rank, 0);
                    assert!(items == serial_items, "gather {dist} {schedule:?}");
                }
                None => assert_ne!(rank, 0),
            }
            let pairs = cluster.gather(10..20, dist, schedule, |i| (i, vec![i; i as usize % 3]))?;
            if let Some(pairs) = pairs {
                let serial: Vec<_> = (10..20u64).map(|i| (i, vec![i; i as usize % 3])).collect();
                assert_eq!(pairs, serial);
            }
        }
        if rank == 0 {
            println!("verbs: {dist} matches the serial results");
        }
    }
    if rank == 0 {
        println!("verbs: all match");
    }

    if let Some(slow) = slow {
        slow_rank(&cluster, slow, factor)?;
    }
    Ok(())
}

/// Items that sleep 1 ms each (so that ranks oversubscribed on few cores do not slow each
/// other down), and `factor` ms on rank `slow`.
fn slow_rank(
    cluster: &Cluster,
    slow: usize,
    factor: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let item = Duration::from_millis(1);
    let mine = if cluster.rank() == slow {
        item * factor
    } else {
        item
    };
    let n = 600;
    let mut times = Vec::new();
    for dist in [Distribution::Static, Distribution::Dynamic { chunk: 4 }] {
        cluster.world_barrier();
        let started = Instant::now();
        let sum = cluster.map_reduce(
            0..n,
            dist,
            Schedule::Dynamic { chunk: 1 },
            || 0u64,
            |i| {
                thread::sleep(mine);
                work(i)
            },
            u64::wrapping_add,
        )?;
        let took = started.elapsed();
        assert_eq!(sum, (0..n).map(work).fold(0, u64::wrapping_add));
        let stats = cluster.gather_ranks(cluster.last_stats())?;
        if let Some(stats) = stats {
            let chunks: Vec<u64> = stats.iter().map(|s: &RankStats| s.chunks).collect();
            let items: Vec<u64> = stats.iter().map(|s| s.items).collect();
            println!(
                "slow rank {slow} (x{factor}), {dist}: {:.0} ms, chunks per rank {chunks:?}, \
                 items per rank {items:?}",
                took.as_secs_f64() * 1e3
            );
            times.push(took);
            if let Distribution::Dynamic { .. } = dist {
                let healthy_min = (0..stats.len())
                    .filter(|&r| r != slow)
                    .map(|r| items[r])
                    .min()
                    .unwrap_or(0);
                assert!(
                    stats.len() == 1 || items[slow] * 2 < healthy_min,
                    "the slow rank took {} items, a healthy one as few as {healthy_min}",
                    items[slow]
                );
            }
        }
    }
    if cluster.rank() == 0 && cluster.size() > 1 {
        assert!(
            times[1] < times[0],
            "Dynamic ({:?}) should beat Static ({:?}) with a slow rank",
            times[1],
            times[0]
        );
        println!("slow rank: Dynamic balanced the load");
    }
    Ok(())
}

trait Barrier {
    fn world_barrier(&self);
}

impl Barrier for Cluster {
    fn world_barrier(&self) {
        use brigade_mpi::mpi::traits::CommunicatorCollectives;
        self.world().barrier();
    }
}

//! Steal policies: which other workers an idle worker visits, in what order, and how much it
//! takes from the first one that has work.
//!
//! A worker steals only when its own deque, its inbox and the injector are empty
//! (`pool/worker.rs`). Under every policy it visits victims until one yields a job, raises the
//! heartbeat flag of each victim it finds empty (so that the victim publishes a pending `join`
//! half at its next `join`), and searches another round only if a steal lost a race. The
//! policy is plain data in the registry; the (cold) steal function matches on it, and each
//! victim order below is a small iterator, so there is no dynamic dispatch.
//!
//! # Victim order: [`Victims`]
//!
//! - **`RoundRobin`** (default): every other worker once per round, from a random start. A
//!   single busy worker is found in one round, and random starts spread thieves over victims.
//!   The right choice unless measurements say otherwise.
//! - **`Random`**: `n - 1` independently drawn victims per round. Round-robin thieves that
//!   start near each other walk the same cyclic order, one step apart, and meet on the same
//!   victims' `top`; random thieves do not follow each other. For many workers hunting for
//!   work held by a few. A round may miss a victim; a later round (or the check before
//!   sleeping, which looks at every deque) finds it.
//! - **`NearestFirst`**: by index distance, `me + 1`, `me - 1`, `me + 2`, `me - 2`, ... (no
//!   wrap-around). For threads pinned to cores in index order
//!   ([`CorePinning::OnePerCore`](crate::CorePinning::OnePerCore)), where neighbours share a
//!   cache: stolen work, and the data it touches, stays close. Without pinning it is only a
//!   fixed order in which workers near a busy one get its work first.
//!
//! # Amount: [`StealAmount`]
//!
//! - **`One`** (default): the victim's oldest job. In divide and conquer (`join`, recursive
//!   scopes) the oldest job is the largest piece of work, and one keeps a thief busy.
//! - **`Half`**: about half of the victim's jobs, at most 32, in one visit. The first runs;
//!   the others go on the thief's own deque, where it pops them and other thieves can steal
//!   them on in turn. For many small flat jobs queued on one worker (a scope spawning
//!   thousands of tasks): they spread over the pool in a few steals instead of one steal per
//!   job, all from the same contended victim. The batch is a loop of single-item steals, one
//!   CAS each (`deque.rs`, "Batch steals"), so it costs a CAS per job moved, and it can take
//!   a `join` half that its owner would otherwise have taken back cheaply.

/// Which other workers an idle worker visits, and in what order. Part of a [`StealPolicy`].
///
/// # Examples
///
/// ```
/// use brigade::{StealPolicy, ThreadPool, Victims};
///
/// let pool = ThreadPool::builder()
///     .num_threads(2)
///     .steal_policy(StealPolicy::new().victims(Victims::Random))
///     .build()?;
/// assert_eq!(pool.join(|| 1, || 2), (1, 2));
/// assert_eq!(Victims::default(), Victims::RoundRobin);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Victims {
    /// Every other worker once per round, starting from a random one (the default): finds a
    /// single busy worker in one round.
    #[default]
    RoundRobin,
    /// `n - 1` independently random victims per round, so that thieves do not follow each
    /// other over the same victims: for many thieves and work held by a few workers.
    Random,
    /// Nearest index first: `me + 1`, `me - 1`, `me + 2`, `me - 2`, ...: for threads pinned
    /// to cores in index order ([`CorePinning`](crate::CorePinning)), whose neighbours share
    /// a cache.
    NearestFirst,
}

/// How much an idle worker takes from a victim that has work. Part of a [`StealPolicy`].
///
/// # Examples
///
/// ```
/// use brigade::{StealAmount, StealPolicy, ThreadPool};
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let pool = ThreadPool::builder()
///     .num_threads(2)
///     .steal_policy(StealPolicy::new().amount(StealAmount::Half))
///     .build()?;
/// let done = AtomicUsize::new(0);
/// pool.scope(|s| {
///     for _ in 0..1000 {
///         s.spawn(|_| {
///             done.fetch_add(1, Ordering::Relaxed);
///         });
///     }
/// });
/// assert_eq!(done.load(Ordering::Relaxed), 1000);
/// assert_eq!(StealAmount::default(), StealAmount::One);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StealAmount {
    /// The victim's oldest job (the default): in divide and conquer, the largest piece.
    #[default]
    One,
    /// About half of the victim's jobs (at most 32) in one visit: the first runs, the rest go
    /// to the thief's own deque, where others can steal them on in turn. For many small jobs
    /// queued on one worker.
    Half,
}

/// How the idle workers of a pool steal: the order in which they visit victims
/// ([`Victims`]) and how much they take from one ([`StealAmount`]). Set with
/// [`ThreadPoolBuilder::steal_policy`](crate::ThreadPoolBuilder::steal_policy); the default,
/// round-robin from a random start and one job at a time, suits most work.
///
/// - [`Victims::Random`] when many workers hunt for work that sits on a few of them.
/// - [`Victims::NearestFirst`] when threads are pinned to cores in index order, so that
///   neighbours share a cache.
/// - [`StealAmount::Half`] when many small jobs pile up on one worker (a scope or a loop
///   that spawns thousands of tasks), rather than a `join` tree whose oldest job is large.
///
/// Every policy runs every job exactly once; a policy changes only which worker runs it.
///
/// # Examples
///
/// ```
/// use brigade::{StealAmount, StealPolicy, ThreadPool, Victims};
///
/// let policy = StealPolicy::new()
///     .victims(Victims::NearestFirst)
///     .amount(StealAmount::Half);
/// let pool = ThreadPool::builder().num_threads(4).steal_policy(policy).build()?;
///
/// fn sum(v: &[u64]) -> u64 {
///     if v.len() <= 1024 {
///         return v.iter().sum();
///     }
///     let (l, r) = v.split_at(v.len() / 2);
///     let (a, b) = brigade::join(|| sum(l), || sum(r));
///     a + b
/// }
/// let v: Vec<u64> = (0..100_000).collect();
/// assert_eq!(pool.install(|| sum(&v)), 4_999_950_000);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StealPolicy {
    victims: Victims,
    amount: StealAmount,
}

impl StealPolicy {
    /// The default policy: [`Victims::RoundRobin`], [`StealAmount::One`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::StealPolicy;
    ///
    /// const POLICY: StealPolicy = StealPolicy::new();
    /// assert_eq!(POLICY, StealPolicy::default());
    /// ```
    pub const fn new() -> Self {
        StealPolicy {
            victims: Victims::RoundRobin,
            amount: StealAmount::One,
        }
    }

    /// This policy with victims visited in the given order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::{StealPolicy, Victims};
    ///
    /// let policy = StealPolicy::new().victims(Victims::Random);
    /// assert_eq!(policy.victim_order(), Victims::Random);
    /// ```
    #[must_use]
    pub const fn victims(mut self, victims: Victims) -> Self {
        self.victims = victims;
        self
    }

    /// This policy taking the given amount per visit.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::{StealAmount, StealPolicy};
    ///
    /// let policy = StealPolicy::new().amount(StealAmount::Half);
    /// assert_eq!(policy.steal_amount(), StealAmount::Half);
    /// ```
    #[must_use]
    pub const fn amount(mut self, amount: StealAmount) -> Self {
        self.amount = amount;
        self
    }

    /// The order in which victims are visited.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::{StealPolicy, Victims};
    ///
    /// assert_eq!(StealPolicy::new().victim_order(), Victims::RoundRobin);
    /// let policy = StealPolicy::new().victims(Victims::NearestFirst);
    /// assert_eq!(policy.victim_order(), Victims::NearestFirst);
    /// ```
    pub const fn victim_order(&self) -> Victims {
        self.victims
    }

    /// How much is taken from a victim per visit.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::{StealAmount, StealPolicy};
    ///
    /// assert_eq!(StealPolicy::new().steal_amount(), StealAmount::One);
    /// ```
    pub const fn steal_amount(&self) -> StealAmount {
        self.amount
    }
}

/// [`Victims::RoundRobin`]: every worker but `me` once, from `start` on, wrapping around.
pub(crate) fn round_robin(me: usize, n: usize, start: usize) -> impl Iterator<Item = usize> {
    (0..n)
        .map(move |offset| (start + offset) % n)
        .filter(move |&victim| victim != me)
}

/// [`Victims::Random`]: `n - 1` victims, each drawn uniformly (up to a negligible modulo
/// bias) from the workers but `me`. Needs `n >= 2`.
pub(crate) fn random(
    me: usize,
    n: usize,
    mut next_random: impl FnMut() -> u64,
) -> impl Iterator<Item = usize> {
    debug_assert!(n >= 2 && me < n);
    let others = (n - 1) as u64;
    (1..n).map(move |_| {
        // A draw among the `n - 1` others, skipping over `me`.
        let victim = (next_random() % others) as usize;
        if victim >= me { victim + 1 } else { victim }
    })
}

/// [`Victims::NearestFirst`]: every worker but `me` once, by index distance, the higher
/// index first at equal distance: `me + 1`, `me - 1`, `me + 2`, `me - 2`, ...
pub(crate) fn nearest_first(me: usize, n: usize) -> impl Iterator<Item = usize> {
    (1..n).flat_map(move |distance| {
        let above = me.checked_add(distance).filter(|&victim| victim < n);
        let below = me.checked_sub(distance);
        above.into_iter().chain(below)
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<usize>) -> Vec<usize> {
        v.sort_unstable();
        v
    }

    fn others(me: usize, n: usize) -> Vec<usize> {
        (0..n).filter(|&i| i != me).collect()
    }

    #[test]
    fn round_robin_visits_every_other_worker_once_from_start() {
        assert_eq!(round_robin(1, 4, 2).collect::<Vec<_>>(), [2, 3, 0]);
        assert_eq!(round_robin(0, 4, 0).collect::<Vec<_>>(), [1, 2, 3]);
        for n in 1..=9 {
            for me in 0..n {
                for start in 0..n {
                    let order: Vec<_> = round_robin(me, n, start).collect();
                    assert_eq!(sorted(order), others(me, n), "me {me} n {n} start {start}");
                }
            }
        }
    }

    #[test]
    fn nearest_first_alternates_by_distance() {
        assert_eq!(nearest_first(3, 7).collect::<Vec<_>>(), [4, 2, 5, 1, 6, 0]);
        assert_eq!(nearest_first(0, 4).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(nearest_first(3, 4).collect::<Vec<_>>(), [2, 1, 0]);
        assert_eq!(nearest_first(1, 5).collect::<Vec<_>>(), [2, 0, 3, 4]);
        for n in 1..=9 {
            for me in 0..n {
                let order: Vec<_> = nearest_first(me, n).collect();
                let distances: Vec<_> = order.iter().map(|&v| v.abs_diff(me)).collect();
                assert!(distances.is_sorted(), "me {me} n {n}: {order:?}");
                assert_eq!(sorted(order), others(me, n), "me {me} n {n}");
            }
        }
    }

    #[test]
    fn random_draws_n_minus_one_others_and_reaches_all_of_them() {
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Under miri, fewer rounds (still reaching every other worker with overwhelming
        // odds, for this fixed seed): this plain-logic test took 51 s there.
        let rounds = if cfg!(miri) { 20 } else { 200 };
        for n in 2..=9 {
            for me in 0..n {
                let mut hits = vec![0; n];
                for _ in 0..rounds {
                    let round: Vec<_> = random(me, n, &mut next).collect();
                    assert_eq!(round.len(), n - 1);
                    for v in round {
                        hits[v] += 1;
                    }
                }
                assert_eq!(hits[me], 0, "me {me} n {n}");
                assert!(
                    (0..n).filter(|&i| i != me).all(|i| hits[i] > 0),
                    "me {me} n {n}: {hits:?}"
                );
            }
        }
    }

    #[test]
    fn policy_is_plain_shareable_data() {
        fn plain<T: Send + Sync + Copy + Unpin + 'static>() {}
        plain::<StealPolicy>();
        plain::<Victims>();
        plain::<StealAmount>();
        let p = StealPolicy::new()
            .victims(Victims::NearestFirst)
            .amount(StealAmount::Half);
        assert_eq!(p.victim_order(), Victims::NearestFirst);
        assert_eq!(p.steal_amount(), StealAmount::Half);
        assert_eq!(StealPolicy::default(), StealPolicy::new());
    }
}

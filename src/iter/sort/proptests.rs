//! Property tests: for random slices of small keys, thread counts and cutoffs, both sorts
//! agree with std's (the merge sort exactly, equal keys in input order).

use proptest::prelude::*;

use super::mergesort::{Cutoffs, mergesort_with};
use super::quicksort::quicksort_with;
use crate::ThreadPool;

const MAX_LEN: usize = if cfg!(miri) { 40 } else { 3_000 };

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 128 },
        // Miri's isolation has no file system to keep a regressions file in.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    })]

    #[test]
    fn sorts_agree_with_std(
        keys in prop::collection::vec(0..50u8, 0..MAX_LEN),
        threads in 1..=4usize,
        cutoff in 1..200usize,
        merge in 1..200usize,
    ) {
        let pool = ThreadPool::builder().num_threads(threads).build().unwrap();
        let input: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
        let by_key = |a: &(u8, usize), b: &(u8, usize)| a.0 < b.0;

        let mut expected = input.clone();
        expected.sort_by_key(|&(key, _)| key);

        let mut v = input.clone();
        pool.install(|| mergesort_with(&mut v, &by_key, Cutoffs { piece: cutoff, merge }));
        prop_assert_eq!(&v, &expected);

        let mut v = input;
        pool.install(|| quicksort_with(&mut v, &by_key, cutoff));
        let keys_sorted: Vec<u8> = v.iter().map(|&(key, _)| key).collect();
        let keys_expected: Vec<u8> = expected.iter().map(|&(key, _)| key).collect();
        prop_assert_eq!(keys_sorted, keys_expected);
        v.sort_unstable_by_key(|&(_, i)| i);
        prop_assert!(v.iter().map(|&(_, i)| i).eq(0..v.len()));
    }
}

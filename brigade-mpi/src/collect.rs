//! Bringing results together: every rank's `(chunk start, result)` pairs to rank 0, and
//! rank 0's outcome back to every rank.
//!
//! A rank encodes its pairs ([`Wire`]) into one byte buffer. An `all_gather` of the
//! buffers' lengths lets every rank check that each fits one MPI message and that all fit
//! rank 0's receive buffer (MPI counts are `i32`), so every rank returns the same
//! [`DistError::TooLarge`] before anything is sent. Then a `gather_varcount` brings the
//! buffers to rank 0, which decodes them. Rank 0 ends every call with a broadcast of a small
//! header (how the call ended, and the length of a payload) and, for `map_reduce`, of the
//! encoded result: so a decoding error found on rank 0 is returned by every rank.

use mpi::datatype::PartitionMut;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};

use crate::cluster::Cluster;
use crate::error::{DistError, WireError};
use crate::wire::Wire;

/// The largest count one MPI call takes.
pub(crate) const MAX_COUNT: u64 = i32::MAX as u64;

/// What rank 0 broadcasts at the end of a call: `[status, detail, payload length]`.
type Header = [u64; 3];
const OK: u64 = 0;
/// `detail` is the sending rank.
const DECODE_FAILED: u64 = 1;
/// `detail` is the payload's length.
const TOO_LARGE: u64 = 2;

/// Encodes a rank's results: their number, then each start and result, which is the
/// encoding of a `Vec<(u64, A)>`.
fn encode_results<A: Wire>(results: &[(u64, A)]) -> Vec<u8> {
    let mut out = Vec::new();
    (results.len() as u64).encode(&mut out);
    for (start, result) in results {
        start.encode(&mut out);
        result.encode(&mut out);
    }
    out
}

/// Checks the encoded sizes of all ranks' results, the same way on every rank.
fn check_sizes(lens: &[u64]) -> Result<(), DistError> {
    if let Some((rank, &bytes)) = lens.iter().enumerate().find(|&(_, &l)| l > MAX_COUNT) {
        return Err(DistError::TooLarge { rank, bytes });
    }
    let total = lens.iter().fold(0u64, |a, &l| a.saturating_add(l));
    if total > MAX_COUNT {
        return Err(DistError::TooLargeTotal { bytes: total });
    }
    Ok(())
}

/// Brings every rank's results to rank 0. Rank 0 gets them sorted by chunk start, or the
/// decoding error it met (which it must then pass on with [`finish`]); the other ranks get
/// `Ok(None)`. Size errors are returned by every rank.
pub(crate) fn gather_to_root<A: Wire>(
    cluster: &Cluster,
    results: &[(u64, A)],
    type_name: &'static str,
) -> Result<Option<Vec<(u64, A)>>, DistError> {
    let world = &cluster.comm;
    let bytes = encode_results(results);
    let mut lens = vec![0u64; cluster.size];
    world.all_gather_into(&(bytes.len() as u64), &mut lens[..]);
    check_sizes(&lens)?;

    let root = world.process_at_rank(0);
    if cluster.rank != 0 {
        root.gather_varcount_into(&bytes[..]);
        return Ok(None);
    }
    let counts: Vec<i32> = lens.iter().map(|&l| l as i32).collect();
    let displs: Vec<i32> = counts
        .iter()
        .scan(0i32, |at, &c| {
            let here = *at;
            *at += c;
            Some(here)
        })
        .collect();
    let total = lens.iter().sum::<u64>() as usize;
    let mut all = vec![0u8; total];
    {
        let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
        root.gather_varcount_into_root(&bytes[..], &mut partition);
    }

    let mut gathered = Vec::new();
    for (from, (&at, &len)) in displs.iter().zip(&counts).enumerate() {
        let part = &all[at as usize..(at + len) as usize];
        match Vec::<(u64, A)>::from_bytes(part) {
            Ok(pairs) => gathered.extend(pairs),
            Err(reason) => return Err(decode_error(0, from, type_name, Some(reason))),
        }
    }
    gathered.sort_by_key(|&(start, _)| start);
    Ok(Some(gathered))
}

fn decode_error(
    rank: usize,
    from: usize,
    type_name: &'static str,
    reason: Option<WireError>,
) -> DistError {
    DistError::Decode {
        rank,
        from,
        type_name,
        reason,
    }
}

/// Ends a call: rank 0 passes `outcome` (a payload for every rank, or the error it met) to
/// every rank, which all return the same. Other ranks pass `None`.
pub(crate) fn finish(
    cluster: &Cluster,
    outcome: Option<Result<Vec<u8>, DistError>>,
    type_name: &'static str,
) -> Result<Vec<u8>, DistError> {
    let root = cluster.comm.process_at_rank(0);
    let mut header: Header = [OK, 0, 0];
    let mut mine = None;
    if let Some(outcome) = outcome {
        header = match &outcome {
            Ok(payload) if payload.len() as u64 > MAX_COUNT => [TOO_LARGE, payload.len() as u64, 0],
            Ok(payload) => [OK, 0, payload.len() as u64],
            Err(DistError::Decode { from, .. }) => [DECODE_FAILED, *from as u64, 0],
            Err(other) => unreachable!("rank 0 passes on only decoding errors, not {other}"),
        };
        mine = Some(outcome);
    }
    root.broadcast_into(&mut header[..]);

    match header {
        [OK, _, len] => {
            let mut payload = match mine {
                Some(Ok(payload)) => payload,
                _ => vec![0u8; len as usize],
            };
            if len > 0 {
                root.broadcast_into(&mut payload[..]);
            }
            Ok(payload)
        }
        [TOO_LARGE, bytes, _] => Err(DistError::TooLarge { rank: 0, bytes }),
        [_, from, _] => match mine {
            Some(Err(e)) => Err(e),
            _ => Err(decode_error(0, from as usize, type_name, None)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_encode_as_a_vec_of_pairs() {
        let results = vec![(0u64, String::from("a")), (10, String::from("bc"))];
        let bytes = encode_results(&results);
        assert_eq!(Vec::<(u64, String)>::from_bytes(&bytes), Ok(results));
    }

    #[test]
    fn sizes() {
        assert_eq!(check_sizes(&[1, 2, 3]), Ok(()));
        assert_eq!(
            check_sizes(&[1, MAX_COUNT + 1, 3]),
            Err(DistError::TooLarge {
                rank: 1,
                bytes: MAX_COUNT + 1
            })
        );
        assert_eq!(
            check_sizes(&[MAX_COUNT, 1]),
            Err(DistError::TooLargeTotal {
                bytes: MAX_COUNT + 1
            })
        );
    }
}

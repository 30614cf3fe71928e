//! Off-chain verification of a patient's log against the on-chain head. Usable by anyone who
//! holds the entries (from a node's `ehr_*` methods, from the `EntryAppended` events of the
//! blocks, or from a hospital's or patient's own copy): it needs no chain access beyond the
//! head.

use crate::types::{Head, LogEntry};
use codec::Encode;
use sp_core::H256;

/// Where and why a log does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
	/// Entry `index` (of the slice) is about another patient.
	WrongPatient { index: usize, seq: u64 },
	/// Entry `index` carries sequence number `found` where `expected` was due: an entry was
	/// removed, inserted or moved.
	OutOfSequence { index: usize, expected: u64, found: u64 },
	/// Entry `index` does not link to the entry before it (or to the anchor): one of the two
	/// was altered.
	BrokenLink { index: usize, seq: u64 },
	/// The entries end at a different count or hash than the on-chain head: the last entry was
	/// altered, or entries are missing or were added at the end.
	HeadMismatch { computed: Head, head: Head },
}

impl core::fmt::Display for VerifyError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			VerifyError::WrongPatient { index, seq } => {
				write!(f, "entry {index} (seq {seq}) is about another patient")
			},
			VerifyError::OutOfSequence { index, expected, found } => write!(
				f,
				"entry {index} has seq {found}, expected {expected}: an entry was removed, inserted or moved"
			),
			VerifyError::BrokenLink { index, seq } => write!(
				f,
				"entry {index} (seq {seq}) does not link to the entry before it: one of them was altered"
			),
			VerifyError::HeadMismatch { computed, head } => write!(
				f,
				"the entries end at count {} hash {:?}, the chain's head is count {} hash {:?}",
				computed.count, computed.last, head.count, head.last
			),
		}
	}
}

/// Checks that `entries` (oldest first) are `patient`'s consecutive log entries, linked by hash
/// from `anchor` (the hash of the entry before the first; zero if the first has seq 0) up to the
/// on-chain `head`. An empty slice verifies if `head` is the anchor's position.
///
/// Reports the first entry, in order, at which the chain breaks.
pub fn verify<AccountId: Encode + PartialEq, BlockNumber: Encode>(
	patient: &AccountId,
	entries: &[LogEntry<AccountId, BlockNumber>],
	anchor: H256,
	head: &Head,
) -> Result<(), VerifyError> {
	let first_seq = match entries.first() {
		Some(e) => e.seq,
		None => head.count,
	};
	let mut expected = first_seq;
	let mut running = anchor;
	for (index, e) in entries.iter().enumerate() {
		if &e.patient != patient {
			return Err(VerifyError::WrongPatient { index, seq: e.seq });
		}
		if e.seq != expected {
			return Err(VerifyError::OutOfSequence { index, expected, found: e.seq });
		}
		if e.prev != running {
			return Err(VerifyError::BrokenLink { index, seq: e.seq });
		}
		running = e.hash();
		expected = expected.saturating_add(1);
	}
	let computed = Head { count: expected, last: running };
	if &computed != head {
		return Err(VerifyError::HeadMismatch { computed, head: *head });
	}
	Ok(())
}

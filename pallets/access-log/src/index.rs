//! Reading a patient's whole log back from the on-chain head.
//!
//! State keeps only each patient's head; every node keeps every entry it executed, keyed by the
//! entry's hash ([`index_key`](crate::index_key), written by the runtime through offchain
//! indexing). [`walk_back`] starts at the head and follows each entry's `prev` hash, asking
//! `lookup` for the entry with that hash (the node's index).
//! Because every step checks the entry it got against the hash that pointed at it, what it
//! returns is a verified stretch of the log ending at the head: entries of abandoned forks, and
//! anything a damaged index holds, are never reached. The walk ends at the log's first entry, at
//! the first entry the node does not hold (a node that warp-synced holds only what it executed
//! since), or when it has taken `max_steps`.

use crate::types::{Head, LogEntry};
use alloc::vec::Vec;
use codec::Encode;
use sp_core::H256;

/// Where a walk ended, and what it kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk<AccountId, BlockNumber> {
	/// The entries kept, newest first, each with its hash.
	pub items: Vec<(H256, LogEntry<AccountId, BlockNumber>)>,
	/// The `before` that continues the walk where it stopped (it stopped at the limit or at
	/// `max_steps`); `None` when nothing older can be served.
	pub next: Option<u64>,
	/// The lowest sequence number the walk reached with its entry in hand, if it reached any.
	pub reached: Option<u64>,
	/// The walk stopped because the node does not hold entry `seq` (`None`: it did not stop for
	/// that).
	pub missing: Option<u64>,
}

/// Walks `patient`'s log back from `head`.
///
/// Returns, newest first, at most `limit` entries with `seq < before` (all if `None`) that
/// `keep` accepts. Every entry visited on the way, kept or not, counts against `max_steps`,
/// including those at or above `before` that the walk passes to get there.
pub fn walk_back<AccountId, BlockNumber>(
	patient: &AccountId,
	head: &Head,
	before: Option<u64>,
	limit: usize,
	max_steps: u64,
	mut lookup: impl FnMut(&H256) -> Option<LogEntry<AccountId, BlockNumber>>,
	mut keep: impl FnMut(&LogEntry<AccountId, BlockNumber>) -> bool,
) -> Walk<AccountId, BlockNumber>
where
	AccountId: Encode + PartialEq,
	BlockNumber: Encode,
{
	let before = before.unwrap_or(head.count).min(head.count);
	let mut walk = Walk { items: Vec::new(), next: None, reached: None, missing: None };
	let mut seq = head.count;
	let mut hash = head.last;
	let mut steps = 0u64;
	while seq > 0 {
		if steps >= max_steps || (seq <= before && walk.items.len() >= limit) {
			walk.next = Some(seq);
			break;
		}
		let due = seq - 1;
		let entry = match lookup(&hash) {
			Some(e) if e.seq == due && &e.patient == patient && e.hash() == hash => e,
			_ => {
				walk.missing = Some(due);
				break;
			},
		};
		steps = steps.saturating_add(1);
		seq = due;
		walk.reached = Some(due);
		let prev = entry.prev;
		if due < before && keep(&entry) {
			walk.items.push((hash, entry));
		}
		hash = prev;
	}
	walk
}

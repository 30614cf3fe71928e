//! Client-side verification of a patient's access log: fetches the entries and the head from
//! one block through the runtime API (SCALE, exactly as stored) and checks the hash chain with
//! `pallet_access_log::verify`, trusting nothing the node computed.

use crate::{Error, Result, Rpc};
use ehr_runtime::{AccountId, BlockNumber};
use pallet_access_log::{verify::verify, LogEntry, LogPage};
use sp_core::H256;

/// A patient's log entries still kept in state, oldest first, checked against the head.
pub struct VerifiedLog {
	/// The block read.
	pub at: H256,
	/// The head the entries end at.
	pub head: pallet_access_log::Head,
	/// The entries, oldest first.
	pub entries: Vec<LogEntry<AccountId, BlockNumber>>,
}

/// Fetches `patient`'s kept entries and head at the finalized block and verifies them.
pub async fn verified_log(rpc: &Rpc, patient: &AccountId) -> Result<VerifiedLog> {
	let at = rpc.finalized_hash().await?;
	let page: LogPage<AccountId, BlockNumber> = rpc
		.runtime_call("AccessLogApi_entries", &(patient, None::<u64>, u32::MAX), Some(at))
		.await?;
	let mut entries: Vec<_> = page.items.into_iter().map(|(_, e)| e).collect();
	entries.reverse();
	let anchor = entries.first().map(|e| e.prev).unwrap_or(page.head.last);
	verify(patient, &entries, anchor, &page.head)
		.map_err(|e| Error::Decode(format!("access log of {patient} does not verify: {e}")))?;
	Ok(VerifiedLog { at, head: page.head, entries })
}

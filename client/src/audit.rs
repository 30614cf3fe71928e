//! Client-side verification of a patient's access log: fetches the patient's whole log as the
//! node serves it (`ehr_accessLog`, from the node's entry index; state keeps the heads only) and
//! the head from state through the runtime API (SCALE, exactly as stored), turns every entry back
//! into its SCALE form and checks the hash chain with `pallet_access_log::verify`, trusting
//! nothing the node computed.

use crate::{Error, Result, Rpc};
use ehr_runtime::{AccountId, BlockNumber};
use pallet_access_log::{verify::verify, Head, LogEntry, Subject};
use pallet_access_log_rpc::{EntryJson, LogPageJson};
use serde_json::Value;
use sp_core::{crypto::Ss58Codec, H256};

/// Entries asked for in one `ehr_accessLog` call.
const PAGE: u32 = 1_000;

/// A patient's log entries as far back as the node holds them, oldest first, checked against
/// the head.
pub struct VerifiedLog {
	/// The block read.
	pub at: H256,
	/// The head the entries end at.
	pub head: Head,
	/// The entries, oldest first.
	pub entries: Vec<LogEntry<AccountId, BlockNumber>>,
}

fn account(ss58: &str) -> Result<AccountId> {
	AccountId::from_ss58check(ss58).map_err(|e| Error::Decode(format!("account {ss58}: {e:?}")))
}

/// The entry a JSON entry stands for, in its SCALE form (its hash is recomputed from this).
pub fn entry_of(e: &EntryJson) -> Result<LogEntry<AccountId, BlockNumber>> {
	let subject = match &e.subject {
		Subject::Record(id) => Subject::Record(*id),
		Subject::Grant(n) => Subject::Grant(*n),
		Subject::Emergency(id) => Subject::Emergency(*id),
		Subject::Party(who) => Subject::Party(account(who)?),
	};
	let prev = e
		.prev
		.strip_prefix("0x")
		.and_then(|h| hex::decode(h).ok())
		.filter(|b| b.len() == 32)
		.map(|b| H256::from_slice(&b))
		.ok_or_else(|| Error::Decode(format!("entry {}: prev {}", e.seq, e.prev)))?;
	Ok(LogEntry {
		seq: e.seq,
		patient: account(&e.patient)?,
		actor: account(&e.actor)?,
		hospital: e.hospital,
		action: e.action,
		subject,
		purpose: e.purpose,
		source: e.source,
		block: BlockNumber::try_from(e.block)
			.map_err(|_| Error::Decode(format!("entry {}: block {}", e.seq, e.block)))?,
		timestamp: e.timestamp,
		prev,
	})
}

/// Fetches `patient`'s log at the finalized block, page by page as far back as the node holds
/// it, and verifies it against the head read from state.
pub async fn verified_log(rpc: &Rpc, patient: &AccountId) -> Result<VerifiedLog> {
	let at = rpc.finalized_hash().await?;
	let head: Head = rpc.runtime_call("AccessLogApi_head", patient, Some(at)).await?;
	let at_hex = format!("0x{}", hex::encode(at.as_bytes()));
	let mut entries = Vec::new();
	let mut before = Value::Null;
	loop {
		let page: LogPageJson = rpc
			.call(
				"ehr_accessLog",
				vec![patient.to_ss58check().into(), before, PAGE.into(), at_hex.clone().into()],
			)
			.await?;
		for e in &page.entries {
			entries.push(entry_of(e)?);
		}
		match page.next {
			// Each page ends lower than the last; an empty page would not move on.
			Some(next) if !page.entries.is_empty() => before = next.into(),
			_ => break,
		}
	}
	entries.reverse();
	let anchor = entries.first().map(|e| e.prev).unwrap_or(head.last);
	verify(patient, &entries, anchor, &head)
		.map_err(|e| Error::Decode(format!("access log of {patient} does not verify: {e}")))?;
	Ok(VerifiedLog { at, head, entries })
}

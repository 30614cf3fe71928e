//! `ehr_*` JSON-RPC methods of the access log: a patient's entries (all of them, the reads, or
//! the refused reads), the heads, a check of the log against the head, and an export as a FHIR
//! R4 `Bundle` of `AuditEvent`s following the IHE Basic Audit Log Patterns (BALP).
//!
//! Entries come from the node's entry index (every entry the node executed, kept by hash in its
//! offchain storage), walking back from the patient's on-chain head, read through the runtime
//! API ([`pallet_access_log::index::walk_back`]): each entry served links to the head, and
//! however many entries others cause, none is hidden. State keeps the heads only. A node that
//! synced without the history (warp sync) holds only the entries of the blocks it executed; a
//! page says where its walk stopped for want of an entry (`missing`). That entry and the older
//! ones are in the `EntryAppended` events of the blocks that appended them (an archive node's,
//! or a copy), each provable against its block's header, and they link up to the head.
//!
//! Every method takes an optional block hash (`at`); without it the best block is read.

#![deny(missing_docs)]

use std::sync::Arc;

use codec::{Codec, Decode};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::error::{ErrorObject, ErrorObjectOwned},
};
pub use pallet_access_log::{Head, LogAction, LogEntry, Purpose, Subject};
pub use pallet_access_log_runtime_api::AccessLogApi as RuntimeApiOf;
use pallet_consent_rpc::{collection_bundle, iso8601};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, H256};
use sp_runtime::traits::{Block as BlockT, NumberFor};
use RuntimeApiOf as RuntimeApi;

/// JSON-RPC error code of a failed runtime API call.
pub const RUNTIME_ERROR: i32 = 1;

/// Entries a page holds when the caller gives no limit.
pub const DEFAULT_LIMIT: u32 = 50;

/// Entries one call walks at most (each a lookup in the node's database); a page that stops
/// here says where to go on (`next`).
pub const MAX_WALK: u64 = 100_000;

/// Where a node keeps every log entry it executed: its persistent offchain storage, written by
/// the runtime (offchain indexing) under [`pallet_access_log::index_key`].
pub trait EntryIndex: Send + Sync {
	/// The SCALE-encoded entry with hash `hash`, if the node keeps it.
	fn entry(&self, hash: &H256) -> Option<Vec<u8>>;
}

impl<S: sp_core::offchain::OffchainStorage> EntryIndex for S {
	fn entry(&self, hash: &H256) -> Option<Vec<u8>> {
		self.get(sp_core::offchain::STORAGE_PREFIX, &pallet_access_log::index_key(hash))
	}
}

/// A head in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HeadJson {
	/// Entries so far.
	pub count: u64,
	/// Hash of the last entry (`0x` hex; zero if none).
	pub hash: String,
}

/// A log entry in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EntryJson {
	/// Position in the patient's log.
	pub seq: u64,
	/// The entry's hash (`0x` hex).
	pub hash: String,
	/// The previous entry's hash (`0x` hex).
	pub prev: String,
	/// The patient (SS58).
	pub patient: String,
	/// Who acted (SS58).
	pub actor: String,
	/// The actor's hospital, if staff.
	pub hospital: Option<u32>,
	/// What happened.
	pub action: LogAction,
	/// What it refers to: `{"record": id}`, `{"grant": n}`, `{"emergency": id}` or
	/// `{"party": SS58}` (a delegate or guardian).
	pub subject: Subject<String>,
	/// Why.
	pub purpose: Option<Purpose>,
	/// The hospital whose gateway served or refused; null for on-chain actions.
	pub source: Option<u32>,
	/// Block.
	pub block: u64,
	/// Time (ms since the epoch).
	pub timestamp: u64,
}

/// A page of a log in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LogPageJson {
	/// The patient's head.
	pub head: HeadJson,
	/// Entries, newest first.
	pub entries: Vec<EntryJson>,
	/// Pass as `before` for the next, older page; null when nothing older is served.
	#[serde(default)]
	pub next: Option<u64>,
	/// The node does not hold entry `missing` (it synced without that part of the history):
	/// the walk back from the head stopped there. That entry and the older ones are in the
	/// `EntryAppended` events of an archive node or in a copy, and verify against the head.
	#[serde(default)]
	pub missing: Option<u64>,
}

/// The result of checking a patient's kept entries against the head.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VerificationJson {
	/// Whether the entries link up to the head.
	pub verified: bool,
	/// How many entries were checked.
	pub entries: u64,
	/// The first sequence number checked.
	pub from_seq: u64,
	/// The head checked against.
	pub head: HeadJson,
	/// What failed, if anything.
	pub error: Option<String>,
}

/// `ehr_*` methods of the access log.
#[rpc(client, server)]
pub trait AccessLogRpc<BlockHash, AccountId> {
	/// The patient's entries before `before` (newest first), at most `limit` (default 50).
	#[method(name = "ehr_accessLog")]
	fn access_log(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<LogPageJson>;

	/// "Who accessed my records": reads served (with their request or not) and emergency
	/// accesses, newest first. Refused reads are apart, in `ehr_refusedAccesses`, so that no
	/// number of refusals hides a read.
	#[method(name = "ehr_whoAccessed")]
	fn who_accessed(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<LogPageJson>;

	/// "Who tried and was refused": the reads the custodians' gateways refused, newest first.
	#[method(name = "ehr_refusedAccesses")]
	fn refused_accesses(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<LogPageJson>;

	/// The patient's head.
	#[method(name = "ehr_accessLogHead")]
	fn access_log_head(&self, patient: AccountId, at: Option<BlockHash>) -> RpcResult<HeadJson>;

	/// The head over all patients' entries.
	#[method(name = "ehr_globalLogHead")]
	fn global_log_head(&self, at: Option<BlockHash>) -> RpcResult<HeadJson>;

	/// Checks the patient's log, as far back as the node holds it (see `missing`), against the
	/// on-chain head.
	#[method(name = "ehr_verifyAccessLog")]
	fn verify_access_log(
		&self,
		patient: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<VerificationJson>;

	/// The patient's entries as a FHIR R4 `Bundle` (type `collection`) of `AuditEvent`s (IHE
	/// BALP), newest first.
	#[method(name = "ehr_auditEvents")]
	fn audit_events(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Value>;
}

/// Implementation of [`AccessLogRpcServer`] over a client with the runtime API and the node's
/// entry index.
pub struct AccessLog<C, B> {
	client: Arc<C>,
	index: Option<Arc<dyn EntryIndex>>,
	_marker: std::marker::PhantomData<B>,
}

impl<C, B> AccessLog<C, B> {
	/// A handler reading the heads through `client` and the entries from `index` (`None`: no
	/// entry is served, every page stops at the head with `missing`).
	pub fn new(client: Arc<C>, index: Option<Arc<dyn EntryIndex>>) -> Self {
		Self { client, index, _marker: Default::default() }
	}
}

/// Which entries a page keeps.
#[derive(Clone, Copy)]
enum Filter {
	/// Every entry.
	All,
	/// Reads served and emergency accesses.
	Accesses,
	/// Refused reads.
	Refusals,
}

impl Filter {
	fn keeps(self, action: LogAction) -> bool {
		match self {
			Filter::All => true,
			Filter::Accesses => action.is_access() && action != LogAction::ReadDenied,
			Filter::Refusals => action == LogAction::ReadDenied,
		}
	}
}

fn runtime_error(e: impl std::fmt::Debug) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, "runtime API call failed", Some(format!("{e:?}")))
}

fn hex32(h: &H256) -> String {
	format!("0x{}", hex::encode(h.as_bytes()))
}

fn head_json(h: Head) -> HeadJson {
	HeadJson { count: h.count, hash: hex32(&h.last) }
}

/// An entry in JSON.
pub fn entry_json<A: Ss58Codec, N: Into<u64>>(hash: H256, e: LogEntry<A, N>) -> EntryJson {
	EntryJson {
		seq: e.seq,
		hash: hex32(&hash),
		prev: hex32(&e.prev),
		patient: e.patient.to_ss58check(),
		actor: e.actor.to_ss58check(),
		hospital: e.hospital,
		action: e.action,
		subject: e.subject.map(|a| a.to_ss58check()),
		purpose: e.purpose,
		source: e.source,
		block: e.block.into(),
		timestamp: e.timestamp,
	}
}

/// A page as [`AccessLog`] walks it: the head in state and the walk's result.
struct Walked<A, N> {
	head: Head,
	walk: pallet_access_log::index::Walk<A, N>,
}

fn page_json<A: Ss58Codec, N: Into<u64>>(p: Walked<A, N>) -> LogPageJson {
	LogPageJson {
		head: head_json(p.head),
		entries: p.walk.items.into_iter().map(|(h, e)| entry_json(h, e)).collect(),
		next: p.walk.next,
		missing: p.walk.missing,
	}
}

const ACCOUNT_SYSTEM: &str = "urn:ehr-chain:account";
const BALP: &str = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";

/// An entry as a FHIR R4 `AuditEvent` following IHE BALP: the REST interaction it stands for,
/// the agent with purpose of use, the patient and the record (or grant, or emergency access)
/// as entities, the source node, and the outcome. The entry's hash and its predecessor's are
/// kept in the log entity, so the bundle itself can be verified; a served read's request hash
/// is a detail of it too (`request`), so the signed request can be checked against it.
pub fn audit_event(e: &EntryJson) -> Value {
	let (interaction, action, profile) = match e.action {
		LogAction::RecordAdded
		| LogAction::ConsentGranted
		| LogAction::DelegateAppointed
		| LogAction::GuardianRecorded
		| LogAction::PatientVerified => ("create", "C", "PatientCreate"),
		LogAction::RecordAmended
		| LogAction::RecordEnteredInError
		| LogAction::ConsentRevoked
		| LogAction::EmergencyEnded
		| LogAction::EmergencyReviewed { .. }
		| LogAction::GuardianContested
		| LogAction::GuardianUpheld => ("update", "U", "PatientUpdate"),
		LogAction::DelegateRemoved | LogAction::GuardianRemoved { .. } => {
			("delete", "D", "PatientDelete")
		},
		LogAction::RecordDeleted | LogAction::DocumentErased => ("delete", "D", "PatientDelete"),
		LogAction::DocumentRead
		| LogAction::DocumentServed { .. }
		| LogAction::ReadDenied
		| LogAction::EmergencyOpened => ("read", "R", "PatientRead"),
	};
	let outcome = if e.action == LogAction::ReadDenied { "4" } else { "0" };
	let outcome_desc = match e.action {
		// The request's hash is a detail of the log entity, below.
		LogAction::DocumentServed { .. } => "documentServed".to_string(),
		other => serde_json::to_value(other)
			.unwrap_or_default()
			.to_string()
			.trim_matches('"')
			.to_string(),
	};
	let mut log_details = vec![
		json!({ "type": "seq", "valueString": e.seq.to_string() }),
		json!({ "type": "prev", "valueString": e.prev }),
		json!({ "type": "block", "valueString": e.block.to_string() }),
	];
	if let Some(request) = e.action.request() {
		log_details.push(json!({ "type": "request", "valueString": hex32(&request) }));
	}
	let purpose: Vec<Value> = e
		.purpose
		.iter()
		.map(|p| {
			json!({ "coding": [{
				"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
				"code": p.code()
			}] })
		})
		.collect();
	let mut actor = json!({
		"type": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
			"code": "IRCP",
			"display": "information recipient"
		}] },
		"who": { "identifier": { "system": ACCOUNT_SYSTEM, "value": e.actor } },
		"requestor": true,
	});
	// FHIR's JSON has no empty arrays: an entry without a purpose names none.
	if !purpose.is_empty() {
		actor["purposeOfUse"] = Value::Array(purpose.clone());
	}
	let mut agents = vec![actor];
	if let Some(h) = e.hospital {
		agents.push(json!({
			"type": { "coding": [{
				"system": "http://dicom.nema.org/resources/ontology/DCM",
				"code": "110153",
				"display": "Source Role ID"
			}] },
			"who": { "identifier": { "system": "urn:ehr-chain:hospital", "value": h.to_string() } },
			"requestor": false
		}));
	}
	let (subject_system, subject_value) = match &e.subject {
		Subject::Record(id) => ("urn:ehr-chain:record", id.to_string()),
		Subject::Grant(n) => ("urn:ehr-chain:consent", format!("{}/{n}", e.patient)),
		Subject::Emergency(id) => ("urn:ehr-chain:emergency", id.to_string()),
		Subject::Party(who) => (ACCOUNT_SYSTEM, who.clone()),
	};
	let observer = match e.source {
		Some(h) => {
			json!({ "identifier": { "system": "urn:ehr-chain:hospital", "value": h.to_string() } })
		},
		None => json!({ "identifier": { "system": "urn:ehr-chain:chain", "value": "runtime" } }),
	};
	let mut event = json!({
		"resourceType": "AuditEvent",
		"id": format!("{}-{}", e.patient, e.seq),
		"meta": { "profile": [format!("{BALP}IHE.BasicAudit.{profile}")] },
		"type": {
			"system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
			"code": "rest",
			"display": "Restful Operation"
		},
		"subtype": [{ "system": "http://hl7.org/fhir/restful-interaction", "code": interaction }],
		"action": action,
		"recorded": iso8601(e.timestamp),
		"outcome": outcome,
		"outcomeDesc": outcome_desc,
		"agent": agents,
		"source": {
			"observer": observer,
			"type": [{
				"system": "http://terminology.hl7.org/CodeSystem/security-source-type",
				"code": "4",
				"display": "Application Server"
			}]
		},
		"entity": [
			{
				"what": { "identifier": { "system": ACCOUNT_SYSTEM, "value": e.patient } },
				"type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person" },
				"role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient" }
			},
			{
				"what": { "identifier": { "system": subject_system, "value": subject_value } },
				"type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object" },
				"role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4", "display": "Domain Resource" }
			},
			{
				"what": { "identifier": { "system": "urn:ehr-chain:access-log", "value": e.hash } },
				"type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object" },
				"detail": log_details
			}
		]
	});
	if !purpose.is_empty() {
		event["purposeOfEvent"] = Value::Array(purpose);
	}
	event
}

/// Entries as a FHIR R4 `Bundle` (type `collection`) of `AuditEvent`s, in the order given.
pub fn audit_bundle(entries: &[EntryJson]) -> Value {
	collection_bundle(
		entries
			.iter()
			.map(|e| (format!("urn:ehr-chain:audit:{}/{}", e.patient, e.seq), audit_event(e))),
	)
}

impl<C, B> AccessLog<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
{
	/// Walks `patient`'s log back from the head at `at` (the best block if `None`): entries
	/// with `seq < before` that `filter` keeps, at most `limit` (default [`DEFAULT_LIMIT`]).
	fn page<AccountId: Codec + PartialEq + Clone>(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		filter: Filter,
		at: Option<B::Hash>,
	) -> RpcResult<Walked<AccountId, NumberFor<B>>>
	where
		C::Api: RuntimeApi<B, AccountId, NumberFor<B>>,
	{
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let head = self.client.runtime_api().head(at, patient.clone()).map_err(runtime_error)?;
		// Only the node's index holds entries: one it lacks (the node synced without it) ends
		// the walk there, and the page says so (`missing`).
		let lookup = |hash: &H256| {
			self.index
				.as_ref()
				.and_then(|index| index.entry(hash))
				.and_then(|bytes| LogEntry::<AccountId, NumberFor<B>>::decode(&mut &bytes[..]).ok())
		};
		let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
		let walk = pallet_access_log::index::walk_back(
			&patient,
			&head,
			before,
			limit,
			MAX_WALK,
			lookup,
			|e| filter.keeps(e.action),
		);
		Ok(Walked { head, walk })
	}
}

impl<C, B, AccountId> AccessLogRpcServer<<B as BlockT>::Hash, AccountId> for AccessLog<C, B>
where
	B: BlockT,
	NumberFor<B>: Into<u64>,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: RuntimeApi<B, AccountId, NumberFor<B>>,
	AccountId: Codec
		+ Ss58Codec
		+ Clone
		+ PartialEq
		+ Send
		+ Sync
		+ for<'de> serde::Deserialize<'de>
		+ 'static,
{
	fn access_log(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<LogPageJson> {
		Ok(page_json(self.page(patient, before, limit, Filter::All, at)?))
	}

	fn who_accessed(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<LogPageJson> {
		Ok(page_json(self.page(patient, before, limit, Filter::Accesses, at)?))
	}

	fn refused_accesses(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<LogPageJson> {
		Ok(page_json(self.page(patient, before, limit, Filter::Refusals, at)?))
	}

	fn access_log_head(&self, patient: AccountId, at: Option<B::Hash>) -> RpcResult<HeadJson> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		Ok(head_json(self.client.runtime_api().head(at, patient).map_err(runtime_error)?))
	}

	fn global_log_head(&self, at: Option<B::Hash>) -> RpcResult<HeadJson> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		Ok(head_json(self.client.runtime_api().global_head(at).map_err(runtime_error)?))
	}

	fn verify_access_log(
		&self,
		patient: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<VerificationJson> {
		let at = Some(at.unwrap_or_else(|| self.client.info().best_hash));
		let page = self.page(patient.clone(), None, Some(u32::MAX), Filter::All, at)?;
		let mut entries: Vec<LogEntry<AccountId, NumberFor<B>>> =
			page.walk.items.into_iter().map(|(_, e)| e).collect();
		entries.reverse();
		let anchor = entries.first().map(|e| e.prev).unwrap_or(page.head.last);
		let result = pallet_access_log::verify::verify(&patient, &entries, anchor, &page.head);
		Ok(VerificationJson {
			verified: result.is_ok(),
			entries: entries.len() as u64,
			from_seq: entries.first().map(|e| e.seq).unwrap_or(page.head.count),
			head: head_json(page.head),
			error: result.err().map(|e| e.to_string()),
		})
	}

	fn audit_events(
		&self,
		patient: AccountId,
		before: Option<u64>,
		limit: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<Value> {
		let page = page_json(self.page(patient, before, limit, Filter::All, at)?);
		Ok(audit_bundle(&page.entries))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::crypto::AccountId32;
	use sp_keyring::Sr25519Keyring;

	fn entry(action: LogAction, purpose: Option<Purpose>) -> EntryJson {
		let e = LogEntry::<AccountId32, u32> {
			seq: 3,
			patient: Sr25519Keyring::Alice.to_account_id(),
			actor: Sr25519Keyring::Bob.to_account_id(),
			hospital: Some(1),
			action,
			subject: Subject::Record(7),
			purpose,
			source: Some(1),
			block: 12,
			timestamp: 3_600_000,
			prev: H256::repeat_byte(2),
		};
		entry_json(e.hash(), e)
	}

	#[test]
	fn a_read_as_an_ihe_balp_audit_event() {
		let e = entry(LogAction::DocumentRead, Some(Purpose::Treatment));
		let a = audit_event(&e);
		assert_eq!(a["resourceType"], "AuditEvent");
		assert_eq!(
			a["meta"]["profile"][0],
			"https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"
		);
		assert_eq!(a["action"], "R");
		assert_eq!(a["subtype"][0]["code"], "read");
		assert_eq!(a["outcome"], "0");
		assert_eq!(a["recorded"], "1970-01-01T01:00:00.000Z");
		assert_eq!(a["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");
		assert_eq!(a["agent"][0]["who"]["identifier"]["value"], e.actor);
		assert_eq!(a["agent"][1]["who"]["identifier"]["value"], "1");
		assert_eq!(a["source"]["observer"]["identifier"]["value"], "1");
		assert_eq!(a["entity"][0]["what"]["identifier"]["value"], e.patient);
		assert_eq!(a["entity"][1]["what"]["identifier"]["value"], "7");
		assert_eq!(a["entity"][2]["what"]["identifier"]["value"], e.hash);
		assert_eq!(a["entity"][2]["detail"][1]["valueString"], e.prev);
	}

	#[test]
	fn a_served_read_names_its_request() {
		let request = H256::repeat_byte(0x5e);
		let e = entry(LogAction::DocumentServed { request }, Some(Purpose::Treatment));
		// In JSON the action carries the hash.
		let json = serde_json::to_value(&e).unwrap();
		assert_eq!(json["action"]["documentServed"]["request"], hex32(&request));
		let a = audit_event(&e);
		assert_eq!(
			a["meta"]["profile"][0],
			"https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"
		);
		assert_eq!((a["action"].clone(), a["outcome"].clone()), (json!("R"), json!("0")));
		assert_eq!(a["outcomeDesc"], "documentServed");
		assert_eq!(a["entity"][2]["what"]["identifier"]["value"], e.hash);
		assert_eq!(a["entity"][2]["detail"][3]["type"], "request");
		assert_eq!(a["entity"][2]["detail"][3]["valueString"], hex32(&request));
		// A read logged without its request has no such detail.
		let read = audit_event(&entry(LogAction::DocumentRead, Some(Purpose::Treatment)));
		assert_eq!(read["entity"][2]["detail"].as_array().unwrap().len(), 3);
	}

	#[test]
	fn a_refusal_is_a_failed_read_and_the_bundle_lists_all() {
		let denied = entry(LogAction::ReadDenied, Some(Purpose::Research));
		assert_eq!(audit_event(&denied)["outcome"], "4");
		assert_eq!(audit_event(&denied)["outcomeDesc"], "readDenied");
		let granted = entry(LogAction::ConsentGranted, None);
		let a = audit_event(&granted);
		assert_eq!(a["action"], "C");
		// No purpose, and no empty array in its place.
		assert!(a.get("purposeOfEvent").is_none());
		assert!(a["agent"][0].get("purposeOfUse").is_none());
		let b = audit_bundle(&[denied, granted]);
		assert_eq!(b["resourceType"], "Bundle");
		assert_eq!(b["type"], "collection");
		// R4 allows `total` only on a search or history bundle (bdl-1).
		assert!(b.get("total").is_none());
		assert_eq!(b["entry"].as_array().map(Vec::len), Some(2));
		assert_eq!(b["entry"][1]["resource"]["action"], "C");
		assert!(audit_bundle(&[]).get("entry").is_none());
	}
}

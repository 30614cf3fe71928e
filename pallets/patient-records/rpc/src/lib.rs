//! `ehr_*` JSON-RPC methods of the patient records, for hospital EHR systems and patient apps:
//! record versions, their history, pending amendments and prescription requests, and a
//! patient's record versions as FHIR R4 `DocumentReference`s.
//!
//! Every method takes an optional block hash (`at`); without it the best block is read. Results
//! are plain JSON: accounts in SS58, hashes in `0x` hex, content addresses as the CIDv1 strings
//! IPFS prints (multibase base32, `b…`), enums in camelCase.

#![deny(missing_docs)]

use std::sync::Arc;

use codec::{Codec, Encode};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::error::{ErrorObject, ErrorObjectOwned},
};
use pallet_consent_rpc::{collection_bundle, iso8601};
use pallet_patient_records::{
	Category, Content, EncryptionScheme, Record, RecordId, RecordStatus, RequestId, RequestStatus,
};
pub use pallet_patient_records_runtime_api::PatientRecordsApi as RuntimeApiOf;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, H256};
use sp_runtime::traits::{Block as BlockT, NumberFor};
use RuntimeApiOf as RuntimeApi;

/// JSON-RPC error code of a failed runtime API call.
pub const RUNTIME_ERROR: i32 = 1;
/// JSON-RPC error code of a parameter that cannot be understood (e.g. a malformed CID string).
pub const BAD_PARAMS: i32 = 2;

/// A record version in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RecordJson {
	/// Id of this version.
	pub id: RecordId,
	/// The patient (SS58).
	pub patient: String,
	/// The author of this version (SS58).
	pub author: String,
	/// The custodian hospital; `null` for patient-held documents.
	pub custodian: Option<u32>,
	/// Category.
	pub category: Category,
	/// Hash of the encrypted document (`0x` hex).
	pub commitment: String,
	/// CIDv1 of the encrypted document (`b…`); `null` once deleted.
	pub cid: Option<String>,
	/// Encryption scheme.
	pub scheme: EncryptionScheme,
	/// Size of the encrypted document in bytes.
	pub size: u64,
	/// Anchoring time (ms since the Unix epoch).
	pub created_at: u64,
	/// Anchoring block.
	pub created_in: u64,
	/// Version number (1 for the first).
	pub version: u32,
	/// The version this one amends.
	pub previous: Option<RecordId>,
	/// The version that amends this one.
	pub superseded_by: Option<RecordId>,
	/// Status.
	pub status: RecordStatus,
}

/// A page of a patient's records.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RecordPageJson {
	/// Record versions of the patient in all.
	pub total: u32,
	/// The page number asked for.
	pub page: u32,
	/// The records, newest first.
	pub records: Vec<RecordJson>,
}

/// New content, as `ehr_amendmentPayload` takes it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContentJson {
	/// Hash of the encrypted document (`0x` hex, 32 bytes).
	pub commitment: String,
	/// CIDv1 (`b…` base32 string, or binary in `0x` hex).
	pub cid: String,
	/// Encryption scheme.
	pub scheme: EncryptionScheme,
	/// Size of the encrypted document in bytes.
	pub size: u64,
}

/// A pending amendment in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PendingAmendmentJson {
	/// The staff member who proposed it (SS58).
	pub proposer: String,
	/// Proposed commitment (`0x` hex).
	pub commitment: String,
	/// Proposed CID (`b…`).
	pub cid: String,
	/// Last block for the patient's approval.
	pub deadline: u64,
}

/// A prescription request in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PrescriptionRequestJson {
	/// Id.
	pub id: RequestId,
	/// The patient (SS58).
	pub patient: String,
	/// The doctor asked (SS58).
	pub doctor: String,
	/// Commitment of the request's details (`0x` hex).
	pub details: String,
	/// Block of the request.
	pub requested_in: u64,
	/// `pending`, `fulfilled`, `declined` or `cancelled`.
	pub status: String,
	/// The prescription record, once fulfilled.
	pub record: Option<RecordId>,
}

/// `ehr_*` methods of the patient records.
#[rpc(client, server)]
pub trait PatientRecordsRpc<BlockHash, AccountId> {
	/// One record version, or null.
	#[method(name = "ehr_record")]
	fn record(&self, id: RecordId, at: Option<BlockHash>) -> RpcResult<Option<RecordJson>>;

	/// A patient's record versions, newest first, `pageSize` (default and at most the runtime's
	/// page size) at a time.
	#[method(name = "ehr_records")]
	fn records(
		&self,
		patient: AccountId,
		page: Option<u32>,
		page_size: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<RecordPageJson>;

	/// A patient's record versions as a FHIR R4 `Bundle` (type `collection`) of
	/// `DocumentReference`s: the page `ehr_records` serves with the same parameters, in its order.
	#[method(name = "ehr_documentReferences")]
	fn document_references(
		&self,
		patient: AccountId,
		page: Option<u32>,
		page_size: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Value>;

	/// Every version of the record `id` belongs to, newest first.
	#[method(name = "ehr_recordHistory")]
	fn record_history(&self, id: RecordId, at: Option<BlockHash>) -> RpcResult<Vec<RecordJson>>;

	/// The amendment of `id` waiting for the patient, or null.
	#[method(name = "ehr_pendingAmendment")]
	fn pending_amendment(
		&self,
		id: RecordId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<PendingAmendmentJson>>;

	/// A prescription request, or null.
	#[method(name = "ehr_prescriptionRequest")]
	fn prescription_request(
		&self,
		id: RequestId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<PrescriptionRequestJson>>;

	/// The bytes (`0x` hex) a patient signs to approve amending current record `id` to
	/// `content` in one extrinsic; null if `id` is not current.
	#[method(name = "ehr_amendmentPayload")]
	fn amendment_payload(
		&self,
		id: RecordId,
		content: ContentJson,
		at: Option<BlockHash>,
	) -> RpcResult<Option<String>>;
}

/// Implementation of [`PatientRecordsRpcServer`] over a client with the runtime API.
pub struct PatientRecords<C, B> {
	client: Arc<C>,
	_marker: std::marker::PhantomData<B>,
}

impl<C, B> PatientRecords<C, B> {
	/// A handler reading through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _marker: Default::default() }
	}
}

fn runtime_error(e: impl std::fmt::Debug) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, "runtime API call failed", Some(format!("{e:?}")))
}

fn bad_params(what: impl Into<String>) -> ErrorObjectOwned {
	ErrorObject::owned(BAD_PARAMS, "bad parameter", Some(what.into()))
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A binary CID as its multibase base32 string (`b` + RFC 4648 lowercase, no padding).
pub fn cid_string(bytes: &[u8]) -> String {
	let mut out = String::with_capacity(1 + bytes.len() * 8 / 5 + 1);
	out.push('b');
	let (mut buf, mut bits) = (0u32, 0u32);
	for &b in bytes {
		buf = (buf << 8) | b as u32;
		bits += 8;
		while bits >= 5 {
			bits -= 5;
			out.push(BASE32[((buf >> bits) & 31) as usize] as char);
		}
	}
	if bits > 0 {
		out.push(BASE32[((buf << (5 - bits)) & 31) as usize] as char);
	}
	out
}

/// Parses a CID given as a multibase base32 string (`b…`) or as `0x` hex bytes.
pub fn parse_cid(s: &str) -> Result<Vec<u8>, String> {
	if let Some(h) = s.strip_prefix("0x") {
		return hex::decode(h).map_err(|e| format!("CID hex: {e}"));
	}
	let body = s.strip_prefix('b').ok_or("a CID string must start with `b` (base32) or `0x`")?;
	let (mut out, mut buf, mut bits) = (Vec::new(), 0u32, 0u32);
	for c in body.bytes() {
		let v = BASE32
			.iter()
			.position(|x| *x == c.to_ascii_lowercase())
			.ok_or_else(|| format!("not base32: {:?}", c as char))?;
		buf = (buf << 5) | v as u32;
		bits += 5;
		if bits >= 8 {
			bits -= 8;
			out.push((buf >> bits) as u8);
		}
	}
	Ok(out)
}

fn hash_hex(h: &H256) -> String {
	format!("0x{}", hex::encode(h.as_bytes()))
}

fn parse_hash(s: &str) -> Result<H256, String> {
	let b = hex::decode(s.trim_start_matches("0x")).map_err(|e| format!("hash hex: {e}"))?;
	if b.len() != 32 {
		return Err(format!("a hash has 32 bytes, not {}", b.len()));
	}
	Ok(H256::from_slice(&b))
}

fn record_json<A: Ss58Codec, N: Into<u64>>(id: RecordId, r: Record<A, N>) -> RecordJson {
	RecordJson {
		id,
		patient: r.patient.to_ss58check(),
		author: r.author.to_ss58check(),
		custodian: r.custodian,
		category: r.category,
		commitment: hash_hex(&r.content.commitment),
		cid: (!r.content.cid.is_empty()).then(|| cid_string(&r.content.cid)),
		scheme: r.content.scheme,
		size: r.content.size,
		created_at: r.created_at,
		created_in: r.created_in.into(),
		version: r.version,
		previous: r.previous,
		superseded_by: r.superseded_by,
		status: r.status,
	}
}

const ACCOUNT_SYSTEM: &str = "urn:ehr-chain:account";
const HOSPITAL_SYSTEM: &str = "urn:ehr-chain:hospital";
const RECORD_SYSTEM: &str = "urn:ehr-chain:record";
const CATEGORY_SYSTEM: &str = "urn:ehr-chain:category";
const COMMITMENT_SYSTEM: &str = "urn:ehr-chain:commitment";
const RECORD_STATUS_SYSTEM: &str = "urn:ehr-chain:record-status";
const SCHEME_SYSTEM: &str = "urn:ehr-chain:encryption-scheme";

/// The LOINC document type of a category, where a well-known one exists: (code, display).
/// Immunizations, mental-health documents, patient-reported documents and device data have no
/// single LOINC document type; they are coded in our own system only.
pub fn loinc_document_type(category: Category) -> Option<(&'static str, &'static str)> {
	match category {
		Category::ClinicalNote => Some(("11506-3", "Progress note")),
		Category::LabResult => Some(("11502-2", "Laboratory report")),
		Category::Imaging => Some(("18748-4", "Diagnostic imaging study")),
		Category::Prescription => Some(("57833-6", "Prescription for medication")),
		Category::DischargeSummary => Some(("18842-5", "Discharge summary")),
		Category::Allergy => Some(("48765-2", "Allergies and adverse reactions Document")),
		Category::Immunization
		| Category::MentalHealth
		| Category::PatientReported
		| Category::DeviceData => None,
	}
}

/// A record version as a FHIR R4 `DocumentReference`, from what the chain holds of it (no
/// health data: the document stays encrypted off chain).
///
/// * `status`: `current`, `superseded`, or `entered-in-error` for a version withdrawn as entered
///   in error and for a deleted one (its document and key destroyed: the reference is no longer
///   valid); `docStatus` `final`, `amended` (a version after the first) or `entered-in-error`,
///   none for a deleted version, which says so in `description`. `meta.tag` carries the
///   record's own status (`urn:ehr-chain:record-status`), which tells the two apart.
/// * `masterIdentifier`: the version's record id; `identifier`: its content commitment (SHA2-256
///   or BLAKE2b-256 of the encrypted document, as its CID's multihash says). R4's
///   `Attachment.hash` is a SHA-1, so the commitment is not there.
/// * `type`: the LOINC document type where one is well known ([`loinc_document_type`]) and the
///   category (`urn:ehr-chain:category`); `category`: the category, as consent scopes name it.
/// * `subject`, `author` (`urn:ehr-chain:account`), `custodian` (`urn:ehr-chain:hospital`, none
///   when the patient holds the document), `date` (anchoring time).
/// * `content[0]`: the encrypted bytes (`application/octet-stream`) at `ipfs://<CID>` (none once
///   deleted) with their `size` (left out above R4's `unsignedInt` range, 2^31 - 1), and the
///   encryption scheme as `format` (`urn:ehr-chain:encryption-scheme`).
/// * `relatesTo`: `replaces` the version this one amends.
/// * `securityLabel`: confidentiality `R` (restricted) for mental-health documents. The category
///   is all the chain knows of a document, so no other record is labelled.
pub fn document_reference(r: &RecordJson) -> Value {
	let id = r.id.to_string();
	let written = if r.version > 1 { "amended" } else { "final" };
	let (status, doc_status) = match r.status {
		RecordStatus::Current => ("current", Some(written)),
		RecordStatus::Superseded => ("superseded", Some(written)),
		RecordStatus::EnteredInError => ("entered-in-error", Some("entered-in-error")),
		RecordStatus::Deleted => ("entered-in-error", None),
	};
	let category = json!({ "system": CATEGORY_SYSTEM, "code": r.category });
	let mut types = Vec::new();
	if let Some((code, display)) = loinc_document_type(r.category) {
		types.push(json!({ "system": "http://loinc.org", "code": code, "display": display }));
	}
	types.push(category.clone());
	let mut attachment = json!({ "contentType": "application/octet-stream" });
	if let Some(cid) = &r.cid {
		attachment["url"] = json!(format!("ipfs://{cid}"));
	}
	if let Ok(size) = i32::try_from(r.size) {
		attachment["size"] = json!(size);
	}
	let mut doc = json!({
		"resourceType": "DocumentReference",
		"id": id,
		"meta": { "tag": [{ "system": RECORD_STATUS_SYSTEM, "code": r.status }] },
		"masterIdentifier": { "system": RECORD_SYSTEM, "value": id },
		"identifier": [{ "system": COMMITMENT_SYSTEM, "value": r.commitment }],
		"status": status,
		"type": { "coding": types },
		"category": [{ "coding": [category] }],
		"subject": { "identifier": { "system": ACCOUNT_SYSTEM, "value": r.patient } },
		"date": iso8601(r.created_at),
		"author": [{ "identifier": { "system": ACCOUNT_SYSTEM, "value": r.author } }],
		"content": [{
			"attachment": attachment,
			"format": { "system": SCHEME_SYSTEM, "code": r.scheme }
		}],
	});
	if let Some(s) = doc_status {
		doc["docStatus"] = json!(s);
	}
	if let Some(h) = r.custodian {
		doc["custodian"] =
			json!({ "identifier": { "system": HOSPITAL_SYSTEM, "value": h.to_string() } });
	}
	if let Some(previous) = r.previous {
		doc["relatesTo"] = json!([{
			"code": "replaces",
			"target": { "identifier": { "system": RECORD_SYSTEM, "value": previous.to_string() } }
		}]);
	}
	if r.status == RecordStatus::Deleted {
		doc["description"] = json!(
			"Deleted: the document and its key are destroyed; the commitment stays for audit."
		);
	}
	if r.category == Category::MentalHealth {
		doc["securityLabel"] = json!([{ "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
			"code": "R",
			"display": "restricted"
		}] }]);
	}
	doc
}

/// Record versions as a FHIR R4 `Bundle` (type `collection`) of `DocumentReference`s, in the
/// order given; each entry's `fullUrl` is `urn:ehr-chain:record:<id>`.
pub fn document_bundle(records: &[RecordJson]) -> Value {
	collection_bundle(
		records.iter().map(|r| (format!("urn:ehr-chain:record:{}", r.id), document_reference(r))),
	)
}

impl<C, B> PatientRecords<C, B>
where
	B: BlockT,
	NumberFor<B>: Into<u64>,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
{
	/// Page `page` (default 0) of `patient`'s record versions at `at` (the best block if
	/// `None`), newest first, `page_size` a page (default and at most the runtime's page size).
	fn record_page<AccountId: Codec + Ss58Codec>(
		&self,
		patient: AccountId,
		page: Option<u32>,
		page_size: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<RecordPageJson>
	where
		C::Api: RuntimeApi<B, AccountId, NumberFor<B>, <B as BlockT>::Hash>,
	{
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let page = page.unwrap_or(0);
		let p = self
			.client
			.runtime_api()
			.records_of(at, patient, page, page_size.unwrap_or(u32::MAX))
			.map_err(runtime_error)?;
		Ok(RecordPageJson {
			total: p.total,
			page,
			records: p.records.into_iter().map(|(id, r)| record_json(id, r)).collect(),
		})
	}
}

impl<C, B, AccountId> PatientRecordsRpcServer<<B as BlockT>::Hash, AccountId>
	for PatientRecords<C, B>
where
	B: BlockT,
	NumberFor<B>: Into<u64>,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: RuntimeApi<B, AccountId, NumberFor<B>, <B as BlockT>::Hash>,
	AccountId: Codec + Ss58Codec + Clone + Send + Sync + for<'de> serde::Deserialize<'de> + 'static,
{
	fn record(&self, id: RecordId, at: Option<B::Hash>) -> RpcResult<Option<RecordJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let r = self.client.runtime_api().record(at, id).map_err(runtime_error)?;
		Ok(r.map(|r| record_json(id, r)))
	}

	fn records(
		&self,
		patient: AccountId,
		page: Option<u32>,
		page_size: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<RecordPageJson> {
		self.record_page(patient, page, page_size, at)
	}

	fn document_references(
		&self,
		patient: AccountId,
		page: Option<u32>,
		page_size: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<Value> {
		Ok(document_bundle(&self.record_page(patient, page, page_size, at)?.records))
	}

	fn record_history(&self, id: RecordId, at: Option<B::Hash>) -> RpcResult<Vec<RecordJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let h = self.client.runtime_api().history(at, id).map_err(runtime_error)?;
		Ok(h.into_iter().map(|(id, r)| record_json(id, r)).collect())
	}

	fn pending_amendment(
		&self,
		id: RecordId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<PendingAmendmentJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let a = self.client.runtime_api().pending_amendment(at, id).map_err(runtime_error)?;
		Ok(a.map(|a| PendingAmendmentJson {
			proposer: a.proposer.to_ss58check(),
			commitment: hash_hex(&a.content.commitment),
			cid: cid_string(&a.content.cid),
			deadline: a.deadline.into(),
		}))
	}

	fn prescription_request(
		&self,
		id: RequestId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<PrescriptionRequestJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let r = self.client.runtime_api().prescription_request(at, id).map_err(runtime_error)?;
		Ok(r.map(|r| {
			let (status, record) = match r.status {
				RequestStatus::Pending => ("pending", None),
				RequestStatus::Fulfilled(rec) => ("fulfilled", Some(rec)),
				RequestStatus::Declined => ("declined", None),
				RequestStatus::Cancelled => ("cancelled", None),
			};
			PrescriptionRequestJson {
				id,
				patient: r.patient.to_ss58check(),
				doctor: r.doctor.to_ss58check(),
				details: hash_hex(&r.details),
				requested_in: r.requested_in.into(),
				status: status.into(),
				record,
			}
		}))
	}

	fn amendment_payload(
		&self,
		id: RecordId,
		content: ContentJson,
		at: Option<B::Hash>,
	) -> RpcResult<Option<String>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let cid = parse_cid(&content.cid).map_err(bad_params)?;
		let content = Content {
			commitment: parse_hash(&content.commitment).map_err(bad_params)?,
			cid: cid.try_into().map_err(|_| bad_params("CID longer than any valid one"))?,
			scheme: content.scheme,
			size: content.size,
		};
		let p =
			self.client.runtime_api().amendment_payload(at, id, content).map_err(runtime_error)?;
		Ok(p.map(|p| format!("0x{}", hex::encode(p.encode()))))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn cid_strings_round_trip_and_match_ipfs() {
		// The CIDv1 (raw, sha2-256) of the empty string, as `ipfs add --cid-version 1 --raw-leaves`
		// prints it.
		let digest =
			hex::decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
				.unwrap();
		let mut cid = vec![0x01, 0x55, 0x12, 0x20];
		cid.extend(digest);
		let s = cid_string(&cid);
		assert_eq!(s, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
		assert_eq!(parse_cid(&s).unwrap(), cid);
		assert_eq!(parse_cid(&format!("0x{}", hex::encode(&cid))).unwrap(), cid);
		assert!(parse_cid("Qm123").is_err());
		assert!(parse_cid("b1").is_err());
	}

	const CID: &str = "bafkreiaflp6czymad5uqoziltzl2taxpugodjum6rd7jzhalovqapotinu";

	fn record(id: RecordId, status: RecordStatus) -> RecordJson {
		RecordJson {
			id,
			patient: "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y".into(),
			author: "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".into(),
			custodian: Some(0),
			category: Category::LabResult,
			commitment: format!("0x{}", "ab".repeat(32)),
			cid: Some(CID.into()),
			scheme: EncryptionScheme::XChaCha20Poly1305,
			size: 29,
			created_at: 1_795_615_212_000,
			created_in: 6,
			version: 1,
			previous: None,
			superseded_by: None,
			status,
		}
	}

	#[test]
	fn a_record_version_as_a_fhir_document_reference() {
		let r = record(1, RecordStatus::Current);
		let d = document_reference(&r);
		assert_eq!(d["resourceType"], "DocumentReference");
		assert_eq!(
			(d["id"].clone(), d["masterIdentifier"]["value"].clone()),
			(json!("1"), json!("1"))
		);
		assert_eq!(
			(d["status"].clone(), d["docStatus"].clone()),
			(json!("current"), json!("final"))
		);
		assert_eq!(d["meta"]["tag"][0]["code"], "current");
		assert_eq!(d["identifier"][0]["system"], "urn:ehr-chain:commitment");
		assert_eq!(d["identifier"][0]["value"], r.commitment.as_str());
		assert_eq!(d["type"]["coding"][0]["system"], "http://loinc.org");
		assert_eq!(d["type"]["coding"][0]["code"], "11502-2");
		assert_eq!(d["type"]["coding"][1]["code"], "labResult");
		assert_eq!(d["category"][0]["coding"][0]["system"], "urn:ehr-chain:category");
		assert_eq!(d["category"][0]["coding"][0]["code"], "labResult");
		assert_eq!(d["subject"]["identifier"]["value"], r.patient.as_str());
		assert_eq!(d["author"][0]["identifier"]["value"], r.author.as_str());
		assert_eq!(d["custodian"]["identifier"]["system"], "urn:ehr-chain:hospital");
		assert_eq!(d["custodian"]["identifier"]["value"], "0");
		assert_eq!(d["date"], "2026-11-25T14:00:12.000Z");
		let a = &d["content"][0]["attachment"];
		assert_eq!(a["contentType"], "application/octet-stream");
		assert_eq!(a["url"], format!("ipfs://{CID}").as_str());
		assert_eq!(a["size"], 29);
		// R4's `Attachment.hash` is a SHA-1: the commitment is an identifier instead.
		assert!(a.get("hash").is_none());
		assert_eq!(d["content"][0]["format"]["code"], "xChaCha20Poly1305");
		for absent in ["relatesTo", "description", "securityLabel"] {
			assert!(d.get(absent).is_none(), "{absent}");
		}
	}

	#[test]
	fn amendments_withdrawals_and_deletions_in_fhir() {
		let mut v2 = record(2, RecordStatus::Superseded);
		(v2.version, v2.previous) = (2, Some(1));
		let d = document_reference(&v2);
		assert_eq!(
			(d["status"].clone(), d["docStatus"].clone()),
			(json!("superseded"), json!("amended"))
		);
		assert_eq!(d["relatesTo"][0]["code"], "replaces");
		assert_eq!(d["relatesTo"][0]["target"]["identifier"]["system"], "urn:ehr-chain:record");
		assert_eq!(d["relatesTo"][0]["target"]["identifier"]["value"], "1");

		let d = document_reference(&record(3, RecordStatus::EnteredInError));
		assert_eq!(d["status"], "entered-in-error");
		assert_eq!(d["docStatus"], "entered-in-error");
		assert_eq!(d["meta"]["tag"][0]["code"], "enteredInError");
		assert!(d["content"][0]["attachment"].get("url").is_some());

		// A deleted version: its CID is cleared and its document destroyed.
		let mut deleted = record(4, RecordStatus::Deleted);
		deleted.cid = None;
		let d = document_reference(&deleted);
		assert_eq!(d["status"], "entered-in-error");
		assert!(d.get("docStatus").is_none());
		assert_eq!(d["meta"]["tag"][0]["code"], "deleted");
		assert!(d["description"].as_str().is_some_and(|t| t.starts_with("Deleted")));
		assert!(d["content"][0]["attachment"].get("url").is_none());
		assert_eq!(d["identifier"][0]["value"], deleted.commitment.as_str());
	}

	#[test]
	fn categories_custodians_and_sizes_in_fhir() {
		let mut own = record(5, RecordStatus::Current);
		(own.category, own.custodian, own.size) = (Category::PatientReported, None, 1 << 31);
		let d = document_reference(&own);
		// No LOINC type: only the category.
		assert_eq!(d["type"]["coding"].as_array().map(Vec::len), Some(1));
		assert_eq!(d["type"]["coding"][0]["code"], "patientReported");
		assert!(d.get("custodian").is_none());
		// Beyond R4's `unsignedInt`.
		assert!(d["content"][0]["attachment"].get("size").is_none());

		let mut mental = record(6, RecordStatus::Current);
		mental.category = Category::MentalHealth;
		let d = document_reference(&mental);
		assert_eq!(d["securityLabel"][0]["coding"][0]["code"], "R");
		assert_eq!(
			loinc_document_type(Category::DischargeSummary),
			Some(("18842-5", "Discharge summary"))
		);
	}

	#[test]
	fn record_versions_as_a_collection_bundle() {
		let b =
			document_bundle(&[record(1, RecordStatus::Current), record(0, RecordStatus::Current)]);
		assert_eq!(
			(b["resourceType"].clone(), b["type"].clone()),
			(json!("Bundle"), json!("collection"))
		);
		assert!(b.get("total").is_none());
		assert_eq!(b["entry"][0]["fullUrl"], "urn:ehr-chain:record:1");
		assert_eq!(b["entry"][1]["resource"]["id"], "0");
		assert!(document_bundle(&[]).get("entry").is_none());
	}
}

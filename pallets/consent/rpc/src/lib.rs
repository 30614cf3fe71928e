//! `ehr_*` JSON-RPC methods of consent: the access decision, a patient's grants (also as FHIR R4
//! `Consent` resources) and emergency accesses.
//!
//! Every method takes an optional block hash (`at`); without it the best block is read. Results
//! are plain JSON: accounts in SS58, enums in camelCase, times in ms since the Unix epoch.

#![deny(missing_docs)]
// `ehr_decide` takes the six inputs of an access decision plus time and block.
#![allow(clippy::too_many_arguments)]

use std::sync::Arc;

use codec::Codec;
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::error::{ErrorObject, ErrorObjectOwned},
};
pub use pallet_consent::{
	Action, Decision, DenyReason, EmergencyInfo, EmergencyReason, GrantId, GrantInfo, GrantStatus,
	Grantee, PermitBasis, Purpose, Scope, Target,
};
pub use pallet_consent_runtime_api::ConsentApi as RuntimeApiOf;
use pallet_hospital_registry::HospitalId;
pub use pallet_patient_records::{Category, RecordId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::crypto::Ss58Codec;
use sp_runtime::traits::{Block as BlockT, NumberFor};
use RuntimeApiOf as RuntimeApi;

/// JSON-RPC error code of a failed runtime API call.
pub const RUNTIME_ERROR: i32 = 1;

/// An access decision in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DecisionJson {
	/// Whether access is permitted.
	pub permit: bool,
	/// If permitted: `patient`, `delegate`, `author`, `grant` or `emergency`.
	pub basis: Option<String>,
	/// If denied: the reason (`noGrant`, `revoked`, `expired`, `categoryExcluded`, ...).
	pub reason: Option<String>,
	/// The grant that permitted, or, when denied, the grant that came closest to permitting.
	pub grant: Option<GrantId>,
	/// The emergency access that permitted.
	pub emergency: Option<u64>,
	/// If denied: the reason in words for a person ([`explain`]).
	pub explanation: Option<String>,
}

impl DecisionJson {
	/// Decision `d` in JSON; a denial is explained with what `grant`, the grant it names read at
	/// the same block, says.
	pub fn with_grant<A: PartialEq, N>(d: Decision, grant: Option<&GrantInfo<A, N>>) -> Self {
		let name = |v: &dyn erased::Named| v.name();
		match d {
			Decision::Permit(b) => {
				let (grant, emergency) = match b {
					PermitBasis::Grant(g) => (Some(g), None),
					PermitBasis::Emergency(e) => (None, Some(e)),
					_ => (None, None),
				};
				DecisionJson {
					permit: true,
					basis: Some(name(&b)),
					reason: None,
					grant,
					emergency,
					explanation: None,
				}
			},
			Decision::Deny(r) => DecisionJson {
				permit: false,
				basis: None,
				reason: Some(name(&r)),
				grant: denied_grant(r),
				emergency: None,
				explanation: Some(explain(r, grant)),
			},
		}
	}
}

impl From<Decision> for DecisionJson {
	/// Without the named grant at hand: the explanation gives no dates.
	fn from(d: Decision) -> Self {
		DecisionJson::with_grant(d, None::<&GrantInfo<(), ()>>)
	}
}

/// The grant a denial names: the one that came closest to permitting.
pub fn denied_grant(r: DenyReason) -> Option<GrantId> {
	match r {
		DenyReason::Revoked(g)
		| DenyReason::NotYetValid(g)
		| DenyReason::Expired(g)
		| DenyReason::RoleNotCovered(g)
		| DenyReason::PurposeNotGranted(g)
		| DenyReason::ActionNotGranted(g)
		| DenyReason::OutOfScope(g)
		| DenyReason::CategoryExcluded(g) => Some(g),
		DenyReason::PatientNotFound
		| DenyReason::RecordNotFound
		| DenyReason::RecordOfAnotherPatient
		| DenyReason::RecordDeleted
		| DenyReason::NotStaff
		| DenyReason::StaffNotActive
		| DenyReason::NoGrant => None,
	}
}

/// A denial in words for a person, as a clause that `refused: ` can precede ("the patient
/// revoked grant #3 on 2026-11-25 14:00 UTC"). `grant` is the grant the reason names, read at
/// the block decided, if at hand: the words then say when it was revoked, ended or starts, and
/// which purposes or actions it allows. A grant of another number is not used.
pub fn explain<A: PartialEq, N>(reason: DenyReason, grant: Option<&GrantInfo<A, N>>) -> String {
	let g = grant.filter(|g| denied_grant(reason) == Some(g.id));
	match reason {
		DenyReason::PatientNotFound => "the account asked about is not a registered patient".into(),
		DenyReason::RecordNotFound => "there is no such record".into(),
		DenyReason::RecordOfAnotherPatient => "the record is another patient's".into(),
		DenyReason::RecordDeleted => "the record was deleted and its document destroyed".into(),
		DenyReason::NotStaff => "the requester is not hospital staff, nor the patient or someone \
			who acts for the patient"
			.into(),
		DenyReason::StaffNotActive => "the requester may not act as staff now: suspended, no \
			longer employed or past their validity, or their hospital is not active"
			.into(),
		DenyReason::NoGrant => {
			"the patient has given no grant to the requester or their hospital".into()
		},
		DenyReason::Revoked(id) => match g.and_then(|g| g.revoked.as_ref().map(|r| (g, r))) {
			Some((g, r)) if r.by == g.patient => {
				format!("the patient revoked grant #{id} on {}", when(r.at))
			},
			Some((_, r)) => format!(
				"a delegate or guardian of the patient revoked grant #{id} on {}",
				when(r.at)
			),
			None => format!("the patient's grant #{id} was revoked"),
		},
		DenyReason::NotYetValid(id) => match g {
			Some(g) => format!("grant #{id} starts on {}", when(g.starts)),
			None => format!("grant #{id} is not valid yet"),
		},
		DenyReason::Expired(id) => match g {
			Some(g) => format!("grant #{id} ended on {}", when(g.ends)),
			None => format!("grant #{id} has ended"),
		},
		DenyReason::RoleNotCovered(id) => format!(
			"grant #{id} is to the requester's hospital and does not cover their role (it covers \
			 doctors, nurses and lab staff, and administrators for payment)"
		),
		DenyReason::PurposeNotGranted(id) => match g {
			Some(g) => format!(
				"grant #{id} does not allow this purpose, only {}",
				or_list(g.purposes.iter().map(|p| purpose_words(*p)))
			),
			None => format!("grant #{id} does not allow this purpose"),
		},
		DenyReason::ActionNotGranted(id) => match g {
			Some(g) => format!(
				"grant #{id} does not allow this action, only {}",
				or_list(g.actions.iter().map(|a| action_words(*a)))
			),
			None => format!("grant #{id} does not allow this action"),
		},
		DenyReason::OutOfScope(id) => format!("grant #{id} does not cover this record or category"),
		DenyReason::CategoryExcluded(id) => {
			format!("grant #{id} excludes this category of records")
		},
	}
}

/// A purpose in words.
fn purpose_words(p: Purpose) -> &'static str {
	match p {
		Purpose::Treatment => "treatment",
		Purpose::EmergencyTreatment => "emergency treatment",
		Purpose::Payment => "payment",
		Purpose::Research => "research",
	}
}

/// An action in words.
fn action_words(a: Action) -> &'static str {
	match a {
		Action::Read => "reading documents",
		Action::ProposeAmendment => "proposing amendments",
	}
}

/// `a`, `a or b`, `a, b or c`.
fn or_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
	let items: Vec<&str> = items.collect();
	match items.split_last() {
		None => String::new(),
		Some((last, [])) => last.to_string(),
		Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
	}
}

/// ms since the Unix epoch as a person reads a time: `2026-11-25 14:00 UTC`.
fn when(ms: u64) -> String {
	let iso = iso8601(ms);
	match iso.split_once('T') {
		Some((date, time)) => format!("{date} {} UTC", time.get(..5).unwrap_or(time)),
		None => iso,
	}
}

/// Variant names of the decision enums, as their serde form prints them.
mod erased {
	/// An enum whose variant name is its camelCase serde tag.
	pub trait Named {
		/// The variant's name.
		fn name(&self) -> String;
	}
	fn tag(v: serde_json::Value) -> String {
		match v {
			serde_json::Value::String(s) => s,
			serde_json::Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
			other => other.to_string(),
		}
	}
	impl Named for super::PermitBasis {
		fn name(&self) -> String {
			tag(serde_json::to_value(self).unwrap_or_default())
		}
	}
	impl Named for super::DenyReason {
		fn name(&self) -> String {
			tag(serde_json::to_value(self).unwrap_or_default())
		}
	}
}

/// A grant in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GrantJson {
	/// The grant's number (per patient).
	pub id: GrantId,
	/// The patient (SS58).
	pub patient: String,
	/// `active`, `notYetValid`, `expired` or `revoked`, at the block's time.
	pub status: GrantStatus,
	/// `{"staff": SS58}` or `{"hospital": id}`.
	pub grantee: Grantee<String>,
	/// `"allRecords"`, `{"categories": [...]}` or `{"records": [...]}`.
	pub scope: Scope<Vec<RecordId>>,
	/// Categories never covered.
	pub excluded: Vec<Category>,
	/// Allowed purposes.
	pub purposes: Vec<Purpose>,
	/// Allowed actions.
	pub actions: Vec<Action>,
	/// Start of validity (ms), inclusive.
	pub starts: u64,
	/// End of validity (ms), exclusive.
	pub ends: u64,
	/// Who granted (SS58).
	pub granted_by: String,
	/// Block of grant.
	pub granted_in: u64,
	/// Who revoked (SS58), if revoked.
	pub revoked_by: Option<String>,
	/// When revoked (ms), if revoked.
	pub revoked_at: Option<u64>,
}

/// An emergency access in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EmergencyJson {
	/// Its number.
	pub id: u64,
	/// The patient (SS58).
	pub patient: String,
	/// The doctor (SS58).
	pub doctor: String,
	/// The doctor's hospital.
	pub hospital: HospitalId,
	/// Reason code.
	pub reason: EmergencyReason,
	/// The note (UTF-8, lossy).
	pub note: String,
	/// Opened at (ms).
	pub opened_at: u64,
	/// Ends at (ms, exclusive).
	pub expires_at: u64,
	/// Block of declaration.
	pub opened_in: u64,
	/// Whether access is still open.
	pub open: bool,
}

/// `ehr_*` methods of consent.
#[rpc(client, server)]
pub trait ConsentRpc<BlockHash, AccountId> {
	/// The access decision: may `accessor` do `action` on `target` (`{"record": id}` or
	/// `{"category": "labResult"}`) of `patient` for `purpose`, at `time` (ms; the block's
	/// time if null)?
	#[method(name = "ehr_decide")]
	fn decide(
		&self,
		accessor: AccountId,
		patient: AccountId,
		target: Target,
		purpose: Purpose,
		action: Action,
		time: Option<u64>,
		at: Option<BlockHash>,
	) -> RpcResult<DecisionJson>;

	/// The patient's grants kept in state, newest first.
	#[method(name = "ehr_grants")]
	fn grants(&self, patient: AccountId, at: Option<BlockHash>) -> RpcResult<Vec<GrantJson>>;

	/// One grant as a FHIR R4 `Consent` resource, or null.
	#[method(name = "ehr_consentFhir")]
	fn consent_fhir(
		&self,
		patient: AccountId,
		id: GrantId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<Value>>;

	/// Emergency accesses to the patient's records waiting for review, newest first.
	#[method(name = "ehr_emergencies")]
	fn emergencies(
		&self,
		patient: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<EmergencyJson>>;

	/// A hospital's emergency accesses waiting for review, oldest first.
	#[method(name = "ehr_reviewQueue")]
	fn review_queue(
		&self,
		hospital: HospitalId,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<EmergencyJson>>;

	/// Free consent operations the patient has left in the current window.
	#[method(name = "ehr_freeConsentOps")]
	fn free_consent_ops(&self, patient: AccountId, at: Option<BlockHash>) -> RpcResult<u32>;
}

/// Implementation of [`ConsentRpcServer`] over a client with the runtime API.
pub struct Consent<C, B> {
	client: Arc<C>,
	_marker: std::marker::PhantomData<B>,
}

impl<C, B> Consent<C, B> {
	/// A handler reading through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _marker: Default::default() }
	}
}

fn runtime_error(e: impl std::fmt::Debug) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, "runtime API call failed", Some(format!("{e:?}")))
}

/// A grant in JSON.
pub fn grant_json<A: Ss58Codec, N: Into<u64>>(g: GrantInfo<A, N>) -> GrantJson {
	let (revoked_by, revoked_at) = match g.revoked {
		Some(r) => (Some(r.by.to_ss58check()), Some(r.at)),
		None => (None, None),
	};
	GrantJson {
		id: g.id,
		patient: g.patient.to_ss58check(),
		status: g.status,
		grantee: match g.grantee {
			Grantee::Staff(a) => Grantee::Staff(a.to_ss58check()),
			Grantee::Hospital(h) => Grantee::Hospital(h),
		},
		scope: g.scope,
		excluded: g.excluded,
		purposes: g.purposes,
		actions: g.actions,
		starts: g.starts,
		ends: g.ends,
		granted_by: g.granted_by.to_ss58check(),
		granted_in: g.granted_in.into(),
		revoked_by,
		revoked_at,
	}
}

fn emergency_json<A: Ss58Codec, N: Into<u64>>(e: EmergencyInfo<A, N>) -> EmergencyJson {
	EmergencyJson {
		id: e.id,
		patient: e.patient.to_ss58check(),
		doctor: e.doctor.to_ss58check(),
		hospital: e.hospital,
		reason: e.reason,
		note: String::from_utf8_lossy(&e.note).into_owned(),
		opened_at: e.opened_at,
		expires_at: e.expires_at,
		opened_in: e.opened_in.into(),
		open: e.open,
	}
}

/// ms since the Unix epoch as an ISO 8601 UTC instant (`2026-11-25T12:00:00.000Z`).
pub fn iso8601(ms: u64) -> String {
	let secs = ms / 1000;
	let days = (secs / 86_400) as i64;
	let rem = secs % 86_400;
	// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z.rem_euclid(146_097);
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let d = doy - (153 * mp + 2) / 5 + 1;
	let m = if mp < 10 { mp + 3 } else { mp - 9 };
	let y = yoe + era * 400 + i64::from(m <= 2);
	format!(
		"{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
		rem / 3600,
		rem % 3600 / 60,
		rem % 60,
		ms % 1000
	)
}

/// FHIR R4 `Bundle` of type `collection` holding `(fullUrl, resource)` entries, in order.
///
/// It has no `total`, which R4 allows only on a search or history bundle (invariant bdl-1), and
/// no `entry` when there is nothing to hold: FHIR's JSON has no empty arrays.
pub fn collection_bundle(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
	let entries: Vec<Value> = entries
		.into_iter()
		.map(|(full_url, resource)| json!({ "fullUrl": full_url, "resource": resource }))
		.collect();
	let mut bundle = json!({ "resourceType": "Bundle", "type": "collection" });
	if !entries.is_empty() {
		bundle["entry"] = Value::Array(entries);
	}
	bundle
}

const ACCOUNT_SYSTEM: &str = "urn:ehr-chain:account";
const HOSPITAL_SYSTEM: &str = "urn:ehr-chain:hospital";
const RECORD_SYSTEM: &str = "urn:ehr-chain:record";
const CATEGORY_SYSTEM: &str = "urn:ehr-chain:category";

fn category_codes(cs: &[Category]) -> Vec<Value> {
	cs.iter()
		.map(|c| {
			let code = serde_json::to_value(c).unwrap_or_default();
			json!({ "system": CATEGORY_SYSTEM, "code": code })
		})
		.collect()
}

/// A grant as a FHIR R4 `Consent` resource (patient-privacy scope, opt-in policy, one permit
/// provision with a nested deny provision for excluded categories). Revoked and expired grants
/// are `inactive`.
pub fn consent_fhir<A: Ss58Codec, N>(g: &GrantInfo<A, N>) -> Value {
	let patient = g.patient.to_ss58check();
	let status = match g.status {
		GrantStatus::Active | GrantStatus::NotYetValid => "active",
		GrantStatus::Expired | GrantStatus::Revoked => "inactive",
	};
	let actor_ref = match &g.grantee {
		Grantee::Staff(a) => {
			json!({ "identifier": { "system": ACCOUNT_SYSTEM, "value": a.to_ss58check() } })
		},
		Grantee::Hospital(h) => {
			json!({ "identifier": { "system": HOSPITAL_SYSTEM, "value": h.to_string() } })
		},
	};
	let mut provision = json!({
		"type": "permit",
		"period": { "start": iso8601(g.starts), "end": iso8601(g.ends) },
		"actor": [{
			"role": { "coding": [{
				"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
				"code": "PRCP",
				"display": "primary information recipient"
			}] },
			"reference": actor_ref
		}],
		"action": g.actions.iter().map(|a| json!({ "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/consentaction",
			"code": a.code()
		}] })).collect::<Vec<_>>(),
		"purpose": g.purposes.iter().map(|p| json!({
			"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
			"code": p.code()
		})).collect::<Vec<_>>(),
	});
	match &g.scope {
		Scope::AllRecords => {},
		Scope::Categories(cs) => provision["class"] = Value::Array(category_codes(cs)),
		Scope::Records(ids) => {
			provision["data"] = Value::Array(
				ids.iter()
					.map(|id| {
						json!({
							"meaning": "dependents",
							"reference": { "identifier": { "system": RECORD_SYSTEM, "value": id.to_string() } }
						})
					})
					.collect(),
			)
		},
	}
	if !g.excluded.is_empty() {
		provision["provision"] = json!([{ "type": "deny", "class": category_codes(&g.excluded) }]);
	}
	let mut consent = json!({
		"resourceType": "Consent",
		"id": format!("{patient}-{}", g.id),
		"identifier": [{ "system": "urn:ehr-chain:consent", "value": format!("{patient}/{}", g.id) }],
		"status": status,
		"scope": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/consentscope",
			"code": "patient-privacy"
		}] },
		"category": [{ "coding": [{
			"system": "http://loinc.org",
			"code": "59284-0",
			"display": "Patient Consent"
		}] }],
		"patient": { "identifier": { "system": ACCOUNT_SYSTEM, "value": patient } },
		"performer": [{ "identifier": { "system": ACCOUNT_SYSTEM, "value": g.granted_by.to_ss58check() } }],
		"policyRule": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
			"code": "OPTIN"
		}] },
		"provision": provision,
	});
	if let Some(r) = &g.revoked {
		consent["extension"] = json!([{
			"url": "urn:ehr-chain:consent-revoked",
			"extension": [
				{ "url": "by", "valueIdentifier": { "system": ACCOUNT_SYSTEM, "value": r.by.to_ss58check() } },
				{ "url": "at", "valueDateTime": iso8601(r.at) }
			]
		}]);
	}
	consent
}

impl<C, B, AccountId> ConsentRpcServer<<B as BlockT>::Hash, AccountId> for Consent<C, B>
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
	fn decide(
		&self,
		accessor: AccountId,
		patient: AccountId,
		target: Target,
		purpose: Purpose,
		action: Action,
		time: Option<u64>,
		at: Option<B::Hash>,
	) -> RpcResult<DecisionJson> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let d = self
			.client
			.runtime_api()
			.decide(at, accessor, patient.clone(), target, purpose, action, time)
			.map_err(runtime_error)?;
		// The grant a denial names, read at the same block: its dates and what it allows.
		let grant = match d {
			Decision::Deny(r) => match denied_grant(r) {
				Some(id) => {
					self.client.runtime_api().grant(at, patient, id).map_err(runtime_error)?
				},
				None => None,
			},
			Decision::Permit(_) => None,
		};
		Ok(DecisionJson::with_grant(d, grant.as_ref()))
	}

	fn grants(&self, patient: AccountId, at: Option<B::Hash>) -> RpcResult<Vec<GrantJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let g = self.client.runtime_api().grants(at, patient).map_err(runtime_error)?;
		Ok(g.into_iter().map(grant_json).collect())
	}

	fn consent_fhir(
		&self,
		patient: AccountId,
		id: GrantId,
		at: Option<B::Hash>,
	) -> RpcResult<Option<Value>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let g = self.client.runtime_api().grant(at, patient, id).map_err(runtime_error)?;
		Ok(g.map(|g| consent_fhir(&g)))
	}

	fn emergencies(
		&self,
		patient: AccountId,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<EmergencyJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let e = self.client.runtime_api().emergencies(at, patient).map_err(runtime_error)?;
		Ok(e.into_iter().map(emergency_json).collect())
	}

	fn review_queue(
		&self,
		hospital: HospitalId,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<EmergencyJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let e = self.client.runtime_api().review_queue(at, hospital).map_err(runtime_error)?;
		Ok(e.into_iter().map(emergency_json).collect())
	}

	fn free_consent_ops(&self, patient: AccountId, at: Option<B::Hash>) -> RpcResult<u32> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client.runtime_api().free_ops_left(at, patient).map_err(runtime_error)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_consent::Revocation;
	use sp_core::crypto::AccountId32;
	use sp_keyring::Sr25519Keyring;

	#[test]
	fn iso8601_dates() {
		assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
		assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
		assert_eq!(iso8601(1_795_615_200_123), "2026-11-25T14:00:00.123Z");
	}

	#[test]
	fn a_collection_bundle_has_no_total_and_no_empty_entry() {
		let b = collection_bundle([("urn:x:1".to_string(), json!({ "resourceType": "Basic" }))]);
		assert_eq!(b["type"], "collection");
		assert_eq!(b["entry"][0]["fullUrl"], "urn:x:1");
		assert_eq!(b["entry"][0]["resource"]["resourceType"], "Basic");
		assert!(b.get("total").is_none());
		let empty = collection_bundle(Vec::new());
		assert_eq!(empty, json!({ "resourceType": "Bundle", "type": "collection" }));
	}

	#[test]
	fn decisions_in_json() {
		let d: DecisionJson = Decision::Permit(PermitBasis::Grant(3)).into();
		assert_eq!(
			d,
			DecisionJson {
				permit: true,
				basis: Some("grant".into()),
				reason: None,
				grant: Some(3),
				emergency: None,
				explanation: None,
			}
		);
		let d: DecisionJson = Decision::Deny(DenyReason::CategoryExcluded(2)).into();
		assert_eq!(
			(d.permit, d.reason.as_deref(), d.grant),
			(false, Some("categoryExcluded"), Some(2))
		);
		let d: DecisionJson = Decision::Deny(DenyReason::NoGrant).into();
		assert_eq!((d.reason.as_deref(), d.grant), (Some("noGrant"), None));
		assert_eq!(
			d.explanation.as_deref(),
			Some("the patient has given no grant to the requester or their hospital")
		);
		let d: DecisionJson = Decision::Permit(PermitBasis::Patient).into();
		assert_eq!(d.basis.as_deref(), Some("patient"));
	}

	/// Grant 4 of Alice to Bob: lab results for treatment reads, on 1970-01-01 (ms 0 to 1 day).
	fn grant_4(revoked_by: Option<AccountId32>) -> GrantInfo<AccountId32, u32> {
		let alice: AccountId32 = Sr25519Keyring::Alice.to_account_id();
		GrantInfo {
			patient: alice.clone(),
			id: 4,
			status: GrantStatus::Active,
			grantee: Grantee::Staff(Sr25519Keyring::Bob.to_account_id()),
			scope: Scope::Categories(vec![Category::LabResult].try_into().unwrap()),
			excluded: vec![],
			purposes: vec![Purpose::Treatment, Purpose::EmergencyTreatment],
			actions: vec![Action::Read],
			starts: 0,
			ends: 86_400_000,
			granted_by: alice,
			granted_in: 7,
			revoked: revoked_by.map(|by| Revocation { by, at: 3_600_000, in_block: 9 }),
		}
	}

	#[test]
	fn denials_in_words_with_what_the_grant_says() {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let words = |r, g: &GrantInfo<AccountId32, u32>| {
			DecisionJson::with_grant(Decision::Deny(r), Some(g)).explanation.unwrap()
		};
		let by_patient = grant_4(Some(alice));
		assert_eq!(
			words(DenyReason::Revoked(4), &by_patient),
			"the patient revoked grant #4 on 1970-01-01 01:00 UTC"
		);
		assert_eq!(
			words(DenyReason::Revoked(4), &grant_4(Some(charlie))),
			"a delegate or guardian of the patient revoked grant #4 on 1970-01-01 01:00 UTC"
		);
		let g = grant_4(None);
		assert_eq!(words(DenyReason::Expired(4), &g), "grant #4 ended on 1970-01-02 00:00 UTC");
		assert_eq!(
			words(DenyReason::NotYetValid(4), &g),
			"grant #4 starts on 1970-01-01 00:00 UTC"
		);
		assert_eq!(
			words(DenyReason::PurposeNotGranted(4), &g),
			"grant #4 does not allow this purpose, only treatment or emergency treatment"
		);
		assert_eq!(
			words(DenyReason::ActionNotGranted(4), &g),
			"grant #4 does not allow this action, only reading documents"
		);
		// Another grant's details are not used; without any, the words give no dates.
		assert_eq!(
			words(DenyReason::Revoked(5), &by_patient),
			"the patient's grant #5 was revoked"
		);
		let d: DecisionJson = Decision::Deny(DenyReason::Expired(4)).into();
		assert_eq!(d.explanation.as_deref(), Some("grant #4 has ended"));
		// Every reason has words.
		for r in [
			DenyReason::PatientNotFound,
			DenyReason::RecordNotFound,
			DenyReason::RecordOfAnotherPatient,
			DenyReason::RecordDeleted,
			DenyReason::NotStaff,
			DenyReason::StaffNotActive,
			DenyReason::NoGrant,
			DenyReason::RoleNotCovered(4),
			DenyReason::OutOfScope(4),
			DenyReason::CategoryExcluded(4),
		] {
			assert!(!words(r, &g).is_empty(), "{r:?}");
		}
	}

	#[test]
	fn a_grant_as_a_fhir_consent() {
		let alice: AccountId32 = Sr25519Keyring::Alice.to_account_id();
		let bob: AccountId32 = Sr25519Keyring::Bob.to_account_id();
		let g = GrantInfo::<AccountId32, u32> {
			patient: alice.clone(),
			id: 4,
			status: GrantStatus::Revoked,
			grantee: Grantee::Staff(bob.clone()),
			scope: Scope::Categories(vec![Category::LabResult].try_into().unwrap()),
			excluded: vec![Category::MentalHealth],
			purposes: vec![Purpose::Treatment],
			actions: vec![Action::Read],
			starts: 0,
			ends: 86_400_000,
			granted_by: alice.clone(),
			granted_in: 7,
			revoked: Some(Revocation { by: alice.clone(), at: 3_600_000, in_block: 9 }),
		};
		let c = consent_fhir(&g);
		assert_eq!(c["resourceType"], "Consent");
		assert_eq!(c["status"], "inactive");
		assert_eq!(c["patient"]["identifier"]["value"], alice.to_ss58check());
		let p = &c["provision"];
		assert_eq!(p["type"], "permit");
		assert_eq!(p["period"]["end"], "1970-01-02T00:00:00.000Z");
		assert_eq!(p["actor"][0]["reference"]["identifier"]["value"], bob.to_ss58check());
		assert_eq!(p["purpose"][0]["code"], "TREAT");
		assert_eq!(p["action"][0]["coding"][0]["code"], "access");
		assert_eq!(p["class"][0]["code"], "labResult");
		assert_eq!(p["provision"][0]["type"], "deny");
		assert_eq!(p["provision"][0]["class"][0]["code"], "mentalHealth");
		assert_eq!(c["extension"][0]["extension"][1]["valueDateTime"], "1970-01-01T01:00:00.000Z");
		let j = grant_json(g);
		assert_eq!(j.revoked_by, Some(alice.to_ss58check()));
		assert_eq!(serde_json::to_value(&j.grantee).unwrap()["staff"], bob.to_ss58check());
	}
}

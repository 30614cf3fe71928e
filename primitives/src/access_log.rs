//! The access log's words: why access is wanted, what an entry says happened and what it refers
//! to, and the sink through which the other pallets append entries inside their own calls.

use crate::{EmergencyId, GrantId, HospitalId, RecordId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// Why access is wanted (HL7 v3 PurposeOfUse): what consent grants allow and what the log
/// records.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Purpose {
	/// Treatment (TREAT).
	Treatment,
	/// Emergency treatment (ETREAT): also the purpose of break-glass access.
	EmergencyTreatment,
	/// Payment and insurance (HPAYMT).
	Payment,
	/// Research (HRESCH).
	Research,
}

impl Purpose {
	/// The HL7 v3 ActReason code.
	pub fn code(self) -> &'static str {
		match self {
			Purpose::Treatment => "TREAT",
			Purpose::EmergencyTreatment => "ETREAT",
			Purpose::Payment => "HPAYMT",
			Purpose::Research => "HRESCH",
		}
	}
}

/// What happened.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum LogAction {
	/// A record was anchored.
	RecordAdded,
	/// A record was amended (a new version supersedes it).
	RecordAmended,
	/// A record was withdrawn as entered in error.
	RecordEnteredInError,
	/// A record was deleted (tombstone; the document is to be destroyed).
	RecordDeleted,
	/// The patient granted access.
	ConsentGranted,
	/// The patient revoked a grant.
	ConsentRevoked,
	/// A doctor opened emergency access.
	EmergencyOpened,
	/// The doctor ended emergency access early.
	EmergencyEnded,
	/// A privacy officer reviewed an emergency access.
	EmergencyReviewed {
		/// The officer's verdict.
		justified: bool,
	},
	/// A custodian's gateway served a document (naming no request).
	///
	/// Nothing in the entry shows that the accessor asked; see [`LogAction::DocumentServed`].
	DocumentRead,
	/// A custodian's gateway refused a document.
	ReadDenied,
	/// The custodian destroyed a deleted record's document and its key.
	DocumentErased,
	/// A hospital verified the patient against its own records (the subject is the staff
	/// member who did); from then on it may record guardians for the patient.
	PatientVerified,
	/// The patient appointed a delegate (the subject).
	DelegateAppointed,
	/// The patient removed a delegate (the subject).
	DelegateRemoved,
	/// A hospital that verified the patient recorded a guardian (the subject).
	GuardianRecorded,
	/// The patient or another guardian contested a guardianship (of the subject).
	GuardianContested,
	/// A review upheld a contested guardianship (of the subject).
	GuardianUpheld,
	/// A guardianship (of the subject) ended: by the recording hospital or a review, or by the
	/// council (`by_council`).
	GuardianRemoved {
		/// Whether the council ended it.
		by_council: bool,
	},
	/// A custodian's gateway served a document on a request the accessor signed.
	///
	/// `request` is the hash of that signed request (`ehr_client::gateway::request_hash`), which
	/// the gateway keeps and hands to the patient, so that the patient can check that the
	/// accessor asked.
	DocumentServed {
		/// Hash of the signed request the gateway served.
		request: H256,
	},
}

impl LogAction {
	/// Whether this is somebody looking (or trying to look) at the patient's records: what
	/// "who accessed my records" shows.
	pub fn is_access(self) -> bool {
		matches!(
			self,
			LogAction::DocumentRead
				| LogAction::DocumentServed { .. }
				| LogAction::ReadDenied
				| LogAction::EmergencyOpened
		)
	}

	/// The hash of the signed request a served read names, if this is one
	/// ([`LogAction::DocumentServed`]).
	pub fn request(self) -> Option<H256> {
		match self {
			LogAction::DocumentServed { request } => Some(request),
			_ => None,
		}
	}
}

/// What an entry refers to.
#[derive(
	Clone,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Subject<AccountId> {
	/// A record (version) of the patient.
	Record(RecordId),
	/// A grant of the patient (numbered per patient).
	Grant(GrantId),
	/// An emergency access.
	Emergency(EmergencyId),
	/// A delegate or guardian of the patient: who was given, contested or lost the power to
	/// act for them.
	Party(AccountId),
}

impl<AccountId> Subject<AccountId> {
	/// The same subject with the party's account mapped by `f` (e.g. to SS58 for JSON).
	pub fn map<B>(self, f: impl FnOnce(AccountId) -> B) -> Subject<B> {
		match self {
			Subject::Record(id) => Subject::Record(id),
			Subject::Grant(n) => Subject::Grant(n),
			Subject::Emergency(id) => Subject::Emergency(id),
			Subject::Party(a) => Subject::Party(f(a)),
		}
	}
}

/// Appends entries to patients' logs: what the records and consent pallets call, inside the
/// call that causes the entry (no second extrinsic). The access log implements it.
pub trait AccessLog<AccountId> {
	/// Appends one entry to `patient`'s log, at the current block and time.
	fn append(
		patient: &AccountId,
		actor: &AccountId,
		hospital: Option<HospitalId>,
		action: LogAction,
		subject: Subject<AccountId>,
		purpose: Option<Purpose>,
	);
}

/// Logs nothing (for pallets' unit tests that do not test logging).
impl<AccountId> AccessLog<AccountId> for () {
	fn append(
		_: &AccountId,
		_: &AccountId,
		_: Option<HospitalId>,
		_: LogAction,
		_: Subject<AccountId>,
		_: Option<Purpose>,
	) {
	}
}

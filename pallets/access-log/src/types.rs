//! Types of the access log. An entry names pseudonymous accounts, hospital numbers, record,
//! grant and emergency numbers, and codes: no health data.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use pallet_hospital_registry::{HospitalId, Moment};
use scale_info::TypeInfo;
use sp_core::H256;

/// Domain separator of entry hashes: `blake2_256(ENTRY_DOMAIN ++ SCALE(entry))`.
pub const ENTRY_DOMAIN: &[u8] = b"ehr-chain/access-log/entry/v1";
/// Domain separator of the global head: `blake2_256(GLOBAL_DOMAIN ++ previous ++ entry hash)`.
pub const GLOBAL_DOMAIN: &[u8] = b"ehr-chain/access-log/global/v1";

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
	Record(u64),
	/// A grant of the patient (numbered per patient).
	Grant(u32),
	/// An emergency access.
	Emergency(u64),
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

/// One entry of a patient's log.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct LogEntry<AccountId, BlockNumber> {
	/// Position in the patient's log, from 0.
	pub seq: u64,
	/// The patient whose records or consent it concerns.
	pub patient: AccountId,
	/// Who acted (read, wrote, granted, ...).
	pub actor: AccountId,
	/// The actor's hospital, if the actor is staff.
	pub hospital: Option<HospitalId>,
	/// What happened.
	pub action: LogAction,
	/// What it refers to.
	pub subject: Subject<AccountId>,
	/// Why, where a purpose applies.
	pub purpose: Option<Purpose>,
	/// The hospital whose gateway served or refused a document (`None`: the chain itself).
	pub source: Option<HospitalId>,
	/// Block of the entry.
	pub block: BlockNumber,
	/// Time of the block (ms since the epoch).
	pub timestamp: Moment,
	/// Hash of the patient's previous entry (zero for the first).
	pub prev: H256,
}

impl<AccountId: Encode, BlockNumber: Encode> LogEntry<AccountId, BlockNumber> {
	/// The entry's hash: `blake2_256(ENTRY_DOMAIN ++ SCALE(entry))`.
	pub fn hash(&self) -> H256 {
		let mut buf = alloc::vec::Vec::with_capacity(ENTRY_DOMAIN.len() + 160);
		buf.extend_from_slice(ENTRY_DOMAIN);
		self.encode_to(&mut buf);
		H256(sp_io::hashing::blake2_256(&buf))
	}
}

/// The head of a log: how many entries, and the hash of the last (zero if none).
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
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
pub struct Head {
	/// Entries appended so far.
	pub count: u64,
	/// Hash of the last entry (per patient), or the running global hash.
	pub last: H256,
}

/// The next global hash after appending an entry with hash `entry`.
pub fn next_global(previous: &H256, entry: &H256) -> H256 {
	let mut buf = [0u8; 64 + GLOBAL_DOMAIN.len()];
	buf[..GLOBAL_DOMAIN.len()].copy_from_slice(GLOBAL_DOMAIN);
	buf[GLOBAL_DOMAIN.len()..GLOBAL_DOMAIN.len() + 32].copy_from_slice(previous.as_bytes());
	buf[GLOBAL_DOMAIN.len() + 32..].copy_from_slice(entry.as_bytes());
	H256(sp_io::hashing::blake2_256(&buf))
}

/// A page of a patient's log as the runtime API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct LogPage<AccountId, BlockNumber> {
	/// The patient's head.
	pub head: Head,
	/// Oldest sequence number still kept in state.
	pub oldest_kept: u64,
	/// The entries asked for that are still kept, newest first, each with its hash.
	pub items: alloc::vec::Vec<(H256, LogEntry<AccountId, BlockNumber>)>,
}

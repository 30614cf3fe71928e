//! Types of the consent pallet, modelled on FHIR R4 `Consent.provision`: who (actor), what
//! (class = record categories, data = records), why (purpose), which actions, and when (period).
//! Nothing here is health data: grants name pseudonymous accounts, hospitals, record ids and
//! category codes.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ehr_primitives::{Category, HospitalId, Moment, RecordId};
use frame_support::{traits::Get, BoundedVec, CloneNoBound, EqNoBound, PartialEqNoBound};
use scale_info::TypeInfo;

/// Grant and emergency numbers, which access-log entries name too.
pub use ehr_primitives::{EmergencyId, GrantId};

/// How many record categories there are: a category set never needs more room.
pub const CATEGORY_COUNT: u32 = 10;

/// A set of record categories (no duplicates).
pub type CategorySet = BoundedVec<Category, frame_support::traits::ConstU32<CATEGORY_COUNT>>;

/// A set of purposes (no duplicates).
pub type PurposeSet = BoundedVec<Purpose, frame_support::traits::ConstU32<4>>;

/// A set of actions (no duplicates).
pub type ActionSet = BoundedVec<Action, frame_support::traits::ConstU32<2>>;

/// Who a grant is for (FHIR `provision.actor`).
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
pub enum Grantee<AccountId> {
	/// One staff member, whatever the role.
	Staff(AccountId),
	/// Every clinical staff member (doctor, nurse, lab) of a hospital, and its administrators
	/// for payment.
	Hospital(HospitalId),
}

/// What a grant covers (FHIR `provision.class` and `provision.data`). `Records` is the list
/// type: `Vec<RecordId>` as a call takes it, a bounded vector as stored.
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
pub enum Scope<Records> {
	/// All of the patient's records, present and future.
	AllRecords,
	/// Records of these categories.
	Categories(CategorySet),
	/// These records (and the later versions that amend them).
	Records(Records),
}

/// A scope as calls take it.
pub type ScopeInput = Scope<alloc::vec::Vec<RecordId>>;

/// Why access is wanted (FHIR `provision.purpose`, HL7 v3 PurposeOfUse): the same codes the
/// access log records.
pub use ehr_primitives::Purpose;

/// What the grantee may do (FHIR `provision.action`).
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
pub enum Action {
	/// Open documents (fetch them from the custodian's gateway).
	Read,
	/// Propose amendments, which the patient still has to approve.
	ProposeAmendment,
}

impl Action {
	/// The FHIR consent action code.
	pub fn code(self) -> &'static str {
		match self {
			Action::Read => "access",
			Action::ProposeAmendment => "correct",
		}
	}
}

/// Who revoked a grant, and when.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Revocation<AccountId, BlockNumber> {
	/// The patient, or the delegate or guardian who acted.
	pub by: AccountId,
	/// When (ms since the epoch): from then on the grant permits nothing.
	pub at: Moment,
	/// Block of revocation.
	pub in_block: BlockNumber,
}

/// A patient's grant of access, as stored.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Debug, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxRecords))]
#[codec(mel_bound(AccountId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct Grant<AccountId, BlockNumber, MaxRecords>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxRecords: Get<u32>,
{
	/// Who may access.
	pub grantee: Grantee<AccountId>,
	/// What is covered.
	pub scope: Scope<BoundedVec<RecordId, MaxRecords>>,
	/// Categories never covered, whatever the scope (e.g. mental health).
	pub excluded: CategorySet,
	/// Why access is allowed.
	pub purposes: PurposeSet,
	/// What may be done.
	pub actions: ActionSet,
	/// Start of validity (ms since the epoch), inclusive.
	pub starts: Moment,
	/// End of validity (ms since the epoch), exclusive.
	pub ends: Moment,
	/// The patient, or the delegate or guardian who granted.
	pub granted_by: AccountId,
	/// Block of grant.
	pub granted_in: BlockNumber,
	/// Set once revoked.
	pub revoked: Option<Revocation<AccountId, BlockNumber>>,
}

/// Where a grant stands at a given time.
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
pub enum GrantStatus {
	/// Valid now.
	Active,
	/// Valid from a later time.
	NotYetValid,
	/// Its period has ended.
	Expired,
	/// Revoked by the patient (or a delegate or guardian).
	Revoked,
}

/// A patient's consent bookkeeping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ConsentAccount<BlockNumber> {
	/// The number the next grant gets.
	pub next_grant: GrantId,
	/// Grants kept in state (active, not yet valid, expired or revoked until removed).
	pub stored: u32,
	/// First block of the current free-operations window.
	pub window_start: BlockNumber,
	/// Consent operations made in that window.
	pub ops_in_window: u32,
}

/// Why a doctor broke the glass.
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
pub enum EmergencyReason {
	/// The patient is unconscious.
	PatientUnconscious,
	/// Life-threatening condition; no time to ask.
	LifeThreatening,
	/// The patient cannot consent (confusion, sedation, ...).
	UnableToConsent,
	/// The patient's delegate or guardian cannot be reached.
	DelegateUnreachable,
	/// Another reason, explained in the note.
	Other,
}

/// A privacy officer's verdict on an emergency access.
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
pub enum ReviewOutcome {
	/// The access was justified.
	Justified,
	/// The access was not justified: the hospital follows up with the doctor.
	NotJustified,
}

/// An emergency (break-glass) access, kept until its hospital's privacy officer reviews it.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Debug, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxNote))]
#[codec(mel_bound(AccountId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct Emergency<AccountId, BlockNumber, MaxNote>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxNote: Get<u32>,
{
	/// The patient whose records were opened.
	pub patient: AccountId,
	/// The doctor who declared it.
	pub doctor: AccountId,
	/// The doctor's hospital, whose privacy officer reviews it.
	pub hospital: HospitalId,
	/// Reason code.
	pub reason: EmergencyReason,
	/// A short note, without health data (it is public).
	pub note: BoundedVec<u8, MaxNote>,
	/// Opened at (ms since the epoch).
	pub opened_at: Moment,
	/// Access ends at (ms since the epoch, exclusive); earlier if the doctor ends it.
	pub expires_at: Moment,
	/// Block of declaration.
	pub opened_in: BlockNumber,
}

/// Use of a per-account allowance within a window of blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct RateWindow<BlockNumber> {
	/// First block of the window.
	pub start: BlockNumber,
	/// Uses in the window.
	pub used: u32,
}

/// What an access decision is about.
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
pub enum Target {
	/// One record (version).
	Record(RecordId),
	/// Records of a category in general.
	Category(Category),
}

/// Why access is permitted.
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
pub enum PermitBasis {
	/// The patient themself.
	Patient,
	/// A delegate or guardian of the patient.
	Delegate,
	/// The author of the record, reading it.
	Author,
	/// The patient's grant with this number.
	Grant(GrantId),
	/// The accessor's open emergency access.
	Emergency(EmergencyId),
}

/// Why access is denied.
///
/// The reasons that name a grant report the grant that came closest to permitting: the one whose
/// checks got furthest, in the order the decision makes them (role, scope, excluded category,
/// purpose, action, period, revocation), the lowest-numbered of those that got equally far.
/// The order of the variants below is their SCALE encoding, not the order of the checks: a new
/// variant goes at the end.
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
pub enum DenyReason {
	/// The account is not a registered patient.
	PatientNotFound,
	/// No such record.
	RecordNotFound,
	/// The record is about another patient.
	RecordOfAnotherPatient,
	/// The record was deleted; its document no longer exists.
	RecordDeleted,
	/// The accessor is not staff (nor the patient, a delegate or guardian).
	NotStaff,
	/// The accessor is staff but may not act now (suspended, ended, expired, or the hospital
	/// is not active).
	StaffNotActive,
	/// No grant names the accessor or their hospital.
	NoGrant,
	/// The closest grant passes every other check but was revoked: it would permit otherwise.
	Revoked(GrantId),
	/// The closest grant covers the access but is not valid yet.
	NotYetValid(GrantId),
	/// The closest grant covers the access but has expired.
	Expired(GrantId),
	/// The closest grant is hospital-wide and does not cover the accessor's role.
	RoleNotCovered(GrantId),
	/// The closest grant covers the record or category but does not allow this purpose.
	PurposeNotGranted(GrantId),
	/// The closest grant covers the record or category and the purpose, but does not allow
	/// this action.
	ActionNotGranted(GrantId),
	/// The closest grant does not cover this record or category.
	OutOfScope(GrantId),
	/// The closest grant covers the record by its scope but excludes its category.
	CategoryExcluded(GrantId),
}

impl DenyReason {
	/// How far a grant got in the decision's checks before this reason stopped it, from 1
	/// (stopped at the first check) to 7 (stopped only by revocation); 0 for the reasons that
	/// name no grant. The decision reports the reason of the grant that got furthest.
	///
	/// The ranks follow the order of the checks in `Pallet::grant_allows`: a hospital-wide
	/// grant's role, the scope, the excluded categories, the purpose, the action, the period,
	/// revocation. A grant is never both not yet valid and expired, so the two share a rank.
	pub(crate) fn nearness(self) -> u8 {
		match self {
			DenyReason::RoleNotCovered(_) => 1,
			DenyReason::OutOfScope(_) => 2,
			DenyReason::CategoryExcluded(_) => 3,
			DenyReason::PurposeNotGranted(_) => 4,
			DenyReason::ActionNotGranted(_) => 5,
			DenyReason::NotYetValid(_) | DenyReason::Expired(_) => 6,
			DenyReason::Revoked(_) => 7,
			DenyReason::PatientNotFound
			| DenyReason::RecordNotFound
			| DenyReason::RecordOfAnotherPatient
			| DenyReason::RecordDeleted
			| DenyReason::NotStaff
			| DenyReason::StaffNotActive
			| DenyReason::NoGrant => 0,
		}
	}
}

/// The answer of [`crate::Pallet::decide`].
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
pub enum Decision {
	/// Access is permitted, on this basis.
	Permit(PermitBasis),
	/// Access is denied, for this reason.
	Deny(DenyReason),
}

impl Decision {
	/// Whether access is permitted.
	pub fn is_permit(&self) -> bool {
		matches!(self, Decision::Permit(_))
	}
}

/// A grant as the runtime API returns it, with its number and status at the time asked.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct GrantInfo<AccountId, BlockNumber> {
	/// The patient who granted.
	pub patient: AccountId,
	/// The grant's number.
	pub id: GrantId,
	/// Status at the time asked.
	pub status: GrantStatus,
	/// Who may access.
	pub grantee: Grantee<AccountId>,
	/// What is covered.
	pub scope: Scope<alloc::vec::Vec<RecordId>>,
	/// Categories never covered.
	pub excluded: alloc::vec::Vec<Category>,
	/// Allowed purposes.
	pub purposes: alloc::vec::Vec<Purpose>,
	/// Allowed actions.
	pub actions: alloc::vec::Vec<Action>,
	/// Start of validity (ms), inclusive.
	pub starts: Moment,
	/// End of validity (ms), exclusive.
	pub ends: Moment,
	/// Who granted.
	pub granted_by: AccountId,
	/// Block of grant.
	pub granted_in: BlockNumber,
	/// Who revoked and when, if revoked.
	pub revoked: Option<Revocation<AccountId, BlockNumber>>,
}

/// An emergency access as the runtime API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct EmergencyInfo<AccountId, BlockNumber> {
	/// Its number.
	pub id: EmergencyId,
	/// The patient.
	pub patient: AccountId,
	/// The doctor.
	pub doctor: AccountId,
	/// The doctor's hospital.
	pub hospital: HospitalId,
	/// Reason code.
	pub reason: EmergencyReason,
	/// The note.
	pub note: alloc::vec::Vec<u8>,
	/// Opened at (ms).
	pub opened_at: Moment,
	/// Ends at (ms, exclusive).
	pub expires_at: Moment,
	/// Block of declaration.
	pub opened_in: BlockNumber,
	/// Whether access is still open at the time asked.
	pub open: bool,
}

//! The hospital registry's words: the roles staff act in, and how the registry reports changes of
//! who acts for a patient.

use crate::HospitalId;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, Weight};

/// What a staff member does. Rights in other pallets follow the role.
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
pub enum StaffRole {
	/// Treats patients; adds and amends records; may declare emergency access.
	Doctor,
	/// Cares for patients; reads under consent.
	Nurse,
	/// Produces results; adds lab records.
	Lab,
	/// Manages staff and patient verification on behalf of the hospital.
	Administrator,
	/// Reviews emergency accesses and the access log.
	PrivacyOfficer,
	/// The hospital's document gateway: logs the reads it serves or refuses, nothing else.
	Gateway,
}

/// A change of who acts, or may come to act, for a patient, as the registry reports it to the
/// access log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelegationChange {
	/// A hospital verified the patient (the party is the staff member who did), which lets it
	/// record guardians for the patient.
	PatientVerified,
	/// The patient appointed a delegate.
	DelegateAppointed,
	/// The patient removed a delegate.
	DelegateRemoved,
	/// A hospital that verified the patient recorded a guardian.
	GuardianRecorded,
	/// The patient or another guardian contested a guardianship.
	GuardianContested,
	/// A review upheld a contested guardianship.
	GuardianUpheld,
	/// The recording hospital or a review ended a guardianship, or the council did
	/// (`by_council`; the actor of record is then the guardian, the council having no
	/// account).
	GuardianRemoved {
		/// Whether the council ended it.
		by_council: bool,
	},
}

/// Where the registry reports changes of who acts for a patient: the patient's access log, so
/// the patient sees who was given (or lost) the power to act for them, and by whom.
pub trait DelegationLog<AccountId> {
	/// Records that `actor` (of `hospital`, if staff) made `change` concerning `party`, the
	/// delegate or guardian, in `patient`'s log.
	fn delegation_changed(
		patient: &AccountId,
		actor: &AccountId,
		hospital: Option<HospitalId>,
		change: DelegationChange,
		party: &AccountId,
	);

	/// Upper bound of the weight of one [`Self::delegation_changed`].
	fn weight() -> Weight;
}

/// Logs nothing (for unit tests that do not test logging).
impl<AccountId> DelegationLog<AccountId> for () {
	fn delegation_changed(
		_: &AccountId,
		_: &AccountId,
		_: Option<HospitalId>,
		_: DelegationChange,
		_: &AccountId,
	) {
	}

	fn weight() -> Weight {
		Weight::zero()
	}
}

/// A staff member fit to act now: the employing hospital (active) and the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActingStaff {
	/// The employing hospital.
	pub hospital: HospitalId,
	/// The role.
	pub role: StaffRole,
}

/// Who an account is to the chain, as the hospital registry knows it: what the other pallets
/// ask of the registry, without its storage or its `Config`.
pub trait Parties<AccountId> {
	/// The hospital and role of `who`, if `who` is active staff of an active hospital, within
	/// the validity of its registration.
	fn active_staff(who: &AccountId) -> Option<ActingStaff>;
	/// As [`Parties::active_staff`], with the registry's own error when `who` is not active staff
	/// (not staff, suspended, employment ended, expired, hospital not active).
	fn ensure_active_staff(who: &AccountId) -> Result<ActingStaff, DispatchError>;
	/// Whether `who` is registered staff of any hospital, active or not (a suspended or former
	/// member included).
	fn is_registered_staff(who: &AccountId) -> bool;
	/// Whether `who` is a registered patient.
	fn is_patient(who: &AccountId) -> bool;
	/// Whether `who` acts for `patient`: the patient, a delegate, or a guardian.
	fn acts_for(who: &AccountId, patient: &AccountId) -> bool;
	/// Whether hospital `id` is active; `None` if there is no such hospital.
	fn hospital_is_active(id: HospitalId) -> Option<bool>;
}

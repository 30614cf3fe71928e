//! The patient records' words: what kind of document a record stands for, and what another pallet
//! may learn of a record without reading the records pallet's storage.

use crate::{HospitalId, RecordId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// What kind of document a record stands for, aligned with FHIR document classes (LOINC
/// document ontology). The category is visible to every node: it is what consent scopes name,
/// so it is kept coarse.
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
pub enum Category {
	/// Progress or consultation note.
	ClinicalNote,
	/// Laboratory result.
	LabResult,
	/// Imaging study or report.
	Imaging,
	/// Prescription.
	Prescription,
	/// Discharge summary.
	DischargeSummary,
	/// Allergy or intolerance.
	Allergy,
	/// Immunization.
	Immunization,
	/// Mental-health document (a category patients often exclude from grants).
	MentalHealth,
	/// Written by the patient.
	PatientReported,
	/// Measured by a patient's device.
	DeviceData,
}

impl Category {
	/// Categories a patient (or delegate) may add about themself; the others are clinical and
	/// come from staff.
	pub fn is_patient_authored(self) -> bool {
		matches!(self, Category::PatientReported | Category::DeviceData)
	}

	/// Categories a laboratory may add.
	pub fn is_lab(self) -> bool {
		matches!(self, Category::LabResult | Category::Imaging)
	}
}

/// What [`RecordLookup`] tells of a record version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordFacts<AccountId> {
	/// The patient the record is about.
	pub patient: AccountId,
	/// The hospital that keeps its document (`None`: the patient keeps it).
	pub custodian: Option<HospitalId>,
	/// Whether the record is a tombstone (its document is to be destroyed).
	pub deleted: bool,
	/// Whether the record anchored its commitment: a record that repeats another's commitment
	/// (possible only before commitments were anchored once) names a document that is not its
	/// own, and is neither served nor erased under it.
	pub anchor: bool,
}

/// How a pallet learns what it needs of a record: implemented by the records pallet, pointed at
/// it by the runtime (the access log's `type Records`).
pub trait RecordLookup<AccountId> {
	/// The record's patient and custodian, whether it is deleted and whether it anchored its
	/// commitment, if it exists.
	fn record_facts(record: RecordId) -> Option<RecordFacts<AccountId>>;
}

/// What [`RecordVersions`] tells of a record version: what an access decision weighs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordVersion<AccountId> {
	/// The patient the record is about.
	pub patient: AccountId,
	/// Who wrote this version: a staff account, or the patient (or a delegate).
	pub author: AccountId,
	/// What kind of document it is.
	pub category: Category,
	/// Whether the record is a tombstone (its document is to be destroyed).
	pub deleted: bool,
	/// The version this one amends.
	pub previous: Option<RecordId>,
}

/// How a pallet learns a record version and the versions it amends, without reading the records
/// pallet's storage: implemented by the records pallet, pointed at it by the runtime (consent's
/// `type Records`).
pub trait RecordVersions<AccountId> {
	/// The version's patient, author, category, whether it is deleted and which version it
	/// amends, if it exists: one read of the record.
	fn record_version(record: RecordId) -> Option<RecordVersion<AccountId>>;

	/// Most versions a record may have: a walk back through `previous` never needs more.
	fn max_history() -> u32;
}

//! Consent: patients' grants and revocations, emergency (break-glass) access, and the one
//! access decision.

use frame_support::traits::ConstU32;

use crate::{BlockNumber, Runtime, RuntimeEvent, DAYS, HOURS};

frame_support::parameter_types! {
	/// A patient's free consent operations are counted per hour.
	pub const FreeOpsWindow: BlockNumber = HOURS;
	/// Emergency access lasts four hours: long enough for an emergency admission, short
	/// enough that a forgotten one closes the same shift.
	pub const EmergencyDuration: u64 = 4 * 60 * 60 * 1000;
	/// A doctor's emergency accesses are counted per day.
	pub const EmergencyRateWindow: BlockNumber = DAYS;
}

impl pallet_consent::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// The hospital registry says who is staff, patient or acting for a patient, and which
	/// hospitals are active.
	type Parties = crate::HospitalRegistry;
	type Time = crate::Timestamp;
	/// 64 grants (active, revoked or expired until removed) per patient: each is read by the
	/// access decision, which must stay fast.
	type MaxGrantsPerPatient = ConstU32<64>;
	/// A record-scoped grant lists at most 32 records.
	type MaxRecordsPerGrant = ConstU32<32>;
	/// 20 free consent operations per patient per hour: far above what a patient does by hand,
	/// far below what would let a patient account fill blocks for free.
	type FreeOpsPerWindow = ConstU32<20>;
	type FreeOpsWindow = FreeOpsWindow;
	type EmergencyDuration = EmergencyDuration;
	/// 5 emergency accesses per doctor per day.
	type MaxEmergenciesPerWindow = ConstU32<5>;
	type EmergencyRateWindow = EmergencyRateWindow;
	/// 256 unreviewed emergency accesses per hospital, then its privacy officers must review.
	type MaxPendingReviews = ConstU32<256>;
	/// A 64-byte note (no health data: it is public), e.g. "ER bay 3, trauma team".
	type MaxNoteLength = ConstU32<64>;
	/// Changes are appended to the patient's hash-linked access log.
	type AccessLog = crate::AccessLog;
	/// The records pallet tells the decision a record's patient, author, category, status and
	/// the versions it amends.
	type Records = crate::PatientRecords;
	type WeightInfo = pallet_consent::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ConsentBenchmarkHelper;
}

/// Makes records for consent's benchmarks, through the records pallet, as the access log's
/// benchmarks do.
#[cfg(feature = "runtime-benchmarks")]
pub struct ConsentBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_consent::BenchmarkHelper<crate::AccountId> for ConsentBenchmarkHelper {
	fn benchmark_record(
		patient: &crate::AccountId,
		doctor: &crate::AccountId,
	) -> pallet_patient_records::RecordId {
		use pallet_access_log::BenchmarkHelper;
		super::AccessLogBenchmarkHelper::benchmark_record(patient, doctor)
	}
}

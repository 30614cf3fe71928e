//! Access log: the hash-linked, per-patient log of record, consent, emergency and read events.

use frame_support::traits::ConstU32;

use crate::{Runtime, RuntimeEvent};

impl pallet_access_log::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// The hospital registry says who is staff, patient or acting for a patient.
	type Parties = crate::HospitalRegistry;
	type Time = crate::Timestamp;
	/// The records pallet tells the log a record's patient, custodian, status and anchor.
	type Records = crate::PatientRecords;
	/// A gateway logs up to 256 read attempts in one `logReads` call: a block's worth of reads
	/// of a busy hospital (its journal drains at least once a block), and, charged for the
	/// refused path of each, far below a block's weight.
	type MaxReadsPerCall = ConstU32<256>;
	type WeightInfo = pallet_access_log::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = AccessLogBenchmarkHelper;
}

/// Makes and deletes records for the access log's benchmarks, through the records pallet.
pub struct AccessLogBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_access_log::BenchmarkHelper<crate::AccountId> for AccessLogBenchmarkHelper {
	fn benchmark_record(
		patient: &crate::AccountId,
		doctor: &crate::AccountId,
	) -> pallet_patient_records::RecordId {
		use pallet_patient_records::{cid, Category, Content, EncryptionScheme};
		let id = pallet_patient_records::NextRecordId::<Runtime>::get();
		// A commitment is anchored once: each benchmark record has its own.
		let digest = sp_io::hashing::blake2_256(&id.to_le_bytes());
		// Benchmark set-up only: the doctor and patient were registered by the benchmark, so
		// this succeeds; if it did not, the benchmark's own check would fail.
		let _ = crate::PatientRecords::add_record(
			crate::RuntimeOrigin::signed(doctor.clone()),
			patient.clone(),
			Category::ClinicalNote,
			Content {
				commitment: sp_core::H256(digest),
				cid: cid::raw_sha2_256(&digest).to_vec(),
				scheme: EncryptionScheme::XChaCha20Poly1305,
				size: 1024,
			},
		);
		id
	}

	fn benchmark_delete(record: pallet_patient_records::RecordId) {
		pallet_patient_records::Records::<Runtime>::mutate(record, |r| {
			if let Some(r) = r {
				r.status = pallet_patient_records::RecordStatus::Deleted;
				r.content.cid = Default::default();
			}
		});
	}
}

//! Access log: the hash-linked, per-patient log of record, consent, emergency and read events.

use frame_support::traits::ConstU32;

use crate::{AccountId, Runtime, RuntimeEvent};

impl pallet_access_log::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// The last 256 entries of each patient stay in state (at most about 50 KB a patient);
	/// older ones are in the `EntryAppended` events and proven by the head.
	type MaxRecentEntries = ConstU32<256>;
	type Records = RecordsOfRuntime;
	type WeightInfo = pallet_access_log::weights::SubstrateWeight<Runtime>;
}

/// The patient records pallet, as the access log looks records up.
pub struct RecordsOfRuntime;

impl pallet_access_log::RecordLookup<AccountId> for RecordsOfRuntime {
	fn record_facts(record: u64) -> Option<pallet_access_log::RecordFacts<AccountId>> {
		pallet_patient_records::Records::<Runtime>::get(record).map(|r| {
			pallet_access_log::RecordFacts {
				anchor: pallet_patient_records::RecordOfCommitment::<Runtime>::get(
					r.content.commitment,
				) == Some(record),
				deleted: r.status == pallet_patient_records::RecordStatus::Deleted,
				patient: r.patient,
				custodian: r.custodian,
			}
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_record(patient: &AccountId, doctor: &AccountId) -> u64 {
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

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_delete(record: u64) {
		pallet_patient_records::Records::<Runtime>::mutate(record, |r| {
			if let Some(r) = r {
				r.status = pallet_patient_records::RecordStatus::Deleted;
				r.content.cid = Default::default();
			}
		});
	}
}

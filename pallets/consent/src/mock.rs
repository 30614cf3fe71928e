//! A mock runtime for the consent unit tests: the real hospital registry and patient records
//! with two hospitals, their staff and three patients. Consent learns of records through the
//! records pallet, as in the runtime (`type Records = PatientRecords`).

use crate as pallet_consent;
use ehr_primitives::StaffRole;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
use sp_runtime::{
	testing::{TestSignature, UintAuthorityId},
	BuildStorage,
};

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Registry = pallet_hospital_registry;
	#[runtime::pallet_index(3)]
	pub type PatientRecords = pallet_patient_records;
	#[runtime::pallet_index(4)]
	pub type Consent = pallet_consent;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = ConstU64<1>;
	type WeightInfo = ();
}

pallet_hospital_registry::impl_mock_config!(Test, Timestamp);

impl pallet_patient_records::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Parties = Registry;
	type Time = Timestamp;
	type Signature = TestSignature;
	type Signer = UintAuthorityId;
	type MaxBatchSize = ConstU32<4>;
	type RecordsPerPage = ConstU32<3>;
	type AmendmentPeriod = ConstU64<10>;
	type WithdrawalPeriod = ConstU64<10>;
	type MaxPendingRequests = ConstU32<2>;
	type MaxHistory = ConstU32<8>;
	type AccessLog = ();
	type WeightInfo = pallet_patient_records::weights::SubstrateWeight<Test>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestSigner;
}

/// Signs as account 5000 with the test signature (signer and message).
#[cfg(feature = "runtime-benchmarks")]
pub struct TestSigner;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_patient_records::BenchmarkHelper<u64, TestSignature> for TestSigner {
	fn signer() -> u64 {
		5000
	}
	fn sign(signer: &u64, message: &[u8]) -> TestSignature {
		TestSignature(*signer, message.to_vec())
	}
}

/// Emergency access lasts 1,000 ms in the tests.
pub const EMERGENCY_MS: u64 = 1_000;

impl pallet_consent::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Parties = Registry;
	type Time = Timestamp;
	type MaxGrantsPerPatient = ConstU32<4>;
	type MaxRecordsPerGrant = ConstU32<3>;
	type FreeOpsPerWindow = ConstU32<3>;
	type FreeOpsWindow = ConstU64<10>;
	type EmergencyDuration = ConstU64<EMERGENCY_MS>;
	type MaxEmergenciesPerWindow = ConstU32<2>;
	type EmergencyRateWindow = ConstU64<100>;
	type MaxPendingReviews = ConstU32<3>;
	type MaxNoteLength = ConstU32<16>;
	type AccessLog = ();
	type Records = PatientRecords;
	type WeightInfo = crate::weights::SubstrateWeight<Test>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkRecords;
}

/// Makes the benchmarks' records through the records pallet, each with its own commitment.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkRecords;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_consent::BenchmarkHelper<u64> for BenchmarkRecords {
	fn benchmark_record(patient: &u64, doctor: &u64) -> ehr_primitives::RecordId {
		use pallet_patient_records::{cid, Category, Content, EncryptionScheme};
		let id = pallet_patient_records::NextRecordId::<Test>::get();
		let digest = sp_io::hashing::blake2_256(&id.to_le_bytes());
		// The benchmark registered the doctor and the patient; its own checks fail if this did.
		let _ = PatientRecords::add_record(
			RuntimeOrigin::signed(*doctor),
			*patient,
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
}

/// Hospital 0 (admin 10): a doctor, a nurse, a lab, an administrator, a privacy officer.
pub const DOCTOR: u64 = 100;
pub const NURSE: u64 = 101;
pub const LAB: u64 = 102;
pub const ADMIN_STAFF: u64 = 103;
pub const OFFICER: u64 = 104;
/// Hospital 1 (admin 20): a doctor and a privacy officer.
pub const OTHER_DOCTOR: u64 = 200;
pub const OTHER_OFFICER: u64 = 201;
/// Registered patients; `PATIENT` has `DELEGATE`.
pub const PATIENT: u64 = 1000;
pub const PATIENT_2: u64 = 1001;
pub const DELEGATE: u64 = 1002;
/// Not registered anywhere.
pub const STRANGER: u64 = 9999;
/// Start of the test clock (ms).
pub const NOW: u64 = 1_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_hospital_registry::GenesisConfig::<Test> {
		hospitals: [10u64, 20]
			.iter()
			.enumerate()
			.map(|(i, a)| {
				(
					format!("Hospital {i}").into_bytes(),
					*a,
					a + 1,
					format!("https://h{i}.example").into_bytes(),
					vec![vec![i as u8, 1]],
				)
			})
			.collect(),
		staff: vec![
			(DOCTOR, 0, StaffRole::Doctor),
			(NURSE, 0, StaffRole::Nurse),
			(LAB, 0, StaffRole::Lab),
			(ADMIN_STAFF, 0, StaffRole::Administrator),
			(OFFICER, 0, StaffRole::PrivacyOfficer),
			(OTHER_DOCTOR, 1, StaffRole::Doctor),
			(OTHER_OFFICER, 1, StaffRole::PrivacyOfficer),
		],
		patients: vec![PATIENT, PATIENT_2, DELEGATE],
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(NOW);
		Registry::appoint_delegate(RuntimeOrigin::signed(PATIENT), DELEGATE).unwrap();
		System::reset_events();
	});
	ext
}

/// Runs a test and then checks the consent invariants.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		Consent::do_try_state().expect("consent invariants hold");
	});
}

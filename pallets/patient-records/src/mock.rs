//! A mock runtime for the records' unit tests: the real hospital registry with two hospitals,
//! their staff and three patients.

use crate as pallet_patient_records;
use ehr_primitives::StaffRole;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
	weights::RuntimeDbWeight,
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
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type DbWeight = MockDbWeight;
}

parameter_types! {
	/// Free database access, as in FRAME's test configuration, unless a test sets a price: the
	/// multi-block migration's tests do, so that a step's budget holds a few records only.
	pub static MockDbWeight: RuntimeDbWeight = RuntimeDbWeight { read: 0, write: 0 };
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
	type WeightInfo = crate::weights::SubstrateWeight<Test>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestSigner;
}

/// Signs as account 5000 with the test signature (signer and message).
#[cfg(feature = "runtime-benchmarks")]
pub struct TestSigner;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64, TestSignature> for TestSigner {
	fn signer() -> u64 {
		5000
	}
	fn sign(signer: &u64, message: &[u8]) -> TestSignature {
		TestSignature(*signer, message.to_vec())
	}
}

/// Hospital 0 (admin 10): a doctor, a nurse, a lab. Hospital 1 (admin 20): a doctor.
pub const DOCTOR: u64 = 100;
pub const NURSE: u64 = 101;
pub const LAB: u64 = 102;
pub const OTHER_DOCTOR: u64 = 200;
/// Registered patients; `PATIENT` has `DELEGATE`.
pub const PATIENT: u64 = 1000;
pub const PATIENT_2: u64 = 1001;
pub const DELEGATE: u64 = 1002;
/// Not registered anywhere.
pub const STRANGER: u64 = 9999;
/// Start of the test clock (ms).
pub const NOW: u64 = 1_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	MockDbWeight::reset();
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
			(OTHER_DOCTOR, 1, StaffRole::Doctor),
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

/// Runs a test and then checks the records' storage invariants.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		PatientRecords::do_try_state().expect("records invariants hold");
	});
}

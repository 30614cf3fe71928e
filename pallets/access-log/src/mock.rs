//! A mock runtime for the access-log unit tests: the real hospital registry with two hospitals
//! (each with a doctor and a gateway account), and records looked up from a test table.

use crate as pallet_access_log;
use ehr_primitives::{HospitalId, RecordId, StaffRole};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
	weights::RuntimeDbWeight,
};
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeMap};

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
	pub type AccessLog = pallet_access_log;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type DbWeight = MockDbWeight;
}

parameter_types! {
	/// Free database access, as in FRAME's test configuration, unless a test sets a price: the
	/// multi-block migration's tests do, so that a step's budget holds a few keys only.
	pub static MockDbWeight: RuntimeDbWeight = RuntimeDbWeight { read: 0, write: 0 };
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = ConstU64<1>;
	type WeightInfo = ();
}

pallet_hospital_registry::impl_mock_config!(Test, Timestamp);

thread_local! {
	/// Records of the test: id -> (patient, custodian, deleted).
	pub static RECORDS: RefCell<BTreeMap<RecordId, crate::RecordFacts<u64>>> =
		const { RefCell::new(BTreeMap::new()) };
}

/// The facts of a test record.
pub fn facts(
	patient: u64,
	custodian: Option<HospitalId>,
	deleted: bool,
) -> crate::RecordFacts<u64> {
	crate::RecordFacts { patient, custodian, deleted, anchor: true }
}

/// Looks records up in [`RECORDS`].
pub struct TestRecords;
impl crate::RecordLookup<u64> for TestRecords {
	fn record_facts(record: RecordId) -> Option<crate::RecordFacts<u64>> {
		RECORDS.with(|r| r.borrow().get(&record).cloned())
	}
}

/// Adds and deletes records in [`RECORDS`] for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for TestRecords {
	fn benchmark_record(patient: &u64, doctor: &u64) -> RecordId {
		let hospital = Registry::active_staff(doctor).ok().map(|s| s.hospital);
		RECORDS.with(|r| {
			let mut r = r.borrow_mut();
			let id = r.keys().last().map_or(0, |k| k + 1);
			r.insert(id, facts(*patient, hospital, false));
			id
		})
	}

	fn benchmark_delete(record: RecordId) {
		RECORDS.with(|r| {
			if let Some(rec) = r.borrow_mut().get_mut(&record) {
				rec.deleted = true;
			}
		})
	}
}

/// Most read attempts a `log_reads` call of the tests logs.
pub const MAX_READS: u32 = 3;

impl pallet_access_log::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Parties = Registry;
	type Time = Timestamp;
	type Records = TestRecords;
	type MaxReadsPerCall = ConstU32<MAX_READS>;
	type WeightInfo = crate::weights::SubstrateWeight<Test>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestRecords;
}

/// Hospital 0 (admin 10): a doctor and a gateway. Hospital 1 (admin 20): a gateway.
pub const DOCTOR: u64 = 100;
pub const GATEWAY: u64 = 101;
pub const OTHER_GATEWAY: u64 = 201;
/// Registered patients.
pub const PATIENT: u64 = 1000;
pub const PATIENT_2: u64 = 1001;
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
			(GATEWAY, 0, StaffRole::Gateway),
			(OTHER_GATEWAY, 1, StaffRole::Gateway),
		],
		patients: vec![PATIENT, PATIENT_2],
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(NOW);
		RECORDS.with(|r| {
			let mut r = r.borrow_mut();
			r.clear();
			r.insert(7, facts(PATIENT, Some(0), false));
			r.insert(8, facts(PATIENT, None, false));
			r.insert(9, facts(PATIENT_2, Some(1), false));
			r.insert(10, facts(PATIENT, Some(0), true));
			// Records that repeat another's commitment (from before commitments were unique).
			r.insert(11, crate::RecordFacts { anchor: false, ..facts(PATIENT, Some(0), false) });
			r.insert(12, crate::RecordFacts { anchor: false, ..facts(PATIENT, Some(0), true) });
		});
	});
	ext
}

/// Runs a test and then checks the log's invariants.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		AccessLog::do_try_state().expect("access-log invariants hold");
	});
}

//! A mock runtime for the registry's unit tests.

use crate as pallet_hospital_registry;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ChangeMembers, ConstU32, ConstU64},
	weights::RuntimeDbWeight,
};
use sp_runtime::BuildStorage;

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
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type DbWeight = MockDbWeight;
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = ConstU64<1>;
	type WeightInfo = ();
}

parameter_types! {
	/// The council as the registry last set it.
	pub static CouncilMembers: Vec<u64> = vec![];
	/// Free database access, as in FRAME's test configuration, unless a test sets a price: the
	/// multi-block migration's tests do, so that a step's budget holds a few entries only.
	pub static MockDbWeight: RuntimeDbWeight = RuntimeDbWeight { read: 0, write: 0 };
}

/// Records the members the registry hands to the council.
pub struct MockCouncil;
impl ChangeMembers<u64> for MockCouncil {
	fn change_members_sorted(_incoming: &[u64], _outgoing: &[u64], new: &[u64]) {
		CouncilMembers::set(new.to_vec());
	}
}

impl pallet_hospital_registry::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type CouncilMembers = MockCouncil;
	type Time = Timestamp;
	type MaxNameLength = ConstU32<16>;
	type MaxUrlLength = ConstU32<32>;
	type MaxNodesPerHospital = ConstU32<2>;
	type MaxPeerIdLength = ConstU32<8>;
	type MaxHospitals = ConstU32<5>;
	type MaxStaffPerHospital = ConstU32<3>;
	type MaxDelegatesPerPatient = ConstU32<2>;
	type MaxVerificationsPerPatient = ConstU32<2>;
	type MinValidators = ConstU32<2>;
	type DelegationLog = MockLog;
	type WeightInfo = crate::weights::SubstrateWeight<Test>;
}

/// One logged change of who acts for a patient: (patient, actor, change, party).
pub type Logged = (u64, u64, crate::DelegationChange, u64);

thread_local! {
	static LOGGED: core::cell::RefCell<Vec<Logged>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Keeps what the registry logs, for [`logged`].
pub struct MockLog;

impl crate::DelegationLog<u64> for MockLog {
	fn delegation_changed(
		patient: &u64,
		actor: &u64,
		_: Option<crate::HospitalId>,
		change: crate::DelegationChange,
		party: &u64,
	) {
		LOGGED.with(|l| l.borrow_mut().push((*patient, *actor, change, *party)));
	}

	fn weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
}

/// What the registry logged since the test began.
pub fn logged() -> Vec<Logged> {
	LOGGED.with(|l| l.borrow().clone())
}

/// Admins are 10, 20, 30; validators 11, 21, 31; nodes `[h, 1]`.
pub const ADMINS: [u64; 3] = [10, 20, 30];
/// Staff of hospital 0: a doctor, a nurse, an administrator.
pub const DOCTOR: u64 = 100;
pub const NURSE: u64 = 101;
pub const CLERK: u64 = 102;
/// A registered patient.
pub const PATIENT: u64 = 200;
/// Start of the test clock (ms).
pub const NOW: u64 = 1_000_000;

/// Three active hospitals (ids 0, 1, 2), staff of hospital 0 and one patient.
pub fn new_test_ext() -> sp_io::TestExternalities {
	use crate::StaffRole::*;
	CouncilMembers::set(vec![]);
	MockDbWeight::reset();
	LOGGED.with(|l| l.borrow_mut().clear());
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_hospital_registry::GenesisConfig::<Test> {
		hospitals: ADMINS
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
		staff: vec![(DOCTOR, 0, Doctor), (NURSE, 0, Nurse), (CLERK, 0, Administrator)],
		patients: vec![PATIENT],
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(NOW);
	});
	ext
}

/// Runs a test and then checks the registry's storage invariants.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		Registry::do_try_state().expect("registry invariants hold");
	});
}

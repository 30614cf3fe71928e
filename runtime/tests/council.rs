//! The hospital council governs the consortium on the real runtime: a two-thirds motion admits
//! a fifth hospital; a minority motion cannot, and neither can a non-member.

use codec::Encode;
use ehr_runtime::{
	AccountId, Council, HospitalRegistry, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, System,
};
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
use sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{self, *};
use sp_runtime::traits::{BlakeTwo256, Hash};

use crate::common;

fn admit_eve() -> RuntimeCall {
	RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::admit_hospital {
		name: b"Eve Clinic".to_vec(),
		admin: Eve.to_account_id(),
		validator: Eve.to_account_id(),
		gateway_url: b"https://eve.example".to_vec(),
		nodes: vec![],
	})
}

/// Proposes `call` from `proposer`, has `ayes` vote for it and `nays` against, then closes it.
fn motion(
	proposer: Sr25519Keyring,
	call: RuntimeCall,
	ayes: &[Sr25519Keyring],
	nays: &[Sr25519Keyring],
) {
	let len = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let hash = BlakeTwo256::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, pallet_collective::Instance1>::get();
	assert_ok!(Council::propose(
		RuntimeOrigin::signed(proposer.to_account_id()),
		3,
		Box::new(call),
		len
	));
	for v in ayes {
		assert_ok!(Council::vote(RuntimeOrigin::signed(v.to_account_id()), hash, index, true));
	}
	for v in nays {
		assert_ok!(Council::vote(RuntimeOrigin::signed(v.to_account_id()), hash, index, false));
	}
	// Closing early is allowed once the outcome is decided; otherwise wait out the motion.
	let decided = ayes.len() >= 3 || nays.len() >= 2;
	if !decided {
		System::set_block_number(
			System::block_number() + ehr_runtime::configs::CouncilMotionDuration::get() + 1,
		);
	}
	assert_ok!(Council::close(
		RuntimeOrigin::signed(proposer.to_account_id()),
		hash,
		index,
		weight,
		len
	));
}

fn admitted() -> bool {
	System::events().iter().any(|r| {
		matches!(
			r.event,
			RuntimeEvent::HospitalRegistry(
				pallet_hospital_registry::Event::HospitalAdmitted { .. }
			)
		)
	})
}

fn council() -> Vec<AccountId> {
	pallet_collective::Members::<Runtime, pallet_collective::Instance1>::get()
}

#[test]
fn two_thirds_of_the_council_admit_a_fifth_hospital() {
	common::genesis_of(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		assert_eq!(council().len(), 4);
		motion(Alice, admit_eve(), &[Alice, Bob, Charlie], &[]);
		assert!(admitted(), "events: {:?}", System::events());
		assert_eq!(
			pallet_hospital_registry::HospitalOfAdmin::<Runtime>::get(Eve.to_account_id()),
			Some(4)
		);
		// The new hospital's admin joins the council and its validator the next validator set.
		assert!(council().contains(&Eve.to_account_id()));
		assert!(HospitalRegistry::active_validators().contains(&Eve.to_account_id()));
	});
}

#[test]
fn a_minority_of_the_council_cannot_admit() {
	common::genesis_of(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		// Two of four in favour: the motion is closed after its time but does not pass.
		motion(Alice, admit_eve(), &[Alice, Bob], &[Charlie]);
		assert!(!admitted());
		assert_eq!(council().len(), 4);
	});
}

#[test]
fn outsiders_and_single_hospitals_cannot_govern() {
	common::genesis_of(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let call = admit_eve();
		let len = call.encoded_size() as u32;
		// Not a council member.
		assert_noop!(
			Council::propose(RuntimeOrigin::signed(Eve.to_account_id()), 3, Box::new(call), len),
			pallet_collective::Error::<Runtime, pallet_collective::Instance1>::NotMember
		);
		// A hospital admin alone, or anyone signed, is not the governance origin; and the
		// shared network has no sudo key.
		assert_noop!(
			HospitalRegistry::admit_hospital(
				RuntimeOrigin::signed(Alice.to_account_id()),
				b"X".to_vec(),
				Eve.to_account_id(),
				Eve.to_account_id(),
				b"https://x".to_vec(),
				vec![]
			),
			sp_runtime::DispatchError::BadOrigin
		);
		assert!(pallet_sudo::Key::<Runtime>::get().is_none());
		// Council membership cannot be set by hand: it follows the registry.
		assert!(Council::set_members(RuntimeOrigin::root(), vec![], None, 0).is_err());
	});
}

#[test]
fn the_council_authorizes_a_runtime_upgrade_that_anyone_may_then_apply() {
	common::genesis_of(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let code_hash = BlakeTwo256::hash(b"the next runtime");
		let call = RuntimeCall::HospitalRegistry(
			pallet_hospital_registry::Call::authorize_runtime_upgrade { code_hash },
		);
		let apply =
			|code: &[u8]| System::apply_authorized_upgrade(RuntimeOrigin::none(), code.to_vec());
		// A minority cannot.
		motion(Alice, call.clone(), &[Alice], &[Bob, Charlie]);
		assert_noop!(apply(b"other code"), frame_system::Error::<Runtime>::NothingAuthorized);
		// Two thirds can.
		motion(Bob, call, &[Bob, Charlie, Dave], &[]);
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::System(frame_system::Event::UpgradeAuthorized { code_hash: h, .. })
				if h == code_hash
		)));
		// Code that does not match the authorized hash is refused.
		assert_noop!(apply(b"other code"), frame_system::Error::<Runtime>::Unauthorized);
	});
}

//! Sessions end only when that changes the validator set or its keys: an unchanged consortium
//! loses no block to rotations (pallet-session charges a whole block for each), and a change
//! still takes effect in two rotations.

use ehr_runtime::{
	configs::{rotation_changes_something, RotateWhenChanged, SessionPeriod},
	AccountId, Grandpa, HospitalRegistry, Runtime, RuntimeOrigin, Session, SessionKeys, System,
};
use frame_support::{assert_ok, traits::OnFinalize};
use pallet_session::ShouldEndSession;
use sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use crate::common;

fn keys_of(k: Sr25519Keyring, g: Ed25519Keyring) -> SessionKeys {
	SessionKeys { aura: k.public().into(), grandpa: g.public().into() }
}

/// Whether the next period boundary ends the session.
fn boundary_rotates() -> bool {
	let period: u32 = SessionPeriod::get();
	let next = (System::block_number() / period + 1) * period;
	// Between boundaries a session never ends.
	assert!(!RotateWhenChanged::should_end_session(next - 1));
	RotateWhenChanged::should_end_session(next)
}

/// What a rotation block does: rotate, then GRANDPA applies the change it scheduled (delay 0)
/// at the end of the block.
fn rotate() {
	Session::rotate_session();
	Grandpa::on_finalize(System::block_number());
	System::set_block_number(System::block_number() + 1);
}

fn validators() -> Vec<AccountId> {
	pallet_session::Validators::<Runtime>::get()
}

#[test]
fn an_unchanged_consortium_does_not_rotate_and_a_change_takes_two_rotations() {
	common::genesis_of(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let founders = validators();
		assert_eq!(founders.len(), 4);
		assert!(!rotation_changes_something(), "the genesis set is active and queued");
		assert!(!boundary_rotates());

		// The consortium admits a fifth hospital: the registry wants its validator.
		let eve = Sr25519Keyring::Eve.to_account_id();
		assert_ok!(HospitalRegistry::admit_hospital(
			RuntimeOrigin::root(),
			b"Eve Clinic".to_vec(),
			eve.clone(),
			eve.clone(),
			b"https://eve.example".to_vec(),
			vec![],
		));
		assert!(boundary_rotates());
		// Without session keys it cannot be queued: sessions go on ending at each boundary
		// until its operator registers keys (as with periodic sessions).
		rotate();
		assert_eq!(validators(), founders);
		assert!(boundary_rotates());

		// Its operator registers keys (what `session.setKeys` stores); the next rotation
		// queues Eve, the one after makes her an authority, then nothing is left to change.
		pallet_session::NextKeys::<Runtime>::insert(
			&eve,
			keys_of(Sr25519Keyring::Eve, Ed25519Keyring::Eve),
		);
		assert!(boundary_rotates());
		rotate();
		assert_eq!(validators(), founders, "queued, not active yet");
		assert!(boundary_rotates());
		rotate();
		assert!(validators().contains(&eve));
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 5);
		assert_eq!(Grandpa::grandpa_authorities().len(), 5);
		assert!(!boundary_rotates(), "the new set is active and queued");

		// A validator registers new keys: two rotations put them in use, then none.
		let v = validators()[0].clone();
		let fresh = keys_of(Sr25519Keyring::Ferdie, Ed25519Keyring::Ferdie);
		pallet_session::NextKeys::<Runtime>::insert(&v, fresh.clone());
		assert!(boundary_rotates());
		rotate();
		assert!(boundary_rotates(), "the new keys are queued, Aura and GRANDPA use the old");
		rotate();
		let at = validators().iter().position(|x| *x == v).unwrap();
		assert_eq!(pallet_aura::Authorities::<Runtime>::get()[at], fresh.aura);
		assert_eq!(Grandpa::grandpa_authorities()[at].0, fresh.grandpa);
		assert!(!boundary_rotates());
		let index = pallet_session::CurrentIndex::<Runtime>::get();
		assert_eq!(index, 5, "five rotations, each of which changed something");
	});
}

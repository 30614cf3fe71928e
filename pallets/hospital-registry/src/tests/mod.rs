//! Unit tests of the hospital registry: every call, every refusal (with `assert_noop!`), and the
//! storage invariants after each test.

use crate::{mock::*, Error, Event, *};
use frame_support::{assert_noop, assert_ok};
use pallet_session::SessionManager;
use sp_core::H256;
use sp_runtime::DispatchError::BadOrigin;

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}
fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}
fn admit(admin: u64, validator: u64, nodes: Vec<Vec<u8>>) -> sp_runtime::DispatchResult {
	Registry::admit_hospital(
		root(),
		b"St. Elsewhere".to_vec(),
		admin,
		validator,
		b"https://gw.example".to_vec(),
		nodes,
	)
}
fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}
fn staff_of(who: &u64) -> Result<ActiveStaff, sp_runtime::DispatchError> {
	Registry::active_staff(who).map_err(Into::into)
}
/// The PeerId the mock's genesis registers for hospital `h`.
fn peer(h: u8) -> PeerIdOf<Test> {
	vec![h, 1].try_into().unwrap()
}
fn commitment(n: u8) -> H256 {
	H256::repeat_byte(n)
}

mod admission;
mod encryption_keys;
mod genesis;
mod guardianship;
mod hospital_admin;
mod node_permissions;
mod patients;
mod runtime_upgrade;
mod staff;
mod status;

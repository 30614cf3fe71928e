//! Unit tests of the patient records: every call, every refusal (with `assert_noop!`), and the
//! storage invariants after each test.

use crate::{mock::*, Error, Event, *};
use codec::Encode;
use frame_support::{assert_noop, assert_ok};
use pallet_hospital_registry::{Error as RegistryError, StaffStatus};
use sp_core::H256;
use sp_runtime::testing::TestSignature;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// A valid content, as a call takes it, whose commitment (and CID digest) is `[n; 32]`.
fn content(n: u8) -> ContentInput {
	Content {
		commitment: H256::repeat_byte(n),
		cid: cid::raw_sha2_256(&[n; 32]).to_vec(),
		scheme: EncryptionScheme::XChaCha20Poly1305,
		size: 1024,
	}
}

/// The same content as stored.
fn stored(n: u8) -> Content {
	let c = content(n);
	Content {
		commitment: c.commitment,
		cid: c.cid.try_into().unwrap(),
		scheme: c.scheme,
		size: c.size,
	}
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn record(id: RecordId) -> RecordOf<Test> {
	Records::<Test>::get(id).expect("record exists")
}

/// The doctor of hospital 0 adds a clinical note for `PATIENT`: record 0.
fn add_note() -> RecordId {
	let id = NextRecordId::<Test>::get();
	assert_ok!(PatientRecords::add_record(
		signed(DOCTOR),
		PATIENT,
		Category::ClinicalNote,
		content(1)
	));
	id
}

fn advance(blocks: u64) {
	System::set_block_number(System::block_number() + blocks);
}

mod adding;
mod aliasing;
mod amending;
mod prescriptions;
mod withdrawing;

//! Unit tests of consent: every rule of the decision function (exact expiry boundary, revoked,
//! excluded category, wrong purpose, suspended doctor, hospital-wide grants, delegates,
//! emergency windows, rate limits), every refusal with `assert_noop!`, the feeless rule, and
//! the storage invariants after each test.

use crate::{mock::*, Error, Event, *};
use frame_support::{assert_noop, assert_ok, dispatch::CheckIfFeeless};
use pallet_hospital_registry::{HospitalStatus, StaffStatus};
use pallet_patient_records::{cid, Category, Content, EncryptionScheme, NextRecordId, RecordId};
use sp_core::H256;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

/// `author` adds a record of `category` for `patient`; returns its id.
fn add_record(author: u64, patient: u64, category: Category) -> RecordId {
	let id = NextRecordId::<Test>::get();
	let n = (id % 200) as u8 + 1;
	assert_ok!(PatientRecords::add_record(
		signed(author),
		patient,
		category,
		Content {
			commitment: H256::repeat_byte(n),
			cid: cid::raw_sha2_256(&[n; 32]).to_vec(),
			scheme: EncryptionScheme::XChaCha20Poly1305,
			size: 1024,
		}
	));
	id
}

/// A grant by `PATIENT` to `grantee` for treatment reads of `scope`, valid `[NOW, NOW+1000)`.
fn grant_to(grantee: Grantee<u64>, scope: ScopeInput) -> GrantId {
	let id = ConsentAccounts::<Test>::get(PATIENT).next_grant;
	assert_ok!(Consent::grant(
		signed(PATIENT),
		PATIENT,
		grantee,
		scope,
		bounded(vec![]),
		bounded(vec![Purpose::Treatment]),
		bounded(vec![Action::Read]),
		None,
		NOW + 1000,
	));
	id
}

/// A grant by `PATIENT` to `OTHER_DOCTOR` of `scope` but `excluded`, for `purpose` and `action`,
/// valid `[starts, ends)` (from now if `starts` is `None`).
fn grant_doctor(
	scope: ScopeInput,
	excluded: Vec<Category>,
	purpose: Purpose,
	action: Action,
	starts: Option<u64>,
	ends: u64,
) -> GrantId {
	let id = ConsentAccounts::<Test>::get(PATIENT).next_grant;
	assert_ok!(Consent::grant(
		signed(PATIENT),
		PATIENT,
		Grantee::Staff(OTHER_DOCTOR),
		scope,
		bounded(excluded),
		bounded(vec![purpose]),
		bounded(vec![action]),
		starts,
		ends,
	));
	id
}

/// A call's bounded list: as a signer could send it (duplicates included).
fn bounded<T, S: frame_support::traits::Get<u32>>(v: Vec<T>) -> frame_support::BoundedVec<T, S> {
	frame_support::BoundedVec::truncate_from(v)
}

fn decide(accessor: u64, target: Target, purpose: Purpose) -> Decision {
	Consent::decide(&accessor, &PATIENT, target, purpose, Action::Read, Timestamp::get())
}

fn set_time(ms: u64) {
	Timestamp::set_timestamp(ms);
}

fn advance(blocks: u64) {
	System::set_block_number(System::block_number() + blocks);
}

mod deciding;
mod emergency;
mod fees;
mod granting;
mod revoking;

//! Consent on the real runtime, through the real transaction pipeline: a patient whom a hospital
//! enrolled, with no balance at all, signs `consent.grant` and `consent.revoke` as a wallet
//! would; the transaction checks (nonce, fee) accept them as feeless and the access decision
//! follows. Calls that would fail, or come from unregistered accounts, are not free.

use ehr_runtime::{
	Balances, Consent, Executive, Header, HospitalRegistry, Runtime, RuntimeCall, RuntimeOrigin,
	System, Timestamp, UncheckedExtrinsic, VERSION,
};
use frame_support::assert_ok;
use pallet_consent::{Action, Decision, DenyReason, Grantee, PermitBasis, Purpose, Scope, Target};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::Category;
use sp_core::{sr25519, Pair, H256};
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use sp_runtime::{
	traits::Header as _,
	transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
};

use crate::common;

const NOW: u64 = 1_800_000_000_000;

/// Signs `call` for `pair` with `nonce`, as a wallet does (immortal, no tip).
fn signed(pair: &sr25519::Pair, call: RuntimeCall, nonce: u32) -> UncheckedExtrinsic {
	let genesis = System::block_hash(0);
	ehr_runtime::sign_extrinsic(
		pair,
		call,
		nonce,
		genesis,
		VERSION.spec_version,
		VERSION.transaction_version,
	)
}

fn grant_call(patient: &sr25519::Pair, grantee: Grantee<ehr_runtime::AccountId>) -> RuntimeCall {
	RuntimeCall::Consent(pallet_consent::Call::grant {
		patient: patient.public().into(),
		grantee,
		scope: Scope::AllRecords,
		excluded: vec![Category::MentalHealth].try_into().expect("within the bound"),
		purposes: vec![Purpose::Treatment].try_into().expect("within the bound"),
		actions: vec![Action::Read].try_into().expect("within the bound"),
		starts: None,
		ends: NOW + 3_600_000,
	})
}

fn validate(xt: &UncheckedExtrinsic) -> Result<(), TransactionValidityError> {
	Executive::validate_transaction(TransactionSource::External, xt.clone(), System::parent_hash())
		.map(|_| ())
}

fn decide(accessor: ehr_runtime::AccountId, patient: &sr25519::Pair) -> Decision {
	Consent::decide(
		&accessor,
		&patient.public().into(),
		Target::Category(Category::LabResult),
		Purpose::Treatment,
		Action::Read,
		Timestamp::get(),
	)
}

#[test]
fn a_patient_without_balance_grants_and_revokes_for_free() {
	common::genesis_of(DEV_RUNTIME_PRESET).execute_with(|| {
		let header =
			Header::new(1, H256::zero(), H256::zero(), System::block_hash(0), Default::default());
		Executive::initialize_block(&header);
		pallet_timestamp::Now::<Runtime>::put(NOW);
		let patient = sr25519::Pair::from_string("//ZeroBalancePatient", None).unwrap();
		let patient_id: ehr_runtime::AccountId = patient.public().into();
		assert_ok!(HospitalRegistry::register_staff(
			RuntimeOrigin::signed(Alice.to_account_id()),
			Bob.to_account_id(),
			StaffRole::Doctor,
			H256::repeat_byte(1),
			None
		));
		let grant = grant_call(&patient, Grantee::Staff(Bob.to_account_id()));

		// Not yet a patient: the account does not even exist, and the call is not free.
		assert_eq!(
			validate(&signed(&patient, grant.clone(), 0)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))
		);

		// The hospital enrols the patient at the front desk; still no balance.
		assert_ok!(HospitalRegistry::enrol_patient(
			RuntimeOrigin::signed(Alice.to_account_id()),
			patient_id.clone(),
			H256::repeat_byte(7)
		));
		assert_eq!(Balances::free_balance(&patient_id), 0);

		// A grant that would fail (the grantee is no staff member) is not free either.
		let bad = grant_call(&patient, Grantee::Staff(patient_id.clone()));
		assert_eq!(
			validate(&signed(&patient, bad, 0)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))
		);

		assert_eq!(decide(Bob.to_account_id(), &patient), Decision::Deny(DenyReason::NoGrant));
		let xt = signed(&patient, grant, 0);
		assert_eq!(validate(&xt), Ok(()));
		assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		assert_eq!(decide(Bob.to_account_id(), &patient), Decision::Permit(PermitBasis::Grant(0)));
		assert_eq!(Balances::free_balance(&patient_id), 0);
		assert_eq!(System::account_nonce(&patient_id), 1);

		let revoke = RuntimeCall::Consent(pallet_consent::Call::revoke {
			patient: patient_id.clone(),
			grant: 0,
		});
		let xt = signed(&patient, revoke.clone(), 1);
		assert_eq!(validate(&xt), Ok(()));
		assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		assert_eq!(decide(Bob.to_account_id(), &patient), Decision::Deny(DenyReason::Revoked(0)));
		// Revoking again would fail: not free, and the patient cannot pay.
		assert_eq!(
			validate(&signed(&patient, revoke, 2)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))
		);
		assert_eq!(Balances::free_balance(&patient_id), 0);
	});
}

#[test]
fn the_free_allowance_runs_out() {
	common::genesis_of(DEV_RUNTIME_PRESET).execute_with(|| {
		let header =
			Header::new(1, H256::zero(), H256::zero(), System::block_hash(0), Default::default());
		Executive::initialize_block(&header);
		pallet_timestamp::Now::<Runtime>::put(NOW);
		let patient = sr25519::Pair::from_string("//BusyPatient", None).unwrap();
		let patient_id: ehr_runtime::AccountId = patient.public().into();
		assert_ok!(HospitalRegistry::enrol_patient(
			RuntimeOrigin::signed(Alice.to_account_id()),
			patient_id.clone(),
			H256::repeat_byte(7)
		));
		let per_window =
			<<Runtime as pallet_consent::Config>::FreeOpsPerWindow as frame_support::traits::Get<
				u32,
			>>::get();
		for nonce in 0..per_window {
			let call = grant_call(&patient, Grantee::Hospital(0));
			let xt = signed(&patient, call, nonce);
			assert_eq!(validate(&xt), Ok(()), "operation {nonce} is free");
			assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		}
		assert_eq!(Consent::free_ops_left(&patient_id), 0);
		let xt = signed(
			&patient,
			grant_call(&patient, Grantee::Hospital(0)),
			System::account_nonce(&patient_id),
		);
		assert_eq!(
			validate(&xt),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))
		);
	});
}

/// A rogue delegate spends the patient's whole free allowance on grants. The patient, with no
/// balance at all, still revokes every one of them and removes the delegate, for free, through
/// the real transaction checks.
#[test]
fn a_patient_without_balance_undoes_everything_a_delegate_did() {
	common::genesis_of(DEV_RUNTIME_PRESET).execute_with(|| {
		let header =
			Header::new(1, H256::zero(), H256::zero(), System::block_hash(0), Default::default());
		Executive::initialize_block(&header);
		pallet_timestamp::Now::<Runtime>::put(NOW);
		let patient = sr25519::Pair::from_string("//UndoingPatient", None).unwrap();
		let patient_id: ehr_runtime::AccountId = patient.public().into();
		let delegate = sr25519::Pair::from_string("//RogueDelegate", None).unwrap();
		let delegate_id: ehr_runtime::AccountId = delegate.public().into();
		assert_ok!(HospitalRegistry::enrol_patient(
			RuntimeOrigin::signed(Alice.to_account_id()),
			patient_id.clone(),
			H256::repeat_byte(7)
		));
		// The delegate is appointed (a paid call: funded for it, then the patient is at zero).
		assert_ok!(Balances::force_set_balance(
			RuntimeOrigin::root(),
			delegate_id.clone().into(),
			1_000_000_000_000_000
		));
		assert_ok!(HospitalRegistry::appoint_delegate(
			RuntimeOrigin::signed(patient_id.clone()),
			delegate_id.clone()
		));
		let per_window =
			<<Runtime as pallet_consent::Config>::FreeOpsPerWindow as frame_support::traits::Get<
				u32,
			>>::get();
		for nonce in 0..per_window {
			let call = grant_call(&patient, Grantee::Hospital(0));
			let xt = signed(&delegate, call, nonce);
			assert_eq!(validate(&xt), Ok(()), "delegate's operation {nonce} is free");
			assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		}
		assert_eq!(Consent::free_ops_left(&patient_id), 0);
		assert_eq!(Balances::free_balance(&patient_id), 0);
		let nonce0 = System::account_nonce(&patient_id);

		// Every grant revoked by the patient: free, though the allowance is spent.
		for grant in 0..per_window {
			let revoke = RuntimeCall::Consent(pallet_consent::Call::revoke {
				patient: patient_id.clone(),
				grant,
			});
			let xt = signed(&patient, revoke, nonce0 + grant);
			assert_eq!(validate(&xt), Ok(()), "revocation of grant {grant} is free");
			assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		}
		assert!(Consent::grants_of(&patient_id, NOW)
			.iter()
			.all(|g| g.status == pallet_consent::GrantStatus::Revoked));
		// And the delegate removed, free as well.
		let remove =
			RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::remove_delegate {
				delegate: delegate_id.clone(),
			});
		let xt = signed(&patient, remove.clone(), nonce0 + per_window);
		assert_eq!(validate(&xt), Ok(()));
		assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
		assert!(!HospitalRegistry::acts_for(&delegate_id, &patient_id));
		assert_eq!(Balances::free_balance(&patient_id), 0);
		// A removal that would fail is not free: the patient cannot pay for it.
		assert_eq!(
			validate(&signed(&patient, remove, nonce0 + per_window + 1)),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))
		);
		// The delegate, no longer acting for the patient, cannot grant.
		let xt = signed(&delegate, grant_call(&patient, Grantee::Hospital(0)), per_window);
		assert!(validate(&xt).is_err() || Executive::apply_extrinsic(xt).unwrap().is_err());
	});
}

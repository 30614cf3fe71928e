//! Patient records on the real runtime: the registry's staff check, the runtime's signature type
//! (an sr25519 wallet signature over the amendment payload) and the storage bounds.

use codec::Encode;
use ehr_runtime::{
	HospitalRegistry, PatientRecords, Runtime, RuntimeEvent, RuntimeOrigin, Signature, System,
};
use frame_support::{assert_noop, assert_ok, traits::Get};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{
	cid, Category, Content, ContentInput, EncryptionScheme, Error, RecordStatus,
};
use sp_core::{Pair, H256};
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave};

use crate::common;

fn content(n: u8) -> ContentInput {
	Content {
		commitment: H256::repeat_byte(n),
		cid: cid::raw_sha2_256(&[n; 32]).to_vec(),
		scheme: EncryptionScheme::Aes256Gcm,
		size: 4096,
	}
}

/// The development chain with Bob as doctor of Alice's hospital and Charlie as patient.
fn setup() -> sp_io::TestExternalities {
	let mut ext = common::genesis_of(DEV_RUNTIME_PRESET);
	ext.execute_with(|| {
		System::set_block_number(1);
		assert_ok!(HospitalRegistry::register_staff(
			RuntimeOrigin::signed(Alice.to_account_id()),
			Bob.to_account_id(),
			StaffRole::Doctor,
			H256::repeat_byte(1),
			None
		));
		assert_ok!(HospitalRegistry::register_patient(RuntimeOrigin::signed(
			Charlie.to_account_id()
		)));
	});
	ext
}

#[test]
fn a_patients_wallet_signature_amends_in_one_extrinsic() {
	setup().execute_with(|| {
		assert_ok!(PatientRecords::add_record(
			RuntimeOrigin::signed(Bob.to_account_id()),
			Charlie.to_account_id(),
			Category::Allergy,
			content(1)
		));
		let c = content(2);
		let stored = Content {
			commitment: c.commitment,
			cid: c.cid.try_into().unwrap(),
			scheme: c.scheme,
			size: c.size,
		};
		let payload = PatientRecords::amendment_payload(0, 1, stored).encode();
		// As the polkadot{.js} extension signs raw bytes.
		let wrapped = [b"<Bytes>".as_slice(), &payload, b"</Bytes>"].concat();
		let signature = Signature::Sr25519(Charlie.pair().sign(&wrapped));
		// Dave is not Charlie: his signature, claimed as Charlie's, is refused.
		let forged = Signature::Sr25519(Dave.pair().sign(&wrapped));
		assert_noop!(
			PatientRecords::amend_with_signature(
				RuntimeOrigin::signed(Bob.to_account_id()),
				0,
				content(2),
				Charlie.to_account_id(),
				forged
			),
			Error::<Runtime>::BadSignature
		);
		assert_ok!(PatientRecords::amend_with_signature(
			RuntimeOrigin::signed(Bob.to_account_id()),
			0,
			content(2),
			Charlie.to_account_id(),
			signature
		));
		let old = pallet_patient_records::Records::<Runtime>::get(0).unwrap();
		assert_eq!((old.status, old.superseded_by), (RecordStatus::Superseded, Some(1)));
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::PatientRecords(pallet_patient_records::Event::RecordAmended {
				previous: 0,
				record: 1,
				..
			})
		)));
	});
}

#[test]
fn the_development_hospitals_admin_is_not_a_doctor() {
	setup().execute_with(|| {
		// Administering a hospital gives no clinical rights.
		assert_noop!(
			PatientRecords::add_record(
				RuntimeOrigin::signed(Alice.to_account_id()),
				Charlie.to_account_id(),
				Category::ClinicalNote,
				content(1)
			),
			Error::<Runtime>::NotAnAuthor
		);
	});
}

#[test]
fn a_full_batch_fits_in_a_block() {
	setup().execute_with(|| {
		let max = <Runtime as pallet_patient_records::Config>::MaxBatchSize::get();
		let batch: Vec<_> = (0..max)
			.map(|i| pallet_patient_records::NewRecord {
				patient: Charlie.to_account_id(),
				category: Category::LabResult,
				content: content((i % 250) as u8 + 1),
			})
			.collect();
		let call =
			ehr_runtime::RuntimeCall::PatientRecords(pallet_patient_records::Call::add_records {
				records: batch.clone(),
			});
		use frame_support::dispatch::GetDispatchInfo;
		let weight = call.get_dispatch_info().total_weight();
		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		let normal = limits.get(frame_support::dispatch::DispatchClass::Normal);
		assert!(
			weight.all_lte(normal.max_extrinsic.unwrap_or(limits.max_block)),
			"a batch of {max} weighs {weight:?}, more than one extrinsic may"
		);
		assert!(
			call.encoded_size() < 64 * 1024,
			"a batch of {max} is {} bytes",
			call.encoded_size()
		);
		assert_ok!(PatientRecords::add_records(RuntimeOrigin::signed(Bob.to_account_id()), batch));
		assert_eq!(
			pallet_patient_records::PatientRecordCount::<Runtime>::get(Charlie.to_account_id()),
			max
		);
	});
}

//! The access log on the real runtime: the records and consent pallets append inside their own
//! calls, the gateway logs reads (one naming its signed request), and the patient's whole log,
//! read from the `EntryAppended` events (state keeps the head only), verifies against the head.
//! Each action leaves the entry it should, with the right actor, hospital and subject.

use ehr_runtime::{
	AccessLog, Consent, HospitalRegistry, PatientRecords, Runtime, RuntimeEvent, RuntimeOrigin,
	System,
};
use frame_support::{assert_noop, assert_ok};
use pallet_access_log::{verify::verify, Heads, LogAction, Purpose, Subject};
use pallet_consent::{Action, EmergencyReason, Grantee, ReviewOutcome, Scope};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{cid, Category, Content, EncryptionScheme, Withdrawal};
use sp_core::H256;
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave, Eve, Ferdie};

use crate::common;

const NOW: u64 = 1_800_000_000_000;

fn content(n: u8) -> pallet_patient_records::ContentInput {
	Content {
		commitment: H256::repeat_byte(n),
		cid: cid::raw_sha2_256(&[n; 32]).to_vec(),
		scheme: EncryptionScheme::XChaCha20Poly1305,
		size: 100,
	}
}

fn signed(k: sp_keyring::Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(k.to_account_id())
}

/// `patient`'s entries, oldest first, from the `EntryAppended` events.
fn logged(patient: &ehr_runtime::AccountId) -> Vec<pallet_access_log::LogEntryOf<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::AccessLog(pallet_access_log::Event::EntryAppended { entry, .. })
				if &entry.patient == patient =>
			{
				Some(entry)
			},
			_ => None,
		})
		.collect()
}

#[test]
fn every_action_is_logged_and_the_log_verifies() {
	common::genesis_of(DEV_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		pallet_timestamp::Now::<Runtime>::put(NOW);
		// Alice's hospital 0: Bob doctor, Dave doctor, Eve privacy officer, Ferdie gateway.
		for (who, role) in [
			(Bob, StaffRole::Doctor),
			(Dave, StaffRole::Doctor),
			(Eve, StaffRole::PrivacyOfficer),
			(Ferdie, StaffRole::Gateway),
		] {
			assert_ok!(HospitalRegistry::register_staff(
				signed(Alice),
				who.to_account_id(),
				role,
				H256::repeat_byte(1),
				None
			));
		}
		assert_ok!(HospitalRegistry::register_patient(signed(Charlie)));
		let patient = Charlie.to_account_id();

		let note = pallet_patient_records::NextRecordId::<Runtime>::get();
		assert_ok!(PatientRecords::add_record(
			signed(Bob),
			patient.clone(),
			Category::ClinicalNote,
			content(1)
		));
		assert_ok!(PatientRecords::propose_amendment(signed(Bob), note, content(2)));
		assert_ok!(PatientRecords::approve_amendment(signed(Charlie), note));
		let v2 = note + 1;
		assert_ok!(Consent::grant(
			signed(Charlie),
			patient.clone(),
			Grantee::Staff(Dave.to_account_id()),
			Scope::AllRecords,
			Default::default(),
			vec![Purpose::Treatment].try_into().unwrap(),
			vec![Action::Read].try_into().unwrap(),
			None,
			NOW + 3_600_000,
		));
		assert_ok!(AccessLog::log_read(
			signed(Ferdie),
			v2,
			Dave.to_account_id(),
			Purpose::Treatment,
			true
		));
		// A served read that names the signed request it answered.
		let request = H256::repeat_byte(0x5e);
		assert_ok!(AccessLog::log_served(
			signed(Ferdie),
			v2,
			Dave.to_account_id(),
			Purpose::Treatment,
			request
		));
		// Only the custodian's gateway logs: a doctor cannot forge a read.
		assert_noop!(
			AccessLog::log_served(
				signed(Bob),
				v2,
				Dave.to_account_id(),
				Purpose::Treatment,
				request
			),
			pallet_access_log::Error::<Runtime>::NotAGateway
		);
		assert_noop!(
			AccessLog::log_read(signed(Bob), v2, Dave.to_account_id(), Purpose::Treatment, true),
			pallet_access_log::Error::<Runtime>::NotAGateway
		);
		assert_ok!(Consent::declare_emergency(
			signed(Bob),
			patient.clone(),
			EmergencyReason::LifeThreatening,
			vec![]
		));
		assert_ok!(Consent::end_emergency(signed(Bob), 0));
		assert_ok!(Consent::review_emergency(signed(Eve), 0, ReviewOutcome::NotJustified));
		assert_ok!(Consent::revoke(signed(Charlie), patient.clone(), 0));
		assert_ok!(AccessLog::log_read(
			signed(Ferdie),
			v2,
			Dave.to_account_id(),
			Purpose::Treatment,
			false
		));
		assert_ok!(PatientRecords::request_withdrawal(signed(Charlie), v2, Withdrawal::Delete));
		assert_ok!(PatientRecords::approve_withdrawal(signed(Bob), v2));

		let entries = logged(&patient);
		let got: Vec<_> = entries
			.iter()
			.map(|e| (e.action, e.subject.clone(), e.actor.clone(), e.hospital))
			.collect();
		let (bob, dave, eve, charlie) =
			(Bob.to_account_id(), Dave.to_account_id(), Eve.to_account_id(), patient.clone());
		assert_eq!(
			got,
			vec![
				(LogAction::RecordAdded, Subject::Record(note), bob.clone(), Some(0)),
				(LogAction::RecordAmended, Subject::Record(v2), bob.clone(), Some(0)),
				(LogAction::ConsentGranted, Subject::Grant(0), charlie.clone(), None),
				(LogAction::DocumentRead, Subject::Record(v2), dave.clone(), Some(0)),
				(LogAction::DocumentServed { request }, Subject::Record(v2), dave.clone(), Some(0)),
				(LogAction::EmergencyOpened, Subject::Emergency(0), bob.clone(), Some(0)),
				(LogAction::EmergencyEnded, Subject::Emergency(0), bob.clone(), Some(0)),
				(
					LogAction::EmergencyReviewed { justified: false },
					Subject::Emergency(0),
					eve,
					Some(0)
				),
				(LogAction::ConsentRevoked, Subject::Grant(0), charlie.clone(), None),
				(LogAction::ReadDenied, Subject::Record(v2), dave, Some(0)),
				(LogAction::RecordDeleted, Subject::Record(v2), bob, Some(0)),
			]
		);
		assert_eq!((entries[3].source, entries[4].source), (Some(0), Some(0)));
		assert_eq!(entries[4].purpose, Some(Purpose::Treatment));
		assert_eq!(entries[5].purpose, Some(Purpose::EmergencyTreatment));
		let head = Heads::<Runtime>::get(&patient);
		assert_eq!(head.count, 11);
		assert_eq!(verify(&patient, &entries, H256::zero(), &head), Ok(()));
		assert_eq!(entries.iter().filter(|e| e.action.is_access()).count(), 4);
	});
}

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

mod adding {
	use super::*;

	#[test]
	fn a_doctor_adds_a_record_kept_by_the_hospital() {
		test(|| {
			let id = add_note();
			let r = record(id);
			assert_eq!(r.patient, PATIENT);
			assert_eq!(r.author, DOCTOR);
			assert_eq!(r.custodian, Some(0));
			assert_eq!(r.version, 1);
			assert_eq!(r.status, RecordStatus::Current);
			assert_eq!(r.created_at, NOW);
			assert_eq!(r.content, stored(1));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::RecordAdded {
					record: id,
					patient: PATIENT,
					author: DOCTOR,
					custodian: Some(0),
					category: Category::ClinicalNote,
				})
			);
		});
	}

	#[test]
	fn a_lab_adds_results_and_imaging_only() {
		test(|| {
			assert_ok!(PatientRecords::add_record(
				signed(LAB),
				PATIENT,
				Category::LabResult,
				content(1)
			));
			assert_ok!(PatientRecords::add_record(
				signed(LAB),
				PATIENT,
				Category::Imaging,
				content(2)
			));
			assert_noop!(
				PatientRecords::add_record(
					signed(LAB),
					PATIENT,
					Category::Prescription,
					content(3)
				),
				Error::<Test>::RoleNotAllowed
			);
		});
	}

	#[test]
	fn a_nurse_adds_nothing() {
		test(|| {
			assert_noop!(
				PatientRecords::add_record(
					signed(NURSE),
					PATIENT,
					Category::ClinicalNote,
					content(1)
				),
				Error::<Test>::RoleNotAllowed
			);
		});
	}

	#[test]
	fn patients_and_delegates_add_patient_reported_and_device_records() {
		test(|| {
			assert_ok!(PatientRecords::add_record(
				signed(PATIENT),
				PATIENT,
				Category::PatientReported,
				content(1)
			));
			assert_eq!(record(0).custodian, None);
			assert_ok!(PatientRecords::add_record(
				signed(DELEGATE),
				PATIENT,
				Category::DeviceData,
				content(2)
			));
			assert_eq!(record(1).author, DELEGATE);
			assert_noop!(
				PatientRecords::add_record(
					signed(PATIENT),
					PATIENT,
					Category::LabResult,
					content(3)
				),
				Error::<Test>::ClinicalCategory
			);
			// Not for another patient.
			assert_noop!(
				PatientRecords::add_record(
					signed(PATIENT_2),
					PATIENT,
					Category::PatientReported,
					content(3)
				),
				Error::<Test>::NotAnAuthor
			);
		});
	}

	#[test]
	fn staff_do_not_write_patient_reported_records() {
		test(|| {
			assert_noop!(
				PatientRecords::add_record(
					signed(DOCTOR),
					PATIENT,
					Category::PatientReported,
					content(1)
				),
				Error::<Test>::PatientCategory
			);
		});
	}

	#[test]
	fn unknown_patients_and_strangers_are_refused() {
		test(|| {
			assert_noop!(
				PatientRecords::add_record(
					signed(DOCTOR),
					STRANGER,
					Category::ClinicalNote,
					content(1)
				),
				Error::<Test>::PatientNotFound
			);
			assert_noop!(
				PatientRecords::add_record(
					signed(STRANGER),
					PATIENT,
					Category::PatientReported,
					content(1)
				),
				Error::<Test>::NotAnAuthor
			);
		});
	}

	#[test]
	fn suspended_staff_and_staff_of_suspended_hospitals_are_refused() {
		test(|| {
			assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Suspended));
			assert_noop!(
				PatientRecords::add_record(
					signed(DOCTOR),
					PATIENT,
					Category::ClinicalNote,
					content(1)
				),
				RegistryError::<Test>::StaffSuspended
			);
			assert_ok!(Registry::suspend_hospital(RuntimeOrigin::root(), 1));
			assert_noop!(
				PatientRecords::add_record(
					signed(OTHER_DOCTOR),
					PATIENT,
					Category::ClinicalNote,
					content(1)
				),
				RegistryError::<Test>::HospitalNotActive
			);
		});
	}

	#[test]
	fn bad_content_is_refused() {
		test(|| {
			let add = |c: ContentInput| {
				PatientRecords::add_record(signed(DOCTOR), PATIENT, Category::ClinicalNote, c)
			};
			let mut c = content(1);
			c.cid = vec![0x01, 0x55, 0x12];
			assert_noop!(add(c), Error::<Test>::MalformedCid);
			let mut c = content(1);
			c.cid.resize(MAX_CID_LEN as usize + 1, 0);
			assert_noop!(add(c), Error::<Test>::OversizedCid);
			let mut c = content(1);
			c.cid[1] = 0x70; // dag-pb
			assert_noop!(add(c), Error::<Test>::UnsupportedCid);
			let mut c = content(1);
			c.commitment = H256::repeat_byte(2);
			assert_noop!(add(c), Error::<Test>::CidMismatch);
			let mut c = content(1);
			c.size = 0;
			assert_noop!(add(c), Error::<Test>::EmptyDocument);
		});
	}

	#[test]
	fn a_batch_is_all_or_nothing() {
		test(|| {
			let new = |patient, n| NewRecord {
				patient,
				category: Category::LabResult,
				content: content(n),
			};
			assert_ok!(PatientRecords::add_records(
				signed(LAB),
				vec![new(PATIENT, 1), new(PATIENT_2, 2)]
			));
			assert_eq!(NextRecordId::<Test>::get(), 2);
			assert_eq!(PatientRecordCount::<Test>::get(PATIENT_2), 1);
			// The third record names an unknown patient: nothing of the batch is stored.
			assert_noop!(
				PatientRecords::add_records(
					signed(LAB),
					vec![new(PATIENT, 3), new(PATIENT_2, 4), new(STRANGER, 5)]
				),
				Error::<Test>::PatientNotFound
			);
			assert_noop!(
				PatientRecords::add_records(signed(LAB), vec![]),
				Error::<Test>::EmptyBatch
			);
			assert_noop!(
				PatientRecords::add_records(signed(LAB), (0..5).map(|n| new(PATIENT, n)).collect()),
				Error::<Test>::BatchTooLarge
			);
		});
	}

	#[test]
	fn listing_is_paged_newest_first() {
		test(|| {
			for n in 0..7 {
				assert_ok!(PatientRecords::add_record(
					signed(DOCTOR),
					PATIENT,
					Category::ClinicalNote,
					content(n + 1)
				));
			}
			// Three ids a storage page: 7 records fill pages 0, 1 and part of 2.
			assert_eq!(PatientRecordPages::<Test>::get(PATIENT, 2).len(), 1);
			let ids = |page, size| {
				let (total, recs) = PatientRecords::records_of(&PATIENT, page, size);
				assert_eq!(total, 7);
				recs.into_iter().map(|(id, _)| id).collect::<Vec<_>>()
			};
			assert_eq!(ids(0, 2), vec![6, 5]);
			assert_eq!(ids(1, 2), vec![4, 3]);
			assert_eq!(ids(3, 2), vec![0]);
			assert_eq!(ids(4, 2), Vec::<RecordId>::new());
			// A page is never larger than a storage page.
			assert_eq!(ids(0, 100), vec![6, 5, 4]);
			assert_eq!(PatientRecords::records_of(&PATIENT_2, 0, 3), (0, vec![]));
		});
	}
}

mod amending {
	use super::*;

	#[test]
	fn a_record_has_at_most_max_history_versions() {
		test(|| {
			let max = <<Test as Config>::MaxHistory as frame_support::traits::Get<u32>>::get();
			let mut id = add_note();
			for i in 1..max {
				assert_ok!(PatientRecords::propose_amendment(
					signed(DOCTOR),
					id,
					content(10 + i as u8)
				));
				assert_ok!(PatientRecords::approve_amendment(signed(DELEGATE), id));
				id = NextRecordId::<Test>::get() - 1;
			}
			assert_eq!(record(id).version, max);
			assert_noop!(
				PatientRecords::propose_amendment(signed(DOCTOR), id, content(99)),
				Error::<Test>::TooManyVersions
			);
		});
	}

	#[test]
	fn a_proposal_approved_by_the_patient_supersedes_the_record() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::AmendmentProposed {
					record: id,
					patient: PATIENT,
					proposer: DOCTOR,
					deadline: 11,
				})
			);
			// Nothing changes before approval.
			assert_eq!(record(id).status, RecordStatus::Current);
			assert_ok!(PatientRecords::approve_amendment(signed(DELEGATE), id));
			let new = id + 1;
			assert_eq!(record(id).status, RecordStatus::Superseded);
			assert_eq!(record(id).superseded_by, Some(new));
			let r = record(new);
			assert_eq!((r.version, r.previous, r.author), (2, Some(id), DOCTOR));
			assert_eq!(r.content, stored(2));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::RecordAmended {
					previous: id,
					record: new,
					patient: PATIENT,
					author: DOCTOR,
					version: 2,
				})
			);
			// The history is walkable from either version, newest first.
			let h: Vec<_> = PatientRecords::history(id).into_iter().map(|(i, _)| i).collect();
			assert_eq!(h, vec![new, id]);
			assert_eq!(PatientRecords::history(new).len(), 2);
			assert!(Amendments::<Test>::get(id).is_none());
		});
	}

	#[test]
	fn only_the_custodians_clinical_staff_propose() {
		test(|| {
			let id = add_note();
			assert_noop!(
				PatientRecords::propose_amendment(signed(OTHER_DOCTOR), id, content(2)),
				Error::<Test>::WrongHospital
			);
			assert_noop!(
				PatientRecords::propose_amendment(signed(NURSE), id, content(2)),
				Error::<Test>::RoleNotAllowed
			);
			assert_noop!(
				PatientRecords::propose_amendment(signed(STRANGER), id, content(2)),
				Error::<Test>::WrongHospital
			);
			assert_noop!(
				PatientRecords::propose_amendment(signed(DOCTOR), id, content(1)),
				Error::<Test>::UnchangedContent
			);
			assert_noop!(
				PatientRecords::propose_amendment(signed(DOCTOR), 99, content(2)),
				Error::<Test>::RecordNotFound
			);
		});
	}

	#[test]
	fn one_proposal_at_a_time_and_only_the_patient_side_approves() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)));
			assert_noop!(
				PatientRecords::propose_amendment(signed(DOCTOR), id, content(3)),
				Error::<Test>::AmendmentPending
			);
			assert_noop!(
				PatientRecords::approve_amendment(signed(DOCTOR), id),
				Error::<Test>::NotForPatient
			);
			assert_noop!(
				PatientRecords::approve_amendment(signed(PATIENT_2), id),
				Error::<Test>::NotForPatient
			);
			assert_ok!(PatientRecords::approve_amendment(signed(PATIENT), id));
			// Approving twice: the old version is no longer current.
			assert_noop!(
				PatientRecords::approve_amendment(signed(PATIENT), id),
				Error::<Test>::RecordNotCurrent
			);
			assert_noop!(
				PatientRecords::approve_amendment(signed(PATIENT), id + 1),
				Error::<Test>::NoPendingAmendment
			);
		});
	}

	#[test]
	fn an_expired_proposal_cannot_be_approved_but_may_be_replaced() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)));
			advance(10); // block 11: the last block of the window
			advance(1);
			assert_noop!(
				PatientRecords::approve_amendment(signed(PATIENT), id),
				Error::<Test>::AmendmentExpired
			);
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(3)));
			assert_ok!(PatientRecords::approve_amendment(signed(PATIENT), id));
			assert_eq!(record(id + 1).content, stored(3));
		});
	}

	#[test]
	fn a_proposer_who_lost_their_rights_cannot_have_the_amendment_applied() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)));
			assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Suspended));
			assert_noop!(
				PatientRecords::approve_amendment(signed(PATIENT), id),
				RegistryError::<Test>::StaffSuspended
			);
		});
	}

	#[test]
	fn either_side_cancels_a_proposal() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)));
			assert_noop!(
				PatientRecords::cancel_amendment(signed(OTHER_DOCTOR), id),
				Error::<Test>::NotParty
			);
			assert_ok!(PatientRecords::cancel_amendment(signed(PATIENT), id));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::AmendmentCancelled {
					record: id,
					patient: PATIENT,
					by: PATIENT
				})
			);
			assert_noop!(
				PatientRecords::cancel_amendment(signed(DOCTOR), id),
				Error::<Test>::NoPendingAmendment
			);
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)));
			assert_ok!(PatientRecords::cancel_amendment(signed(DOCTOR), id));
		});
	}

	fn patient_signature(signer: u64, id: RecordId, version: u32, c: &Content) -> TestSignature {
		TestSignature(signer, PatientRecords::amendment_payload(id, version, c.clone()).encode())
	}

	#[test]
	fn one_extrinsic_with_the_patients_signature_amends() {
		test(|| {
			let id = add_note();
			let sig = patient_signature(PATIENT, id, 1, &stored(2));
			assert_ok!(PatientRecords::amend_with_signature(
				signed(DOCTOR),
				id,
				content(2),
				PATIENT,
				sig
			));
			assert_eq!(record(id + 1).content, stored(2));
			assert_eq!(record(id).status, RecordStatus::Superseded);
			// A wallet's `<Bytes>`-wrapped signature by a delegate works too.
			let payload = PatientRecords::amendment_payload(id + 1, 2, stored(3)).encode();
			let wrapped = [b"<Bytes>".to_vec(), payload, b"</Bytes>".to_vec()].concat();
			assert_ok!(PatientRecords::amend_with_signature(
				signed(DOCTOR),
				id + 1,
				content(3),
				DELEGATE,
				TestSignature(DELEGATE, wrapped)
			));
			assert_eq!(record(id + 2).version, 3);
		});
	}

	#[test]
	fn a_signature_by_one_side_only_or_over_other_content_is_refused() {
		test(|| {
			let id = add_note();
			// Signed over different content.
			let sig = patient_signature(PATIENT, id, 1, &stored(3));
			assert_noop!(
				PatientRecords::amend_with_signature(signed(DOCTOR), id, content(2), PATIENT, sig),
				Error::<Test>::BadSignature
			);
			// Signed over another version.
			let sig = patient_signature(PATIENT, id, 2, &stored(2));
			assert_noop!(
				PatientRecords::amend_with_signature(signed(DOCTOR), id, content(2), PATIENT, sig),
				Error::<Test>::BadSignature
			);
			// The doctor's own signature is not the patient's.
			let sig = patient_signature(DOCTOR, id, 1, &stored(2));
			assert_noop!(
				PatientRecords::amend_with_signature(signed(DOCTOR), id, content(2), DOCTOR, sig),
				Error::<Test>::NotForPatient
			);
			// Claimed signer differs from the real one.
			let sig = patient_signature(PATIENT_2, id, 1, &stored(2));
			assert_noop!(
				PatientRecords::amend_with_signature(signed(DOCTOR), id, content(2), PATIENT, sig),
				Error::<Test>::BadSignature
			);
			// Only the custodian's staff submit it.
			let sig = patient_signature(PATIENT, id, 1, &stored(2));
			assert_noop!(
				PatientRecords::amend_with_signature(
					signed(OTHER_DOCTOR),
					id,
					content(2),
					PATIENT,
					sig
				),
				Error::<Test>::WrongHospital
			);
		});
	}

	#[test]
	fn a_patient_amends_their_own_records_alone() {
		test(|| {
			assert_ok!(PatientRecords::add_record(
				signed(PATIENT),
				PATIENT,
				Category::PatientReported,
				content(1)
			));
			assert_ok!(PatientRecords::propose_amendment(signed(DELEGATE), 0, content(2)));
			assert_eq!(record(1).version, 2);
			assert_eq!(record(1).author, DELEGATE);
			assert_noop!(
				PatientRecords::propose_amendment(signed(DOCTOR), 1, content(3)),
				Error::<Test>::NotForPatient
			);
		});
	}
}

mod withdrawing {
	use super::*;

	/// Amends record `id` `n` times (doctor proposes, delegate approves); returns the newest id.
	fn amend_times(mut id: RecordId, n: u8) -> RecordId {
		for i in 0..n {
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(10 + i)));
			assert_ok!(PatientRecords::approve_amendment(signed(DELEGATE), id));
			id = NextRecordId::<Test>::get() - 1;
		}
		id
	}

	#[test]
	fn deleting_a_record_deletes_every_version() {
		test(|| {
			let first = add_note();
			let newest = amend_times(first, 2);
			assert_ok!(PatientRecords::request_withdrawal(
				signed(DOCTOR),
				newest,
				Withdrawal::Delete
			));
			System::reset_events();
			let info = PatientRecords::approve_withdrawal(signed(PATIENT), newest).unwrap();
			// Charged for the three versions it deleted, not for `MaxHistory`.
			assert_eq!(
				info.actual_weight,
				Some(<Test as Config>::WeightInfo::approve_withdrawal(3))
			);
			let history = PatientRecords::history(newest);
			assert_eq!(history.len(), 3);
			for (_, r) in &history {
				assert_eq!(r.status, RecordStatus::Deleted);
				assert!(r.content.cid.is_empty(), "no version keeps its address");
			}
			// One event per version, each with the commitment whose document must go.
			let deleted: Vec<(RecordId, H256)> = System::events()
				.into_iter()
				.filter_map(|e| match e.event {
					RuntimeEvent::PatientRecords(Event::RecordDeleted {
						record,
						commitment,
						custodian: Some(0),
						patient: PATIENT,
					}) => Some((record, commitment)),
					_ => None,
				})
				.collect();
			assert_eq!(
				deleted,
				vec![
					(newest, H256::repeat_byte(11)),
					(newest - 1, H256::repeat_byte(10)),
					(first, H256::repeat_byte(1)),
				]
			);
			// No version can be acted on any more.
			assert_noop!(
				PatientRecords::request_withdrawal(signed(PATIENT), first, Withdrawal::Delete),
				Error::<Test>::RecordNotCurrent
			);
		});
	}

	#[test]
	fn deletion_needs_both_sides_and_clears_the_address() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::request_withdrawal(signed(PATIENT), id, Withdrawal::Delete));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::WithdrawalRequested {
					record: id,
					patient: PATIENT,
					requester: PATIENT,
					kind: Withdrawal::Delete,
					deadline: 11,
				})
			);
			// The same side cannot agree with itself ("approving twice").
			assert_noop!(
				PatientRecords::approve_withdrawal(signed(DELEGATE), id),
				Error::<Test>::SameSide
			);
			assert_noop!(
				PatientRecords::approve_withdrawal(signed(OTHER_DOCTOR), id),
				Error::<Test>::WrongHospital
			);
			assert_ok!(PatientRecords::approve_withdrawal(signed(DOCTOR), id));
			let r = record(id);
			assert_eq!(r.status, RecordStatus::Deleted);
			assert!(r.content.cid.is_empty());
			assert_eq!(r.content.commitment, H256::repeat_byte(1));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::RecordDeleted {
					record: id,
					patient: PATIENT,
					custodian: Some(0),
					commitment: H256::repeat_byte(1),
				})
			);
			// A deleted record cannot be acted on.
			assert_noop!(
				PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)),
				Error::<Test>::RecordNotCurrent
			);
			assert_noop!(
				PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete),
				Error::<Test>::RecordNotCurrent
			);
		});
	}

	#[test]
	fn entered_in_error_keeps_the_document() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::request_withdrawal(
				signed(DOCTOR),
				id,
				Withdrawal::EnteredInError
			));
			assert_noop!(
				PatientRecords::request_withdrawal(signed(PATIENT), id, Withdrawal::Delete),
				Error::<Test>::WithdrawalPending
			);
			assert_ok!(PatientRecords::approve_withdrawal(signed(PATIENT), id));
			assert_eq!(record(id).status, RecordStatus::EnteredInError);
			assert_eq!(record(id).content, stored(1));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::RecordEnteredInError {
					record: id,
					patient: PATIENT
				})
			);
		});
	}

	#[test]
	fn outsiders_expired_and_missing_withdrawals_are_refused() {
		test(|| {
			let id = add_note();
			assert_noop!(
				PatientRecords::request_withdrawal(signed(PATIENT_2), id, Withdrawal::Delete),
				Error::<Test>::WrongHospital
			);
			assert_noop!(
				PatientRecords::approve_withdrawal(signed(DOCTOR), id),
				Error::<Test>::NoPendingWithdrawal
			);
			assert_ok!(PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete));
			advance(11);
			assert_noop!(
				PatientRecords::approve_withdrawal(signed(PATIENT), id),
				Error::<Test>::WithdrawalExpired
			);
			// An expired request may be replaced.
			assert_ok!(PatientRecords::request_withdrawal(signed(PATIENT), id, Withdrawal::Delete));
		});
	}

	#[test]
	fn either_side_cancels_a_withdrawal() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete));
			assert_noop!(
				PatientRecords::cancel_withdrawal(signed(PATIENT_2), id),
				Error::<Test>::NotParty
			);
			assert_ok!(PatientRecords::cancel_withdrawal(signed(PATIENT), id));
			assert_noop!(
				PatientRecords::cancel_withdrawal(signed(PATIENT), id),
				Error::<Test>::NoPendingWithdrawal
			);
			assert_eq!(record(id).status, RecordStatus::Current);
		});
	}

	#[test]
	fn a_patient_deletes_their_own_records_alone() {
		test(|| {
			assert_ok!(PatientRecords::add_record(
				signed(PATIENT),
				PATIENT,
				Category::DeviceData,
				content(1)
			));
			assert_ok!(PatientRecords::request_withdrawal(signed(PATIENT), 0, Withdrawal::Delete));
			assert_eq!(record(0).status, RecordStatus::Deleted);
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::RecordDeleted {
					record: 0,
					patient: PATIENT,
					custodian: None,
					commitment: H256::repeat_byte(1),
				})
			);
		});
	}
}

mod prescriptions {
	use super::*;

	#[test]
	fn a_request_is_fulfilled_with_a_prescription_record() {
		test(|| {
			assert_ok!(PatientRecords::request_prescription(
				signed(PATIENT),
				DOCTOR,
				H256::repeat_byte(7)
			));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::PrescriptionRequested {
					request: 0,
					patient: PATIENT,
					doctor: DOCTOR
				})
			);
			assert_eq!(PendingRequestCount::<Test>::get(PATIENT), 1);
			assert_ok!(PatientRecords::fulfil_prescription(signed(DOCTOR), 0, content(5)));
			let r = record(0);
			assert_eq!(
				(r.category, r.author, r.custodian),
				(Category::Prescription, DOCTOR, Some(0))
			);
			assert_eq!(
				PrescriptionRequests::<Test>::get(0).unwrap().status,
				RequestStatus::Fulfilled(0)
			);
			assert_eq!(PendingRequestCount::<Test>::get(PATIENT), 0);
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::PrescriptionFulfilled {
					request: 0,
					record: 0,
					patient: PATIENT,
					doctor: DOCTOR
				})
			);
			assert_noop!(
				PatientRecords::fulfil_prescription(signed(DOCTOR), 0, content(6)),
				Error::<Test>::RequestNotPending
			);
		});
	}

	#[test]
	fn requests_go_to_active_doctors_only_and_are_bounded() {
		test(|| {
			assert_noop!(
				PatientRecords::request_prescription(signed(PATIENT), NURSE, H256::zero()),
				Error::<Test>::NotADoctor
			);
			assert_noop!(
				PatientRecords::request_prescription(signed(STRANGER), DOCTOR, H256::zero()),
				Error::<Test>::PatientNotFound
			);
			assert_ok!(PatientRecords::request_prescription(signed(PATIENT), DOCTOR, H256::zero()));
			assert_ok!(PatientRecords::request_prescription(
				signed(PATIENT),
				OTHER_DOCTOR,
				H256::zero()
			));
			assert_noop!(
				PatientRecords::request_prescription(signed(PATIENT), DOCTOR, H256::zero()),
				Error::<Test>::TooManyPendingRequests
			);
		});
	}

	#[test]
	fn the_doctor_declines_and_the_patient_cancels() {
		test(|| {
			assert_ok!(PatientRecords::request_prescription(signed(PATIENT), DOCTOR, H256::zero()));
			assert_noop!(
				PatientRecords::decline_prescription(signed(OTHER_DOCTOR), 0),
				Error::<Test>::NotRequestParty
			);
			assert_ok!(PatientRecords::decline_prescription(signed(DOCTOR), 0));
			assert_eq!(
				PrescriptionRequests::<Test>::get(0).unwrap().status,
				RequestStatus::Declined
			);
			assert_noop!(
				PatientRecords::cancel_prescription_request(signed(PATIENT), 0),
				Error::<Test>::RequestNotPending
			);
			assert_ok!(PatientRecords::request_prescription(signed(PATIENT), DOCTOR, H256::zero()));
			assert_noop!(
				PatientRecords::cancel_prescription_request(signed(PATIENT_2), 1),
				Error::<Test>::NotRequestParty
			);
			assert_ok!(PatientRecords::cancel_prescription_request(signed(PATIENT), 1));
			assert_eq!(
				last_event(),
				RuntimeEvent::PatientRecords(Event::PrescriptionRequestCancelled {
					request: 1,
					patient: PATIENT
				})
			);
			assert_noop!(
				PatientRecords::decline_prescription(signed(DOCTOR), 7),
				Error::<Test>::RequestNotFound
			);
		});
	}
}

/// A doctor who anchors another patient's document as a record of their own patient (a decoy)
/// would be its author, so permitted to read it, and deleting the decoy would make the
/// custodian destroy the original's document. A commitment is anchored once on the whole chain.
mod aliasing {
	use super::*;

	#[test]
	fn a_commitment_is_anchored_once_chain_wide() {
		test(|| {
			let original = add_note();
			assert_eq!(RecordOfCommitment::<Test>::get(H256::repeat_byte(1)), Some(original));
			let count = NextRecordId::<Test>::get();
			// Another doctor, another patient, one record or a batch: refused, nothing changes.
			assert_noop!(
				PatientRecords::add_record(
					signed(OTHER_DOCTOR),
					PATIENT_2,
					Category::ClinicalNote,
					content(1)
				),
				Error::<Test>::CommitmentInUse
			);
			assert_noop!(
				PatientRecords::add_records(
					signed(DOCTOR),
					vec![
						NewRecord {
							patient: PATIENT_2,
							category: Category::ClinicalNote,
							content: content(3)
						},
						NewRecord {
							patient: PATIENT_2,
							category: Category::ClinicalNote,
							content: content(1)
						},
					]
				),
				Error::<Test>::CommitmentInUse
			);
			// Twice in one batch.
			assert_noop!(
				PatientRecords::add_records(
					signed(DOCTOR),
					vec![
						NewRecord {
							patient: PATIENT_2,
							category: Category::ClinicalNote,
							content: content(4)
						},
						NewRecord {
							patient: PATIENT,
							category: Category::ClinicalNote,
							content: content(4)
						},
					]
				),
				Error::<Test>::CommitmentInUse
			);
			// The patient's own record, as a patient-held one.
			assert_noop!(
				PatientRecords::add_record(
					signed(PATIENT_2),
					PATIENT_2,
					Category::PatientReported,
					content(1)
				),
				Error::<Test>::CommitmentInUse
			);
			assert_eq!(NextRecordId::<Test>::get(), count);
		});
	}

	#[test]
	fn an_amendment_cannot_take_another_records_document() {
		test(|| {
			let original = add_note();
			assert_ok!(PatientRecords::add_record(
				signed(DOCTOR),
				PATIENT_2,
				Category::ClinicalNote,
				content(2)
			));
			let decoy = original + 1;
			// Amending the decoy to the original's document: refused at once.
			assert_noop!(
				PatientRecords::propose_amendment(signed(DOCTOR), decoy, content(1)),
				Error::<Test>::CommitmentInUse
			);
			// A proposal that was fine, overtaken before approval: refused when approved.
			assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), decoy, content(5)));
			assert_ok!(PatientRecords::add_record(
				signed(DOCTOR),
				PATIENT,
				Category::ClinicalNote,
				content(5)
			));
			assert_noop!(
				PatientRecords::approve_amendment(signed(PATIENT_2), decoy),
				Error::<Test>::CommitmentInUse
			);
			assert_eq!(record(decoy).status, RecordStatus::Current);
		});
	}

	#[test]
	fn a_deleted_records_document_is_never_anchored_again() {
		test(|| {
			let id = add_note();
			assert_ok!(PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete));
			assert_ok!(PatientRecords::approve_withdrawal(signed(PATIENT), id));
			assert_eq!(record(id).status, RecordStatus::Deleted);
			assert_eq!(RecordOfCommitment::<Test>::get(H256::repeat_byte(1)), Some(id));
			assert_noop!(
				PatientRecords::add_record(
					signed(DOCTOR),
					PATIENT,
					Category::ClinicalNote,
					content(1)
				),
				Error::<Test>::CommitmentInUse
			);
		});
	}
}

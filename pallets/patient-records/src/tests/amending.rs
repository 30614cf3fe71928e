//! Amending: proposals and approvals, one-step amendments with the patient's signature,
//! patient-held records, and the bound on versions.

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

//! Prescription requests: fulfilled, declined or cancelled, to active doctors only, bounded per
//! patient.

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
		assert_eq!((r.category, r.author, r.custodian), (Category::Prescription, DOCTOR, Some(0)));
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
		assert_eq!(PrescriptionRequests::<Test>::get(0).unwrap().status, RequestStatus::Declined);
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

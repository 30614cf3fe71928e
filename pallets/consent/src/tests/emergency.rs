//! Emergency access: the window, ending and review, every refusal, the rate limit per doctor, and
//! the review queue's bound.

use super::*;

fn declare(doctor: u64) -> EmergencyId {
	let id = NextEmergencyId::<Test>::get();
	assert_ok!(Consent::declare_emergency(
		signed(doctor),
		PATIENT,
		EmergencyReason::PatientUnconscious,
		b"ER bay 3".to_vec()
	));
	id
}

#[test]
fn the_window_opens_and_closes() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		let t = Target::Record(note);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::EmergencyTreatment),
			Decision::Deny(DenyReason::NoGrant)
		);
		let id = declare(OTHER_DOCTOR);
		assert_eq!(
			last_event(),
			Event::EmergencyAccessOpened {
				id,
				patient: PATIENT,
				doctor: OTHER_DOCTOR,
				hospital: 1,
				reason: EmergencyReason::PatientUnconscious,
				expires_at: NOW + EMERGENCY_MS,
			}
			.into()
		);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::EmergencyTreatment),
			Decision::Permit(PermitBasis::Emergency(id))
		);
		// Only for emergency treatment, only reads, only that doctor.
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::NoGrant)
		);
		assert_eq!(
			decide(NURSE, t, Purpose::EmergencyTreatment),
			Decision::Deny(DenyReason::NoGrant)
		);
		let at = |ms| {
			Consent::decide(
				&OTHER_DOCTOR,
				&PATIENT,
				t,
				Purpose::EmergencyTreatment,
				Action::Read,
				ms,
			)
		};
		assert!(at(NOW + EMERGENCY_MS - 1).is_permit());
		assert_eq!(at(NOW + EMERGENCY_MS), Decision::Deny(DenyReason::NoGrant));
		// The patient's app lists it; the hospital's queue holds it.
		let listed = Consent::emergencies_of(&PATIENT, NOW);
		assert_eq!(listed.len(), 1);
		assert!(listed[0].open);
		assert_eq!(listed[0].note, b"ER bay 3".to_vec());
		assert_eq!(Consent::review_queue(1, NOW).len(), 1);
	});
}

#[test]
fn the_doctor_ends_it_and_a_privacy_officer_reviews_it() {
	test(|| {
		let id = declare(OTHER_DOCTOR);
		assert_noop!(
			Consent::review_emergency(signed(OTHER_OFFICER), id, ReviewOutcome::Justified),
			Error::<Test>::EmergencyStillOpen
		);
		assert_noop!(Consent::end_emergency(signed(DOCTOR), id), Error::<Test>::NotEmergencyDoctor);
		assert_ok!(Consent::end_emergency(signed(OTHER_DOCTOR), id));
		assert_eq!(
			last_event(),
			Event::EmergencyAccessEnded { id, patient: PATIENT, doctor: OTHER_DOCTOR }.into()
		);
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Category(Category::Allergy), Purpose::EmergencyTreatment),
			Decision::Deny(DenyReason::NoGrant)
		);
		assert_noop!(
			Consent::end_emergency(signed(OTHER_DOCTOR), id),
			Error::<Test>::EmergencyClosed
		);
		assert_noop!(
			Consent::review_emergency(signed(OFFICER), id, ReviewOutcome::Justified),
			Error::<Test>::WrongHospital
		);
		assert_noop!(
			Consent::review_emergency(signed(OTHER_DOCTOR), id, ReviewOutcome::Justified),
			Error::<Test>::NotAPrivacyOfficer
		);
		assert_noop!(
			Consent::review_emergency(signed(STRANGER), id, ReviewOutcome::Justified),
			Error::<Test>::NotActiveStaff
		);
		assert_ok!(Consent::review_emergency(
			signed(OTHER_OFFICER),
			id,
			ReviewOutcome::NotJustified
		));
		assert_eq!(
			last_event(),
			Event::EmergencyAccessReviewed {
				id,
				patient: PATIENT,
				doctor: OTHER_DOCTOR,
				hospital: 1,
				officer: OTHER_OFFICER,
				outcome: ReviewOutcome::NotJustified,
			}
			.into()
		);
		assert!(Consent::review_queue(1, NOW).is_empty());
		assert!(Consent::emergencies_of(&PATIENT, NOW).is_empty());
		assert_noop!(
			Consent::review_emergency(signed(OTHER_OFFICER), id, ReviewOutcome::Justified),
			Error::<Test>::EmergencyNotFound
		);
		assert_noop!(
			Consent::end_emergency(signed(OTHER_DOCTOR), id),
			Error::<Test>::EmergencyNotFound
		);
	});
}

#[test]
fn emergency_refusals_change_nothing() {
	test(|| {
		for who in [NURSE, LAB, ADMIN_STAFF, OFFICER] {
			assert_noop!(
				Consent::declare_emergency(signed(who), PATIENT, EmergencyReason::Other, vec![]),
				Error::<Test>::NotADoctor
			);
		}
		assert_noop!(
			Consent::declare_emergency(signed(PATIENT), PATIENT, EmergencyReason::Other, vec![]),
			Error::<Test>::NotActiveStaff
		);
		assert_noop!(
			Consent::declare_emergency(signed(DOCTOR), STRANGER, EmergencyReason::Other, vec![]),
			Error::<Test>::PatientNotFound
		);
		assert_noop!(
			Consent::declare_emergency(
				signed(DOCTOR),
				PATIENT,
				EmergencyReason::Other,
				vec![b'x'; 17]
			),
			Error::<Test>::NoteTooLong
		);
		assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Suspended));
		assert_noop!(
			Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
			Error::<Test>::NotActiveStaff
		);
		assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Active));
		declare(DOCTOR);
		assert_noop!(
			Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
			Error::<Test>::EmergencyAlreadyOpen
		);
	});
}

#[test]
fn emergencies_are_rate_limited_per_doctor() {
	test(|| {
		let first = declare(DOCTOR);
		set_time(NOW + EMERGENCY_MS);
		// The first has closed, unreviewed: a second may open (both wait for review).
		let second = declare(DOCTOR);
		assert_eq!(Consent::review_queue(0, NOW).len(), 2);
		set_time(NOW + 2 * EMERGENCY_MS);
		assert_noop!(
			Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
			Error::<Test>::EmergencyRateLimited
		);
		// Reviewing the older keeps the newer one's index.
		assert_ok!(Consent::review_emergency(signed(OFFICER), first, ReviewOutcome::Justified));
		assert_eq!(LatestEmergency::<Test>::get(PATIENT, DOCTOR), Some(second));
		// A new rate window allows more.
		advance(100);
		declare(DOCTOR);
	});
}

#[test]
fn a_full_review_queue_stops_new_emergencies() {
	test(|| {
		// Queue of 3 in the mock: fill it with three patients' emergencies.
		assert_ok!(Consent::declare_emergency(
			signed(DOCTOR),
			PATIENT,
			EmergencyReason::Other,
			vec![]
		));
		assert_ok!(Consent::declare_emergency(
			signed(DOCTOR),
			PATIENT_2,
			EmergencyReason::Other,
			vec![]
		));
		advance(100);
		assert_ok!(Consent::declare_emergency(
			signed(DOCTOR),
			DELEGATE,
			EmergencyReason::Other,
			vec![]
		));
		set_time(NOW + EMERGENCY_MS);
		assert_noop!(
			Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
			Error::<Test>::ReviewQueueFull
		);
		// Another hospital's queue is separate.
		assert_ok!(Consent::declare_emergency(
			signed(OTHER_DOCTOR),
			PATIENT,
			EmergencyReason::Other,
			vec![]
		));
	});
}

//! Guardianship: only a hospital that verified the patient records a guardian; the patient (or
//! another guardian) contests, a privacy officer reviews, and the council ends any guardianship.

use super::*;

/// Hospital 0 verifies [`PATIENT`].
fn verified_at_0() {
	assert_ok!(Registry::verify_patient(signed(CLERK), PATIENT, H256::repeat_byte(7)));
}

#[test]
fn hospitals_record_and_remove_guardians() {
	test(|| {
		verified_at_0();
		assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 400));
		assert_eq!(
			last_event(),
			Event::GuardianRecorded { patient: PATIENT, guardian: 400, hospital: 0 }.into()
		);
		assert!(Registry::acts_for(&400, &PATIENT));
		assert_eq!(
			logged(),
			vec![
				(PATIENT, CLERK, DelegationChange::PatientVerified, CLERK),
				(PATIENT, CLERK, DelegationChange::GuardianRecorded, 400)
			]
		);
		// The patient cannot remove a guardian, nor can another hospital.
		assert_noop!(
			Registry::remove_delegate(signed(PATIENT), 400),
			Error::<Test>::NotDelegationOwner
		);
		assert_noop!(
			Registry::remove_guardian(signed(20), PATIENT, 400),
			Error::<Test>::NotDelegationOwner
		);
		assert_noop!(
			Registry::record_guardian(signed(NURSE), PATIENT, 401),
			Error::<Test>::NotAdminOrAdministrator
		);
		assert_noop!(
			Registry::record_guardian(signed(10), PATIENT, PATIENT),
			Error::<Test>::SelfDelegation
		);
		assert_noop!(
			Registry::remove_guardian(signed(10), PATIENT, 401),
			Error::<Test>::DelegateNotFound
		);
		// A guardian recorded by a suspended hospital no longer acts.
		assert_ok!(Registry::suspend_hospital(root(), 0));
		assert!(!Registry::acts_for(&400, &PATIENT));
		assert_ok!(Registry::reinstate_hospital(root(), 0));
		assert_ok!(Registry::remove_guardian(signed(10), PATIENT, 400));
		assert_eq!(
			last_event(),
			Event::GuardianRemoved {
				patient: PATIENT,
				guardian: 400,
				hospital: 0,
				by_council: false
			}
			.into()
		);
		assert_eq!(
			logged()[2],
			(PATIENT, 10, DelegationChange::GuardianRemoved { by_council: false }, 400)
		);
		assert!(!Registry::acts_for(&400, &PATIENT));
	});
}

#[test]
fn a_hospital_that_never_verified_the_patient_cannot_record_a_guardian() {
	test(|| {
		// Hospital 1's admin, and hospital 0's administrator before it verified the patient.
		assert_noop!(
			Registry::record_guardian(signed(20), PATIENT, 400),
			Error::<Test>::PatientNotVerifiedHere
		);
		assert_noop!(
			Registry::record_guardian(signed(CLERK), PATIENT, 400),
			Error::<Test>::PatientNotVerifiedHere
		);
		assert_noop!(
			Registry::record_guardian(signed(CLERK), 999, 400),
			Error::<Test>::PatientNotFound
		);
		verified_at_0();
		// Verified by hospital 0 only: hospital 1 still cannot.
		assert_noop!(
			Registry::record_guardian(signed(20), PATIENT, 400),
			Error::<Test>::PatientNotVerifiedHere
		);
		assert!(!Registry::acts_for(&400, &PATIENT));
		// The verification itself is in the patient's log: nothing else is.
		assert_eq!(logged(), vec![(PATIENT, CLERK, DelegationChange::PatientVerified, CLERK)]);
	});
}

#[test]
fn the_patient_contests_and_a_privacy_officer_reviews() {
	test(|| {
		const OFFICER: u64 = 103;
		// The mock's hospitals have room for three staff: the nurse leaves.
		assert_ok!(Registry::set_staff_status(signed(10), NURSE, StaffStatus::Ended));
		assert_ok!(Registry::register_staff(
			signed(10),
			OFFICER,
			StaffRole::PrivacyOfficer,
			H256::zero(),
			None
		));
		verified_at_0();
		assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 400));
		assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 401));
		// Outsiders, staff and the guardian itself cannot contest; a delegate neither.
		for who in [999, NURSE, 20, 400] {
			assert_noop!(
				Registry::contest_guardian(signed(who), PATIENT, 400),
				Error::<Test>::NotPatientOrGuardian
			);
		}
		assert_noop!(
			Registry::contest_guardian(signed(PATIENT), PATIENT, 402),
			Error::<Test>::NotAGuardian
		);
		// The other guardian contests; the contested one keeps acting until reviewed.
		assert_ok!(Registry::contest_guardian(signed(401), PATIENT, 400));
		assert_eq!(
			last_event(),
			Event::GuardianContested { patient: PATIENT, guardian: 400, hospital: 0, by: 401 }
				.into()
		);
		assert!(Registry::acts_for(&400, &PATIENT));
		assert_noop!(
			Registry::contest_guardian(signed(PATIENT), PATIENT, 400),
			Error::<Test>::AlreadyContested
		);
		// Only the recording hospital's privacy officer or admin reviews.
		for who in [CLERK, DOCTOR, 20, PATIENT, 400] {
			assert_noop!(
				Registry::review_guardianship(signed(who), PATIENT, 400, true),
				Error::<Test>::NotReviewer
			);
		}
		assert_noop!(
			Registry::review_guardianship(signed(OFFICER), PATIENT, 401, true),
			Error::<Test>::NotContested
		);
		assert_ok!(Registry::review_guardianship(signed(OFFICER), PATIENT, 400, true));
		assert_eq!(
			last_event(),
			Event::GuardianUpheld { patient: PATIENT, guardian: 400, hospital: 0 }.into()
		);
		assert!(Registry::acts_for(&400, &PATIENT));
		// Contested again by the patient, and this time ended.
		assert_ok!(Registry::contest_guardian(signed(PATIENT), PATIENT, 400));
		assert_ok!(Registry::review_guardianship(signed(OFFICER), PATIENT, 400, false));
		assert!(!Registry::acts_for(&400, &PATIENT));
		assert!(GuardianContests::<Test>::iter().next().is_none());
		let changes: Vec<_> = logged().into_iter().map(|(_, a, c, p)| (a, c, p)).collect();
		assert_eq!(
			changes,
			vec![
				(CLERK, DelegationChange::PatientVerified, CLERK),
				(CLERK, DelegationChange::GuardianRecorded, 400),
				(CLERK, DelegationChange::GuardianRecorded, 401),
				(401, DelegationChange::GuardianContested, 400),
				(OFFICER, DelegationChange::GuardianUpheld, 400),
				(PATIENT, DelegationChange::GuardianContested, 400),
				(OFFICER, DelegationChange::GuardianRemoved { by_council: false }, 400),
			]
		);
	});
}

#[test]
fn the_council_ends_any_guardianship() {
	test(|| {
		verified_at_0();
		assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 400));
		assert_ok!(Registry::contest_guardian(signed(PATIENT), PATIENT, 400));
		for who in [10, 20, CLERK, PATIENT] {
			assert_noop!(Registry::end_guardianship(signed(who), PATIENT, 400), BadOrigin);
		}
		assert_noop!(Registry::end_guardianship(root(), PATIENT, 401), Error::<Test>::NotAGuardian);
		assert_ok!(Registry::end_guardianship(root(), PATIENT, 400));
		assert_eq!(
			last_event(),
			Event::GuardianRemoved {
				patient: PATIENT,
				guardian: 400,
				hospital: 0,
				by_council: true
			}
			.into()
		);
		assert!(!Registry::acts_for(&400, &PATIENT));
		assert!(GuardianContests::<Test>::iter().next().is_none());
		// A delegate is the patient's to remove, never the council's or a hospital's.
		assert_ok!(Registry::appoint_delegate(signed(PATIENT), 500));
		assert_noop!(Registry::end_guardianship(root(), PATIENT, 500), Error::<Test>::NotAGuardian);
		assert_noop!(
			Registry::remove_guardian(signed(10), PATIENT, 500),
			Error::<Test>::NotDelegationOwner
		);
	});
}

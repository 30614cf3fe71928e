//! Patients: registration, verification and enrolment by hospitals, and delegates.

use super::*;

#[test]
fn anyone_signs_up_once() {
	test(|| {
		assert_ok!(Registry::register_patient(signed(201)));
		assert_eq!(last_event(), Event::PatientRegistered { patient: 201 }.into());
		assert!(Registry::is_patient(&201));
		assert_noop!(Registry::register_patient(signed(201)), Error::<Test>::AlreadyPatient);
		assert_noop!(Registry::register_patient(root()), BadOrigin);
	});
}

#[test]
fn hospitals_verify_patients_with_a_commitment() {
	test(|| {
		// By the admin, and by an active Administrator of another hospital's staff.
		assert_ok!(Registry::verify_patient(signed(20), PATIENT, commitment(5)));
		assert_eq!(last_event(), Event::PatientVerified { patient: PATIENT, hospital: 1 }.into());
		assert_ok!(Registry::verify_patient(signed(CLERK), PATIENT, commitment(6)));
		assert_eq!(PatientVerifications::<Test>::get(PATIENT, 0), Some(commitment(6)));
		assert_noop!(
			Registry::verify_patient(signed(30), PATIENT, commitment(7)),
			Error::<Test>::TooManyVerifications
		);
		assert_noop!(
			Registry::verify_patient(signed(CLERK), PATIENT, commitment(7)),
			Error::<Test>::AlreadyVerified
		);
		assert_noop!(
			Registry::verify_patient(signed(DOCTOR), PATIENT, commitment(7)),
			Error::<Test>::NotAdminOrAdministrator
		);
		assert_noop!(
			Registry::verify_patient(signed(30), 999, commitment(7)),
			Error::<Test>::PatientNotFound
		);
	});
}

#[test]
fn hospitals_enrol_patients_without_balance() {
	test(|| {
		// A walk-in patient: registered and verified at once; the account exists.
		let walk_in = 777;
		assert_eq!(System::sufficients(&walk_in), 0);
		assert_ok!(Registry::enrol_patient(signed(CLERK), walk_in, commitment(5)));
		assert!(Registry::is_patient(&walk_in));
		assert_eq!(System::sufficients(&walk_in), 1);
		assert!(System::account_exists(&walk_in));
		assert_eq!(PatientVerifications::<Test>::get(walk_in, 0), Some(commitment(5)));
		assert_eq!(last_event(), Event::PatientVerified { patient: walk_in, hospital: 0 }.into());
		// An already registered patient is verified only.
		assert_ok!(Registry::enrol_patient(signed(20), PATIENT, commitment(6)));
		assert_eq!(PatientVerifications::<Test>::get(PATIENT, 1), Some(commitment(6)));
		assert_noop!(
			Registry::enrol_patient(signed(CLERK), walk_in, commitment(7)),
			Error::<Test>::AlreadyVerified
		);
		assert_noop!(
			Registry::enrol_patient(signed(DOCTOR), 778, commitment(7)),
			Error::<Test>::NotAdminOrAdministrator
		);
		assert_noop!(
			Registry::enrol_patient(signed(PATIENT), 778, commitment(7)),
			Error::<Test>::NotAdminOrAdministrator
		);
	});
}

#[test]
fn self_registration_makes_the_account_exist() {
	test(|| {
		assert_ok!(Registry::register_patient(signed(555)));
		assert_eq!(System::sufficients(&555), 1);
		assert_noop!(Registry::register_patient(signed(555)), Error::<Test>::AlreadyPatient);
	});
}

#[test]
fn patients_appoint_and_remove_delegates() {
	test(|| {
		assert_ok!(Registry::appoint_delegate(signed(PATIENT), 300));
		assert_eq!(
			last_event(),
			Event::DelegateAppointed { patient: PATIENT, delegate: 300 }.into()
		);
		assert!(Registry::acts_for(&300, &PATIENT));
		assert!(Registry::acts_for(&PATIENT, &PATIENT));
		assert!(!Registry::acts_for(&301, &PATIENT));
		assert_ok!(Registry::remove_delegate(signed(PATIENT), 300));
		assert_eq!(
			logged(),
			vec![
				(PATIENT, PATIENT, DelegationChange::DelegateAppointed, 300),
				(PATIENT, PATIENT, DelegationChange::DelegateRemoved, 300),
			]
		);
		assert_eq!(last_event(), Event::DelegateRemoved { patient: PATIENT, delegate: 300 }.into());
		assert!(!Registry::acts_for(&300, &PATIENT));
	});
}

#[test]
fn delegation_is_checked() {
	test(|| {
		assert_noop!(
			Registry::appoint_delegate(signed(PATIENT), PATIENT),
			Error::<Test>::SelfDelegation
		);
		assert_noop!(Registry::appoint_delegate(signed(999), 300), Error::<Test>::PatientNotFound);
		assert_ok!(Registry::appoint_delegate(signed(PATIENT), 300));
		assert_noop!(
			Registry::appoint_delegate(signed(PATIENT), 300),
			Error::<Test>::AlreadyDelegate
		);
		assert_ok!(Registry::appoint_delegate(signed(PATIENT), 301));
		assert_noop!(
			Registry::appoint_delegate(signed(PATIENT), 302),
			Error::<Test>::TooManyDelegates
		);
		assert_noop!(
			Registry::remove_delegate(signed(PATIENT), 302),
			Error::<Test>::DelegateNotFound
		);
	});
}

#[test]
fn nobody_acts_for_a_non_patient() {
	test(|| {
		assert!(!Registry::acts_for(&999, &999));
	});
}

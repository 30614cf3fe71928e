//! Suspension, reinstatement and removal of hospitals, and the validators that must remain.

use super::*;

#[test]
fn suspension_takes_everything_away_and_reinstatement_gives_it_back() {
	test(|| {
		assert_ok!(Registry::suspend_hospital(root(), 0));
		assert_eq!(last_event(), Event::HospitalSuspended { hospital: 0 }.into());
		assert_eq!(Registry::new_session(1), Some(vec![21, 31]));
		assert_eq!(CouncilMembers::get(), vec![20, 30]);
		assert_eq!(Registry::node_permissions(), (vec![peer(1), peer(2)], true));
		assert_eq!(staff_of(&DOCTOR), Err(Error::<Test>::HospitalNotActive.into()));
		assert_noop!(
			Registry::update_hospital(signed(10), Some(b"Y".to_vec()), None),
			Error::<Test>::HospitalNotActive
		);

		assert_ok!(Registry::reinstate_hospital(root(), 0));
		assert_eq!(last_event(), Event::HospitalReinstated { hospital: 0 }.into());
		assert_eq!(Registry::new_session(2), Some(vec![11, 21, 31]));
		assert_eq!(CouncilMembers::get(), vec![10, 20, 30]);
		assert!(staff_of(&DOCTOR).is_ok());
	});
}

#[test]
fn status_changes_are_checked() {
	test(|| {
		assert_noop!(Registry::suspend_hospital(signed(10), 1), BadOrigin);
		assert_noop!(Registry::suspend_hospital(root(), 9), Error::<Test>::HospitalNotFound);
		assert_noop!(Registry::reinstate_hospital(root(), 9), Error::<Test>::HospitalNotFound);
		assert_noop!(Registry::remove_hospital(root(), 9), Error::<Test>::HospitalNotFound);
		assert_noop!(Registry::reinstate_hospital(root(), 1), Error::<Test>::HospitalNotSuspended);
		assert_ok!(Registry::suspend_hospital(root(), 1));
		assert_noop!(Registry::suspend_hospital(root(), 1), Error::<Test>::HospitalNotActive);
	});
}

#[test]
fn the_last_validators_cannot_be_taken_out() {
	test(|| {
		// MinValidators is 2 of the 3 founding hospitals.
		assert_ok!(Registry::suspend_hospital(root(), 2));
		assert_noop!(Registry::suspend_hospital(root(), 1), Error::<Test>::TooFewValidators);
		assert_noop!(Registry::remove_hospital(root(), 1), Error::<Test>::TooFewValidators);
		// A suspended hospital can still be removed: it is no validator.
		assert_ok!(Registry::remove_hospital(root(), 2));
	});
}

#[test]
fn removal_releases_admin_validator_and_nodes() {
	test(|| {
		assert_ok!(Registry::remove_hospital(root(), 2));
		assert_eq!(last_event(), Event::HospitalRemoved { hospital: 2 }.into());
		assert_eq!(Hospitals::<Test>::get(2).unwrap().status, HospitalStatus::Removed);
		assert_noop!(Registry::remove_hospital(root(), 2), Error::<Test>::HospitalAlreadyRemoved);
		assert_noop!(Registry::reinstate_hospital(root(), 2), Error::<Test>::HospitalNotSuspended);
		// The same admin, validator and node can join again as a new hospital.
		assert_ok!(admit(30, 31, vec![vec![2, 1]]));
		assert_eq!(HospitalOfAdmin::<Test>::get(30), Some(3));
	});
}

//! Staff: registration, suspension, reinstatement, end and expiry of rights, and their refusals.

use super::*;

#[test]
fn admin_registers_suspends_reinstates_and_ends_staff() {
	test(|| {
		assert_ok!(Registry::register_staff(
			signed(20),
			300,
			StaffRole::Lab,
			commitment(1),
			Some(NOW + 1000)
		));
		assert_eq!(
			last_event(),
			Event::StaffRegistered { hospital: 1, staff: 300, role: StaffRole::Lab }.into()
		);
		assert_eq!(staff_of(&300), Ok(ActiveStaff { hospital: 1, role: StaffRole::Lab }));
		// The licence number itself is never stored, only its commitment.
		assert_eq!(Staff::<Test>::get(300).unwrap().licence_commitment, commitment(1));

		assert_ok!(Registry::set_staff_status(signed(20), 300, StaffStatus::Suspended));
		assert_eq!(staff_of(&300), Err(Error::<Test>::StaffSuspended.into()));
		assert_ok!(Registry::set_staff_status(signed(20), 300, StaffStatus::Active));
		assert!(staff_of(&300).is_ok());
		assert_ok!(Registry::set_staff_status(signed(20), 300, StaffStatus::Ended));
		assert_eq!(
			last_event(),
			Event::StaffStatusChanged { hospital: 1, staff: 300, status: StaffStatus::Ended }
				.into()
		);
		assert_eq!(staff_of(&300), Err(Error::<Test>::EmploymentEnded.into()));
		assert_eq!(Hospitals::<Test>::get(1).unwrap().staff, 0);
	});
}

#[test]
fn validity_ends_rights() {
	test(|| {
		assert_ok!(Registry::register_staff(
			signed(20),
			300,
			StaffRole::Doctor,
			commitment(1),
			Some(NOW + 1000)
		));
		Timestamp::set_timestamp(NOW + 999);
		assert!(staff_of(&300).is_ok());
		// Exactly at the end of validity the rights are gone.
		Timestamp::set_timestamp(NOW + 1000);
		assert_eq!(staff_of(&300), Err(Error::<Test>::StaffExpired.into()));
	});
}

#[test]
fn staff_registration_is_checked() {
	test(|| {
		assert_noop!(
			Registry::register_staff(signed(DOCTOR), 300, StaffRole::Nurse, commitment(1), None),
			Error::<Test>::NotHospitalAdmin
		);
		assert_noop!(
			Registry::register_staff(signed(20), DOCTOR, StaffRole::Nurse, commitment(1), None),
			Error::<Test>::AlreadyStaff
		);
		assert_noop!(
			Registry::register_staff(signed(20), 300, StaffRole::Nurse, commitment(1), Some(NOW)),
			Error::<Test>::ValidityInPast
		);
		// Hospital 0 already has its 3 staff.
		assert_noop!(
			Registry::register_staff(signed(10), 300, StaffRole::Nurse, commitment(1), None),
			Error::<Test>::TooManyStaff
		);
	});
}

#[test]
fn an_admin_cannot_touch_another_hospitals_staff() {
	test(|| {
		assert_noop!(
			Registry::set_staff_status(signed(20), DOCTOR, StaffStatus::Suspended),
			Error::<Test>::WrongHospital
		);
		assert_noop!(
			Registry::set_staff_status(signed(20), 999, StaffStatus::Suspended),
			Error::<Test>::StaffNotFound
		);
		assert_noop!(
			Registry::set_staff_status(signed(DOCTOR), NURSE, StaffStatus::Suspended),
			Error::<Test>::NotHospitalAdmin
		);
	});
}

#[test]
fn status_changes_must_change_something_and_ending_is_final() {
	test(|| {
		assert_noop!(
			Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Active),
			Error::<Test>::StatusUnchanged
		);
		assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Ended));
		assert_noop!(
			Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Active),
			Error::<Test>::EmploymentEnded
		);
		// The ended member's slot is free again.
		assert_ok!(Registry::register_staff(
			signed(10),
			300,
			StaffRole::Doctor,
			commitment(2),
			None
		));
	});
}

#[test]
fn unknown_staff_has_no_rights() {
	test(|| {
		assert_eq!(staff_of(&999), Err(Error::<Test>::StaffNotFound.into()));
	});
}

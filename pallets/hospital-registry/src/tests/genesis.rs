//! Genesis: the founding hospitals are active, validators and the council.

use super::*;

#[test]
fn founding_hospitals_are_active_validators_and_council() {
	test(|| {
		assert_eq!(NextHospitalId::<Test>::get(), 3);
		assert_eq!(Registry::active_validators(), vec![11, 21, 31]);
		assert_eq!(CouncilMembers::get(), vec![10, 20, 30]);
		assert_eq!(Registry::node_permissions().0.len(), 3);
		assert_eq!(staff_of(&DOCTOR), Ok(ActiveStaff { hospital: 0, role: StaffRole::Doctor }));
		assert!(Registry::is_patient(&PATIENT));
	});
}

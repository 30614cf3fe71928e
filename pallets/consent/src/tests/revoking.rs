//! Revoking: a revocation takes effect at once and stays listed, a valid grant still permits beside
//! a revoked one, and every refusal of `revoke`.

use super::*;

#[test]
fn revocation_is_immediate_and_listed() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		assert!(decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment).is_permit());
		set_time(NOW + 10);
		advance(1);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment),
			Decision::Deny(DenyReason::Revoked(0))
		);
		let listed = Consent::grants_of(&PATIENT, NOW + 10);
		assert_eq!(listed.len(), 1);
		assert_eq!(listed[0].status, GrantStatus::Revoked);
		assert_eq!(listed[0].revoked, Some(Revocation { by: PATIENT, at: NOW + 10, in_block: 2 }));
	});
}

#[test]
fn a_valid_grant_wins_over_a_revoked_one() {
	test(|| {
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Category(Category::Allergy), Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(1))
		);
		let listed = Consent::grants_of(&PATIENT, NOW);
		assert_eq!(listed.iter().map(|g| g.id).collect::<Vec<_>>(), vec![1, 0]);
	});
}

#[test]
fn revoke_refusals_change_nothing() {
	test(|| {
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		assert_noop!(Consent::revoke(signed(PATIENT_2), PATIENT, 0), Error::<Test>::NotForPatient);
		assert_noop!(
			Consent::revoke(signed(OTHER_DOCTOR), PATIENT, 0),
			Error::<Test>::NotForPatient
		);
		assert_noop!(Consent::revoke(signed(PATIENT), PATIENT, 5), Error::<Test>::GrantNotFound);
		assert_noop!(
			Consent::revoke(signed(STRANGER), STRANGER, 0),
			Error::<Test>::PatientNotFound
		);
		// Patient 2 cannot revoke patient 1's grant through their own account either.
		assert_noop!(
			Consent::revoke(signed(PATIENT_2), PATIENT_2, 0),
			Error::<Test>::GrantNotFound
		);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
		assert_noop!(Consent::revoke(signed(PATIENT), PATIENT, 0), Error::<Test>::AlreadyRevoked);
	});
}

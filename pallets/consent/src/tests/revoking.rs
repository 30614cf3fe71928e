//! Revoking: a revocation takes effect at once and stays listed, a valid grant still permits beside
//! a revoked one, a denial names the revoked grant that would have permitted, and every refusal
//! of `revoke`.

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
fn a_revoked_grant_for_the_purpose_is_named_before_a_grant_for_another_purpose() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		let all = || Scope::AllRecords;
		let end = NOW + 1000;
		// The patient lets the doctor read for treatment (grant 0) and for research (grant 1),
		// then revokes the treatment grant.
		let treatment = grant_doctor(all(), vec![], Purpose::Treatment, Action::Read, None, end);
		let research = grant_doctor(all(), vec![], Purpose::Research, Action::Read, None, end);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, treatment));
		// For treatment, grant 0 would permit but for its revocation; grant 1 does not allow
		// treatment at all.
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment),
			Decision::Deny(DenyReason::Revoked(treatment))
		);
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Record(note), Purpose::Research),
			Decision::Permit(PermitBasis::Grant(research))
		);
	});
}

#[test]
fn a_revoked_grant_that_would_not_permit_is_ranked_by_its_first_miss() {
	test(|| {
		// Grant 0: all records for research, revoked. Grant 1: lab results for treatment.
		let research = grant_doctor(
			Scope::AllRecords,
			vec![],
			Purpose::Research,
			Action::Read,
			None,
			NOW + 1000,
		);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, research));
		let labs = Scope::Categories(vec![Category::LabResult].try_into().unwrap());
		grant_doctor(labs, vec![], Purpose::Treatment, Action::Read, None, NOW + 1000);
		// Imaging for treatment: grant 1 does not cover imaging; grant 0 covers it but, revoked
		// or not, does not allow treatment, and that is what it is named for.
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Category(Category::Imaging), Purpose::Treatment),
			Decision::Deny(DenyReason::PurposeNotGranted(research))
		);
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

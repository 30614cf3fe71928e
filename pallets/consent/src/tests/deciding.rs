//! The decision function: the patient and the author, suspended staff, unknown parties and bad
//! targets, deleted records, and which grant a denial names: the one whose checks got furthest,
//! the lowest-numbered of those that got equally far.

use super::*;

#[test]
fn the_patient_and_the_author_may_read() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		assert_eq!(
			decide(PATIENT, Target::Record(note), Purpose::Treatment),
			Decision::Permit(PermitBasis::Patient)
		);
		assert_eq!(
			decide(DOCTOR, Target::Record(note), Purpose::Treatment),
			Decision::Permit(PermitBasis::Author)
		);
		// The author reads; proposing an amendment goes through the records pallet's own
		// custodian rule, not this basis.
		assert_eq!(
			Consent::decide(
				&DOCTOR,
				&PATIENT,
				Target::Record(note),
				Purpose::Treatment,
				Action::ProposeAmendment,
				NOW
			),
			Decision::Deny(DenyReason::NoGrant)
		);
	});
}

#[test]
fn a_suspended_doctor_is_denied_despite_a_grant() {
	test(|| {
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		let t = Target::Category(Category::Allergy);
		assert!(decide(OTHER_DOCTOR, t, Purpose::Treatment).is_permit());
		assert_ok!(Registry::set_staff_status(signed(20), OTHER_DOCTOR, StaffStatus::Suspended));
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::StaffNotActive)
		);
		assert_ok!(Registry::set_staff_status(signed(20), OTHER_DOCTOR, StaffStatus::Active));
		assert!(decide(OTHER_DOCTOR, t, Purpose::Treatment).is_permit());
		// Its hospital suspended: denied too.
		assert_ok!(Registry::suspend_hospital(RuntimeOrigin::root(), 1));
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::StaffNotActive)
		);
	});
}

#[test]
fn unknown_parties_and_bad_targets_are_denied() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		let other = add_record(DOCTOR, PATIENT_2, Category::ClinicalNote);
		let at = |accessor, patient, target| {
			Consent::decide(&accessor, &patient, target, Purpose::Treatment, Action::Read, NOW)
		};
		assert_eq!(
			at(DOCTOR, STRANGER, Target::Record(note)),
			Decision::Deny(DenyReason::PatientNotFound)
		);
		assert_eq!(
			at(DOCTOR, PATIENT, Target::Record(77)),
			Decision::Deny(DenyReason::RecordNotFound)
		);
		assert_eq!(
			at(PATIENT, PATIENT, Target::Record(other)),
			Decision::Deny(DenyReason::RecordOfAnotherPatient)
		);
		assert_eq!(
			at(STRANGER, PATIENT, Target::Record(note)),
			Decision::Deny(DenyReason::NotStaff)
		);
		assert_eq!(
			at(PATIENT_2, PATIENT, Target::Record(note)),
			Decision::Deny(DenyReason::NotStaff)
		);
	});
}

#[test]
fn a_deleted_record_is_denied_to_everyone() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		assert_ok!(PatientRecords::request_withdrawal(
			signed(PATIENT),
			note,
			pallet_patient_records::Withdrawal::Delete
		));
		assert_ok!(PatientRecords::approve_withdrawal(signed(DOCTOR), note));
		for who in [PATIENT, DOCTOR, OTHER_DOCTOR] {
			assert_eq!(
				decide(who, Target::Record(note), Purpose::Treatment),
				Decision::Deny(DenyReason::RecordDeleted)
			);
		}
	});
}

#[test]
fn the_grant_whose_checks_got_furthest_is_named() {
	test(|| {
		let t = Target::Category(Category::MentalHealth);
		let all = || Scope::AllRecords;
		let (treatment, read) = (Purpose::Treatment, Action::Read);
		let end = NOW + 1000;
		// Each new grant gets one check further than the ones before, and is named.
		let labs = Scope::Categories(vec![Category::LabResult].try_into().unwrap());
		let scope = grant_doctor(labs, vec![], treatment, read, None, end);
		assert_eq!(
			decide(OTHER_DOCTOR, t, treatment),
			Decision::Deny(DenyReason::OutOfScope(scope))
		);
		let excluded =
			grant_doctor(all(), vec![Category::MentalHealth], treatment, read, None, end);
		assert_eq!(
			decide(OTHER_DOCTOR, t, treatment),
			Decision::Deny(DenyReason::CategoryExcluded(excluded))
		);
		let research = grant_doctor(all(), vec![], Purpose::Research, read, None, end);
		assert_eq!(
			decide(OTHER_DOCTOR, t, treatment),
			Decision::Deny(DenyReason::PurposeNotGranted(research))
		);
		let amend = grant_doctor(all(), vec![], treatment, Action::ProposeAmendment, None, end);
		assert_eq!(
			decide(OTHER_DOCTOR, t, treatment),
			Decision::Deny(DenyReason::ActionNotGranted(amend))
		);
	});
}

#[test]
fn an_expired_grant_for_the_purpose_is_named_before_another_purpose() {
	test(|| {
		// Grant 0: research, for longer. Grant 1: treatment, until NOW + 100.
		grant_doctor(Scope::AllRecords, vec![], Purpose::Research, Action::Read, None, NOW + 1000);
		let treatment = grant_doctor(
			Scope::AllRecords,
			vec![],
			Purpose::Treatment,
			Action::Read,
			None,
			NOW + 100,
		);
		let t = Target::Category(Category::LabResult);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(treatment))
		);
		set_time(NOW + 100);
		// Grant 1 allows treatment and has ended; grant 0 does not allow treatment at all.
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::Expired(treatment))
		);
	});
}

#[test]
fn a_grant_for_the_purpose_not_valid_yet_is_named_before_another_purpose() {
	test(|| {
		// Grant 0: research. Grant 1: treatment, from NOW + 500.
		grant_doctor(Scope::AllRecords, vec![], Purpose::Research, Action::Read, None, NOW + 1000);
		let treatment = grant_doctor(
			Scope::AllRecords,
			vec![],
			Purpose::Treatment,
			Action::Read,
			Some(NOW + 500),
			NOW + 1000,
		);
		let t = Target::Category(Category::LabResult);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::NotYetValid(treatment))
		);
		set_time(NOW + 500);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(treatment))
		);
	});
}

#[test]
fn of_grants_that_got_equally_far_the_lowest_numbered_is_named() {
	test(|| {
		let t = Target::Category(Category::LabResult);
		let treatment = |starts, ends| {
			grant_doctor(Scope::AllRecords, vec![], Purpose::Treatment, Action::Read, starts, ends)
		};
		// Grant 0 ends at NOW + 100; grant 1 starts at NOW + 200.
		let ended = treatment(None, NOW + 100);
		let later = treatment(Some(NOW + 200), NOW + 1000);
		// In between, one has expired and the other is not valid yet: equally far.
		set_time(NOW + 150);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::Expired(ended))
		);
		set_time(NOW + 200);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(later))
		);
		// Revoked, grant 1 would still permit: further than the expired grant 0.
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, later));
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::Revoked(later))
		);
		// A second revoked grant that would permit is as far as grant 1: grant 1 is named.
		let again = treatment(None, NOW + 1000);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, again));
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::Revoked(later))
		);
	});
}

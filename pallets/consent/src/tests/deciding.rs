//! The decision function: the patient and the author, suspended staff, unknown parties and bad
//! targets, deleted records, and the nearest miss a denial reports.

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
fn the_nearest_miss_is_reported() {
	test(|| {
		// Grant 0: revoked. Grant 1: labs only. The report names grant 1 (nearer).
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
		grant_to(
			Grantee::Staff(OTHER_DOCTOR),
			Scope::Categories(vec![Category::LabResult].try_into().unwrap()),
		);
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Category(Category::Imaging), Purpose::Treatment),
			Decision::Deny(DenyReason::OutOfScope(1))
		);
	});
}

//! A doctor who anchors another patient's document as a record of their own patient (a decoy)
//! would be its author, so permitted to read it, and deleting the decoy would make the
//! custodian destroy the original's document. A commitment is anchored once on the whole chain.

use super::*;

#[test]
fn a_commitment_is_anchored_once_chain_wide() {
	test(|| {
		let original = add_note();
		assert_eq!(RecordOfCommitment::<Test>::get(H256::repeat_byte(1)), Some(original));
		let count = NextRecordId::<Test>::get();
		// Another doctor, another patient, one record or a batch: refused, nothing changes.
		assert_noop!(
			PatientRecords::add_record(
				signed(OTHER_DOCTOR),
				PATIENT_2,
				Category::ClinicalNote,
				content(1)
			),
			Error::<Test>::CommitmentInUse
		);
		assert_noop!(
			PatientRecords::add_records(
				signed(DOCTOR),
				vec![
					NewRecord {
						patient: PATIENT_2,
						category: Category::ClinicalNote,
						content: content(3)
					},
					NewRecord {
						patient: PATIENT_2,
						category: Category::ClinicalNote,
						content: content(1)
					},
				]
			),
			Error::<Test>::CommitmentInUse
		);
		// Twice in one batch.
		assert_noop!(
			PatientRecords::add_records(
				signed(DOCTOR),
				vec![
					NewRecord {
						patient: PATIENT_2,
						category: Category::ClinicalNote,
						content: content(4)
					},
					NewRecord {
						patient: PATIENT,
						category: Category::ClinicalNote,
						content: content(4)
					},
				]
			),
			Error::<Test>::CommitmentInUse
		);
		// The patient's own record, as a patient-held one.
		assert_noop!(
			PatientRecords::add_record(
				signed(PATIENT_2),
				PATIENT_2,
				Category::PatientReported,
				content(1)
			),
			Error::<Test>::CommitmentInUse
		);
		assert_eq!(NextRecordId::<Test>::get(), count);
	});
}

#[test]
fn an_amendment_cannot_take_another_records_document() {
	test(|| {
		let original = add_note();
		assert_ok!(PatientRecords::add_record(
			signed(DOCTOR),
			PATIENT_2,
			Category::ClinicalNote,
			content(2)
		));
		let decoy = original + 1;
		// Amending the decoy to the original's document: refused at once.
		assert_noop!(
			PatientRecords::propose_amendment(signed(DOCTOR), decoy, content(1)),
			Error::<Test>::CommitmentInUse
		);
		// A proposal that was fine, overtaken before approval: refused when approved.
		assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), decoy, content(5)));
		assert_ok!(PatientRecords::add_record(
			signed(DOCTOR),
			PATIENT,
			Category::ClinicalNote,
			content(5)
		));
		assert_noop!(
			PatientRecords::approve_amendment(signed(PATIENT_2), decoy),
			Error::<Test>::CommitmentInUse
		);
		assert_eq!(record(decoy).status, RecordStatus::Current);
	});
}

#[test]
fn a_deleted_records_document_is_never_anchored_again() {
	test(|| {
		let id = add_note();
		assert_ok!(PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete));
		assert_ok!(PatientRecords::approve_withdrawal(signed(PATIENT), id));
		assert_eq!(record(id).status, RecordStatus::Deleted);
		assert_eq!(RecordOfCommitment::<Test>::get(H256::repeat_byte(1)), Some(id));
		assert_noop!(
			PatientRecords::add_record(signed(DOCTOR), PATIENT, Category::ClinicalNote, content(1)),
			Error::<Test>::CommitmentInUse
		);
	});
}

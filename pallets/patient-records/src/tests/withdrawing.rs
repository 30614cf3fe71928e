//! Withdrawing: entered in error and deletion by both sides, deletion of every version, and their
//! refusals.

use super::*;

/// Amends record `id` `n` times (doctor proposes, delegate approves); returns the newest id.
fn amend_times(mut id: RecordId, n: u8) -> RecordId {
	for i in 0..n {
		assert_ok!(PatientRecords::propose_amendment(signed(DOCTOR), id, content(10 + i)));
		assert_ok!(PatientRecords::approve_amendment(signed(DELEGATE), id));
		id = NextRecordId::<Test>::get() - 1;
	}
	id
}

#[test]
fn deleting_a_record_deletes_every_version() {
	test(|| {
		let first = add_note();
		let newest = amend_times(first, 2);
		assert_ok!(PatientRecords::request_withdrawal(signed(DOCTOR), newest, Withdrawal::Delete));
		System::reset_events();
		let info = PatientRecords::approve_withdrawal(signed(PATIENT), newest).unwrap();
		// Charged for the three versions it deleted, not for `MaxHistory`.
		assert_eq!(info.actual_weight, Some(<Test as Config>::WeightInfo::approve_withdrawal(3)));
		let history = PatientRecords::history(newest);
		assert_eq!(history.len(), 3);
		for (_, r) in &history {
			assert_eq!(r.status, RecordStatus::Deleted);
			assert!(r.content.cid.is_empty(), "no version keeps its address");
		}
		// One event per version, each with the commitment whose document must go.
		let deleted: Vec<(RecordId, H256)> = System::events()
			.into_iter()
			.filter_map(|e| match e.event {
				RuntimeEvent::PatientRecords(Event::RecordDeleted {
					record,
					commitment,
					custodian: Some(0),
					patient: PATIENT,
				}) => Some((record, commitment)),
				_ => None,
			})
			.collect();
		assert_eq!(
			deleted,
			vec![
				(newest, H256::repeat_byte(11)),
				(newest - 1, H256::repeat_byte(10)),
				(first, H256::repeat_byte(1)),
			]
		);
		// No version can be acted on any more.
		assert_noop!(
			PatientRecords::request_withdrawal(signed(PATIENT), first, Withdrawal::Delete),
			Error::<Test>::RecordNotCurrent
		);
	});
}

#[test]
fn deletion_needs_both_sides_and_clears_the_address() {
	test(|| {
		let id = add_note();
		assert_ok!(PatientRecords::request_withdrawal(signed(PATIENT), id, Withdrawal::Delete));
		assert_eq!(
			last_event(),
			RuntimeEvent::PatientRecords(Event::WithdrawalRequested {
				record: id,
				patient: PATIENT,
				requester: PATIENT,
				kind: Withdrawal::Delete,
				deadline: 11,
			})
		);
		// The same side cannot agree with itself ("approving twice").
		assert_noop!(
			PatientRecords::approve_withdrawal(signed(DELEGATE), id),
			Error::<Test>::SameSide
		);
		assert_noop!(
			PatientRecords::approve_withdrawal(signed(OTHER_DOCTOR), id),
			Error::<Test>::WrongHospital
		);
		assert_ok!(PatientRecords::approve_withdrawal(signed(DOCTOR), id));
		let r = record(id);
		assert_eq!(r.status, RecordStatus::Deleted);
		assert!(r.content.cid.is_empty());
		assert_eq!(r.content.commitment, H256::repeat_byte(1));
		assert_eq!(
			last_event(),
			RuntimeEvent::PatientRecords(Event::RecordDeleted {
				record: id,
				patient: PATIENT,
				custodian: Some(0),
				commitment: H256::repeat_byte(1),
			})
		);
		// A deleted record cannot be acted on.
		assert_noop!(
			PatientRecords::propose_amendment(signed(DOCTOR), id, content(2)),
			Error::<Test>::RecordNotCurrent
		);
		assert_noop!(
			PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete),
			Error::<Test>::RecordNotCurrent
		);
	});
}

#[test]
fn entered_in_error_keeps_the_document() {
	test(|| {
		let id = add_note();
		assert_ok!(PatientRecords::request_withdrawal(
			signed(DOCTOR),
			id,
			Withdrawal::EnteredInError
		));
		assert_noop!(
			PatientRecords::request_withdrawal(signed(PATIENT), id, Withdrawal::Delete),
			Error::<Test>::WithdrawalPending
		);
		assert_ok!(PatientRecords::approve_withdrawal(signed(PATIENT), id));
		assert_eq!(record(id).status, RecordStatus::EnteredInError);
		assert_eq!(record(id).content, stored(1));
		assert_eq!(
			last_event(),
			RuntimeEvent::PatientRecords(Event::RecordEnteredInError {
				record: id,
				patient: PATIENT
			})
		);
	});
}

#[test]
fn outsiders_expired_and_missing_withdrawals_are_refused() {
	test(|| {
		let id = add_note();
		assert_noop!(
			PatientRecords::request_withdrawal(signed(PATIENT_2), id, Withdrawal::Delete),
			Error::<Test>::WrongHospital
		);
		assert_noop!(
			PatientRecords::approve_withdrawal(signed(DOCTOR), id),
			Error::<Test>::NoPendingWithdrawal
		);
		assert_ok!(PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete));
		advance(11);
		assert_noop!(
			PatientRecords::approve_withdrawal(signed(PATIENT), id),
			Error::<Test>::WithdrawalExpired
		);
		// An expired request may be replaced.
		assert_ok!(PatientRecords::request_withdrawal(signed(PATIENT), id, Withdrawal::Delete));
	});
}

#[test]
fn either_side_cancels_a_withdrawal() {
	test(|| {
		let id = add_note();
		assert_ok!(PatientRecords::request_withdrawal(signed(DOCTOR), id, Withdrawal::Delete));
		assert_noop!(
			PatientRecords::cancel_withdrawal(signed(PATIENT_2), id),
			Error::<Test>::NotParty
		);
		assert_ok!(PatientRecords::cancel_withdrawal(signed(PATIENT), id));
		assert_noop!(
			PatientRecords::cancel_withdrawal(signed(PATIENT), id),
			Error::<Test>::NoPendingWithdrawal
		);
		assert_eq!(record(id).status, RecordStatus::Current);
	});
}

#[test]
fn a_patient_deletes_their_own_records_alone() {
	test(|| {
		assert_ok!(PatientRecords::add_record(
			signed(PATIENT),
			PATIENT,
			Category::DeviceData,
			content(1)
		));
		assert_ok!(PatientRecords::request_withdrawal(signed(PATIENT), 0, Withdrawal::Delete));
		assert_eq!(record(0).status, RecordStatus::Deleted);
		assert_eq!(
			last_event(),
			RuntimeEvent::PatientRecords(Event::RecordDeleted {
				record: 0,
				patient: PATIENT,
				custodian: None,
				commitment: H256::repeat_byte(1),
			})
		);
	});
}

//! Adding records: who may add which category, content checks, batches, and listing.

use super::*;

#[test]
fn a_doctor_adds_a_record_kept_by_the_hospital() {
	test(|| {
		let id = add_note();
		let r = record(id);
		assert_eq!(r.patient, PATIENT);
		assert_eq!(r.author, DOCTOR);
		assert_eq!(r.custodian, Some(0));
		assert_eq!(r.version, 1);
		assert_eq!(r.status, RecordStatus::Current);
		assert_eq!(r.created_at, NOW);
		assert_eq!(r.content, stored(1));
		assert_eq!(
			last_event(),
			RuntimeEvent::PatientRecords(Event::RecordAdded {
				record: id,
				patient: PATIENT,
				author: DOCTOR,
				custodian: Some(0),
				category: Category::ClinicalNote,
			})
		);
	});
}

#[test]
fn a_lab_adds_results_and_imaging_only() {
	test(|| {
		assert_ok!(PatientRecords::add_record(
			signed(LAB),
			PATIENT,
			Category::LabResult,
			content(1)
		));
		assert_ok!(PatientRecords::add_record(signed(LAB), PATIENT, Category::Imaging, content(2)));
		assert_noop!(
			PatientRecords::add_record(signed(LAB), PATIENT, Category::Prescription, content(3)),
			Error::<Test>::RoleNotAllowed
		);
	});
}

#[test]
fn a_nurse_adds_nothing() {
	test(|| {
		assert_noop!(
			PatientRecords::add_record(signed(NURSE), PATIENT, Category::ClinicalNote, content(1)),
			Error::<Test>::RoleNotAllowed
		);
	});
}

#[test]
fn patients_and_delegates_add_patient_reported_and_device_records() {
	test(|| {
		assert_ok!(PatientRecords::add_record(
			signed(PATIENT),
			PATIENT,
			Category::PatientReported,
			content(1)
		));
		assert_eq!(record(0).custodian, None);
		assert_ok!(PatientRecords::add_record(
			signed(DELEGATE),
			PATIENT,
			Category::DeviceData,
			content(2)
		));
		assert_eq!(record(1).author, DELEGATE);
		assert_noop!(
			PatientRecords::add_record(signed(PATIENT), PATIENT, Category::LabResult, content(3)),
			Error::<Test>::ClinicalCategory
		);
		// Not for another patient.
		assert_noop!(
			PatientRecords::add_record(
				signed(PATIENT_2),
				PATIENT,
				Category::PatientReported,
				content(3)
			),
			Error::<Test>::NotAnAuthor
		);
	});
}

#[test]
fn staff_do_not_write_patient_reported_records() {
	test(|| {
		assert_noop!(
			PatientRecords::add_record(
				signed(DOCTOR),
				PATIENT,
				Category::PatientReported,
				content(1)
			),
			Error::<Test>::PatientCategory
		);
	});
}

#[test]
fn unknown_patients_and_strangers_are_refused() {
	test(|| {
		assert_noop!(
			PatientRecords::add_record(
				signed(DOCTOR),
				STRANGER,
				Category::ClinicalNote,
				content(1)
			),
			Error::<Test>::PatientNotFound
		);
		assert_noop!(
			PatientRecords::add_record(
				signed(STRANGER),
				PATIENT,
				Category::PatientReported,
				content(1)
			),
			Error::<Test>::NotAnAuthor
		);
	});
}

#[test]
fn suspended_staff_and_staff_of_suspended_hospitals_are_refused() {
	test(|| {
		assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Suspended));
		assert_noop!(
			PatientRecords::add_record(signed(DOCTOR), PATIENT, Category::ClinicalNote, content(1)),
			RegistryError::<Test>::StaffSuspended
		);
		assert_ok!(Registry::suspend_hospital(RuntimeOrigin::root(), 1));
		assert_noop!(
			PatientRecords::add_record(
				signed(OTHER_DOCTOR),
				PATIENT,
				Category::ClinicalNote,
				content(1)
			),
			RegistryError::<Test>::HospitalNotActive
		);
	});
}

#[test]
fn bad_content_is_refused() {
	test(|| {
		let add = |c: ContentInput| {
			PatientRecords::add_record(signed(DOCTOR), PATIENT, Category::ClinicalNote, c)
		};
		let mut c = content(1);
		c.cid = vec![0x01, 0x55, 0x12];
		assert_noop!(add(c), Error::<Test>::MalformedCid);
		let mut c = content(1);
		c.cid.resize(MAX_CID_LEN as usize + 1, 0);
		assert_noop!(add(c), Error::<Test>::OversizedCid);
		let mut c = content(1);
		c.cid[1] = 0x70; // dag-pb
		assert_noop!(add(c), Error::<Test>::UnsupportedCid);
		let mut c = content(1);
		c.commitment = H256::repeat_byte(2);
		assert_noop!(add(c), Error::<Test>::CidMismatch);
		let mut c = content(1);
		c.size = 0;
		assert_noop!(add(c), Error::<Test>::EmptyDocument);
	});
}

#[test]
fn a_batch_is_all_or_nothing() {
	test(|| {
		let new =
			|patient, n| NewRecord { patient, category: Category::LabResult, content: content(n) };
		assert_ok!(PatientRecords::add_records(
			signed(LAB),
			vec![new(PATIENT, 1), new(PATIENT_2, 2)]
		));
		assert_eq!(NextRecordId::<Test>::get(), 2);
		assert_eq!(PatientRecordCount::<Test>::get(PATIENT_2), 1);
		// The third record names an unknown patient: nothing of the batch is stored.
		assert_noop!(
			PatientRecords::add_records(
				signed(LAB),
				vec![new(PATIENT, 3), new(PATIENT_2, 4), new(STRANGER, 5)]
			),
			Error::<Test>::PatientNotFound
		);
		assert_noop!(PatientRecords::add_records(signed(LAB), vec![]), Error::<Test>::EmptyBatch);
		assert_noop!(
			PatientRecords::add_records(signed(LAB), (0..5).map(|n| new(PATIENT, n)).collect()),
			Error::<Test>::BatchTooLarge
		);
	});
}

#[test]
fn listing_is_paged_newest_first() {
	test(|| {
		for n in 0..7 {
			assert_ok!(PatientRecords::add_record(
				signed(DOCTOR),
				PATIENT,
				Category::ClinicalNote,
				content(n + 1)
			));
		}
		// Three ids a storage page: 7 records fill pages 0, 1 and part of 2.
		assert_eq!(PatientRecordPages::<Test>::get(PATIENT, 2).len(), 1);
		let ids = |page, size| {
			let (total, recs) = PatientRecords::records_of(&PATIENT, page, size);
			assert_eq!(total, 7);
			recs.into_iter().map(|(id, _)| id).collect::<Vec<_>>()
		};
		assert_eq!(ids(0, 2), vec![6, 5]);
		assert_eq!(ids(1, 2), vec![4, 3]);
		assert_eq!(ids(3, 2), vec![0]);
		assert_eq!(ids(4, 2), Vec::<RecordId>::new());
		// A page is never larger than a storage page.
		assert_eq!(ids(0, 100), vec![6, 5, 4]);
		assert_eq!(PatientRecords::records_of(&PATIENT_2, 0, 3), (0, vec![]));
	});
}

//! Benchmarks of the patient records, each at its worst case: the caller takes the longest
//! authorization path (a guardian recorded by a hospital where a patient may act), indexes
//! are part-filled pages, and every check runs before the call succeeds.

use super::*;
use crate::Pallet as Records;
use alloc::{vec, vec::Vec};
use codec::Encode;
use ehr_primitives::StaffRole;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use pallet_hospital_registry::{NextHospitalId, Pallet as Registry};
use sp_core::H256;
use sp_runtime::traits::One;

/// A valid content, as calls take it, whose commitment and CID digest are `[n; 32]`.
/// A content whose commitment is derived from `seed`: a commitment is anchored once, so every
/// record a benchmark anchors has a seed of its own.
fn content(seed: u64) -> ContentInput {
	let digest = sp_io::hashing::blake2_256(&(b"benchmark", seed).encode());
	Content {
		commitment: H256(digest),
		cid: cid::raw_sha2_256(&digest).to_vec(),
		scheme: EncryptionScheme::XChaCha20Poly1305,
		size: 1 << 20,
	}
}

/// The actors of a benchmark, in a newly admitted hospital: a doctor, and a patient with a
/// guardian recorded by that hospital.
struct Actors<T: Config + pallet_hospital_registry::Config> {
	doctor: T::AccountId,
	patient: T::AccountId,
	guardian: T::AccountId,
}

/// Admits a hospital, registers a doctor, a patient (`patient`, or a fresh one) and a guardian.
fn actors<T: Config + pallet_hospital_registry::Config>(
	patient: Option<T::AccountId>,
) -> Result<Actors<T>, BenchmarkError> {
	let hospital = NextHospitalId::<T>::get();
	let admin: T::AccountId = account("admin", hospital, 0);
	let origin = <T as pallet_hospital_registry::Config>::GovernanceOrigin::try_successful_origin()
		.map_err(|_| BenchmarkError::Weightless)?;
	Registry::<T>::admit_hospital(
		origin,
		b"Bench Hospital".to_vec(),
		admin.clone(),
		account("validator", hospital, 0),
		b"https://gateway.example".to_vec(),
		vec![],
	)?;
	let doctor: T::AccountId = account("doctor", hospital, 0);
	Registry::<T>::register_staff(
		RawOrigin::Signed(admin.clone()).into(),
		doctor.clone(),
		StaffRole::Doctor,
		H256::repeat_byte(1),
		None,
	)?;
	let patient = patient.unwrap_or_else(|| account("patient", hospital, 0));
	Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
	// Only a hospital that verified the patient records a guardian.
	Registry::<T>::verify_patient(
		RawOrigin::Signed(admin.clone()).into(),
		patient.clone(),
		H256::repeat_byte(2),
	)?;
	let guardian: T::AccountId = account("guardian", hospital, 0);
	Registry::<T>::record_guardian(
		RawOrigin::Signed(admin).into(),
		patient.clone(),
		guardian.clone(),
	)?;
	Ok(Actors { doctor, patient, guardian })
}

/// Gives `patient` `n` records by `doctor`, so the index has part-filled pages; returns the
/// id of the newest.
fn records_for<T: Config + pallet_hospital_registry::Config>(
	doctor: &T::AccountId,
	patient: &T::AccountId,
	n: u32,
) -> Result<RecordId, BenchmarkError> {
	let per_page = T::RecordsPerPage::get().max(2);
	// End half-way into a page: a page read on the next insert is as large as it gets below full.
	let count = n.max(per_page + per_page / 2);
	for _ in 0..count {
		Records::<T>::add_record(
			RawOrigin::Signed(doctor.clone()).into(),
			patient.clone(),
			Category::ClinicalNote,
			content(NextRecordId::<T>::get()),
		)?;
	}
	NextRecordId::<T>::get().checked_sub(1).ok_or(BenchmarkError::Weightless)
}

#[benchmarks(where T: pallet_hospital_registry::Config)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_record() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		records_for::<T>(&a.doctor, &a.patient, 0)?;
		// The guardian path reads the staff map, the patient, the delegation and the hospital.
		#[extrinsic_call]
		_(
			RawOrigin::Signed(a.guardian),
			a.patient.clone(),
			Category::DeviceData,
			content(u64::MAX - 3),
		);
		assert_eq!(
			Records::<T>::records_of(&a.patient, 0, 1).1[0].1.category,
			Category::DeviceData
		);
		Ok(())
	}

	#[benchmark]
	fn add_records(n: Linear<1, { T::MaxBatchSize::get() }>) -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		// `n` distinct patients: every record reads and writes its own index.
		let mut batch = Vec::new();
		for i in 0..n {
			let patient: T::AccountId = account("batch-patient", i, 0);
			Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
			records_for::<T>(&a.doctor, &patient, 0)?;
			batch.push(NewRecord {
				patient,
				category: Category::LabResult,
				content: content(1_000_000 + u64::from(i)),
			});
		}
		let before = NextRecordId::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), batch);
		assert_eq!(NextRecordId::<T>::get(), before + n as u64);
		Ok(())
	}

	#[benchmark]
	fn propose_amendment() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let id = records_for::<T>(&a.doctor, &a.patient, 0)?;
		// An expired proposal is replaced: the pending map is read, then written.
		Records::<T>::propose_amendment(
			RawOrigin::Signed(a.doctor.clone()).into(),
			id,
			content(u64::MAX - 1),
		)?;
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(
			now + T::AmendmentPeriod::get() + BlockNumberFor::<T>::one(),
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), id, content(u64::MAX - 2));
		assert!(Amendments::<T>::get(id).is_some());
		Ok(())
	}

	#[benchmark]
	fn approve_amendment() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let id = records_for::<T>(&a.doctor, &a.patient, 0)?;
		Records::<T>::propose_amendment(
			RawOrigin::Signed(a.doctor).into(),
			id,
			content(u64::MAX - 1),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.guardian), id);
		assert_eq!(Records::<T>::history(id).len(), 2);
		Ok(())
	}

	#[benchmark]
	fn cancel_amendment() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let id = records_for::<T>(&a.doctor, &a.patient, 0)?;
		Records::<T>::propose_amendment(
			RawOrigin::Signed(a.doctor).into(),
			id,
			content(u64::MAX - 1),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.guardian), id);
		assert!(Amendments::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn amend_with_signature() -> Result<(), BenchmarkError> {
		let signer = T::BenchmarkHelper::signer();
		let a = actors::<T>(Some(signer.clone()))?;
		let id = records_for::<T>(&a.doctor, &a.patient, 0)?;
		let new = content(u64::MAX - 1);
		let bounded = Content {
			commitment: new.commitment,
			cid: new.cid.clone().try_into().map_err(|_| BenchmarkError::Weightless)?,
			scheme: new.scheme,
			size: new.size,
		};
		let payload = Records::<T>::amendment_payload(id, 1, bounded).encode();
		// The wallet form is checked second: the worst case.
		let wrapped = [b"<Bytes>".as_slice(), &payload, b"</Bytes>"].concat();
		let signature = T::BenchmarkHelper::sign(&signer, &wrapped);
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), id, new, signer, signature);
		assert_eq!(Records::<T>::history(id).len(), 2);
		Ok(())
	}

	#[benchmark]
	fn request_withdrawal() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let id = records_for::<T>(&a.doctor, &a.patient, 0)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.guardian), id, Withdrawal::Delete);
		assert!(Withdrawals::<T>::get(id).is_some());
		Ok(())
	}

	/// Deleting a record of `v` versions (every version is tombstoned).
	#[benchmark]
	fn approve_withdrawal(v: Linear<1, { T::MaxHistory::get() }>) -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let mut id = records_for::<T>(&a.doctor, &a.patient, 0)?;
		for i in 1..v {
			let old = crate::Records::<T>::get(id).ok_or(BenchmarkError::Weightless)?;
			let amended = Records::<T>::check_content(content(2_000_000 + u64::from(i)))
				.map_err(|_| BenchmarkError::Weightless)?;
			Records::<T>::apply_amendment(id, old, a.doctor.clone(), amended)?;
			id = NextRecordId::<T>::get().checked_sub(1).ok_or(BenchmarkError::Weightless)?;
		}
		Records::<T>::request_withdrawal(
			RawOrigin::Signed(a.guardian).into(),
			id,
			Withdrawal::Delete,
		)?;
		// The staff side answers: the patient check fails first, then the staff check runs.
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), id);
		let history = Records::<T>::history(id);
		assert_eq!(history.len() as u32, v);
		assert!(history.iter().all(|(_, r)| r.status == RecordStatus::Deleted));
		Ok(())
	}

	#[benchmark]
	fn cancel_withdrawal() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let id = records_for::<T>(&a.doctor, &a.patient, 0)?;
		Records::<T>::request_withdrawal(
			RawOrigin::Signed(a.guardian).into(),
			id,
			Withdrawal::Delete,
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), id);
		assert!(Withdrawals::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn request_prescription() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		for _ in 1..T::MaxPendingRequests::get() {
			Records::<T>::request_prescription(
				RawOrigin::Signed(a.patient.clone()).into(),
				a.doctor.clone(),
				H256::zero(),
			)?;
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(a.patient.clone()), a.doctor, H256::repeat_byte(9));
		assert_eq!(PendingRequestCount::<T>::get(&a.patient), T::MaxPendingRequests::get());
		Ok(())
	}

	#[benchmark]
	fn fulfil_prescription() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		records_for::<T>(&a.doctor, &a.patient, 0)?;
		let request = NextRequestId::<T>::get();
		Records::<T>::request_prescription(
			RawOrigin::Signed(a.patient).into(),
			a.doctor.clone(),
			H256::zero(),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), request, content(u64::MAX - 1));
		assert!(matches!(
			PrescriptionRequests::<T>::get(request).map(|r| r.status),
			Some(RequestStatus::Fulfilled(_))
		));
		Ok(())
	}

	#[benchmark]
	fn decline_prescription() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let request = NextRequestId::<T>::get();
		Records::<T>::request_prescription(
			RawOrigin::Signed(a.patient).into(),
			a.doctor.clone(),
			H256::zero(),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), request);
		Ok(())
	}

	#[benchmark]
	fn cancel_prescription_request() -> Result<(), BenchmarkError> {
		let a = actors::<T>(None)?;
		let request = NextRequestId::<T>::get();
		Records::<T>::request_prescription(
			RawOrigin::Signed(a.patient.clone()).into(),
			a.doctor,
			H256::zero(),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.patient), request);
		Ok(())
	}

	impl_benchmark_test_suite!(Records, crate::mock::new_test_ext(), crate::mock::Test);
}

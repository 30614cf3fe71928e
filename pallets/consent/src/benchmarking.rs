//! Benchmarks of consent, each at its worst case: the caller is a guardian (the longest path of
//! `acts_for`), grantees are staff (staff and hospital reads), record scopes are full, review
//! queues are full, and every check runs before the call succeeds.

use super::*;
use crate::Pallet as Consent;
use alloc::{vec, vec::Vec};
use ehr_primitives::{Category, Moment, RecordId, StaffRole};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get, Time},
	BoundedVec,
};
use frame_system::RawOrigin;
use pallet_hospital_registry::{NextHospitalId, Pallet as Registry};
use sp_core::H256;

/// The actors of a benchmark, in a newly admitted hospital.
struct Actors<T: Config + pallet_hospital_registry::Config> {
	admin: T::AccountId,
	doctor: T::AccountId,
	patient: T::AccountId,
	guardian: T::AccountId,
}

/// Admits a hospital; registers a doctor, a patient and a guardian recorded by the hospital.
fn actors<T: Config + pallet_hospital_registry::Config>() -> Result<Actors<T>, BenchmarkError> {
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
	let doctor = staff::<T>(&admin, "doctor", StaffRole::Doctor)?;
	let patient: T::AccountId = account("patient", hospital, 0);
	Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
	// Only a hospital that verified the patient records a guardian.
	Registry::<T>::verify_patient(
		RawOrigin::Signed(admin.clone()).into(),
		patient.clone(),
		H256::repeat_byte(2),
	)?;
	let guardian: T::AccountId = account("guardian", hospital, 0);
	Registry::<T>::record_guardian(
		RawOrigin::Signed(admin.clone()).into(),
		patient.clone(),
		guardian.clone(),
	)?;
	Ok(Actors { admin, doctor, patient, guardian })
}

fn staff<T: Config + pallet_hospital_registry::Config>(
	admin: &T::AccountId,
	name: &'static str,
	role: StaffRole,
) -> Result<T::AccountId, BenchmarkError> {
	let who: T::AccountId = account(name, NextHospitalId::<T>::get(), 0);
	Registry::<T>::register_staff(
		RawOrigin::Signed(admin.clone()).into(),
		who.clone(),
		role,
		H256::repeat_byte(1),
		None,
	)?;
	Ok(who)
}

/// `n` records of `patient` by `doctor`, made where [`Config::Records`] finds them.
fn records<T: Config + pallet_hospital_registry::Config>(
	doctor: &T::AccountId,
	patient: &T::AccountId,
	n: u32,
) -> Vec<RecordId> {
	(0..n).map(|_| T::BenchmarkHelper::benchmark_record(patient, doctor)).collect()
}

fn now<T: Config + pallet_hospital_registry::Config>() -> Moment {
	<T as pallet_hospital_registry::Config>::Time::now()
}

/// `patient` grants `grantee` treatment reads of everything for a day; returns the number.
fn grant_all<T: Config + pallet_hospital_registry::Config>(
	by: &T::AccountId,
	patient: &T::AccountId,
	grantee: &T::AccountId,
) -> Result<GrantId, BenchmarkError> {
	let id = ConsentAccounts::<T>::get(patient).next_grant;
	Consent::<T>::grant(
		RawOrigin::Signed(by.clone()).into(),
		patient.clone(),
		Grantee::Staff(grantee.clone()),
		Scope::AllRecords,
		Default::default(),
		frame_support::BoundedVec::truncate_from(vec![Purpose::Treatment]),
		frame_support::BoundedVec::truncate_from(vec![Action::Read]),
		None,
		now::<T>() + 86_400_000,
	)?;
	Ok(id)
}

#[benchmarks(where T: pallet_hospital_registry::Config)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn grant(r: Linear<0, { T::MaxRecordsPerGrant::get() }>) -> Result<(), BenchmarkError> {
		let a = actors::<T>()?;
		// `r` = 0 is the all-records scope; otherwise a record scope of `r` records, each read.
		let scope = if r == 0 {
			Scope::AllRecords
		} else {
			Scope::Records(records::<T>(&a.doctor, &a.patient, r))
		};
		#[extrinsic_call]
		_(
			RawOrigin::Signed(a.guardian),
			a.patient.clone(),
			Grantee::Staff(a.doctor),
			scope,
			frame_support::BoundedVec::truncate_from(vec![Category::MentalHealth]),
			frame_support::BoundedVec::truncate_from(vec![
				Purpose::Treatment,
				Purpose::EmergencyTreatment,
			]),
			frame_support::BoundedVec::truncate_from(vec![Action::Read]),
			None,
			now::<T>() + 86_400_000,
		);
		assert_eq!(ConsentAccounts::<T>::get(&a.patient).stored, 1);
		Ok(())
	}

	#[benchmark]
	fn revoke() -> Result<(), BenchmarkError> {
		let a = actors::<T>()?;
		let id = grant_all::<T>(&a.patient, &a.patient, &a.doctor)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.guardian), a.patient.clone(), id);
		assert!(Grants::<T>::get(&a.patient, id).is_some_and(|g| g.revoked.is_some()));
		Ok(())
	}

	#[benchmark]
	fn remove_grant() -> Result<(), BenchmarkError> {
		let a = actors::<T>()?;
		let id = grant_all::<T>(&a.patient, &a.patient, &a.doctor)?;
		Consent::<T>::revoke(RawOrigin::Signed(a.patient.clone()).into(), a.patient.clone(), id)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(a.guardian), a.patient.clone(), id);
		assert!(Grants::<T>::get(&a.patient, id).is_none());
		Ok(())
	}

	#[benchmark]
	fn declare_emergency() -> Result<(), BenchmarkError> {
		let a = actors::<T>()?;
		let hospital = NextHospitalId::<T>::get().saturating_sub(1);
		// An earlier emergency of this doctor to this patient, closed but not reviewed: it is
		// read and replaced in the index; the hospital's queue is one short of full.
		Consent::<T>::declare_emergency(
			RawOrigin::Signed(a.doctor.clone()).into(),
			a.patient.clone(),
			EmergencyReason::Other,
			vec![],
		)?;
		let first = NextEmergencyId::<T>::get().saturating_sub(1);
		Emergencies::<T>::mutate(first, |e| {
			if let Some(e) = e {
				e.expires_at = now::<T>();
			}
		});
		let mut queue = ReviewQueue::<T>::get(hospital);
		let mut filler = 1_000_000u64;
		while (queue.len() as u32) < T::MaxPendingReviews::get().saturating_sub(1) {
			queue.try_push(filler).map_err(|_| BenchmarkError::Weightless)?;
			filler += 1;
		}
		ReviewQueue::<T>::insert(hospital, queue);
		let note = vec![b'n'; T::MaxNoteLength::get() as usize];
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor.clone()), a.patient.clone(), EmergencyReason::Other, note);
		assert_eq!(LatestEmergency::<T>::get(&a.patient, &a.doctor), Some(first + 1));
		Ok(())
	}

	#[benchmark]
	fn end_emergency() -> Result<(), BenchmarkError> {
		let a = actors::<T>()?;
		Consent::<T>::declare_emergency(
			RawOrigin::Signed(a.doctor.clone()).into(),
			a.patient.clone(),
			EmergencyReason::Other,
			vec![b'n'; T::MaxNoteLength::get() as usize],
		)?;
		let id = NextEmergencyId::<T>::get().saturating_sub(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(a.doctor), id);
		Ok(())
	}

	#[benchmark]
	fn review_emergency() -> Result<(), BenchmarkError> {
		let a = actors::<T>()?;
		let hospital = NextHospitalId::<T>::get().saturating_sub(1);
		let officer = staff::<T>(&a.admin, "officer", StaffRole::PrivacyOfficer)?;
		Consent::<T>::declare_emergency(
			RawOrigin::Signed(a.doctor.clone()).into(),
			a.patient.clone(),
			EmergencyReason::Other,
			vec![b'n'; T::MaxNoteLength::get() as usize],
		)?;
		let id = NextEmergencyId::<T>::get().saturating_sub(1);
		Emergencies::<T>::mutate(id, |e| {
			if let Some(e) = e {
				e.expires_at = now::<T>();
			}
		});
		// A full queue, with this emergency last: the whole queue is scanned.
		let mut queue: Vec<EmergencyId> = Vec::new();
		let mut filler = 1_000_000u64;
		while (queue.len() as u32) < T::MaxPendingReviews::get().saturating_sub(1) {
			queue.push(filler);
			filler += 1;
		}
		queue.push(id);
		ReviewQueue::<T>::insert(
			hospital,
			BoundedVec::try_from(queue).map_err(|_| BenchmarkError::Weightless)?,
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(officer), id, ReviewOutcome::Justified);
		assert!(Emergencies::<T>::get(id).is_none());
		Ok(())
	}

	impl_benchmark_test_suite!(Consent, crate::mock::new_test_ext(), crate::mock::Test);
}

//! Benchmarks of the hospital registry, each at its worst case.

use super::*;
use crate::Pallet as Registry;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::RawOrigin;
use sp_core::H256;
use sp_runtime::traits::Hash;

/// A distinct PeerId of the longest allowed length (at least 8 bytes).
fn peer<T: Config>(h: u32, i: u32) -> Vec<u8> {
	let mut p = vec![0u8; (T::MaxPeerIdLength::get() as usize).max(8)];
	p[..4].copy_from_slice(&h.to_le_bytes());
	p[4..8].copy_from_slice(&i.to_le_bytes());
	p
}

fn name<T: Config>() -> Vec<u8> {
	vec![b'n'; T::MaxNameLength::get() as usize]
}

fn url<T: Config>() -> Vec<u8> {
	let mut u = b"https://".to_vec();
	u.resize(T::MaxUrlLength::get() as usize, b'u');
	u
}

/// Admits `count` hospitals with full-size names, URLs and node lists.
fn hospitals<T: Config>(count: u32) -> Result<(), BenchmarkError> {
	let first = NextHospitalId::<T>::get();
	for h in first..first + count {
		let nodes = (0..T::MaxNodesPerHospital::get()).map(|i| peer::<T>(h, i)).collect();
		Registry::<T>::admit_hospital(
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?,
			name::<T>(),
			account("admin", h, 0),
			account("validator", h, 0),
			url::<T>(),
			nodes,
		)?;
	}
	Ok(())
}

/// Fills the consortium up to `MaxHospitals - 1` so that the next admission or status change
/// works on the largest validator set and council; returns the admin of the newest hospital.
fn full_consortium<T: Config>() -> Result<T::AccountId, BenchmarkError> {
	let have = NextHospitalId::<T>::get();
	let want = T::MaxHospitals::get().saturating_sub(1).max(T::MinValidators::get() + 1);
	hospitals::<T>(want.saturating_sub(have))?;
	let newest = NextHospitalId::<T>::get().checked_sub(1).ok_or(BenchmarkError::Weightless)?;
	Ok(Hospitals::<T>::get(newest).ok_or(BenchmarkError::Weightless)?.admin)
}

/// An active `Administrator` on the staff of a full consortium's newest hospital, and a
/// registered patient: the worst case of the patient-administration calls (the caller is not the
/// admin, so both checks run).
fn clerk_and_patient<T: Config>() -> Result<(T::AccountId, T::AccountId), BenchmarkError> {
	let admin = full_consortium::<T>()?;
	let clerk: T::AccountId = account("clerk", 0, 0);
	Registry::<T>::register_staff(
		RawOrigin::Signed(admin).into(),
		clerk.clone(),
		StaffRole::Administrator,
		H256::repeat_byte(1),
		None,
	)?;
	let patient: T::AccountId = account("patient", 0, 0);
	Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
	Ok((clerk, patient))
}

/// [`clerk_and_patient`], the patient verified by the clerk's hospital.
fn verified_patient<T: Config>() -> Result<(T::AccountId, T::AccountId), BenchmarkError> {
	let (clerk, patient) = clerk_and_patient::<T>()?;
	Registry::<T>::verify_patient(
		RawOrigin::Signed(clerk.clone()).into(),
		patient.clone(),
		H256::repeat_byte(3),
	)?;
	Ok((clerk, patient))
}

/// Three accounts a set-up makes.
type Three<T> = (
	<T as frame_system::Config>::AccountId,
	<T as frame_system::Config>::AccountId,
	<T as frame_system::Config>::AccountId,
);

/// [`verified_patient`] with a guardian recorded by the clerk's hospital: (clerk, patient,
/// guardian).
fn guardian_of_patient<T: Config>() -> Result<Three<T>, BenchmarkError> {
	let (clerk, patient) = verified_patient::<T>()?;
	let guardian: T::AccountId = account("guardian", 0, 0);
	Registry::<T>::record_guardian(
		RawOrigin::Signed(clerk.clone()).into(),
		patient.clone(),
		guardian.clone(),
	)?;
	Ok((clerk, patient, guardian))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn admit_hospital(
		n: Linear<0, { T::MaxNodesPerHospital::get() }>,
	) -> Result<(), BenchmarkError> {
		full_consortium::<T>()?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let h = NextHospitalId::<T>::get();
		let nodes = (0..n).map(|i| peer::<T>(h, i)).collect();
		let admin: T::AccountId = account("new-admin", 0, 0);
		#[extrinsic_call]
		_(
			origin as T::RuntimeOrigin,
			name::<T>(),
			admin.clone(),
			account("new-validator", 0, 0),
			url::<T>(),
			nodes,
		);
		assert_eq!(HospitalOfAdmin::<T>::get(&admin), Some(h));
		Ok(())
	}

	#[benchmark]
	fn suspend_hospital() -> Result<(), BenchmarkError> {
		full_consortium::<T>()?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		assert_eq!(Hospitals::<T>::get(0).map(|h| h.status), Some(HospitalStatus::Suspended));
		Ok(())
	}

	#[benchmark]
	fn reinstate_hospital() -> Result<(), BenchmarkError> {
		full_consortium::<T>()?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		Registry::<T>::suspend_hospital(origin.clone(), 0)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);
		assert_eq!(Hospitals::<T>::get(0).map(|h| h.status), Some(HospitalStatus::Active));
		Ok(())
	}

	#[benchmark]
	fn remove_hospital(
		n: Linear<0, { T::MaxNodesPerHospital::get() }>,
	) -> Result<(), BenchmarkError> {
		full_consortium::<T>()?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let h = NextHospitalId::<T>::get() - 1;
		let admin = Hospitals::<T>::get(h).ok_or(BenchmarkError::Weightless)?.admin;
		Registry::<T>::set_nodes(
			RawOrigin::Signed(admin).into(),
			(0..n).map(|i| peer::<T>(h + 1000, i)).collect(),
		)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, h);
		assert_eq!(Hospitals::<T>::get(h).map(|h| h.status), Some(HospitalStatus::Removed));
		Ok(())
	}

	#[benchmark]
	fn update_hospital() -> Result<(), BenchmarkError> {
		let admin = full_consortium::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), Some(name::<T>()), Some(url::<T>()));
		Ok(())
	}

	#[benchmark]
	fn set_nodes(
		n: Linear<0, { T::MaxNodesPerHospital::get() }>,
		o: Linear<0, { T::MaxNodesPerHospital::get() }>,
	) -> Result<(), BenchmarkError> {
		let admin = full_consortium::<T>()?;
		let h = HospitalOfAdmin::<T>::get(&admin).ok_or(BenchmarkError::Weightless)?;
		Registry::<T>::set_nodes(
			RawOrigin::Signed(admin.clone()).into(),
			(0..o).map(|i| peer::<T>(h + 2000, i)).collect(),
		)?;
		let nodes: Vec<Vec<u8>> = (0..n).map(|i| peer::<T>(h + 3000, i)).collect();
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), nodes);
		Ok(())
	}

	#[benchmark]
	fn register_staff() -> Result<(), BenchmarkError> {
		let admin = full_consortium::<T>()?;
		let staff: T::AccountId = account("staff", 0, 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(admin),
			staff.clone(),
			StaffRole::Doctor,
			H256::repeat_byte(1),
			Some(u64::MAX),
		);
		assert!(Registry::<T>::active_staff(&staff).is_ok());
		Ok(())
	}

	#[benchmark]
	fn set_staff_status() -> Result<(), BenchmarkError> {
		let admin = full_consortium::<T>()?;
		let staff: T::AccountId = account("staff", 0, 0);
		Registry::<T>::register_staff(
			RawOrigin::Signed(admin.clone()).into(),
			staff.clone(),
			StaffRole::Doctor,
			H256::repeat_byte(1),
			None,
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(admin), staff.clone(), StaffStatus::Ended);
		assert_eq!(Staff::<T>::get(&staff).map(|m| m.status), Some(StaffStatus::Ended));
		Ok(())
	}

	#[benchmark]
	fn register_patient() {
		let patient: T::AccountId = account("patient", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()));
		assert!(Registry::<T>::is_patient(&patient));
	}

	#[benchmark]
	fn verify_patient() -> Result<(), BenchmarkError> {
		let (clerk, patient) = clerk_and_patient::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(clerk), patient, H256::repeat_byte(2));
		Ok(())
	}

	#[benchmark]
	fn enrol_patient() -> Result<(), BenchmarkError> {
		// Worst case: the patient is new, so it is registered and verified in one go.
		let (clerk, _) = clerk_and_patient::<T>()?;
		let patient: T::AccountId = account("walk-in", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(clerk), patient.clone(), H256::repeat_byte(2));
		assert!(Registry::<T>::is_patient(&patient));
		Ok(())
	}

	#[benchmark]
	fn appoint_delegate() -> Result<(), BenchmarkError> {
		let patient: T::AccountId = account("patient", 0, 0);
		Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
		let delegate: T::AccountId = account("delegate", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), delegate.clone());
		assert!(Registry::<T>::acts_for(&delegate, &patient));
		Ok(())
	}

	#[benchmark]
	fn remove_delegate() -> Result<(), BenchmarkError> {
		let patient: T::AccountId = account("patient", 0, 0);
		Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
		let delegate: T::AccountId = account("delegate", 0, 0);
		Registry::<T>::appoint_delegate(
			RawOrigin::Signed(patient.clone()).into(),
			delegate.clone(),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(patient.clone()), delegate.clone());
		assert!(!Registry::<T>::acts_for(&delegate, &patient));
		Ok(())
	}

	#[benchmark]
	fn record_guardian() -> Result<(), BenchmarkError> {
		let (clerk, patient) = verified_patient::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(clerk), patient, account("guardian", 0, 0));
		Ok(())
	}

	#[benchmark]
	fn remove_guardian() -> Result<(), BenchmarkError> {
		let (clerk, patient, guardian) = guardian_of_patient::<T>()?;
		#[extrinsic_call]
		_(RawOrigin::Signed(clerk), patient, guardian);
		Ok(())
	}

	/// Worst case: contested by another guardian (both guardianships read).
	#[benchmark]
	fn contest_guardian() -> Result<(), BenchmarkError> {
		let (clerk, patient, guardian) = guardian_of_patient::<T>()?;
		let other: T::AccountId = account("guardian", 1, 0);
		Registry::<T>::record_guardian(
			RawOrigin::Signed(clerk).into(),
			patient.clone(),
			other.clone(),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(other), patient.clone(), guardian.clone());
		assert!(GuardianContests::<T>::contains_key(&patient, &guardian));
		Ok(())
	}

	/// Worst case: a privacy officer (not the admin) ends the guardianship.
	#[benchmark]
	fn review_guardianship() -> Result<(), BenchmarkError> {
		let (clerk, patient, guardian) = guardian_of_patient::<T>()?;
		let hospital = Staff::<T>::get(&clerk).ok_or(BenchmarkError::Weightless)?.hospital;
		let admin = Hospitals::<T>::get(hospital).ok_or(BenchmarkError::Weightless)?.admin;
		let officer: T::AccountId = account("officer", 0, 0);
		Registry::<T>::register_staff(
			RawOrigin::Signed(admin).into(),
			officer.clone(),
			StaffRole::PrivacyOfficer,
			H256::repeat_byte(2),
			None,
		)?;
		Registry::<T>::contest_guardian(
			RawOrigin::Signed(patient.clone()).into(),
			patient.clone(),
			guardian.clone(),
		)?;
		#[extrinsic_call]
		_(RawOrigin::Signed(officer), patient.clone(), guardian.clone(), false);
		assert!(!Delegates::<T>::contains_key(&patient, &guardian));
		Ok(())
	}

	#[benchmark]
	fn end_guardianship() -> Result<(), BenchmarkError> {
		let (_, patient, guardian) = guardian_of_patient::<T>()?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, patient.clone(), guardian.clone());
		assert!(!Delegates::<T>::contains_key(&patient, &guardian));
		Ok(())
	}

	#[benchmark]
	fn set_node_permissioning() -> Result<(), BenchmarkError> {
		full_consortium::<T>()?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, false);
		assert_eq!(NodePermissioningState::<T>::get(), NodePermissioning::Off);
		Ok(())
	}

	#[benchmark]
	fn authorize_runtime_upgrade() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let code_hash = T::Hashing::hash(b"new runtime");
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, code_hash);
		// `frame_system::AuthorizedUpgrade` is private: look at its raw key.
		assert!(frame_support::storage::unhashed::exists(&frame_support::storage::storage_prefix(
			b"System",
			b"AuthorizedUpgrade",
		)));
		Ok(())
	}

	/// Worst case: an active staff member who is not a patient (both checks read).
	#[benchmark]
	fn set_encryption_key() -> Result<(), BenchmarkError> {
		let (clerk, _) = clerk_and_patient::<T>()?;
		let key = [9u8; 32];
		#[extrinsic_call]
		_(RawOrigin::Signed(clerk.clone()), key);
		assert_eq!(EncryptionKeys::<T>::get(&clerk), Some(key));
		Ok(())
	}

	impl_benchmark_test_suite!(Registry, crate::mock::new_test_ext(), crate::mock::Test);
}

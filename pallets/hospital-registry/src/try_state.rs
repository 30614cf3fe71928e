//! The registry's storage invariants, checked after every unit test and fuzzed block, and by
//! try-runtime.

use super::*;
use alloc::vec::Vec;
use frame_support::{ensure, traits::Get};

impl<T: Config> Pallet<T> {
	/// Storage invariants, checked after every unit test and by try-runtime.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut hospitals = 0u32;
		for (id, h) in Hospitals::<T>::iter() {
			hospitals += 1;
			ensure!(id < NextHospitalId::<T>::get(), "hospital id beyond NextHospitalId");
			if h.status != HospitalStatus::Removed {
				ensure!(HospitalOfAdmin::<T>::get(&h.admin) == Some(id), "admin index");
				ensure!(HospitalOfValidator::<T>::get(&h.validator) == Some(id), "validator index");
				for n in h.nodes.iter() {
					ensure!(NodeOwner::<T>::get(n) == Some(id), "node index");
				}
			} else {
				ensure!(h.nodes.is_empty(), "removed hospital keeps nodes");
			}
		}
		ensure!(hospitals == NextHospitalId::<T>::get(), "hospital count");
		for (_, id) in NodeOwner::<T>::iter() {
			ensure!(
				Hospitals::<T>::get(id).is_some_and(|h| h.status != HospitalStatus::Removed),
				"node of a missing or removed hospital"
			);
		}
		let mut admins: Vec<T::AccountId> = Hospitals::<T>::iter_values()
			.filter(|h| h.status == HospitalStatus::Active)
			.map(|h| h.admin)
			.collect();
		admins.sort();
		ensure!(Council::<T>::get().to_vec() == admins, "council out of step");
		for (id, h) in Hospitals::<T>::iter() {
			let actual = Staff::<T>::iter_values()
				.filter(|m| m.hospital == id && m.status != StaffStatus::Ended)
				.count() as u32;
			ensure!(actual == h.staff, "staff count");
			ensure!(h.staff <= T::MaxStaffPerHospital::get(), "staff over the bound");
		}
		for (patient, p) in Patients::<T>::iter() {
			ensure!(
				Delegates::<T>::iter_prefix(&patient).count() as u32 == p.delegates,
				"delegate count"
			);
			ensure!(
				PatientVerifications::<T>::iter_prefix(&patient).count() as u32 == p.verifications,
				"verification count"
			);
		}
		for (patient, _, _) in Delegates::<T>::iter() {
			ensure!(Patients::<T>::contains_key(&patient), "delegate of a non-patient");
		}
		for (patient, who, d) in Delegates::<T>::iter() {
			if let Delegation::Guardian { hospital } = d {
				ensure!(
					PatientVerifications::<T>::contains_key(&patient, hospital),
					"guardian recorded by a hospital that did not verify the patient"
				);
			}
			ensure!(who != patient, "patient acts for themself as a delegate");
		}
		for (patient, guardian, _) in GuardianContests::<T>::iter() {
			ensure!(
				matches!(
					Delegates::<T>::get(&patient, &guardian),
					Some(Delegation::Guardian { .. })
				),
				"contest of a guardianship that does not exist"
			);
		}
		Ok(())
	}
}

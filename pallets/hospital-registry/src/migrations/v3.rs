//! Storage version 2 to 3: every guardian is backed by a verification.
//!
//! Version 2 let an administrator of any hospital record a guardian for any patient. Version 3
//! lets only a hospital that verified the patient do so ([`Pallet::record_guardian`]), and the
//! pallet's invariants require it of every guardianship. The migration ends each guardianship
//! recorded by a hospital that has not verified the patient, exactly as the council would with
//! `end_guardianship` (the patient's delegate count goes down, a `GuardianRemoved` event and an
//! entry in the patient's access log say so), and leaves every other delegate and guardian as
//! it was. Storage layouts do not change; version 3 adds `GuardianContests` and
//! `NodePermissioningState`, which start empty and `Pending`.
//!
//! It reads every delegation once: at most `MaxDelegatesPerPatient` a patient. A chain with so
//! many patients that this does not fit in one block needs it run as a multi-block migration.

use crate::{
	Config, Delegates, Delegation, DelegationChange, DelegationLog, Event, Pallet,
	PatientVerifications, Patients,
};
use alloc::vec::Vec;
#[cfg(feature = "try-runtime")]
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};

/// Guardianships that version 3 does not allow: (patient, guardian, recording hospital).
pub fn unbacked<T: Config>() -> Vec<(T::AccountId, T::AccountId, crate::HospitalId)> {
	Delegates::<T>::iter()
		.filter_map(|(patient, who, d)| match d {
			Delegation::Guardian { hospital }
				if !PatientVerifications::<T>::contains_key(&patient, hospital) =>
			{
				Some((patient, who, hospital))
			},
			_ => None,
		})
		.collect()
}

/// Ends the guardianships of [`unbacked`]. Use [`MigrateV2ToV3`], which runs it only on
/// storage version 2.
pub struct InnerMigrateV2ToV3<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV2ToV3<T> {
	fn on_runtime_upgrade() -> Weight {
		let delegations = Delegates::<T>::iter_keys().count() as u64;
		let ended = unbacked::<T>();
		for (patient, guardian, hospital) in ended.iter() {
			Delegates::<T>::remove(patient, guardian);
			Patients::<T>::mutate(patient, |p| {
				if let Some(p) = p {
					p.delegates = p.delegates.saturating_sub(1);
				}
			});
			T::DelegationLog::delegation_changed(
				patient,
				guardian,
				Some(*hospital),
				DelegationChange::GuardianRemoved { by_council: true },
				guardian,
			);
			Pallet::<T>::deposit_event(Event::GuardianRemoved {
				patient: patient.clone(),
				guardian: guardian.clone(),
				hospital: *hospital,
				by_council: true,
			});
			log::warn!(
				target: "runtime::hospital-registry",
				"storage v3: guardian {guardian:?} of patient {patient:?} ended: hospital \
				 {hospital} never verified the patient",
			);
		}
		log::info!(
			target: "runtime::hospital-registry",
			"storage v3: {delegations} delegations read, {} unbacked guardianships ended",
			ended.len(),
		);
		let n = ended.len() as u64;
		// Each delegation read with its verification; per ended one: the patient read and
		// written, the delegation removed, and one log entry.
		T::DbWeight::get()
			.reads_writes(delegations.saturating_mul(2).saturating_add(n), n.saturating_mul(2))
			.saturating_add(T::DelegationLog::weight().saturating_mul(n))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok(snapshot::<T>().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = Snapshot::<T>::decode(&mut &state[..])
			.map_err(|_| sp_runtime::TryRuntimeError::Other("v3: undecodable snapshot"))?;
		check::<T>(before)
	}
}

/// The migration from storage version 2 to 3, for the runtime's `Migrations`.
pub type MigrateV2ToV3<T> = VersionedMigration<
	2,
	3,
	InnerMigrateV2ToV3<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// What the checks compare: every delegation before, with whether version 3 keeps it.
pub type Snapshot<T> = Vec<(
	<T as frame_system::Config>::AccountId,
	<T as frame_system::Config>::AccountId,
	Delegation,
	bool,
)>;

/// Pre-upgrade: every delegation, and whether it is backed (kept).
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn snapshot<T: Config>() -> Snapshot<T> {
	Delegates::<T>::iter()
		.map(|(patient, who, d)| {
			let keep = match d {
				Delegation::Delegate => true,
				Delegation::Guardian { hospital } => {
					PatientVerifications::<T>::contains_key(&patient, hospital)
				},
			};
			(patient, who, d, keep)
		})
		.collect()
}

/// Post-upgrade: kept delegations unchanged, unbacked guardianships gone, no other change of
/// who acts for whom, storage version 3, and the pallet's invariants (every guardian backed,
/// delegate counts right).
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn check<T: Config>(before: Snapshot<T>) -> Result<(), sp_runtime::TryRuntimeError> {
	use sp_runtime::TryRuntimeError as E;
	ensure!(
		Pallet::<T>::on_chain_storage_version() == StorageVersion::new(3),
		E::Other("v3: storage version is not 3")
	);
	let kept = before.iter().filter(|(_, _, _, keep)| *keep).count();
	ensure!(Delegates::<T>::iter_keys().count() == kept, E::Other("v3: delegations changed"));
	for (patient, who, d, keep) in before {
		let now = Delegates::<T>::get(&patient, &who);
		if keep {
			ensure!(now == Some(d), E::Other("v3: a backed delegation changed"));
		} else {
			ensure!(now.is_none(), E::Other("v3: an unbacked guardianship is left"));
		}
	}
	Pallet::<T>::do_try_state()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, Error};
	use frame_support::{assert_noop, assert_ok, traits::OnRuntimeUpgrade};
	use sp_core::H256;

	#[test]
	fn ends_only_unbacked_guardianships() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(2).put::<Pallet<Test>>();
			for p in [300, 301] {
				assert_ok!(Registry::register_patient(RuntimeOrigin::signed(p)));
			}
			assert_ok!(Registry::verify_patient(
				RuntimeOrigin::signed(10),
				300,
				H256::repeat_byte(1)
			));
			// Backed: hospital 0 verified 300. A delegate of 301.
			assert_ok!(Registry::record_guardian(RuntimeOrigin::signed(10), 300, 400));
			assert_ok!(Registry::appoint_delegate(RuntimeOrigin::signed(301), 401));
			// Unbacked, as version 2 allowed: hospital 1 never verified 300 or 301.
			for (p, g) in [(300u64, 402u64), (301, 403)] {
				Delegates::<Test>::insert(p, g, Delegation::Guardian { hospital: 1 });
				Patients::<Test>::mutate(p, |x| x.as_mut().unwrap().delegates += 1);
			}
			let before = snapshot::<Test>();
			assert_eq!(unbacked::<Test>().len(), 2);

			MigrateV2ToV3::<Test>::on_runtime_upgrade();

			assert_ok!(check::<Test>(before));
			assert!(Registry::acts_for(&400, &300));
			assert!(Registry::acts_for(&401, &301));
			assert!(!Registry::acts_for(&402, &300));
			assert!(!Registry::acts_for(&403, &301));
			// Each ending is in the patient's log, as the council's.
			let ended = DelegationChange::GuardianRemoved { by_council: true };
			assert!(logged().contains(&(300, 402, ended, 402)));
			assert!(logged().contains(&(301, 403, ended, 403)));
			// The verification, the guardian, the delegate and the two endings.
			assert_eq!(logged().len(), 5);
			assert!(System::events().iter().any(|e| e.event
				== RuntimeEvent::Registry(Event::GuardianRemoved {
					patient: 301,
					guardian: 403,
					hospital: 1,
					by_council: true
				})));
			// A second run does nothing: the version is 3.
			MigrateV2ToV3::<Test>::on_runtime_upgrade();
			assert_noop!(
				Registry::remove_guardian(RuntimeOrigin::signed(20), 300, 402),
				Error::<Test>::DelegateNotFound
			);
		});
	}
}

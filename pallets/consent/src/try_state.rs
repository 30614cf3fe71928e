//! The pallet's invariants, checked after every unit test and fuzzed block, and by try-runtime.

use super::*;
use alloc::vec::Vec;
use ehr_primitives::Parties;
use frame_support::{ensure, traits::Get};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use sp_runtime::TryRuntimeError as E;
		for (patient, account) in ConsentAccounts::<T>::iter() {
			let grants: Vec<(GrantId, GrantOf<T>)> = Grants::<T>::iter_prefix(&patient).collect();
			ensure!(grants.len() as u32 == account.stored, E::Other("grant count mismatch"));
			ensure!(
				account.stored <= T::MaxGrantsPerPatient::get(),
				E::Other("too many grants stored")
			);
			for (id, g) in grants {
				ensure!(id < account.next_grant, E::Other("grant number not yet assigned"));
				ensure!(g.ends > g.starts, E::Other("grant ends before it starts"));
				ensure!(!g.purposes.is_empty(), E::Other("grant without purpose"));
				ensure!(!g.actions.is_empty(), E::Other("grant without action"));
			}
		}
		for (patient, _) in Grants::<T>::iter_keys() {
			ensure!(
				ConsentAccounts::<T>::contains_key(&patient),
				E::Other("grant without consent account")
			);
			ensure!(
				<T as Config>::Parties::is_patient(&patient),
				E::Other("grant of unknown patient")
			);
		}
		let next = NextEmergencyId::<T>::get();
		let mut queued = 0usize;
		for (hospital, queue) in ReviewQueue::<T>::iter() {
			for id in queue.iter() {
				let e = Emergencies::<T>::get(id).ok_or(E::Other("queued emergency missing"))?;
				ensure!(e.hospital == hospital, E::Other("emergency in another queue"));
			}
			queued = queued.saturating_add(queue.len());
		}
		let mut stored = 0usize;
		for (id, e) in Emergencies::<T>::iter() {
			ensure!(id < next, E::Other("emergency number not yet assigned"));
			ensure!(
				PatientEmergencies::<T>::contains_key(&e.patient, id),
				E::Other("emergency not indexed for its patient")
			);
			ensure!(
				ReviewQueue::<T>::get(e.hospital).contains(&id),
				E::Other("emergency not in its hospital's queue")
			);
			stored = stored.saturating_add(1);
		}
		ensure!(stored == queued, E::Other("review queues and emergencies differ"));
		for (patient, id) in PatientEmergencies::<T>::iter_keys() {
			ensure!(
				Emergencies::<T>::get(id).is_some_and(|e| e.patient == patient),
				E::Other("patient index points at a missing emergency")
			);
		}
		for (_, _, id) in LatestEmergency::<T>::iter() {
			ensure!(Emergencies::<T>::contains_key(id), E::Other("latest emergency missing"));
		}
		Ok(())
	}
}

//! Storage version 1 to 2: a hospital's staff count moves into the hospital.
//!
//! Version 1 kept the number of staff members (employment not ended) of each hospital in a map
//! of its own, `StaffCount`, that `register_staff` and `set_staff_status` read and wrote beside
//! the hospital they read anyway. Version 2 keeps it in the hospital ([`Hospital::staff`]): one
//! storage item fewer, and one read fewer for each staff registration.
//!
//! The migration rewrites every hospital with its count and removes the old map (counts of
//! hospitals that do not exist, which version 1 never wrote, are dropped with it). It touches at
//! most `MaxHospitals` hospitals and as many counts, so it fits in one block.

use crate::{Config, Hospital, HospitalId, HospitalStatus, Hospitals, Pallet};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;

/// Storage as version 1 had it.
pub mod v1 {
	use super::*;

	/// A member hospital as version 1 stored it: [`Hospital`] without `staff`. (Compared by
	/// encoding: the bound parameters have no `PartialEq`.)
	#[derive(Encode, Decode)]
	pub struct OldHospital<AccountId, BlockNumber, MaxName, MaxUrl, MaxNodes, MaxPeerId>
	where
		MaxName: Get<u32>,
		MaxUrl: Get<u32>,
		MaxNodes: Get<u32>,
		MaxPeerId: Get<u32>,
	{
		/// Display name.
		pub name: BoundedVec<u8, MaxName>,
		/// Admin account.
		pub admin: AccountId,
		/// Validator account.
		pub validator: AccountId,
		/// Document gateway URL.
		pub gateway_url: BoundedVec<u8, MaxUrl>,
		/// Node PeerIds.
		pub nodes: BoundedVec<BoundedVec<u8, MaxPeerId>, MaxNodes>,
		/// Status.
		pub status: HospitalStatus,
		/// Block of admission.
		pub admitted_at: BlockNumber,
	}

	/// [`OldHospital`] with the runtime's types.
	pub type OldHospitalOf<T> = OldHospital<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxNameLength,
		<T as Config>::MaxUrlLength,
		<T as Config>::MaxNodesPerHospital,
		<T as Config>::MaxPeerIdLength,
	>;

	impl<AccountId, BlockNumber, MaxName, MaxUrl, MaxNodes, MaxPeerId>
		OldHospital<AccountId, BlockNumber, MaxName, MaxUrl, MaxNodes, MaxPeerId>
	where
		MaxName: Get<u32>,
		MaxUrl: Get<u32>,
		MaxNodes: Get<u32>,
		MaxPeerId: Get<u32>,
	{
		/// The version 2 hospital: the same fields and `staff` members.
		pub fn upgraded(
			self,
			staff: u32,
		) -> Hospital<AccountId, BlockNumber, MaxName, MaxUrl, MaxNodes, MaxPeerId> {
			Hospital {
				name: self.name,
				admin: self.admin,
				validator: self.validator,
				gateway_url: self.gateway_url,
				nodes: self.nodes,
				status: self.status,
				admitted_at: self.admitted_at,
				staff,
			}
		}
	}

	/// Number of staff (not ended) per hospital.
	#[frame_support::storage_alias]
	pub type StaffCount<T: Config> =
		StorageMap<Pallet<T>, Twox64Concat, HospitalId, u32, ValueQuery>;
}

/// What the checks compare: every hospital as version 1 stored it, with its staff count.
pub type Snapshot<T> = Vec<(HospitalId, v1::OldHospitalOf<T>, u32)>;

/// Moves each hospital's staff count into the hospital. Use [`MigrateV1ToV2`], which runs it
/// only on storage version 1.
pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut hospitals = 0u64;
		Hospitals::<T>::translate::<v1::OldHospitalOf<T>, _>(|id, old| {
			hospitals = hospitals.saturating_add(1);
			Some(old.upgraded(v1::StaffCount::<T>::take(id)))
		});
		// Every count was taken above; this removes any left without a hospital.
		let left = v1::StaffCount::<T>::clear(u32::MAX, None);
		log::info!(
			target: "runtime::hospital-registry",
			"storage v2: staff counts of {hospitals} hospitals moved, {} orphan counts removed",
			left.unique,
		);
		// Per hospital: read and write it, take (read and remove) its count; then the clear.
		let (loops, unique) = (u64::from(left.loops), u64::from(left.unique));
		T::DbWeight::get().reads_writes(
			hospitals.saturating_mul(2).saturating_add(loops),
			hospitals.saturating_mul(2).saturating_add(unique),
		)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok(snapshot::<T>().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = Snapshot::<T>::decode(&mut &state[..])
			.map_err(|_| sp_runtime::TryRuntimeError::Other("v2: undecodable snapshot"))?;
		check::<T>(before)
	}
}

/// The migration from storage version 1 to 2, for the runtime's `Migrations`.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	InnerMigrateV1ToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Pre-upgrade: every hospital as stored in version 1, by id, with its count (read raw, since the
/// pallet's own types are version 2's).
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn snapshot<T: Config>() -> Snapshot<T> {
	let mut ids: Vec<HospitalId> = Hospitals::<T>::iter_keys().collect();
	ids.sort();
	ids.into_iter()
		.filter_map(|id| {
			let key = Hospitals::<T>::hashed_key_for(id);
			frame_support::storage::unhashed::get::<v1::OldHospitalOf<T>>(&key)
				.map(|old| (id, old, v1::StaffCount::<T>::get(id)))
		})
		.collect()
}

/// Post-upgrade: each hospital of `before` is still there with the same fields and its old
/// count, there are no others, the old map is gone, the storage version is 2 and the pallet's
/// invariants hold (including: each count equals the hospital's staff not ended).
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn check<T: Config>(before: Snapshot<T>) -> Result<(), sp_runtime::TryRuntimeError> {
	use sp_runtime::TryRuntimeError as E;
	ensure!(
		Pallet::<T>::on_chain_storage_version() == StorageVersion::new(2),
		E::Other("v2: storage version is not 2")
	);
	ensure!(
		Hospitals::<T>::iter_keys().count() == before.len(),
		E::Other("v2: the number of hospitals changed")
	);
	for (id, old, count) in before {
		let now = Hospitals::<T>::get(id).ok_or(E::Other("v2: a hospital is gone"))?;
		ensure!(now.encode() == old.upgraded(count).encode(), E::Other("v2: a hospital changed"));
	}
	ensure!(v1::StaffCount::<T>::iter_keys().next().is_none(), E::Other("v2: StaffCount is left"));
	Pallet::<T>::do_try_state()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, Error, StaffRole, StaffStatus};
	use frame_support::{
		assert_noop, assert_ok, storage::unhashed, traits::OnRuntimeUpgrade,
		weights::RuntimeDbWeight,
	};
	use sp_core::H256;
	use sp_runtime::DispatchError::Other;

	/// Rewrites the mock's genesis state as storage version 1 had it: hospitals without a
	/// count, counts in `StaffCount` (which version 1 wrote once a hospital had staff).
	fn as_version_1() {
		for (id, h) in Hospitals::<Test>::iter().collect::<Vec<_>>() {
			let old = v1::OldHospital {
				name: h.name,
				admin: h.admin,
				validator: h.validator,
				gateway_url: h.gateway_url,
				nodes: h.nodes,
				status: h.status,
				admitted_at: h.admitted_at,
			};
			unhashed::put(&Hospitals::<Test>::hashed_key_for(id), &old);
			if h.staff > 0 {
				v1::StaffCount::<Test>::insert(id, h.staff);
			}
		}
		StorageVersion::new(1).put::<Pallet<Test>>();
	}

	/// A copy of a snapshot (its types have no `Clone`).
	fn snapshot_again(s: &Snapshot<Test>) -> Snapshot<Test> {
		Snapshot::<Test>::decode(&mut &s.encode()[..]).unwrap()
	}

	fn signed(who: u64) -> RuntimeOrigin {
		RuntimeOrigin::signed(who)
	}

	#[test]
	fn moves_each_count_into_its_hospital_and_removes_the_map() {
		test(|| {
			as_version_1();
			// A count without a hospital: dropped with the map.
			v1::StaffCount::<Test>::insert(99, 7);
			let before = snapshot::<Test>();
			assert_eq!(
				before.iter().map(|(id, _, n)| (*id, *n)).collect::<Vec<_>>(),
				vec![(0, 3), (1, 0), (2, 0)]
			);

			let weight = MigrateV1ToV2::<Test>::on_runtime_upgrade();

			// 3 hospitals read and written, their counts taken, the orphan cleared, plus the
			// versioned migration's own version read and write.
			let db: RuntimeDbWeight = <Test as frame_system::Config>::DbWeight::get();
			assert!(weight.all_gte(db.reads_writes(7, 7)), "{weight:?}");
			assert_ok!(check::<Test>(before));
			assert_eq!(Pallet::<Test>::on_chain_storage_version(), StorageVersion::new(2));
			assert_eq!(Hospitals::<Test>::get(0).unwrap().staff, 3);
			assert_eq!(Hospitals::<Test>::get(1).unwrap().staff, 0);
			assert_eq!(v1::StaffCount::<Test>::iter().count(), 0);
		});
	}

	#[test]
	fn the_moved_count_keeps_bounding_the_staff() {
		test(|| {
			as_version_1();
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			// Hospital 0 has its 3 of at most 3 staff from before the upgrade.
			let register = |who| {
				Pallet::<Test>::register_staff(
					signed(ADMINS[0]),
					who,
					StaffRole::Nurse,
					H256::zero(),
					None,
				)
			};
			assert_noop!(register(103), Error::<Test>::TooManyStaff);
			assert_ok!(Pallet::<Test>::set_staff_status(
				signed(ADMINS[0]),
				NURSE,
				StaffStatus::Ended
			));
			assert_eq!(Hospitals::<Test>::get(0).unwrap().staff, 2);
			assert_ok!(register(103));
			assert_eq!(Hospitals::<Test>::get(0).unwrap().staff, 3);
		});
	}

	#[test]
	fn runs_only_on_version_1() {
		test(|| {
			StorageVersion::new(2).put::<Pallet<Test>>();
			let hospitals = Hospitals::<Test>::iter().collect::<Vec<_>>().encode();
			let weight = MigrateV1ToV2::<Test>::on_runtime_upgrade();
			let db: RuntimeDbWeight = <Test as frame_system::Config>::DbWeight::get();
			assert_eq!(weight, db.reads(1));
			assert_eq!(Hospitals::<Test>::iter().collect::<Vec<_>>().encode(), hospitals);
		});
	}

	#[test]
	fn the_post_upgrade_check_catches_a_lost_count() {
		new_test_ext().execute_with(|| {
			as_version_1();
			let before = snapshot::<Test>();
			// A wrong migration: drops the counts instead of moving them.
			Hospitals::<Test>::translate::<v1::OldHospitalOf<Test>, _>(|_, old| {
				Some(old.upgraded(0))
			});
			let _ = v1::StaffCount::<Test>::clear(u32::MAX, None);
			StorageVersion::new(2).put::<Pallet<Test>>();
			assert_eq!(check::<Test>(before), Err(Other("v2: a hospital changed")));
		});
	}

	#[test]
	fn the_post_upgrade_check_catches_a_lost_hospital_and_a_left_map() {
		new_test_ext().execute_with(|| {
			as_version_1();
			let before = snapshot::<Test>();
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			v1::StaffCount::<Test>::insert(0, 3);
			assert_eq!(
				check::<Test>(snapshot_again(&before)),
				Err(Other("v2: StaffCount is left"))
			);
			v1::StaffCount::<Test>::remove(0);
			assert_ok!(check::<Test>(snapshot_again(&before)));
			Hospitals::<Test>::remove(2);
			assert_eq!(check::<Test>(before), Err(Other("v2: the number of hospitals changed")));
		});
	}

	/// The checks as try-runtime runs them: `pre_upgrade`, the migration, `post_upgrade`.
	#[cfg(feature = "try-runtime")]
	#[test]
	fn try_runtime_pre_and_post_upgrade_pass() {
		test(|| {
			as_version_1();
			assert_ok!(MigrateV1ToV2::<Test>::try_on_runtime_upgrade(true));
			assert_eq!(Hospitals::<Test>::get(0).unwrap().staff, 3);
		});
	}
}

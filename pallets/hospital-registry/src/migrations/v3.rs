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
//! It reads every delegation once, with the recording hospital's verification of the patient: at
//! most `MaxDelegatesPerPatient` a patient, so as many as there are patients. It is therefore a
//! multi-block migration, [`MigrateV2ToV3`]: each step reads delegations in storage order from
//! where the previous step stopped, for as long as the step's budget still holds the most one
//! delegation can cost ([`max_delegation_weight`]), then ends the unbacked guardianships among
//! them. Its cursor is the last (patient, delegate) read. The step that finds no delegation left
//! sets storage version 3.

use super::PALLET_MIGRATIONS_ID;
use crate::{
	Config, Delegates, Delegation, DelegationChange, DelegationLog, Event, HospitalId, Pallet,
	PatientVerifications, Patients,
};
use alloc::vec::Vec;
#[cfg(feature = "try-runtime")]
use codec::{Decode, Encode};
use frame_support::{
	migrations::{MigrationId, SteppedMigration, SteppedMigrationError},
	pallet_prelude::*,
	weights::WeightMeter,
};

/// Weight of reading one delegation: the delegation and the recording hospital's verification
/// of the patient.
pub fn read_weight<T: Config>() -> Weight {
	T::DbWeight::get().reads(2)
}

/// Weight of ending one guardianship, on top of reading it: the patient read and written, the
/// delegation removed, and one entry in the patient's log.
pub fn end_weight<T: Config>() -> Weight {
	T::DbWeight::get().reads_writes(1, 2).saturating_add(T::DelegationLog::weight())
}

/// The most one delegation costs: read, and ended.
pub fn max_delegation_weight<T: Config>() -> Weight {
	read_weight::<T>().saturating_add(end_weight::<T>())
}

/// The hospital that recorded `delegation`, if it is a guardianship that version 3 does not
/// allow: that hospital never verified `patient`.
fn unbacked_by<T: Config>(patient: &T::AccountId, delegation: &Delegation) -> Option<HospitalId> {
	match *delegation {
		Delegation::Guardian { hospital }
			if !PatientVerifications::<T>::contains_key(patient, hospital) =>
		{
			Some(hospital)
		},
		_ => None,
	}
}

/// Ends one guardianship as `end_guardianship` does when the council ends it.
fn end_unbacked<T: Config>(patient: &T::AccountId, guardian: &T::AccountId, hospital: HospitalId) {
	Delegates::<T>::remove(patient, guardian);
	Patients::<T>::mutate(patient, |p| {
		if let Some(p) = p {
			p.delegates = p.delegates.saturating_sub(1);
		}
	});
	T::DelegationLog::delegation_changed(
		patient,
		guardian,
		Some(hospital),
		DelegationChange::GuardianRemoved { by_council: true },
		guardian,
	);
	Pallet::<T>::deposit_event(Event::GuardianRemoved {
		patient: patient.clone(),
		guardian: guardian.clone(),
		hospital,
		by_council: true,
	});
	log::warn!(
		target: "runtime::hospital-registry",
		"storage v3: guardian {guardian:?} of patient {patient:?} ended: hospital {hospital} \
		 never verified the patient",
	);
}

/// The migration from storage version 2 to 3, for the runtime's multi-block migrations
/// (`pallet-migrations`). On any other on-chain storage version its first step returns at once,
/// having changed nothing.
pub struct MigrateV2ToV3<T>(core::marker::PhantomData<T>);

impl<T: Config> SteppedMigration for MigrateV2ToV3<T> {
	/// The last delegation read: (patient, delegate or guardian).
	type Cursor = (T::AccountId, T::AccountId);
	type Identifier = MigrationId<24>;

	fn id() -> Self::Identifier {
		MigrationId { pallet_id: *PALLET_MIGRATIONS_ID, version_from: 2, version_to: 3 }
	}

	fn step(
		cursor: Option<Self::Cursor>,
		meter: &mut WeightMeter,
	) -> Result<Option<Self::Cursor>, SteppedMigrationError> {
		let db = T::DbWeight::get();
		// The storage version, and one delegation at its most, which also covers writing the
		// version at the end.
		let required = db.reads(1).saturating_add(max_delegation_weight::<T>());
		if !meter.can_consume(required) {
			return Err(SteppedMigrationError::InsufficientWeight { required });
		}
		meter.consume(db.reads(1));
		if Pallet::<T>::on_chain_storage_version() != StorageVersion::new(2) {
			log::info!(
				target: "runtime::hospital-registry",
				"storage v3: the storage version is not 2, nothing to migrate",
			);
			return Ok(None);
		}

		let mut delegations = match &cursor {
			Some((patient, who)) => {
				Delegates::<T>::iter_from(Delegates::<T>::hashed_key_for(patient, who))
			},
			None => Delegates::<T>::iter(),
		};
		let (mut read, mut last, mut unbacked) = (0u32, None, Vec::new());
		let done = loop {
			if !meter.can_consume(max_delegation_weight::<T>()) {
				break false;
			}
			let Some((patient, who, delegation)) = delegations.next() else {
				break true;
			};
			meter.consume(read_weight::<T>());
			read = read.saturating_add(1);
			if let Some(hospital) = unbacked_by::<T>(&patient, &delegation) {
				meter.consume(end_weight::<T>());
				unbacked.push((patient.clone(), who.clone(), hospital));
			}
			last = Some((patient, who));
		};
		// Ended once the reading is over: the iteration never meets its own removals.
		for (patient, guardian, hospital) in &unbacked {
			end_unbacked::<T>(patient, guardian, *hospital);
		}
		log::info!(
			target: "runtime::hospital-registry",
			"storage v3: {read} delegations read, {} unbacked guardianships ended",
			unbacked.len(),
		);
		if done {
			meter.consume(db.writes(1));
			StorageVersion::new(3).put::<Pallet<T>>();
			log::info!(target: "runtime::hospital-registry", "storage v3: every delegation read");
			return Ok(None);
		}
		Ok(last.or(cursor))
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
			let keep = unbacked_by::<T>(&patient, &d).is_none();
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
	use frame_support::{assert_noop, assert_ok, weights::constants::ParityDbWeight};
	use sp_core::H256;

	/// Patients 300 to 305 as storage version 2 allowed them: hospital 0 verified 300 and
	/// recorded guardian 400 for it, 301 appointed delegate 401, and hospital 1, which verified
	/// none of them, recorded a guardian `p + 200` of each patient `p`.
	fn version_2_patients() {
		StorageVersion::new(2).put::<Pallet<Test>>();
		for p in 300..306 {
			assert_ok!(Registry::register_patient(RuntimeOrigin::signed(p)));
		}
		assert_ok!(Registry::verify_patient(RuntimeOrigin::signed(10), 300, H256::repeat_byte(1)));
		assert_ok!(Registry::record_guardian(RuntimeOrigin::signed(10), 300, 400));
		assert_ok!(Registry::appoint_delegate(RuntimeOrigin::signed(301), 401));
		for p in 300u64..306 {
			Delegates::<Test>::insert(p, p + 200, Delegation::Guardian { hospital: 1 });
			Patients::<Test>::mutate(p, |x| x.as_mut().unwrap().delegates += 1);
		}
	}

	/// Steps the migration to its end with `limit` of weight a step, as `pallet-migrations`
	/// does with a block's budget; the number of steps it took. Each step keeps to its budget.
	fn run_with(limit: Weight) -> u32 {
		let mut cursor: Option<(u64, u64)> = None;
		for steps in 1..=100 {
			let mut meter = WeightMeter::with_limit(limit);
			let next = MigrateV2ToV3::<Test>::step(cursor.take(), &mut meter);
			assert!(meter.consumed().all_lte(limit), "step {steps} overran its budget");
			match next {
				Ok(None) => return steps,
				Ok(Some(last)) => cursor = Some(last),
				Err(e) => panic!("step {steps} failed: {e:?}"),
			}
		}
		panic!("the migration did not end in 100 steps");
	}

	/// Runs the migration in one step with no limit: what a single-block migration does.
	fn run_at_once() {
		assert_eq!(run_with(Weight::MAX), 1);
	}

	/// A step's budget holding the storage version and two delegations at their most, with
	/// ParityDB's database weights (the mock's are free): a few delegations a step.
	fn small_budget() -> Weight {
		MockDbWeight::set(ParityDbWeight::get());
		let db = MockDbWeight::get();
		db.reads(1).saturating_add(max_delegation_weight::<Test>().saturating_mul(2))
	}

	/// What a run leaves: the events, what the registry logged, and the root of all state.
	fn outcome() -> (Vec<RuntimeEvent>, Vec<Logged>, Vec<u8>) {
		let events = System::events().into_iter().map(|e| e.event).collect();
		(events, logged(), sp_io::storage::root(sp_runtime::StateVersion::V1))
	}

	#[test]
	fn ends_only_unbacked_guardianships() {
		new_test_ext().execute_with(|| {
			version_2_patients();
			let before = snapshot::<Test>();
			assert_eq!(before.iter().filter(|(_, _, _, keep)| !*keep).count(), 6);

			let steps = run_with(small_budget());

			// Six endings and two kept delegations cost more than three steps' budgets.
			assert!(steps >= 4, "{steps} steps");
			assert_ok!(check::<Test>(before));
			assert!(Registry::acts_for(&400, &300));
			assert!(Registry::acts_for(&401, &301));
			for p in 300u64..306 {
				assert!(!Registry::acts_for(&(p + 200), &p), "guardian of {p}");
			}
			// Each ending is in the patient's log, as the council's.
			let ended = DelegationChange::GuardianRemoved { by_council: true };
			assert!(logged().contains(&(300, 500, ended, 500)));
			assert!(logged().contains(&(305, 505, ended, 505)));
			// The verification, the guardian, the delegate and the six endings.
			assert_eq!(logged().len(), 9);
			assert!(System::events().iter().any(|e| e.event
				== RuntimeEvent::Registry(Event::GuardianRemoved {
					patient: 301,
					guardian: 501,
					hospital: 1,
					by_council: true
				})));
			assert_noop!(
				Registry::remove_guardian(RuntimeOrigin::signed(20), 300, 500),
				Error::<Test>::DelegateNotFound
			);
		});
	}

	#[test]
	fn in_steps_it_leaves_what_it_leaves_in_one_block() {
		let at_once = new_test_ext().execute_with(|| {
			version_2_patients();
			run_at_once();
			outcome()
		});
		let in_steps = new_test_ext().execute_with(|| {
			version_2_patients();
			assert!(run_with(small_budget()) > 1);
			outcome()
		});
		assert_eq!(in_steps.0, at_once.0, "events");
		assert_eq!(in_steps.1, at_once.1, "log entries");
		assert_eq!(in_steps.2, at_once.2, "state");
	}

	#[test]
	fn already_applied_it_changes_nothing() {
		new_test_ext().execute_with(|| {
			version_2_patients();
			// As on a chain at version 3 (one started on it, or one this migration already ran
			// on): even an unbacked guardianship stays.
			StorageVersion::new(3).put::<Pallet<Test>>();
			let before = outcome();
			let budget = small_budget();
			let mut meter = WeightMeter::with_limit(budget);

			assert_eq!(MigrateV2ToV3::<Test>::step(None, &mut meter), Ok(None));

			assert_eq!(outcome(), before);
			let db = MockDbWeight::get();
			assert_eq!(meter.consumed(), db.reads(1), "only the storage version read");
		});
	}

	#[test]
	fn a_budget_without_room_for_one_delegation_asks_for_more() {
		new_test_ext().execute_with(|| {
			version_2_patients();
			let before = outcome();
			let budget = small_budget();
			// The storage version and one delegation at its most; one picosecond less.
			let required = budget.saturating_sub(max_delegation_weight::<Test>());
			let mut meter =
				WeightMeter::with_limit(required.saturating_sub(Weight::from_parts(1, 0)));

			assert_eq!(
				MigrateV2ToV3::<Test>::step(None, &mut meter),
				Err(SteppedMigrationError::InsufficientWeight { required })
			);

			assert_eq!(outcome(), before);
		});
	}

	/// The checks as try-runtime runs them: `pre_upgrade`, the steps, `post_upgrade`.
	#[cfg(feature = "try-runtime")]
	#[test]
	fn try_runtime_pre_and_post_upgrade_pass() {
		new_test_ext().execute_with(|| {
			version_2_patients();
			let state = MigrateV2ToV3::<Test>::pre_upgrade().unwrap();
			run_with(small_budget());
			assert_ok!(MigrateV2ToV3::<Test>::post_upgrade(state));
		});
	}
}

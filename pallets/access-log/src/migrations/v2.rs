//! Storage version 1 to 2: state keeps the heads only.
//!
//! Version 1 kept, besides each patient's head, the patient's last 256 entries in state
//! ([`v1::Entries`], a ring: entry `seq` in slot `seq % 256`), so that an append read the head
//! and wrote it and a slot. Version 2 keeps the heads only: every entry is in the nodes' offchain
//! index and in its `EntryAppended` event, and the head proves it. The migration removes the
//! ring; the heads, the global head and every other item stay as they are. It decodes nothing:
//! the layout of an entry is of no concern to its removal.
//!
//! The ring holds up to 256 keys a patient, as many as there are patients times 256. The
//! migration is therefore a multi-block migration, [`MigrateV1ToV2`]: each step removes the
//! ring's keys in storage order, from the one after the last key the previous step removed, for
//! as long as the step's budget still holds the most one key costs ([`key_weight`]). Its cursor
//! is that last key, raw: the next step seeks from there, and not from the start of the map,
//! through keys removed but still in the database until their block is committed (as where
//! steps share a block: the unit tests run them all in one). The step that finds no key left
//! sets storage version 2.
//!
//! Priced with ParityDB's weights a key costs 58 µs (a read and a write), so a step of 400 ms
//! removes about 6,900 keys: a chain of 100,000 patients with full rings (25.6 million keys)
//! takes about 3,700 blocks.

use super::PALLET_MIGRATIONS_ID;
use crate::{Config, Pallet};
#[cfg(any(feature = "try-runtime", feature = "std"))]
use crate::{GlobalHead, Head, Heads};
use alloc::vec::Vec;
#[cfg(feature = "try-runtime")]
use codec::{Decode, Encode};
use frame_support::{
	migrations::{MigrationId, SteppedMigration, SteppedMigrationError},
	pallet_prelude::*,
	storage::{unhashed, StoragePrefixedMap},
	weights::WeightMeter,
};

/// Version 1's storage item that version 2 no longer has.
pub mod v1 {
	use super::*;
	use crate::LogEntryOf;

	/// The most recent entries of each patient: (patient, seq % 256).
	// The hashers of version 1: Blake2_128Concat for the account (chosen by users), Twox64Concat
	// for the slot (a number the pallet chose).
	#[frame_support::storage_alias]
	pub type Entries<T: Config> = StorageDoubleMap<
		Pallet<T>,
		Blake2_128Concat,
		<T as frame_system::Config>::AccountId,
		Twox64Concat,
		u32,
		LogEntryOf<T>,
	>;
}

/// Weight of removing one key of the ring: the seek that finds it (a read) and its removal (a
/// write). The seek that finds none left and the storage version written then cost the same.
pub fn key_weight<T: Config>() -> Weight {
	T::DbWeight::get().reads_writes(1, 1)
}

/// The length of the longest key of [`v1::Entries`]: the pallet's and the map's prefixes (16
/// bytes each), the patient's hash (16 bytes) and account, the slot's hash (8 bytes) and slot
/// (4 bytes). 92 bytes with 32-byte accounts.
pub struct MaxKeyLen<T>(core::marker::PhantomData<T>);

impl<T: Config> Get<u32> for MaxKeyLen<T> {
	fn get() -> u32 {
		let account = u32::try_from(T::AccountId::max_encoded_len()).unwrap_or(u32::MAX);
		account.saturating_add(16 + 16 + 16 + 8 + 4)
	}
}

/// The cursor of [`MigrateV1ToV2`]: the last key of the ring removed, raw.
pub type Cursor<T> = BoundedVec<u8, MaxKeyLen<T>>;

/// The migration from storage version 1 to 2, for the runtime's multi-block migrations
/// (`pallet-migrations`). On any other on-chain storage version its first step returns at once,
/// having changed nothing.
pub struct MigrateV1ToV2<T>(core::marker::PhantomData<T>);

impl<T: Config> SteppedMigration for MigrateV1ToV2<T> {
	type Cursor = Cursor<T>;
	type Identifier = MigrationId<17>;

	fn id() -> Self::Identifier {
		MigrationId { pallet_id: *PALLET_MIGRATIONS_ID, version_from: 1, version_to: 2 }
	}

	fn step(
		cursor: Option<Self::Cursor>,
		meter: &mut WeightMeter,
	) -> Result<Option<Self::Cursor>, SteppedMigrationError> {
		let db = T::DbWeight::get();
		// The storage version, and one key at its most, which also covers the seek that finds
		// none left and writing the version at the end.
		let required = db.reads(1).saturating_add(key_weight::<T>());
		if !meter.can_consume(required) {
			return Err(SteppedMigrationError::InsufficientWeight { required });
		}
		meter.consume(db.reads(1));
		if Pallet::<T>::on_chain_storage_version() != StorageVersion::new(1) {
			log::info!(
				target: "runtime::access-log",
				"storage v2: the storage version is not 1, nothing to migrate",
			);
			return Ok(None);
		}

		let prefix = v1::Entries::<T>::final_prefix();
		// Each seek starts after the last key removed: this step's, or the previous step's.
		let mut last: Vec<u8> = cursor.map_or_else(|| prefix.to_vec(), |c| c.into_inner());
		let mut removed = 0u32;
		while meter.can_consume(key_weight::<T>()) {
			meter.consume(db.reads(1));
			let Some(key) = sp_io::storage::next_key(&last).filter(|k| k.starts_with(&prefix[..]))
			else {
				meter.consume(db.writes(1));
				StorageVersion::new(2).put::<Pallet<T>>();
				log::info!(
					target: "runtime::access-log",
					"storage v2: {removed} entries removed, no entry left in state",
				);
				return Ok(None);
			};
			meter.consume(db.writes(1));
			unhashed::kill(&key);
			removed = removed.saturating_add(1);
			last = key;
		}
		log::info!(target: "runtime::access-log", "storage v2: {removed} entries removed");
		Cursor::<T>::try_from(last).map(Some).map_err(|key| {
			log::error!(
				target: "runtime::access-log",
				"storage v2: a key of {} bytes is longer than the cursor holds",
				key.len(),
			);
			SteppedMigrationError::Failed
		})
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

/// What the checks compare: every patient's head, and the global head.
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub type Snapshot<T> = (Vec<(<T as frame_system::Config>::AccountId, Head)>, Head);

/// Every patient's head, and the global head: what the migration leaves as it was.
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn snapshot<T: Config>() -> Snapshot<T> {
	(Heads::<T>::iter().collect(), GlobalHead::<T>::get())
}

/// Post-upgrade: the storage version is 2, no entry is left in state, every head is as it was,
/// and the pallet's invariants hold.
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn check<T: Config>(before: Snapshot<T>) -> Result<(), sp_runtime::TryRuntimeError> {
	use sp_runtime::TryRuntimeError as E;
	ensure!(
		Pallet::<T>::on_chain_storage_version() == StorageVersion::new(2),
		E::Other("v2: storage version is not 2")
	);
	ensure!(
		!unhashed::contains_prefixed_key(&v1::Entries::<T>::final_prefix()),
		E::Other("v2: an entry is left in state")
	);
	ensure!(snapshot::<T>() == before, E::Other("v2: a head changed"));
	Pallet::<T>::do_try_state()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, Event, LogAction, Subject};
	use frame_support::weights::constants::ParityDbWeight;

	/// The slots of the ring in the tests.
	const RING: u64 = 4;

	/// Two patients' logs as storage version 1 kept them, ten entries of one and three of the
	/// other: the heads, and each patient's last `RING` entries in the ring (seven keys). Committed
	/// to the database, as a chain's state is when an upgrade starts.
	fn version_1_ext() -> sp_io::TestExternalities {
		let mut ext = new_test_ext();
		ext.execute_with(|| {
			for (patient, n) in [(PATIENT, 10u64), (PATIENT_2, 3)] {
				for i in 0..n {
					AccessLog::do_append(
						&patient,
						&DOCTOR,
						Some(0),
						LogAction::RecordAdded,
						Subject::Record(i),
						None,
						None,
					);
				}
			}
			for record in System::events() {
				if let RuntimeEvent::AccessLog(Event::EntryAppended { entry, .. }) = record.event {
					let slot = u32::try_from(entry.seq % RING).unwrap();
					v1::Entries::<Test>::insert(entry.patient, slot, entry);
				}
			}
			System::reset_events();
			StorageVersion::new(1).put::<Pallet<Test>>();
			assert_eq!(ring_keys(), 7);
		});
		ext.commit_all().unwrap();
		ext
	}

	/// Keys of the ring in state.
	fn ring_keys() -> usize {
		v1::Entries::<Test>::iter_keys().count()
	}

	/// Steps the migration to its end with `limit` of weight a step, as `pallet-migrations`
	/// does with a block's budget, all in one block; the number of steps it took. Each step
	/// keeps to its budget.
	fn run_with(limit: Weight) -> u32 {
		let mut cursor: Option<Cursor<Test>> = None;
		for steps in 1..=100 {
			let mut meter = WeightMeter::with_limit(limit);
			let next = MigrateV1ToV2::<Test>::step(cursor.take(), &mut meter);
			assert!(meter.consumed().all_lte(limit), "step {steps} overran its budget");
			match next {
				Ok(None) => return steps,
				Ok(Some(last)) => cursor = Some(last),
				Err(e) => panic!("step {steps} failed: {e:?}"),
			}
		}
		panic!("the migration did not end in 100 steps");
	}

	/// A step's budget holding the storage version and two keys at their most, with ParityDB's
	/// database weights (the mock's are free): two keys a step.
	fn small_budget() -> Weight {
		MockDbWeight::set(ParityDbWeight::get());
		let db = MockDbWeight::get();
		db.reads(1).saturating_add(key_weight::<Test>().saturating_mul(2))
	}

	/// What a run leaves: the events and the root of all state.
	fn outcome() -> (Vec<RuntimeEvent>, Vec<u8>) {
		let events = System::events().into_iter().map(|e| e.event).collect();
		(events, sp_io::storage::root(sp_runtime::StateVersion::V1))
	}

	#[test]
	fn removes_every_entry_and_keeps_every_head() {
		version_1_ext().execute_with(|| {
			let before = snapshot::<Test>();
			assert_eq!(before.0.len(), 2);
			assert_eq!(before.1.count, 13);

			let steps = run_with(small_budget());

			// Seven keys at two a step, and the seek that finds none left.
			assert_eq!(steps, 4);
			assert_eq!(ring_keys(), 0);
			check::<Test>(before).unwrap();
		});
	}

	#[test]
	fn in_steps_it_leaves_what_it_leaves_in_one_block() {
		let at_once = version_1_ext().execute_with(|| {
			assert_eq!(run_with(Weight::MAX), 1);
			outcome()
		});
		let in_steps = version_1_ext().execute_with(|| {
			assert!(run_with(small_budget()) > 1);
			outcome()
		});
		assert_eq!(in_steps.0, at_once.0, "events");
		assert_eq!(in_steps.1, at_once.1, "state");
	}

	#[test]
	fn taken_up_again_in_a_later_block_it_goes_on() {
		let mut ext = version_1_ext();
		let budget = ext.execute_with(small_budget);
		let cursor = ext.execute_with(|| {
			let mut meter = WeightMeter::with_limit(budget);
			let cursor = MigrateV1ToV2::<Test>::step(None, &mut meter).unwrap();
			assert!(cursor.is_some());
			assert_eq!(ring_keys(), 5);
			cursor
		});
		// The block is committed: the keys removed are gone from the database.
		ext.commit_all().unwrap();
		ext.execute_with(|| {
			let before = snapshot::<Test>();
			let mut cursor = cursor;
			while cursor.is_some() {
				let mut meter = WeightMeter::with_limit(budget);
				cursor = MigrateV1ToV2::<Test>::step(cursor, &mut meter).unwrap();
			}
			check::<Test>(before).unwrap();
		});
	}

	#[test]
	fn already_applied_it_changes_nothing() {
		version_1_ext().execute_with(|| {
			// As on a chain at version 2 (one started on it, or one this migration already ran
			// on): even an entry left in state stays.
			StorageVersion::new(2).put::<Pallet<Test>>();
			let before = outcome();
			let mut meter = WeightMeter::with_limit(small_budget());

			assert_eq!(MigrateV1ToV2::<Test>::step(None, &mut meter), Ok(None));

			assert_eq!(outcome(), before);
			assert_eq!(ring_keys(), 7);
			let db = MockDbWeight::get();
			assert_eq!(meter.consumed(), db.reads(1), "only the storage version read");
		});
	}

	#[test]
	fn a_budget_without_room_for_one_entry_asks_for_more() {
		version_1_ext().execute_with(|| {
			let before = outcome();
			let budget = small_budget();
			// The storage version and one key at its most; one picosecond less.
			let required = budget.saturating_sub(key_weight::<Test>());
			let mut meter =
				WeightMeter::with_limit(required.saturating_sub(Weight::from_parts(1, 0)));

			assert_eq!(
				MigrateV1ToV2::<Test>::step(None, &mut meter),
				Err(SteppedMigrationError::InsufficientWeight { required })
			);

			assert_eq!(outcome(), before);
		});
	}

	#[test]
	fn the_cursor_holds_the_longest_key() {
		version_1_ext().execute_with(|| {
			let longest = v1::Entries::<Test>::hashed_key_for(u64::MAX, u32::MAX);
			assert_eq!(longest.len() as u32, MaxKeyLen::<Test>::get());
		});
	}

	/// The checks as try-runtime runs them: `pre_upgrade`, the steps, `post_upgrade`.
	#[cfg(feature = "try-runtime")]
	#[test]
	fn try_runtime_pre_and_post_upgrade_pass() {
		version_1_ext().execute_with(|| {
			let state = MigrateV1ToV2::<Test>::pre_upgrade().unwrap();
			run_with(small_budget());
			frame_support::assert_ok!(MigrateV1ToV2::<Test>::post_upgrade(state));
		});
	}
}

//! Storage version 1 to 2: the commitment index.
//!
//! Version 2 anchors a content commitment at most once on the whole chain
//! ([`RecordOfCommitment`]): a document cannot stand under two records, so nobody reads or
//! destroys one patient's document through a record of another. The migration indexes every
//! record version by its commitment, oldest id first. Where version 1 let a later record anchor
//! a commitment already anchored, the earliest keeps the index entry and each later one is named
//! in a `DuplicateCommitment` event (and the node's log) for the hospitals to look into; the
//! upgrade does not fail on them. No record changes.
//!
//! It reads every record version once and writes one index entry per distinct commitment: as
//! many as there are records. It is therefore a multi-block migration, [`MigrateV1ToV2`]: each
//! step takes the record ids after the last one the previous step took, lowest first, for as
//! long as the step's budget still holds the most one id can cost ([`max_record_weight`]). Its
//! cursor is the last id taken. The step that reaches `NextRecordId` sets storage version 2.

use super::PALLET_MIGRATIONS_ID;
use crate::{Config, Event, NextRecordId, Pallet, RecordId, RecordOfCommitment, Records};
#[cfg(any(feature = "try-runtime", feature = "std"))]
use alloc::vec::Vec;
#[cfg(feature = "try-runtime")]
use codec::{Decode, Encode};
use frame_support::{
	migrations::{MigrationId, SteppedMigration, SteppedMigrationError},
	pallet_prelude::*,
	weights::WeightMeter,
};
#[cfg(any(feature = "try-runtime", feature = "std"))]
use sp_core::H256;

/// Weight of taking one record id: its record and its commitment's index entry read.
pub fn read_weight<T: Config>() -> Weight {
	T::DbWeight::get().reads(2)
}

/// Weight of indexing a commitment no earlier record anchored, on top of reading it: one write.
pub fn index_weight<T: Config>() -> Weight {
	T::DbWeight::get().writes(1)
}

/// The most one record id costs: read, and indexed.
pub fn max_record_weight<T: Config>() -> Weight {
	read_weight::<T>().saturating_add(index_weight::<T>())
}

/// The migration from storage version 1 to 2, for the runtime's multi-block migrations
/// (`pallet-migrations`). On any other on-chain storage version its first step returns at once,
/// having changed nothing.
pub struct MigrateV1ToV2<T>(core::marker::PhantomData<T>);

impl<T: Config> SteppedMigration for MigrateV1ToV2<T> {
	/// The last record id taken.
	type Cursor = RecordId;
	type Identifier = MigrationId<22>;

	fn id() -> Self::Identifier {
		MigrationId { pallet_id: *PALLET_MIGRATIONS_ID, version_from: 1, version_to: 2 }
	}

	fn step(
		cursor: Option<Self::Cursor>,
		meter: &mut WeightMeter,
	) -> Result<Option<Self::Cursor>, SteppedMigrationError> {
		let db = T::DbWeight::get();
		// The storage version and `NextRecordId`, and one record id at its most, which also
		// covers writing the version at the end.
		let required = db.reads(2).saturating_add(max_record_weight::<T>());
		if !meter.can_consume(required) {
			return Err(SteppedMigrationError::InsufficientWeight { required });
		}
		meter.consume(db.reads(1));
		if Pallet::<T>::on_chain_storage_version() != StorageVersion::new(1) {
			log::info!(
				target: "runtime::patient-records",
				"storage v2: the storage version is not 1, nothing to migrate",
			);
			return Ok(None);
		}

		meter.consume(db.reads(1));
		let next = NextRecordId::<T>::get();
		let first_taken = cursor.map_or(0, |last| last.saturating_add(1));
		let (mut id, mut last) = (first_taken, cursor);
		let (mut indexed, mut duplicates) = (0u32, 0u32);
		while id < next && meter.can_consume(max_record_weight::<T>()) {
			meter.consume(read_weight::<T>());
			if let Some(record) = Records::<T>::get(id) {
				let commitment = record.content.commitment;
				match RecordOfCommitment::<T>::get(commitment) {
					None => {
						meter.consume(index_weight::<T>());
						RecordOfCommitment::<T>::insert(commitment, id);
						indexed = indexed.saturating_add(1);
					},
					// Indexed to this very record: only by a run of this migration that did not
					// complete (`docs/upgrades.md`), taken up again from the start. A record is
					// not its own duplicate.
					Some(first) if first == id => {},
					Some(first) => {
						duplicates = duplicates.saturating_add(1);
						log::warn!(
							target: "runtime::patient-records",
							"storage v2: record {id} anchors commitment {commitment:?} of record \
							 {first}, which keeps it",
						);
						Pallet::<T>::deposit_event(Event::DuplicateCommitment {
							commitment,
							record: id,
							first,
						});
					},
				}
			}
			last = Some(id);
			id = id.saturating_add(1);
		}
		log::info!(
			target: "runtime::patient-records",
			"storage v2: records {first_taken} to {id} of {next} read, {indexed} commitments \
			 indexed, {duplicates} duplicates named",
		);
		if id >= next {
			meter.consume(db.writes(1));
			StorageVersion::new(2).put::<Pallet<T>>();
			log::info!(target: "runtime::patient-records", "storage v2: every record indexed");
			return Ok(None);
		}
		Ok(last)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok(commitments::<T>().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = Vec::<(RecordId, H256)>::decode(&mut &state[..])
			.map_err(|_| sp_runtime::TryRuntimeError::Other("v2: undecodable snapshot"))?;
		check::<T>(before)
	}
}

/// Every record version's commitment, by ascending id: what the index is built from.
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn commitments<T: Config>() -> Vec<(RecordId, H256)> {
	(0..NextRecordId::<T>::get())
		.filter_map(|id| Records::<T>::get(id).map(|r| (id, r.content.commitment)))
		.collect()
}

/// Post-upgrade: the records are unchanged, each commitment is indexed to its earliest record,
/// the index holds nothing else, the storage version is 2, and the pallet's invariants hold.
#[cfg(any(feature = "try-runtime", feature = "std"))]
pub fn check<T: Config>(before: Vec<(RecordId, H256)>) -> Result<(), sp_runtime::TryRuntimeError> {
	use sp_runtime::TryRuntimeError as E;
	ensure!(
		Pallet::<T>::on_chain_storage_version() == StorageVersion::new(2),
		E::Other("v2: storage version is not 2")
	);
	ensure!(commitments::<T>() == before, E::Other("v2: records changed"));
	let mut first = alloc::collections::BTreeMap::new();
	for (id, c) in before {
		first.entry(c).or_insert(id);
	}
	ensure!(
		RecordOfCommitment::<T>::iter().count() == first.len(),
		E::Other("v2: the index has other entries")
	);
	for (c, id) in first {
		ensure!(
			RecordOfCommitment::<T>::get(c) == Some(id),
			E::Other("v2: a commitment is not indexed to its earliest record")
		);
	}
	Pallet::<T>::do_try_state()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use crate::{cid, Category, Content, EncryptionScheme};
	use frame_support::{assert_ok, weights::constants::ParityDbWeight};

	/// The doctor anchors a note for `patient` with commitment `[n; 32]`.
	fn add(patient: u64, n: u8) -> RecordId {
		let id = NextRecordId::<Test>::get();
		assert_ok!(PatientRecords::add_record(
			RuntimeOrigin::signed(DOCTOR),
			patient,
			Category::ClinicalNote,
			Content {
				commitment: H256::repeat_byte(n),
				cid: cid::raw_sha2_256(&[n; 32]).to_vec(),
				scheme: EncryptionScheme::XChaCha20Poly1305,
				size: 1024,
			},
		));
		id
	}

	/// Eight records of two patients as storage version 1 had them: no index, and the fourth
	/// and the seventh anchoring the commitments of the first and the fifth again, as version 1
	/// allowed. Their ids, in order.
	fn version_1_records() -> Vec<RecordId> {
		let ids: Vec<RecordId> =
			(1..=8).map(|n| add(if n % 2 == 0 { PATIENT } else { PATIENT_2 }, n)).collect();
		let _ = RecordOfCommitment::<Test>::clear(u32::MAX, None);
		for (again, first) in [(ids[3], ids[0]), (ids[6], ids[4])] {
			let content = Records::<Test>::get(first).unwrap().content;
			Records::<Test>::mutate(again, |r| r.as_mut().unwrap().content = content);
		}
		StorageVersion::new(1).put::<Pallet<Test>>();
		ids
	}

	/// Steps the migration to its end with `limit` of weight a step, as `pallet-migrations`
	/// does with a block's budget; the number of steps it took. Each step keeps to its budget.
	fn run_with(limit: Weight) -> u32 {
		let mut cursor: Option<RecordId> = None;
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

	/// A step's budget holding the storage version, `NextRecordId` and two record ids at their
	/// most, with ParityDB's database weights (the mock's are free): a few records a step.
	fn small_budget() -> Weight {
		MockDbWeight::set(ParityDbWeight::get());
		let db = MockDbWeight::get();
		db.reads(2).saturating_add(max_record_weight::<Test>().saturating_mul(2))
	}

	/// What a run leaves: the events and the root of all state.
	fn outcome() -> (Vec<RuntimeEvent>, Vec<u8>) {
		let events = System::events().into_iter().map(|e| e.event).collect();
		(events, sp_io::storage::root(sp_runtime::StateVersion::V1))
	}

	fn duplicates_named() -> Vec<(H256, RecordId, RecordId)> {
		System::events()
			.into_iter()
			.filter_map(|e| match e.event {
				RuntimeEvent::PatientRecords(Event::DuplicateCommitment {
					commitment,
					record,
					first,
				}) => Some((commitment, record, first)),
				_ => None,
			})
			.collect()
	}

	#[test]
	fn indexes_every_commitment_and_names_duplicates() {
		new_test_ext().execute_with(|| {
			let ids = version_1_records();
			let before = commitments::<Test>();

			let steps = run_with(small_budget());

			// Six entries written and eight records read cost more than three steps' budgets.
			assert!(steps >= 4, "{steps} steps");
			check::<Test>(before).unwrap();
			let commitment = |id: RecordId| Records::<Test>::get(id).unwrap().content.commitment;
			for i in [0, 1, 2, 4, 5, 7] {
				assert_eq!(RecordOfCommitment::<Test>::get(commitment(ids[i])), Some(ids[i]));
			}
			assert_eq!(
				duplicates_named(),
				vec![(commitment(ids[0]), ids[3], ids[0]), (commitment(ids[4]), ids[6], ids[4])]
			);
		});
	}

	#[test]
	fn in_steps_it_leaves_what_it_leaves_in_one_block() {
		let at_once = new_test_ext().execute_with(|| {
			version_1_records();
			assert_eq!(run_with(Weight::MAX), 1);
			outcome()
		});
		let in_steps = new_test_ext().execute_with(|| {
			version_1_records();
			assert!(run_with(small_budget()) > 1);
			outcome()
		});
		assert_eq!(in_steps.0, at_once.0, "events");
		assert_eq!(in_steps.1, at_once.1, "state");
	}

	#[test]
	fn already_applied_it_changes_nothing() {
		new_test_ext().execute_with(|| {
			version_1_records();
			// As on a chain at version 2 (one started on it, or one this migration already ran
			// on): even a commitment left out of the index stays out.
			StorageVersion::new(2).put::<Pallet<Test>>();
			let before = outcome();
			let mut meter = WeightMeter::with_limit(small_budget());

			assert_eq!(MigrateV1ToV2::<Test>::step(None, &mut meter), Ok(None));

			assert_eq!(outcome(), before);
			let db = MockDbWeight::get();
			assert_eq!(meter.consumed(), db.reads(1), "only the storage version read");
		});
	}

	#[test]
	fn taken_up_again_from_the_start_it_names_no_record_its_own_duplicate() {
		new_test_ext().execute_with(|| {
			version_1_records();
			let budget = small_budget();
			// Two steps, then the run starts over, as a runtime that runs it again would.
			let mut cursor = None;
			for _ in 0..2 {
				let mut meter = WeightMeter::with_limit(budget);
				cursor = MigrateV1ToV2::<Test>::step(cursor, &mut meter).unwrap();
				assert!(cursor.is_some());
			}
			let before = commitments::<Test>();
			run_with(budget);

			check::<Test>(before).unwrap();
			assert!(duplicates_named().iter().all(|(_, record, first)| record != first));
		});
	}

	#[test]
	fn a_budget_without_room_for_one_record_asks_for_more() {
		new_test_ext().execute_with(|| {
			version_1_records();
			let before = outcome();
			let budget = small_budget();
			// The storage version, `NextRecordId` and one record id at its most; one
			// picosecond less.
			let required = budget.saturating_sub(max_record_weight::<Test>());
			let mut meter =
				WeightMeter::with_limit(required.saturating_sub(Weight::from_parts(1, 0)));

			assert_eq!(
				MigrateV1ToV2::<Test>::step(None, &mut meter),
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
			version_1_records();
			let state = MigrateV1ToV2::<Test>::pre_upgrade().unwrap();
			run_with(small_budget());
			assert_ok!(MigrateV1ToV2::<Test>::post_upgrade(state));
		});
	}
}

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
//! It reads every record version once and writes one index entry per distinct commitment: a
//! chain with so many records that this does not fit in one block needs it run as a multi-block
//! migration (`docs/upgrades.md`).

use crate::{Config, Event, NextRecordId, Pallet, RecordId, RecordOfCommitment, Records};
use alloc::vec::Vec;
#[cfg(feature = "try-runtime")]
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use sp_core::H256;

/// Every record version's commitment, by ascending id: what the index is built from.
pub fn commitments<T: Config>() -> Vec<(RecordId, H256)> {
	(0..NextRecordId::<T>::get())
		.filter_map(|id| Records::<T>::get(id).map(|r| (id, r.content.commitment)))
		.collect()
}

/// Builds the index. Use [`MigrateV1ToV2`], which runs it only on storage version 1.
pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let next = NextRecordId::<T>::get();
		let all = commitments::<T>();
		let (mut indexed, mut duplicates) = (0u64, 0u64);
		for (id, commitment) in all.iter().copied() {
			match RecordOfCommitment::<T>::get(commitment) {
				None => {
					RecordOfCommitment::<T>::insert(commitment, id);
					indexed = indexed.saturating_add(1);
				},
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
		log::info!(
			target: "runtime::patient-records",
			"storage v2: {indexed} commitments indexed, {duplicates} duplicates named",
		);
		// NextRecordId, every id's record and index entry read; one write per indexed entry.
		let reads = next.saturating_mul(2).saturating_add(1);
		T::DbWeight::get().reads_writes(reads, indexed)
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

/// The migration from storage version 1 to 2, for the runtime's `Migrations`.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	InnerMigrateV1ToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

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
	use frame_support::{assert_ok, traits::OnRuntimeUpgrade};

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

	#[test]
	fn indexes_every_commitment_and_names_duplicates() {
		new_test_ext().execute_with(|| {
			let a = add(PATIENT, 1);
			let b = add(PATIENT, 2);
			let c = add(PATIENT_2, 3);
			// Version 1 state: no index, and a later record anchoring `a`'s commitment.
			let _ = RecordOfCommitment::<Test>::clear(u32::MAX, None);
			Records::<Test>::mutate(c, |r| {
				let first = Records::<Test>::get(a).unwrap();
				r.as_mut().unwrap().content = first.content;
			});
			StorageVersion::new(1).put::<Pallet<Test>>();
			let before = commitments::<Test>();

			MigrateV1ToV2::<Test>::on_runtime_upgrade();

			check::<Test>(before).unwrap();
			let ca = Records::<Test>::get(a).unwrap().content.commitment;
			let cb = Records::<Test>::get(b).unwrap().content.commitment;
			assert_eq!(RecordOfCommitment::<Test>::get(ca), Some(a));
			assert_eq!(RecordOfCommitment::<Test>::get(cb), Some(b));
			assert!(System::events().iter().any(|e| e.event
				== RuntimeEvent::PatientRecords(Event::DuplicateCommitment {
					commitment: ca,
					record: c,
					first: a
				})));
			// A second run does nothing.
			let events = System::events().len();
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			assert_eq!(System::events().len(), events);
		});
	}
}

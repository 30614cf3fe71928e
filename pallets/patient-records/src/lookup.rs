//! What other pallets learn of a record without reading this pallet's storage: the traits of
//! `ehr-primitives` the runtime points the access log's and consent's `type Records` at.

use super::*;
use ehr_primitives::{RecordFacts, RecordLookup, RecordVersion, RecordVersions};
use frame_support::traits::Get;

/// What the access log needs to know of a record to log a read or an erasure of it, from
/// the record and the commitment index: two reads.
impl<T: Config> RecordLookup<T::AccountId> for Pallet<T> {
	fn record_facts(record: RecordId) -> Option<RecordFacts<T::AccountId>> {
		Records::<T>::get(record).map(|r| RecordFacts {
			anchor: RecordOfCommitment::<T>::get(r.content.commitment) == Some(record),
			deleted: r.status == RecordStatus::Deleted,
			patient: r.patient,
			custodian: r.custodian,
		})
	}
}

/// What the consent decision weighs of a record version, from the record alone: one read.
impl<T: Config> RecordVersions<T::AccountId> for Pallet<T> {
	fn record_version(record: RecordId) -> Option<RecordVersion<T::AccountId>> {
		Records::<T>::get(record).map(|r| RecordVersion {
			deleted: r.status == RecordStatus::Deleted,
			patient: r.patient,
			author: r.author,
			category: r.category,
			previous: r.previous,
		})
	}

	fn max_history() -> u32 {
		T::MaxHistory::get()
	}
}

//! The records' storage invariants, checked after every unit test and fuzzed block, and by
//! try-runtime.

use super::*;
use ehr_primitives::Parties;
use frame_support::{ensure, traits::Get};

impl<T: Config> Pallet<T> {
	/// Storage invariants, checked after every unit test and by try-runtime.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next = NextRecordId::<T>::get();
		let mut counted: alloc::collections::BTreeMap<T::AccountId, u32> = Default::default();
		for (id, r) in Records::<T>::iter() {
			ensure!(id < next, "record id beyond NextRecordId");
			ensure!(
				RecordOfCommitment::<T>::get(r.content.commitment).is_some(),
				"a record's commitment is not indexed"
			);
			ensure!(
				<T as Config>::Parties::is_patient(&r.patient),
				"record of an unregistered patient"
			);
			*counted.entry(r.patient.clone()).or_default() += 1;
			ensure!(r.version <= T::MaxHistory::get(), "more versions than MaxHistory");
			if let Some(p) = r.previous {
				let prev = Records::<T>::get(p).ok_or("previous version missing")?;
				ensure!(prev.superseded_by == Some(id), "previous does not link forward");
				// A deleted record is deleted in all its versions.
				let expected = if r.status == RecordStatus::Deleted {
					RecordStatus::Deleted
				} else {
					RecordStatus::Superseded
				};
				ensure!(prev.status == expected, "previous not superseded (or not deleted)");
				ensure!(prev.version + 1 == r.version, "version does not follow");
			} else {
				ensure!(r.version == 1, "first version is not 1");
			}
			ensure!(
				r.status != RecordStatus::Superseded || r.superseded_by.is_some(),
				"superseded without a successor"
			);
			ensure!(
				r.superseded_by.is_none()
					|| matches!(r.status, RecordStatus::Superseded | RecordStatus::Deleted),
				"a version with a successor is neither superseded nor deleted"
			);
			ensure!(
				(r.status == RecordStatus::Deleted) == r.content.cid.is_empty(),
				"a deleted record keeps its address, or a live one lost it"
			);
		}
		for (patient, count) in PatientRecordCount::<T>::iter() {
			ensure!(counted.get(&patient) == Some(&count), "patient record count");
			let mut seen = 0u32;
			for (page, ids) in PatientRecordPages::<T>::iter_prefix(&patient) {
				ensure!(page * T::RecordsPerPage::get() < count.max(1), "page beyond count");
				for id in ids.iter() {
					let r = Records::<T>::get(id).ok_or("index entry without record")?;
					ensure!(r.patient == patient, "index entry of another patient");
					seen += 1;
				}
			}
			ensure!(seen == count, "index size");
		}
		ensure!(counted.len() == PatientRecordCount::<T>::iter().count(), "unindexed patient");
		for (commitment, id) in RecordOfCommitment::<T>::iter() {
			let r = Records::<T>::get(id).ok_or("commitment index names a missing record")?;
			ensure!(r.content.commitment == commitment, "commitment index names another");
		}
		for (id, _) in Amendments::<T>::iter() {
			ensure!(Records::<T>::get(id).is_some(), "amendment of a missing record");
		}
		let mut pending: alloc::collections::BTreeMap<T::AccountId, u32> = Default::default();
		for (_, req) in PrescriptionRequests::<T>::iter() {
			if req.status == RequestStatus::Pending {
				*pending.entry(req.patient).or_default() += 1;
			}
		}
		for (patient, n) in PendingRequestCount::<T>::iter() {
			ensure!(pending.get(&patient).copied().unwrap_or(0) == n, "pending request count");
		}
		Ok(())
	}
}

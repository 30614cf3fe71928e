//! # Access log
//!
//! A hash-linked, per-patient log of everything done to a patient's records and consent: record
//! added, amended, withdrawn or deleted; consent granted or revoked; emergency access opened,
//! ended and reviewed; document read or refused by a custodian's gateway. HIPAA 164.312(b)
//! audit controls.
//!
//! Each [`LogEntry`] holds the hash of the patient's previous entry; its own hash is
//! `blake2_256("ehr-chain/access-log/entry/v1" ++ SCALE(entry))`. The chain keeps, per patient,
//! the **head** (number of entries, hash of the last) and a **global head** over all entries,
//! so anyone holding a patient's entries can check with [`verify::verify`] that none was
//! altered, removed, reordered or inserted.
//!
//! On-chain actions append through the [`AccessLog`] trait (of `ehr-primitives`, so that the
//! records and consent pallets need not depend on this one), called by those pallets inside their
//! own calls (no second extrinsic). The hospital registry reports changes of who acts for a
//! patient through [`ehr_primitives::DelegationLog`], and the log learns what it needs of a
//! record through [`RecordLookup`] ([`Config::Records`]: the records pallet). Off-chain reads
//! are appended by the custodian hospital's document gateway (a staff account with the `Gateway`
//! role).
//!
//! ## Calls
//!
//! * [`log_served`](Pallet::log_served): the gateway served a document on a request the accessor
//!   signed; the entry ([`LogAction::DocumentServed`]) names the hash of that signed request,
//!   which the gateway keeps and hands to the patient, so the patient can check that the accessor
//!   asked.
//! * [`log_read`](Pallet::log_read): the gateway refused a document, or served one without
//!   naming a request ([`LogAction::ReadDenied`], [`LogAction::DocumentRead`]).
//! * [`log_erasure`](Pallet::log_erasure): the gateway destroyed a deleted record's document.
//! * [`log_reads`](Pallet::log_reads): many reads served and refused at once, each checked and
//!   logged as `log_served` and a refused `log_read` log one; all or none. The gateway journals
//!   each attempt before it answers and logs the journal in batches of up to
//!   [`Config::MaxReadsPerCall`].
//!
//! ## Storage
//!
//! State keeps, per patient, the head only, plus the global head: an append reads and writes the
//! patient's head (and the block's whitelisted global head), whatever the length of the log.
//! The entries themselves never enter state. Every entry is written, keyed by its hash, to the
//! node's offchain index ([`index_key`], offchain indexing, which `ehr-node` always enables), and
//! deposited whole in an `EntryAppended` event. The `ehr_*` methods serve a patient's whole log
//! from the index, walking back from the head ([`index::walk_back`]); the head proves any copy,
//! and an entry's event proves it against the header of the block that appended it. A node that
//! synced without the history (warp sync) holds only the entries of the blocks it executed.
//! State per patient is one [`Head`] (`Head::max_encoded_len()` bytes).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod index;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod verify;
pub mod weights;
pub use weights::WeightInfo;

use ehr_primitives::{HospitalId, RecordId};

/// The sink the records and consent pallets append through, and how the log learns what it needs
/// of a record: traits shared by the pallets, which the runtime points at this pallet and at the
/// records pallet.
pub use ehr_primitives::{AccessLog, RecordFacts, RecordLookup};

/// Makes records for the benchmarks, where [`Config::Records`] finds them.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes a record of `patient` written by `doctor` (so kept by the doctor's hospital);
	/// returns its id.
	fn benchmark_record(patient: &AccountId, doctor: &AccountId) -> RecordId;

	/// Deletes (tombstones) a record made by [`Self::benchmark_record`].
	fn benchmark_delete(record: RecordId);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use ehr_primitives::{DelegationChange, DelegationLog, Moment, Parties, StaffRole};
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;

	/// A log entry as stored.
	pub type LogEntryOf<T> = LogEntry<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A custodian's gateway account, its hospital, and the facts of the record it serves.
	pub type GatewayOf<T> = (
		<T as frame_system::Config>::AccountId,
		HospitalId,
		RecordFacts<<T as frame_system::Config>::AccountId>,
	);
	/// A read attempt of a [`log_reads`](Pallet::log_reads) batch.
	pub type ReadLogOf<T> = ReadLog<<T as frame_system::Config>::AccountId>;

	/// The in-code storage version: 2, heads only ([`migrations::v2`] clears version 1's ring of
	/// recent entries).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// Who an account is: active staff, a patient, someone who acts for a patient (the
		/// hospital registry).
		type Parties: Parties<Self::AccountId>;

		/// Wall-clock time, for the entries' timestamps.
		type Time: Time<Moment = Moment>;

		/// Finds a record's patient and custodian (the records pallet).
		type Records: RecordLookup<Self::AccountId>;

		/// Most read attempts one [`log_reads`](Pallet::log_reads) call logs.
		#[pallet::constant]
		type MaxReadsPerCall: Get<u32>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Makes records for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Each patient's log head.
	// Blake2_128Concat: account ids are chosen by users.
	#[pallet::storage]
	pub type Heads<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Head, ValueQuery>;

	/// The head over all patients' entries, in the order they were appended.
	///
	/// Whitelisted: every logging call of a block reads and writes this one value, which the
	/// block's storage overlay holds after the first access and the database writes once, when
	/// the block is committed. So the calls' benchmarks do not count its accesses and
	/// `on_initialize` charges one read and one write a block instead.
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type GlobalHead<T: Config> = StorageValue<_, Head, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An entry was appended to a patient's log (whole, so indexers keep every entry).
		EntryAppended { entry: LogEntryOf<T>, hash: H256 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller is not an active gateway account of an active hospital.
		NotAGateway,
		/// No record with this id.
		RecordNotFound,
		/// Only the gateway of the record's custodian hospital serves it.
		///
		/// The record is kept by another hospital, or by the patient.
		NotCustodian,
		/// A deleted record's document is destroyed: it cannot have been served.
		RecordDeleted,
		/// Only a deleted record's document is erased; this record is not deleted.
		RecordNotDeleted,
		/// A refusal is logged on chain only for an account the chain knows.
		///
		/// Known: staff, a patient, or someone acting for the record's patient.
		UnknownAccessor,
		/// The record repeats the commitment another record anchored.
		///
		/// Its document is that record's, so it is neither served nor erased under this one.
		NotTheAnchor,
		/// A `log_reads` batch holds no read attempt.
		NoReads,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Log that the caller's gateway served or refused a document of `record` to `accessor`.
		///
		/// `permitted` says which, `purpose` what for. The gateway asked the consent decision
		/// first; this records what it did. A refusal is logged only for an account the chain
		/// knows (staff, a patient, or someone acting for the record's patient). A served read
		/// logged here ([`LogAction::DocumentRead`]) names no request, so nothing shows that the
		/// accessor asked: a gateway that keeps the signed request logs the read with
		/// [`log_served`](Pallet::log_served) instead.
		///
		/// Origin: signed by an active `Gateway` staff account of the record's custodian
		/// hospital.
		///
		/// Errors: `NotAGateway`, `RecordNotFound`, `NotCustodian`; served: `RecordDeleted`,
		/// `NotTheAnchor`; refused: `UnknownAccessor`.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::log_read()
			// The refused path asks whether the accessor is known (staff, patient, delegation
			// and its hospital): reads the benchmark, which takes the served path, does not.
			.saturating_add(T::DbWeight::get().reads(4)))]
		pub fn log_read(
			origin: OriginFor<T>,
			record: RecordId,
			accessor: T::AccountId,
			purpose: Purpose,
			permitted: bool,
		) -> DispatchResult {
			let (_, custodian, facts) = Self::ensure_custodian_gateway(origin, record)?;
			if permitted {
				Self::ensure_servable(&facts)?;
			} else {
				Self::ensure_known(&accessor, &facts)?;
			}
			let action = if permitted { LogAction::DocumentRead } else { LogAction::ReadDenied };
			Self::append_read(&facts, custodian, record, &accessor, action, purpose);
			Ok(())
		}

		/// Log that the caller's gateway destroyed the document and key of deleted `record`.
		///
		/// Crypto-shredding: once the data key is gone the ciphertext, wherever copies remain,
		/// opens for nobody. The entry goes into the patient's log with the gateway as actor.
		///
		/// Origin: signed by an active `Gateway` staff account of the record's custodian
		/// hospital.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::log_erasure())]
		pub fn log_erasure(origin: OriginFor<T>, record: RecordId) -> DispatchResult {
			let (gateway, custodian, facts) = Self::ensure_custodian_gateway(origin, record)?;
			ensure!(facts.deleted, Error::<T>::RecordNotDeleted);
			ensure!(facts.anchor, Error::<T>::NotTheAnchor);
			Self::do_append(
				&facts.patient,
				&gateway,
				Some(custodian),
				LogAction::DocumentErased,
				Subject::Record(record),
				None,
				Some(custodian),
			);
			Ok(())
		}

		/// Log that the caller's gateway served a document on a request the accessor signed.
		///
		/// The document is `record`'s, the accessor `accessor`, `purpose` the request's, and
		/// `request` the hash of the signed request. The entry, [`LogAction::DocumentServed`],
		/// names it; the gateway keeps the signed request and gives it to the patient (and
		/// whoever acts for the patient), who checks that its hash is `request`, that `accessor`
		/// signed it, and that it asked for `record` for `purpose`. The chain checks what it can
		/// know, who logs and which record, as for a served [`log_read`](Pallet::log_read); it
		/// never sees the request.
		///
		/// Origin: signed by an active `Gateway` staff account of the record's custodian
		/// hospital.
		///
		/// Errors: `NotAGateway`, `RecordNotFound`, `NotCustodian`, `RecordDeleted` (a deleted
		/// record's document is destroyed), `NotTheAnchor` (the document under the record's
		/// commitment is another record's).
		///
		/// Complexity: O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::log_served())]
		pub fn log_served(
			origin: OriginFor<T>,
			record: RecordId,
			accessor: T::AccountId,
			purpose: Purpose,
			request: H256,
		) -> DispatchResult {
			let (_, custodian, facts) = Self::ensure_custodian_gateway(origin, record)?;
			Self::ensure_servable(&facts)?;
			let action = LogAction::DocumentServed { request };
			Self::append_read(&facts, custodian, record, &accessor, action, purpose);
			Ok(())
		}

		/// Log many read attempts of the caller's gateway at once, in order.
		///
		/// Each entry of `entries` is a served read ([`ReadOutcome::Served`], checked and logged as
		/// [`log_served`](Pallet::log_served) logs it) or a refusal ([`ReadOutcome::Refused`],
		/// as [`log_read`](Pallet::log_read) with `permitted = false`).
		///
		/// All or none: if any entry fails its checks the call fails with that entry's error
		/// (the first one, in order) and logs nothing, since the runtime dispatches a call in a
		/// storage transaction. A batch is the gateway's record of what it did, in the order it
		/// did it; logging part of it would leave gaps the patient could not see. The error
		/// does not name the entry: the gateway finds it by logging the batch's entries one at
		/// a time, each in a batch of its own.
		///
		/// Origin: signed by an active `Gateway` staff account of every entry's record's
		/// custodian hospital.
		///
		/// Errors: `NoReads` (no entry); per entry, as the single calls: `NotAGateway`,
		/// `RecordNotFound`, `NotCustodian`; served: `RecordDeleted`, `NotTheAnchor`; refused:
		/// `UnknownAccessor`. More than [`Config::MaxReadsPerCall`] entries do not decode.
		///
		/// Complexity: O(n), n the number of entries; charged for the refused path of each.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::log_reads(entries.len() as u32)
			// As `log_read`'s refused path: whether each accessor is known (staff, patient,
			// delegation and its hospital), reads the benchmark (all served) does not make.
			.saturating_add(T::DbWeight::get().reads(4u64.saturating_mul(entries.len() as u64))))]
		pub fn log_reads(
			origin: OriginFor<T>,
			entries: BoundedVec<ReadLogOf<T>, T::MaxReadsPerCall>,
		) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			ensure!(!entries.is_empty(), Error::<T>::NoReads);
			for entry in entries {
				let (custodian, facts) = Self::custodian_gateway(&gateway, entry.record)?;
				let action = match entry.outcome {
					ReadOutcome::Served { request } => {
						Self::ensure_servable(&facts)?;
						LogAction::DocumentServed { request }
					},
					ReadOutcome::Refused => {
						Self::ensure_known(&entry.accessor, &facts)?;
						LogAction::ReadDenied
					},
				};
				Self::append_read(
					&facts,
					custodian,
					entry.record,
					&entry.accessor,
					action,
					entry.purpose,
				);
			}
			Ok(())
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// The block's one read and one write of the whitelisted [`GlobalHead`], whether or not
		/// an entry is appended in it (a charge up front cannot know).
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	impl<T: Config> Pallet<T> {
		/// The caller is an active `Gateway` of `record`'s custodian: the caller, that hospital
		/// and the record's facts.
		fn ensure_custodian_gateway(
			origin: OriginFor<T>,
			record: RecordId,
		) -> Result<GatewayOf<T>, DispatchError> {
			let gateway = ensure_signed(origin)?;
			let (hospital, facts) = Self::custodian_gateway(&gateway, record)?;
			Ok((gateway, hospital, facts))
		}

		/// `gateway` is an active `Gateway` of `record`'s custodian: that hospital and the
		/// record's facts.
		fn custodian_gateway(
			gateway: &T::AccountId,
			record: RecordId,
		) -> Result<(HospitalId, RecordFacts<T::AccountId>), DispatchError> {
			let staff = T::Parties::active_staff(gateway).ok_or(Error::<T>::NotAGateway)?;
			ensure!(staff.role == StaffRole::Gateway, Error::<T>::NotAGateway);
			let facts = T::Records::record_facts(record).ok_or(Error::<T>::RecordNotFound)?;
			ensure!(facts.custodian == Some(staff.hospital), Error::<T>::NotCustodian);
			Ok((staff.hospital, facts))
		}

		/// A refusal is logged only of an account the chain knows: staff (of any status), a
		/// patient, or someone acting for the record's patient.
		///
		/// A refusal of an account the chain does not know stays in the gateway's own log:
		/// anyone can make key pairs, and their refusals would bury the patient's real entries
		/// in noise.
		fn ensure_known(
			accessor: &T::AccountId,
			facts: &RecordFacts<T::AccountId>,
		) -> DispatchResult {
			ensure!(
				T::Parties::is_registered_staff(accessor)
					|| T::Parties::is_patient(accessor)
					|| T::Parties::acts_for(accessor, &facts.patient),
				Error::<T>::UnknownAccessor
			);
			Ok(())
		}

		/// A served read is logged only of a document that exists and is the record's own: the
		/// record is not deleted (its document is destroyed) and anchored its commitment.
		fn ensure_servable(facts: &RecordFacts<T::AccountId>) -> DispatchResult {
			ensure!(!facts.deleted, Error::<T>::RecordDeleted);
			ensure!(facts.anchor, Error::<T>::NotTheAnchor);
			Ok(())
		}

		/// Appends a read of `record` (served or refused, as `action` says) by `accessor` to the
		/// record's patient's log: with the accessor's hospital if they are active staff, and
		/// the `custodian` whose gateway logs it as the source.
		fn append_read(
			facts: &RecordFacts<T::AccountId>,
			custodian: HospitalId,
			record: RecordId,
			accessor: &T::AccountId,
			action: LogAction,
			purpose: Purpose,
		) {
			let accessor_hospital = T::Parties::active_staff(accessor).map(|s| s.hospital);
			Self::do_append(
				&facts.patient,
				accessor,
				accessor_hospital,
				action,
				Subject::Record(record),
				Some(purpose),
				Some(custodian),
			);
		}

		/// Appends an entry to `patient`'s log and advances both heads. Returns its hash.
		///
		/// State: one read and one write of the patient's head, and of the whitelisted global
		/// head; the entry goes to the offchain index and the event only.
		pub fn do_append(
			patient: &T::AccountId,
			actor: &T::AccountId,
			hospital: Option<HospitalId>,
			action: LogAction,
			subject: Subject<T::AccountId>,
			purpose: Option<Purpose>,
			source: Option<HospitalId>,
		) -> H256 {
			let head = Heads::<T>::get(patient);
			let entry = LogEntry {
				seq: head.count,
				patient: patient.clone(),
				actor: actor.clone(),
				hospital,
				action,
				subject,
				purpose,
				source,
				block: frame_system::Pallet::<T>::block_number(),
				timestamp: T::Time::now(),
				prev: head.last,
			};
			let hash = entry.hash();
			// A u64 count of entries does not overflow in the life of a chain.
			Heads::<T>::insert(patient, Head { count: head.count.saturating_add(1), last: hash });
			GlobalHead::<T>::mutate(|g| {
				g.count = g.count.saturating_add(1);
				g.last = next_global(&g.last, &hash);
			});
			// Every node keeps every entry, keyed by its hash, outside state (offchain indexing):
			// the `ehr_*` methods serve a patient's whole log from there by walking back from
			// the head. State keeps no entry.
			sp_io::offchain_index::set(&index_key(&hash), &entry.encode());
			Self::deposit_event(Event::EntryAppended { entry, hash });
			hash
		}

		/// Checks the pallet's invariants: a patient's head names a last entry exactly when it
		/// counts one, and the global head counts every patient's entries.
		///
		/// The entries are outside state; that they link up to the heads is checked where they
		/// are read ([`verify::verify`], the `ehr_verifyAccessLog` method).
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use sp_runtime::TryRuntimeError as E;
			let mut total = 0u64;
			for (_, head) in Heads::<T>::iter() {
				ensure!(
					(head.count == 0) == (head.last == H256::zero()),
					E::Other("a head's count and last hash disagree")
				);
				total = total.checked_add(head.count).ok_or(E::Other("entry count overflows"))?;
			}
			ensure!(GlobalHead::<T>::get().count == total, E::Other("global count mismatch"));
			Ok(())
		}
	}

	/// The registry's changes of who acts for a patient go into the patient's log, the delegate
	/// or guardian as the subject.
	impl<T: Config> DelegationLog<T::AccountId> for Pallet<T> {
		fn delegation_changed(
			patient: &T::AccountId,
			actor: &T::AccountId,
			hospital: Option<HospitalId>,
			change: DelegationChange,
			party: &T::AccountId,
		) {
			use DelegationChange as C;
			let action = match change {
				C::PatientVerified => LogAction::PatientVerified,
				C::DelegateAppointed => LogAction::DelegateAppointed,
				C::DelegateRemoved => LogAction::DelegateRemoved,
				C::GuardianRecorded => LogAction::GuardianRecorded,
				C::GuardianContested => LogAction::GuardianContested,
				C::GuardianUpheld => LogAction::GuardianUpheld,
				C::GuardianRemoved { by_council } => LogAction::GuardianRemoved { by_council },
			};
			Self::do_append(
				patient,
				actor,
				hospital,
				action,
				Subject::Party(party.clone()),
				None,
				None,
			);
		}

		/// The benchmarked append.
		fn weight() -> Weight {
			<T as Config>::WeightInfo::append()
		}
	}

	impl<T: Config> AccessLog<T::AccountId> for Pallet<T> {
		fn append(
			patient: &T::AccountId,
			actor: &T::AccountId,
			hospital: Option<HospitalId>,
			action: LogAction,
			subject: Subject<T::AccountId>,
			purpose: Option<Purpose>,
		) {
			Self::do_append(patient, actor, hospital, action, subject, purpose, None);
		}
	}
}

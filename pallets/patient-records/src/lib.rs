//! # Patient records
//!
//! Metadata of patients' encrypted documents. The document itself stays off chain, encrypted,
//! with the custodian hospital (or the patient); the chain keeps who it is about, who wrote it,
//! which hospital keeps it, what kind it is, when it was anchored, and the **commitment** (hash)
//! and **content address** (CIDv1, raw codec, whose digest is the commitment) of its ciphertext.
//! Anyone who fetched the ciphertext can check it against the chain; nobody learns its content.
//!
//! A record is a chain of versions: every amendment is a new version that links to the one it
//! amends (`previous`), which becomes `Superseded` and links forward (`superseded_by`).
//!
//! ## Calls
//!
//! Adding ([`add_record`](Pallet::add_record), [`add_records`](Pallet::add_records) for a batch):
//! an active doctor of an active hospital adds any clinical category, an active lab results and
//! imaging; the hospital becomes the custodian. A patient (or delegate, or guardian) adds
//! patient-reported and device records about themself, which the patient holds.
//!
//! Amending needs both sides, the custodian hospital's doctor (or lab) and the patient:
//! * [`propose_amendment`](Pallet::propose_amendment) by the doctor, then
//!   [`approve_amendment`](Pallet::approve_amendment) by the patient (or a delegate) before the
//!   deadline; either side may [`cancel_amendment`](Pallet::cancel_amendment);
//! * or [`amend_with_signature`](Pallet::amend_with_signature): the doctor submits the amendment
//!   with the patient's signature over [`AmendmentPayload`] (the runtime API returns the exact
//!   bytes to sign).
//!
//! A patient-held record is amended by the patient alone (`propose_amendment` applies at once).
//!
//! Withdrawing (tombstones) also needs both sides: one side
//! [`request_withdrawal`](Pallet::request_withdrawal)s (`EnteredInError` or `Delete`), the other
//! [`approve_withdrawal`](Pallet::approve_withdrawal)s; [`cancel_withdrawal`](Pallet::cancel_withdrawal)
//! by either. Deleting a record deletes every version of it: each keeps its commitment for audit
//! and loses its content address, and one `RecordDeleted` event per version tells the custodian
//! to destroy that version's ciphertext and key (crypto-shredding). A record has at most
//! [`Config::MaxHistory`] versions, so a deletion's work is bounded.
//!
//! Prescriptions: a patient [`request_prescription`](Pallet::request_prescription)s from a doctor,
//! who [`fulfil_prescription`](Pallet::fulfil_prescription)s it with a prescription record or
//! [`decline_prescription`](Pallet::decline_prescription)s it; the patient may
//! [`cancel_prescription_request`](Pallet::cancel_prescription_request) while it is pending.
//!
//! Whether anyone may *open* a document is not decided here: that is the consent pallet's single
//! decision function.
//!
//! Every change is appended to the patient's access log through [`Config::AccessLog`]; the
//! access log asks this pallet what it needs of a record through
//! [`ehr_primitives::RecordLookup`], and the consent pallet through
//! [`ehr_primitives::RecordVersions`]: traits of `ehr-primitives`, so none of these pallets
//! depends on another.
//!
//! ## Storage
//!
//! Per-patient indexes are pages of at most [`Config::RecordsPerPage`] record ids, so no value
//! grows without bound; listing reads only the pages it returns.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod cid;
mod lookup;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod try_state;
pub mod types;
pub mod weights;
pub use weights::WeightInfo;

/// Signatures for the benchmarks of [`Pallet::amend_with_signature`].
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// An account whose key the benchmark can sign with.
	fn signer() -> AccountId;
	/// `signer`'s signature over `message`.
	fn sign(signer: &AccountId, message: &[u8]) -> Signature;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use ehr_primitives::{
		AccessLog, ActingStaff, HospitalId, LogAction, Moment, Parties, StaffRole, Subject,
	};
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::traits::{CheckedAdd, IdentifyAccount, Verify, Zero};

	/// A record version as stored.
	pub type RecordOf<T> = Record<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A pending amendment as stored.
	pub type PendingAmendmentOf<T> =
		PendingAmendment<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A pending withdrawal as stored.
	pub type PendingWithdrawalOf<T> =
		PendingWithdrawal<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A prescription request as stored.
	pub type PrescriptionRequestOf<T> =
		PrescriptionRequest<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A new record of a batch.
	pub type NewRecordOf<T> = NewRecord<<T as frame_system::Config>::AccountId>;

	/// The in-code storage version. 2: the commitment index ([`migrations::v2`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

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

		/// Wall-clock time: when prescriptions were requested and issued.
		type Time: Time<Moment = Moment>;

		/// A signature by an account, as a patient gives it over an amendment.
		type Signature: Verify<Signer = Self::Signer> + Parameter;

		/// The public key behind an account.
		type Signer: IdentifyAccount<AccountId = Self::AccountId>;

		/// Most records one `add_records` may anchor.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Record ids per page of a patient's index.
		#[pallet::constant]
		type RecordsPerPage: Get<u32>;

		/// Blocks a patient has to approve a proposed amendment.
		#[pallet::constant]
		type AmendmentPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks the other side has to agree to a withdrawal.
		#[pallet::constant]
		type WithdrawalPeriod: Get<BlockNumberFor<Self>>;

		/// Most pending prescription requests a patient may have.
		#[pallet::constant]
		type MaxPendingRequests: Get<u32>;

		/// Most versions a record may have (beyond it, a correction is a new record); the runtime
		/// API's history and a deletion walk at most this many.
		#[pallet::constant]
		type MaxHistory: Get<u32>;

		/// Where record changes are logged (the access log).
		type AccessLog: AccessLog<Self::AccountId>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Makes a signing account and its signatures for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature>;
	}

	/// The id the next record version gets.
	///
	/// Whitelisted: every anchoring call of a block reads and writes this one value, which the
	/// block's storage overlay holds after the first access and the database writes once, when
	/// the block is committed. So the calls' benchmarks do not count its accesses and
	/// `on_initialize` charges one read and one write a block instead.
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type NextRecordId<T: Config> = StorageValue<_, RecordId, ValueQuery>;

	/// Record versions, by id.
	// Twox64Concat: ids are assigned sequentially by the chain, not chosen by users.
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Twox64Concat, RecordId, RecordOf<T>>;

	/// Number of record versions indexed for each patient.
	// Blake2_128Concat: account ids are chosen by users.
	#[pallet::storage]
	pub type PatientRecordCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// A patient's record ids, in pages of `RecordsPerPage`, oldest first: (patient, page).
	#[pallet::storage]
	pub type PatientRecordPages<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		u32,
		BoundedVec<RecordId, T::RecordsPerPage>,
		ValueQuery,
	>;

	/// The record version that anchored each content commitment: a commitment is anchored at
	/// most once on the whole chain, so one document never stands under two records (or two
	/// patients). Kept when the record is deleted, so a destroyed document is never anchored
	/// again.
	// Blake2_128Concat: commitments are chosen by the uploader.
	#[pallet::storage]
	pub type RecordOfCommitment<T: Config> = StorageMap<_, Blake2_128Concat, H256, RecordId>;

	/// Amendments waiting for the patient, by the record version they amend.
	#[pallet::storage]
	pub type Amendments<T: Config> = StorageMap<_, Twox64Concat, RecordId, PendingAmendmentOf<T>>;

	/// Withdrawals waiting for the other side, by record version.
	#[pallet::storage]
	pub type Withdrawals<T: Config> = StorageMap<_, Twox64Concat, RecordId, PendingWithdrawalOf<T>>;

	/// The id the next prescription request gets.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Prescription requests, by id.
	#[pallet::storage]
	pub type PrescriptionRequests<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, PrescriptionRequestOf<T>>;

	/// Number of pending prescription requests of each patient.
	///
	/// Its storage key and its name in the metadata keep the item's first name,
	/// `PendingRequests`, so the rename needed no migration.
	#[pallet::storage]
	#[pallet::storage_prefix = "PendingRequests"]
	pub type PendingRequestCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A record was anchored.
		RecordAdded {
			record: RecordId,
			patient: T::AccountId,
			author: T::AccountId,
			custodian: Option<HospitalId>,
			category: Category,
		},
		/// A staff member proposed an amendment; the patient may approve it until `deadline`.
		AmendmentProposed {
			record: RecordId,
			patient: T::AccountId,
			proposer: T::AccountId,
			deadline: BlockNumberFor<T>,
		},
		/// A pending amendment was withdrawn by its proposer or rejected by the patient.
		AmendmentCancelled { record: RecordId, patient: T::AccountId, by: T::AccountId },
		/// A record was amended with both sides' agreement: `record` supersedes `previous`.
		RecordAmended {
			previous: RecordId,
			record: RecordId,
			patient: T::AccountId,
			author: T::AccountId,
			version: u32,
		},
		/// One side asked to withdraw a record; the other may agree until `deadline`.
		WithdrawalRequested {
			record: RecordId,
			patient: T::AccountId,
			requester: T::AccountId,
			kind: Withdrawal,
			deadline: BlockNumberFor<T>,
		},
		/// A pending withdrawal was cancelled.
		WithdrawalCancelled { record: RecordId, patient: T::AccountId, by: T::AccountId },
		/// A record was withdrawn as entered in error; its document is kept for audit.
		RecordEnteredInError { record: RecordId, patient: T::AccountId },
		/// A record was deleted: its custodian must destroy the document and its key.
		///
		/// The custodian is the patient if `None`.
		RecordDeleted {
			record: RecordId,
			patient: T::AccountId,
			custodian: Option<HospitalId>,
			commitment: H256,
		},
		/// A patient asked a doctor for a prescription.
		PrescriptionRequested { request: RequestId, patient: T::AccountId, doctor: T::AccountId },
		/// The doctor answered a request with a prescription record.
		PrescriptionFulfilled {
			request: RequestId,
			record: RecordId,
			patient: T::AccountId,
			doctor: T::AccountId,
		},
		/// The doctor declined a request.
		PrescriptionDeclined { request: RequestId, patient: T::AccountId, doctor: T::AccountId },
		/// The patient withdrew a pending request.
		PrescriptionRequestCancelled { request: RequestId, patient: T::AccountId },
		/// A storage migration found a record repeating an earlier record's commitment.
		///
		/// `record` anchors the same commitment as the earlier `first`, which keeps it; a hospital
		/// should look into `record`.
		DuplicateCommitment { commitment: H256, record: RecordId, first: RecordId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is not a registered patient.
		PatientNotFound,
		/// The caller is neither active staff nor the patient (or a delegate or guardian).
		NotAnAuthor,
		/// The staff member's role may not write this category.
		///
		/// Nurses and administrators write no records; labs only results and imaging.
		RoleNotAllowed,
		/// Patients (and their delegates) add only patient-reported and device records.
		ClinicalCategory,
		/// Staff do not add patient-reported or device records.
		PatientCategory,
		/// The content address is longer than any supported CID (38 bytes).
		OversizedCid,
		/// The content address is not a well-formed CID.
		MalformedCid,
		/// The content address is not a CIDv1 of raw bytes with a SHA2-256 or BLAKE2b-256 digest.
		UnsupportedCid,
		/// The CID's digest is not the content commitment.
		CidMismatch,
		/// The document size is zero.
		EmptyDocument,
		/// An empty batch.
		EmptyBatch,
		/// More records in one batch than `MaxBatchSize`.
		BatchTooLarge,
		/// No record with this id.
		RecordNotFound,
		/// The record is superseded, entered in error or deleted.
		RecordNotCurrent,
		/// The caller does not work for the record's custodian hospital.
		///
		/// Also when the record is patient-held.
		WrongHospital,
		/// The caller does not act for the record's patient.
		NotForPatient,
		/// The record already has a pending amendment.
		AmendmentPending,
		/// The record has no pending amendment.
		NoPendingAmendment,
		/// The amendment's approval deadline has passed.
		AmendmentExpired,
		/// The new content equals the current one.
		UnchangedContent,
		/// The signature is not the signer's over this exact amendment.
		BadSignature,
		/// The caller may not cancel this (neither the proposer or requester nor the other side).
		NotParty,
		/// The record already has a pending withdrawal.
		WithdrawalPending,
		/// The record has no pending withdrawal.
		NoPendingWithdrawal,
		/// The withdrawal's deadline has passed.
		WithdrawalExpired,
		/// The same side cannot both ask for and agree to a withdrawal.
		SameSide,
		/// The account asked is not an active doctor.
		NotADoctor,
		/// No prescription request with this id.
		RequestNotFound,
		/// The request is no longer pending.
		RequestNotPending,
		/// The request was made to another doctor (or by another patient).
		NotRequestParty,
		/// The patient already has `MaxPendingRequests` pending requests.
		TooManyPendingRequests,
		/// Ids are exhausted (never in practice: 2^64).
		IdOverflow,
		/// The record has `MaxHistory` versions already: add a new record instead.
		TooManyVersions,
		/// This content commitment is already anchored: one document is anchored once.
		///
		/// By this or another record, perhaps deleted.
		CommitmentInUse,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// The block's one read and one write of the whitelisted [`NextRecordId`], whether or
		/// not a record is added in it (a charge up front cannot know).
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			T::DbWeight::get().reads_writes(1, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Anchor a record: the metadata of an encrypted document.
		///
		/// Origin: signed by an active doctor (any clinical category) or lab (results, imaging)
		/// of an active hospital, which becomes the custodian; or by the patient, a delegate or
		/// a guardian (patient-reported and device records, held by the patient).
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::add_record())]
		pub fn add_record(
			origin: OriginFor<T>,
			patient: T::AccountId,
			category: Category,
			content: ContentInput,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let custodian = Self::ensure_author(&who, &patient, category)?;
			let content = Self::check_content(content)?;
			Self::insert_new(patient, who, custodian, category, content)?;
			Ok(())
		}

		/// Anchor up to `MaxBatchSize` records at once, all or none.
		///
		/// Each is checked as if added alone by the same caller.
		///
		/// Origin: as [`add_record`](Pallet::add_record), for each record.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::add_records(
			(records.len() as u32).min(T::MaxBatchSize::get())
		))]
		pub fn add_records(origin: OriginFor<T>, records: Vec<NewRecordOf<T>>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!records.is_empty(), Error::<T>::EmptyBatch);
			ensure!(records.len() as u32 <= T::MaxBatchSize::get(), Error::<T>::BatchTooLarge);
			// The staff check is the same for every record; read it once.
			let staff = Self::staff_of(&who)?;
			for r in records {
				let custodian = Self::ensure_author_with(&who, staff, &r.patient, r.category)?;
				let content = Self::check_content(r.content)?;
				// An error here undoes the whole batch: every call is transactional.
				Self::insert_new(r.patient, who.clone(), custodian, r.category, content)?;
			}
			Ok(())
		}

		/// Propose an amendment of a record, for the patient to approve.
		///
		/// For a record the caller's hospital keeps, the patient (or a delegate) approves it
		/// within `AmendmentPeriod`. For a patient-held record, the patient (or delegate) amends
		/// at once.
		///
		/// Origin: signed by an active doctor (or lab, for its categories) of the custodian
		/// hospital; for patient-held records, by the patient or a delegate.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::propose_amendment()
			.max(<T as Config>::WeightInfo::approve_amendment()))]
		pub fn propose_amendment(
			origin: OriginFor<T>,
			record: RecordId,
			content: ContentInput,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let r = Self::current(record)?;
			ensure!(r.version < T::MaxHistory::get(), Error::<T>::TooManyVersions);
			ensure!(content.commitment != r.content.commitment, Error::<T>::UnchangedContent);
			let content = Self::check_content(content)?;
			if r.custodian.is_none() {
				ensure!(T::Parties::acts_for(&who, &r.patient), Error::<T>::NotForPatient);
				return Self::apply_amendment(record, r, who, content);
			}
			Self::ensure_custodian_staff(&who, &r)?;
			ensure!(!Self::amendment_open(record), Error::<T>::AmendmentPending);
			let deadline = Self::deadline(T::AmendmentPeriod::get())?;
			Amendments::<T>::insert(
				record,
				PendingAmendment { proposer: who.clone(), content, deadline },
			);
			Self::deposit_event(Event::AmendmentProposed {
				record,
				patient: r.patient,
				proposer: who,
				deadline,
			});
			Ok(())
		}

		/// Approve a pending amendment: the new version supersedes the record.
		///
		/// Origin: signed by the patient, a delegate or a guardian.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::approve_amendment())]
		pub fn approve_amendment(origin: OriginFor<T>, record: RecordId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let r = Self::current(record)?;
			ensure!(T::Parties::acts_for(&who, &r.patient), Error::<T>::NotForPatient);
			let a = Amendments::<T>::get(record).ok_or(Error::<T>::NoPendingAmendment)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() <= a.deadline,
				Error::<T>::AmendmentExpired
			);
			// The proposer must still be entitled when the amendment takes effect.
			Self::ensure_custodian_staff(&a.proposer, &r)?;
			Amendments::<T>::remove(record);
			Self::apply_amendment(record, r, a.proposer, a.content)
		}

		/// Withdraw a proposed amendment (its proposer) or reject it (the patient side).
		///
		/// Origin: signed by the proposer, or by the patient, a delegate or a guardian.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_amendment())]
		pub fn cancel_amendment(origin: OriginFor<T>, record: RecordId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let a = Amendments::<T>::get(record).ok_or(Error::<T>::NoPendingAmendment)?;
			let r = Records::<T>::get(record).ok_or(Error::<T>::RecordNotFound)?;
			ensure!(
				a.proposer == who || T::Parties::acts_for(&who, &r.patient),
				Error::<T>::NotParty
			);
			Amendments::<T>::remove(record);
			Self::deposit_event(Event::AmendmentCancelled { record, patient: r.patient, by: who });
			Ok(())
		}

		/// Amend a record in one step, with the patient's signature over the exact amendment.
		///
		/// The signature is over the SCALE-encoded [`AmendmentPayload`], raw or wrapped in
		/// `<Bytes>`…`</Bytes>`.
		///
		/// Origin: signed by an active doctor (or lab, for its categories) of the custodian
		/// hospital. `signer` is the patient, a delegate or a guardian.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::amend_with_signature())]
		pub fn amend_with_signature(
			origin: OriginFor<T>,
			record: RecordId,
			content: ContentInput,
			signer: T::AccountId,
			signature: T::Signature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let r = Self::current(record)?;
			Self::ensure_custodian_staff(&who, &r)?;
			ensure!(content.commitment != r.content.commitment, Error::<T>::UnchangedContent);
			let content = Self::check_content(content)?;
			ensure!(T::Parties::acts_for(&signer, &r.patient), Error::<T>::NotForPatient);
			let payload = Self::amendment_payload(record, r.version, content.clone()).encode();
			let mut wrapped = Vec::with_capacity(payload.len().saturating_add(15));
			wrapped.extend_from_slice(b"<Bytes>");
			wrapped.extend_from_slice(&payload);
			wrapped.extend_from_slice(b"</Bytes>");
			ensure!(
				signature.verify(&payload[..], &signer) || signature.verify(&wrapped[..], &signer),
				Error::<T>::BadSignature
			);
			// A proposal waiting for the same record is overtaken.
			Amendments::<T>::remove(record);
			Self::apply_amendment(record, r, who, content)
		}

		/// Ask to withdraw a record, as entered in error or to delete it.
		///
		/// The other side agrees with [`approve_withdrawal`](Pallet::approve_withdrawal) within
		/// `WithdrawalPeriod`. A patient-held record is withdrawn at once by the patient side.
		///
		/// Origin: signed by an active doctor (or lab) of the custodian hospital, or by the
		/// patient, a delegate or a guardian.
		#[pallet::call_index(6)]
		#[pallet::weight(<T as Config>::WeightInfo::request_withdrawal().max(<T as Config>::WeightInfo::approve_withdrawal(T::MaxHistory::get())))]
		pub fn request_withdrawal(
			origin: OriginFor<T>,
			record: RecordId,
			kind: Withdrawal,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let r = Self::current(record)?;
			let side = Self::side_of(&who, &r)?;
			if r.custodian.is_none() {
				let versions = Self::apply_withdrawal(record, r, kind, &who)?;
				return Ok(Some(<T as Config>::WeightInfo::approve_withdrawal(versions)).into());
			}
			ensure!(!Self::withdrawal_open(record), Error::<T>::WithdrawalPending);
			let deadline = Self::deadline(T::WithdrawalPeriod::get())?;
			Withdrawals::<T>::insert(
				record,
				PendingWithdrawal { requester: who.clone(), side, kind, deadline },
			);
			Self::deposit_event(Event::WithdrawalRequested {
				record,
				patient: r.patient,
				requester: who,
				kind,
				deadline,
			});
			Ok(Some(<T as Config>::WeightInfo::request_withdrawal()).into())
		}

		/// Agree to a pending withdrawal: the record becomes `EnteredInError` or `Deleted`.
		///
		/// Origin: signed by the side that did not ask (see
		/// [`request_withdrawal`](Pallet::request_withdrawal)).
		#[pallet::call_index(7)]
		#[pallet::weight(<T as Config>::WeightInfo::approve_withdrawal(T::MaxHistory::get()))]
		pub fn approve_withdrawal(
			origin: OriginFor<T>,
			record: RecordId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let r = Self::current(record)?;
			let w = Withdrawals::<T>::get(record).ok_or(Error::<T>::NoPendingWithdrawal)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() <= w.deadline,
				Error::<T>::WithdrawalExpired
			);
			let side = Self::side_of(&who, &r)?;
			ensure!(side != w.side, Error::<T>::SameSide);
			Withdrawals::<T>::remove(record);
			let versions = Self::apply_withdrawal(record, r, w.kind, &who)?;
			Ok(Some(<T as Config>::WeightInfo::approve_withdrawal(versions)).into())
		}

		/// Cancel a pending withdrawal: its requester withdraws it, or the other side refuses.
		///
		/// Origin: signed by the requester, or by anyone entitled on either side.
		#[pallet::call_index(8)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_withdrawal())]
		pub fn cancel_withdrawal(origin: OriginFor<T>, record: RecordId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let w = Withdrawals::<T>::get(record).ok_or(Error::<T>::NoPendingWithdrawal)?;
			let r = Records::<T>::get(record).ok_or(Error::<T>::RecordNotFound)?;
			ensure!(w.requester == who || Self::side_of(&who, &r).is_ok(), Error::<T>::NotParty);
			Withdrawals::<T>::remove(record);
			Self::deposit_event(Event::WithdrawalCancelled { record, patient: r.patient, by: who });
			Ok(())
		}

		/// Ask a doctor for a prescription.
		///
		/// `details` is a commitment to what is asked and why, kept off chain (zero if none).
		///
		/// Origin: signed by a registered patient.
		#[pallet::call_index(9)]
		#[pallet::weight(<T as Config>::WeightInfo::request_prescription())]
		pub fn request_prescription(
			origin: OriginFor<T>,
			doctor: T::AccountId,
			details: H256,
		) -> DispatchResult {
			let patient = ensure_signed(origin)?;
			ensure!(T::Parties::is_patient(&patient), Error::<T>::PatientNotFound);
			ensure!(
				matches!(
					Self::staff_of(&doctor),
					Ok(Some(ActingStaff { role: StaffRole::Doctor, .. }))
				),
				Error::<T>::NotADoctor
			);
			let pending = PendingRequestCount::<T>::get(&patient);
			ensure!(pending < T::MaxPendingRequests::get(), Error::<T>::TooManyPendingRequests);
			let request = NextRequestId::<T>::get();
			NextRequestId::<T>::put(request.checked_add(1).ok_or(Error::<T>::IdOverflow)?);
			// Below `MaxPendingRequests`, checked above: cannot overflow.
			PendingRequestCount::<T>::insert(&patient, pending.saturating_add(1));
			PrescriptionRequests::<T>::insert(
				request,
				PrescriptionRequest {
					patient: patient.clone(),
					doctor: doctor.clone(),
					details,
					requested_in: frame_system::Pallet::<T>::block_number(),
					status: RequestStatus::Pending,
				},
			);
			Self::deposit_event(Event::PrescriptionRequested { request, patient, doctor });
			Ok(())
		}

		/// Answer a prescription request with a prescription record.
		///
		/// The doctor's hospital keeps the record.
		///
		/// Origin: signed by the doctor asked, still an active doctor.
		#[pallet::call_index(10)]
		#[pallet::weight(<T as Config>::WeightInfo::fulfil_prescription())]
		pub fn fulfil_prescription(
			origin: OriginFor<T>,
			request: RequestId,
			content: ContentInput,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut req = Self::pending_request_for_doctor(request, &who)?;
			let custodian = Self::ensure_author(&who, &req.patient, Category::Prescription)?;
			let content = Self::check_content(content)?;
			let record = Self::insert_new(
				req.patient.clone(),
				who.clone(),
				custodian,
				Category::Prescription,
				content,
			)?;
			req.status = RequestStatus::Fulfilled(record);
			Self::close_request(request, &req);
			Self::deposit_event(Event::PrescriptionFulfilled {
				request,
				record,
				patient: req.patient,
				doctor: who,
			});
			Ok(())
		}

		/// Decline a prescription request.
		///
		/// Origin: signed by the doctor asked.
		#[pallet::call_index(11)]
		#[pallet::weight(<T as Config>::WeightInfo::decline_prescription())]
		pub fn decline_prescription(origin: OriginFor<T>, request: RequestId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut req = Self::pending_request_for_doctor(request, &who)?;
			req.status = RequestStatus::Declined;
			Self::close_request(request, &req);
			Self::deposit_event(Event::PrescriptionDeclined {
				request,
				patient: req.patient,
				doctor: who,
			});
			Ok(())
		}

		/// Withdraw a pending prescription request.
		///
		/// Origin: signed by the patient who made it.
		#[pallet::call_index(12)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_prescription_request())]
		pub fn cancel_prescription_request(
			origin: OriginFor<T>,
			request: RequestId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut req =
				PrescriptionRequests::<T>::get(request).ok_or(Error::<T>::RequestNotFound)?;
			ensure!(req.patient == who, Error::<T>::NotRequestParty);
			ensure!(req.status == RequestStatus::Pending, Error::<T>::RequestNotPending);
			req.status = RequestStatus::Cancelled;
			Self::close_request(request, &req);
			Self::deposit_event(Event::PrescriptionRequestCancelled { request, patient: who });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The bytes a patient signs to approve an amendment of `record` (at `version`) to
		/// `content` in one extrinsic (see [`Pallet::amend_with_signature`]).
		pub fn amendment_payload(
			record: RecordId,
			version: u32,
			content: Content,
		) -> AmendmentPayload<T::Hash> {
			AmendmentPayload {
				domain: AMEND_DOMAIN,
				genesis: frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero()),
				record,
				version,
				content,
			}
		}

		/// A patient's record versions, newest first: `page` of `page_size` (at most
		/// `RecordsPerPage`), and the patient's total.
		pub fn records_of(
			patient: &T::AccountId,
			page: u32,
			page_size: u32,
		) -> (u32, Vec<(RecordId, RecordOf<T>)>) {
			let total = PatientRecordCount::<T>::get(patient);
			let per_page = T::RecordsPerPage::get().max(1);
			let size = page_size.clamp(1, per_page);
			let skip = page.saturating_mul(size);
			let mut out = Vec::new();
			let mut cached: Option<(u32, BoundedVec<RecordId, T::RecordsPerPage>)> = None;
			// Positions total-1-skip, total-2-skip, ... down to 0, at most `size` of them.
			let first = total.saturating_sub(skip);
			for pos in (first.saturating_sub(size)..first).rev() {
				let (p, slot) = (pos / per_page, pos % per_page);
				if cached.as_ref().map(|c| c.0) != Some(p) {
					cached = Some((p, PatientRecordPages::<T>::get(patient, p)));
				}
				let id = cached.as_ref().and_then(|c| c.1.get(slot as usize).copied());
				if let Some((id, r)) = id.and_then(|id| Records::<T>::get(id).map(|r| (id, r))) {
					out.push((id, r));
				}
			}
			(total, out)
		}

		/// The version history of the record that `record` belongs to, newest first: from the
		/// current version back to the first (at most `MaxHistory`).
		pub fn history(record: RecordId) -> Vec<(RecordId, RecordOf<T>)> {
			let mut id = Some(record);
			// Walk forward to the newest version first.
			let mut steps = 0u32;
			while let Some(next) = id.and_then(Records::<T>::get).and_then(|r| r.superseded_by) {
				if steps >= T::MaxHistory::get() {
					break;
				}
				id = Some(next);
				steps = steps.saturating_add(1);
			}
			let mut out = Vec::new();
			while let Some(i) = id {
				if out.len() as u32 >= T::MaxHistory::get() {
					break;
				}
				let Some(r) = Records::<T>::get(i) else { break };
				id = r.previous;
				out.push((i, r));
			}
			out
		}

		/// `who` as active staff, `None` if not staff at all; an error if registered but not
		/// entitled now (suspended, ended, expired, hospital not active).
		fn staff_of(who: &T::AccountId) -> Result<Option<ActingStaff>, DispatchError> {
			if !T::Parties::is_registered_staff(who) {
				return Ok(None);
			}
			T::Parties::ensure_active_staff(who).map(Some)
		}

		/// Whether `role` may write `category`.
		fn role_allows(role: StaffRole, category: Category) -> bool {
			match role {
				StaffRole::Doctor => true,
				StaffRole::Lab => category.is_lab(),
				StaffRole::Nurse
				| StaffRole::Administrator
				| StaffRole::PrivacyOfficer
				| StaffRole::Gateway => false,
			}
		}

		/// The one authoring rule: may `who` add a `category` record about `patient`? Returns
		/// the custodian hospital (`None`: patient-held).
		fn ensure_author(
			who: &T::AccountId,
			patient: &T::AccountId,
			category: Category,
		) -> Result<Option<HospitalId>, DispatchError> {
			let staff = Self::staff_of(who)?;
			Self::ensure_author_with(who, staff, patient, category)
		}

		fn ensure_author_with(
			who: &T::AccountId,
			staff: Option<ActingStaff>,
			patient: &T::AccountId,
			category: Category,
		) -> Result<Option<HospitalId>, DispatchError> {
			ensure!(T::Parties::is_patient(patient), Error::<T>::PatientNotFound);
			match staff {
				Some(s) => {
					ensure!(!category.is_patient_authored(), Error::<T>::PatientCategory);
					ensure!(Self::role_allows(s.role, category), Error::<T>::RoleNotAllowed);
					Ok(Some(s.hospital))
				},
				None => {
					ensure!(T::Parties::acts_for(who, patient), Error::<T>::NotAnAuthor);
					ensure!(category.is_patient_authored(), Error::<T>::ClinicalCategory);
					Ok(None)
				},
			}
		}

		/// `who` is active staff of the custodian of `r` whose role may write its category.
		fn ensure_custodian_staff(who: &T::AccountId, r: &RecordOf<T>) -> DispatchResult {
			let s = Self::staff_of(who)?.ok_or(Error::<T>::WrongHospital)?;
			ensure!(r.custodian == Some(s.hospital), Error::<T>::WrongHospital);
			ensure!(Self::role_allows(s.role, r.category), Error::<T>::RoleNotAllowed);
			Ok(())
		}

		/// On which side `who` stands for record `r`: the custodian's staff, or the patient's.
		fn side_of(who: &T::AccountId, r: &RecordOf<T>) -> Result<Side, DispatchError> {
			if T::Parties::acts_for(who, &r.patient) {
				return Ok(Side::Patient);
			}
			Self::ensure_custodian_staff(who, r)?;
			Ok(Side::Staff)
		}

		/// A well-formed content: a supported CID whose digest is the commitment, non-empty;
		/// returned with its CID bounded for storage.
		pub(crate) fn check_content(c: ContentInput) -> Result<Content, DispatchError> {
			let cid: CidBytes = c.cid.try_into().map_err(|_| Error::<T>::OversizedCid)?;
			let parsed = cid::parse(&cid).map_err(|e| match e {
				cid::CidError::Malformed => Error::<T>::MalformedCid,
				cid::CidError::Unsupported => Error::<T>::UnsupportedCid,
			})?;
			ensure!(parsed.digest == c.commitment.as_bytes(), Error::<T>::CidMismatch);
			ensure!(c.size > 0, Error::<T>::EmptyDocument);
			ensure!(
				!RecordOfCommitment::<T>::contains_key(c.commitment),
				Error::<T>::CommitmentInUse
			);
			Ok(Content { commitment: c.commitment, cid, scheme: c.scheme, size: c.size })
		}

		/// The record `id`, which must be current.
		fn current(id: RecordId) -> Result<RecordOf<T>, DispatchError> {
			let r = Records::<T>::get(id).ok_or(Error::<T>::RecordNotFound)?;
			ensure!(r.status == RecordStatus::Current, Error::<T>::RecordNotCurrent);
			Ok(r)
		}

		fn amendment_open(record: RecordId) -> bool {
			Amendments::<T>::get(record)
				.is_some_and(|a| frame_system::Pallet::<T>::block_number() <= a.deadline)
		}

		fn withdrawal_open(record: RecordId) -> bool {
			Withdrawals::<T>::get(record)
				.is_some_and(|w| frame_system::Pallet::<T>::block_number() <= w.deadline)
		}

		fn deadline(period: BlockNumberFor<T>) -> Result<BlockNumberFor<T>, DispatchError> {
			frame_system::Pallet::<T>::block_number()
				.checked_add(&period)
				.ok_or(Error::<T>::IdOverflow.into())
		}

		/// Anchors `commitment` to record `id`, unless some record anchored it already.
		fn claim_commitment(commitment: H256, id: RecordId) -> DispatchResult {
			ensure!(
				!RecordOfCommitment::<T>::contains_key(commitment),
				Error::<T>::CommitmentInUse
			);
			RecordOfCommitment::<T>::insert(commitment, id);
			Ok(())
		}

		fn next_record_id() -> Result<RecordId, DispatchError> {
			let id = NextRecordId::<T>::get();
			NextRecordId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdOverflow)?);
			Ok(id)
		}

		/// Appends `id` to `patient`'s index.
		fn index_record(patient: &T::AccountId, id: RecordId) -> DispatchResult {
			let count = PatientRecordCount::<T>::get(patient);
			let page = count / T::RecordsPerPage::get().max(1);
			PatientRecordPages::<T>::try_mutate(patient, page, |p| p.try_push(id))
				.map_err(|_| Error::<T>::IdOverflow)?;
			PatientRecordCount::<T>::insert(
				patient,
				count.checked_add(1).ok_or(Error::<T>::IdOverflow)?,
			);
			Ok(())
		}

		/// Stores a first version and indexes it.
		fn insert_new(
			patient: T::AccountId,
			author: T::AccountId,
			custodian: Option<HospitalId>,
			category: Category,
			content: Content,
		) -> Result<RecordId, DispatchError> {
			let id = Self::next_record_id()?;
			Self::claim_commitment(content.commitment, id)?;
			Self::index_record(&patient, id)?;
			Records::<T>::insert(
				id,
				Record {
					patient: patient.clone(),
					author: author.clone(),
					custodian,
					category,
					content,
					created_at: T::Time::now(),
					created_in: frame_system::Pallet::<T>::block_number(),
					version: 1,
					previous: None,
					superseded_by: None,
					status: RecordStatus::Current,
				},
			);
			T::AccessLog::append(
				&patient,
				&author,
				custodian,
				LogAction::RecordAdded,
				Subject::Record(id),
				None,
			);
			Self::deposit_event(Event::RecordAdded {
				record: id,
				patient,
				author,
				custodian,
				category,
			});
			Ok(id)
		}

		/// The new version `content` by `author` supersedes `old` (id `previous`).
		pub(crate) fn apply_amendment(
			previous: RecordId,
			mut old: RecordOf<T>,
			author: T::AccountId,
			content: Content,
		) -> DispatchResult {
			let id = Self::next_record_id()?;
			let version = old.version.checked_add(1).ok_or(Error::<T>::IdOverflow)?;
			ensure!(version <= T::MaxHistory::get(), Error::<T>::TooManyVersions);
			// Checked again here: an approved proposal's content may have been anchored since.
			Self::claim_commitment(content.commitment, id)?;
			Self::index_record(&old.patient, id)?;
			let new = Record {
				patient: old.patient.clone(),
				author: author.clone(),
				custodian: old.custodian,
				category: old.category,
				content,
				created_at: T::Time::now(),
				created_in: frame_system::Pallet::<T>::block_number(),
				version,
				previous: Some(previous),
				superseded_by: None,
				status: RecordStatus::Current,
			};
			old.status = RecordStatus::Superseded;
			old.superseded_by = Some(id);
			let patient = old.patient.clone();
			Records::<T>::insert(previous, old);
			Records::<T>::insert(id, new);
			// Requests pending on the old version lapse with it.
			Withdrawals::<T>::remove(previous);
			Self::log(&patient, &author, LogAction::RecordAmended, id);
			Self::deposit_event(Event::RecordAmended {
				previous,
				record: id,
				patient,
				author,
				version,
			});
			Ok(())
		}

		/// Applies an agreed withdrawal; returns how many versions it changed.
		fn apply_withdrawal(
			id: RecordId,
			mut r: RecordOf<T>,
			kind: Withdrawal,
			actor: &T::AccountId,
		) -> Result<u32, DispatchError> {
			let patient = r.patient.clone();
			let action = match kind {
				Withdrawal::EnteredInError => LogAction::RecordEnteredInError,
				Withdrawal::Delete => LogAction::RecordDeleted,
			};
			Self::log(&patient, actor, action, id);
			Amendments::<T>::remove(id);
			Withdrawals::<T>::remove(id);
			match kind {
				Withdrawal::EnteredInError => {
					r.status = RecordStatus::EnteredInError;
					Records::<T>::insert(id, r);
					Self::deposit_event(Event::RecordEnteredInError { record: id, patient });
					Ok(1)
				},
				Withdrawal::Delete => {
					// Every version goes: the documents of superseded versions hold the same
					// patient's data. A record has at most `MaxHistory` versions.
					let mut version = Some((id, r));
					let mut deleted = 0u32;
					while let Some((vid, mut v)) = version.take() {
						if deleted >= T::MaxHistory::get() {
							break;
						}
						let (custodian, commitment, previous) =
							(v.custodian, v.content.commitment, v.previous);
						v.status = RecordStatus::Deleted;
						v.content.cid = Default::default();
						Records::<T>::insert(vid, v);
						deleted = deleted.saturating_add(1);
						Self::deposit_event(Event::RecordDeleted {
							record: vid,
							patient: patient.clone(),
							custodian,
							commitment,
						});
						version = previous.and_then(|p| Records::<T>::get(p).map(|pv| (p, pv)));
					}
					Ok(deleted)
				},
			}
		}

		/// Appends to the patient's access log, naming the actor's hospital if the actor is
		/// staff.
		fn log(patient: &T::AccountId, actor: &T::AccountId, action: LogAction, record: RecordId) {
			let hospital = T::Parties::active_staff(actor).map(|s| s.hospital);
			T::AccessLog::append(patient, actor, hospital, action, Subject::Record(record), None);
		}

		fn pending_request_for_doctor(
			request: RequestId,
			doctor: &T::AccountId,
		) -> Result<PrescriptionRequestOf<T>, DispatchError> {
			let req = PrescriptionRequests::<T>::get(request).ok_or(Error::<T>::RequestNotFound)?;
			ensure!(&req.doctor == doctor, Error::<T>::NotRequestParty);
			ensure!(req.status == RequestStatus::Pending, Error::<T>::RequestNotPending);
			Ok(req)
		}

		fn close_request(request: RequestId, req: &PrescriptionRequestOf<T>) {
			PendingRequestCount::<T>::mutate_exists(&req.patient, |n| {
				let left = n.unwrap_or(0).saturating_sub(1);
				*n = (left > 0).then_some(left);
			});
			PrescriptionRequests::<T>::insert(request, req);
		}
	}
}

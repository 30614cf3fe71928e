//! Runtime API of the patient records: what EHR systems and patient apps read. Discoverable from
//! metadata (`api.call.patientRecordsApi` in Polkadot.js) and served over JSON-RPC as `ehr_*`
//! methods. Whether a caller may *open* a document is the consent API's decision, not this one's.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use pallet_patient_records::{
	AmendmentPayload, Commitment, Content, PendingAmendment, PendingWithdrawal,
	PrescriptionRequest, Record, RecordId, RecordPage, RequestId,
};

sp_api::decl_runtime_apis! {
	/// Reads of the patient records. Version 2 adds [`Self::record_of_commitment`].
	#[api_version(2)]
	pub trait PatientRecordsApi<AccountId, BlockNumber, Hash> where
		AccountId: Codec,
		BlockNumber: Codec,
		Hash: Codec,
	{
		/// One record version.
		fn record(id: RecordId) -> Option<Record<AccountId, BlockNumber>>;
		/// A patient's record versions, newest first: page `page` of `page_size` (capped at the
		/// runtime's page size), with the patient's total.
		fn records_of(patient: AccountId, page: u32, page_size: u32)
			-> RecordPage<AccountId, BlockNumber>;
		/// All versions of the record `id` belongs to, newest first.
		fn history(id: RecordId) -> Vec<(RecordId, Record<AccountId, BlockNumber>)>;
		/// The amendment waiting for the patient's approval, if any.
		fn pending_amendment(id: RecordId) -> Option<PendingAmendment<AccountId, BlockNumber>>;
		/// The withdrawal waiting for the other side, if any.
		fn pending_withdrawal(id: RecordId) -> Option<PendingWithdrawal<AccountId, BlockNumber>>;
		/// A prescription request.
		fn prescription_request(id: RequestId) -> Option<PrescriptionRequest<AccountId, BlockNumber>>;
		/// What a patient signs to approve amending the current record `id` to `content` in one
		/// extrinsic (`amendWithSignature`): its SCALE encoding, raw or `<Bytes>`-wrapped.
		/// `None` if `id` is not current.
		fn amendment_payload(id: RecordId, content: Content) -> Option<AmendmentPayload<Hash>>;
		/// The record version that anchored `commitment` (a commitment is anchored once, and
		/// stays so after deletion): the only record whose document a gateway may serve or
		/// erase under that commitment.
		#[api_version(2)]
		fn record_of_commitment(commitment: Commitment) -> Option<RecordId>;
	}
}

//! Types of the patient records. A record is metadata about an encrypted document kept off
//! chain: who it is about, who wrote it, which hospital keeps it, what kind it is, and the
//! commitment and content address of its ciphertext. Nothing here is health data in clear.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ehr_primitives::{HospitalId, Moment};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;

/// The records' words that other pallets share: record and request ids, content commitments,
/// and the categories consent scopes name.
pub use ehr_primitives::{Category, Commitment, RecordId, RequestId};

/// How the document is encrypted (its key is wrapped off chain for the custodian and the
/// requesters the consent allows).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum EncryptionScheme {
	/// XChaCha20-Poly1305 with a fresh 256-bit data key per document.
	XChaCha20Poly1305,
	/// AES-256-GCM with a fresh 256-bit data key per document.
	Aes256Gcm,
	/// ChaCha20-Poly1305 (RFC 8439) with a fresh 256-bit data key per document, in the STREAM
	/// construction: chunks of 1 MiB of plaintext, each sealed under the nonce
	/// `prefix (7 random bytes) ++ chunk number (u32, big-endian) ++ last-chunk flag (1 byte)`,
	/// so a document is sealed, checked and opened a chunk at a time, and a chunk cut, dropped,
	/// reordered or moved to another document does not open. The sealed form is
	/// `prefix ++ (ciphertext ++ tag) per chunk`.
	ChaCha20Poly1305Stream,
}

/// Where a record stands.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum RecordStatus {
	/// The current version.
	Current,
	/// Replaced by an amendment (`superseded_by`).
	Superseded,
	/// Withdrawn as entered in error; the document stays for medico-legal audit.
	EnteredInError,
	/// Deleted: a tombstone. The content address is cleared and the custodian destroys the
	/// document and its key; the commitment stays for audit.
	Deleted,
}

/// Why both sides agreed to withdraw a record.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Withdrawal {
	/// The record was entered in error: status `EnteredInError`, document kept.
	EnteredInError,
	/// The record is to be erased: status `Deleted`, document and key destroyed.
	Delete,
}

/// Longest content address: a CIDv1 with the raw codec and a 32-byte digest is 36 bytes with
/// SHA2-256 and 38 with BLAKE2b-256 (see [`crate::cid`]); nothing longer can be valid.
pub const MAX_CID_LEN: u32 = 38;

/// A binary CID.
pub type CidBytes = BoundedVec<u8, ConstU32<MAX_CID_LEN>>;

/// The content of a record version: commitment and address of the encrypted document.
///
/// Stored with a bounded CID ([`CidBytes`]); calls take it with any CID length
/// ([`ContentInput`]), so that an oversized CID is refused with a named error rather than failing
/// to decode.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Content<Cid = CidBytes> {
	/// Hash of the encrypted document (SHA2-256 or BLAKE2b-256): equal to the CID's digest.
	pub commitment: H256,
	/// Binary CIDv1 (raw codec) of the encrypted document; empty once the record is deleted.
	pub cid: Cid,
	/// Encryption of the document.
	pub scheme: EncryptionScheme,
	/// Size of the encrypted document in bytes.
	pub size: u64,
}

/// Content as a call takes it: the CID is checked and bounded by the pallet.
pub type ContentInput = Content<alloc::vec::Vec<u8>>;

/// One version of a patient's record.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Record<AccountId, BlockNumber> {
	/// The patient the record is about.
	pub patient: AccountId,
	/// Who wrote this version: a staff account, or the patient (or a delegate).
	pub author: AccountId,
	/// The hospital that keeps the document; `None` for patient-held documents.
	pub custodian: Option<HospitalId>,
	/// What kind of document it is.
	pub category: Category,
	/// Commitment and address of the encrypted document.
	pub content: Content,
	/// When this version was anchored (ms since the epoch).
	pub created_at: Moment,
	/// Block in which this version was anchored.
	pub created_in: BlockNumber,
	/// 1 for the first version, +1 for each amendment.
	pub version: u32,
	/// The version this one amends.
	pub previous: Option<RecordId>,
	/// The version that amends this one.
	pub superseded_by: Option<RecordId>,
	/// Status.
	pub status: RecordStatus,
}

/// An amendment proposed by a staff member, waiting for the patient's approval.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct PendingAmendment<AccountId, BlockNumber> {
	/// The staff member who proposed it.
	pub proposer: AccountId,
	/// The new content.
	pub content: Content,
	/// Last block in which the patient may approve.
	pub deadline: BlockNumber,
}

/// Which side asked to withdraw a record, waiting for the other side.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Side {
	/// A staff member of the custodian hospital.
	Staff,
	/// The patient or a delegate.
	Patient,
}

/// A withdrawal asked for by one side, waiting for the other.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct PendingWithdrawal<AccountId, BlockNumber> {
	/// Who asked.
	pub requester: AccountId,
	/// On which side.
	pub side: Side,
	/// What is asked.
	pub kind: Withdrawal,
	/// Last block in which the other side may agree.
	pub deadline: BlockNumber,
}

/// State of a prescription request.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum RequestStatus {
	/// Waiting for the doctor.
	Pending,
	/// Answered with the prescription record.
	Fulfilled(RecordId),
	/// Declined by the doctor.
	Declined,
	/// Withdrawn by the patient.
	Cancelled,
}

/// A patient's request to a doctor for a prescription.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct PrescriptionRequest<AccountId, BlockNumber> {
	/// The patient.
	pub patient: AccountId,
	/// The doctor asked.
	pub doctor: AccountId,
	/// Commitment of the request's details (what, why), kept off chain with the patient's
	/// documents; zero if there are none.
	pub details: H256,
	/// Block of the request.
	pub requested_in: BlockNumber,
	/// Status.
	pub status: RequestStatus,
}

/// A new record in a batch: what `add_record` takes, for one record.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct NewRecord<AccountId> {
	/// The patient.
	pub patient: AccountId,
	/// The category.
	pub category: Category,
	/// Commitment and address of the encrypted document.
	pub content: ContentInput,
}

/// What a patient signs to approve an amendment in the same extrinsic as the doctor's:
/// the SCALE encoding of this struct, optionally wrapped in `<Bytes>`…`</Bytes>` as wallets do
/// for raw messages. Binding the chain, the record and its version makes the signature useless
/// for any other amendment.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct AmendmentPayload<Hash> {
	/// Domain separator: `b"ehr-chain/amend/v1"`.
	pub domain: [u8; 18],
	/// Genesis hash of the chain.
	pub genesis: Hash,
	/// The record version being amended.
	pub record: RecordId,
	/// Its version number.
	pub version: u32,
	/// The new content.
	pub content: Content,
}

/// Domain separator of [`AmendmentPayload`].
pub const AMEND_DOMAIN: [u8; 18] = *b"ehr-chain/amend/v1";

/// A page of a patient's records, newest first, as the runtime API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct RecordPage<AccountId, BlockNumber> {
	/// How many record versions the patient has in all.
	pub total: u32,
	/// This page: (id, record), newest first.
	pub records: alloc::vec::Vec<(RecordId, Record<AccountId, BlockNumber>)>,
}

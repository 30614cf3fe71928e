//! Types of the access log. An entry names pseudonymous accounts, hospital numbers, record,
//! grant and emergency numbers, and codes: no health data.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use ehr_primitives::{HospitalId, Moment, RecordId};
use scale_info::TypeInfo;
use sp_core::H256;

/// What an entry says: why, what happened, and what it refers to. Shared with the pallets that
/// append entries (and consent's grants name purposes).
pub use ehr_primitives::{LogAction, Purpose, Subject};

/// Domain separator of entry hashes: `blake2_256(ENTRY_DOMAIN ++ SCALE(entry))`.
pub const ENTRY_DOMAIN: &[u8] = b"ehr-chain/access-log/entry/v1";
/// Domain separator of the global head: `blake2_256(GLOBAL_DOMAIN ++ previous ++ entry hash)`.
pub const GLOBAL_DOMAIN: &[u8] = b"ehr-chain/access-log/global/v1";
/// Prefix of the keys under which nodes keep every entry outside state (offchain indexing, in
/// the persistent offchain storage): `INDEX_PREFIX ++ entry hash` → `SCALE(entry)`.
pub const INDEX_PREFIX: &[u8] = b"ehr-chain/access-log/index/v1/";

/// The key of the entry with hash `hash` in a node's entry index.
pub fn index_key(hash: &H256) -> alloc::vec::Vec<u8> {
	let mut key = INDEX_PREFIX.to_vec();
	key.extend_from_slice(hash.as_bytes());
	key
}

/// One entry of a patient's log.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct LogEntry<AccountId, BlockNumber> {
	/// Position in the patient's log, from 0.
	pub seq: u64,
	/// The patient whose records or consent it concerns.
	pub patient: AccountId,
	/// Who acted (read, wrote, granted, ...).
	pub actor: AccountId,
	/// The actor's hospital, if the actor is staff.
	pub hospital: Option<HospitalId>,
	/// What happened.
	pub action: LogAction,
	/// What it refers to.
	pub subject: Subject<AccountId>,
	/// Why, where a purpose applies.
	pub purpose: Option<Purpose>,
	/// The hospital whose gateway served or refused a document (`None`: the chain itself).
	pub source: Option<HospitalId>,
	/// Block of the entry.
	pub block: BlockNumber,
	/// Time of the block (ms since the epoch).
	pub timestamp: Moment,
	/// Hash of the patient's previous entry (zero for the first).
	pub prev: H256,
}

impl<AccountId: Encode, BlockNumber: Encode> LogEntry<AccountId, BlockNumber> {
	/// The entry's hash: `blake2_256(ENTRY_DOMAIN ++ SCALE(entry))`.
	pub fn hash(&self) -> H256 {
		let mut buf = alloc::vec::Vec::with_capacity(ENTRY_DOMAIN.len() + 160);
		buf.extend_from_slice(ENTRY_DOMAIN);
		self.encode_to(&mut buf);
		H256(sp_io::hashing::blake2_256(&buf))
	}
}

/// The head of a log: how many entries, and the hash of the last (zero if none).
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
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
pub struct Head {
	/// Entries appended so far.
	pub count: u64,
	/// Hash of the last entry (per patient), or the running global hash.
	pub last: H256,
}

/// The next global hash after appending an entry with hash `entry`.
pub fn next_global(previous: &H256, entry: &H256) -> H256 {
	let mut buf = [0u8; 64 + GLOBAL_DOMAIN.len()];
	buf[..GLOBAL_DOMAIN.len()].copy_from_slice(GLOBAL_DOMAIN);
	buf[GLOBAL_DOMAIN.len()..GLOBAL_DOMAIN.len() + 32].copy_from_slice(previous.as_bytes());
	buf[GLOBAL_DOMAIN.len() + 32..].copy_from_slice(entry.as_bytes());
	H256(sp_io::hashing::blake2_256(&buf))
}

/// What became of one read attempt a gateway logs with `log_reads`.
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
pub enum ReadOutcome {
	/// Served on the signed request of hash `request` (what `log_served` logs:
	/// [`LogAction::DocumentServed`]).
	Served {
		/// The hash of the signed request served.
		request: H256,
	},
	/// Refused (what `log_read` with `permitted = false` logs: [`LogAction::ReadDenied`]).
	Refused,
}

/// One read attempt in a `log_reads` batch: `record`'s document, asked for by `accessor` for
/// `purpose`, and what the gateway did.
///
/// A served read that names no request (`log_read` with `permitted = true`) has no outcome
/// here: a gateway that batches its reads keeps the signed requests, and logs them served.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ReadLog<AccountId> {
	/// The record whose document was asked for.
	pub record: RecordId,
	/// Who asked.
	pub accessor: AccountId,
	/// What for, as the request said.
	pub purpose: Purpose,
	/// Served (naming the request) or refused.
	pub outcome: ReadOutcome,
}

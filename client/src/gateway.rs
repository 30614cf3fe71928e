//! The document gateway's protocol, and a client for it.
//!
//! Each hospital runs a document gateway (`ehr-gateway`) next to its node. It keeps the sealed
//! documents its hospital is custodian of, addressed by CID, and serves one only when the chain
//! says so. The protocol is JSON-RPC over HTTP (methods `gateway_*`, see [`GatewayApiClient`]):
//!
//! * `gateway_info`: the gateway's hospital, chain account and custodian encryption key;
//! * `gateway_store`: the hospital's EHR system uploads a sealed document with its data key
//!   wrapped to the custodian key, in a [`StoreRequest`] signed by a staff account of the
//!   hospital; the gateway checks it and keeps both under the document's CID;
//! * `gateway_fetch`: a requester sends a [`FetchRequest`] signed with their chain account
//!   (record, purpose, nonce, expiry); the gateway checks it, asks the consent decision at the
//!   latest finalized block, queues the attempt for the access log (in a journal on disk, which
//!   it logs on chain in `accessLog.logReads` batches within a block or two) and, if permitted,
//!   answers the sealed document and its data key wrapped to the requester's registered
//!   encryption key. A served read is logged naming the [`request_hash`] of the signed request,
//!   which the gateway keeps (`documentServed`); a refusal as `readDenied`;
//! * `gateway_erase`: in an [`EraseRequest`] signed by the hospital's admin, one of its active
//!   `Administrator` staff or the gateway's own account, destroys a deleted record's document
//!   and key and logs the erasure (`accessLog.logErasure`); the gateway also does this by itself
//!   when it sees the deletion;
//! * `gateway_requests`: in a [`RequestsQuery`] signed by a patient or someone who acts for the
//!   patient, the signed requests the gateway served of the patient's records, so the patient can
//!   check each served read in the log against the request it names ([`verify_served`]);
//! * `gateway_staffDirectory`: the hospital's staff directory, signed by its admin
//!   ([`crate::directory`]); unsigned, as the directory is public: clients check it against the
//!   chain, never the gateway.
//!
//! A request is signed over `domain ++ SCALE(request)` with sr25519; the wire form is
//! [`SignedRequest`] (the SCALE bytes and the signature as hex). Every request names the
//! hospital whose gateway it is for and the genesis hash of the chain it is for, carries a
//! random nonce and expires within [`MAX_REQUEST_TTL_MS`]: it is good once, at one gateway of one
//! chain, for a few minutes. The requester never trusts the gateway: [`open_fetched`] checks the
//! bytes against the commitment on chain before decrypting.

use base64::Engine as _;
use codec::{Decode, Encode};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_hospital_registry::{EncryptionKey, HospitalId, StaffCheck, StaffRole};
use pallet_patient_records::RecordId;
use serde::{Deserialize, Serialize};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};

use crate::{
	document::{self, OpenError},
	keys::{self, EncryptionSecret, WrappedKey},
	runtime::{AccountId, BlockNumber},
	Rpc, Signer,
};

pub use pallet_access_log::Purpose;

/// Signing domain of fetch requests.
pub const FETCH_DOMAIN: &[u8] = b"ehr-chain/gateway/fetch/v2";
/// Signing domain of store requests.
pub const STORE_DOMAIN: &[u8] = b"ehr-chain/gateway/store/v2";
/// Signing domain of erase requests.
pub const ERASE_DOMAIN: &[u8] = b"ehr-chain/gateway/erase/v2";
/// Signing domain of queries for the requests a gateway served.
pub const REQUESTS_DOMAIN: &[u8] = b"ehr-chain/gateway/requests/v1";
/// How long after its request expired a served read's log entry may still be in a block. A
/// gateway logs a served read before it answers, so while the request is valid, and the entry
/// is in a block soon after; an entry naming the request much later is not the read that
/// answered it (a gateway logging an old request again), and [`verify_served`] refuses it.
pub const SERVED_LOG_GRACE_MS: u64 = 10 * 60 * 1000;
/// Longest a request may be valid for: a gateway refuses an expiry further ahead.
pub const MAX_REQUEST_TTL_MS: u64 = 5 * 60 * 1000;

/// The path of a gateway's streamed routes, beside its JSON-RPC on the same port:
/// `PUT /v1/documents` uploads a sealed document as the body, `GET /v1/documents/<record>`
/// answers with one ([`Gateway::store_file`], [`Gateway::fetch_to_file`]).
pub const DOCUMENTS_PATH: &str = "/v1/documents";
/// The header of a streamed request that carries its signed request: [`SignedRequest::request`].
pub const REQUEST_HEADER: &str = "ehr-request";
/// The header of a streamed request that carries its signature: [`SignedRequest::signature`].
pub const SIGNATURE_HEADER: &str = "ehr-signature";
/// The header of a streamed fetch's answer that names the record ([`Fetched::record`]).
pub const RECORD_HEADER: &str = "ehr-record";
/// The header of a streamed fetch's answer with the document's CID ([`Fetched::cid`]).
pub const CID_HEADER: &str = "ehr-cid";
/// The header of a streamed fetch's answer with the wrapped key ([`Fetched::wrapped_key`]).
pub const WRAPPED_KEY_HEADER: &str = "ehr-wrapped-key";
/// The header of a streamed fetch's answer naming the queued log entry ([`Fetched::logged`]).
pub const LOGGED_HEADER: &str = "ehr-logged";
/// The header of a streamed fetch's answer with the served request's hash ([`Fetched::request`]).
pub const REQUEST_HASH_HEADER: &str = "ehr-request-hash";
/// The header of a refused streamed request that names the refusal ([`Refusal`]); the body is a
/// [`Refused`] in JSON.
pub const REFUSAL_HEADER: &str = "ehr-refusal";

/// A record as the chain keeps it.
pub type Record = pallet_patient_records::Record<AccountId, BlockNumber>;

/// "Send me the document of `record`": what a requester signs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct FetchRequest {
	/// The custodian hospital whose gateway is asked (a request is good at one gateway only).
	pub hospital: HospitalId,
	/// The record (version) whose document is wanted.
	pub record: RecordId,
	/// What for: the consent decision and the access log use it.
	pub purpose: Purpose,
	/// Who asks: the signer, whose consent and encryption key count.
	pub requester: AccountId,
	/// Random, never reused: the gateway refuses a request it has seen.
	pub nonce: [u8; 16],
	/// Unix time in ms after which the request is void (at most [`MAX_REQUEST_TTL_MS`] ahead).
	pub expires_at: u64,
	/// Genesis hash of the chain the request is for: a gateway of another chain refuses it.
	pub genesis: H256,
}

/// "Keep this sealed document": what a hospital's EHR system signs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct StoreRequest {
	/// The hospital whose gateway keeps it.
	pub hospital: HospitalId,
	/// The uploading staff account of that hospital: the signer.
	pub uploader: AccountId,
	/// SHA2-256 of the sealed bytes (the commitment a record will anchor).
	pub commitment: H256,
	/// Length of the sealed bytes.
	pub size: u64,
	/// The document's data key wrapped to the gateway's custodian key for this CID.
	pub wrapped_key: WrappedKey,
	/// Random, never reused.
	pub nonce: [u8; 16],
	/// Unix time in ms after which the request is void.
	pub expires_at: u64,
	/// Genesis hash of the chain the request is for.
	pub genesis: H256,
}

/// "Erase the document of the deleted `record`": what the hospital's admin, one of its active
/// `Administrator` staff or the gateway's own account signs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct EraseRequest {
	/// The custodian hospital whose gateway is asked.
	pub hospital: HospitalId,
	/// The deleted record whose document is to be erased.
	pub record: RecordId,
	/// Who asks: the signer.
	pub requester: AccountId,
	/// Random, never reused.
	pub nonce: [u8; 16],
	/// Unix time in ms after which the request is void.
	pub expires_at: u64,
	/// Genesis hash of the chain the request is for.
	pub genesis: H256,
}

/// "Show me the requests you served of `patient`'s records": what the patient, a delegate or a
/// guardian signs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct RequestsQuery {
	/// The custodian hospital whose gateway is asked.
	pub hospital: HospitalId,
	/// The patient whose records' served requests are wanted.
	pub patient: AccountId,
	/// Who asks: the signer, who must act for `patient` (the patient, a delegate or a guardian).
	pub requester: AccountId,
	/// Random, never reused.
	pub nonce: [u8; 16],
	/// Unix time in ms after which the request is void.
	pub expires_at: u64,
	/// Genesis hash of the chain the request is for.
	pub genesis: H256,
}

/// A signed request: its signer and the envelope every request carries (where, which chain,
/// nonce, expiry), which a gateway checks before anything else.
pub trait Request: Encode + Decode {
	/// The signing domain.
	const DOMAIN: &'static [u8];
	/// The account that must have signed.
	fn signer(&self) -> &AccountId;
	/// The hospital whose gateway the request is for.
	fn hospital(&self) -> HospitalId;
	/// Genesis hash of the chain the request is for.
	fn genesis(&self) -> H256;
	/// The request's nonce.
	fn nonce(&self) -> [u8; 16];
	/// Unix time in ms after which the request is void.
	fn expires_at(&self) -> u64;
}

macro_rules! impl_request {
	($request:ty, $domain:expr, $signer:ident) => {
		impl Request for $request {
			const DOMAIN: &'static [u8] = $domain;
			fn signer(&self) -> &AccountId {
				&self.$signer
			}
			fn hospital(&self) -> HospitalId {
				self.hospital
			}
			fn genesis(&self) -> H256 {
				self.genesis
			}
			fn nonce(&self) -> [u8; 16] {
				self.nonce
			}
			fn expires_at(&self) -> u64 {
				self.expires_at
			}
		}
	};
}

impl_request!(FetchRequest, FETCH_DOMAIN, requester);
impl_request!(StoreRequest, STORE_DOMAIN, uploader);
impl_request!(EraseRequest, ERASE_DOMAIN, requester);
impl_request!(RequestsQuery, REQUESTS_DOMAIN, requester);

/// A signed request on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedRequest {
	/// `0x` hex of the SCALE-encoded request.
	pub request: String,
	/// `0x` hex of the 64-byte sr25519 signature of `domain ++ SCALE(request)`.
	pub signature: String,
}

impl SignedRequest {
	/// The request's SCALE bytes and its signature; `None` if either is not hex or the signature
	/// is not 64 bytes.
	pub fn to_bytes(&self) -> Option<(Vec<u8>, [u8; 64])> {
		let request = from_hex(&self.request)?;
		let signature = <[u8; 64]>::try_from(from_hex(&self.signature)?).ok()?;
		Some((request, signature))
	}

	/// The signed request of `request` (SCALE bytes) and `signature`, in its wire form.
	pub fn from_bytes(request: &[u8], signature: &[u8; 64]) -> SignedRequest {
		SignedRequest {
			request: format!("0x{}", hex::encode(request)),
			signature: format!("0x{}", hex::encode(signature)),
		}
	}
}

/// The hash by which a served read's log entry (`documentServed { request }`) names the signed
/// request the gateway served:
///
/// ```text
/// request_hash = blake2_256(SCALE((request, signature)))
/// ```
///
/// `request` being the request's SCALE bytes as a `Vec<u8>` (compact length, then the bytes)
/// and `signature` the 64 bytes of its sr25519 signature: the SCALE encoding of the signed
/// request in binary, whatever the case of its hex or its `0x` prefix on the wire. The signature
/// is part of it, so the hash names one signed request, and whoever holds that signed request
/// can check it against the entry. `None` if `signed` is not hex or its signature not 64 bytes
/// (no such request is ever served).
pub fn request_hash(signed: &SignedRequest) -> Option<H256> {
	let signed = signed.to_bytes()?;
	Some(H256(sp_io::hashing::blake2_256(&signed.encode())))
}

fn signing_payload<R: Request>(request: &R) -> Vec<u8> {
	let mut m = R::DOMAIN.to_vec();
	request.encode_to(&mut m);
	m
}

/// Signs `request` with `pair` (the account the request names).
pub fn sign<R: Request>(request: &R, pair: &sr25519::Pair) -> SignedRequest {
	SignedRequest {
		request: format!("0x{}", hex::encode(request.encode())),
		signature: format!("0x{}", hex::encode(pair.sign(&signing_payload(request)).0)),
	}
}

/// A request as a gateway reads it: decoded, with whether its signature is good.
#[derive(Debug)]
pub struct Checked<R> {
	/// The request.
	pub request: R,
	/// Whether the account it names signed it.
	pub signed: bool,
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
	hex::decode(s.strip_prefix("0x").unwrap_or(s)).ok()
}

/// Decodes a signed request and checks its signature. `None`: not a request at all.
pub fn check<R: Request>(signed: &SignedRequest) -> Option<Checked<R>> {
	let bytes = from_hex(&signed.request)?;
	let request = R::decode(&mut &bytes[..]).ok()?;
	let good = from_hex(&signed.signature)
		.and_then(|s| <[u8; 64]>::try_from(s).ok())
		.map(|s| {
			let public = sr25519::Public::from_raw(*request.signer().as_ref());
			sr25519::Pair::verify(
				&sr25519::Signature::from_raw(s),
				signing_payload(&request),
				&public,
			)
		})
		.unwrap_or(false);
	// The bytes must be the request's only encoding (no trailing bytes).
	let canonical = request.encode() == bytes;
	Some(Checked { request, signed: good && canonical })
}

/// What a gateway answers to `gateway_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayInfo {
	/// The custodian hospital.
	pub hospital: HospitalId,
	/// Genesis hash of the chain the gateway serves (requests must name it). A client signs
	/// with the genesis hash of its own node, never this one.
	pub genesis: H256,
	/// The gateway's chain account (a `Gateway` staff member of the hospital), SS58.
	pub account: String,
	/// The custodian's X25519 key (`0x` hex): uploads wrap their data key to it. The same key
	/// is the gateway account's encryption key in the registry; check it there.
	pub encryption_key: String,
	/// Largest sealed document accepted, in bytes (streamed: [`Gateway::store_file`],
	/// [`Gateway::fetch_to_file`]).
	pub max_document_size: u64,
	/// Largest sealed document sent whole inside a JSON-RPC body (`gateway_store`,
	/// `gateway_fetch`); 0 from a gateway that does not say (all its documents are).
	#[serde(default)]
	pub max_inline_size: u64,
	/// Longest request validity accepted, in ms.
	pub max_request_ttl_ms: u64,
}

/// What a gateway answers to `gateway_store`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
	/// CIDv1 of the sealed bytes (base32): what the record anchors.
	pub cid: String,
	/// SHA2-256 of the sealed bytes (`0x` hex).
	pub commitment: H256,
	/// Length of the sealed bytes.
	pub size: u64,
}

/// What a gateway answers to `gateway_fetch` when the read is permitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetched {
	/// The record.
	pub record: RecordId,
	/// CIDv1 of the sealed bytes (base32).
	pub cid: String,
	/// The sealed bytes, base64.
	pub document: String,
	/// The data key wrapped to the requester for this CID: `0x` hex of SCALE([`WrappedKey`]).
	pub wrapped_key: String,
	/// Names the entry the gateway queued to log this read (its journal's entry, which an
	/// `accessLog.logReads` batch logs on chain within a block or two); the log entry itself
	/// names [`Fetched::request`].
	pub logged: H256,
	/// The [`request_hash`] of the signed request served: what the log entry names (zero from
	/// a gateway that does not name it).
	#[serde(default)]
	pub request: H256,
}

/// A signed request a gateway served, as `gateway_requests` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServedRequest {
	/// The record whose document was served.
	pub record: RecordId,
	/// The signed request's [`request_hash`]: what the log entry of the read names.
	pub hash: H256,
	/// The signed [`FetchRequest`], as its requester sent it.
	pub signed: SignedRequest,
}

/// What a gateway answers to `gateway_erase`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
	/// The record.
	pub record: RecordId,
	/// Whether this call destroyed the document and key (`false`: they were already gone).
	pub destroyed: bool,
	/// Hash of the `accessLog.logErasure` extrinsic, when this call logged the erasure.
	pub logged: Option<H256>,
}

/// Why a gateway refused; the JSON-RPC error code is `4000 +` the discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
	/// The request is not a well-formed request of this method.
	Malformed = 1,
	/// The signature is missing, wrong, or not by the account the request names.
	BadSignature = 2,
	/// The request is addressed to another hospital's gateway.
	WrongGateway = 3,
	/// The request has expired, or its expiry is too far ahead.
	Expired = 4,
	/// The request's nonce was already used.
	Replayed = 5,
	/// No record with this id on chain (at the finalized block).
	UnknownRecord = 6,
	/// Another hospital (or the patient) keeps this record's document.
	NotCustodian = 7,
	/// The consent decision denies the read.
	Denied = 8,
	/// The requester has published no encryption key in the registry.
	NoEncryptionKey = 9,
	/// The requester's encryption key is a small-order point.
	WeakEncryptionKey = 10,
	/// The record is deleted and its document erased; an erased document is neither served
	/// nor stored again.
	Erased = 11,
	/// This gateway does not hold the record's document.
	NotStored = 12,
	/// The stored bytes no longer match the record's commitment.
	Corrupt = 13,
	/// The upload is larger than the gateway accepts.
	TooLarge = 14,
	/// The uploaded bytes do not match the commitment or size in the signed request.
	CidMismatch = 15,
	/// The wrapped data key does not open with the custodian key for this document.
	BadWrappedKey = 16,
	/// The uploader is not an active staff member of this hospital.
	NotHospitalStaff = 17,
	/// The attempt could not be queued for the access log, or the gateway's queue does not
	/// get through to the chain (entries wait too long, too many wait, or the chain refused
	/// them): nothing is served until it does.
	LogUnavailable = 18,
	/// The gateway's own account is not an active `Gateway` staff member.
	GatewayNotRegistered = 19,
	/// The record is not deleted: its document stays.
	NotDeleted = 20,
	/// Something failed inside the gateway (its store or its node).
	Internal = 21,
	/// The requester (or all requesters together) had more refused attempts logged in the last
	/// minute than the gateway logs on chain: refused without a log entry.
	RateLimited = 22,
	/// The request is for another chain (its genesis hash is not this gateway's chain's).
	WrongChain = 23,
	/// The signer may not ask for this (an erasure: only the hospital's admin, its active
	/// `Administrator` staff and the gateway's own account may; a patient's served requests:
	/// only the patient and those who act for the patient may).
	NotAuthorized = 24,
	/// The requester had as many documents served in the last minute as the gateway serves
	/// one requester: refused, nothing served, no log entry.
	TooManyReads = 25,
	/// The source address sent more calls in the last second than the gateway answers one
	/// address: refused before anything else is done.
	TooManyRequests = 26,
	/// The record is not the one that anchored its commitment (it repeats another record's,
	/// anchored before commitments were unique, or was anchored by someone other than the one
	/// who uploaded the document): the document is not its own.
	NotItsDocument = 27,
	/// The gateway publishes no staff directory (or cannot read the file it was given).
	NoDirectory = 28,
}

impl Refusal {
	const ALL: [Refusal; 28] = [
		Refusal::Malformed,
		Refusal::BadSignature,
		Refusal::WrongGateway,
		Refusal::Expired,
		Refusal::Replayed,
		Refusal::UnknownRecord,
		Refusal::NotCustodian,
		Refusal::Denied,
		Refusal::NoEncryptionKey,
		Refusal::WeakEncryptionKey,
		Refusal::Erased,
		Refusal::NotStored,
		Refusal::Corrupt,
		Refusal::TooLarge,
		Refusal::CidMismatch,
		Refusal::BadWrappedKey,
		Refusal::NotHospitalStaff,
		Refusal::LogUnavailable,
		Refusal::GatewayNotRegistered,
		Refusal::NotDeleted,
		Refusal::Internal,
		Refusal::RateLimited,
		Refusal::WrongChain,
		Refusal::NotAuthorized,
		Refusal::TooManyReads,
		Refusal::TooManyRequests,
		Refusal::NotItsDocument,
		Refusal::NoDirectory,
	];

	/// The JSON-RPC error code.
	pub fn code(self) -> i32 {
		4000 + self as i32
	}

	/// The refusal of a JSON-RPC error code.
	pub fn from_code(code: i32) -> Option<Refusal> {
		Refusal::ALL.into_iter().find(|r| r.code() == code)
	}

	/// The HTTP status a streamed route answers this refusal with.
	pub fn http_status(self) -> u16 {
		use Refusal::*;
		match self {
			Malformed => 400,
			BadSignature | Expired | Replayed | WrongChain => 401,
			Denied | NotAuthorized | NotHospitalStaff | NotCustodian => 403,
			UnknownRecord | NotStored | NoDirectory => 404,
			NotDeleted => 409,
			Erased => 410,
			TooLarge => 413,
			WrongGateway => 421,
			CidMismatch | BadWrappedKey | NotItsDocument | NoEncryptionKey | WeakEncryptionKey => {
				422
			},
			RateLimited | TooManyReads | TooManyRequests => 429,
			Internal | Corrupt => 500,
			LogUnavailable | GatewayNotRegistered => 503,
		}
	}
}

/// The `data` of a gateway's JSON-RPC error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusalData {
	/// The refusal, by name.
	pub refusal: Refusal,
	/// Names the entry the gateway queued to log this refused attempt on chain (as
	/// [`Fetched::logged`]), if it logs it; `None`: not logged on chain.
	pub logged: Option<H256>,
}

/// A refusal as a client sees it; in JSON, the body of a streamed route's refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("gateway refused ({refusal:?}): {message}")]
pub struct Refused {
	/// Why.
	pub refusal: Refusal,
	/// The gateway's explanation.
	pub message: String,
	/// The queued log entry of the attempt ([`RefusalData::logged`]), if it is logged.
	pub logged: Option<H256>,
}

/// The JSON-RPC methods of a document gateway.
#[rpc(client, server, namespace = "gateway")]
pub trait GatewayApi {
	/// The gateway's hospital, account and custodian key.
	#[method(name = "info")]
	async fn info(&self) -> RpcResult<GatewayInfo>;

	/// Keep a sealed document (base64) whose data key is wrapped to the custodian key.
	#[method(name = "store")]
	async fn store(&self, request: SignedRequest, document: String) -> RpcResult<Stored>;

	/// Serve a record's document if the chain permits the signed request; log the attempt.
	/// (The server's extensions carry the caller's source address.)
	#[method(name = "fetch", with_extensions)]
	async fn fetch(&self, request: SignedRequest) -> RpcResult<Fetched>;

	/// Destroy a deleted record's document and key, and log the erasure, on a signed
	/// [`EraseRequest`].
	#[method(name = "erase")]
	async fn erase(&self, request: SignedRequest) -> RpcResult<Erased>;

	/// The signed requests this gateway served of a patient's records, on a signed
	/// [`RequestsQuery`] of the patient or someone who acts for the patient.
	#[method(name = "requests")]
	async fn requests(&self, request: SignedRequest) -> RpcResult<Vec<ServedRequest>>;

	/// The hospital's staff directory, signed by its admin: check it with
	/// [`crate::directory::verify`] before believing a name in it.
	#[method(name = "staffDirectory")]
	async fn staff_directory(&self) -> RpcResult<crate::directory::SignedDirectory>;
}

/// A gateway error from the client's side: a refusal, or a transport failure.
fn refused(e: jsonrpsee::core::ClientError) -> crate::Error {
	if let jsonrpsee::core::ClientError::Call(obj) = &e {
		if let Some(refusal) = Refusal::from_code(obj.code()) {
			let logged = obj
				.data()
				.and_then(|d| serde_json::from_str::<RefusalData>(d.get()).ok())
				.and_then(|d| d.logged);
			return crate::Error::Refused(Refused {
				refusal,
				message: obj.message().to_string(),
				logged,
			});
		}
	}
	crate::Error::Rpc(e)
}

/// Unix time in ms.
pub fn now_ms() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_millis() as u64)
		.unwrap_or_default()
}

/// A fresh random nonce.
pub fn new_nonce() -> [u8; 16] {
	let mut n = [0u8; 16];
	n.copy_from_slice(&document::new_salt()[..16]);
	n
}

/// A client of one hospital's document gateway, signing requests for one chain.
#[derive(Clone)]
pub struct Gateway {
	client: std::sync::Arc<jsonrpsee::http_client::HttpClient>,
	/// The HTTP client of the streamed routes.
	pub(crate) transfers: crate::transfer::Transfers,
	url: String,
	genesis: H256,
}

/// The certificate authorities a [`Gateway`] client trusts for an `https://` gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
	/// The system's roots.
	#[default]
	System,
	/// Only the certificates of this PEM file (a hospital's or a consortium's own CA).
	CaFile(std::path::PathBuf),
}

/// The environment variable that names the CA file [`Trust::from_env`] trusts.
pub const CA_FILE_VAR: &str = "EHR_CA_FILE";

impl Trust {
	/// The CA file named by `$EHR_CA_FILE`, else the system's roots.
	pub fn from_env() -> Trust {
		std::env::var_os(CA_FILE_VAR).map_or(Trust::System, |f| Trust::CaFile(f.into()))
	}

	/// The rustls settings of a CA file's trust (`None`: the system's roots).
	pub(crate) fn client_config(&self) -> crate::Result<Option<rustls::ClientConfig>> {
		use rustls::pki_types::{pem::PemObject, CertificateDer};
		let Trust::CaFile(path) = self else { return Ok(None) };
		let unreadable = |e: &dyn std::fmt::Display| {
			crate::Error::Io(std::io::Error::other(format!("CA file {}: {e}", path.display())))
		};
		let mut roots = rustls::RootCertStore::empty();
		for cert in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
			roots.add(cert.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
		}
		if roots.is_empty() {
			return Err(unreadable(&"no certificate in it"));
		}
		let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
		let config = rustls::ClientConfig::builder_with_provider(provider)
			.with_safe_default_protocol_versions()
			.map_err(|e| unreadable(&e))?
			.with_root_certificates(roots)
			.with_no_client_auth();
		Ok(Some(config))
	}
}

impl Gateway {
	/// A client of the gateway at `url` (`https://host:port`, or `http://` on loopback) whose
	/// requests are for the chain of genesis hash `genesis` (take it from a node you trust,
	/// [`Rpc::genesis_hash`]); an `https://` gateway's certificate is checked against
	/// [`Trust::from_env`].
	pub fn new(url: &str, genesis: H256) -> crate::Result<Self> {
		Self::with_trust(url, genesis, &Trust::from_env())
	}

	/// As [`Gateway::new`], checking an `https://` gateway's certificate against `trust`.
	pub fn with_trust(url: &str, genesis: H256, trust: &Trust) -> crate::Result<Self> {
		let mut builder = jsonrpsee::http_client::HttpClientBuilder::default()
			.max_request_size(64 * 1024 * 1024)
			.max_response_size(64 * 1024 * 1024)
			.request_timeout(std::time::Duration::from_secs(60));
		if let Some(config) = trust.client_config()? {
			builder = builder.with_custom_cert_store(config);
		}
		let client = builder.build(url)?;
		let transfers = crate::transfer::Transfers::new(trust)?;
		Ok(Gateway { client: std::sync::Arc::new(client), transfers, url: url.into(), genesis })
	}

	/// The gateway's URL.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// Genesis hash of the chain this client's requests are for.
	pub fn genesis(&self) -> H256 {
		self.genesis
	}

	/// `gateway_info`.
	pub async fn info(&self) -> crate::Result<GatewayInfo> {
		GatewayApiClient::info(&*self.client).await.map_err(refused)
	}

	/// Uploads `sealed` signed by `uploader` (a staff account of the gateway's hospital): wraps
	/// the data key to the custodian key given (check it against the registry first, as
	/// [`upload`] does) and sends the signed request.
	pub async fn store(
		&self,
		uploader: &Signer,
		hospital: HospitalId,
		custodian_key: &EncryptionKey,
		sealed: &document::Sealed,
	) -> crate::Result<Stored> {
		let size = sealed.bytes.len() as u64;
		let signed = self.sign_store(
			uploader,
			hospital,
			custodian_key,
			&sealed.key,
			sealed.commitment,
			size,
		)?;
		let doc = base64::engine::general_purpose::STANDARD.encode(&sealed.bytes);
		self.store_signed(signed, doc).await
	}

	/// A [`StoreRequest`] of the document of `commitment` and `size` sealed under `key`, its key
	/// wrapped to `custodian_key` for its CID, signed by `uploader`, valid for a minute.
	pub(crate) fn sign_store(
		&self,
		uploader: &Signer,
		hospital: HospitalId,
		custodian_key: &EncryptionKey,
		key: &[u8; 32],
		commitment: H256,
		size: u64,
	) -> crate::Result<SignedRequest> {
		let cid = pallet_patient_records::cid::raw_sha2_256(&commitment.0);
		let wrapped_key = keys::wrap(key, custodian_key, &cid)
			.map_err(|e| crate::Error::Decode(e.to_string()))?;
		let request = StoreRequest {
			hospital,
			uploader: uploader.account(),
			commitment,
			size,
			wrapped_key,
			nonce: new_nonce(),
			expires_at: now_ms() + 60_000,
			genesis: self.genesis,
		};
		Ok(sign(&request, uploader.pair()))
	}

	/// A [`FetchRequest`] of `record` by `requester`, valid for `ttl_ms`.
	pub(crate) fn sign_fetch(
		&self,
		requester: &Signer,
		hospital: HospitalId,
		record: RecordId,
		purpose: Purpose,
		ttl_ms: u64,
	) -> SignedRequest {
		let request = FetchRequest {
			hospital,
			record,
			purpose,
			requester: requester.account(),
			nonce: new_nonce(),
			expires_at: now_ms() + ttl_ms,
			genesis: self.genesis,
		};
		sign(&request, requester.pair())
	}

	/// `gateway_store` with a request signed elsewhere.
	pub async fn store_signed(&self, r: SignedRequest, document: String) -> crate::Result<Stored> {
		GatewayApiClient::store(&*self.client, r, document).await.map_err(refused)
	}

	/// Asks for `record`'s document as `requester`, valid for `ttl_ms`.
	pub async fn fetch(
		&self,
		requester: &Signer,
		hospital: HospitalId,
		record: RecordId,
		purpose: Purpose,
		ttl_ms: u64,
	) -> crate::Result<Fetched> {
		self.fetch_signed(self.sign_fetch(requester, hospital, record, purpose, ttl_ms)).await
	}

	/// `gateway_fetch` with a request signed elsewhere (or replayed).
	pub async fn fetch_signed(&self, r: SignedRequest) -> crate::Result<Fetched> {
		GatewayApiClient::fetch(&*self.client, r).await.map_err(refused)
	}

	/// Asks the gateway of `hospital` to erase the document of the deleted `record`, as
	/// `requester` (the hospital's admin, one of its `Administrator` staff, or the gateway's
	/// own account), in a request valid for a minute.
	pub async fn erase(
		&self,
		requester: &Signer,
		hospital: HospitalId,
		record: RecordId,
	) -> crate::Result<Erased> {
		let request = EraseRequest {
			hospital,
			record,
			requester: requester.account(),
			nonce: new_nonce(),
			expires_at: now_ms() + 60_000,
			genesis: self.genesis,
		};
		self.erase_signed(sign(&request, requester.pair())).await
	}

	/// `gateway_erase` with a request signed elsewhere.
	pub async fn erase_signed(&self, r: SignedRequest) -> crate::Result<Erased> {
		GatewayApiClient::erase(&*self.client, r).await.map_err(refused)
	}

	/// Asks the gateway of `hospital` for the signed requests it served of `patient`'s records,
	/// as `requester` (the patient, a delegate or a guardian), in a request valid for a minute.
	/// Check each against the log entry that names it with [`verify_served`].
	pub async fn requests(
		&self,
		requester: &Signer,
		hospital: HospitalId,
		patient: &AccountId,
	) -> crate::Result<Vec<ServedRequest>> {
		let query = RequestsQuery {
			hospital,
			patient: patient.clone(),
			requester: requester.account(),
			nonce: new_nonce(),
			expires_at: now_ms() + 60_000,
			genesis: self.genesis,
		};
		self.requests_signed(sign(&query, requester.pair())).await
	}

	/// `gateway_requests` with a query signed elsewhere.
	pub async fn requests_signed(&self, r: SignedRequest) -> crate::Result<Vec<ServedRequest>> {
		GatewayApiClient::requests(&*self.client, r).await.map_err(refused)
	}

	/// `gateway_staffDirectory`: the hospital's signed staff directory, unchecked (check it with
	/// [`crate::directory::verify_at_finalized`]).
	pub async fn staff_directory(&self) -> crate::Result<crate::directory::SignedDirectory> {
		GatewayApiClient::staff_directory(&*self.client).await.map_err(refused)
	}
}

/// A log entry as the chain keeps it.
pub type LogEntry = pallet_access_log::LogEntry<AccountId, BlockNumber>;

/// Why a log entry is not proven by a signed request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unproven {
	/// The entry names no request: it is not a served read that names one (`documentServed`);
	/// a `documentRead` entry never does.
	#[error("the entry names no request")]
	NoRequestNamed,
	/// The signed request is not the one the entry names.
	#[error("the signed request hashes to {found:?}, the entry names {named:?}")]
	OtherRequest {
		/// The hash the entry names.
		named: H256,
		/// The signed request's hash (`None`: not a well-formed signed request).
		found: Option<H256>,
	},
	/// It is not a fetch request signed by the account it names.
	#[error("not a fetch request signed by the account it names")]
	BadSignature,
	/// The request is someone else's than the entry's actor.
	#[error("the request is {requester}'s, the entry names {actor}")]
	OtherRequester {
		/// Who signed the request.
		requester: AccountId,
		/// Whom the entry names.
		actor: AccountId,
	},
	/// The request asks for another record than the entry's.
	#[error("the request asks for record {requested}, the entry is about {logged:?}")]
	OtherRecord {
		/// The record requested.
		requested: RecordId,
		/// The entry's subject.
		logged: pallet_access_log::Subject<AccountId>,
	},
	/// The request's purpose is not the entry's.
	#[error("the request's purpose is {requested:?}, the entry's {logged:?}")]
	OtherPurpose {
		/// The purpose requested.
		requested: Purpose,
		/// The entry's purpose.
		logged: Option<Purpose>,
	},
	/// The request is for the gateway of another hospital than the one that logged the read.
	#[error("the request is for the gateway of hospital {requested}, the entry's is {logged:?}")]
	OtherGateway {
		/// The hospital the request is for.
		requested: HospitalId,
		/// The entry's source.
		logged: Option<HospitalId>,
	},
	/// The request is for another chain.
	#[error("the request is for the chain of genesis {requested:?}, this is {chain:?}")]
	OtherChain {
		/// The request's genesis hash.
		requested: H256,
		/// This chain's.
		chain: H256,
	},
	/// The entry is in a block long after the request expired ([`SERVED_LOG_GRACE_MS`]).
	#[error("the entry is of {logged} ms, long after the request expired at {expires_at} ms")]
	LoggedLate {
		/// The time of the entry's block (ms).
		logged: u64,
		/// The request's expiry (ms).
		expires_at: u64,
	},
}

/// Checks that a served read's log `entry` is proven by `signed`, a request of the chain of
/// genesis hash `genesis`: the entry is a `documentServed` that names the [`request_hash`] of
/// `signed`; `signed` is a [`FetchRequest`] whose signature is good and by the entry's actor;
/// it asks for the entry's record, for the entry's purpose, at the gateway of the entry's source
/// hospital, on this chain; and the entry is in a block no later than [`SERVED_LOG_GRACE_MS`]
/// after the request expired. The request, if so.
///
/// A proven entry shows that its actor asked for that record for that purpose at that gateway,
/// and that the gateway logged the read while the request was fresh. It cannot show that the
/// document was delivered, nor that a read which is not in the log did not happen.
pub fn verify_served(
	entry: &LogEntry,
	signed: &SignedRequest,
	genesis: H256,
) -> Result<FetchRequest, Unproven> {
	let named = entry.action.request().ok_or(Unproven::NoRequestNamed)?;
	let found = request_hash(signed);
	if found != Some(named) {
		return Err(Unproven::OtherRequest { named, found });
	}
	let request =
		check::<FetchRequest>(signed).filter(|c| c.signed).ok_or(Unproven::BadSignature)?.request;
	if request.requester != entry.actor {
		return Err(Unproven::OtherRequester {
			requester: request.requester,
			actor: entry.actor.clone(),
		});
	}
	if entry.subject != pallet_access_log::Subject::Record(request.record) {
		return Err(Unproven::OtherRecord {
			requested: request.record,
			logged: entry.subject.clone(),
		});
	}
	if entry.purpose != Some(request.purpose) {
		return Err(Unproven::OtherPurpose { requested: request.purpose, logged: entry.purpose });
	}
	if entry.source != Some(request.hospital) {
		return Err(Unproven::OtherGateway { requested: request.hospital, logged: entry.source });
	}
	if request.genesis != genesis {
		return Err(Unproven::OtherChain { requested: request.genesis, chain: genesis });
	}
	if entry.timestamp > request.expires_at.saturating_add(SERVED_LOG_GRACE_MS) {
		return Err(Unproven::LoggedLate {
			logged: entry.timestamp,
			expires_at: request.expires_at,
		});
	}
	Ok(request)
}

/// Why a fetched document does not open.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchedError {
	/// The answer is not well-formed.
	#[error("malformed answer: {0}")]
	Malformed(&'static str),
	/// The bytes are not the ones the record anchors (wrong CID or commitment).
	#[error("the document's CID does not match the record on chain")]
	CidMismatch,
	/// The wrapped key does not open with the requester's secret.
	#[error(transparent)]
	Key(#[from] keys::KeyError),
	/// The document does not decrypt.
	#[error(transparent)]
	Open(#[from] OpenError),
}

/// Checks a fetched document against the `record` read from the chain, unwraps its key with
/// `secret` and decrypts it. Never trusts the gateway: the bytes must hash to the record's
/// commitment, and their CID must be the record's.
pub fn open_fetched(
	fetched: &Fetched,
	record: &Record,
	secret: &EncryptionSecret,
) -> Result<Vec<u8>, FetchedError> {
	let bytes = base64::engine::general_purpose::STANDARD
		.decode(&fetched.document)
		.map_err(|_| FetchedError::Malformed("document is not base64"))?;
	let digest = sp_io::hashing::sha2_256(&bytes);
	let cid = pallet_patient_records::cid::raw_sha2_256(&digest);
	if H256(digest) != record.content.commitment || cid[..] != record.content.cid[..] {
		return Err(FetchedError::CidMismatch);
	}
	let wrapped = from_hex(&fetched.wrapped_key)
		.and_then(|b| WrappedKey::decode(&mut &b[..]).ok())
		.ok_or(FetchedError::Malformed("wrappedKey is not a wrapped key"))?;
	let key = keys::unwrap(secret, &wrapped, &cid)?;
	Ok(document::open(record.content.scheme, &bytes, &key, record.content.commitment)?)
}

/// `record` read from the finalized block, its custodian hospital, and a client of that
/// hospital's registered gateway.
pub(crate) async fn custodian_of(
	rpc: &Rpc,
	record: RecordId,
) -> crate::Result<(Record, HospitalId, Gateway)> {
	let rec = finalized_record(rpc, record)
		.await?
		.ok_or_else(|| crate::Error::Decode(format!("no record {record}")))?;
	let custodian = rec.custodian.ok_or_else(|| {
		crate::Error::Decode(format!("record {record} is kept by the patient, not a gateway"))
	})?;
	let gateway = gateway_of(rpc, custodian).await?;
	Ok((rec, custodian, gateway))
}

/// A record read from the finalized block.
pub async fn finalized_record(rpc: &Rpc, record: RecordId) -> crate::Result<Option<Record>> {
	let at = rpc.finalized_hash().await?;
	rpc.runtime_call("PatientRecordsApi_record", &record, Some(at)).await
}

/// The registered encryption key of `who` at block `at` (best block if `None`).
pub async fn encryption_key(
	rpc: &Rpc,
	who: &AccountId,
	at: Option<H256>,
) -> crate::Result<Option<EncryptionKey>> {
	let key =
		pallet_hospital_registry::EncryptionKeys::<crate::runtime::Runtime>::hashed_key_for(who);
	match rpc.storage(&key, at).await? {
		None => Ok(None),
		Some(b) => EncryptionKey::decode(&mut &b[..])
			.map(Some)
			.map_err(|e| crate::Error::Decode(format!("encryption key: {e}"))),
	}
}

/// The gateway of hospital `id`, at the URL the registry holds for it, for requests on the
/// chain of `rpc`'s node.
pub async fn gateway_of(rpc: &Rpc, id: HospitalId) -> crate::Result<Gateway> {
	let info: Option<pallet_hospital_registry::HospitalInfo<AccountId>> =
		rpc.runtime_call("HospitalRegistryApi_hospital", &id, None).await?;
	let info = info.ok_or_else(|| crate::Error::Decode(format!("no hospital {id}")))?;
	let url = String::from_utf8(info.gateway_url)
		.map_err(|_| crate::Error::Decode(format!("hospital {id}: gateway URL is not UTF-8")))?;
	Gateway::new(&url, rpc.genesis_hash().await?)
}

/// Seals `plaintext` and uploads it to the gateway of `uploader`'s hospital, after checking at
/// the finalized block that the account the gateway names is an active `Gateway` of the
/// uploader's hospital and that the key it announces is the one that account registered
/// ([`check_custodian`]). For a file of any size, [`crate::transfer::upload_file`].
pub async fn upload(
	rpc: &Rpc,
	gateway: &Gateway,
	uploader: &Signer,
	plaintext: &[u8],
) -> crate::Result<(document::Sealed, Stored)> {
	let (info, registered) = check_custodian(rpc, gateway, uploader).await?;
	let sealed = document::seal(plaintext);
	let stored = gateway.store(uploader, info.hospital, &registered, &sealed).await?;
	Ok((sealed, stored))
}

/// What `gateway` says of itself, and the custodian key to wrap an upload's data key to, once
/// checked at the finalized block: the account the gateway names is an active `Gateway` of the
/// hospital it names, which is `uploader`'s, and the key it announces is the one that account
/// registered. A server that answers in another account's name gets no document key wrapped to
/// it.
pub async fn check_custodian(
	rpc: &Rpc,
	gateway: &Gateway,
	uploader: &Signer,
) -> crate::Result<(GatewayInfo, EncryptionKey)> {
	let info = gateway.info().await?;
	let account = AccountId::from_ss58check(&info.account)
		.map_err(|e| crate::Error::Decode(format!("gateway account: {e:?}")))?;
	let at = rpc.finalized_hash().await?;
	let staff = |who: AccountId| async move {
		rpc.runtime_call::<StaffCheck>("HospitalRegistryApi_staff_check", &who, Some(at)).await
	};
	let (gateway_staff, uploader_staff) =
		(staff(account.clone()).await?, staff(uploader.account()).await?);
	match (gateway_staff, uploader_staff) {
		(StaffCheck::Active(g), StaffCheck::Active(u))
			if g.role == StaffRole::Gateway
				&& g.hospital == info.hospital
				&& u.hospital == info.hospital => {},
		_ => {
			return Err(crate::Error::Decode(format!(
				"{} is not an active Gateway of the uploader's hospital",
				info.account
			)))
		},
	}
	let registered = encryption_key(rpc, &account, Some(at)).await?.ok_or_else(|| {
		crate::Error::Decode(format!("gateway account {} has no registered key", info.account))
	})?;
	if format!("0x{}", hex::encode(registered)) != info.encryption_key {
		return Err(crate::Error::Decode(
			"the gateway's custodian key is not the one its account registered".into(),
		));
	}
	Ok((info, registered))
}

/// Fetches and opens `record`'s document from its custodian's gateway as `requester`: reads
/// the record at the finalized block, finds the custodian's gateway in the registry, sends a
/// signed request valid for a minute, checks the answer against the chain and decrypts it.
pub async fn fetch_document(
	rpc: &Rpc,
	requester: &Signer,
	secret: &EncryptionSecret,
	record: RecordId,
	purpose: Purpose,
) -> crate::Result<(Vec<u8>, Fetched)> {
	let (rec, custodian, gateway) = custodian_of(rpc, record).await?;
	let fetched = gateway.fetch(requester, custodian, record, purpose, 60_000).await?;
	let plain = open_fetched(&fetched, &rec, secret).map_err(crate::Error::Fetched)?;
	Ok((plain, fetched))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pair(uri: &str) -> sr25519::Pair {
		sr25519::Pair::from_string(uri, None).unwrap()
	}

	fn request(requester: &sr25519::Pair) -> FetchRequest {
		FetchRequest {
			hospital: 0,
			record: 7,
			purpose: Purpose::Treatment,
			requester: requester.public().into(),
			nonce: [1; 16],
			expires_at: 1_000,
			genesis: H256::repeat_byte(9),
		}
	}

	#[test]
	fn a_request_checks_only_with_the_named_signers_signature() {
		let bob = pair("//Bob");
		let r = request(&bob);
		let signed = sign(&r, &bob);
		let c = check::<FetchRequest>(&signed).unwrap();
		assert!(c.signed);
		assert_eq!(c.request, r);
		// Signed by someone else than the requester named.
		let forged = sign(&r, &pair("//Eve"));
		assert!(!check::<FetchRequest>(&forged).unwrap().signed);
		// Any change to the request breaks the signature.
		let mut other = r.clone();
		other.record = 8;
		let tampered = SignedRequest { request: sign(&other, &bob).request, ..signed.clone() };
		assert!(!check::<FetchRequest>(&tampered).unwrap().signed);
		// The chain is part of what is signed: the same request for another chain is another
		// request, and the signature of one is no signature of the other.
		let mut elsewhere = r.clone();
		elsewhere.genesis = H256::repeat_byte(10);
		let moved = SignedRequest { request: sign(&elsewhere, &bob).request, ..signed.clone() };
		assert!(!check::<FetchRequest>(&moved).unwrap().signed);
		assert_eq!(check::<FetchRequest>(&signed).unwrap().request.genesis(), r.genesis);
		// A store signature is no fetch signature (domains differ).
		let mut m = STORE_DOMAIN.to_vec();
		r.encode_to(&mut m);
		let cross = SignedRequest {
			request: signed.request.clone(),
			signature: format!("0x{}", hex::encode(bob.sign(&m).0)),
		};
		assert!(!check::<FetchRequest>(&cross).unwrap().signed);
		// Garbage and trailing bytes.
		let junk = SignedRequest { request: "0x0102".into(), signature: signed.signature.clone() };
		assert!(check::<FetchRequest>(&junk).is_none());
		let trailing = SignedRequest { request: format!("{}00", signed.request), ..signed.clone() };
		assert!(!check::<FetchRequest>(&trailing).unwrap().signed);
		let no_sig = SignedRequest { signature: "0x".into(), ..signed };
		assert!(!check::<FetchRequest>(&no_sig).unwrap().signed);
	}

	#[test]
	fn an_erase_request_is_no_fetch_request() {
		let alice = pair("//Alice");
		let erase = EraseRequest {
			hospital: 0,
			record: 7,
			requester: alice.public().into(),
			nonce: [1; 16],
			expires_at: 1_000,
			genesis: H256::repeat_byte(9),
		};
		let signed = sign(&erase, &alice);
		let c = check::<EraseRequest>(&signed).unwrap();
		assert!(c.signed);
		assert_eq!(
			(c.request.hospital(), c.request.nonce(), c.request.expires_at()),
			(0, [1; 16], 1_000)
		);
		assert_eq!(c.request.signer(), &erase.requester);
		// The erase signature over the same bytes does not make a fetch (nor the reverse):
		// whatever decodes as the other kind fails its signature.
		if let Some(as_fetch) = check::<FetchRequest>(&signed) {
			assert!(!as_fetch.signed);
		}
		let fetch = sign(&request(&alice), &alice);
		if let Some(as_erase) = check::<EraseRequest>(&fetch) {
			assert!(!as_erase.signed);
		}
	}

	#[test]
	fn a_requests_query_is_no_other_request() {
		let charlie = pair("//Charlie");
		let query = RequestsQuery {
			hospital: 0,
			patient: charlie.public().into(),
			requester: charlie.public().into(),
			nonce: [1; 16],
			expires_at: 1_000,
			genesis: H256::repeat_byte(9),
		};
		let signed = sign(&query, &charlie);
		let c = check::<RequestsQuery>(&signed).unwrap();
		assert!(c.signed);
		assert_eq!(c.request, query);
		// Its own domain: the same signature over the same bytes makes no other request.
		if let Some(as_erase) = check::<EraseRequest>(&signed) {
			assert!(!as_erase.signed);
		}
		if let Some(as_fetch) = check::<FetchRequest>(&signed) {
			assert!(!as_fetch.signed);
		}
	}

	#[test]
	fn the_request_hash_is_blake2_of_the_signed_request_in_binary() {
		let bob = pair("//Bob");
		let signed = sign(&request(&bob), &bob);
		let (bytes, signature) = signed.to_bytes().unwrap();
		assert_eq!(SignedRequest::from_bytes(&bytes, &signature), signed);
		let mut preimage = codec::Compact(bytes.len() as u32).encode();
		preimage.extend_from_slice(&bytes);
		preimage.extend_from_slice(&signature);
		let hash = request_hash(&signed).unwrap();
		assert_eq!(hash, H256(sp_io::hashing::blake2_256(&preimage)));
		// The bytes count, not their spelling on the wire.
		let spelt = SignedRequest {
			request: signed.request[2..].to_uppercase(),
			signature: signed.signature[2..].to_uppercase(),
		};
		assert_eq!(request_hash(&spelt), Some(hash));
		// The signature is part of what is hashed.
		let mut other = signature;
		other[0] ^= 1;
		assert_ne!(request_hash(&SignedRequest::from_bytes(&bytes, &other)), Some(hash));
		// No hash of what is not a signed request.
		let short = SignedRequest { signature: "0x00".into(), ..signed.clone() };
		assert_eq!(request_hash(&short), None);
		let not_hex = SignedRequest { request: "0xzz".into(), ..signed };
		assert_eq!(request_hash(&not_hex), None);
	}

	/// The entry a gateway logs when it serves `signed`, a signed `request`.
	fn served_entry(request: &FetchRequest, signed: &SignedRequest) -> LogEntry {
		LogEntry {
			seq: 0,
			patient: pair("//Charlie").public().into(),
			actor: request.requester.clone(),
			hospital: Some(1),
			action: pallet_access_log::LogAction::DocumentServed {
				request: request_hash(signed).unwrap(),
			},
			subject: pallet_access_log::Subject::Record(request.record),
			purpose: Some(request.purpose),
			source: Some(request.hospital),
			block: 3,
			timestamp: 500,
			prev: H256::zero(),
		}
	}

	#[test]
	fn a_served_read_is_proven_only_by_the_request_it_names() {
		use pallet_access_log::{LogAction, Subject};
		let (dave, eve) = (pair("//Dave"), pair("//Eve"));
		let genesis = H256::repeat_byte(9);
		let r = request(&dave);
		let signed = sign(&r, &dave);
		let entry = served_entry(&r, &signed);
		assert_eq!(verify_served(&entry, &signed, genesis), Ok(r.clone()));

		// A read logged without naming a request proves nothing.
		let read = LogEntry { action: LogAction::DocumentRead, ..entry.clone() };
		assert_eq!(verify_served(&read, &signed, genesis), Err(Unproven::NoRequestNamed));
		// Another request of Dave's is not the one the entry names.
		let other = sign(&FetchRequest { nonce: [2; 16], ..r.clone() }, &dave);
		assert!(matches!(
			verify_served(&entry, &other, genesis),
			Err(Unproven::OtherRequest { found: Some(_), .. })
		));
		// A gateway that makes up Dave's request cannot sign it as Dave.
		let forged = sign(&r, &eve);
		assert_eq!(
			verify_served(&served_entry(&r, &forged), &forged, genesis),
			Err(Unproven::BadSignature)
		);
		// Nor pass off Eve's request as Dave's.
		let eves = sign(&FetchRequest { requester: eve.public().into(), ..r.clone() }, &eve);
		assert!(matches!(
			verify_served(&served_entry(&r, &eves), &eves, genesis),
			Err(Unproven::OtherRequester { .. })
		));
		// Nor log Dave's request as a read of another record, for another purpose, at another
		// gateway, or on another chain.
		let on = |f: fn(&mut LogEntry)| {
			let mut e = entry.clone();
			f(&mut e);
			verify_served(&e, &signed, genesis)
		};
		assert!(matches!(
			on(|e: &mut LogEntry| e.subject = Subject::Record(8)),
			Err(Unproven::OtherRecord { requested: 7, .. })
		));
		assert!(matches!(
			on(|e: &mut LogEntry| e.purpose = Some(Purpose::Research)),
			Err(Unproven::OtherPurpose { .. })
		));
		assert!(matches!(
			on(|e: &mut LogEntry| e.source = Some(3)),
			Err(Unproven::OtherGateway { .. })
		));
		assert!(matches!(
			verify_served(&entry, &signed, H256::repeat_byte(8)),
			Err(Unproven::OtherChain { .. })
		));
		// Nor log it again long after it expired.
		assert!(on(|e: &mut LogEntry| e.timestamp = 1_000 + SERVED_LOG_GRACE_MS).is_ok());
		assert!(matches!(
			on(|e: &mut LogEntry| e.timestamp = 1_000 + SERVED_LOG_GRACE_MS + 1),
			Err(Unproven::LoggedLate { .. })
		));
	}

	#[test]
	fn refusal_codes_round_trip() {
		for r in Refusal::ALL {
			assert_eq!(Refusal::from_code(r.code()), Some(r));
		}
		assert_eq!(Refusal::from_code(4000), None);
		assert_eq!(Refusal::from_code(-32602), None);
	}
}

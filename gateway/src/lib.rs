//! # ehr-gateway
//!
//! The document gateway of one hospital: a separate process next to the hospital's `ehr-node`,
//! talking to it over JSON-RPC. It keeps the sealed documents the hospital is custodian of in an
//! embedded content-addressed [`store`], and serves the protocol of [`ehr_client::gateway`]:
//! store (uploads by the hospital's own staff accounts), fetch (only when the chain's consent
//! decision permits, at the latest finalized block, and only once the attempt is durably queued
//! in the gateway's [`journal`] for the access log: a served read names the hash of the signed
//! request, which the store keeps; a background task logs the journal on chain in
//! `accessLog.logReads` batches, and the gateway stops serving when they do not get through),
//! erase (a deleted record's document and key are destroyed and the erasure logged; a watcher
//! does this by itself for every `RecordDeleted` of the hospital's records), and requests (the
//! signed requests served of a patient's records, for the patient and those who act for the
//! patient, who check them against the log), and the hospital's staff directory (signed by its
//! admin, read from a file on each call; clients check it against the chain,
//! [`ehr_client::directory`]).
//!
//! Every request is signed, and the gateway checks it before it asks its node anything: its
//! form, its signature, that it is for this gateway's hospital and chain, its expiry and its
//! nonce (`authenticate`). The hospital and the chain's genesis hash are learnt from the node
//! once and kept. The work a request may cause is bounded ([`limit`]): calls a second per source
//! address, calls per batch and bytes per body at the server; documents served a minute per
//! requester; refusals logged on chain a minute, and only for accounts the chain knows.
//!
//! A separate process rather than part of the node: a fault or an overload in document serving
//! never stops the hospital's validator, the gateway's account key (a `Gateway` staff member
//! that can do nothing but log reads and erasures) is not kept in the validator's keystore, and
//! the gateway is restarted or scaled on its own.

use std::{
	net::IpAddr,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, OnceLock,
	},
	time::Duration,
};

use base64::Engine as _;
use codec::Encode;
use ehr_client::{
	directory::SignedDirectory,
	gateway::{
		self as proto, check, EraseRequest, Erased, FetchRequest, Fetched, GatewayApiServer,
		GatewayInfo, Record, Refusal, RefusalData, Request, RequestsQuery, ServedRequest,
		SignedRequest, StoreRequest, Stored, MAX_REQUEST_TTL_MS,
	},
	keys::{self, EncryptionSecret},
	runtime::{AccountId, Nonce, RuntimeCall, RuntimeEvent},
	ChainContext, Rpc, Signer,
};
use jsonrpsee::{
	core::{async_trait, RpcResult},
	server::{
		middleware::rpc::{ResponseFuture, RpcService, RpcServiceBuilder, RpcServiceT},
		BatchRequestConfig,
	},
	types::{ErrorObjectOwned, Request as Call},
	Extensions, MethodResponse, Methods,
};
use pallet_consent::{Action, Decision, DenyReason, Target};
use pallet_hospital_registry::{HospitalId, HospitalInfo, StaffCheck, StaffRole};
use pallet_patient_records::{cid, RecordId, RecordStatus};
use sp_core::{crypto::Ss58Codec, H256};

pub mod http;
pub mod journal;
pub mod limit;
pub mod objects;
pub mod store;
pub mod tls;
use journal::{Batch, Journal};
use limit::{Budget, Over, RefusalLimiter, Tally};
use store::{KeptRequest, Put, Store};

/// How a gateway runs.
#[derive(Clone, Debug)]
pub struct Config {
	/// HTTP JSON-RPC URL of the hospital's node.
	pub node_rpc: String,
	/// Address to listen on.
	pub listen: std::net::SocketAddr,
	/// Directory of the gateway's own state (nonces, journal, cursor), and of the documents
	/// unless `s3` names a bucket.
	pub store_dir: PathBuf,
	/// The S3-compatible bucket that keeps the documents; `None`: `store_dir` keeps them.
	pub s3: Option<objects::S3Config>,
	/// The certificate and key to serve HTTPS with; `None`: plain HTTP.
	pub tls: Option<tls::TlsFiles>,
	/// Serve plain HTTP on an address other than loopback (without it, such a gateway does not
	/// start without `tls`).
	pub allow_plain_http: bool,
	/// Secret URI of the gateway's account (a `Gateway` staff member of the hospital).
	pub suri: String,
	/// Secret URI the custodian key derives from, shared by the hospital's gateways;
	/// `None`: the gateway's account's own.
	pub custodian_suri: Option<String>,
	/// How many gateways of the hospital share the load (and the store): each enforces its
	/// share of the limits below, so that together they stay within them.
	pub replicas: u32,
	/// Largest sealed document accepted, in bytes (streamed, [`http`]).
	pub max_document_size: u64,
	/// Largest sealed document sent whole inside a JSON-RPC body (`gateway_store`,
	/// `gateway_fetch`), in bytes; larger ones are streamed ([`http`]).
	pub max_inline_size: u64,
	/// Most streamed transfers ([`http`]) under way at once; more are refused
	/// `TooManyRequests` (each holds a connection, and up to 32 MiB while it uploads to S3).
	pub max_transfers: u32,
	/// How often the watcher looks for deleted records.
	pub watch_every: Duration,
	/// Publish the custodian key as the account's encryption key if the registry lacks it.
	pub publish_key: bool,
	/// Most refused attempts of one requester logged on chain a minute (0: no limit).
	pub refusals_per_requester: u32,
	/// Most refused attempts of all requesters together logged on chain a minute (0: no
	/// limit).
	pub refusals_total: u32,
	/// Most documents served to one requester a minute; more are refused `TooManyReads`
	/// without a log entry (0: no limit).
	pub reads_per_requester: u32,
	/// Most calls answered a second from one source address (an IPv6 /64 counts as one); more
	/// are refused `TooManyRequests` (0: no limit).
	pub requests_per_source: u32,
	/// Most calls in one JSON-RPC batch (0: batches are refused).
	pub max_batch: u32,
	/// Largest JSON-RPC request or response body, in bytes; `None`: [`default_body_limit`] of
	/// `max_inline_size`.
	pub max_body_size: Option<u32>,
	/// No document is served while a read attempt has waited longer than this (ms) to be
	/// logged on chain.
	pub log_backlog_ms: u64,
	/// No document is served while more read attempts than this wait to be logged on chain.
	pub log_backlog_entries: usize,
	/// The file of the hospital's signed staff directory (`ehr-doc directory sign` writes it),
	/// served as it is by `gateway_staffDirectory`; `None`: no directory.
	pub staff_directory: Option<PathBuf>,
}

/// Most read attempts one `accessLog.logReads` batch carries: the runtime's bound.
pub fn max_reads_per_call() -> usize {
	use sp_core::Get;
	let max: u32 = <ehr_runtime::Runtime as pallet_access_log::Config>::MaxReadsPerCall::get();
	usize::try_from(max).unwrap_or(usize::MAX)
}

/// One gateway's share of a limit that `replicas` gateways of the hospital enforce together:
/// rounded down, so that together they never allow more, but at least 1 (0, no limit, stays 0).
pub fn share_of(limit: u32, replicas: u32) -> u32 {
	match limit {
		0 => 0,
		l => (l / replicas.max(1)).max(1),
	}
}

/// The key that authenticates the store's uploader objects: HKDF-SHA256 of the custodian
/// secret, so every gateway of the hospital (they share the custodian key) derives the same one,
/// and nobody else can.
fn uploader_key(custodian: &EncryptionSecret) -> [u8; 32] {
	let mut key = [0u8; 32];
	let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, &custodian.to_bytes());
	// 32 bytes is far below HKDF-SHA256's limit of 8160.
	let _ = hkdf.expand(b"ehr-chain/gateway/uploader-key/v1", &mut key);
	key
}

/// How long a client has to complete its TLS handshake.
const TLS_HANDSHAKE: Duration = Duration::from_secs(10);

/// How often the journal is drained: sent batches settled, waiting entries sent (a block is
/// about 2 s).
const DRAIN_EVERY: Duration = Duration::from_secs(1);

/// A batch in flight that no finalized block holds yet is submitted again (the same bytes)
/// this long after it was last submitted, in ms: in case the node's pool dropped it.
const RESUBMIT_AFTER_MS: u64 = 12_000;

/// Room in a request body for all but the document: the JSON-RPC envelope and the signed
/// request take a few hundred bytes.
pub const ENVELOPE_MARGIN: u64 = 64 * 1024;

/// The largest JSON-RPC request (and response) body a gateway accepts unless told otherwise:
/// the largest inline document, base64-encoded (4 characters for 3 bytes), plus
/// [`ENVELOPE_MARGIN`].
pub fn default_body_limit(max_inline_size: u64) -> u32 {
	let encoded = max_inline_size.div_ceil(3).saturating_mul(4);
	u32::try_from(encoded.saturating_add(ENVELOPE_MARGIN)).unwrap_or(u32::MAX)
}

/// A refusal with its explanation.
#[derive(Debug)]
struct Refuse(Refusal, String);

/// The refusal of a store of the erased `cid`.
fn erased_refusal(cid: &[u8]) -> Refuse {
	let cid = pallet_patient_records_rpc::cid_string(cid);
	refuse(Refusal::Erased, format!("{cid} was erased; it is not kept again"))
}

fn refuse(r: Refusal, msg: impl Into<String>) -> Refuse {
	Refuse(r, msg.into())
}

fn internal(e: impl std::fmt::Display) -> Refuse {
	refuse(Refusal::Internal, e.to_string())
}

/// The message of a consent refusal ([`Refusal::Denied`]): the decision's reason as the runtime
/// names it. `ehr-doc fetch` finds it at the end of the refusal's message before it explains
/// the same decision in words.
pub fn denied_message(reason: &DenyReason) -> String {
	format!("consent: {reason:?}")
}

fn to_rpc(r: Refuse, logged: Option<H256>) -> ErrorObjectOwned {
	let data = RefusalData { refusal: r.0, logged };
	ErrorObjectOwned::owned(r.0.code(), format!("{:?}: {}", r.0, r.1), Some(data))
}

/// Prints a line of the gateway's log, after the local time to the millisecond
/// (`2025-01-31 14:05:09.123`: ehr-node's form of its own log lines).
pub fn log(msg: impl AsRef<str>) {
	let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f");
	eprintln!("{now} ehr-gateway: {}", msg.as_ref());
}

/// The running gateway's state.
pub struct Gateway {
	rpc: Rpc,
	signer: Signer,
	secret: EncryptionSecret,
	store: Store,
	max_document_size: u64,
	max_inline_size: u64,
	/// The streamed transfers under way ([`Config::max_transfers`]).
	transfers: Arc<http::Transfers>,
	/// Bounds the refused attempts logged on chain ([`limit`]).
	limiter: RefusalLimiter<AccountId>,
	/// Bounds the documents served to one requester.
	reads: Budget<AccountId>,
	/// Refused attempts of accounts the chain does not know, by source, for the gateway's log.
	unknown: Tally<Option<IpAddr>>,
	/// Genesis hash of the node's chain, learnt once.
	genesis: OnceLock<H256>,
	/// The hospital whose active `Gateway` the node last confirmed this account to be, or
	/// [`NO_HOSPITAL`]: what requests are checked against before the node is asked anything.
	hospital: AtomicU64,
	/// The next nonce of the gateway's account and the chain context, while known; held while
	/// signing and submitting, so the gateway's extrinsics go out in nonce order.
	chain: tokio::sync::Mutex<Option<(Nonce, ChainContext)>>,
	/// The read attempts to log on chain ([`journal`]).
	journal: std::sync::Mutex<Journal>,
	/// [`Config::log_backlog_ms`].
	log_backlog_ms: u64,
	/// [`Config::log_backlog_entries`].
	log_backlog_entries: usize,
	/// [`Config::staff_directory`].
	staff_directory: Option<PathBuf>,
}

/// [`Gateway::hospital`] before the node confirmed one (no hospital id is this large).
const NO_HOSPITAL: u64 = u64::MAX;

/// A refused fetch, as the gateway's own log tells it.
#[derive(Debug)]
enum FetchRefusal {
	/// A line of its own in the gateway's log; with the log extrinsic's hash if it was also
	/// logged on chain.
	Told(Refuse, Option<H256>),
	/// Counted in the gateway's log a minute at a time (an attempt of an account the chain
	/// does not know, [`Gateway::dispose`]): a flood of them does not flood the log.
	Counted(Refuse),
}

/// The document a permitted fetch serves.
enum Document {
	/// Whole, checked against the record's commitment (`gateway_fetch`).
	Whole(Vec<u8>),
	/// A chunk at a time, to be checked against the record's commitment (the second) as it
	/// goes out (the streamed fetch of [`http`]).
	Streamed(objects::Reading, H256),
}

impl std::fmt::Debug for Document {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Document::Whole(bytes) => write!(f, "Whole({} bytes)", bytes.len()),
			Document::Streamed(reading, _) => write!(f, "Streamed({} bytes)", reading.size),
		}
	}
}

fn told(e: Refuse) -> FetchRefusal {
	FetchRefusal::Told(e, None)
}

/// What becomes of a refused attempt of an authenticated requester.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Disposition {
	/// Logged on chain.
	OnChain,
	/// The chain does not know the requester: counted in the gateway's own log only.
	Local,
	/// Over a budget of logged refusals: refused `RateLimited`, not logged on chain.
	Over(Over),
}

impl Gateway {
	/// Connects to the node and opens the store (checking that an S3 bucket is there and
	/// takes the credentials).
	pub async fn new(config: &Config) -> Result<Arc<Gateway>, String> {
		let rpc = Rpc::new(&config.node_rpc).map_err(|e| format!("node RPC: {e}"))?;
		let signer = Signer::from_uri(&config.suri).map_err(|e| e.to_string())?;
		let secret = match &config.custodian_suri {
			Some(uri) => {
				let custodian = Signer::from_uri(uri).map_err(|e| format!("custodian: {e}"))?;
				EncryptionSecret::from_sr25519(custodian.pair())
			},
			None => EncryptionSecret::from_sr25519(signer.pair()),
		};
		let share = |limit: u32| share_of(limit, config.replicas);
		let objects: Arc<dyn objects::Objects> = match &config.s3 {
			Some(s3) => Arc::new(objects::S3Objects::connect(s3).await.map_err(|e| e.to_string())?),
			None => Arc::new(
				objects::LocalDir::open(&config.store_dir)
					.map_err(|e| format!("store {}: {e}", config.store_dir.display()))?,
			),
		};
		log(format!("documents kept in {}", objects.describe()));
		let store = Store::open(&config.store_dir, objects, uploader_key(&secret), proto::now_ms())
			.map_err(|e| format!("store {}: {e}", config.store_dir.display()))?;
		let journal = Journal::open(&config.store_dir)
			.map_err(|e| format!("journal in {}: {e}", config.store_dir.display()))?;
		Ok(Arc::new(Gateway {
			rpc,
			signer,
			secret,
			store,
			max_document_size: config.max_document_size,
			max_inline_size: config.max_inline_size.min(config.max_document_size),
			transfers: http::Transfers::new(config.max_transfers),
			limiter: RefusalLimiter::new(
				share(config.refusals_per_requester),
				share(config.refusals_total),
			),
			reads: Budget::per_minute(share(config.reads_per_requester)),
			unknown: Tally::default(),
			genesis: OnceLock::new(),
			hospital: AtomicU64::new(NO_HOSPITAL),
			chain: tokio::sync::Mutex::new(None),
			journal: std::sync::Mutex::new(journal),
			log_backlog_ms: config.log_backlog_ms,
			log_backlog_entries: config.log_backlog_entries,
			staff_directory: config.staff_directory.clone(),
		}))
	}

	/// The gateway's chain account.
	pub fn account(&self) -> AccountId {
		self.signer.account()
	}

	/// The custodian key (the account's derived X25519 public key).
	pub fn encryption_key(&self) -> [u8; 32] {
		self.secret.public()
	}

	/// The store.
	pub fn store(&self) -> &Store {
		&self.store
	}

	/// The hospital this gateway serves: its account must be an active `Gateway` staff member
	/// at block `at`. Keeps the answer for [`Gateway::authenticate`].
	async fn hospital(&self, at: H256) -> Result<HospitalId, Refuse> {
		let check: StaffCheck = self
			.rpc
			.runtime_call("HospitalRegistryApi_staff_check", &self.account(), Some(at))
			.await
			.map_err(internal)?;
		match check {
			StaffCheck::Active(s) if s.role == StaffRole::Gateway => {
				self.hospital.store(u64::from(s.hospital), Ordering::Relaxed);
				Ok(s.hospital)
			},
			other => {
				self.hospital.store(NO_HOSPITAL, Ordering::Relaxed);
				Err(refuse(
					Refusal::GatewayNotRegistered,
					format!(
						"the gateway account {} is not an active Gateway: {other:?}",
						self.account()
					),
				))
			},
		}
	}

	/// The hospital the node last confirmed, without asking it.
	fn known_hospital(&self) -> Option<HospitalId> {
		HospitalId::try_from(self.hospital.load(Ordering::Relaxed)).ok()
	}

	/// Learns from the node what requests are checked against, unless known: the chain's
	/// genesis hash (once for good) and the gateway's hospital.
	async fn learn_identity(&self) -> Result<(HospitalId, H256), Refuse> {
		let genesis = match self.genesis.get() {
			Some(g) => *g,
			None => {
				let g = self.rpc.genesis_hash().await.map_err(internal)?;
				*self.genesis.get_or_init(|| g)
			},
		};
		let hospital = match self.known_hospital() {
			Some(h) => h,
			None => {
				let at = self.rpc.finalized_hash().await.map_err(internal)?;
				self.hospital(at).await?
			},
		};
		Ok((hospital, genesis))
	}

	async fn record(&self, id: RecordId, at: H256) -> Result<Option<Record>, Refuse> {
		self.rpc.runtime_call("PatientRecordsApi_record", &id, Some(at)).await.map_err(internal)
	}

	/// The next nonce of the gateway's account and the chain context: as kept in `chain`, or
	/// asked of the node (its next nonce counts the extrinsics in its pool).
	async fn chain_state(
		&self,
		chain: &Option<(Nonce, ChainContext)>,
	) -> Result<(Nonce, ChainContext), String> {
		match *chain {
			Some(c) => Ok(c),
			None => {
				let ctx = self.rpc.chain_context().await.map_err(|e| e.to_string())?;
				let nonce =
					self.rpc.next_nonce(&self.account()).await.map_err(|e| e.to_string())?;
				Ok((nonce, ctx))
			},
		}
	}

	/// Signs and submits `call` from the gateway's account; the hash once the node's pool
	/// accepted it. Resynchronises the nonce and retries once if the node refuses it.
	async fn submit(&self, call: RuntimeCall) -> Result<H256, String> {
		let mut chain = self.chain.lock().await;
		let mut last = String::new();
		for _ in 0..2 {
			let (nonce, ctx) = self.chain_state(&chain).await?;
			let xt = self.signer.sign(call.clone(), nonce, &ctx);
			match self.rpc.submit(&xt).await {
				Ok(hash) => {
					*chain = Some((nonce.saturating_add(1), ctx));
					return Ok(hash);
				},
				Err(e) => {
					*chain = None;
					last = e.to_string();
				},
			}
		}
		Err(last)
	}

	/// Puts a read attempt in the journal, on disk and synced before this returns; a hash
	/// that names the queued entry (what the answer's `logged` says).
	fn queue(&self, entry: journal::Entry) -> Result<H256, String> {
		let now = proto::now_ms();
		let ticket = (b"ehr-gateway/journal", self.account(), now, &entry).encode();
		let mut journal = self.journal.lock().map_err(|_| "journal lock poisoned".to_string())?;
		let id = journal.append(entry, now).map_err(|e| format!("journal: {e}"))?;
		Ok(H256(sp_io::hashing::blake2_256(&(ticket, id).encode())))
	}

	/// Why no document may be served now, if the journal cannot drain ([`Journal::closed`]).
	fn log_closed(&self) -> Option<String> {
		match self.journal.lock() {
			Ok(j) => j.closed(proto::now_ms(), self.log_backlog_ms, self.log_backlog_entries),
			Err(_) => Some("journal lock poisoned".into()),
		}
	}

	/// Signs the next waiting entries as one `accessLog.logReads` batch, notes the batch in
	/// the journal (synced: from then on it may land, and its entries go into no other) and
	/// submits it. `false` if nothing was waiting.
	async fn send_batch(&self) -> Result<bool, String> {
		let now = proto::now_ms();
		let next = {
			let j = self.journal.lock().map_err(|_| "journal lock poisoned".to_string())?;
			j.next_batch(max_reads_per_call(), now)
		};
		if next.is_empty() {
			return Ok(false);
		}
		let (ids, entries): (Vec<u64>, Vec<journal::Entry>) = next.into_iter().unzip();
		let entries: sp_core::bounded::BoundedVec<
			journal::Entry,
			<ehr_runtime::Runtime as pallet_access_log::Config>::MaxReadsPerCall,
		> = entries.try_into().map_err(|_| "a batch over the runtime's bound")?;
		let call = RuntimeCall::AccessLog(pallet_access_log::Call::log_reads { entries });
		// The batch can only be in a block after the one finalized now.
		let from = self.rpc.finalized_number().await.map_err(|e| e.to_string())?;
		let mut chain = self.chain.lock().await;
		let (nonce, ctx) = self.chain_state(&chain).await?;
		let xt = self.signer.sign(call, nonce, &ctx);
		let hash = ehr_client::extrinsic_hash(&xt);
		let batch = Batch { hash, nonce, from, sent_ms: now, ids, xt: xt.encode() };
		let n = batch.ids.len();
		self.journal
			.lock()
			.map_err(|_| "journal lock poisoned".to_string())?
			.sent(batch, now)
			.map_err(|e| format!("journal: {e}"))?;
		*chain = Some((nonce.saturating_add(1), ctx));
		match self.rpc.submit(&xt).await {
			Ok(_) => {
				log(format!("{n} read attempts sent to be logged in {hash:?} (nonce {nonce})"))
			},
			// Settled like any batch in flight: submitted again, or found not to land.
			Err(e) => {
				*chain = None;
				log(format!("batch {hash:?} of {n} read attempts not accepted yet: {e}"));
			},
		}
		Ok(true)
	}

	/// Settles `batch` if a finalized block used its nonce: finalized (its entries done),
	/// refused by the chain (its dispatch failed), or not in the chain (the nonce went to
	/// another extrinsic). Until then, submits it again now and then, the same bytes.
	async fn settle(&self, batch: &Batch) -> Result<(), String> {
		let at = self.rpc.finalized_hash().await.map_err(|e| e.to_string())?;
		let used: Nonce = self
			.rpc
			.runtime_call("AccountNonceApi_account_nonce", &self.account(), Some(at))
			.await
			.map_err(|e| e.to_string())?;
		let now = proto::now_ms();
		if used <= batch.nonce {
			if now.saturating_sub(batch.sent_ms) >= RESUBMIT_AFTER_MS {
				// The answer does not matter: already in the pool, already in a block, or
				// accepted again.
				let _ = self.rpc.submit_encoded_batch(std::slice::from_ref(&batch.xt)).await;
				if let Ok(mut j) = self.journal.lock() {
					j.resent(&batch.hash, now);
				}
			}
			return Ok(());
		}
		// A finalized block used the nonce: the batch is in a finalized block, or never will
		// be. The search finds it at once if it is there; if it is not, it gives up after a
		// few seconds.
		let start = std::time::Instant::now();
		let found =
			self.rpc.wait_finalized(batch.hash, batch.from, start, Duration::from_secs(5)).await;
		let mut j = self.journal.lock().map_err(|_| "journal lock poisoned".to_string())?;
		let n = batch.ids.len();
		match found {
			Ok(included) => {
				j.finalized(batch.hash, now).map_err(|e| format!("journal: {e}"))?;
				log(format!(
					"{n} read attempts logged by {:?} in finalized block #{}",
					batch.hash, included.block_number
				));
			},
			Err(ehr_client::Error::Dispatch(e)) => {
				j.refused(batch.hash, &e, now).map_err(|e| format!("journal: {e}"))?;
				log(format!(
					"the chain refused batch {:?} of {n} read attempts: {e}; no document is \
					 served until each is logged (sent again one by one)",
					batch.hash
				));
			},
			Err(ehr_client::Error::Timeout(_)) => {
				j.not_included(batch.hash, now).map_err(|e| format!("journal: {e}"))?;
				log(format!(
					"batch {:?} (nonce {}) is not in the chain, its nonce was used: its {n} \
					 read attempts are sent again",
					batch.hash, batch.nonce
				));
			},
			Err(e) => return Err(e.to_string()),
		}
		Ok(())
	}

	/// One round of the journal's drain: settles the batches in flight, then sends what
	/// waits, in batches of up to [`max_reads_per_call`].
	pub async fn drain(&self) -> Result<(), String> {
		let in_flight = {
			let j = self.journal.lock().map_err(|_| "journal lock poisoned".to_string())?;
			j.in_flight()
		};
		for batch in &in_flight {
			self.settle(batch).await?;
		}
		// A handful of batches a round: a burst drains over a few rounds.
		for _ in 0..4 {
			if !self.send_batch().await? {
				break;
			}
		}
		Ok(())
	}

	fn check_expiry(&self, expires_at: u64, now: u64) -> Result<(), Refuse> {
		if expires_at <= now {
			return Err(refuse(Refusal::Expired, format!("expired {} ms ago", now - expires_at)));
		}
		if expires_at > now.saturating_add(MAX_REQUEST_TTL_MS) {
			return Err(refuse(
				Refusal::Expired,
				format!("expiry more than {MAX_REQUEST_TTL_MS} ms ahead"),
			));
		}
		Ok(())
	}

	async fn take_nonce(
		&self,
		who: &AccountId,
		nonce: [u8; 16],
		expires_at: u64,
		now: u64,
	) -> Result<(), Refuse> {
		match self.store.take_nonce(who, nonce, expires_at, now).await {
			Ok(true) => Ok(()),
			Ok(false) => Err(refuse(Refusal::Replayed, "this request's nonce was already used")),
			Err(e) => Err(internal(e)),
		}
	}

	/// The checks every request passes before the gateway asks its node anything for it, in
	/// this order: it decodes as a `what` request (`Malformed`), the account it names signed it
	/// (`BadSignature`), it is for this gateway's hospital (`WrongGateway`) and chain
	/// (`WrongChain`), it has not expired and is not valid for too long (`Expired`), and its
	/// nonce is unused (`Replayed`; the nonce is used up from here on).
	///
	/// A request that fails one is not an act of the account it names (anyone can send an
	/// unsigned or forged request naming anyone, or replay or redirect a signed one): it is
	/// refused at no cost to the node and never logged on chain.
	async fn authenticate<R: Request>(&self, r: &SignedRequest, what: &str) -> Result<R, Refuse> {
		let c = check::<R>(r)
			.ok_or_else(|| refuse(Refusal::Malformed, format!("not a {what} request")))?;
		if !c.signed {
			return Err(refuse(Refusal::BadSignature, "not signed by the account it names"));
		}
		let req = c.request;
		let hospital = self.known_hospital().ok_or_else(|| {
			refuse(
				Refusal::GatewayNotRegistered,
				"the gateway's node has not yet confirmed it as an active Gateway",
			)
		})?;
		if req.hospital() != hospital {
			let msg = format!("addressed to hospital {}, this is {hospital}", req.hospital());
			return Err(refuse(Refusal::WrongGateway, msg));
		}
		let genesis =
			self.genesis.get().copied().ok_or_else(|| {
				refuse(Refusal::Internal, "the gateway has not reached its node yet")
			})?;
		if req.genesis() != genesis {
			let msg = format!("for the chain of genesis {:?}, this is {genesis:?}", req.genesis());
			return Err(refuse(Refusal::WrongChain, msg));
		}
		let now = proto::now_ms();
		self.check_expiry(req.expires_at(), now)?;
		self.take_nonce(req.signer(), req.nonce(), req.expires_at(), now).await?;
		Ok(req)
	}

	/// The checks of an authenticated fetch of a record this gateway keeps; the answer to send
	/// if they pass.
	/// The document under `rec`'s commitment is `record`'s own: the chain names `record` as
	/// the one that anchored the commitment, and the account that uploaded the document is the
	/// record's first author (a colleague who copies a pending `addRecord` of someone else's
	/// upload and anchors it first gets nothing).
	async fn ensure_its_document(
		&self,
		record: RecordId,
		rec: &Record,
		at: H256,
	) -> Result<(), Refuse> {
		// The chain and the store are asked at once.
		let cid = cid::raw_sha2_256(&rec.content.commitment.0);
		let anchor = self.rpc.runtime_call::<Option<RecordId>>(
			"PatientRecordsApi_record_of_commitment",
			&rec.content.commitment,
			Some(at),
		);
		let (anchor, uploader) = tokio::join!(anchor, self.store.uploader(&cid));
		let anchor = anchor.map_err(internal)?;
		// An amendment's new version anchors its own commitment: the versions share nothing.
		if anchor != Some(record) {
			let msg = format!("record {record} repeats the commitment of record {anchor:?}");
			return Err(refuse(Refusal::NotItsDocument, msg));
		}
		// An uploader object that fails its check (written by someone without the custodian
		// key), or none where other processes share the store, serves nothing.
		let uploader = match uploader {
			Ok(u) => u,
			Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
				log(format!("record {record}: {e}"));
				return Err(refuse(Refusal::Corrupt, "the document's uploader does not check"));
			},
			Err(e) => return Err(internal(e)),
		};
		if uploader.is_none() && self.store.objects().shared() {
			return Err(refuse(Refusal::Corrupt, "the document's uploader is not recorded"));
		}
		if let Some(uploader) = uploader {
			if uploader != rec.author {
				let msg = format!(
					"record {record} was anchored by {}, the document uploaded by {uploader}",
					rec.author
				);
				return Err(refuse(Refusal::NotItsDocument, msg));
			}
		}
		Ok(())
	}

	async fn serve(
		&self,
		req: &FetchRequest,
		rec: &Record,
		at: H256,
		streamed: bool,
	) -> Result<(Fetched, Document), Refuse> {
		if rec.status == RecordStatus::Deleted {
			return Err(refuse(
				Refusal::Erased,
				"the record is deleted; its document is destroyed",
			));
		}
		// The checks below ask the node and the store at once; their answers are taken in
		// order, so a request refused for several reasons gets the same refusal as one by one.
		let target = (
			&req.requester,
			&rec.patient,
			Target::Record(req.record),
			req.purpose,
			Action::Read,
			Option::<u64>::None,
		);
		let decision = self.rpc.runtime_call::<Decision>("ConsentApi_decide", &target, Some(at));
		let key = ehr_client::gateway::encryption_key(&self.rpc, &req.requester, Some(at));
		let cid = cid::raw_sha2_256(&rec.content.commitment.0);
		let (its, decision, key, erased) = tokio::join!(
			self.ensure_its_document(req.record, rec, at),
			decision,
			key,
			self.store.is_erased(&cid)
		);
		its?;
		if let Decision::Deny(reason) = decision.map_err(internal)? {
			return Err(refuse(Refusal::Denied, denied_message(&reason)));
		}
		let key = key.map_err(internal)?.ok_or_else(|| {
			refuse(Refusal::NoEncryptionKey, "the requester has published no encryption key")
		})?;
		// The document is the one at the record's own address, and only if that address is the
		// CID this gateway keeps documents under (raw, SHA2-256): a record anchoring another
		// kind of CID over the same digest does not get the document of the one that anchors
		// this CID.
		if rec.content.cid[..] != cid[..] {
			return Err(refuse(
				Refusal::NotStored,
				"the record's CID is not a raw SHA2-256 CID of its commitment",
			));
		}
		if erased.map_err(internal)? {
			return Err(refuse(Refusal::Erased, "this document was erased"));
		}
		let not_stored = || refuse(Refusal::NotStored, "this gateway does not hold the document");
		let (reading, wrapped) =
			self.store.read(&cid).await.map_err(internal)?.ok_or_else(not_stored)?;
		// The stored object is the size the record anchors, or it is not the document (a
		// writer of the store made it longer, say): refused before anything is served.
		if reading.size != rec.content.size {
			log(format!(
				"record {}: the stored document is {} bytes, the record anchors {}",
				req.record, reading.size, rec.content.size
			));
			return Err(refuse(
				Refusal::Corrupt,
				"the stored document is not the size the record anchors",
			));
		}
		// A streamed document is checked against the commitment as it goes out
		// ([`http`]); a whole one here, and only one that fits a JSON-RPC body is read.
		let document = if streamed {
			Document::Streamed(reading, rec.content.commitment)
		} else {
			if reading.size > self.max_inline_size {
				let msg = format!(
					"the document is {} bytes, more than a JSON-RPC answer carries ({}): fetch it \
					 streamed (GET {}/{})",
					reading.size,
					self.max_inline_size,
					http::DOCUMENTS,
					req.record
				);
				return Err(refuse(Refusal::TooLarge, msg));
			}
			let bytes = reading.into_bytes().await.map_err(internal)?;
			if sp_io::hashing::sha2_256(&bytes) != rec.content.commitment.0 {
				log(format!("record {}: stored bytes do not match the commitment", req.record));
				return Err(refuse(
					Refusal::Corrupt,
					"the stored bytes do not match the record's CID",
				));
			}
			Document::Whole(bytes)
		};
		let data_key = keys::unwrap(&self.secret, &wrapped, &cid).map_err(internal)?;
		let to_requester = keys::wrap(&data_key, &key, &cid).map_err(|_| {
			refuse(Refusal::WeakEncryptionKey, "the requester's key is a small-order point")
		})?;
		let fetched = Fetched {
			record: req.record,
			cid: pallet_patient_records_rpc::cid_string(&cid),
			document: String::new(),
			wrapped_key: format!("0x{}", hex::encode(to_requester.encode())),
			logged: H256::zero(),
			request: H256::zero(),
		};
		Ok((fetched, document))
	}

	/// Whether the chain knows `who` at block `at`: registered staff of any hospital (active
	/// or not: a suspended or former employee's attempt is one an auditor wants to see), a
	/// registered patient, or someone who acts for `patient` (a delegate or guardian).
	async fn known(
		&self,
		who: &AccountId,
		patient: &AccountId,
		at: H256,
	) -> ehr_client::Result<bool> {
		let staff: StaffCheck =
			self.rpc.runtime_call("HospitalRegistryApi_staff_check", who, Some(at)).await?;
		if staff != StaffCheck::NotStaff {
			return Ok(true);
		}
		let is_patient: bool =
			self.rpc.runtime_call("HospitalRegistryApi_is_patient", who, Some(at)).await?;
		if is_patient {
			return Ok(true);
		}
		self.rpc.runtime_call("HospitalRegistryApi_acts_for", &(who, patient), Some(at)).await
	}

	/// Where a refused attempt of `who` goes. Only accounts the chain knows are logged on
	/// chain, within the budgets of [`limit::RefusalLimiter`]; the others never touch those
	/// budgets (a flood from fresh key pairs costs nothing to make and must not use up the
	/// room the refusals of the chain's own accounts need), and are counted in the gateway's
	/// own log, by source address, a minute at a time.
	fn dispose(
		&self,
		known: bool,
		who: &AccountId,
		source: Option<IpAddr>,
		now: u64,
	) -> Disposition {
		if known {
			return match self.limiter.take(who, now) {
				Ok(()) => Disposition::OnChain,
				Err(over) => Disposition::Over(over),
			};
		}
		let (first, ended) = self.unknown.add(source, now);
		if let Some(minute) = ended {
			log_unknown(&minute);
		}
		if first {
			log(format!(
				"refused attempts of accounts the chain does not know are not logged on chain; \
				 counted here a minute at a time (first this minute: {who} from {})",
				source_name(source)
			));
		}
		Disposition::Local
	}

	/// Logs (or not) the refused attempt `refusal` of the authenticated `req` about `rec`.
	async fn refused(
		&self,
		req: &FetchRequest,
		rec: &Record,
		at: H256,
		refusal: Refuse,
		source: Option<IpAddr>,
	) -> FetchRefusal {
		let known = match self.known(&req.requester, &rec.patient, at).await {
			Ok(known) => known,
			Err(e) => {
				log(format!(
					"record {}: could not tell whether the chain knows {} ({e}): not logged \
					 on chain",
					req.record, req.requester
				));
				false
			},
		};
		match self.dispose(known, &req.requester, source, proto::now_ms()) {
			Disposition::Local => FetchRefusal::Counted(refusal),
			Disposition::Over(over) => {
				let whose = match over {
					Over::Requester => "this requester's",
					Over::Total => "all requesters'",
				};
				log(format!(
					"record {}: {:?} for {} not logged: over {whose} limit",
					req.record, refusal.0, req.requester
				));
				let msg = format!(
					"{:?} ({}), not logged: over {whose} limit of logged refusals a minute",
					refusal.0, refusal.1
				);
				told(refuse(Refusal::RateLimited, msg))
			},
			Disposition::OnChain => {
				let entry = pallet_access_log::ReadLog {
					record: req.record,
					accessor: req.requester.clone(),
					purpose: req.purpose,
					outcome: pallet_access_log::ReadOutcome::Refused,
				};
				let logged = match self.queue(entry) {
					Ok(h) => Some(h),
					Err(e) => {
						log(format!("record {}: refusal not logged: {e}", req.record));
						None
					},
				};
				FetchRefusal::Told(refusal, logged)
			},
		}
	}

	/// `gateway_fetch`, or with `streamed` the streamed fetch of [`http`]; `source` is the
	/// caller's address, when known. A refusal comes with the hash of the extrinsic that logged
	/// it on chain, if it was.
	async fn fetch(
		&self,
		r: SignedRequest,
		source: Option<IpAddr>,
		streamed: bool,
	) -> Result<(Fetched, Document), (Refuse, Option<H256>)> {
		match self.try_fetch(r, source, streamed).await {
			Ok(fetched) => Ok(fetched),
			Err(FetchRefusal::Counted(e)) => Err((e, None)),
			Err(FetchRefusal::Told(e, logged)) => {
				log(format!("fetch refused: {:?}: {} (logged: {logged:?})", e.0, e.1));
				Err((e, logged))
			},
		}
	}

	async fn try_fetch(
		&self,
		r: SignedRequest,
		source: Option<IpAddr>,
		streamed: bool,
	) -> Result<(Fetched, Document), FetchRefusal> {
		let req: FetchRequest = self.authenticate(&r, "fetch").await.map_err(told)?;
		// The requester made this request, now: only from here on is the node asked.
		let at = self.rpc.finalized_hash().await.map_err(|e| told(internal(e)))?;
		let hospital = self.hospital(at).await.map_err(told)?;
		if req.hospital != hospital {
			let msg = format!("addressed to hospital {}, this is {hospital}", req.hospital);
			return Err(told(refuse(Refusal::WrongGateway, msg)));
		}
		let rec = self.record(req.record, at).await.map_err(told)?.ok_or_else(|| {
			told(refuse(Refusal::UnknownRecord, format!("no record {}", req.record)))
		})?;
		if rec.custodian != Some(hospital) {
			let msg = format!("record {} is kept by {:?}", req.record, rec.custodian);
			return Err(told(refuse(Refusal::NotCustodian, msg)));
		}
		// From here on the requester's own attempt concerns one of our patients: it is logged,
		// permitted or not (refusals as `refused` says).
		match self.serve(&req, &rec, at, streamed).await {
			Ok((mut fetched, document)) => {
				if !self.reads.take(&req.requester, proto::now_ms()) {
					let msg = format!(
						"{} had as many documents served in the last minute as this gateway \
						 serves one requester; nothing served, not logged",
						req.requester
					);
					return Err(told(refuse(Refusal::TooManyReads, msg)));
				}
				// Fail closed: nothing is served while the journal cannot be logged on chain.
				if let Some(why) = self.log_closed() {
					return Err(told(refuse(Refusal::LogUnavailable, why)));
				}
				// The signed request is kept before the read is journaled: the entry names it,
				// and the patient gets it from `gateway_requests` to check the entry.
				let (request, hash) = kept_request(&r, req.record).map_err(told)?;
				self.store
					.keep_request(&rec.patient, &hash, &request)
					.await
					.map_err(|e| told(internal(format!("keeping the request: {e}"))))?;
				// The document goes out only once the read is on disk, to be logged.
				let entry = pallet_access_log::ReadLog {
					record: req.record,
					accessor: req.requester.clone(),
					purpose: req.purpose,
					outcome: pallet_access_log::ReadOutcome::Served { request: hash },
				};
				match self.queue(entry) {
					Ok(logged) => {
						fetched.logged = logged;
						fetched.request = hash;
						Ok((fetched, document))
					},
					Err(e) => Err(told(refuse(Refusal::LogUnavailable, e))),
				}
			},
			Err(refusal) => Err(self.refused(&req, &rec, at, refusal, source).await),
		}
	}

	/// The checks of a store request that need neither its document nor its CID:
	/// authenticated, within the size limit, for this hospital, by one of its active staff.
	async fn check_store(&self, r: &SignedRequest, max: u64) -> Result<StoreRequest, Refuse> {
		let req: StoreRequest = self.authenticate(r, "store").await?;
		if req.size > max {
			return Err(refuse(Refusal::TooLarge, format!("documents are at most {max} bytes")));
		}
		let at = self.rpc.finalized_hash().await.map_err(internal)?;
		let hospital = self.hospital(at).await?;
		if req.hospital != hospital {
			let msg = format!("addressed to hospital {}, this is {hospital}", req.hospital);
			return Err(refuse(Refusal::WrongGateway, msg));
		}
		let uploader: StaffCheck = self
			.rpc
			.runtime_call("HospitalRegistryApi_staff_check", &req.uploader, Some(at))
			.await
			.map_err(internal)?;
		match uploader {
			StaffCheck::Active(s) if s.hospital == hospital => {},
			other => {
				let msg = format!(
					"{} is not active staff of hospital {hospital}: {other:?}",
					req.uploader
				);
				return Err(refuse(Refusal::NotHospitalStaff, msg));
			},
		}
		Ok(req)
	}

	/// The checks of a store request's CID: not erased, and the data key wrapped to this
	/// custodian for it. The CID.
	async fn check_store_cid(&self, req: &StoreRequest) -> Result<Vec<u8>, Refuse> {
		let cid = cid::raw_sha2_256(&req.commitment.0);
		if self.store.is_erased(&cid).await.map_err(internal)? {
			return Err(erased_refusal(&cid));
		}
		keys::unwrap(&self.secret, &req.wrapped_key, &cid).map_err(|_| {
			refuse(
				Refusal::BadWrappedKey,
				"the data key is not wrapped to this custodian for this CID",
			)
		})?;
		Ok(cid.to_vec())
	}

	/// What a store of `req` did, in the gateway's log and its answer.
	fn stored(&self, req: &StoreRequest, cid: &[u8], put: Put) -> Result<Stored, Refuse> {
		let cid_s = pallet_patient_records_rpc::cid_string(cid);
		match put {
			Put::Stored => {
				log(format!("stored {cid_s} ({} bytes) from {}", req.size, req.uploader))
			},
			Put::AlreadyStored => {
				log(format!("{cid_s} from {}: already stored, kept as it was", req.uploader))
			},
			Put::Erased => return Err(erased_refusal(cid)),
		}
		Ok(Stored { cid: cid_s, commitment: req.commitment, size: req.size })
	}

	/// `gateway_store`. Storing is write-once: an upload of a CID the gateway holds is answered
	/// as stored and leaves the stored copy as it is; an erased CID is refused `Erased`.
	async fn store_document(&self, r: SignedRequest, document: String) -> Result<Stored, Refuse> {
		let max = self.max_inline_size;
		let too_large = || {
			let msg = format!(
				"documents in a JSON-RPC body are at most {max} bytes; larger ones are \
				 uploaded streamed (PUT {})",
				http::DOCUMENTS
			);
			refuse(Refusal::TooLarge, msg)
		};
		// base64 is 4 characters per 3 bytes.
		if document.len() as u64 > max.div_ceil(3).saturating_mul(4) {
			return Err(too_large());
		}
		let req = self.check_store(&r, self.max_document_size).await?;
		if req.size > max {
			return Err(too_large());
		}
		let bytes = base64::engine::general_purpose::STANDARD
			.decode(document.as_bytes())
			.map_err(|_| refuse(Refusal::Malformed, "document is not base64"))?;
		let digest = sp_io::hashing::sha2_256(&bytes);
		if H256(digest) != req.commitment || bytes.len() as u64 != req.size {
			return Err(refuse(
				Refusal::CidMismatch,
				"the bytes do not match the signed commitment and size",
			));
		}
		let cid = self.check_store_cid(&req).await?;
		let put = self
			.store
			.put(&cid, &bytes, &req.wrapped_key, &req.uploader)
			.await
			.map_err(internal)?;
		self.stored(&req, &cid, put)
	}

	/// `gateway_requests`: the signed requests this gateway served of the records of the
	/// query's patient, if the chain says the query's signer acts for the patient (the patient,
	/// a delegate, or a guardian whose recording hospital is active) at the finalized block.
	async fn served_requests(&self, r: SignedRequest) -> Result<Vec<ServedRequest>, Refuse> {
		let query: RequestsQuery = self.authenticate(&r, "requests").await?;
		let at = self.rpc.finalized_hash().await.map_err(internal)?;
		let acts: bool = self
			.rpc
			.runtime_call(
				"HospitalRegistryApi_acts_for",
				&(&query.requester, &query.patient),
				Some(at),
			)
			.await
			.map_err(internal)?;
		if !acts {
			return Err(refuse(
				Refusal::NotAuthorized,
				format!("{} does not act for {}", query.requester, query.patient),
			));
		}
		let kept = self.store.requests(&query.patient).await.map_err(internal)?;
		Ok(kept
			.into_iter()
			.map(|(hash, k)| ServedRequest {
				record: k.record,
				hash,
				signed: SignedRequest::from_bytes(&k.request, &k.signature),
			})
			.collect())
	}

	/// May `who` ask this gateway to erase documents: the gateway's own account, the
	/// hospital's admin, or an active `Administrator` of the hospital?
	async fn may_erase(
		&self,
		who: &AccountId,
		hospital: HospitalId,
		at: H256,
	) -> Result<(), Refuse> {
		if *who == self.account() {
			return Ok(());
		}
		let staff: StaffCheck = self
			.rpc
			.runtime_call("HospitalRegistryApi_staff_check", who, Some(at))
			.await
			.map_err(internal)?;
		if let StaffCheck::Active(s) = staff {
			if s.hospital == hospital && s.role == StaffRole::Administrator {
				return Ok(());
			}
		}
		let info: Option<HospitalInfo<AccountId>> = self
			.rpc
			.runtime_call("HospitalRegistryApi_hospital", &hospital, Some(at))
			.await
			.map_err(internal)?;
		if info.is_some_and(|h| h.admin == *who) {
			return Ok(());
		}
		Err(refuse(
			Refusal::NotAuthorized,
			format!(
				"{who} is neither this gateway, nor the admin nor an active Administrator of \
				 hospital {hospital}"
			),
		))
	}

	/// `gateway_erase`: a signed [`EraseRequest`] of someone who may erase here.
	async fn erase_request(&self, r: SignedRequest) -> Result<Erased, Refuse> {
		let req: EraseRequest = self.authenticate(&r, "erase").await?;
		let at = self.rpc.finalized_hash().await.map_err(internal)?;
		let hospital = self.hospital(at).await?;
		self.may_erase(&req.requester, hospital, at).await?;
		self.erase_record(req.record, None).await
	}

	/// Erases the document of the deleted `record` and logs the erasure: what the watcher
	/// does for each deletion it sees. Not reachable over JSON-RPC, where `gateway_erase` takes
	/// a signed request.
	pub async fn erase(&self, record: RecordId) -> Result<Erased, String> {
		self.erase_record(record, None).await.map_err(|e| format!("{:?}: {}", e.0, e.1))
	}

	/// Erases the document of the deleted `record` (and no other record's), and logs the
	/// erasure. `before_deletion`: a block before the deletion, whose state still has the
	/// record's CID (the deletion clears it), if known.
	///
	/// The document is the one at the CID of the record's own commitment, the one address it
	/// can have here. When the record's CID before its deletion can be read and is another one
	/// (a record that anchored another kind of CID over the same digest), this gateway never
	/// held its document: nothing is destroyed, so the document of the record that does anchor
	/// the CID stays.
	async fn erase_record(
		&self,
		record: RecordId,
		before_deletion: Option<H256>,
	) -> Result<Erased, Refuse> {
		let at = self.rpc.finalized_hash().await.map_err(internal)?;
		let hospital = self.hospital(at).await?;
		let rec = self
			.record(record, at)
			.await?
			.ok_or_else(|| refuse(Refusal::UnknownRecord, format!("no record {record}")))?;
		if rec.custodian != Some(hospital) {
			let msg = format!("record {record} is kept by {:?}", rec.custodian);
			return Err(refuse(Refusal::NotCustodian, msg));
		}
		if rec.status != RecordStatus::Deleted {
			return Err(refuse(Refusal::NotDeleted, format!("record {record} is not deleted")));
		}
		// A record that repeats another's commitment, or that someone other than the uploader
		// anchored, has no document of its own here: the one under its CID is another record's.
		// An uploader object that does not check is no reason to keep a deleted record's
		// document: erasure goes ahead.
		match self.ensure_its_document(record, &rec, at).await {
			Ok(()) => {},
			Err(e) if e.0 == Refusal::Corrupt => {
				log(format!("record {record}: {}; erasing all the same", e.1));
			},
			Err(e) => {
				log(format!("record {record}: {}; nothing destroyed", e.1));
				return Err(e);
			},
		}
		let cid = cid::raw_sha2_256(&rec.content.commitment.0);
		// The state before the deletion may be pruned already: then the commitment is all
		// there is, and the chain lets only one record anchor a commitment.
		let own_cid = match before_deletion {
			Some(block) => self.record(record, block).await.ok().flatten().map(|r| r.content.cid),
			None => None,
		};
		let destroyed = match own_cid {
			Some(own) if own[..] != cid[..] => {
				log(format!(
					"record {record}: its CID was not {}; no document of it is kept here, \
					 nothing destroyed",
					pallet_patient_records_rpc::cid_string(&cid)
				));
				false
			},
			_ => {
				let destroyed = self.store.destroy(&cid, record).await.map_err(internal)?;
				if destroyed {
					log(format!("record {record}: document and key destroyed"));
				}
				destroyed
			},
		};
		if self.store.erasure_logged(record).await.map_err(internal)? {
			return Ok(Erased { record, destroyed, logged: None });
		}
		let call = RuntimeCall::AccessLog(pallet_access_log::Call::log_erasure { record });
		let hash = self.submit(call).await.map_err(|e| refuse(Refusal::LogUnavailable, e))?;
		self.store.note_erasure(record, &format!("{hash:?}")).await.map_err(internal)?;
		log(format!("record {record}: erasure logged by {hash:?}"));
		Ok(Erased { record, destroyed, logged: Some(hash) })
	}

	/// Scans finalized blocks after the cursor for `RecordDeleted` of this hospital's records
	/// and erases them. At most `max_blocks` blocks a call.
	pub async fn scan_deletions(&self, max_blocks: u32) -> Result<(), String> {
		let finalized = self.rpc.finalized_number().await.map_err(|e| e.to_string())?;
		let from = match self.store.cursor() {
			Some(c) => c.saturating_add(1),
			// First start: deletions before it are erased on request (`gateway_erase`).
			None => finalized,
		};
		let to = finalized.min(from.saturating_add(max_blocks.saturating_sub(1)));
		let at = self.rpc.finalized_hash().await.map_err(|e| e.to_string())?;
		let hospital = self.hospital(at).await.map_err(|e| e.1)?;
		for n in from..=to {
			let Some(hash) = self.rpc.block_hash(n).await.map_err(|e| e.to_string())? else {
				break;
			};
			for ev in self.rpc.events(hash).await.map_err(|e| e.to_string())? {
				if let RuntimeEvent::PatientRecords(
					pallet_patient_records::Event::RecordDeleted {
						record, custodian: Some(c), ..
					},
				) = ev.event
				{
					if c == hospital {
						let parent = match n.checked_sub(1) {
							Some(p) => self.rpc.block_hash(p).await.ok().flatten(),
							None => None,
						};
						match self.erase_record(record, parent).await {
							Ok(_) => {},
							// Not a document of this record's: nothing of it to destroy, for
							// good (the watcher moves on; the reason is in the log above).
							Err(Refuse(Refusal::NotItsDocument, _)) => {},
							Err(e) => {
								let e = format!("{:?}: {}", e.0, e.1);
								log(format!("record {record}: erasure failed, will retry: {e}"));
								return Err(e);
							},
						}
					}
				}
			}
			self.store.set_cursor(n).map_err(|e| e.to_string())?;
		}
		Ok(())
	}

	/// Writes the finished minute's count of unlogged refusals to the gateway's log, if a
	/// minute with any has ended.
	pub fn flush_unknown(&self) {
		if let Some(minute) = self.unknown.flush(proto::now_ms()) {
			log_unknown(&minute);
		}
	}

	/// Makes sure the registry holds the custodian key as the gateway account's encryption key
	/// (publishing it if `publish`), so uploaders can check the key the gateway announces.
	///
	/// `Ok(true)`: the registry holds it; `Ok(false)`: published now, not yet in a block.
	pub async fn ensure_key_published(&self, publish: bool) -> Result<bool, String> {
		let mine = self.encryption_key();
		let registered = ehr_client::gateway::encryption_key(&self.rpc, &self.account(), None)
			.await
			.map_err(|e| e.to_string())?;
		if registered == Some(mine) {
			return Ok(true);
		}
		if !publish {
			return Err("the registry does not hold this gateway's custodian key".into());
		}
		let call =
			RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::set_encryption_key {
				key: mine,
			});
		let hash = self.submit(call).await?;
		log(format!("published the custodian key 0x{} ({hash:?})", hex::encode(mine)));
		Ok(false)
	}

	/// `gateway_staffDirectory`: the signed directory in the file given, read on each call so
	/// that a newly signed file counts at once. Not checked here beyond its form: the gateway is
	/// not trusted for it, its clients check it against the chain.
	fn staff_directory(&self) -> Result<SignedDirectory, Refuse> {
		let path = self.staff_directory.as_ref().ok_or_else(|| {
			refuse(Refusal::NoDirectory, "this gateway publishes no staff directory")
		})?;
		let text = std::fs::read_to_string(path).map_err(|e| {
			log(format!("staff directory {}: {e}", path.display()));
			refuse(Refusal::NoDirectory, "the staff directory cannot be read")
		})?;
		serde_json::from_str(&text).map_err(|e| {
			log(format!("staff directory {}: {e}", path.display()));
			refuse(Refusal::NoDirectory, "the staff directory file is not a signed directory")
		})
	}

	/// `gateway_info`.
	async fn info(&self) -> Result<GatewayInfo, Refuse> {
		let (hospital, genesis) = self.learn_identity().await?;
		Ok(GatewayInfo {
			hospital,
			genesis,
			account: self.account().to_ss58check(),
			encryption_key: format!("0x{}", hex::encode(self.encryption_key())),
			max_document_size: self.max_document_size,
			max_inline_size: self.max_inline_size,
			max_request_ttl_ms: MAX_REQUEST_TTL_MS,
		})
	}
}

/// An authenticated signed request `r` of `record`, as the store keeps it, and its
/// [`proto::request_hash`].
fn kept_request(r: &SignedRequest, record: RecordId) -> Result<(KeptRequest, H256), Refuse> {
	let hash = proto::request_hash(r);
	match (r.to_bytes(), hash) {
		(Some((request, signature)), Some(hash)) => {
			Ok((KeptRequest { record, request, signature }, hash))
		},
		_ => Err(refuse(Refusal::Malformed, "not a signed request")),
	}
}

fn source_name(source: Option<IpAddr>) -> String {
	source.map_or_else(|| "an unknown address".into(), |ip| ip.to_string())
}

fn log_unknown(minute: &limit::Minute<Option<IpAddr>>) {
	let top: Vec<String> =
		minute.top.iter().map(|(s, n)| format!("{n} from {}", source_name(*s))).collect();
	log(format!(
		"refused attempts of accounts the chain does not know, not logged on chain, in the \
		 minute from {} ms: {} ({})",
		minute.start_ms,
		minute.total,
		top.join(", ")
	));
}

/// The JSON-RPC face of a [`Gateway`].
pub struct Server(pub Arc<Gateway>);

#[async_trait]
impl GatewayApiServer for Server {
	async fn info(&self) -> RpcResult<GatewayInfo> {
		self.0.info().await.map_err(|e| to_rpc(e, None))
	}

	async fn store(&self, request: SignedRequest, document: String) -> RpcResult<Stored> {
		self.0.store_document(request, document).await.map_err(|e| {
			log(format!("store refused: {:?}: {}", e.0, e.1));
			to_rpc(e, None)
		})
	}

	async fn fetch(&self, ext: &Extensions, request: SignedRequest) -> RpcResult<Fetched> {
		let source = ext.get::<Source>().map(|s| s.0);
		let (mut fetched, document) =
			self.0.fetch(request, source, false).await.map_err(|(e, logged)| to_rpc(e, logged))?;
		if let Document::Whole(bytes) = document {
			fetched.document = base64::engine::general_purpose::STANDARD.encode(bytes);
		}
		Ok(fetched)
	}

	async fn erase(&self, request: SignedRequest) -> RpcResult<Erased> {
		self.0.erase_request(request).await.map_err(|e| {
			log(format!("erase refused: {:?}: {}", e.0, e.1));
			to_rpc(e, None)
		})
	}

	async fn requests(&self, request: SignedRequest) -> RpcResult<Vec<ServedRequest>> {
		self.0.served_requests(request).await.map_err(|e| {
			log(format!("requests refused: {:?}: {}", e.0, e.1));
			to_rpc(e, None)
		})
	}

	async fn staff_directory(&self) -> RpcResult<SignedDirectory> {
		self.0.staff_directory().map_err(|e| to_rpc(e, None))
	}
}

/// The source address of a call, which the server puts in the call's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source(pub IpAddr);

/// The server's middleware for the calls of one connection: answers at most the source's
/// budget of calls (each call of a batch counts) and tells the methods the source.
#[derive(Clone)]
struct PerSource<S> {
	service: S,
	source: IpAddr,
	budget: Arc<Budget<IpAddr>>,
}

impl<'a, S> RpcServiceT<'a> for PerSource<S>
where
	S: RpcServiceT<'a> + Send + Sync,
{
	type Future = ResponseFuture<S::Future>;

	fn call(&self, mut call: Call<'a>) -> Self::Future {
		if !self.budget.take(&self.source, proto::now_ms()) {
			let msg = format!("more calls from {} in the last second than answered", self.source);
			let error = to_rpc(refuse(Refusal::TooManyRequests, msg), None);
			return ResponseFuture::ready(MethodResponse::error(call.id, error));
		}
		call.extensions_mut().insert(Source(self.source));
		ResponseFuture::future(self.service.call(call))
	}
}

/// A running gateway: its address, and the handle that stops it.
pub struct Running {
	/// The address it listens on.
	pub addr: std::net::SocketAddr,
	/// The server's handle.
	pub handle: jsonrpsee::server::ServerHandle,
	/// The state.
	pub gateway: Arc<Gateway>,
}

/// Starts a gateway: learns its chain and hospital from the node (or keeps trying), publishes
/// its key if asked, starts the deletion watcher and the JSON-RPC server.
pub async fn start(config: Config) -> Result<Running, String> {
	let gateway = Gateway::new(&config).await?;
	// The node may still be starting: until the gateway knows its chain and hospital, requests
	// are refused, and the watcher keeps asking.
	if let Err(e) = gateway.learn_identity().await {
		log(format!("chain and hospital not known yet ({:?}: {}); retrying", e.0, e.1));
	}
	let body = config.max_body_size.unwrap_or_else(|| {
		default_body_limit(config.max_inline_size.min(config.max_document_size))
	});
	let batches = match config.max_batch {
		0 => BatchRequestConfig::Disabled,
		n => BatchRequestConfig::Limit(n),
	};
	let tls = match &config.tls {
		Some(files) => Some(Arc::new(tls::Tls::new(files.clone())?)),
		None if config.listen.ip().is_loopback() || config.allow_plain_http => None,
		None => {
			return Err(format!(
				"{} is not a loopback address: serve HTTPS (--tls-cert and --tls-key), or allow \
				 plain HTTP explicitly (--allow-plain-http)",
				config.listen
			))
		},
	};
	let listener = tokio::net::TcpListener::bind(config.listen)
		.await
		.map_err(|e| format!("listen on {}: {e}", config.listen))?;
	let addr = listener.local_addr().map_err(|e| e.to_string())?;
	// Any web origin may call: a patient's page reads the staff directory from the browser.
	// Nothing is granted by the origin or by cookies (none are used): every method but `info`
	// and `staffDirectory` takes a signed request, and those two answer public facts.
	let cors = tower::ServiceBuilder::new().layer(tower_http::cors::CorsLayer::permissive());
	let services = jsonrpsee::server::Server::builder()
		.max_request_body_size(body)
		.max_response_body_size(body)
		.set_batch_request_config(batches)
		.set_http_middleware(cors)
		.http_only()
		.to_service_builder();
	let methods: Methods = Server(gateway.clone()).into_rpc().into();
	let per_source =
		Arc::new(Budget::per_second(share_of(config.requests_per_source, config.replicas)));
	let (stop, handle) = jsonrpsee::server::stop_channel();
	// jsonrpsee's own accept loop does not tell the middleware the peer's address: this one
	// gives each connection a middleware that knows it.
	let accept_tls = tls.clone();
	let routed = gateway.clone();
	tokio::spawn(async move {
		loop {
			let (socket, peer) = tokio::select! {
				accepted = listener.accept() => match accepted {
					Ok(a) => a,
					Err(e) => {
						// Out of file descriptors, most likely: let some close.
						log(format!("accept: {e}"));
						tokio::time::sleep(Duration::from_millis(100)).await;
						continue;
					},
				},
				_ = stop.clone().shutdown() => break,
			};
			let source = limit::source_key(peer.ip());
			let budget = per_source.clone();
			let middleware = RpcServiceBuilder::new().layer_fn(move |service: RpcService| {
				PerSource { service, source, budget: budget.clone() }
			});
			let rpc = services
				.clone()
				.set_rpc_middleware(middleware)
				.build(methods.clone(), stop.clone());
			// The streamed routes beside JSON-RPC, under the same budget of calls.
			let handler =
				http::Handler { gateway: routed.clone(), source, budget: per_source.clone() };
			let service = http::Routes { rpc, handler };
			let stopped = stop.clone().shutdown();
			let tls = accept_tls.clone();
			tokio::spawn(async move {
				// A failed connection (a client gone mid-request, a failed TLS handshake)
				// concerns that client only.
				let Some(tls) = tls else {
					let _ =
						jsonrpsee::server::serve_with_graceful_shutdown(socket, service, stopped)
							.await;
					return;
				};
				let acceptor = match tls.acceptor() {
					Ok(a) => a,
					Err(e) => return log(format!("TLS: {e}")),
				};
				let handshake = acceptor.accept(socket);
				if let Ok(Ok(stream)) = tokio::time::timeout(TLS_HANDSHAKE, handshake).await {
					let _ =
						jsonrpsee::server::serve_with_graceful_shutdown(stream, service, stopped)
							.await;
				}
			});
		}
	});
	// A renewed certificate: read on SIGHUP, served to the connections after it. Without TLS
	// the signal is answered in the log (its default action would end the process).
	let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
		.map_err(|e| format!("SIGHUP handler: {e}"))?;
	let reloadable = tls.clone();
	tokio::spawn(async move {
		while hangups.recv().await.is_some() {
			match &reloadable {
				Some(tls) => match tls.reload() {
					Ok(()) => log(format!(
						"SIGHUP: TLS certificate {} reloaded",
						tls.files().cert.display()
					)),
					Err(e) => log(format!("SIGHUP: {e}; the certificate in use stays")),
				},
				None => log("SIGHUP: no TLS certificate to reload"),
			}
		}
	});
	// The journal's drain: at least once a block, whatever the watcher is doing.
	let drainer = gateway.clone();
	tokio::spawn(async move {
		let mut failing = false;
		loop {
			match drainer.drain().await {
				Ok(()) => failing = false,
				// Said once until it works again; the fetches refused meanwhile say why.
				Err(e) if !failing => {
					failing = true;
					log(format!("access-log journal: {e}; retrying"));
				},
				Err(_) => {},
			}
			tokio::time::sleep(DRAIN_EVERY).await;
		}
	});
	let watcher = gateway.clone();
	let every = config.watch_every;
	let publish = config.publish_key;
	// The node may still be starting: the key is checked (and published) until it is there.
	tokio::spawn(async move {
		let (mut key_ok, mut since_published, mut swept) = (false, u32::MAX, 0u64);
		loop {
			if let Err(e) = watcher.learn_identity().await {
				log(format!("chain and hospital not known: {:?}: {}", e.0, e.1));
			}
			// Published extrinsics get 30 checks to land before the key is published again.
			if !key_ok {
				let publish_now = publish && since_published >= 30;
				match watcher.ensure_key_published(publish_now).await {
					Ok(true) => key_ok = true,
					Ok(false) => since_published = 0,
					Err(_) if since_published < 30 => {
						since_published = since_published.saturating_add(1);
					},
					Err(e) => log(format!("custodian key not registered yet: {e}")),
				}
			}
			if let Err(e) = watcher.scan_deletions(256).await {
				log(format!("deletion watcher: {e}"));
			}
			watcher.flush_unknown();
			// Shared nonces of expired requests, once a minute.
			let now = proto::now_ms();
			if now.saturating_sub(swept) >= 60_000 {
				swept = now;
				match watcher.store.sweep_nonces(now).await {
					Ok(0) => {},
					Ok(n) => log(format!("removed {n} shared nonces of expired requests")),
					Err(e) => log(format!("shared nonces: {e}")),
				}
			}
			tokio::time::sleep(every).await;
		}
	});
	log(format!(
		"serving on {}://{addr} as {} (custodian key 0x{}), store {}",
		if tls.is_some() { "https" } else { "http" },
		gateway.account(),
		hex::encode(gateway.encryption_key()),
		gateway.store().dir().display()
	));
	Ok(Running { addr, handle, gateway })
}

/// Decodes an SS58 or `0x` hex account.
pub fn parse_account(s: &str) -> Result<AccountId, String> {
	if let Some(h) = s.strip_prefix("0x") {
		let b = hex::decode(h).map_err(|e| format!("{s}: {e}"))?;
		let b: [u8; 32] = b.try_into().map_err(|_| format!("{s}: not 32 bytes"))?;
		return Ok(AccountId::from(b));
	}
	AccountId::from_ss58check(s).map_err(|e| format!("{s}: {e:?}"))
}

#[cfg(test)]
mod tests {
	use super::*;
	use ehr_client::gateway::Purpose;
	use sp_core::{sr25519, Pair};

	fn genesis() -> H256 {
		H256::repeat_byte(7)
	}

	fn pair(uri: &str) -> sr25519::Pair {
		sr25519::Pair::from_string(uri, None).unwrap()
	}

	fn config(node_rpc: String, store_dir: PathBuf) -> Config {
		Config {
			node_rpc,
			listen: "127.0.0.1:0".parse().unwrap(),
			store_dir,
			suri: "//Alice//stash".into(),
			max_document_size: 1024,
			max_inline_size: 1024,
			max_transfers: 4,
			watch_every: Duration::from_secs(1),
			publish_key: false,
			refusals_per_requester: 2,
			refusals_total: 4,
			reads_per_requester: 60,
			requests_per_source: 50,
			max_batch: 16,
			max_body_size: None,
			log_backlog_ms: 60_000,
			log_backlog_entries: 1024,
			staff_directory: None,
			s3: None,
			tls: None,
			allow_plain_http: false,
			custodian_suri: None,
			replicas: 1,
		}
	}

	/// A gateway of hospital 0 that knows its chain, whose "node" is a socket that accepts
	/// connections and never answers: any node call shows up as a connection on it.
	struct Offline {
		gateway: Arc<Gateway>,
		node: std::net::TcpListener,
		_dir: tempfile::TempDir,
	}

	impl Offline {
		async fn new() -> Offline {
			let node = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
			node.set_nonblocking(true).unwrap();
			let dir = tempfile::tempdir().unwrap();
			let url = format!("http://{}", node.local_addr().unwrap());
			let gateway = Gateway::new(&config(url, dir.path().join("store"))).await.unwrap();
			gateway.hospital.store(0, Ordering::Relaxed);
			gateway.genesis.set(genesis()).unwrap();
			Offline { gateway, node, _dir: dir }
		}

		fn node_was_asked(&self) -> bool {
			match self.node.accept() {
				Ok(_) => true,
				Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
				Err(e) => panic!("{e}"),
			}
		}
	}

	fn fetch_request(requester: &sr25519::Pair, nonce: u8) -> FetchRequest {
		FetchRequest {
			hospital: 0,
			record: 1,
			purpose: Purpose::Treatment,
			requester: requester.public().into(),
			nonce: [nonce; 16],
			expires_at: proto::now_ms() + 60_000,
			genesis: genesis(),
		}
	}

	#[tokio::test]
	async fn a_fetch_that_is_not_its_requesters_never_reaches_the_node() {
		let o = Offline::new().await;
		let (dave, eve) = (pair("//Dave"), pair("//Eve"));
		let now = proto::now_ms();
		let good = |nonce| fetch_request(&dave, nonce);
		let cases = [
			(
				SignedRequest { request: "0x00".into(), signature: "0x00".into() },
				Refusal::Malformed,
			),
			(
				SignedRequest { signature: "0x".into(), ..proto::sign(&good(1), &dave) },
				Refusal::BadSignature,
			),
			(proto::sign(&good(2), &eve), Refusal::BadSignature),
			(proto::sign(&FetchRequest { hospital: 1, ..good(3) }, &dave), Refusal::WrongGateway),
			(
				proto::sign(&FetchRequest { genesis: H256::repeat_byte(8), ..good(4) }, &dave),
				Refusal::WrongChain,
			),
			(
				proto::sign(&FetchRequest { expires_at: now - 1, ..good(5) }, &dave),
				Refusal::Expired,
			),
			(
				proto::sign(
					&FetchRequest { expires_at: now + MAX_REQUEST_TTL_MS + 60_000, ..good(6) },
					&dave,
				),
				Refusal::Expired,
			),
		];
		for (i, (request, want)) in cases.into_iter().enumerate() {
			let (got, logged) = o.gateway.fetch(request, None, false).await.unwrap_err();
			assert_eq!((got.0, logged), (want, None), "case {i}: {}", got.1);
		}
		// A replay: the nonce was used up by the request's first use.
		let first = good(9);
		assert!(o
			.gateway
			.store
			.take_nonce(&first.requester, first.nonce, first.expires_at, now)
			.await
			.unwrap());
		let (got, _) = o.gateway.fetch(proto::sign(&first, &dave), None, false).await.unwrap_err();
		assert_eq!(got.0, Refusal::Replayed);
		assert!(!o.node_was_asked(), "a refused request reached the node");

		// Until the node has confirmed the gateway's hospital, nothing is checked against it.
		o.gateway.hospital.store(NO_HOSPITAL, Ordering::Relaxed);
		let (got, _) =
			o.gateway.fetch(proto::sign(&good(10), &dave), None, false).await.unwrap_err();
		assert_eq!(got.0, Refusal::GatewayNotRegistered);
		assert!(!o.node_was_asked());

		// The probe works: an authenticated request does reach the node.
		o.gateway.hospital.store(0, Ordering::Relaxed);
		let gateway = o.gateway.clone();
		let valid = proto::sign(&good(11), &dave);
		let task = tokio::spawn(async move {
			let _ = gateway.fetch(valid, None, false).await;
		});
		let mut asked = false;
		for _ in 0..100 {
			if o.node_was_asked() {
				asked = true;
				break;
			}
			tokio::time::sleep(Duration::from_millis(50)).await;
		}
		task.abort();
		assert!(asked, "an authenticated request did not reach the node");
	}

	#[tokio::test]
	async fn stores_and_erasures_are_authenticated_before_the_node_is_asked() {
		let o = Offline::new().await;
		let (alice, eve) = (pair("//Alice"), pair("//Eve"));
		let now = proto::now_ms();
		let store = StoreRequest {
			hospital: 0,
			uploader: eve.public().into(),
			commitment: H256::repeat_byte(1),
			size: 3,
			wrapped_key: keys::WrappedKey { ephemeral: [1; 32], nonce: [2; 24], sealed: [3; 48] },
			nonce: [1; 16],
			expires_at: now + 60_000,
			genesis: genesis(),
		};
		let unsigned = SignedRequest { signature: "0x".into(), ..proto::sign(&store, &eve) };
		let got = o.gateway.store_document(unsigned, "AAAA".into()).await.unwrap_err();
		assert_eq!(got.0, Refusal::BadSignature);
		let stale = proto::sign(&StoreRequest { expires_at: now - 1, ..store.clone() }, &eve);
		let got = o.gateway.store_document(stale, "AAAA".into()).await.unwrap_err();
		assert_eq!(got.0, Refusal::Expired);
		// A fetch request is no store request.
		let fetch = proto::sign(&fetch_request(&eve, 1), &eve);
		let got = o.gateway.store_document(fetch, "AAAA".into()).await.unwrap_err();
		assert!(matches!(got.0, Refusal::Malformed | Refusal::BadSignature), "{got:?}");

		let erase = EraseRequest {
			hospital: 0,
			record: 1,
			requester: alice.public().into(),
			nonce: [2; 16],
			expires_at: now + 60_000,
			genesis: genesis(),
		};
		let forged = proto::sign(&erase, &eve);
		assert_eq!(o.gateway.erase_request(forged).await.unwrap_err().0, Refusal::BadSignature);
		let elsewhere = EraseRequest { genesis: H256::repeat_byte(8), ..erase.clone() };
		let got = o.gateway.erase_request(proto::sign(&elsewhere, &alice)).await.unwrap_err();
		assert_eq!(got.0, Refusal::WrongChain);
		let other = EraseRequest { hospital: 3, ..erase.clone() };
		let got = o.gateway.erase_request(proto::sign(&other, &alice)).await.unwrap_err();
		assert_eq!(got.0, Refusal::WrongGateway);
		assert!(!o.node_was_asked(), "a refused request reached the node");
	}

	#[tokio::test]
	async fn a_requests_query_is_authenticated_before_the_node_is_asked() {
		let o = Offline::new().await;
		let (charlie, eve) = (pair("//Charlie"), pair("//Eve"));
		let now = proto::now_ms();
		let query = RequestsQuery {
			hospital: 0,
			patient: charlie.public().into(),
			requester: charlie.public().into(),
			nonce: [3; 16],
			expires_at: now + 60_000,
			genesis: genesis(),
		};
		let refusal = |r: Result<Vec<ServedRequest>, Refuse>| r.unwrap_err().0;
		// Eve signs a query naming Charlie as the one who asks.
		let forged = proto::sign(&query, &eve);
		assert_eq!(refusal(o.gateway.served_requests(forged).await), Refusal::BadSignature);
		let elsewhere = RequestsQuery { genesis: H256::repeat_byte(8), ..query.clone() };
		let elsewhere = proto::sign(&elsewhere, &charlie);
		assert_eq!(refusal(o.gateway.served_requests(elsewhere).await), Refusal::WrongChain);
		let other = proto::sign(&RequestsQuery { hospital: 3, ..query.clone() }, &charlie);
		assert_eq!(refusal(o.gateway.served_requests(other).await), Refusal::WrongGateway);
		let stale = proto::sign(&RequestsQuery { expires_at: now - 1, ..query.clone() }, &charlie);
		assert_eq!(refusal(o.gateway.served_requests(stale).await), Refusal::Expired);
		// A fetch request is no query.
		let fetch = proto::sign(&fetch_request(&charlie, 4), &charlie);
		let got = refusal(o.gateway.served_requests(fetch).await);
		assert!(matches!(got, Refusal::Malformed | Refusal::BadSignature), "{got:?}");
		assert!(!o.node_was_asked(), "a refused query reached the node");
	}

	#[tokio::test]
	async fn refusals_of_accounts_the_chain_does_not_know_leave_its_budget_alone() {
		// 2 logged refusals a minute for one requester, 4 for all.
		let o = Offline::new().await;
		let ip: IpAddr = "192.0.2.1".parse().unwrap();
		// A flood from a thousand fresh key pairs: all kept out of the chain's log...
		for i in 0..1_000u32 {
			let mut raw = [0u8; 32];
			raw[..4].copy_from_slice(&i.to_le_bytes());
			let stranger = AccountId::from(raw);
			assert_eq!(o.gateway.dispose(false, &stranger, Some(ip), 1_000), Disposition::Local);
		}
		// ...without touching the budgets the chain's own accounts' refusals use.
		assert_eq!(o.gateway.limiter.tracked(), 0);
		let (dave, carol, erin) =
			(AccountId::from([4; 32]), AccountId::from([5; 32]), AccountId::from([6; 32]));
		assert_eq!(o.gateway.dispose(true, &dave, None, 1_000), Disposition::OnChain);
		assert_eq!(o.gateway.dispose(true, &dave, None, 1_000), Disposition::OnChain);
		assert_eq!(o.gateway.dispose(true, &dave, None, 1_000), Disposition::Over(Over::Requester));
		assert_eq!(o.gateway.dispose(true, &carol, None, 1_000), Disposition::OnChain);
		assert_eq!(o.gateway.dispose(true, &carol, None, 1_000), Disposition::OnChain);
		assert_eq!(o.gateway.dispose(true, &erin, None, 1_000), Disposition::Over(Over::Total));
		// The strangers are counted for the gateway's own log.
		let minute = o.gateway.unknown.flush(60_000).unwrap();
		assert_eq!((minute.total, minute.top.clone()), (1_000, vec![(Some(ip), 1_000)]));
	}

	#[test]
	fn replicas_share_each_limit_without_exceeding_it_together() {
		assert_eq!(share_of(60, 1), 60);
		assert_eq!(share_of(60, 0), 60, "0 replicas is taken as 1");
		assert_eq!(share_of(60, 2), 30);
		assert_eq!(share_of(50, 3), 16, "3 x 16 = 48: never more than the limit together");
		assert_eq!(share_of(2, 4), 1, "but each allows at least one");
		assert_eq!(share_of(0, 4), 0, "no limit stays no limit");
	}

	#[test]
	fn the_default_body_limit_fits_the_largest_document_base64_encoded() {
		// 16 MiB: 22,369,624 base64 characters and the envelope margin.
		assert_eq!(default_body_limit(16 * 1024 * 1024), 22_369_624 + 65_536);
		assert_eq!(default_body_limit(3), 4 + 65_536);
		assert_eq!(default_body_limit(u64::MAX), u32::MAX);
	}

	/// One HTTP/1.1 POST of a JSON body; the whole answer, headers and body.
	fn post(addr: std::net::SocketAddr, body: &str) -> String {
		use std::io::{Read, Write};
		let mut s = std::net::TcpStream::connect(addr).unwrap();
		write!(
			s,
			"POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
			body.len()
		)
		.unwrap();
		let mut answer = String::new();
		s.read_to_string(&mut answer).unwrap();
		answer
	}

	/// A JSON-RPC batch of `n` calls of a method no gateway has.
	fn batch(n: usize) -> String {
		let calls: Vec<String> = (0..n)
			.map(|i| format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"gateway_none","params":[]}}"#))
			.collect();
		format!("[{}]", calls.join(","))
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn the_server_caps_batches_and_the_calls_of_one_source() {
		let dir = tempfile::tempdir().unwrap();
		// No node: a port nothing listens on.
		let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
		let mut config = config(format!("http://{dead}"), dir.path().join("store"));
		(config.max_batch, config.requests_per_source) = (4, 20);
		let running = start(config).await.unwrap();
		let addr = running.addr;
		let send = |body: String| tokio::task::spawn_blocking(move || post(addr, &body));
		// A batch over the cap is refused whole.
		let answer = send(batch(5)).await.unwrap();
		assert!(answer.contains("\"code\":-32010"), "{answer}");
		// 40 calls from one address in much less than a second: the first 20 are answered
		// (no such method), then one every 50 ms; the others are refused `TooManyRequests`.
		let (mut answered, mut refused) = (0, 0);
		for _ in 0..10 {
			let answer = send(batch(4)).await.unwrap();
			answered += answer.matches("\"code\":-32601").count();
			refused += answer.matches("\"code\":4026").count();
		}
		assert_eq!(answered + refused, 40);
		assert!(answered >= 20 && refused >= 1, "{answered} answered, {refused} refused");
		running.handle.stop().unwrap();
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn the_staff_directory_is_served_from_its_file_as_it_is_now_and_to_any_origin() {
		use ehr_client::directory::{self, Directory, DirectoryEntry};
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("directory.json");
		let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
		let mut config = config(format!("http://{dead}"), dir.path().join("store"));
		config.staff_directory = Some(file.clone());
		let running = start(config).await.unwrap();
		let addr = running.addr;
		let call = r#"{"jsonrpc":"2.0","id":1,"method":"gateway_staffDirectory","params":[]}"#;
		let ask = || tokio::task::spawn_blocking(move || post(addr, call));
		// No file yet: refused `NoDirectory`.
		let answer = ask().await.unwrap();
		assert!(answer.contains("\"code\":4028"), "{answer}");
		// The admin signs one: served as it is, without the node being asked.
		let signed_by = |name: &str| {
			let d = Directory {
				hospital: 0,
				genesis: genesis(),
				issued_at: 1,
				entries: vec![DirectoryEntry {
					account: pair("//Bob").public().into(),
					name: name.into(),
					role: StaffRole::Doctor,
					department: None,
				}],
			};
			directory::sign(&d, &pair("//Alice"))
		};
		let first = signed_by("Dr. Ana Silva");
		std::fs::write(&file, serde_json::to_string(&first).unwrap()).unwrap();
		let answer = ask().await.unwrap();
		assert!(answer.contains(&first.signature), "{answer}");
		// A newly signed file counts at the next call.
		let second = signed_by("Dr. Ana Silva Costa");
		std::fs::write(&file, serde_json::to_string(&second).unwrap()).unwrap();
		let answer = ask().await.unwrap();
		assert!(answer.contains(&second.signature) && !answer.contains(&first.signature));
		// A file that is not a signed directory is not served.
		std::fs::write(&file, "[]").unwrap();
		assert!(ask().await.unwrap().contains("\"code\":4028"));
		// A page of any origin may call (the CORS preflight of a JSON POST is answered).
		let preflight = tokio::task::spawn_blocking(move || {
			use std::io::{Read, Write};
			let mut s = std::net::TcpStream::connect(addr).unwrap();
			write!(
				s,
				"OPTIONS / HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://127.0.0.1:8080\r\n\
				 Access-Control-Request-Method: POST\r\n\
				 Access-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
			)
			.unwrap();
			let mut answer = String::new();
			s.read_to_string(&mut answer).unwrap();
			answer
		})
		.await
		.unwrap();
		let lower = preflight.to_ascii_lowercase();
		assert!(lower.starts_with("http/1.1 200"), "{preflight}");
		assert!(lower.contains("access-control-allow-origin: *"), "{preflight}");
		running.handle.stop().unwrap();
	}
}

//! # ehr-gateway
//!
//! The document gateway of one hospital: a separate process next to the hospital's `ehr-node`,
//! talking to it over JSON-RPC. It keeps the sealed documents the hospital is custodian of in an
//! embedded content-addressed [`store`], and serves the protocol of [`ehr_client::gateway`]:
//! store (uploads by the hospital's own staff accounts), fetch (only when the chain's consent
//! decision permits, at the latest finalized block, and only after the attempt is in the
//! access log), and erase (a deleted record's document and key are destroyed and the erasure
//! logged; a watcher does this by itself for every `RecordDeleted` of the hospital's records).
//!
//! A separate process rather than part of the node: a fault or an overload in document serving
//! never stops the hospital's validator, the gateway's account key (a `Gateway` staff member
//! that can do nothing but log reads and erasures) is not kept in the validator's keystore, and
//! the gateway is restarted or scaled on its own.

use std::{path::PathBuf, sync::Arc, time::Duration};

use base64::Engine as _;
use codec::Encode;
use ehr_client::{
	gateway::{
		self as proto, check, Erased, FetchRequest, Fetched, GatewayApiServer, GatewayInfo,
		Purpose, Record, Refusal, RefusalData, SignedRequest, StoreRequest, Stored,
		MAX_REQUEST_TTL_MS,
	},
	keys::{self, EncryptionSecret},
	runtime::{AccountId, Nonce, RuntimeCall, RuntimeEvent},
	ChainContext, Rpc, Signer,
};
use jsonrpsee::{
	core::{async_trait, RpcResult},
	types::ErrorObjectOwned,
};
use pallet_consent::{Action, Decision, Target};
use pallet_hospital_registry::{HospitalId, StaffCheck, StaffRole};
use pallet_patient_records::{cid, RecordId, RecordStatus};
use sp_core::{crypto::Ss58Codec, H256};

pub mod limit;
pub mod store;
use limit::{Over, RefusalLimiter};
use store::{Put, Store};

/// How a gateway runs.
#[derive(Clone, Debug)]
pub struct Config {
	/// HTTP JSON-RPC URL of the hospital's node.
	pub node_rpc: String,
	/// Address to listen on.
	pub listen: std::net::SocketAddr,
	/// Directory of the store.
	pub store_dir: PathBuf,
	/// Secret URI of the gateway's account (a `Gateway` staff member of the hospital).
	pub suri: String,
	/// Largest sealed document accepted, in bytes.
	pub max_document_size: u64,
	/// How often the watcher looks for deleted records.
	pub watch_every: Duration,
	/// Publish the custodian key as the account's encryption key if the registry lacks it.
	pub publish_key: bool,
	/// Most refused attempts of one requester logged on chain a minute (0: no limit).
	pub refusals_per_requester: u32,
	/// Most refused attempts of all requesters together logged on chain a minute (0: no
	/// limit).
	pub refusals_total: u32,
}

/// A refusal with its explanation.
#[derive(Debug)]
struct Refuse(Refusal, String);

fn refuse(r: Refusal, msg: impl Into<String>) -> Refuse {
	Refuse(r, msg.into())
}

fn internal(e: impl std::fmt::Display) -> Refuse {
	refuse(Refusal::Internal, e.to_string())
}

fn to_rpc(r: Refuse, logged: Option<H256>) -> ErrorObjectOwned {
	let data = RefusalData { refusal: r.0, logged };
	ErrorObjectOwned::owned(r.0.code(), format!("{:?}: {}", r.0, r.1), Some(data))
}

/// Prints a line of the gateway's log.
pub fn log(msg: impl AsRef<str>) {
	eprintln!("{} ehr-gateway: {}", proto::now_ms(), msg.as_ref());
}

/// The running gateway's state.
pub struct Gateway {
	rpc: Rpc,
	signer: Signer,
	secret: EncryptionSecret,
	store: Store,
	max_document_size: u64,
	/// Bounds the refused attempts logged on chain ([`limit`]).
	limiter: RefusalLimiter<AccountId>,
	/// The next nonce of the gateway's account and the chain context, while known; held while
	/// signing and submitting, so the gateway's extrinsics go out in nonce order.
	chain: tokio::sync::Mutex<Option<(Nonce, ChainContext)>>,
}

impl Gateway {
	/// Connects to the node and opens the store.
	pub fn new(config: &Config) -> Result<Arc<Gateway>, String> {
		let rpc = Rpc::new(&config.node_rpc).map_err(|e| format!("node RPC: {e}"))?;
		let signer = Signer::from_uri(&config.suri).map_err(|e| e.to_string())?;
		let secret = EncryptionSecret::from_sr25519(signer.pair());
		let store = Store::open(&config.store_dir, proto::now_ms())
			.map_err(|e| format!("store {}: {e}", config.store_dir.display()))?;
		Ok(Arc::new(Gateway {
			rpc,
			signer,
			secret,
			store,
			max_document_size: config.max_document_size,
			limiter: RefusalLimiter::new(config.refusals_per_requester, config.refusals_total),
			chain: tokio::sync::Mutex::new(None),
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
	/// at block `at`.
	async fn hospital(&self, at: H256) -> Result<HospitalId, Refuse> {
		let check: StaffCheck = self
			.rpc
			.runtime_call("HospitalRegistryApi_staff_check", &self.account(), Some(at))
			.await
			.map_err(internal)?;
		match check {
			StaffCheck::Active(s) if s.role == StaffRole::Gateway => Ok(s.hospital),
			other => Err(refuse(
				Refusal::GatewayNotRegistered,
				format!(
					"the gateway account {} is not an active Gateway: {other:?}",
					self.account()
				),
			)),
		}
	}

	async fn record(&self, id: RecordId, at: H256) -> Result<Option<Record>, Refuse> {
		self.rpc.runtime_call("PatientRecordsApi_record", &id, Some(at)).await.map_err(internal)
	}

	/// Signs and submits `call` from the gateway's account; the hash once the node's pool
	/// accepted it. Resynchronises the nonce and retries once if the node refuses it.
	async fn submit(&self, call: RuntimeCall) -> Result<H256, String> {
		let mut chain = self.chain.lock().await;
		let mut last = String::new();
		for _ in 0..2 {
			let (nonce, ctx) = match *chain {
				Some(c) => c,
				None => {
					let ctx = self.rpc.chain_context().await.map_err(|e| e.to_string())?;
					let nonce =
						self.rpc.next_nonce(&self.account()).await.map_err(|e| e.to_string())?;
					(nonce, ctx)
				},
			};
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

	/// Logs a read attempt of `record` in the access log.
	async fn log_read(
		&self,
		record: RecordId,
		accessor: &AccountId,
		purpose: Purpose,
		permitted: bool,
	) -> Result<H256, String> {
		self.submit(RuntimeCall::AccessLog(pallet_access_log::Call::log_read {
			record,
			accessor: accessor.clone(),
			purpose,
			permitted,
		}))
		.await
	}

	fn check_expiry(&self, expires_at: u64, now: u64) -> Result<(), Refuse> {
		if expires_at <= now {
			return Err(refuse(Refusal::Expired, format!("expired {} ms ago", now - expires_at)));
		}
		if expires_at > now + MAX_REQUEST_TTL_MS {
			return Err(refuse(
				Refusal::Expired,
				format!("expiry more than {MAX_REQUEST_TTL_MS} ms ahead"),
			));
		}
		Ok(())
	}

	fn take_nonce(
		&self,
		who: &AccountId,
		nonce: [u8; 16],
		expires_at: u64,
		now: u64,
	) -> Result<(), Refuse> {
		match self.store.take_nonce(who, nonce, expires_at, now) {
			Ok(true) => Ok(()),
			Ok(false) => Err(refuse(Refusal::Replayed, "this request's nonce was already used")),
			Err(e) => Err(internal(e)),
		}
	}

	/// Whether the requester named in `req` made this request, now: signed by them, not
	/// expired, nonce not used before. Only such an attempt is the requester's to log.
	fn authenticate(&self, req: &FetchRequest, signed: bool) -> Result<(), Refuse> {
		if !signed {
			return Err(refuse(Refusal::BadSignature, "not signed by the requester it names"));
		}
		let now = proto::now_ms();
		self.check_expiry(req.expires_at, now)?;
		self.take_nonce(&req.requester, req.nonce, req.expires_at, now)
	}

	/// The checks of an authenticated fetch of a record this gateway keeps; the answer to send
	/// if they pass.
	async fn serve(&self, req: &FetchRequest, rec: &Record, at: H256) -> Result<Fetched, Refuse> {
		if rec.status == RecordStatus::Deleted {
			return Err(refuse(
				Refusal::Erased,
				"the record is deleted; its document is destroyed",
			));
		}
		let decision: Decision = self
			.rpc
			.runtime_call(
				"ConsentApi_decide",
				&(
					&req.requester,
					&rec.patient,
					Target::Record(req.record),
					req.purpose,
					Action::Read,
					Option::<u64>::None,
				),
				Some(at),
			)
			.await
			.map_err(internal)?;
		if let Decision::Deny(reason) = decision {
			return Err(refuse(Refusal::Denied, format!("consent: {reason:?}")));
		}
		let key = ehr_client::gateway::encryption_key(&self.rpc, &req.requester, Some(at))
			.await
			.map_err(internal)?
			.ok_or_else(|| {
				refuse(Refusal::NoEncryptionKey, "the requester has published no encryption key")
			})?;
		let cid = cid::raw_sha2_256(&rec.content.commitment.0);
		if self.store.is_erased(&cid) {
			return Err(refuse(Refusal::Erased, "this document was erased"));
		}
		let (bytes, wrapped) =
			self.store.get(&cid).map_err(internal)?.ok_or_else(|| {
				refuse(Refusal::NotStored, "this gateway does not hold the document")
			})?;
		if sp_io::hashing::sha2_256(&bytes) != rec.content.commitment.0 {
			log(format!("record {}: stored bytes do not match the commitment", req.record));
			return Err(refuse(Refusal::Corrupt, "the stored bytes do not match the record's CID"));
		}
		let data_key = keys::unwrap(&self.secret, &wrapped, &cid).map_err(internal)?;
		let to_requester = keys::wrap(&data_key, &key, &cid).map_err(|_| {
			refuse(Refusal::WeakEncryptionKey, "the requester's key is a small-order point")
		})?;
		Ok(Fetched {
			record: req.record,
			cid: pallet_patient_records_rpc::cid_string(&cid),
			document: base64::engine::general_purpose::STANDARD.encode(&bytes),
			wrapped_key: format!("0x{}", hex::encode(to_requester.encode())),
			logged: H256::zero(),
		})
	}

	/// `gateway_fetch`.
	async fn fetch(&self, r: SignedRequest) -> Result<Fetched, (Refuse, Option<H256>)> {
		let at = self.rpc.finalized_hash().await.map_err(|e| (internal(e), None))?;
		let hospital = self.hospital(at).await.map_err(|e| (e, None))?;
		let c = check::<FetchRequest>(&r)
			.ok_or_else(|| (refuse(Refusal::Malformed, "not a fetch request"), None))?;
		let req = c.request;
		if req.hospital != hospital {
			let msg = format!("addressed to hospital {}, this is {hospital}", req.hospital);
			return Err((refuse(Refusal::WrongGateway, msg), None));
		}
		let rec = self.record(req.record, at).await.map_err(|e| (e, None))?.ok_or_else(|| {
			(refuse(Refusal::UnknownRecord, format!("no record {}", req.record)), None)
		})?;
		if rec.custodian != Some(hospital) {
			let msg = format!("record {} is kept by {:?}", req.record, rec.custodian);
			return Err((refuse(Refusal::NotCustodian, msg), None));
		}
		// A request its requester did not sign, a stale one or a replay is not an attempt of
		// theirs: logging it would put in the patient's log a read attempt the named requester
		// never made (anyone can forge an unsigned request naming anyone, or replay a logged
		// one). Refused, in the gateway's log only.
		if let Err(refusal) = self.authenticate(&req, c.signed) {
			log(format!(
				"record {}: unauthenticated request naming {} refused, not logged: {:?}",
				req.record, req.requester, refusal.0
			));
			return Err((refusal, None));
		}
		// From here on the requester's own attempt concerns one of our patients: log it,
		// permitted or not (refusals within the limits of `limit`).
		match self.serve(&req, &rec, at).await {
			Ok(mut fetched) => {
				match self.log_read(req.record, &req.requester, req.purpose, true).await {
					Ok(hash) => {
						fetched.logged = hash;
						Ok(fetched)
					},
					Err(e) => Err((refuse(Refusal::LogUnavailable, e), None)),
				}
			},
			Err(refusal) => {
				if let Err(over) = self.limiter.take(&req.requester, proto::now_ms()) {
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
					return Err((refuse(Refusal::RateLimited, msg), None));
				}
				let logged =
					match self.log_read(req.record, &req.requester, req.purpose, false).await {
						Ok(h) => Some(h),
						Err(e) => {
							log(format!("record {}: refusal not logged: {e}", req.record));
							None
						},
					};
				Err((refusal, logged))
			},
		}
	}

	/// `gateway_store`.
	async fn store_document(&self, r: SignedRequest, document: String) -> Result<Stored, Refuse> {
		let at = self.rpc.finalized_hash().await.map_err(internal)?;
		let hospital = self.hospital(at).await?;
		let c = check::<StoreRequest>(&r)
			.ok_or_else(|| refuse(Refusal::Malformed, "not a store request"))?;
		if !c.signed {
			return Err(refuse(Refusal::BadSignature, "not signed by the uploader it names"));
		}
		let req = c.request;
		if req.hospital != hospital {
			let msg = format!("addressed to hospital {}, this is {hospital}", req.hospital);
			return Err(refuse(Refusal::WrongGateway, msg));
		}
		let now = proto::now_ms();
		self.check_expiry(req.expires_at, now)?;
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
		let max = self.max_document_size;
		// base64 is 4 characters per 3 bytes.
		if req.size > max || document.len() as u64 > max.div_ceil(3) * 4 {
			return Err(refuse(Refusal::TooLarge, format!("documents are at most {max} bytes")));
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
		let cid = cid::raw_sha2_256(&digest);
		let cid_s = pallet_patient_records_rpc::cid_string(&cid);
		let erased =
			|| refuse(Refusal::Erased, format!("{cid_s} was erased; it is not kept again"));
		if self.store.is_erased(&cid) {
			return Err(erased());
		}
		keys::unwrap(&self.secret, &req.wrapped_key, &cid).map_err(|_| {
			refuse(
				Refusal::BadWrappedKey,
				"the data key is not wrapped to this custodian for this CID",
			)
		})?;
		self.take_nonce(&req.uploader, req.nonce, req.expires_at, now)?;
		match self.store.put(&cid, &bytes, &req.wrapped_key).map_err(internal)? {
			Put::Stored => {
				log(format!("stored {cid_s} ({} bytes) from {}", bytes.len(), req.uploader))
			},
			Put::AlreadyStored => {
				log(format!("{cid_s} from {}: already stored, kept as it was", req.uploader))
			},
			Put::Erased => return Err(erased()),
		}
		Ok(Stored { cid: cid_s, commitment: req.commitment, size: req.size })
	}

	/// `gateway_erase`, also what the watcher does for each deletion.
	pub async fn erase(&self, record: RecordId) -> Result<Erased, String> {
		self.erase_inner(record).await.map_err(|e| format!("{:?}: {}", e.0, e.1))
	}

	async fn erase_inner(&self, record: RecordId) -> Result<Erased, Refuse> {
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
		let cid = cid::raw_sha2_256(&rec.content.commitment.0);
		let destroyed = self.store.destroy(&cid, record).map_err(internal)?;
		if destroyed {
			log(format!("record {record}: document and key destroyed"));
		}
		if self.store.erasure_logged(record) {
			return Ok(Erased { record, destroyed, logged: None });
		}
		let call = RuntimeCall::AccessLog(pallet_access_log::Call::log_erasure { record });
		let hash = self.submit(call).await.map_err(|e| refuse(Refusal::LogUnavailable, e))?;
		self.store.note_erasure(record, &format!("{hash:?}")).map_err(internal)?;
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
						if let Err(e) = self.erase(record).await {
							log(format!("record {record}: erasure failed, will retry: {e}"));
							return Err(e);
						}
					}
				}
			}
			self.store.set_cursor(n).map_err(|e| e.to_string())?;
		}
		Ok(())
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

	/// `gateway_info`.
	async fn info(&self) -> Result<GatewayInfo, Refuse> {
		let at = self.rpc.finalized_hash().await.map_err(internal)?;
		Ok(GatewayInfo {
			hospital: self.hospital(at).await?,
			account: self.account().to_ss58check(),
			encryption_key: format!("0x{}", hex::encode(self.encryption_key())),
			max_document_size: self.max_document_size,
			max_request_ttl_ms: MAX_REQUEST_TTL_MS,
		})
	}
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

	async fn fetch(&self, request: SignedRequest) -> RpcResult<Fetched> {
		self.0.fetch(request).await.map_err(|(e, logged)| {
			log(format!("fetch refused: {:?}: {} (logged: {logged:?})", e.0, e.1));
			to_rpc(e, logged)
		})
	}

	async fn erase(&self, record: RecordId) -> RpcResult<Erased> {
		self.0.erase_inner(record).await.map_err(|e| to_rpc(e, None))
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

/// Starts a gateway: publishes its key if asked, starts the deletion watcher and the JSON-RPC
/// server.
pub async fn start(config: Config) -> Result<Running, String> {
	let gateway = Gateway::new(&config)?;
	let max = usize::try_from(config.max_document_size).unwrap_or(usize::MAX);
	// A document travels base64 (4/3) inside a JSON request.
	let limit = u32::try_from(max.saturating_mul(4) / 3 + 64 * 1024).unwrap_or(u32::MAX);
	let server = jsonrpsee::server::Server::builder()
		.max_request_body_size(limit)
		.max_response_body_size(limit)
		.build(config.listen)
		.await
		.map_err(|e| format!("listen on {}: {e}", config.listen))?;
	let addr = server.local_addr().map_err(|e| e.to_string())?;
	let handle = server.start(Server(gateway.clone()).into_rpc());
	let watcher = gateway.clone();
	let every = config.watch_every;
	let publish = config.publish_key;
	// The node may still be starting: the key is checked (and published) until it is there.
	tokio::spawn(async move {
		let (mut key_ok, mut since_published) = (false, u32::MAX);
		loop {
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
			tokio::time::sleep(every).await;
		}
	});
	log(format!(
		"serving on http://{addr} as {} (custodian key 0x{}), store {}",
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

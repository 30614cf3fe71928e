//! The streamed routes of the gateway, on the same port as its JSON-RPC: documents of any size
//! up to `--max-document-size` (an imaging study of several GiB) uploaded and served a chunk at
//! a time, never whole in memory.
//!
//! ```text
//! PUT /v1/documents            the sealed bytes as the body; answer: Stored (JSON)
//! GET /v1/documents/<record>   answer: the sealed bytes, with the fetch's facts in headers
//! ```
//!
//! Each request carries its signed request in two headers, `Ehr-Request` (`0x` hex of the
//! SCALE-encoded [`StoreRequest`](ehr_client::gateway::StoreRequest) or
//! [`FetchRequest`](ehr_client::gateway::FetchRequest)) and `Ehr-Signature`, and is checked as
//! its JSON-RPC twin is (`gateway_store`, `gateway_fetch`): the same refusals, the same logging.
//! A refusal is an HTTP error status ([`Refusal::http_status`]) with an `Ehr-Refusal` header
//! and a JSON body ([`Refused`]).
//!
//! - **Upload**: every check that needs no byte of the document is made first; only then does
//!   the gateway read the body (a client that sent `Expect: 100-continue` sends nothing before
//!   that, so a refusal costs it no upload). The bytes go to an upload nobody sees
//!   ([`crate::store::Store::begin`]) while the gateway hashes them; a body longer or shorter
//!   than the signed size, or whose SHA2-256 is not the signed commitment, is refused
//!   `CidMismatch` and dropped. Only then is it published.
//! - **Fetch**: the read is journaled before the first byte goes out, as for `gateway_fetch`.
//!   The stored bytes are hashed as they are sent, and the last chunk is held back until the
//!   hash is known: stored bytes that no longer match the commitment end the answer short of
//!   its `Content-Length`, so the client sees a broken transfer, never a whole wrong document
//!   (it checks the hash itself too).

use std::{
	collections::HashMap,
	net::IpAddr,
	sync::{Arc, Mutex},
	time::Duration,
};

use bytes::Bytes;
use ehr_client::{
	gateway::{
		self as proto, check, FetchRequest, Refusal, Refused, SignedRequest, Stored, CID_HEADER,
		DOCUMENTS_PATH, LOGGED_HEADER, RECORD_HEADER, REFUSAL_HEADER, REQUEST_HASH_HEADER,
		REQUEST_HEADER, SIGNATURE_HEADER, WRAPPED_KEY_HEADER,
	},
	runtime::AccountId,
};
use futures::{future::BoxFuture, StreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::{
	body::{Frame, Incoming},
	header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE},
	Method, StatusCode,
};
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use sp_core::H256;

use crate::{internal, limit::Budget, log, refuse, Document, Gateway, Refuse};

/// The path of the streamed routes.
pub const DOCUMENTS: &str = DOCUMENTS_PATH;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long an upload's body may send nothing before the upload is dropped.
const IDLE: Duration = Duration::from_secs(30);

/// The slowest a streamed answer may go: past `size / MIN_RATE` (plus [`IDLE`]) its transfer
/// no longer counts against the limits (a client that stopped reading does not hold a place
/// for ever), and its next chunk ends it.
const MIN_RATE: u64 = 1024 * 1024;

/// Most streamed transfers of one account under way at once.
pub const TRANSFERS_PER_ACCOUNT: u32 = 4;

/// The service of one connection: the streamed routes, and everything else to `rpc` (the
/// JSON-RPC server).
#[derive(Clone)]
pub(crate) struct Routes<S> {
	pub rpc: S,
	pub handler: Handler,
}

/// The streamed routes of one connection.
#[derive(Clone)]
pub(crate) struct Handler {
	pub gateway: Arc<Gateway>,
	pub source: IpAddr,
	pub budget: Arc<Budget<IpAddr>>,
}

/// The streamed transfers under way: at most `--max-transfers` in all and
/// [`TRANSFERS_PER_ACCOUNT`] of one account (the uploader's or the requester's), taken once the
/// request is known to be signed by the account it names.
pub(crate) struct Transfers {
	total: Arc<tokio::sync::Semaphore>,
	per_account: Mutex<HashMap<AccountId, u32>>,
}

/// A transfer's place among those under way, given back when dropped.
pub(crate) struct Slot {
	transfers: Arc<Transfers>,
	who: AccountId,
	_total: tokio::sync::OwnedSemaphorePermit,
}

impl Transfers {
	pub(crate) fn new(max: u32) -> Arc<Transfers> {
		Arc::new(Transfers {
			total: Arc::new(tokio::sync::Semaphore::new(max as usize)),
			per_account: Mutex::new(HashMap::new()),
		})
	}

	/// A place for a transfer of `who`, or the refusal.
	fn take(self: &Arc<Self>, who: &AccountId) -> Result<Slot, Refuse> {
		let busy = |msg: &str| refuse(Refusal::TooManyRequests, msg);
		let total = self
			.total
			.clone()
			.try_acquire_owned()
			.map_err(|_| busy("as many streamed transfers under way as this gateway runs"))?;
		let mut per = self.per_account.lock().map_err(|_| busy("transfers unavailable"))?;
		let n = per.entry(who.clone()).or_insert(0);
		if *n >= TRANSFERS_PER_ACCOUNT {
			return Err(busy("as many streamed transfers of this account under way as allowed"));
		}
		*n += 1;
		Ok(Slot { transfers: self.clone(), who: who.clone(), _total: total })
	}
}

impl Drop for Slot {
	fn drop(&mut self) {
		if let Ok(mut per) = self.transfers.per_account.lock() {
			if let Some(n) = per.get_mut(&self.who) {
				*n = n.saturating_sub(1);
				if *n == 0 {
					per.remove(&self.who);
				}
			}
		}
	}
}

impl<S> tower::Service<HttpRequest<Incoming>> for Routes<S>
where
	S: tower::Service<HttpRequest<Incoming>, Response = HttpResponse, Error = BoxError>
		+ Clone
		+ Send
		+ 'static,
	S::Future: Send + 'static,
{
	type Response = HttpResponse;
	type Error = BoxError;
	type Future = BoxFuture<'static, Result<HttpResponse, BoxError>>;

	fn poll_ready(
		&mut self,
		_cx: &mut std::task::Context<'_>,
	) -> std::task::Poll<Result<(), Self::Error>> {
		std::task::Poll::Ready(Ok(()))
	}

	fn call(&mut self, request: HttpRequest<Incoming>) -> Self::Future {
		let path = request.uri().path();
		if path == DOCUMENTS || path.starts_with(&format!("{DOCUMENTS}/")) {
			let handler = self.handler.clone();
			return Box::pin(async move { Ok(handler.documents(request).await) });
		}
		let mut rpc = self.rpc.clone();
		Box::pin(async move { rpc.call(request).await })
	}
}

impl Handler {
	async fn documents(&self, request: HttpRequest<Incoming>) -> HttpResponse {
		if !self.budget.take(&self.source, proto::now_ms()) {
			let msg = format!("more calls from {} in the last second than answered", self.source);
			return refusal(refuse(Refusal::TooManyRequests, msg), None);
		}
		let path = request.uri().path().to_string();
		let method = request.method().clone();
		if path == DOCUMENTS {
			if method != Method::PUT {
				return plain(StatusCode::METHOD_NOT_ALLOWED, "PUT a document here");
			}
			return match self.gateway.store_streamed(request).await {
				Ok(stored) => json(StatusCode::OK, &stored),
				Err(e) => {
					log(format!("streamed store refused: {:?}: {}", e.0, e.1));
					refusal(e, None)
				},
			};
		}
		let record = path[DOCUMENTS.len() + 1..].parse::<u64>();
		let Ok(record) = record else {
			return plain(StatusCode::NOT_FOUND, "GET /v1/documents/<record id>");
		};
		if method != Method::GET {
			return plain(StatusCode::METHOD_NOT_ALLOWED, "GET a record's document here");
		}
		let signed = match signed_request(&request) {
			Ok(signed) => signed,
			Err(e) => return refusal(e, None),
		};
		// The path names the record the signed request asks for.
		let requester = match check::<FetchRequest>(&signed) {
			Some(c) if c.request.record != record => {
				let msg = format!("the signed request is not for record {record}");
				return refusal(refuse(Refusal::Malformed, msg), None);
			},
			Some(c) if c.signed => Some(c.request.requester),
			// Refused by the fetch's own checks, before any transfer.
			_ => None,
		};
		// Each transfer holds a connection for as long as its body takes: a place among those
		// under way is taken once the request is known to be its requester's.
		let slot = match requester.map(|who| self.gateway.transfers.take(&who)).transpose() {
			Ok(slot) => slot,
			Err(e) => return refusal(e, None),
		};
		match self.gateway.fetch(signed, Some(self.source), true).await {
			Ok((_, Document::Whole(_))) => {
				refusal(refuse(Refusal::Internal, "a whole document for a streamed fetch"), None)
			},
			Ok((fetched, Document::Streamed(reading, commitment))) => {
				let record = fetched.record;
				let body = checked(reading.chunks, commitment, reading.size, record, slot);
				let mut response = HttpResponse::new(HttpBody::new(StreamBody::new(body)));
				let h = response.headers_mut();
				h.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
				h.insert(CONTENT_LENGTH, HeaderValue::from(reading.size));
				let mut set = |name: &'static str, value: String| {
					if let Ok(value) = HeaderValue::from_str(&value) {
						h.insert(name, value);
					}
				};
				set(RECORD_HEADER, record.to_string());
				set(CID_HEADER, fetched.cid);
				set(WRAPPED_KEY_HEADER, fetched.wrapped_key);
				set(LOGGED_HEADER, format!("{:?}", fetched.logged));
				set(REQUEST_HASH_HEADER, format!("{:?}", fetched.request));
				response
			},
			Err((e, logged)) => refusal(e, logged),
		}
	}
}

/// The signed request in a streamed request's headers.
pub(crate) fn signed_request<B>(request: &HttpRequest<B>) -> Result<SignedRequest, Refuse> {
	let header = |name: &str| {
		request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string).ok_or_else(
			|| refuse(Refusal::Malformed, format!("no {name} header with the signed request")),
		)
	};
	Ok(SignedRequest { request: header(REQUEST_HEADER)?, signature: header(SIGNATURE_HEADER)? })
}

/// The chunks of a stored document as they go out: hashed on the way, the last one held back
/// until the whole is known to hash to `commitment` and to be `size` bytes; if not, the answer
/// ends with an error instead (short of its `Content-Length`). `slot` is held until the answer
/// ends, or for as long as an answer at [`MIN_RATE`] would take.
fn checked(
	chunks: futures::stream::BoxStream<'static, std::io::Result<Bytes>>,
	commitment: H256,
	size: u64,
	record: u64,
	slot: Option<Slot>,
) -> impl futures::Stream<Item = Result<Frame<Bytes>, BoxError>> + Send + 'static {
	struct State {
		chunks: futures::stream::BoxStream<'static, std::io::Result<Bytes>>,
		held: Option<Bytes>,
		hash: Sha256,
		len: u64,
		done: bool,
		/// When the answer is too slow to go on.
		deadline: tokio::time::Instant,
		/// The transfer's place among those under way, given back when the answer ends or
		/// at the deadline, whichever is first.
		slot: Arc<Mutex<Option<Slot>>>,
	}
	impl Drop for State {
		fn drop(&mut self) {
			if let Ok(mut slot) = self.slot.lock() {
				slot.take();
			}
		}
	}
	let allowed = Duration::from_secs(size / MIN_RATE) + IDLE;
	let slot = Arc::new(Mutex::new(slot));
	// A client that stops reading stops the stream from being polled: the place is given
	// back by the clock.
	let released = Arc::downgrade(&slot);
	tokio::spawn(async move {
		tokio::time::sleep(allowed).await;
		if let Some(slot) = released.upgrade() {
			if let Ok(mut slot) = slot.lock() {
				slot.take();
			}
		}
	});
	let deadline = tokio::time::Instant::now() + allowed;
	let state =
		State { chunks, held: None, hash: Sha256::new(), len: 0, done: false, deadline, slot };
	futures::stream::unfold(state, move |mut st| async move {
		if st.done {
			return None;
		}
		if tokio::time::Instant::now() > st.deadline {
			st.done = true;
			log(format!("record {record}: the answer took too long; cut short"));
			return Some((Err("the answer took too long".into()), st));
		}
		loop {
			match st.chunks.next().await {
				Some(Ok(chunk)) => {
					if chunk.is_empty() {
						continue;
					}
					st.hash.update(&chunk);
					st.len = st.len.saturating_add(chunk.len() as u64);
					if let Some(out) = st.held.replace(chunk) {
						return Some((Ok(Frame::data(out)), st));
					}
				},
				Some(Err(e)) => {
					st.done = true;
					log(format!("record {record}: reading the stored document: {e}"));
					return Some((Err(e.into()), st));
				},
				None => {
					st.done = true;
					let digest: [u8; 32] = st.hash.clone().finalize().into();
					if digest != commitment.0 || st.len != size {
						log(format!(
							"record {record}: stored bytes do not match the commitment; the \
							 answer was cut short"
						));
						return Some((Err("stored bytes do not match the commitment".into()), st));
					}
					return st.held.take().map(|last| (Ok(Frame::data(last)), st));
				},
			}
		}
	})
}

/// A JSON answer.
fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> HttpResponse {
	let bytes = serde_json::to_vec(body).unwrap_or_default();
	let mut response = HttpResponse::new(HttpBody::from(bytes));
	*response.status_mut() = status;
	response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
	response
}

/// A plain-text answer (a request that is not one of the routes').
fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
	let mut response = HttpResponse::new(HttpBody::from(text));
	*response.status_mut() = status;
	response
}

/// The answer of a refusal: its status, its `Ehr-Refusal` header and a [`Refused`] body.
fn refusal(e: Refuse, logged: Option<H256>) -> HttpResponse {
	let Refuse(r, message) = e;
	let status = StatusCode::from_u16(r.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
	let mut response = json(status, &Refused { refusal: r, message, logged });
	if let Ok(name) = HeaderValue::from_str(&format!("{r:?}")) {
		response.headers_mut().insert(REFUSAL_HEADER, name);
	}
	response
}

impl Gateway {
	/// `PUT /v1/documents`: checks the signed request in the headers as `gateway_store` does,
	/// then reads the body into an upload nobody sees while hashing it, and publishes it only
	/// if it is the signed size and hashes to the signed commitment.
	async fn store_streamed(&self, request: HttpRequest<Incoming>) -> Result<Stored, Refuse> {
		let signed = signed_request(&request)?;
		let req = self.check_store(&signed, self.max_document_size).await?;
		let cid = self.check_store_cid(&req).await?;
		let _slot = self.transfers.take(&req.uploader)?;
		let mismatch = || {
			refuse(Refusal::CidMismatch, "the bytes do not match the signed commitment and size")
		};
		let length = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok());
		if let Some(length) = length {
			if length.parse::<u64>().ok() != Some(req.size) {
				return Err(mismatch());
			}
		}
		// Only now is the body read (and, for a client that waits for it, `100 Continue` sent).
		let mut body = request.into_body();
		let mut upload = self.store.begin(&cid).await.map_err(internal)?;
		let (mut hash, mut len) = (Sha256::new(), 0u64);
		let read = loop {
			let frame = match tokio::time::timeout(IDLE, body.frame()).await {
				Ok(frame) => frame,
				Err(_) => break Err(refuse(Refusal::Malformed, "the body stalled")),
			};
			let chunk = match frame {
				None => break Ok(()),
				Some(Err(e)) => break Err(refuse(Refusal::Malformed, format!("the body: {e}"))),
				Some(Ok(frame)) => match frame.into_data() {
					Ok(chunk) => chunk,
					// Trailers carry nothing the gateway reads.
					Err(_) => continue,
				},
			};
			len = len.saturating_add(chunk.len() as u64);
			if len > req.size {
				break Err(mismatch());
			}
			hash.update(&chunk);
			if let Err(e) = upload.write(chunk).await {
				break Err(internal(e));
			}
		};
		let digest: [u8; 32] = hash.finalize().into();
		let read = read.and_then(|()| {
			if len == req.size && H256(digest) == req.commitment {
				Ok(())
			} else {
				Err(mismatch())
			}
		});
		if let Err(e) = read {
			if let Err(abort) = upload.abort().await {
				log(format!("dropping a refused upload: {abort}"));
			}
			return Err(e);
		}
		let put =
			self.store.finish(upload, &req.wrapped_key, &req.uploader).await.map_err(internal)?;
		self.stored(&req, &cid, put)
	}
}

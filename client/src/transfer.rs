//! Documents of any size to and from a gateway's streamed routes ([`DOCUMENTS_PATH`]), a chunk
//! at a time from and to files: a multi-GiB imaging study never sits whole in memory.
//!
//! An upload sends its signed request in headers with `Expect: 100-continue` and sends the body
//! only once the gateway has checked everything it can without it (`100 Continue`); a refusal
//! before that costs no upload. A fetch writes the sealed bytes to a file as they arrive,
//! hashing them, and checks them against the record on chain before anything is decrypted.

use std::{
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
	time::Duration,
};

use bytes::{Bytes, BytesMut};
use codec::Decode;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, StreamBody};
use hyper::{
	body::Frame,
	header::{HeaderValue, CONTENT_LENGTH, EXPECT},
	Method, Request, StatusCode,
};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use sha2::{Digest, Sha256};
use sp_core::H256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
	document::{self, SealedStream},
	gateway::{
		check_custodian, custodian_of, new_nonce, request_hash as request_hash_of, FetchedError,
		Gateway, Record, Refused, SignedRequest, Stored, Trust, CID_HEADER, DOCUMENTS_PATH,
		LOGGED_HEADER, RECORD_HEADER, REQUEST_HASH_HEADER, REQUEST_HEADER, SIGNATURE_HEADER,
		WRAPPED_KEY_HEADER,
	},
	keys::{self, EncryptionSecret, WrappedKey},
	Rpc, Signer,
};
use pallet_access_log::Purpose;
use pallet_hospital_registry::{EncryptionKey, HospitalId};
use pallet_patient_records::RecordId;

/// How much of a file an upload reads and sends at a time.
const CHUNK: usize = 1024 * 1024;

/// How long an upload waits for the gateway's `100 Continue` (or its refusal) before it sends
/// the body anyway, for a server on the way that does not pass `Expect` on.
const CONTINUE_WAIT: Duration = Duration::from_secs(10);

/// How long a transfer waits for an answer's head, or for the next chunk of its body.
const IDLE: Duration = Duration::from_secs(60);

/// Largest JSON answer read (a refusal, or what an upload stored).
const MAX_ANSWER: usize = 64 * 1024;

type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// The HTTP client of a [`Gateway`]'s streamed routes.
#[derive(Clone)]
pub(crate) struct Transfers {
	client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>,
}

impl Transfers {
	/// A client that checks an `https://` gateway against `trust`.
	pub(crate) fn new(trust: &Trust) -> crate::Result<Transfers> {
		let tls = match trust.client_config()? {
			Some(config) => config,
			None => {
				use rustls_platform_verifier::BuilderVerifierExt;
				let provider = Arc::new(rustls::crypto::ring::default_provider());
				rustls::ClientConfig::builder_with_provider(provider)
					.with_safe_default_protocol_versions()
					.map_err(|e| crate::Error::Io(std::io::Error::other(e)))?
					.with_platform_verifier()
					.with_no_client_auth()
			},
		};
		let https = hyper_rustls::HttpsConnectorBuilder::new()
			.with_tls_config(tls)
			.https_or_http()
			.enable_http1()
			.build();
		let client = Client::builder(TokioExecutor::new()).build(https);
		Ok(Transfers { client })
	}
}

/// What a streamed fetch wrote to its file, and the facts its answer carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedFile {
	/// The record.
	pub record: RecordId,
	/// CIDv1 of the sealed bytes (base32), as the gateway named it.
	pub cid: String,
	/// The data key wrapped to the requester for this CID: `0x` hex of SCALE([`WrappedKey`]).
	pub wrapped_key: String,
	/// Names the entry the gateway queued to log this read ([`crate::gateway::Fetched::logged`]).
	pub logged: H256,
	/// The hash of the signed request served ([`crate::gateway::Fetched::request`]).
	pub request: H256,
	/// How many sealed bytes were written.
	pub size: u64,
	/// SHA2-256 of the sealed bytes written.
	pub digest: H256,
}

fn io_error(e: impl std::fmt::Display) -> crate::Error {
	crate::Error::Io(std::io::Error::other(e.to_string()))
}

fn header(value: &str) -> crate::Result<HeaderValue> {
	HeaderValue::from_str(value).map_err(io_error)
}

/// The refusal in a streamed route's error answer, or an error that says what came back.
async fn refusal(status: StatusCode, body: hyper::body::Incoming) -> crate::Error {
	let bytes = match small_body(body).await {
		Ok(b) => b,
		Err(e) => return io_error(format!("gateway answered {status}, then: {e}")),
	};
	match serde_json::from_slice::<Refused>(&bytes) {
		Ok(refused) => crate::Error::Refused(refused),
		Err(_) => io_error(format!(
			"gateway answered {status}: {}",
			String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
		)),
	}
}

/// A small answer's body whole: at most [`MAX_ANSWER`] bytes, each chunk within [`IDLE`].
async fn small_body(body: hyper::body::Incoming) -> crate::Result<Bytes> {
	let limited = http_body_util::Limited::new(body, MAX_ANSWER);
	match tokio::time::timeout(IDLE, limited.collect()).await {
		Ok(Ok(collected)) => Ok(collected.to_bytes()),
		Ok(Err(e)) => Err(io_error(e)),
		Err(_) => Err(crate::Error::Timeout("the gateway's answer stalled".into())),
	}
}

/// How many chunks a piped transfer holds between the network and its sealing or opening
/// thread.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Writes into a channel, [`CHUNK`] at a time, from a blocking thread.
struct ChannelWriter {
	tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
	pending: BytesMut,
}

impl ChannelWriter {
	fn send(&mut self) -> std::io::Result<()> {
		let chunk = std::mem::take(&mut self.pending).freeze();
		self.tx
			.blocking_send(Ok(chunk))
			.map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the transfer ended"))
	}

	/// Sends what is left.
	fn end(&mut self) -> std::io::Result<()> {
		if self.pending.is_empty() {
			Ok(())
		} else {
			self.send()
		}
	}
}

impl std::io::Write for ChannelWriter {
	fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
		self.pending.extend_from_slice(buf);
		if self.pending.len() >= CHUNK {
			self.send()?;
		}
		Ok(buf.len())
	}

	fn flush(&mut self) -> std::io::Result<()> {
		Ok(())
	}
}

/// Reads from a channel, on a blocking thread: the end of the channel is the end of the input.
struct ChannelReader {
	rx: tokio::sync::mpsc::Receiver<Bytes>,
	current: Bytes,
}

impl std::io::Read for ChannelReader {
	fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
		while self.current.is_empty() {
			match self.rx.blocking_recv() {
				Some(chunk) => self.current = chunk,
				None => return Ok(0),
			}
		}
		let n = buf.len().min(self.current.len());
		buf[..n].copy_from_slice(&self.current.split_to(n));
		Ok(n)
	}
}

/// What a channel gives, once `go` says so (or after [`CONTINUE_WAIT`]).
fn channel_body(
	rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
	go: tokio::sync::oneshot::Receiver<()>,
) -> Body {
	let chunks = futures::stream::unfold((rx, Some(go)), |(mut rx, go)| async move {
		if let Some(go) = go {
			let _ = tokio::time::timeout(CONTINUE_WAIT, go).await;
		}
		let next = rx.recv().await?;
		Some((next.map(Frame::data), (rx, None)))
	});
	UnsyncBoxBody::new(StreamBody::new(chunks))
}

/// A file's bytes from its start, [`CHUNK`] at a time, once `go` says so (or after
/// [`CONTINUE_WAIT`]).
fn file_body(file: tokio::fs::File, go: tokio::sync::oneshot::Receiver<()>) -> Body {
	let chunks = futures::stream::try_unfold((file, Some(go)), |(mut file, go)| async move {
		if let Some(go) = go {
			let _ = tokio::time::timeout(CONTINUE_WAIT, go).await;
		}
		let mut chunk = BytesMut::with_capacity(CHUNK);
		while chunk.len() < CHUNK {
			if file.read_buf(&mut chunk).await? == 0 {
				break;
			}
		}
		if chunk.is_empty() {
			return Ok(None);
		}
		Ok(Some((Frame::data(chunk.freeze()), (file, None))))
	});
	UnsyncBoxBody::new(StreamBody::new(chunks))
}

fn url_of(gateway: &Gateway, path: &str) -> String {
	format!("{}{path}", gateway.url().trim_end_matches('/'))
}

impl Gateway {
	/// Uploads the sealed file at `path` (sealed by [`document::seal_stream`] into `sealed`)
	/// through the streamed route, signed by `uploader` (a staff account of the gateway's
	/// hospital), with the data key wrapped to `custodian_key` (check it against the registry
	/// first, as [`upload_file`] does). The file is read once, a chunk at a time.
	pub async fn store_file(
		&self,
		uploader: &Signer,
		hospital: HospitalId,
		custodian_key: &EncryptionKey,
		path: &Path,
		sealed: &SealedStream,
	) -> crate::Result<Stored> {
		let (key, commitment, size) = (&sealed.key, sealed.commitment, sealed.size);
		let signed = self.sign_store(uploader, hospital, custodian_key, key, commitment, size)?;
		self.store_file_signed(&signed, path, size).await
	}

	/// `PUT /v1/documents` of the `size` bytes of the file at `path` with a request signed
	/// elsewhere.
	pub async fn store_file_signed(
		&self,
		signed: &SignedRequest,
		path: &Path,
		size: u64,
	) -> crate::Result<Stored> {
		let file = tokio::fs::File::open(path)
			.await
			.map_err(|e| io_error(format!("{}: {e}", path.display())))?;
		self.put_document(signed, size, |wait| file_body(file, wait)).await
	}

	/// `PUT /v1/documents` of the document `precommitted` from the plaintext at `plaintext`,
	/// sealed again as it is sent ([`document::reseal_stream`]): no sealed copy on disk.
	pub async fn store_resealed(
		&self,
		signed: &SignedRequest,
		plaintext: &Path,
		precommitted: &document::Precommitted,
	) -> crate::Result<Stored> {
		let file = std::fs::File::open(plaintext)
			.map_err(|e| io_error(format!("{}: {e}", plaintext.display())))?;
		let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
		let pre = precommitted.clone();
		// Sealed on a thread of its own into the channel; the body takes from it once the gateway
		// says `100 Continue`. A refused upload drops the body, and the sealing stops.
		let sealer = tokio::task::spawn_blocking(move || {
			let mut out = ChannelWriter { tx: tx.clone(), pending: BytesMut::new() };
			let reader = std::io::BufReader::with_capacity(CHUNK, file);
			let sealed = document::reseal_stream(&pre, reader, &mut out).and_then(|()| out.end());
			if let Err(e) = &sealed {
				// The body ends in an error, never as a whole document.
				let _ = tx.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
			}
			sealed
		});
		let size = precommitted.sealed.size;
		let stored = self.put_document(signed, size, |wait| channel_body(rx, wait)).await;
		// A failed sealing (the file changed) says why the upload broke off. A refused upload
		// does not wait for the sealing: it stops once the body is dropped.
		if stored.is_err() && sealer.is_finished() {
			if let Ok(Err(e)) = sealer.await {
				return Err(crate::Error::Io(e));
			}
		}
		stored
	}

	/// `PUT /v1/documents` of the `size` bytes that `body` makes (given the signal of the
	/// gateway's `100 Continue`).
	async fn put_document(
		&self,
		signed: &SignedRequest,
		size: u64,
		body: impl FnOnce(tokio::sync::oneshot::Receiver<()>) -> Body,
	) -> crate::Result<Stored> {
		let (go, wait) = tokio::sync::oneshot::channel();
		let mut request = Request::builder()
			.method(Method::PUT)
			.uri(url_of(self, DOCUMENTS_PATH))
			.header(REQUEST_HEADER, header(&signed.request)?)
			.header(SIGNATURE_HEADER, header(&signed.signature)?)
			.header(CONTENT_LENGTH, size)
			.header(EXPECT, "100-continue")
			.body(body(wait))
			.map_err(io_error)?;
		// The body goes once the gateway says `100 Continue`.
		let go = Mutex::new(Some(go));
		hyper::ext::on_informational(&mut request, move |response| {
			if response.status() == StatusCode::CONTINUE {
				if let Some(go) = go.lock().ok().and_then(|mut g| g.take()) {
					let _ = go.send(());
				}
			}
		});
		let response = self.transfers.client.request(request).await.map_err(io_error)?;
		let (parts, body) = response.into_parts();
		if parts.status != StatusCode::OK {
			return Err(refusal(parts.status, body).await);
		}
		let bytes = small_body(body).await?;
		serde_json::from_slice(&bytes).map_err(|e| crate::Error::Decode(format!("stored: {e}")))
	}

	/// Asks for `record`'s document as `requester` through the streamed route, valid for
	/// `ttl_ms`, and writes the sealed bytes to `out` (created new; removed again if the
	/// transfer breaks). With `size` (the record's, from the chain), an answer of another size is
	/// refused before a byte is written. Check the bytes against the record before use
	/// ([`open_fetched_file`]).
	#[allow(clippy::too_many_arguments)]
	pub async fn fetch_to_file(
		&self,
		requester: &Signer,
		hospital: HospitalId,
		record: RecordId,
		purpose: Purpose,
		ttl_ms: u64,
		out: &Path,
		size: Option<u64>,
	) -> crate::Result<FetchedFile> {
		let signed = self.sign_fetch(requester, hospital, record, purpose, ttl_ms);
		self.fetch_to_file_signed(&signed, record, out, size).await
	}

	/// `GET /v1/documents/<record>` with a request signed elsewhere, into `out` (as
	/// [`Gateway::fetch_to_file`]). The answer must name `record` and the hash of `signed`.
	pub async fn fetch_to_file_signed(
		&self,
		signed: &SignedRequest,
		record: RecordId,
		out: &Path,
		size: Option<u64>,
	) -> crate::Result<FetchedFile> {
		let (head, mut body, limit) = self.fetch_head(signed, record, size).await?;
		let mut file = create_new(out).await?;
		let written = async {
			let (mut hash, mut n) = (Sha256::new(), 0u64);
			while let Some(chunk) = next_chunk(&mut body, &mut n, limit).await? {
				hash.update(&chunk);
				file.write_all(&chunk).await?;
			}
			file.flush().await?;
			file.sync_all().await?;
			let digest: [u8; 32] = hash.finalize().into();
			crate::Result::Ok((n, H256(digest)))
		}
		.await;
		let (n, digest) = match written {
			Ok(w) => w,
			Err(e) => {
				let _ = tokio::fs::remove_file(out).await;
				return Err(e);
			},
		};
		Ok(head.into_fetched(n, digest))
	}

	/// Sends the streamed fetch `signed` of `record` and checks the answer's head: a refusal is
	/// the error; else the facts of its headers (which must name `record` and the hash of
	/// `signed`, and with `size` announce that many bytes), its body, and the most bytes the
	/// body may hold.
	async fn fetch_head(
		&self,
		signed: &SignedRequest,
		record: RecordId,
		size: Option<u64>,
	) -> crate::Result<(Head, hyper::body::Incoming, Option<u64>)> {
		let request = Request::builder()
			.method(Method::GET)
			.uri(url_of(self, &format!("{DOCUMENTS_PATH}/{record}")))
			.header(REQUEST_HEADER, header(&signed.request)?)
			.header(SIGNATURE_HEADER, header(&signed.signature)?)
			.body(UnsyncBoxBody::new(http_body_util::Empty::new().map_err(|e| match e {})))
			.map_err(io_error)?;
		let response = tokio::time::timeout(IDLE, self.transfers.client.request(request))
			.await
			.map_err(|_| crate::Error::Timeout("the gateway did not answer".into()))?
			.map_err(io_error)?;
		let (parts, body) = response.into_parts();
		if parts.status != StatusCode::OK {
			return Err(refusal(parts.status, body).await);
		}
		let text = |name: &str| {
			parts
				.headers
				.get(name)
				.and_then(|v| v.to_str().ok())
				.map(str::to_string)
				.ok_or_else(|| crate::Error::Decode(format!("the answer has no {name} header")))
		};
		let hash_of = |name: &str| -> crate::Result<H256> {
			let t = text(name)?;
			let b = hex::decode(t.trim_start_matches("0x"))
				.ok()
				.filter(|b| b.len() == 32)
				.ok_or_else(|| crate::Error::Decode(format!("{name} is not a 32-byte hash")))?;
			Ok(H256::from_slice(&b))
		};
		let answered: RecordId = text(RECORD_HEADER)?
			.parse()
			.map_err(|_| crate::Error::Decode(format!("{RECORD_HEADER} is not a record id")))?;
		let head = Head {
			record: answered,
			cid: text(CID_HEADER)?,
			wrapped_key: text(WRAPPED_KEY_HEADER)?,
			logged: hash_of(LOGGED_HEADER)?,
			request: hash_of(REQUEST_HASH_HEADER)?,
		};
		// The answer is the one asked for: this record, this request, the record's size.
		if head.record != record || Some(head.request) != request_hash_of(signed) {
			return Err(crate::Error::Decode(format!(
				"the gateway answered record {} (request {:?}) to a request for record {record}",
				head.record, head.request
			)));
		}
		let length: Option<u64> = text(CONTENT_LENGTH.as_str()).ok().and_then(|l| l.parse().ok());
		if let (Some(want), Some(got)) = (size, length) {
			if want != got {
				return Err(FetchedError::CidMismatch.into());
			}
		}
		Ok((head, body, size.or(length)))
	}
}

/// The next chunk of a streamed fetch's `body` (`None` at its end), counted into `n`: an error
/// when it does not come within [`IDLE`], or when the body goes past `limit` bytes (the
/// record's, or the announced, size).
async fn next_chunk(
	body: &mut hyper::body::Incoming,
	n: &mut u64,
	limit: Option<u64>,
) -> crate::Result<Option<Bytes>> {
	loop {
		let frame = tokio::time::timeout(IDLE, body.frame())
			.await
			.map_err(|_| crate::Error::Timeout("the transfer stalled".into()))?;
		let Some(frame) = frame else { return Ok(None) };
		// Trailers carry nothing the client reads.
		let Ok(chunk) = frame.map_err(io_error)?.into_data() else { continue };
		*n += chunk.len() as u64;
		if limit.is_some_and(|limit| *n > limit) {
			return Err(FetchedError::CidMismatch.into());
		}
		return Ok(Some(chunk));
	}
}

/// The facts in the headers of a streamed fetch's answer.
struct Head {
	record: RecordId,
	cid: String,
	wrapped_key: String,
	logged: H256,
	request: H256,
}

impl Head {
	/// What a fetch of `size` sealed bytes hashing to `digest` under this head answers.
	fn into_fetched(self, size: u64, digest: H256) -> FetchedFile {
		let Head { record, cid, wrapped_key, logged, request } = self;
		FetchedFile { record, cid, wrapped_key, logged, request, size, digest }
	}
}

/// Creates `path` new (never through a link or over a file left there), mode 0600.
async fn create_new(path: &Path) -> crate::Result<tokio::fs::File> {
	tokio::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(path)
		.await
		.map_err(|e| io_error(format!("{}: {e}", path.display())))
}

/// A new file name beside `path` (same folder, so a rename into place stays on one file
/// system), ending in `what`.
fn beside(path: &Path, what: &str) -> PathBuf {
	let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
	let salt = hex::encode(&new_nonce()[..6]);
	path.with_file_name(format!(".{name}.{salt}.{what}"))
}

/// Seals the file at `plaintext` a chunk at a time into `sealed_out` (created new, mode 0600),
/// on a blocking thread; removes `sealed_out` again if sealing fails.
pub async fn seal_file(plaintext: &Path, sealed_out: &Path) -> crate::Result<SealedStream> {
	let (input, output) = (plaintext.to_path_buf(), sealed_out.to_path_buf());
	let sealed = tokio::task::spawn_blocking(move || -> std::io::Result<SealedStream> {
		use std::os::unix::fs::OpenOptionsExt;
		let shown = |p: &Path, e: std::io::Error| {
			std::io::Error::new(e.kind(), format!("{}: {e}", p.display()))
		};
		let reader = std::fs::File::open(&input).map_err(|e| shown(&input, e))?;
		let file = std::fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(&output)
			.map_err(|e| shown(&output, e))?;
		let sealed = document::seal_stream(
			std::io::BufReader::with_capacity(CHUNK, reader),
			std::io::BufWriter::with_capacity(CHUNK, &file),
		)
		.and_then(|s| file.sync_all().map(|()| s));
		if sealed.is_err() {
			let _ = std::fs::remove_file(&output);
		}
		sealed
	})
	.await
	.map_err(io_error)?;
	sealed.map_err(crate::Error::Io)
}

/// Seals the file at `plaintext` and uploads it through the streamed route to the gateway of
/// `uploader`'s hospital, after the checks of [`crate::gateway::upload`] (the account the
/// gateway names is an active `Gateway` of the uploader's hospital, with the key it
/// announces). The plaintext is read twice, a chunk at a time: once to learn the commitment the
/// request signs ([`document::precommit_stream`]), once to seal it again as it is sent; no
/// sealed copy is written anywhere. The file must not change meanwhile.
pub async fn upload_file(
	rpc: &Rpc,
	gateway: &Gateway,
	uploader: &Signer,
	plaintext: &Path,
) -> crate::Result<(SealedStream, Stored)> {
	let (info, custodian_key) = check_custodian(rpc, gateway, uploader).await?;
	let path = plaintext.to_path_buf();
	let precommitted = tokio::task::spawn_blocking(move || {
		let file = std::fs::File::open(&path)
			.map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
		document::precommit_stream(std::io::BufReader::with_capacity(CHUNK, file))
	})
	.await
	.map_err(io_error)??;
	let sealed = &precommitted.sealed;
	let signed = gateway.sign_store(
		uploader,
		info.hospital,
		&custodian_key,
		&sealed.key,
		sealed.commitment,
		sealed.size,
	)?;
	let stored = gateway.store_resealed(&signed, plaintext, &precommitted).await?;
	Ok((precommitted.sealed, stored))
}

/// Creates `out`'s opened plaintext under a temporary name beside it (created new, mode 0600),
/// written by `write`, and renames it into place only if `write` succeeds; on a failure
/// nothing is left. On a blocking thread.
fn write_opened(
	out: &Path,
	write: impl FnOnce(&std::fs::File) -> crate::Result<u64>,
) -> crate::Result<u64> {
	use std::os::unix::fs::OpenOptionsExt;
	let partial = beside(out, "partial");
	let file =
		std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&partial)?;
	let done = write(&file).and_then(|n| {
		file.sync_all()?;
		std::fs::rename(&partial, out)?;
		Ok(n)
	});
	if done.is_err() {
		let _ = std::fs::remove_file(&partial);
	}
	done
}

/// Checks the sealed file a streamed fetch wrote against `record` (read from the chain: its
/// commitment and CID; never the gateway's word), unwraps its key with `secret` and decrypts
/// it a chunk at a time into `out` (created new, mode 0600, under a temporary name renamed
/// into place only once the whole opened and matched): the plaintext's length.
pub async fn open_fetched_file(
	fetched: &FetchedFile,
	sealed: &Path,
	record: &Record,
	secret: &EncryptionSecret,
	out: &Path,
) -> crate::Result<u64> {
	let cid = pallet_patient_records::cid::raw_sha2_256(&fetched.digest.0);
	if fetched.digest != record.content.commitment || cid[..] != record.content.cid[..] {
		return Err(FetchedError::CidMismatch.into());
	}
	let key = unwrap_fetched(&fetched.wrapped_key, secret, &cid)?;
	let (scheme, commitment) = (record.content.scheme, record.content.commitment);
	let (input, output) = (sealed.to_path_buf(), out.to_path_buf());
	tokio::task::spawn_blocking(move || {
		write_opened(&output, |file| {
			let reader = std::fs::File::open(&input)?;
			match scheme {
				pallet_patient_records::EncryptionScheme::ChaCha20Poly1305Stream => {
					document::open_stream(
						std::io::BufReader::with_capacity(CHUNK, reader),
						std::io::BufWriter::with_capacity(CHUNK, file),
						&key,
						commitment,
					)
					.map_err(|e| crate::Error::Fetched(FetchedError::Open(e)))
				},
				// The one-message schemes are opened whole (they were sealed whole).
				other => {
					let bytes = std::fs::read(&input)?;
					let plain = document::open(other, &bytes, &key, commitment)
						.map_err(|e| crate::Error::Fetched(FetchedError::Open(e)))?;
					use std::io::Write;
					let mut file = file;
					file.write_all(&plain)?;
					Ok(plain.len() as u64)
				},
			}
		})
	})
	.await
	.map_err(io_error)?
}

/// Fetches `record`'s document from its custodian's gateway through the streamed route as
/// `requester`, checks it against the record at the finalized block and decrypts it into `out`
/// (as [`crate::gateway::fetch_document`] does in memory): the plaintext's length and what the
/// gateway answered. The sealed bytes pass through a temporary file beside `out`, removed at
/// the end.
pub async fn fetch_document_to_file(
	rpc: &Rpc,
	requester: &Signer,
	secret: &EncryptionSecret,
	record: RecordId,
	purpose: Purpose,
	out: &Path,
) -> crate::Result<(u64, FetchedFile)> {
	let (rec, custodian, gateway) = custodian_of(rpc, record).await?;
	let size = Some(rec.content.size);
	if rec.content.scheme != pallet_patient_records::EncryptionScheme::ChaCha20Poly1305Stream {
		// A document sealed as one message opens only whole: through a file.
		let sealed = beside(out, "sealed");
		let result = async {
			let fetched = gateway
				.fetch_to_file(requester, custodian, record, purpose, 60_000, &sealed, size)
				.await?;
			let n = open_fetched_file(&fetched, &sealed, &rec, secret, out).await?;
			Ok((n, fetched))
		}
		.await;
		let _ = tokio::fs::remove_file(&sealed).await;
		return result;
	}
	// A streamed document is opened as it arrives, a chunk at a time; nothing is left at `out`
	// unless every chunk opened and the whole matched the record's commitment.
	let signed = gateway.sign_fetch(requester, custodian, record, purpose, 60_000);
	let (head, mut body, limit) = gateway.fetch_head(&signed, record, size).await?;
	let cid = pallet_patient_records::cid::raw_sha2_256(&rec.content.commitment.0);
	if cid[..] != rec.content.cid[..] {
		return Err(FetchedError::CidMismatch.into());
	}
	let key = unwrap_fetched(&head.wrapped_key, secret, &cid)?;
	let commitment = rec.content.commitment;
	let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
	let output = out.to_path_buf();
	let opener = tokio::task::spawn_blocking(move || {
		write_opened(&output, |file| {
			let reader = ChannelReader { rx, current: Bytes::new() };
			document::open_stream(
				reader,
				std::io::BufWriter::with_capacity(CHUNK, file),
				&key,
				commitment,
			)
			.map_err(|e| crate::Error::Fetched(FetchedError::Open(e)))
		})
	});
	let received = async {
		let mut n = 0u64;
		while let Some(chunk) = next_chunk(&mut body, &mut n, limit).await? {
			// The opener stopped (a chunk did not open): its error says why.
			if tx.send(chunk).await.is_err() {
				break;
			}
		}
		crate::Result::Ok(n)
	}
	.await;
	drop(tx);
	let opened = opener.await.map_err(io_error)?;
	let n = received?;
	let plain = opened?;
	let fetched = head.into_fetched(n, commitment);
	Ok((plain, fetched))
}

/// The data key of a fetched document: `wrapped` (`0x` hex of SCALE([`WrappedKey`])) opened
/// with `secret` for `cid`.
fn unwrap_fetched(wrapped: &str, secret: &EncryptionSecret, cid: &[u8]) -> crate::Result<[u8; 32]> {
	let wrapped = hex::decode(wrapped.trim_start_matches("0x"))
		.ok()
		.and_then(|b| WrappedKey::decode(&mut &b[..]).ok())
		.ok_or(FetchedError::Malformed("wrappedKey is not a wrapped key"))?;
	Ok(keys::unwrap(secret, &wrapped, cid).map_err(FetchedError::from)?)
}

//! Where a gateway keeps the objects of its store: a local directory (the default) or a bucket of
//! S3-compatible object storage. [`crate::store::Store`] sees only the [`Objects`] trait.
//!
//! Object names are `/`-separated paths of lower-case hex and decimal segments
//! (`documents/<cid hex>`, `requests/<patient hex>/<hash hex>`, `erased/<record>`), the same in
//! both back ends, so a hospital can copy a directory into a bucket as it is.
//!
//! Both back ends give the store what it relies on:
//! - **write-once**: [`Objects::create`] stores an object only if none is there, atomically
//!   (a hard link of a synced temporary file; an S3 `PUT` with `If-None-Match: *`);
//! - **atomic for readers**: a reader sees a whole object or none (a rename; S3 makes an object
//!   visible only once its upload completed);
//! - **durable**: an object written is on disk (synced file and directory) or acknowledged by
//!   the storage service before the call returns.
//!
//! Large objects (a sealed imaging study of several GiB) are written and read a chunk at a time:
//! [`Objects::upload`] gives an [`Upload`] that nobody sees until [`Upload::commit`] (a temporary
//! file renamed into place; an S3 multipart upload completed), so the caller can check the
//! whole before it is published, and [`Objects::read`] gives the object as a stream of chunks.

use std::{
	fs,
	io::{self, Write},
	path::{Path, PathBuf},
	sync::atomic::{AtomicU64, Ordering},
	time::Duration,
};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::{stream::BoxStream, StreamExt};
use object_store::{
	aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey},
	path::Path as ObjectPath,
	ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
	WriteMultipart,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How much of an object a read yields at a time.
pub const READ_CHUNK: usize = 1024 * 1024;

/// The size of the parts of an S3 multipart upload (S3 takes 5 MiB at least, but for the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// How many parts of one upload are sent to S3 at once: with [`PART_SIZE`], an upload holds at
/// most `(PARTS_IN_FLIGHT + 1) * PART_SIZE` bytes in memory.
pub const PARTS_IN_FLIGHT: usize = 3;

/// An object being written, seen by nobody until [`Upload::commit`]. Dropped without a commit,
/// it leaves nothing a reader sees (its temporary file is removed, its S3 multipart upload
/// aborted).
#[async_trait]
pub trait Upload: Send {
	/// Appends `bytes`.
	async fn write(&mut self, bytes: Bytes) -> io::Result<()>;
	/// Publishes what was written under the upload's name, replacing what is there; durable
	/// when it returns.
	async fn commit(self: Box<Self>) -> io::Result<()>;
	/// Drops what was written.
	async fn abort(self: Box<Self>) -> io::Result<()>;
}

/// An object read a chunk at a time.
pub struct Reading {
	/// Its length in bytes.
	pub size: u64,
	/// Its bytes, in order, at most [`READ_CHUNK`] at a time (S3 chunks as the service sends
	/// them).
	pub chunks: BoxStream<'static, io::Result<Bytes>>,
}

impl Reading {
	/// The whole object in memory (for one known to be small): at most `size` bytes are kept,
	/// and an object that turns out longer is an error.
	pub async fn into_bytes(mut self) -> io::Result<Vec<u8>> {
		let mut all = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
		while let Some(chunk) = self.chunks.next().await {
			let chunk = chunk?;
			if (all.len() + chunk.len()) as u64 > self.size {
				return Err(io::Error::new(io::ErrorKind::InvalidData, "longer than announced"));
			}
			all.extend_from_slice(&chunk);
		}
		Ok(all)
	}
}

/// A store of named, immutable-once-created objects.
#[async_trait]
pub trait Objects: Send + Sync {
	/// Stores `bytes` under `name` unless an object is there already: `true` if it stored them,
	/// `false` if `name` was taken (the object there is left as it was).
	async fn create(&self, name: &str, bytes: Vec<u8>) -> io::Result<bool>;
	/// Stores `bytes` under `name`, replacing what is there.
	async fn put(&self, name: &str, bytes: Vec<u8>) -> io::Result<()>;
	/// The object under `name`, if there is one.
	async fn get(&self, name: &str) -> io::Result<Option<Vec<u8>>>;
	/// Whether an object is under `name`.
	async fn exists(&self, name: &str) -> io::Result<bool>;
	/// Removes the object under `name`: `true` if there was one.
	async fn delete(&self, name: &str) -> io::Result<bool>;
	/// Removes the object under `name` if there is one, without asking first (one request on
	/// S3, where [`Objects::delete`] takes two).
	async fn remove(&self, name: &str) -> io::Result<()>;
	/// The last segments of the names of the objects directly under the folder `prefix`, in no
	/// particular order.
	async fn list(&self, prefix: &str) -> io::Result<Vec<String>>;
	/// The last segments of the folders directly under the folder `prefix`, in no particular
	/// order.
	async fn folders(&self, prefix: &str) -> io::Result<Vec<String>>;
	/// Starts writing an object under `name`, to replace what is there once committed.
	async fn upload(&self, name: &str) -> io::Result<Box<dyn Upload>>;
	/// The object under `name`, a chunk at a time, if there is one.
	async fn read(&self, name: &str) -> io::Result<Option<Reading>>;
	/// Whether other processes (the hospital's other gateways) may share these objects.
	fn shared(&self) -> bool;
	/// Where the objects are, for logs and errors.
	fn describe(&self) -> String;
}

/// A random number (for names nobody else picks).
fn rand_u64() -> u64 {
	use std::hash::{BuildHasher, Hasher};
	// Each RandomState is seeded from the operating system's randomness.
	let mut h = std::collections::hash_map::RandomState::new().build_hasher();
	h.write_u64(std::process::id().into());
	h.finish()
}

/// Refuses a name that is not `/`-separated segments of `[0-9a-z]`: names are built by the
/// store from hex and numbers, so anything else is a bug, and it must never leave the folder.
fn check_name(name: &str) -> io::Result<()> {
	let ok = !name.is_empty()
		&& name.split('/').all(|s| {
			!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
		});
	if ok {
		Ok(())
	} else {
		Err(io::Error::new(io::ErrorKind::InvalidInput, format!("bad object name {name:?}")))
	}
}

/// Objects as files under a directory.
pub struct LocalDir {
	dir: PathBuf,
	/// Makes temporary file names unique within the process.
	next_tmp: AtomicU64,
}

impl LocalDir {
	/// Objects under `dir` (created if needed). Temporary files that writes cut short by a
	/// crash left in its folders are removed (no other process writes to the directory).
	pub fn open(dir: &Path) -> io::Result<LocalDir> {
		fs::create_dir_all(dir)?;
		for entry in fs::read_dir(dir)? {
			let entry = entry?;
			if entry.file_type()?.is_dir() {
				remove_tmp(&entry.path(), 2)?;
			}
		}
		Ok(LocalDir { dir: dir.to_path_buf(), next_tmp: AtomicU64::new(0) })
	}

	fn path(&self, name: &str) -> io::Result<PathBuf> {
		check_name(name)?;
		Ok(self.dir.join(name))
	}

	/// A new temporary file name beside `path` (its folder created and synced if it was
	/// missing). Temporary names start with a dot: no listing shows them.
	fn tmp_beside(&self, path: &Path) -> io::Result<PathBuf> {
		let parent = path.parent().ok_or_else(|| io::Error::other("object without a folder"))?;
		if !parent.exists() {
			fs::create_dir_all(parent)?;
			if let Some(grand) = parent.parent() {
				sync_dir(grand)?;
			}
		}
		let n = self.next_tmp.fetch_add(1, Ordering::Relaxed);
		let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("object");
		Ok(parent.join(format!(".{file_name}.{}.{n}.tmp", std::process::id())))
	}

	/// Writes `bytes` to a new synced temporary file beside `path`.
	fn write_tmp(&self, path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
		let tmp = self.tmp_beside(path)?;
		let mut f = fs::File::create(&tmp)?;
		f.write_all(bytes)?;
		f.sync_all()?;
		Ok(tmp)
	}
}

/// An upload to a directory: a temporary file beside the object, renamed into place.
struct FileUpload {
	file: Option<tokio::fs::File>,
	/// What was written and not yet given to the file: it is written [`READ_CHUNK`] at a time.
	pending: BytesMut,
	tmp: PathBuf,
	path: PathBuf,
}

#[async_trait]
impl Upload for FileUpload {
	async fn write(&mut self, bytes: Bytes) -> io::Result<()> {
		let Some(file) = &mut self.file else {
			return Err(io::Error::other("write after the upload ended"));
		};
		self.pending.extend_from_slice(&bytes);
		if self.pending.len() >= READ_CHUNK {
			file.write_all(&self.pending).await?;
			self.pending.clear();
		}
		Ok(())
	}

	async fn commit(mut self: Box<Self>) -> io::Result<()> {
		let mut file =
			self.file.take().ok_or_else(|| io::Error::other("commit after the upload ended"))?;
		let (tmp, path) = (self.tmp.clone(), self.path.clone());
		let rest = std::mem::take(&mut self.pending);
		let renamed = async {
			file.write_all(&rest).await?;
			file.flush().await?;
			file.sync_all().await?;
			drop(file);
			tokio::fs::rename(&tmp, &path).await
		}
		.await;
		if let Err(e) = renamed {
			let _ = tokio::fs::remove_file(&tmp).await;
			return Err(e);
		}
		let parent = path.parent().map(Path::to_path_buf);
		if let Some(parent) = parent {
			tokio::task::spawn_blocking(move || sync_dir(&parent))
				.await
				.map_err(io::Error::other)??;
		}
		Ok(())
	}

	async fn abort(mut self: Box<Self>) -> io::Result<()> {
		self.file = None;
		match tokio::fs::remove_file(&self.tmp).await {
			Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
			_ => Ok(()),
		}
	}
}

impl Drop for FileUpload {
	fn drop(&mut self) {
		// Neither committed nor aborted (the caller went away): the temporary file goes.
		if self.file.take().is_some() {
			let _ = fs::remove_file(&self.tmp);
		}
	}
}

/// `file`'s bytes from where it stands, [`READ_CHUNK`] at a time.
fn file_chunks(file: tokio::fs::File) -> BoxStream<'static, io::Result<Bytes>> {
	futures::stream::try_unfold(file, |mut file| async move {
		let mut chunk = BytesMut::with_capacity(READ_CHUNK);
		while chunk.len() < READ_CHUNK {
			if file.read_buf(&mut chunk).await? == 0 {
				break;
			}
		}
		Ok(if chunk.is_empty() { None } else { Some((chunk.freeze(), file)) })
	})
	.boxed()
}

impl LocalDir {
	/// The names of the files (or, with `dirs`, the folders) directly under `prefix`.
	fn entries(&self, prefix: &str, dirs: bool) -> io::Result<Vec<String>> {
		let entries = match fs::read_dir(self.path(prefix)?) {
			Ok(entries) => entries,
			Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
			Err(e) => return Err(e),
		};
		let mut names = Vec::new();
		for entry in entries {
			let entry = entry?;
			// Temporary files (a write a crash cut short) start with a dot.
			if let Some(name) = entry.file_name().to_str().filter(|n| !n.starts_with('.')) {
				if entry.file_type()?.is_dir() == dirs {
					names.push(name.to_string());
				}
			}
		}
		Ok(names)
	}
}

/// Removes the temporary files (`.<name>.<pid>.<n>.tmp`) in `dir` and its folders, `depth`
/// levels down.
fn remove_tmp(dir: &Path, depth: u32) -> io::Result<()> {
	for entry in fs::read_dir(dir)? {
		let entry = entry?;
		let name = entry.file_name();
		let name = name.to_string_lossy();
		if entry.file_type()?.is_dir() {
			if depth > 0 {
				remove_tmp(&entry.path(), depth - 1)?;
			}
		} else if name.starts_with('.') && name.ends_with(".tmp") {
			fs::remove_file(entry.path())?;
		}
	}
	Ok(())
}

fn sync_dir(dir: &Path) -> io::Result<()> {
	fs::File::open(dir)?.sync_all()
}

#[async_trait]
impl Objects for LocalDir {
	async fn create(&self, name: &str, bytes: Vec<u8>) -> io::Result<bool> {
		let path = self.path(name)?;
		let tmp = self.write_tmp(&path, &bytes)?;
		// A hard link fails if the name is taken: no reader ever sees a partial file, and of
		// two writers exactly one wins.
		let linked = fs::hard_link(&tmp, &path);
		fs::remove_file(&tmp)?;
		match linked {
			Ok(()) => {
				sync_dir(path.parent().unwrap_or(&self.dir))?;
				Ok(true)
			},
			Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
			Err(e) => Err(e),
		}
	}

	async fn put(&self, name: &str, bytes: Vec<u8>) -> io::Result<()> {
		let path = self.path(name)?;
		let tmp = self.write_tmp(&path, &bytes)?;
		fs::rename(&tmp, &path)?;
		sync_dir(path.parent().unwrap_or(&self.dir))
	}

	async fn get(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
		match fs::read(self.path(name)?) {
			Ok(bytes) => Ok(Some(bytes)),
			Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(e),
		}
	}

	async fn exists(&self, name: &str) -> io::Result<bool> {
		self.path(name)?.try_exists()
	}

	async fn delete(&self, name: &str) -> io::Result<bool> {
		let path = self.path(name)?;
		match fs::remove_file(&path) {
			Ok(()) => {
				sync_dir(path.parent().unwrap_or(&self.dir))?;
				Ok(true)
			},
			Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
			Err(e) => Err(e),
		}
	}

	async fn remove(&self, name: &str) -> io::Result<()> {
		self.delete(name).await.map(|_| ())
	}

	async fn upload(&self, name: &str) -> io::Result<Box<dyn Upload>> {
		let path = self.path(name)?;
		let tmp = self.tmp_beside(&path)?;
		let file = tokio::fs::File::create(&tmp).await?;
		Ok(Box::new(FileUpload { file: Some(file), pending: BytesMut::new(), tmp, path }))
	}

	async fn read(&self, name: &str) -> io::Result<Option<Reading>> {
		let file = match tokio::fs::File::open(self.path(name)?).await {
			Ok(file) => file,
			Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
			Err(e) => return Err(e),
		};
		let size = file.metadata().await?.len();
		Ok(Some(Reading { size, chunks: file_chunks(file) }))
	}

	async fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
		self.entries(prefix, false)
	}

	async fn folders(&self, prefix: &str) -> io::Result<Vec<String>> {
		self.entries(prefix, true)
	}

	fn shared(&self) -> bool {
		false
	}

	fn describe(&self) -> String {
		format!("directory {}", self.dir.display())
	}
}

/// Where a bucket of S3-compatible object storage is. Credentials come from the standard
/// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); so do the
/// endpoint (`AWS_ENDPOINT_URL`) and region (`AWS_REGION`) when not given here.
#[derive(Clone, Debug, Default)]
pub struct S3Config {
	/// The bucket (it must exist).
	pub bucket: String,
	/// The service's URL (`https://s3.example.org`); `None`: AWS itself, by region.
	pub endpoint: Option<String>,
	/// The region; `None`: from the environment, else `us-east-1`.
	pub region: Option<String>,
	/// A folder in the bucket that holds this gateway's objects (empty: the bucket's root).
	pub prefix: String,
	/// Allow a plain `http://` endpoint that is not on this machine's loopback.
	pub allow_http: bool,
	/// An access key id and its secret; `None`: from the environment.
	pub credentials: Option<(String, String)>,
}

/// Whether `url` is plain `http://` (in any case) to a loopback host, with no user name or
/// password before the host.
fn is_loopback_http(url: &str) -> bool {
	let Ok(url) = url::Url::parse(url) else { return false };
	if url.scheme() != "http" || !url.username().is_empty() || url.password().is_some() {
		return false;
	}
	match url.host() {
		Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
		Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
		Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
		None => false,
	}
}

/// Whether `url` is plain HTTP (`http://` in any case).
fn is_plain_http(url: &str) -> bool {
	url::Url::parse(url).map_or(true, |u| u.scheme() != "https")
}

/// Objects in a bucket of S3-compatible object storage.
pub struct S3Objects {
	s3: AmazonS3,
	prefix: String,
	describe: String,
}

/// Makes an [`object_store::Error`] an [`io::Error`] that says what was done where, and why it
/// failed in words an operator acts on. Where object_store reports a refusal as a generic error
/// (a listing's), the S3 error code in the service's answer tells.
fn s3_error(what: &str, name: &str, place: &str, e: object_store::Error) -> io::Error {
	use object_store::Error as E;
	let text = e.to_string();
	let code = |codes: &[&str]| codes.iter().any(|c| text.contains(&format!("<Code>{c}</Code>")));
	let (kind, why) = match &e {
		_ if code(&["NoSuchBucket"]) => (io::ErrorKind::NotFound, "the bucket does not exist"),
		E::PermissionDenied { .. } | E::Unauthenticated { .. } => (
			io::ErrorKind::PermissionDenied,
			"the storage service refused the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) \
			 or their permissions",
		),
		_ if code(&[
			"AccessDenied",
			"InvalidAccessKeyId",
			"SignatureDoesNotMatch",
			"ExpiredToken",
			"InvalidToken",
		]) =>
			(
				io::ErrorKind::PermissionDenied,
				"the storage service refused the credentials (AWS_ACCESS_KEY_ID, \
				 AWS_SECRET_ACCESS_KEY) or their permissions",
			),
		E::NotFound { .. } => (io::ErrorKind::NotFound, "not found"),
		_ => (io::ErrorKind::Other, "the storage service failed"),
	};
	io::Error::new(kind, format!("{what} {name:?} in {place}: {why}: {text}"))
}

impl S3Objects {
	/// Connects to the bucket and checks that it exists and that the credentials may list it,
	/// so that a wrong name or key fails here, with a clear error, not at the first upload.
	pub async fn connect(config: &S3Config) -> io::Result<S3Objects> {
		if config.bucket.is_empty() {
			return Err(io::Error::new(io::ErrorKind::InvalidInput, "no S3 bucket named"));
		}
		// HTTPS to the storage service uses rustls with ring, the process-wide provider (the
		// call fails harmlessly if one is installed already).
		let _ = rustls::crypto::ring::default_provider().install_default();
		let mut builder = AmazonS3Builder::from_env().with_bucket_name(&config.bucket);
		if let Some(endpoint) = &config.endpoint {
			// The flag wins over every endpoint variable of the environment.
			builder = builder
				.with_endpoint(endpoint)
				.with_config(AmazonS3ConfigKey::S3Endpoint, endpoint);
		}
		// The endpoint the client will use, whichever variable set it.
		let endpoint = builder
			.get_config_value(&AmazonS3ConfigKey::S3Endpoint)
			.or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint));
		let plain = endpoint.as_deref().is_some_and(is_plain_http);
		if let Some(endpoint) = endpoint.as_deref().filter(|_| plain) {
			if !config.allow_http && !is_loopback_http(endpoint) {
				return Err(io::Error::new(
					io::ErrorKind::InvalidInput,
					format!(
						"S3 endpoint {endpoint} is plain HTTP off this machine: use https://, or \
						 allow it explicitly (--s3-allow-http)"
					),
				));
			}
		}
		if let Some(region) = &config.region {
			builder = builder.with_region(region);
		}
		if let Some((id, secret)) = &config.credentials {
			builder = builder.with_access_key_id(id).with_secret_access_key(secret);
		}
		// A few quick retries, not object_store's three minutes: a request that fails is
		// reported to the gateway's caller, who may try again.
		let retry = RetryConfig {
			max_retries: 3,
			retry_timeout: Duration::from_secs(20),
			..RetryConfig::default()
		};
		let options = ClientOptions::new()
			.with_allow_http(plain)
			.with_connect_timeout(Duration::from_secs(5))
			.with_timeout(Duration::from_secs(120));
		let s3 =
			builder.with_retry(retry).with_client_options(options).build().map_err(|e| {
				io::Error::new(io::ErrorKind::InvalidInput, format!("S3 set-up: {e}"))
			})?;
		let prefix = config.prefix.trim_matches('/').to_string();
		let describe = format!(
			"bucket {}{}{} at {}",
			config.bucket,
			if prefix.is_empty() { "" } else { "/" },
			prefix,
			endpoint.as_deref().unwrap_or("AWS")
		);
		let objects = S3Objects { s3, prefix, describe };
		// The bucket must exist and the credentials must be good: a listing checks both.
		let root = objects.path("")?;
		objects.s3.list_with_delimiter(Some(&root)).await.map_err(|e| {
			let e = s3_error("listing", "", &objects.describe, e);
			if e.kind() == io::ErrorKind::NotFound {
				io::Error::new(
					io::ErrorKind::NotFound,
					format!("S3 bucket {} does not exist ({e})", config.bucket),
				)
			} else {
				e
			}
		})?;
		// Write-once and replay protection across gateways rest on conditional create: a
		// service that ignores `If-None-Match: *` would overwrite without a word.
		let probe = format!("probes/{:016x}{:016x}", rand_u64(), rand_u64());
		let first = objects.create(&probe, Vec::new()).await?;
		let second = objects.create(&probe, Vec::new()).await?;
		objects.remove(&probe).await?;
		if !first || second {
			return Err(io::Error::new(
				io::ErrorKind::Unsupported,
				format!(
					"{} does not honour conditional create (PUT with If-None-Match: *): the \
					 gateway needs it for write-once documents and replay protection",
					objects.describe
				),
			));
		}
		Ok(objects)
	}

	/// The objects and folders directly under the folder `prefix`.
	async fn listing(&self, prefix: &str) -> io::Result<object_store::ListResult> {
		self.s3
			.list_with_delimiter(Some(&self.path(prefix)?))
			.await
			.map_err(|e| s3_error("listing", prefix, &self.describe, e))
	}

	fn path(&self, name: &str) -> io::Result<ObjectPath> {
		if !name.is_empty() {
			check_name(name)?;
		}
		let full = match (self.prefix.is_empty(), name.is_empty()) {
			(true, _) => name.to_string(),
			(false, true) => self.prefix.clone(),
			(false, false) => format!("{}/{name}", self.prefix),
		};
		ObjectPath::parse(&full)
			.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{full:?}: {e}")))
	}
}

/// An upload to S3: one `PUT` if it stays under a part, a multipart upload (completed at the
/// commit) if it grows beyond.
struct S3Upload {
	s3: AmazonS3,
	path: ObjectPath,
	name: String,
	place: String,
	/// What was written and not yet given to a part.
	pending: BytesMut,
	/// The multipart upload, once the object outgrew one part.
	multipart: Option<WriteMultipart>,
}

impl S3Upload {
	fn error(&self, e: object_store::Error) -> io::Error {
		s3_error("storing", &self.name, &self.place, e)
	}
}

#[async_trait]
impl Upload for S3Upload {
	async fn write(&mut self, bytes: Bytes) -> io::Result<()> {
		self.pending.extend_from_slice(&bytes);
		while self.pending.len() >= PART_SIZE {
			let part = self.pending.split_to(PART_SIZE).freeze();
			let multipart = match &mut self.multipart {
				Some(multipart) => multipart,
				None => {
					let started = self
						.s3
						.put_multipart(&self.path)
						.await
						.map_err(|e| s3_error("storing", &self.name, &self.place, e))?;
					self.multipart.insert(WriteMultipart::new_with_chunk_size(started, PART_SIZE))
				},
			};
			// At most PARTS_IN_FLIGHT parts on their way: the caller waits for room.
			multipart
				.wait_for_capacity(PARTS_IN_FLIGHT)
				.await
				.map_err(|e| s3_error("storing", &self.name, &self.place, e))?;
			multipart.put(part);
		}
		Ok(())
	}

	async fn commit(mut self: Box<Self>) -> io::Result<()> {
		let rest = std::mem::take(&mut self.pending).freeze();
		match self.multipart.take() {
			None => self
				.s3
				.put(&self.path, PutPayload::from(rest))
				.await
				.map(|_| ())
				.map_err(|e| self.error(e)),
			Some(mut multipart) => {
				multipart.put(rest);
				multipart.finish().await.map(|_| ()).map_err(|e| self.error(e))
			},
		}
	}

	async fn abort(mut self: Box<Self>) -> io::Result<()> {
		self.pending.clear();
		match self.multipart.take() {
			None => Ok(()),
			Some(multipart) => multipart.abort().await.map_err(|e| self.error(e)),
		}
	}
}

impl Drop for S3Upload {
	fn drop(&mut self) {
		// Neither committed nor aborted (the caller went away): the parts sent are dropped
		// by the service. (A process that dies mid-upload leaves them to the bucket's
		// lifecycle rule for incomplete multipart uploads.)
		if let Some(multipart) = self.multipart.take() {
			if let Ok(runtime) = tokio::runtime::Handle::try_current() {
				runtime.spawn(async move {
					let _ = multipart.abort().await;
				});
			}
		}
	}
}

#[async_trait]
impl Objects for S3Objects {
	async fn create(&self, name: &str, bytes: Vec<u8>) -> io::Result<bool> {
		let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
		match self.s3.put_opts(&self.path(name)?, PutPayload::from(bytes), opts).await {
			Ok(_) => Ok(true),
			Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
			Err(e) => Err(s3_error("storing", name, &self.describe, e)),
		}
	}

	async fn put(&self, name: &str, bytes: Vec<u8>) -> io::Result<()> {
		self.s3
			.put(&self.path(name)?, PutPayload::from(bytes))
			.await
			.map(|_| ())
			.map_err(|e| s3_error("storing", name, &self.describe, e))
	}

	async fn get(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
		let got = match self.s3.get(&self.path(name)?).await {
			Ok(got) => got,
			Err(object_store::Error::NotFound { .. }) => return Ok(None),
			Err(e) => return Err(s3_error("reading", name, &self.describe, e)),
		};
		got.bytes()
			.await
			.map(|b| Some(b.to_vec()))
			.map_err(|e| s3_error("reading", name, &self.describe, e))
	}

	async fn exists(&self, name: &str) -> io::Result<bool> {
		match self.s3.head(&self.path(name)?).await {
			Ok(_) => Ok(true),
			Err(object_store::Error::NotFound { .. }) => Ok(false),
			Err(e) => Err(s3_error("looking up", name, &self.describe, e)),
		}
	}

	async fn delete(&self, name: &str) -> io::Result<bool> {
		// S3 deletes succeed whether or not the object was there: ask first.
		let was = self.exists(name).await?;
		self.remove(name).await?;
		Ok(was)
	}

	async fn remove(&self, name: &str) -> io::Result<()> {
		self.s3
			.delete(&self.path(name)?)
			.await
			.map_err(|e| s3_error("deleting", name, &self.describe, e))
	}

	async fn upload(&self, name: &str) -> io::Result<Box<dyn Upload>> {
		Ok(Box::new(S3Upload {
			s3: self.s3.clone(),
			path: self.path(name)?,
			name: name.to_string(),
			place: self.describe.clone(),
			pending: BytesMut::new(),
			multipart: None,
		}))
	}

	async fn read(&self, name: &str) -> io::Result<Option<Reading>> {
		let got = match self.s3.get(&self.path(name)?).await {
			Ok(got) => got,
			Err(object_store::Error::NotFound { .. }) => return Ok(None),
			Err(e) => return Err(s3_error("reading", name, &self.describe, e)),
		};
		let size = got.meta.size;
		let (name, place) = (name.to_string(), self.describe.clone());
		let chunks = got
			.into_stream()
			.map(move |chunk| chunk.map_err(|e| s3_error("reading", &name, &place, e)))
			.boxed();
		Ok(Some(Reading { size, chunks }))
	}

	async fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
		let listed = self.listing(prefix).await?;
		Ok(listed
			.objects
			.into_iter()
			.filter_map(|o| o.location.filename().map(str::to_string))
			.collect())
	}

	async fn folders(&self, prefix: &str) -> io::Result<Vec<String>> {
		let listed = self.listing(prefix).await?;
		Ok(listed.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_string)).collect())
	}

	fn shared(&self) -> bool {
		true
	}

	fn describe(&self) -> String {
		self.describe.clone()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn names_are_hex_and_numbers_under_folders_only() {
		for ok in ["documents/0a1b", "requests/ab/cd", "erased/17", "cursor"] {
			assert!(check_name(ok).is_ok(), "{ok}");
		}
		for bad in ["", "/x", "x/", "a//b", "../x", "a/../b", "A", "x.tmp", "a b"] {
			assert!(check_name(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn plain_http_is_allowed_only_to_loopback() {
		for ok in ["http://127.0.0.1:9000", "http://localhost:9000/", "http://[::1]:9000"] {
			assert!(is_loopback_http(ok), "{ok}");
		}
		for off in [
			"http://10.0.0.5:9000",
			"http://s3.example.org",
			"https://127.0.0.1:9000",
			"HTTP://10.0.0.5:9000",
			"http://127.0.0.1:1@evil.example",
			"http://user:pw@127.0.0.1:9000",
			"not a url",
		] {
			assert!(!is_loopback_http(off), "{off}");
		}
		assert!(is_plain_http("HTTP://10.0.0.5:9000") && !is_plain_http("https://s3.example.org"));
	}

	#[tokio::test]
	async fn a_directory_creates_once_replaces_on_put_and_lists_whole_objects_only() {
		let dir = tempfile::tempdir().unwrap();
		let o = LocalDir::open(dir.path()).unwrap();
		assert_eq!(o.get("documents/aa").await.unwrap(), None);
		assert!(o.create("documents/aa", b"one".to_vec()).await.unwrap());
		assert!(!o.create("documents/aa", b"two".to_vec()).await.unwrap());
		assert_eq!(o.get("documents/aa").await.unwrap(), Some(b"one".to_vec()));
		o.put("documents/aa", b"three".to_vec()).await.unwrap();
		assert_eq!(o.get("documents/aa").await.unwrap(), Some(b"three".to_vec()));
		// A temporary file a crash left behind is not an object, and goes at the next start.
		fs::write(dir.path().join("documents/.bb.1.0.tmp"), b"cut").unwrap();
		assert_eq!(o.list("documents").await.unwrap(), vec!["aa".to_string()]);
		let o = LocalDir::open(dir.path()).unwrap();
		assert!(!dir.path().join("documents/.bb.1.0.tmp").exists());
		o.create("nonces/17/ab", b"".to_vec()).await.unwrap();
		assert_eq!(o.folders("nonces").await.unwrap(), vec!["17".to_string()]);
		assert!(o.list("nonces").await.unwrap().is_empty());
		assert!(o.folders("documents").await.unwrap().is_empty());
		assert_eq!(o.list("missing").await.unwrap(), Vec::<String>::new());
		assert!(o.exists("documents/aa").await.unwrap());
		assert!(o.delete("documents/aa").await.unwrap());
		assert!(!o.delete("documents/aa").await.unwrap());
		assert!(!o.exists("documents/aa").await.unwrap());
		assert!(o.get("../etc/passwd").await.is_err());
	}

	async fn read_all(o: &LocalDir, name: &str) -> Option<(u64, Vec<u8>)> {
		let mut reading = o.read(name).await.unwrap()?;
		let mut all = Vec::new();
		while let Some(chunk) = reading.chunks.next().await {
			let chunk = chunk.unwrap();
			assert!(chunk.len() <= READ_CHUNK);
			all.extend_from_slice(&chunk);
		}
		Some((reading.size, all))
	}

	#[tokio::test]
	async fn an_upload_to_a_directory_is_seen_only_once_committed_and_leaves_nothing_otherwise() {
		let dir = tempfile::tempdir().unwrap();
		let o = LocalDir::open(dir.path()).unwrap();
		let doc: Vec<u8> = (0..READ_CHUNK * 2 + 5).map(|i| (i % 241) as u8).collect();
		let mut up = o.upload("documents/aa").await.unwrap();
		for piece in doc.chunks(100_000) {
			up.write(Bytes::copy_from_slice(piece)).await.unwrap();
		}
		assert!(!o.exists("documents/aa").await.unwrap());
		up.commit().await.unwrap();
		assert_eq!(read_all(&o, "documents/aa").await, Some((doc.len() as u64, doc.clone())));
		// Aborted or dropped: no object, no temporary file left, the object there unchanged.
		let mut aborted = o.upload("documents/aa").await.unwrap();
		aborted.write(Bytes::from_static(b"other")).await.unwrap();
		aborted.abort().await.unwrap();
		let mut dropped = o.upload("documents/bb").await.unwrap();
		dropped.write(Bytes::from_static(b"cut")).await.unwrap();
		drop(dropped);
		let left: Vec<_> = fs::read_dir(dir.path().join("documents"))
			.unwrap()
			.map(|e| e.unwrap().file_name().into_string().unwrap())
			.collect();
		assert_eq!(left, vec!["aa".to_string()]);
		assert_eq!(read_all(&o, "documents/aa").await.unwrap().1, doc);
		assert!(read_all(&o, "documents/bb").await.is_none());
	}
}

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

use std::{
	fs,
	io::{self, Write},
	path::{Path, PathBuf},
	sync::atomic::{AtomicU64, Ordering},
	time::Duration,
};

use async_trait::async_trait;
use object_store::{
	aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey},
	path::Path as ObjectPath,
	ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
};

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
	/// Objects under `dir` (created if needed).
	pub fn open(dir: &Path) -> io::Result<LocalDir> {
		fs::create_dir_all(dir)?;
		Ok(LocalDir { dir: dir.to_path_buf(), next_tmp: AtomicU64::new(0) })
	}

	fn path(&self, name: &str) -> io::Result<PathBuf> {
		check_name(name)?;
		Ok(self.dir.join(name))
	}

	/// Writes `bytes` to a new synced temporary file beside `path` (its folder created and
	/// synced if it was missing).
	fn write_tmp(&self, path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
		let parent = path.parent().ok_or_else(|| io::Error::other("object without a folder"))?;
		if !parent.exists() {
			fs::create_dir_all(parent)?;
			if let Some(grand) = parent.parent() {
				sync_dir(grand)?;
			}
		}
		let n = self.next_tmp.fetch_add(1, Ordering::Relaxed);
		let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("object");
		let tmp = parent.join(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
		let mut f = fs::File::create(&tmp)?;
		f.write_all(bytes)?;
		f.sync_all()?;
		Ok(tmp)
	}
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
		// A temporary file a crash left behind is not an object.
		fs::write(dir.path().join("documents/.bb.1.0.tmp"), b"cut").unwrap();
		assert_eq!(o.list("documents").await.unwrap(), vec!["aa".to_string()]);
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
}

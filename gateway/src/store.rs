//! The gateway's store. Documents and what belongs to them are objects of an [`Objects`] back
//! end (a local directory by default, or an S3-compatible bucket), named:
//!
//! ```text
//! documents/<cid hex>   the sealed bytes (nonce ++ ciphertext ++ tag), named by their CIDv1
//! keys/<cid hex>        the data key wrapped to the custodian key (SCALE WrappedKey)
//! uploaders/<cid hex>   the staff account that uploaded it (SCALE AccountId): only a record
//!                       that account anchored is served or erased under the CID
//! tombstones/<cid hex>  a CID whose document was erased (the deleted record's id): never kept again
//! erased/<record id>    the record whose document and key were destroyed and logged
//! requests/<patient hex>/<hash hex>
//!                       a signed fetch request served of the patient's record, under its
//!                       request hash (SCALE KeptRequest: record, request bytes, signature):
//!                       written before the read is logged, kept for the patient
//! ```
//!
//! What is the gateway process's own stays in its directory (with the local back end, the same
//! directory as the objects):
//!
//! ```text
//! nonces                request nonces seen and not yet expired (replay protection)
//! cursor                the last finalized block scanned for deletions
//! journal               the read attempts to log on chain (crate::journal)
//! ```
//!
//! Every object is written whole or not at all, and durably (crate::objects). A document is
//! written before its key, and the key is created once: a CID is *stored* once its key object
//! exists, and an upload of a stored CID leaves the stored copy as it is. Erasure writes the
//! tombstone first, then removes the key, then the document: once the key is gone the
//! ciphertext opens for nobody, even if the last removal never happens (crypto-shredding), and
//! the tombstone keeps the CID from being stored or served again, across restarts.

use std::{
	collections::{BTreeSet, HashMap},
	fs,
	io::{self, Write},
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
};

use bytes::Bytes;
use codec::{Decode, Encode};
use ehr_client::{keys::WrappedKey, runtime::AccountId};
use sp_core::H256;

use crate::objects::{Objects, Reading, Upload};

/// The store of one gateway.
pub struct Store {
	dir: PathBuf,
	objects: Arc<dyn Objects>,
	/// Authenticates the uploader objects (HMAC-SHA256); derived from the custodian secret, so
	/// that whoever may write to the bucket but does not hold that secret cannot name another
	/// uploader for a document.
	uploader_key: [u8; 32],
	nonces: Mutex<Nonces>,
	/// Held while a CID's objects or tombstone change, so that a store and an erasure of the
	/// same CID never interleave in this process (an erased document could otherwise come
	/// back).
	documents: tokio::sync::Mutex<()>,
}

/// A document being uploaded ([`Store::begin`]).
pub struct DocumentUpload {
	cid: Vec<u8>,
	upload: Box<dyn Upload>,
}

impl DocumentUpload {
	/// Appends `bytes` to the document.
	pub async fn write(&mut self, bytes: Bytes) -> io::Result<()> {
		self.upload.write(bytes).await
	}

	/// Drops what was written: nothing of it is kept.
	pub async fn abort(self) -> io::Result<()> {
		self.upload.abort().await
	}
}

/// What [`Store::put`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
	/// The document and key are now kept.
	Stored,
	/// The CID was stored already: the stored copy is kept as it was.
	AlreadyStored,
	/// The CID was erased: nothing is kept.
	Erased,
}

/// A signed fetch request the gateway served, as the store keeps it (SCALE), under the
/// patient of the record and the request's hash.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct KeptRequest {
	/// The record whose document was served.
	pub record: u64,
	/// The request's SCALE bytes, as signed.
	pub request: Vec<u8>,
	/// Its sr25519 signature.
	pub signature: [u8; 64],
}

/// A nonce's owner and value.
type NonceKey = (AccountId, [u8; 16]);

/// The nonces of requests that have not expired yet, indexed both ways: `seen` answers "used
/// before?" and `by_expiry` finds the expired ones in `O(log n)` each.
struct Nonces {
	seen: HashMap<NonceKey, u64>,
	by_expiry: BTreeSet<(u64, AccountId, [u8; 16])>,
	/// Lines in the file, live or expired: the file is rewritten once it has more than twice
	/// as many as are live, plus `slack`.
	lines: usize,
	slack: usize,
	path: PathBuf,
	/// Appended to under the lock, synced outside it: concurrent requests' syncs then share
	/// the file system's journal commits instead of queueing one behind the other.
	file: Arc<fs::File>,
}

impl Nonces {
	/// Forgets the nonces expired before `now_ms`.
	fn expire(&mut self, now_ms: u64) {
		while let Some((exp, who, nonce)) = self.by_expiry.first().cloned() {
			if exp >= now_ms {
				break;
			}
			self.by_expiry.pop_first();
			self.seen.remove(&(who, nonce));
		}
	}

	fn insert(&mut self, who: AccountId, nonce: [u8; 16], exp: u64) {
		if let Some(old) = self.seen.insert((who.clone(), nonce), exp) {
			self.by_expiry.remove(&(old, who.clone(), nonce));
		}
		self.by_expiry.insert((exp, who, nonce));
	}

	/// Rewrites the file with the live nonces only (synced, then renamed over the old one) and
	/// appends to the new file from then on.
	fn compact(&mut self) -> io::Result<()> {
		write_atomic(&self.path, live_nonces(&self.by_expiry).as_bytes())?;
		self.file = Arc::new(fs::OpenOptions::new().append(true).open(&self.path)?);
		self.lines = self.by_expiry.len();
		Ok(())
	}
}

fn live_nonces(by_expiry: &BTreeSet<(u64, AccountId, [u8; 16])>) -> String {
	by_expiry.iter().map(|(exp, who, nonce)| nonce_line(who, nonce, *exp)).collect()
}

fn nonce_line(who: &AccountId, nonce: &[u8; 16], exp: u64) -> String {
	format!(
		"{} {} {exp}\n",
		hex::encode(<AccountId as AsRef<[u8]>>::as_ref(who)),
		hex::encode(nonce)
	)
}

/// Parses a line of the nonce file; `None` for a damaged line.
fn parse_nonce_line(line: &str) -> Option<(AccountId, [u8; 16], u64)> {
	let mut parts = line.split(' ');
	let (who, nonce, exp) = (parts.next()?, parts.next()?, parts.next()?);
	let who = <[u8; 32]>::try_from(hex::decode(who).ok()?).ok()?;
	let nonce = <[u8; 16]>::try_from(hex::decode(nonce).ok()?).ok()?;
	Some((AccountId::from(who), nonce, exp.parse().ok()?))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
	let tmp = path.with_extension("tmp");
	{
		let mut f = fs::File::create(&tmp)?;
		f.write_all(bytes)?;
		f.sync_all()?;
	}
	fs::rename(&tmp, path)?;
	if let Some(parent) = path.parent() {
		fs::File::open(parent)?.sync_all()?;
	}
	Ok(())
}

/// Whether `a` and `b` are equal, in time independent of where they differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
	a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn invalid(what: &str, e: codec::Error) -> io::Error {
	io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}"))
}

impl Store {
	/// Opens (creating if needed) the store: its objects in `objects`, the process's own state
	/// in `dir`; forgets nonces expired before `now_ms`.
	pub fn open(
		dir: &Path,
		objects: Arc<dyn Objects>,
		uploader_key: [u8; 32],
		now_ms: u64,
	) -> io::Result<Store> {
		fs::create_dir_all(dir)?;
		let path = dir.join("nonces");
		// A damaged line (a crash may cut the last one) is skipped, not fatal.
		let text = match fs::read(&path) {
			Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
			Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
			Err(e) => return Err(e),
		};
		let (mut seen, mut by_expiry) = (HashMap::new(), BTreeSet::new());
		for (who, nonce, exp) in text.lines().filter_map(parse_nonce_line) {
			if exp >= now_ms && seen.insert((who.clone(), nonce), exp).is_none() {
				by_expiry.insert((exp, who, nonce));
			}
		}
		// Rewrite without the expired ones, then append.
		write_atomic(&path, live_nonces(&by_expiry).as_bytes())?;
		let file = Arc::new(fs::OpenOptions::new().append(true).open(&path)?);
		let lines = by_expiry.len();
		let nonces = Nonces { seen, by_expiry, lines, slack: 4096, path, file };
		Ok(Store {
			dir: dir.to_path_buf(),
			objects,
			uploader_key,
			nonces: Mutex::new(nonces),
			documents: tokio::sync::Mutex::new(()),
		})
	}

	/// The directory of the process's own state.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// Where the objects are.
	pub fn objects(&self) -> &Arc<dyn Objects> {
		&self.objects
	}

	/// Keeps a sealed document, its wrapped key and its `uploader` under `cid`, unless the CID
	/// is stored already (the stored copy stays as it was, uploader included) or was erased
	/// (nothing is kept).
	///
	/// The caller checks that `bytes` hash to `cid` and that `key` opens for it.
	pub async fn put(
		&self,
		cid: &[u8],
		bytes: &[u8],
		key: &WrappedKey,
		uploader: &AccountId,
	) -> io::Result<Put> {
		let mut upload = self.begin(cid).await?;
		if let Err(e) = upload.write(Bytes::copy_from_slice(bytes)).await {
			let _ = upload.abort().await;
			return Err(e);
		}
		self.finish(upload, key, uploader).await
	}

	/// Starts the upload of the document of `cid`: nobody sees its bytes until
	/// [`Store::finish`] publishes them.
	pub async fn begin(&self, cid: &[u8]) -> io::Result<DocumentUpload> {
		let upload = self.objects.upload(&format!("documents/{}", hex::encode(cid))).await?;
		Ok(DocumentUpload { cid: cid.to_vec(), upload })
	}

	/// Publishes `upload` with its wrapped key and its `uploader`, as [`Store::put`] does:
	/// unless the CID is stored already or was erased (the upload is then dropped).
	///
	/// The caller checks that the bytes written hash to the CID and that `key` opens for it.
	pub async fn finish(
		&self,
		upload: DocumentUpload,
		key: &WrappedKey,
		uploader: &AccountId,
	) -> io::Result<Put> {
		let _guard = self.documents.lock().await;
		let DocumentUpload { cid, upload } = upload;
		let c = hex::encode(&cid);
		if self.is_erased(&cid).await? {
			upload.abort().await?;
			return Ok(Put::Erased);
		}
		// The key is written last: a document without a key is an upload cut short, completed
		// now with the bytes the caller checked.
		if self.objects.exists(&format!("keys/{c}")).await? {
			upload.abort().await?;
			return Ok(Put::AlreadyStored);
		}
		upload.commit().await?;
		let mut named = uploader.encode();
		named.extend_from_slice(&self.uploader_tag(&cid, uploader));
		self.objects.put(&format!("uploaders/{c}"), named).await?;
		if !self.objects.create(&format!("keys/{c}"), key.encode()).await? {
			// Another writer of the same bucket stored the CID first.
			return Ok(Put::AlreadyStored);
		}
		// Another gateway of the bucket may have erased the CID since it was checked above:
		// what was just written goes again (an erasure writes its tombstone first).
		if self.is_erased(&cid).await? {
			self.objects.delete(&format!("keys/{c}")).await?;
			self.objects.delete(&format!("documents/{c}")).await?;
			self.objects.delete(&format!("uploaders/{c}")).await?;
			return Ok(Put::Erased);
		}
		Ok(Put::Stored)
	}

	/// HMAC-SHA256 of `uploader` as the uploader of `cid`, under the store's uploader key.
	fn uploader_tag(&self, cid: &[u8], uploader: &AccountId) -> [u8; 32] {
		use hmac::{Mac, SimpleHmac};
		let mac = SimpleHmac::<sha2::Sha256>::new_from_slice(&self.uploader_key);
		// HMAC takes a key of any length.
		let Ok(mut mac) = mac else { return [0; 32] };
		mac.update(b"ehr-chain/gateway/uploader/v1");
		mac.update(&(cid.len() as u32).to_le_bytes());
		mac.update(cid);
		mac.update(<AccountId as AsRef<[u8]>>::as_ref(uploader));
		mac.finalize().into_bytes().into()
	}

	/// The sealed bytes and wrapped key under `cid`, if both are there.
	pub async fn get(&self, cid: &[u8]) -> io::Result<Option<(Vec<u8>, WrappedKey)>> {
		let c = hex::encode(cid);
		let (key_name, document_name) = (format!("keys/{c}"), format!("documents/{c}"));
		// Both at once; the document counts only if its key is there.
		let (key, document) =
			tokio::join!(self.objects.get(&key_name), self.objects.get(&document_name));
		let Some(key) = key? else { return Ok(None) };
		let key = WrappedKey::decode(&mut &key[..]).map_err(|e| invalid("wrapped key", e))?;
		Ok(document?.map(|bytes| (bytes, key)))
	}

	/// The sealed bytes under `cid`, a chunk at a time, and its wrapped key, if both are there.
	pub async fn read(&self, cid: &[u8]) -> io::Result<Option<(Reading, WrappedKey)>> {
		let c = hex::encode(cid);
		let (key_name, document_name) = (format!("keys/{c}"), format!("documents/{c}"));
		let (key, document) =
			tokio::join!(self.objects.get(&key_name), self.objects.read(&document_name));
		let Some(key) = key? else { return Ok(None) };
		let key = WrappedKey::decode(&mut &key[..]).map_err(|e| invalid("wrapped key", e))?;
		Ok(document?.map(|reading| (reading, key)))
	}

	/// The staff account that uploaded the document of `cid` (`None` if not recorded).
	///
	/// The object holds the account and its HMAC under the store's uploader key; one that does
	/// not check is an error of kind `InvalidData`. An object of the account alone (written
	/// before uploaders were authenticated) counts only in a directory nobody else writes to.
	pub async fn uploader(&self, cid: &[u8]) -> io::Result<Option<AccountId>> {
		let Some(raw) = self.objects.get(&format!("uploaders/{}", hex::encode(cid))).await? else {
			return Ok(None);
		};
		let forged =
			|| io::Error::new(io::ErrorKind::InvalidData, "the uploader object fails its check");
		let (account, tag) = match raw.len() {
			64 => raw.split_at(32),
			32 if !self.objects.shared() => (&raw[..], &[][..]),
			_ => return Err(forged()),
		};
		let who = AccountId::decode(&mut &account[..]).map_err(|e| invalid("uploader", e))?;
		if !tag.is_empty() && !ct_eq(tag, &self.uploader_tag(cid, &who)) {
			return Err(forged());
		}
		Ok(Some(who))
	}

	/// Whether anything of `cid` is still kept.
	pub async fn holds(&self, cid: &[u8]) -> io::Result<bool> {
		let c = hex::encode(cid);
		Ok(self.objects.exists(&format!("keys/{c}")).await?
			|| self.objects.exists(&format!("documents/{c}")).await?)
	}

	/// Whether the document of `cid` was erased (it is then neither stored nor served again).
	pub async fn is_erased(&self, cid: &[u8]) -> io::Result<bool> {
		self.objects.exists(&format!("tombstones/{}", hex::encode(cid))).await
	}

	/// Erases `cid`, the document of the deleted `record`: writes its tombstone, then destroys
	/// the key, then the document. `true` if anything was there.
	pub async fn destroy(&self, cid: &[u8], record: u64) -> io::Result<bool> {
		let _guard = self.documents.lock().await;
		let c = hex::encode(cid);
		self.objects.create(&format!("tombstones/{c}"), record.to_string().into_bytes()).await?;
		let key = self.objects.delete(&format!("keys/{c}")).await?;
		let doc = self.objects.delete(&format!("documents/{c}")).await?;
		self.objects.delete(&format!("uploaders/{c}")).await?;
		Ok(key || doc)
	}

	/// Whether the erasure of `record` was already logged.
	pub async fn erasure_logged(&self, record: u64) -> io::Result<bool> {
		self.objects.exists(&format!("erased/{record}")).await
	}

	/// Notes that the erasure of `record` was logged by extrinsic `logged`.
	pub async fn note_erasure(&self, record: u64, logged: &str) -> io::Result<()> {
		self.objects.put(&format!("erased/{record}"), logged.as_bytes().to_vec()).await
	}

	fn requests_folder(patient: &AccountId) -> String {
		format!("requests/{}", hex::encode(<AccountId as AsRef<[u8]>>::as_ref(patient)))
	}

	/// Keeps `kept`, a signed request served of a record of `patient`, under its request hash
	/// `hash` (durably, before this returns): what the read's log entry names, and what
	/// [`Store::requests`] gives the patient.
	pub async fn keep_request(
		&self,
		patient: &AccountId,
		hash: &H256,
		kept: &KeptRequest,
	) -> io::Result<()> {
		let name = format!("{}/{}", Self::requests_folder(patient), hex::encode(hash.as_bytes()));
		self.objects.put(&name, kept.encode()).await
	}

	/// The signed requests served of `patient`'s records, each with its request hash, ordered
	/// by record and hash. An object that is not a kept request is skipped.
	pub async fn requests(&self, patient: &AccountId) -> io::Result<Vec<(H256, KeptRequest)>> {
		let folder = Self::requests_folder(patient);
		let mut out = Vec::new();
		for name in self.objects.list(&folder).await? {
			let Some(hash) = hex::decode(&name).ok().and_then(|b| <[u8; 32]>::try_from(b).ok())
			else {
				continue;
			};
			let Some(raw) = self.objects.get(&format!("{folder}/{name}")).await? else { continue };
			if let Ok(kept) = KeptRequest::decode(&mut &raw[..]) {
				out.push((H256(hash), kept));
			}
		}
		out.sort_by_key(|a| (a.1.record, a.0));
		Ok(out)
	}

	/// Takes a request nonce: `false` if `(who, nonce)` was seen before, by this process or,
	/// when the objects are shared with the hospital's other gateways, by any of them.
	///
	/// Each process keeps the nonces it saw in its nonce file ([`Store::take_local_nonce`]). On
	/// shared objects the nonce is also created, once, as the object
	/// `nonces/<minute the request expires in>/<account hex><nonce hex>`: of two gateways that
	/// get the same signed request, one creates it and the other is refused.
	pub async fn take_nonce(
		&self,
		who: &AccountId,
		nonce: [u8; 16],
		expires_at: u64,
		now_ms: u64,
	) -> io::Result<bool> {
		if !self.take_local_nonce(who, nonce, expires_at, now_ms)? {
			return Ok(false);
		}
		if !self.objects.shared() {
			return Ok(true);
		}
		let name = format!(
			"nonces/{}/{}{}",
			expires_at / 60_000,
			hex::encode(<AccountId as AsRef<[u8]>>::as_ref(who)),
			hex::encode(nonce)
		);
		self.objects.create(&name, Vec::new()).await
	}

	/// Removes the shared nonce objects of the minutes whose requests expired at least two
	/// minutes before `now_ms` (the gateways' clocks may differ by less than that); the number
	/// removed.
	pub async fn sweep_nonces(&self, now_ms: u64) -> io::Result<usize> {
		if !self.objects.shared() {
			return Ok(0);
		}
		let current = now_ms / 60_000;
		let mut removed = 0;
		for minute in self.objects.folders("nonces").await? {
			// Requests of minute m expire before minute m + 1 begins.
			let Ok(m) = minute.parse::<u64>() else { continue };
			if m.saturating_add(3) > current {
				continue;
			}
			for name in self.objects.list(&format!("nonces/{minute}")).await? {
				self.objects.remove(&format!("nonces/{minute}/{name}")).await?;
				removed += 1;
			}
		}
		Ok(removed)
	}

	/// Takes a request nonce in this process's nonce file: `false` if `(who, nonce)` was seen
	/// before. Nonces are kept until their request expires (after that, the expiry check
	/// refuses the request anyway). A new nonce is on disk (synced) before this returns, so a
	/// replay is refused after a crash too.
	pub fn take_local_nonce(
		&self,
		who: &AccountId,
		nonce: [u8; 16],
		expires_at: u64,
		now_ms: u64,
	) -> io::Result<bool> {
		let mut n = self.nonces.lock().map_err(|_| io::Error::other("nonce lock poisoned"))?;
		n.expire(now_ms);
		if n.seen.contains_key(&(who.clone(), nonce)) {
			return Ok(false);
		}
		// Most lines expired: rewrite the file (amortised O(1) a nonce).
		if n.lines > 2 * n.seen.len() + n.slack {
			n.compact()?;
		}
		(&*n.file).write_all(nonce_line(who, &nonce, expires_at).as_bytes())?;
		n.lines += 1;
		n.insert(who.clone(), nonce, expires_at);
		// If a compaction replaces the file before this sync, the new file holds this nonce
		// (it is live) and was synced when written.
		let file = Arc::clone(&n.file);
		drop(n);
		file.sync_data()?;
		Ok(true)
	}

	/// How many nonces are kept (for tests).
	#[cfg(test)]
	fn nonces_kept(&self) -> usize {
		self.nonces.lock().map(|n| n.seen.len()).unwrap_or_default()
	}

	/// The last finalized block scanned for deletions.
	pub fn cursor(&self) -> Option<u32> {
		fs::read_to_string(self.dir.join("cursor")).ok()?.trim().parse().ok()
	}

	/// Records the last finalized block scanned for deletions.
	pub fn set_cursor(&self, n: u32) -> io::Result<()> {
		write_atomic(&self.dir.join("cursor"), n.to_string().as_bytes())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::objects::LocalDir;

	fn wrapped(b: u8) -> WrappedKey {
		WrappedKey { ephemeral: [b; 32], nonce: [2; 24], sealed: [3; 48] }
	}

	fn uploader() -> AccountId {
		AccountId::from([5u8; 32])
	}

	fn open(dir: &Path, now_ms: u64) -> Store {
		Store::open(dir, Arc::new(LocalDir::open(dir).unwrap()), [9; 32], now_ms).unwrap()
	}

	#[tokio::test]
	async fn documents_are_kept_read_and_destroyed_key_first() {
		let dir = tempfile::tempdir().unwrap();
		let s = open(dir.path(), 0);
		assert_eq!(s.get(b"cid").await.unwrap(), None);
		assert_eq!(s.uploader(b"cid").await.unwrap(), None);
		assert_eq!(s.put(b"cid", b"sealed", &wrapped(1), &uploader()).await.unwrap(), Put::Stored);
		assert_eq!(s.get(b"cid").await.unwrap(), Some((b"sealed".to_vec(), wrapped(1))));
		assert_eq!(s.uploader(b"cid").await.unwrap(), Some(uploader()));
		assert!(s.holds(b"cid").await.unwrap());
		assert!(s.destroy(b"cid", 4).await.unwrap());
		assert_eq!(s.uploader(b"cid").await.unwrap(), None);
		assert!(!s.holds(b"cid").await.unwrap());
		assert_eq!(s.get(b"cid").await.unwrap(), None);
		assert!(!s.destroy(b"cid", 4).await.unwrap());
		// A document whose key is gone does not come back.
		s.put(b"c2", b"x", &wrapped(1), &uploader()).await.unwrap();
		fs::remove_file(dir.path().join("keys").join(hex::encode(b"c2"))).unwrap();
		assert_eq!(s.get(b"c2").await.unwrap(), None);
	}

	#[tokio::test]
	async fn an_uploader_object_counts_only_with_its_tag() {
		let dir = tempfile::tempdir().unwrap();
		let s = open(dir.path(), 0);
		s.put(b"cid", b"sealed", &wrapped(1), &uploader()).await.unwrap();
		assert_eq!(s.uploader(b"cid").await.unwrap(), Some(uploader()));
		let path = dir.path().join("uploaders").join(hex::encode(b"cid"));
		let stored = fs::read(&path).unwrap();
		assert_eq!(stored.len(), 64);
		// Another account in its place, with the tag kept or with a made-up tag.
		let other = AccountId::from([6u8; 32]);
		for forged in [
			[other.encode(), stored[32..].to_vec()].concat(),
			[other.encode(), vec![0; 32]].concat(),
		] {
			fs::write(&path, forged).unwrap();
			assert_eq!(s.uploader(b"cid").await.unwrap_err().kind(), io::ErrorKind::InvalidData);
		}
		// A tag made under another store's key does not check either.
		let elsewhere = tempfile::tempdir().unwrap();
		let objects = Arc::new(LocalDir::open(elsewhere.path()).unwrap());
		let t = Store::open(elsewhere.path(), objects, [8; 32], 0).unwrap();
		t.put(b"cid", b"sealed", &wrapped(1), &other).await.unwrap();
		let theirs =
			fs::read(elsewhere.path().join("uploaders").join(hex::encode(b"cid"))).unwrap();
		fs::write(&path, theirs).unwrap();
		assert_eq!(s.uploader(b"cid").await.unwrap_err().kind(), io::ErrorKind::InvalidData);
		// The account alone (an object written before uploaders were tagged) counts in a
		// directory of the gateway's own.
		fs::write(&path, uploader().encode()).unwrap();
		assert_eq!(s.uploader(b"cid").await.unwrap(), Some(uploader()));
	}

	#[tokio::test]
	async fn a_stored_cid_is_written_once() {
		let dir = tempfile::tempdir().unwrap();
		let s = open(dir.path(), 0);
		assert_eq!(s.put(b"cid", b"sealed", &wrapped(1), &uploader()).await.unwrap(), Put::Stored);
		// A second upload of the CID (another wrapping of the key, or other bytes a caller
		// failed to check) changes nothing.
		assert_eq!(
			s.put(b"cid", b"other", &wrapped(9), &uploader()).await.unwrap(),
			Put::AlreadyStored
		);
		assert_eq!(s.get(b"cid").await.unwrap(), Some((b"sealed".to_vec(), wrapped(1))));
		// A document whose key was never written (an upload cut short) is completed.
		fs::write(dir.path().join("documents").join(hex::encode(b"cut")), b"half").unwrap();
		assert_eq!(s.put(b"cut", b"whole", &wrapped(1), &uploader()).await.unwrap(), Put::Stored);
		assert_eq!(s.get(b"cut").await.unwrap(), Some((b"whole".to_vec(), wrapped(1))));
	}

	#[tokio::test]
	async fn an_erased_cid_is_never_stored_again_across_restarts() {
		let dir = tempfile::tempdir().unwrap();
		{
			let s = open(dir.path(), 0);
			s.put(b"cid", b"sealed", &wrapped(1), &uploader()).await.unwrap();
			assert!(!s.is_erased(b"cid").await.unwrap());
			assert!(s.destroy(b"cid", 7).await.unwrap());
			assert!(s.is_erased(b"cid").await.unwrap());
			assert_eq!(
				s.put(b"cid", b"sealed", &wrapped(1), &uploader()).await.unwrap(),
				Put::Erased
			);
			// A CID erased before it was ever uploaded is refused too.
			assert!(!s.destroy(b"never", 8).await.unwrap());
			assert_eq!(s.put(b"never", b"x", &wrapped(1), &uploader()).await.unwrap(), Put::Erased);
		}
		let s = open(dir.path(), 0);
		assert!(s.is_erased(b"cid").await.unwrap() && s.is_erased(b"never").await.unwrap());
		assert_eq!(s.put(b"cid", b"sealed", &wrapped(1), &uploader()).await.unwrap(), Put::Erased);
		assert!(!s.holds(b"cid").await.unwrap());
		assert_eq!(
			fs::read_to_string(dir.path().join("tombstones").join(hex::encode(b"cid"))).unwrap(),
			"7"
		);
		// Other CIDs are unaffected.
		assert_eq!(s.put(b"c3", b"y", &wrapped(1), &uploader()).await.unwrap(), Put::Stored);
	}

	#[tokio::test]
	async fn nonces_are_single_use_across_restarts_until_they_expire() {
		let dir = tempfile::tempdir().unwrap();
		let who = AccountId::from([7u8; 32]);
		{
			let s = open(dir.path(), 0);
			assert!(s.take_nonce(&who, [1; 16], 1_000, 0).await.unwrap());
			assert!(!s.take_nonce(&who, [1; 16], 1_000, 0).await.unwrap());
			assert!(s.take_nonce(&AccountId::from([8u8; 32]), [1; 16], 1_000, 0).await.unwrap());
			assert!(s.take_nonce(&who, [2; 16], 50, 0).await.unwrap());
		}
		let s = open(dir.path(), 100);
		assert!(!s.take_nonce(&who, [1; 16], 1_000, 100).await.unwrap(), "kept across a restart");
		assert!(s.take_nonce(&who, [2; 16], 500, 100).await.unwrap(), "expired ones are forgotten");
		s.set_cursor(42).unwrap();
		assert_eq!(s.cursor(), Some(42));
		assert!(!s.erasure_logged(3).await.unwrap());
		s.note_erasure(3, "0x01").await.unwrap();
		assert!(s.erasure_logged(3).await.unwrap());
	}

	#[tokio::test]
	async fn served_requests_are_kept_per_patient_across_restarts() {
		let dir = tempfile::tempdir().unwrap();
		let (charlie, ferdie) = (AccountId::from([3u8; 32]), AccountId::from([6u8; 32]));
		let kept =
			|record: u64, b: u8| KeptRequest { record, request: vec![b; 40], signature: [b; 64] };
		{
			let s = open(dir.path(), 0);
			assert!(s.requests(&charlie).await.unwrap().is_empty());
			s.keep_request(&charlie, &H256::repeat_byte(2), &kept(7, 2)).await.unwrap();
			s.keep_request(&charlie, &H256::repeat_byte(1), &kept(7, 1)).await.unwrap();
			s.keep_request(&charlie, &H256::repeat_byte(9), &kept(3, 9)).await.unwrap();
			s.keep_request(&ferdie, &H256::repeat_byte(4), &kept(5, 4)).await.unwrap();
		}
		let s = open(dir.path(), 0);
		assert_eq!(
			s.requests(&charlie).await.unwrap(),
			vec![
				(H256::repeat_byte(9), kept(3, 9)),
				(H256::repeat_byte(1), kept(7, 1)),
				(H256::repeat_byte(2), kept(7, 2)),
			]
		);
		assert_eq!(s.requests(&ferdie).await.unwrap(), vec![(H256::repeat_byte(4), kept(5, 4))]);
		// What a crash leaves half-written is skipped.
		let patient_dir = dir.path().join("requests").join(hex::encode([3u8; 32]));
		fs::write(patient_dir.join(format!(".{}.1.0.tmp", hex::encode([5u8; 32]))), b"cut")
			.unwrap();
		fs::write(patient_dir.join(hex::encode([6u8; 32])), b"").unwrap();
		assert_eq!(s.requests(&charlie).await.unwrap().len(), 3);
	}

	#[test]
	fn expired_nonces_leave_as_time_passes_and_the_file_is_compacted() {
		let dir = tempfile::tempdir().unwrap();
		let s = open(dir.path(), 0);
		s.nonces.lock().unwrap().slack = 64;
		let who = AccountId::from([7u8; 32]);
		let nonce = |i: u32| {
			let mut n = [0u8; 16];
			n[..4].copy_from_slice(&i.to_le_bytes());
			n
		};
		// 600 requests, one a millisecond, each valid for 100 ms.
		for i in 0..600u32 {
			let now = u64::from(i);
			assert!(s.take_local_nonce(&who, nonce(i), now + 100, now).unwrap());
			assert!(s.nonces_kept() <= 102, "{} kept at {now}", s.nonces_kept());
		}
		// Only the unexpired ones are kept, and a nonce is refused as long as it is kept.
		assert!(!s.take_local_nonce(&who, nonce(550), 650, 600).unwrap());
		assert!(s.take_local_nonce(&who, nonce(1), 700, 600).unwrap(), "expired long ago");
		// The file was compacted on the way: far fewer lines than requests.
		let lines = fs::read_to_string(dir.path().join("nonces")).unwrap().lines().count();
		assert!(lines <= 2 * 102 + 64 + 2, "{lines} lines");
		// What the file holds is what a restart keeps.
		drop(s);
		let s = open(dir.path(), 600);
		assert!(!s.take_local_nonce(&who, nonce(599), 699, 600).unwrap());
		assert!(!s.take_local_nonce(&who, nonce(1), 700, 600).unwrap());
		assert!(s.nonces_kept() <= 102);
	}
}

//! The gateway's embedded content-addressed store, under one directory (by default
//! `<node base path>/gateway`):
//!
//! ```text
//! documents/<cid hex>   the sealed bytes (nonce ++ ciphertext ++ tag), named by their CIDv1
//! keys/<cid hex>        the data key wrapped to the custodian key (SCALE WrappedKey)
//! erased/<record id>    the record whose document and key were destroyed and logged
//! nonces                request nonces seen and not yet expired (replay protection)
//! cursor                the last finalized block scanned for deletions
//! ```
//!
//! Every file is written to a temporary name, synced and renamed, so a crash leaves either the
//! old or the new file. Erasure removes the key first: once it is gone the ciphertext opens for
//! nobody, even if the second removal never happens (crypto-shredding).

use std::{
	collections::HashMap,
	fs,
	io::{self, Write},
	path::{Path, PathBuf},
	sync::Mutex,
};

use codec::{Decode, Encode};
use ehr_client::{keys::WrappedKey, runtime::AccountId};

/// The store of one gateway.
pub struct Store {
	dir: PathBuf,
	nonces: Mutex<Nonces>,
}

struct Nonces {
	seen: HashMap<(AccountId, [u8; 16]), u64>,
	file: fs::File,
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

fn remove_if_present(path: &Path) -> io::Result<bool> {
	match fs::remove_file(path) {
		Ok(()) => Ok(true),
		Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
		Err(e) => Err(e),
	}
}

impl Store {
	/// Opens (creating if needed) the store in `dir`; forgets nonces expired before `now_ms`.
	pub fn open(dir: &Path, now_ms: u64) -> io::Result<Store> {
		for sub in ["documents", "keys", "erased"] {
			fs::create_dir_all(dir.join(sub))?;
		}
		let path = dir.join("nonces");
		let mut seen = HashMap::new();
		if let Ok(text) = fs::read_to_string(&path) {
			for line in text.lines() {
				let mut parts = line.split(' ');
				let (Some(who), Some(nonce), Some(exp)) =
					(parts.next(), parts.next(), parts.next())
				else {
					continue;
				};
				let (Ok(who), Ok(nonce), Ok(exp)) =
					(hex::decode(who), hex::decode(nonce), exp.parse::<u64>())
				else {
					continue;
				};
				let (Ok(who), Ok(nonce)) = (<[u8; 32]>::try_from(who), <[u8; 16]>::try_from(nonce))
				else {
					continue;
				};
				if exp >= now_ms {
					seen.insert((AccountId::from(who), nonce), exp);
				}
			}
		}
		// Rewrite without the expired ones, then append.
		let compact: String = seen
			.iter()
			.map(|((who, nonce), exp)| {
				format!(
					"{} {} {exp}\n",
					hex::encode(<AccountId as AsRef<[u8]>>::as_ref(who)),
					hex::encode(nonce)
				)
			})
			.collect();
		write_atomic(&path, compact.as_bytes())?;
		let file = fs::OpenOptions::new().append(true).open(&path)?;
		Ok(Store { dir: dir.to_path_buf(), nonces: Mutex::new(Nonces { seen, file }) })
	}

	/// The store's directory.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	fn document_path(&self, cid: &[u8]) -> PathBuf {
		self.dir.join("documents").join(hex::encode(cid))
	}

	fn key_path(&self, cid: &[u8]) -> PathBuf {
		self.dir.join("keys").join(hex::encode(cid))
	}

	/// Keeps a sealed document and its wrapped key under `cid` (replacing an earlier copy).
	pub fn put(&self, cid: &[u8], bytes: &[u8], key: &WrappedKey) -> io::Result<()> {
		write_atomic(&self.document_path(cid), bytes)?;
		write_atomic(&self.key_path(cid), &key.encode())
	}

	/// The sealed bytes and wrapped key under `cid`, if both are there.
	pub fn get(&self, cid: &[u8]) -> io::Result<Option<(Vec<u8>, WrappedKey)>> {
		let key = match fs::read(self.key_path(cid)) {
			Ok(k) => k,
			Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
			Err(e) => return Err(e),
		};
		let key = WrappedKey::decode(&mut &key[..])
			.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("wrapped key: {e}")))?;
		match fs::read(self.document_path(cid)) {
			Ok(bytes) => Ok(Some((bytes, key))),
			Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(e),
		}
	}

	/// Whether anything of `cid` is still kept.
	pub fn holds(&self, cid: &[u8]) -> bool {
		self.key_path(cid).exists() || self.document_path(cid).exists()
	}

	/// Destroys the key, then the document, of `cid`. `true` if anything was there.
	pub fn destroy(&self, cid: &[u8]) -> io::Result<bool> {
		let key = remove_if_present(&self.key_path(cid))?;
		let doc = remove_if_present(&self.document_path(cid))?;
		for sub in ["keys", "documents"] {
			fs::File::open(self.dir.join(sub))?.sync_all()?;
		}
		Ok(key || doc)
	}

	/// Whether the erasure of `record` was already logged.
	pub fn erasure_logged(&self, record: u64) -> bool {
		self.dir.join("erased").join(record.to_string()).exists()
	}

	/// Notes that the erasure of `record` was logged by extrinsic `logged`.
	pub fn note_erasure(&self, record: u64, logged: &str) -> io::Result<()> {
		write_atomic(&self.dir.join("erased").join(record.to_string()), logged.as_bytes())
	}

	/// Takes a request nonce: `false` if `(who, nonce)` was seen before. Nonces are kept until
	/// their request expires (after that, the expiry check refuses the request anyway).
	pub fn take_nonce(
		&self,
		who: &AccountId,
		nonce: [u8; 16],
		expires_at: u64,
		now_ms: u64,
	) -> io::Result<bool> {
		let mut n = self.nonces.lock().map_err(|_| io::Error::other("nonce lock poisoned"))?;
		if n.seen.len() > 100_000 {
			n.seen.retain(|_, exp| *exp >= now_ms);
		}
		if n.seen.contains_key(&(who.clone(), nonce)) {
			return Ok(false);
		}
		let line = format!(
			"{} {} {expires_at}\n",
			hex::encode(<AccountId as AsRef<[u8]>>::as_ref(who)),
			hex::encode(nonce)
		);
		n.file.write_all(line.as_bytes())?;
		n.seen.insert((who.clone(), nonce), expires_at);
		Ok(true)
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

	fn wrapped() -> WrappedKey {
		WrappedKey { ephemeral: [1; 32], nonce: [2; 24], sealed: [3; 48] }
	}

	#[test]
	fn documents_are_kept_read_and_destroyed_key_first() {
		let dir = tempfile::tempdir().unwrap();
		let s = Store::open(dir.path(), 0).unwrap();
		assert_eq!(s.get(b"cid").unwrap(), None);
		s.put(b"cid", b"sealed", &wrapped()).unwrap();
		assert_eq!(s.get(b"cid").unwrap(), Some((b"sealed".to_vec(), wrapped())));
		assert!(s.holds(b"cid"));
		assert!(s.destroy(b"cid").unwrap());
		assert!(!s.holds(b"cid"));
		assert_eq!(s.get(b"cid").unwrap(), None);
		assert!(!s.destroy(b"cid").unwrap());
		// A document whose key is gone does not come back.
		s.put(b"c2", b"x", &wrapped()).unwrap();
		fs::remove_file(dir.path().join("keys").join(hex::encode(b"c2"))).unwrap();
		assert_eq!(s.get(b"c2").unwrap(), None);
	}

	#[test]
	fn nonces_are_single_use_across_restarts_until_they_expire() {
		let dir = tempfile::tempdir().unwrap();
		let who = AccountId::from([7u8; 32]);
		{
			let s = Store::open(dir.path(), 0).unwrap();
			assert!(s.take_nonce(&who, [1; 16], 1_000, 0).unwrap());
			assert!(!s.take_nonce(&who, [1; 16], 1_000, 0).unwrap());
			assert!(s.take_nonce(&AccountId::from([8u8; 32]), [1; 16], 1_000, 0).unwrap());
			assert!(s.take_nonce(&who, [2; 16], 50, 0).unwrap());
		}
		let s = Store::open(dir.path(), 100).unwrap();
		assert!(!s.take_nonce(&who, [1; 16], 1_000, 100).unwrap(), "kept across a restart");
		assert!(s.take_nonce(&who, [2; 16], 500, 100).unwrap(), "expired ones are forgotten");
		s.set_cursor(42).unwrap();
		assert_eq!(s.cursor(), Some(42));
		assert!(!s.erasure_logged(3));
		s.note_erasure(3, "0x01").unwrap();
		assert!(s.erasure_logged(3));
	}
}

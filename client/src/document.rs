//! Sealing medical documents before anything about them reaches the chain.
//!
//! A document is encrypted with XChaCha20-Poly1305 under a fresh 256-bit key and a random
//! 192-bit nonce; the sealed form is `nonce ++ ciphertext ++ tag`. The chain anchors only the
//! SHA2-256 digest of the sealed bytes (the record's commitment) and their CIDv1 (raw codec), so
//! the sealed document can be stored and fetched by content address (IPFS-compatible) and checked
//! against the chain; the key stays with the custodian and whoever the patient lets open the
//! document. Destroying the key destroys the document (crypto-shredding).
//!
//! Identifiers (a patient number, a licence number) are never anchored bare or hashed bare: a
//! short identifier's plain hash is found by hashing every candidate. [`salted_commitment`]
//! binds them with a secret salt instead.

use chacha20poly1305::{
	aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
	XChaCha20Poly1305, XNonce,
};
use pallet_patient_records::{cid, ContentInput, EncryptionScheme};
use sp_core::H256;

/// Associated data of every sealed document: binds the ciphertext to this format.
const AAD: &[u8] = b"ehr-chain/document/v1";
/// Length of the nonce that starts a sealed document.
const NONCE_LEN: usize = 24;

/// A sealed document and what a record anchors of it.
#[derive(Clone)]
pub struct Sealed {
	/// `nonce ++ ciphertext ++ tag`: what is stored off chain.
	pub bytes: Vec<u8>,
	/// The document key (keep it secret; destroy it to erase the document).
	pub key: [u8; 32],
	/// SHA2-256 of `bytes`: the record's commitment.
	pub commitment: H256,
	/// CIDv1 (raw codec, SHA2-256) of `bytes`: the record's content address.
	pub cid: Vec<u8>,
}

impl Sealed {
	/// The content of a record that anchors this document.
	pub fn content(&self) -> ContentInput {
		ContentInput {
			commitment: self.commitment,
			cid: self.cid.clone(),
			scheme: EncryptionScheme::XChaCha20Poly1305,
			size: self.bytes.len() as u64,
		}
	}
}

impl std::fmt::Debug for Sealed {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Sealed")
			.field("size", &self.bytes.len())
			.field("commitment", &self.commitment)
			.finish_non_exhaustive()
	}
}

/// Why a sealed document does not open.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
	/// Its SHA2-256 digest is not the commitment the chain holds.
	#[error("the document does not match its commitment")]
	WrongCommitment,
	/// Too short, or the key or the bytes are wrong (authentication failed).
	#[error("the document does not decrypt with this key")]
	Undecryptable,
}

/// Seals `plaintext` under a fresh key.
pub fn seal(plaintext: &[u8]) -> Sealed {
	let key = XChaCha20Poly1305::generate_key(&mut OsRng);
	let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
	let cipher = XChaCha20Poly1305::new(&key);
	// Encryption in memory fails only for inputs over 256 GiB.
	let ciphertext =
		cipher.encrypt(&nonce, Payload { msg: plaintext, aad: AAD }).unwrap_or_default();
	let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
	bytes.extend_from_slice(&nonce);
	bytes.extend_from_slice(&ciphertext);
	let digest = sp_io::hashing::sha2_256(&bytes);
	Sealed {
		key: key.into(),
		commitment: H256(digest),
		cid: cid::raw_sha2_256(&digest).to_vec(),
		bytes,
	}
}

/// Opens a sealed document after checking it against the commitment anchored on chain.
pub fn open(bytes: &[u8], key: &[u8; 32], commitment: H256) -> Result<Vec<u8>, OpenError> {
	if sp_io::hashing::sha2_256(bytes) != commitment.0 {
		return Err(OpenError::WrongCommitment);
	}
	if bytes.len() < NONCE_LEN {
		return Err(OpenError::Undecryptable);
	}
	let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
	XChaCha20Poly1305::new(key.into())
		.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: AAD })
		.map_err(|_| OpenError::Undecryptable)
}

/// `blake2_256(salt ++ value)`: the commitment a hospital anchors for a patient number or a
/// licence number. The salt is the hospital's secret (at least 16 random bytes), so the
/// identifier cannot be found by hashing candidates; the hospital can prove it by revealing both.
pub fn salted_commitment(salt: &[u8], value: &[u8]) -> H256 {
	let mut v = Vec::with_capacity(salt.len() + value.len());
	v.extend_from_slice(salt);
	v.extend_from_slice(value);
	H256(sp_io::hashing::blake2_256(&v))
}

/// A fresh random salt.
pub fn new_salt() -> [u8; 32] {
	use chacha20poly1305::aead::rand_core::RngCore;
	let mut salt = [0u8; 32];
	OsRng.fill_bytes(&mut salt);
	salt
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_sealed_document_opens_with_its_key_and_commitment_only() {
		let doc = b"Discharge summary: fictitious patient, fictitious findings.";
		let s = seal(doc);
		assert_eq!(open(&s.bytes, &s.key, s.commitment).as_deref(), Ok(&doc[..]));
		assert!(!s.bytes.windows(doc.len()).any(|w| w == doc), "no plaintext in the sealed bytes");
		let other = seal(doc);
		assert_ne!(other.bytes, s.bytes, "fresh key and nonce every time");
		assert_eq!(open(&s.bytes, &other.key, s.commitment), Err(OpenError::Undecryptable));
		let mut tampered = s.bytes.clone();
		if let Some(b) = tampered.last_mut() {
			*b ^= 1;
		}
		assert_eq!(open(&tampered, &s.key, s.commitment), Err(OpenError::WrongCommitment));
		assert_eq!(
			open(&tampered, &s.key, H256(sp_io::hashing::sha2_256(&tampered))),
			Err(OpenError::Undecryptable)
		);
		assert_eq!(
			open(&[1, 2], &s.key, H256(sp_io::hashing::sha2_256(&[1, 2]))),
			Err(OpenError::Undecryptable)
		);
	}

	#[test]
	fn the_anchored_content_is_well_formed() {
		let s = seal(b"x");
		let c = s.content();
		let parsed = cid::parse(&c.cid).expect("a valid CID");
		assert_eq!(parsed.digest, c.commitment.as_bytes());
		assert_eq!(c.size, (NONCE_LEN + 1 + 16) as u64);
	}

	#[test]
	fn salted_commitments_differ_by_salt() {
		let a = salted_commitment(&new_salt(), b"MRN-1");
		let b = salted_commitment(&new_salt(), b"MRN-1");
		assert_ne!(a, b);
		assert_eq!(salted_commitment(b"s", b"v"), H256(sp_io::hashing::blake2_256(b"sv")));
	}
}

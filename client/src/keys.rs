//! Encryption keys of staff and patients, and document keys wrapped to them.
//!
//! Every staff member and patient publishes an X25519 public key in the registry
//! (`hospitalRegistry.setEncryptionKey`). A document's 256-bit data key never travels bare: it
//! is *wrapped* to a recipient's public key with an ECIES construction (X25519 with a fresh
//! ephemeral key, HKDF-SHA256, XChaCha20-Poly1305), bound to the document's CID, so only the
//! holder of the matching secret unwraps it and only for that document.
//!
//! The secret is derived from the account's sr25519 secret (one secret, a mnemonic or a dev
//! URI, gives both the signing and the encryption key), or generated and kept on its own.

use chacha20poly1305::{
	aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
	XChaCha20Poly1305, XNonce,
};
use codec::{Decode, Encode};
use hkdf::Hkdf;
use pallet_hospital_registry::EncryptionKey;
use sha2::Sha256;
use sp_core::{sr25519, Pair};
use x25519_dalek::{PublicKey, StaticSecret};

/// Domain of the secret derived from an sr25519 secret.
const DERIVE_INFO: &[u8] = b"ehr-chain/x25519-from-sr25519/v1";
/// Domain of the key-encryption key.
const WRAP_INFO: &[u8] = b"ehr-chain/key-wrap/v1";

/// Why a key cannot be wrapped or unwrapped.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
	/// The recipient's public key is a small-order point: the shared secret would be zero.
	#[error("the recipient's encryption key is weak (a small-order X25519 point)")]
	WeakKey,
	/// The wrapped key does not open with this secret for this document.
	#[error("the wrapped key does not open with this secret for this document")]
	Unwrap,
}

/// An X25519 secret: opens the document keys wrapped to its public key.
#[derive(Clone)]
pub struct EncryptionSecret(StaticSecret);

impl EncryptionSecret {
	/// A fresh random secret.
	pub fn random() -> Self {
		EncryptionSecret(StaticSecret::random_from_rng(OsRng))
	}

	/// The secret of `pair`'s account: HKDF-SHA256 of the sr25519 secret, so whoever holds
	/// the account's mnemonic (or dev URI) can always re-derive it.
	pub fn from_sr25519(pair: &sr25519::Pair) -> Self {
		let raw = pair.to_raw_vec();
		let hk = Hkdf::<Sha256>::new(Some(DERIVE_INFO), &raw);
		let mut bytes = [0u8; 32];
		// 32 bytes is far below HKDF-SHA256's limit of 8160.
		let _ = hk.expand(&pair.public().0, &mut bytes);
		EncryptionSecret(StaticSecret::from(bytes))
	}

	/// A secret kept as 32 bytes.
	pub fn from_bytes(bytes: [u8; 32]) -> Self {
		EncryptionSecret(StaticSecret::from(bytes))
	}

	/// The 32 secret bytes (keep them secret).
	pub fn to_bytes(&self) -> [u8; 32] {
		self.0.to_bytes()
	}

	/// The public key to publish in the registry.
	pub fn public(&self) -> EncryptionKey {
		PublicKey::from(&self.0).to_bytes()
	}
}

impl std::fmt::Debug for EncryptionSecret {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "EncryptionSecret(public 0x{})", hex::encode(self.public()))
	}
}

/// A 256-bit data key wrapped to one recipient for one document.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct WrappedKey {
	/// The sender's ephemeral X25519 public key.
	pub ephemeral: [u8; 32],
	/// XChaCha20-Poly1305 nonce.
	pub nonce: [u8; 24],
	/// The encrypted data key and its tag.
	pub sealed: [u8; 48],
}

/// The key-encryption key of an ephemeral and a recipient key with shared secret `shared`.
fn kek(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> XChaCha20Poly1305 {
	let mut salt = [0u8; 64];
	salt[..32].copy_from_slice(ephemeral);
	salt[32..].copy_from_slice(recipient);
	let hk = Hkdf::<Sha256>::new(Some(&salt), shared);
	let mut key = [0u8; 32];
	// 32 bytes is far below HKDF-SHA256's limit of 8160.
	let _ = hk.expand(WRAP_INFO, &mut key);
	XChaCha20Poly1305::new(&key.into())
}

/// Wraps `data_key` to `recipient` for the document `context` (its CID bytes).
pub fn wrap(
	data_key: &[u8; 32],
	recipient: &EncryptionKey,
	context: &[u8],
) -> Result<WrappedKey, KeyError> {
	let ephemeral = StaticSecret::random_from_rng(OsRng);
	let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
	let shared = ephemeral.diffie_hellman(&PublicKey::from(*recipient));
	if !shared.was_contributory() {
		return Err(KeyError::WeakKey);
	}
	let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
	let ct = kek(shared.as_bytes(), &ephemeral_public, recipient)
		.encrypt(&nonce, Payload { msg: data_key, aad: context })
		.map_err(|_| KeyError::Unwrap)?;
	let sealed: [u8; 48] = ct.try_into().map_err(|_| KeyError::Unwrap)?;
	Ok(WrappedKey { ephemeral: ephemeral_public, nonce: nonce.into(), sealed })
}

/// Unwraps a data key wrapped to `secret` for the document `context`.
pub fn unwrap(
	secret: &EncryptionSecret,
	wrapped: &WrappedKey,
	context: &[u8],
) -> Result<[u8; 32], KeyError> {
	let shared = secret.0.diffie_hellman(&PublicKey::from(wrapped.ephemeral));
	if !shared.was_contributory() {
		return Err(KeyError::Unwrap);
	}
	let key = kek(shared.as_bytes(), &wrapped.ephemeral, &secret.public())
		.decrypt(XNonce::from_slice(&wrapped.nonce), Payload { msg: &wrapped.sealed, aad: context })
		.map_err(|_| KeyError::Unwrap)?;
	key.try_into().map_err(|_| KeyError::Unwrap)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_recipient_unwraps_and_only_for_the_same_document() {
		let alice = EncryptionSecret::random();
		let bob = EncryptionSecret::random();
		let key = [42u8; 32];
		let w = wrap(&key, &alice.public(), b"cid-1").unwrap();
		assert_eq!(unwrap(&alice, &w, b"cid-1"), Ok(key));
		assert_eq!(unwrap(&bob, &w, b"cid-1"), Err(KeyError::Unwrap));
		assert_eq!(unwrap(&alice, &w, b"cid-2"), Err(KeyError::Unwrap));
		let mut tampered = w.clone();
		tampered.sealed[0] ^= 1;
		assert_eq!(unwrap(&alice, &tampered, b"cid-1"), Err(KeyError::Unwrap));
		let again = wrap(&key, &alice.public(), b"cid-1").unwrap();
		assert_ne!(again.ephemeral, w.ephemeral, "a fresh ephemeral key every time");
		assert_eq!(WrappedKey::decode(&mut &w.encode()[..]), Ok(w));
	}

	#[test]
	fn small_order_recipients_are_refused() {
		for point in pallet_hospital_registry::small_order_x25519() {
			assert_eq!(wrap(&[1; 32], point, b"c"), Err(KeyError::WeakKey));
		}
	}

	#[test]
	fn the_secret_of_an_account_is_derived_the_same_way_every_time() {
		let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
		let a = EncryptionSecret::from_sr25519(&pair);
		let b = EncryptionSecret::from_sr25519(&pair);
		assert_eq!(a.to_bytes(), b.to_bytes());
		let other = sr25519::Pair::from_string("//Bob", None).unwrap();
		assert_ne!(EncryptionSecret::from_sr25519(&other).public(), a.public());
		assert!(!pallet_hospital_registry::is_weak_x25519(&a.public()));
		assert_eq!(EncryptionSecret::from_bytes(a.to_bytes()).public(), a.public());
	}
}

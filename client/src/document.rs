//! Sealing medical documents before anything about them reaches the chain.
//!
//! A document is encrypted under a fresh 256-bit key with ChaCha20-Poly1305 in the STREAM
//! construction ([`EncryptionScheme::ChaCha20Poly1305Stream`]): chunks of [`STREAM_CHUNK`]
//! bytes of plaintext, each sealed under the nonce `prefix ++ chunk number ++ last-chunk flag`
//! (a random 7-byte prefix per document, the number as a big-endian `u32`, the flag one byte),
//! so that a document of any size is sealed, checked and opened a chunk at a time in bounded
//! memory ([`seal_stream`], [`open_stream`]), and a chunk cut off, dropped, reordered or taken
//! from another document does not open. The sealed form is `prefix ++ (ciphertext ++ tag)` for
//! each chunk; an empty document is one empty last chunk.
//!
//! Documents sealed earlier as one XChaCha20-Poly1305 message
//! ([`EncryptionScheme::XChaCha20Poly1305`]: `nonce ++ ciphertext ++ tag`) still open with
//! [`open`].
//!
//! The chain anchors only the SHA2-256 digest of the sealed bytes (the record's commitment) and
//! their CIDv1 (raw codec), so the sealed document can be stored and fetched by content address
//! (IPFS-compatible) and checked against the chain; the key stays with the custodian and whoever
//! the patient lets open the document. Destroying the key destroys the document
//! (crypto-shredding).
//!
//! Identifiers (a patient number, a licence number) are never anchored bare or hashed bare: a
//! short identifier's plain hash is found by hashing every candidate. [`salted_commitment`]
//! binds them with a secret salt instead.

use std::io::{self, Read, Write};

use chacha20poly1305::{
	aead::{Aead, AeadCore, AeadInPlace, KeyInit, OsRng, Payload},
	ChaCha20Poly1305, Nonce, Tag, XChaCha20Poly1305, XNonce,
};
use pallet_patient_records::{cid, ContentInput, EncryptionScheme};
use sha2::{Digest, Sha256};
use sp_core::H256;

/// Associated data of every document sealed as one XChaCha20-Poly1305 message.
const AAD: &[u8] = b"ehr-chain/document/v1";
/// Length of the nonce that starts a document sealed as one message.
const NONCE_LEN: usize = 24;
/// Associated data of every chunk of a streamed document: binds it to this format.
const STREAM_AAD: &[u8] = b"ehr-chain/document/stream/v1";
/// Length of the random nonce prefix that starts a streamed document.
const STREAM_PREFIX_LEN: usize = 7;
/// Bytes of plaintext in each chunk of a streamed document (the last may hold fewer).
pub const STREAM_CHUNK: usize = 1 << 20;
/// Length of each chunk's authentication tag.
const TAG_LEN: usize = 16;

/// A sealed document and what a record anchors of it.
#[derive(Clone)]
pub struct Sealed {
	/// The sealed bytes: what is stored off chain.
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
			scheme: EncryptionScheme::ChaCha20Poly1305Stream,
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

/// A document sealed from a stream into another ([`seal_stream`]): what a record anchors of it,
/// and its key.
#[derive(Clone)]
pub struct SealedStream {
	/// The document key (keep it secret; destroy it to erase the document).
	pub key: [u8; 32],
	/// SHA2-256 of the sealed bytes: the record's commitment.
	pub commitment: H256,
	/// CIDv1 (raw codec, SHA2-256) of the sealed bytes: the record's content address.
	pub cid: Vec<u8>,
	/// How many sealed bytes were written.
	pub size: u64,
}

impl SealedStream {
	/// The content of a record that anchors this document.
	pub fn content(&self) -> ContentInput {
		ContentInput {
			commitment: self.commitment,
			cid: self.cid.clone(),
			scheme: EncryptionScheme::ChaCha20Poly1305Stream,
			size: self.size,
		}
	}
}

impl std::fmt::Debug for SealedStream {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("SealedStream")
			.field("size", &self.size)
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
	/// Sealed with a scheme this client does not open.
	#[error("documents sealed with {0:?} are not opened by this client")]
	UnsupportedScheme(EncryptionScheme),
	/// Reading the sealed bytes or writing the opened ones failed.
	#[error("io: {0}")]
	Io(String),
}

/// The nonce of chunk `number` of a streamed document.
fn stream_nonce(prefix: &[u8; STREAM_PREFIX_LEN], number: u32, last: bool) -> Nonce {
	let mut nonce = [0u8; 12];
	nonce[..STREAM_PREFIX_LEN].copy_from_slice(prefix);
	nonce[STREAM_PREFIX_LEN..11].copy_from_slice(&number.to_be_bytes());
	nonce[11] = u8::from(last);
	nonce.into()
}

/// Reads until `buf` holds `want` bytes or the input ends.
fn read_up_to(input: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
	buf.clear();
	input.take(want as u64).read_to_end(buf)?;
	Ok(())
}

fn too_many_chunks() -> io::Error {
	io::Error::new(io::ErrorKind::InvalidInput, "a document of more than 2^32 chunks")
}

/// Seals everything `input` gives into `output`, a chunk at a time, under a fresh key, hashing
/// the sealed bytes as they go: at most two chunks are held in memory, whatever the size.
pub fn seal_stream(input: impl Read, output: impl Write) -> io::Result<SealedStream> {
	use chacha20poly1305::aead::rand_core::RngCore;
	let key: [u8; 32] = ChaCha20Poly1305::generate_key(&mut OsRng).into();
	let mut prefix = [0u8; STREAM_PREFIX_LEN];
	OsRng.fill_bytes(&mut prefix);
	seal_stream_with(&key, &prefix, input, output)
}

/// A document whose commitment is known before it is sealed for good: sealed once into
/// nothing ([`precommit_stream`]), to learn the commitment a request must sign, then again,
/// byte for byte the same, as it is sent ([`reseal_stream`]). No sealed copy is written to disk.
#[derive(Clone)]
pub struct Precommitted {
	/// What a record anchors of the document, and its key.
	pub sealed: SealedStream,
	prefix: [u8; STREAM_PREFIX_LEN],
}

/// Seals `input` under a fresh key into nothing, a chunk at a time: the commitment, CID and
/// size it will have when [`reseal_stream`] seals the same plaintext again.
pub fn precommit_stream(input: impl Read) -> io::Result<Precommitted> {
	use chacha20poly1305::aead::rand_core::RngCore;
	let key: [u8; 32] = ChaCha20Poly1305::generate_key(&mut OsRng).into();
	let mut prefix = [0u8; STREAM_PREFIX_LEN];
	OsRng.fill_bytes(&mut prefix);
	let sealed = seal_stream_with(&key, &prefix, input, io::sink())?;
	Ok(Precommitted { sealed, prefix })
}

/// Seals `input` into `output` as [`precommit_stream`] did: the same bytes if `input` is the
/// same plaintext. An error if the result is not the precommitted document (the plaintext
/// changed in between): the key and nonces then sealed other bytes, so what was written must
/// not be kept or sent on.
pub fn reseal_stream(
	precommitted: &Precommitted,
	input: impl Read,
	output: impl Write,
) -> io::Result<()> {
	let again = seal_stream_with(&precommitted.sealed.key, &precommitted.prefix, input, output)?;
	if again.commitment != precommitted.sealed.commitment {
		return Err(io::Error::new(
			io::ErrorKind::InvalidData,
			"the document changed while it was being sealed",
		));
	}
	Ok(())
}

/// [`seal_stream`] under `key` with the nonce prefix `prefix`.
fn seal_stream_with(
	key: &[u8; 32],
	prefix: &[u8; STREAM_PREFIX_LEN],
	mut input: impl Read,
	mut output: impl Write,
) -> io::Result<SealedStream> {
	let cipher = ChaCha20Poly1305::new(key.into());
	let prefix = *prefix;
	let mut hash = Sha256::new();
	output.write_all(&prefix)?;
	hash.update(prefix);
	let mut size = STREAM_PREFIX_LEN as u64;
	let (mut chunk, mut next) =
		(Vec::with_capacity(STREAM_CHUNK + TAG_LEN), Vec::with_capacity(STREAM_CHUNK + TAG_LEN));
	read_up_to(&mut input, &mut chunk, STREAM_CHUNK)?;
	let mut number = 0u32;
	loop {
		// A chunk is the last when the input ends with it: a short one, or a full one that
		// nothing follows.
		if chunk.len() == STREAM_CHUNK {
			read_up_to(&mut input, &mut next, STREAM_CHUNK)?;
		} else {
			next.clear();
		}
		let last = next.is_empty();
		let nonce = stream_nonce(&prefix, number, last);
		let tag = cipher
			.encrypt_in_place_detached(&nonce, STREAM_AAD, &mut chunk)
			.map_err(|_| io::Error::other("chunk encryption failed"))?;
		for part in [&chunk[..], tag.as_slice()] {
			output.write_all(part)?;
			hash.update(part);
			size += part.len() as u64;
		}
		if last {
			break;
		}
		std::mem::swap(&mut chunk, &mut next);
		number = number.checked_add(1).ok_or_else(too_many_chunks)?;
	}
	output.flush()?;
	let digest: [u8; 32] = hash.finalize().into();
	Ok(SealedStream {
		key: *key,
		commitment: H256(digest),
		cid: cid::raw_sha2_256(&digest).to_vec(),
		size,
	})
}

/// Opens a streamed document from `input` into `output` a chunk at a time, in bounded memory;
/// the number of plaintext bytes written.
///
/// Every chunk is authenticated before it is written, so what is written is the document's
/// beginning, unaltered; but the sealed bytes are checked against `commitment` only at the
/// end. On an error, discard what was written (write to a temporary file, and keep it only on
/// success).
pub fn open_stream(
	mut input: impl Read,
	mut output: impl Write,
	key: &[u8; 32],
	commitment: H256,
) -> Result<u64, OpenError> {
	let io = |e: io::Error| OpenError::Io(e.to_string());
	let cipher = ChaCha20Poly1305::new(key.into());
	let mut hash = Sha256::new();
	let mut prefix = [0u8; STREAM_PREFIX_LEN];
	input.read_exact(&mut prefix).map_err(|e| match e.kind() {
		io::ErrorKind::UnexpectedEof => OpenError::Undecryptable,
		_ => io(e),
	})?;
	hash.update(prefix);
	let sealed_chunk = STREAM_CHUNK + TAG_LEN;
	let (mut chunk, mut next) =
		(Vec::with_capacity(sealed_chunk), Vec::with_capacity(sealed_chunk));
	read_up_to(&mut input, &mut chunk, sealed_chunk).map_err(io)?;
	let (mut number, mut written) = (0u32, 0u64);
	loop {
		if chunk.len() == sealed_chunk {
			read_up_to(&mut input, &mut next, sealed_chunk).map_err(io)?;
		} else {
			next.clear();
		}
		let last = next.is_empty();
		if chunk.len() < TAG_LEN {
			return Err(OpenError::Undecryptable);
		}
		hash.update(&chunk);
		let tag = Tag::clone_from_slice(&chunk[chunk.len() - TAG_LEN..]);
		chunk.truncate(chunk.len() - TAG_LEN);
		cipher
			.decrypt_in_place_detached(
				&stream_nonce(&prefix, number, last),
				STREAM_AAD,
				&mut chunk,
				&tag,
			)
			.map_err(|_| OpenError::Undecryptable)?;
		output.write_all(&chunk).map_err(io)?;
		written += chunk.len() as u64;
		if last {
			break;
		}
		std::mem::swap(&mut chunk, &mut next);
		number = number.checked_add(1).ok_or(OpenError::Undecryptable)?;
	}
	output.flush().map_err(io)?;
	if hash.finalize()[..] != commitment.0[..] {
		return Err(OpenError::WrongCommitment);
	}
	Ok(written)
}

/// Seals `plaintext` under a fresh key, in memory ([`seal_stream`] over a slice).
pub fn seal(plaintext: &[u8]) -> Sealed {
	let chunks = plaintext.len() / STREAM_CHUNK + 1;
	let mut bytes = Vec::with_capacity(STREAM_PREFIX_LEN + plaintext.len() + chunks * TAG_LEN);
	// Writing to a vector does not fail; a slice has far fewer than 2^32 chunks.
	let s = seal_stream(plaintext, &mut bytes).unwrap_or_else(|_| SealedStream {
		key: [0; 32],
		commitment: H256::zero(),
		cid: Vec::new(),
		size: 0,
	});
	Sealed { bytes, key: s.key, commitment: s.commitment, cid: s.cid }
}

/// Opens a sealed document of `scheme` after checking it against the commitment anchored on
/// chain.
pub fn open(
	scheme: EncryptionScheme,
	bytes: &[u8],
	key: &[u8; 32],
	commitment: H256,
) -> Result<Vec<u8>, OpenError> {
	if sp_io::hashing::sha2_256(bytes) != commitment.0 {
		return Err(OpenError::WrongCommitment);
	}
	match scheme {
		EncryptionScheme::ChaCha20Poly1305Stream => {
			let mut out = Vec::with_capacity(bytes.len());
			open_stream(bytes, &mut out, key, commitment)?;
			Ok(out)
		},
		EncryptionScheme::XChaCha20Poly1305 => {
			if bytes.len() < NONCE_LEN {
				return Err(OpenError::Undecryptable);
			}
			let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
			XChaCha20Poly1305::new(key.into())
				.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: AAD })
				.map_err(|_| OpenError::Undecryptable)
		},
		other => Err(OpenError::UnsupportedScheme(other)),
	}
}

/// Seals `plaintext` as one XChaCha20-Poly1305 message ([`EncryptionScheme::XChaCha20Poly1305`]),
/// the form documents had before the streamed one; for tests of documents stored that way.
pub fn seal_single_message(plaintext: &[u8]) -> Sealed {
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

	const STREAM: EncryptionScheme = EncryptionScheme::ChaCha20Poly1305Stream;

	fn digest(bytes: &[u8]) -> H256 {
		H256(sp_io::hashing::sha2_256(bytes))
	}

	#[test]
	fn a_sealed_document_opens_with_its_key_and_commitment_only() {
		let doc = b"Discharge summary: fictitious patient, fictitious findings.";
		let s = seal(doc);
		assert_eq!(open(STREAM, &s.bytes, &s.key, s.commitment).as_deref(), Ok(&doc[..]));
		assert!(!s.bytes.windows(doc.len()).any(|w| w == doc), "no plaintext in the sealed bytes");
		let other = seal(doc);
		assert_ne!(other.bytes, s.bytes, "fresh key and nonce every time");
		assert_eq!(open(STREAM, &s.bytes, &other.key, s.commitment), Err(OpenError::Undecryptable));
		let mut tampered = s.bytes.clone();
		if let Some(b) = tampered.last_mut() {
			*b ^= 1;
		}
		assert_eq!(open(STREAM, &tampered, &s.key, s.commitment), Err(OpenError::WrongCommitment));
		assert_eq!(
			open(STREAM, &tampered, &s.key, digest(&tampered)),
			Err(OpenError::Undecryptable)
		);
		assert_eq!(open(STREAM, &[1, 2], &s.key, digest(&[1, 2])), Err(OpenError::Undecryptable));
		assert_eq!(
			open(EncryptionScheme::Aes256Gcm, &s.bytes, &s.key, s.commitment),
			Err(OpenError::UnsupportedScheme(EncryptionScheme::Aes256Gcm))
		);
	}

	#[test]
	fn documents_sealed_as_one_message_still_open() {
		let s = seal_single_message(b"an older note");
		let one = EncryptionScheme::XChaCha20Poly1305;
		assert_eq!(open(one, &s.bytes, &s.key, s.commitment).as_deref(), Ok(&b"an older note"[..]));
		assert_eq!(open(STREAM, &s.bytes, &s.key, s.commitment), Err(OpenError::Undecryptable));
		assert_eq!(open(one, &[1], &s.key, digest(&[1])), Err(OpenError::Undecryptable));
	}

	#[test]
	fn streamed_documents_of_every_chunk_count_open_and_resist_cutting_and_reordering() {
		for len in [0, 1, STREAM_CHUNK - 1, STREAM_CHUNK, STREAM_CHUNK + 1, 2 * STREAM_CHUNK + 5] {
			let doc: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
			let s = seal(&doc);
			let chunks = len / STREAM_CHUNK + 1 - usize::from(len > 0 && len % STREAM_CHUNK == 0);
			assert_eq!(s.bytes.len(), STREAM_PREFIX_LEN + len + chunks * TAG_LEN, "{len}");
			assert_eq!(open(STREAM, &s.bytes, &s.key, s.commitment).unwrap(), doc, "{len}");
			// Cut at a chunk boundary: the chunk now last was sealed as not last.
			if chunks > 1 {
				let cut = &s.bytes[..STREAM_PREFIX_LEN + STREAM_CHUNK + TAG_LEN];
				assert_eq!(open(STREAM, cut, &s.key, digest(cut)), Err(OpenError::Undecryptable));
			}
			// Two chunks swapped (the last one kept last).
			if chunks > 2 {
				let c = STREAM_CHUNK + TAG_LEN;
				let mut swapped = s.bytes[..STREAM_PREFIX_LEN].to_vec();
				swapped
					.extend_from_slice(&s.bytes[STREAM_PREFIX_LEN + c..STREAM_PREFIX_LEN + 2 * c]);
				swapped.extend_from_slice(&s.bytes[STREAM_PREFIX_LEN..STREAM_PREFIX_LEN + c]);
				swapped.extend_from_slice(&s.bytes[STREAM_PREFIX_LEN + 2 * c..]);
				assert_eq!(
					open(STREAM, &swapped, &s.key, digest(&swapped)),
					Err(OpenError::Undecryptable)
				);
			}
		}
	}

	#[test]
	fn a_stream_opens_into_a_writer_and_the_commitment_is_checked_at_the_end() {
		let doc: Vec<u8> = (0..3 * STREAM_CHUNK / 2).map(|i| (i % 7) as u8).collect();
		let mut sealed = Vec::new();
		let s = seal_stream(&doc[..], &mut sealed).unwrap();
		assert_eq!(s.size, sealed.len() as u64);
		assert_eq!(s.commitment, digest(&sealed));
		assert_eq!(s.content().scheme, STREAM);
		let mut out = Vec::new();
		assert_eq!(open_stream(&sealed[..], &mut out, &s.key, s.commitment), Ok(doc.len() as u64));
		assert_eq!(out, doc);
		// Every chunk authenticates under another commitment; the end says it is not this one.
		let mut out = Vec::new();
		assert_eq!(
			open_stream(&sealed[..], &mut out, &s.key, H256::zero()),
			Err(OpenError::WrongCommitment)
		);
	}

	#[test]
	fn a_precommitted_document_seals_again_to_the_same_bytes_and_only_from_the_same_plaintext() {
		let doc: Vec<u8> = (0..5 * STREAM_CHUNK / 2).map(|i| (i % 13) as u8).collect();
		let pre = precommit_stream(&doc[..]).unwrap();
		let mut sent = Vec::new();
		reseal_stream(&pre, &doc[..], &mut sent).unwrap();
		assert_eq!(pre.sealed.size, sent.len() as u64);
		assert_eq!(pre.sealed.commitment, digest(&sent));
		let mut out = Vec::new();
		let opened = open_stream(&sent[..], &mut out, &pre.sealed.key, pre.sealed.commitment);
		assert_eq!(opened, Ok(doc.len() as u64));
		assert_eq!(out, doc);
		// Two precommitments of one document share neither key nor bytes.
		let other = precommit_stream(&doc[..]).unwrap();
		assert_ne!(other.sealed.key, pre.sealed.key);
		assert_ne!(other.sealed.commitment, pre.sealed.commitment);
		// A plaintext changed in between is refused.
		let mut changed = doc.clone();
		changed[STREAM_CHUNK + 1] ^= 1;
		let err = reseal_stream(&pre, &changed[..], &mut Vec::new()).unwrap_err();
		assert_eq!(err.kind(), io::ErrorKind::InvalidData);
	}

	#[test]
	fn the_anchored_content_is_well_formed() {
		let s = seal(b"x");
		let c = s.content();
		let parsed = cid::parse(&c.cid).expect("a valid CID");
		assert_eq!(parsed.digest, c.commitment.as_bytes());
		assert_eq!(c.size, (STREAM_PREFIX_LEN + 1 + TAG_LEN) as u64);
		assert_eq!(c.scheme, STREAM);
	}

	#[test]
	fn salted_commitments_differ_by_salt() {
		let a = salted_commitment(&new_salt(), b"MRN-1");
		let b = salted_commitment(&new_salt(), b"MRN-1");
		assert_ne!(a, b);
		assert_eq!(salted_commitment(b"s", b"v"), H256(sp_io::hashing::blake2_256(b"sv")));
	}
}

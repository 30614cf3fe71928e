//! Content addresses: the CIDv1 of an encrypted document, checked without any allocation.
//!
//! ehr-chain accepts exactly the CIDs whose digest *is* the content commitment, so a reader who
//! fetched the bytes from any IPFS-compatible store can check them against the chain:
//!
//! ```text
//! <version = 1> <codec = raw 0x55> <hash = sha2-256 0x12 | blake2b-256 0xb220> <len = 32> <digest>
//! ```
//!
//! all as unsigned varints (multiformats). The `raw` codec makes the digest the hash of the
//! encrypted bytes themselves (a `dag-pb` root would hash a UnixFS node instead).

/// Multicodec of raw bytes.
pub const RAW: u64 = 0x55;
/// Multihash code of SHA2-256.
pub const SHA2_256: u64 = 0x12;
/// Multihash code of BLAKE2b-256.
pub const BLAKE2B_256: u64 = 0xb220;

/// Why a CID was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CidError {
	/// Not a well-formed CID (bad varint, truncated, trailing bytes).
	Malformed,
	/// Not a CIDv1 with the `raw` codec and a 32-byte SHA2-256 or BLAKE2b-256 digest.
	Unsupported,
}

/// The parts of a valid CID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cid<'a> {
	/// Multihash code: [`SHA2_256`] or [`BLAKE2B_256`].
	pub hash: u64,
	/// The 32-byte digest of the encrypted document.
	pub digest: &'a [u8],
}

/// Reads one unsigned varint (at most 9 bytes, minimally encoded).
fn varint(input: &mut &[u8]) -> Result<u64, CidError> {
	let mut value: u64 = 0;
	for i in 0..9 {
		let (&byte, rest) = input.split_first().ok_or(CidError::Malformed)?;
		*input = rest;
		value |= u64::from(byte & 0x7f) << (7 * i);
		if byte & 0x80 == 0 {
			// A trailing zero byte means a non-minimal encoding.
			if byte == 0 && i > 0 {
				return Err(CidError::Malformed);
			}
			return Ok(value);
		}
	}
	Err(CidError::Malformed)
}

/// Parses `bytes` as a CIDv1 of raw bytes with a 32-byte SHA2-256 or BLAKE2b-256 digest.
pub fn parse(bytes: &[u8]) -> Result<Cid<'_>, CidError> {
	let mut input = bytes;
	let version = varint(&mut input)?;
	let codec = varint(&mut input)?;
	let hash = varint(&mut input)?;
	let len = varint(&mut input)?;
	if version != 1 || codec != RAW || !(hash == SHA2_256 || hash == BLAKE2B_256) || len != 32 {
		return Err(CidError::Unsupported);
	}
	if input.len() != 32 {
		return Err(CidError::Malformed);
	}
	Ok(Cid { hash, digest: input })
}

/// The binary CIDv1 (raw codec, SHA2-256) of content whose SHA2-256 digest is `digest`.
pub fn raw_sha2_256(digest: &[u8; 32]) -> [u8; 36] {
	let mut out = [0u8; 36];
	out[..4].copy_from_slice(&[0x01, 0x55, 0x12, 0x20]);
	out[4..].copy_from_slice(digest);
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn accepts_raw_sha2_and_blake2b_cids() {
		let cid = raw_sha2_256(&[7; 32]);
		assert_eq!(parse(&cid), Ok(Cid { hash: SHA2_256, digest: &[7; 32] }));
		// blake2b-256 is 0xb220: varint a0 e4 02.
		let mut b = vec![0x01, 0x55, 0xa0, 0xe4, 0x02, 0x20];
		b.extend_from_slice(&[9; 32]);
		assert_eq!(parse(&b), Ok(Cid { hash: BLAKE2B_256, digest: &[9; 32] }));
	}

	#[test]
	fn refuses_other_versions_codecs_hashes_and_lengths() {
		// CIDv0 (a bare multihash) reads as version 0x12.
		let mut v0 = vec![0x12, 0x20];
		v0.extend_from_slice(&[1; 32]);
		assert_eq!(parse(&v0), Err(CidError::Unsupported));
		let mut dag_pb = raw_sha2_256(&[1; 32]).to_vec();
		dag_pb[1] = 0x70;
		assert_eq!(parse(&dag_pb), Err(CidError::Unsupported));
		let mut sha1 = raw_sha2_256(&[1; 32]).to_vec();
		sha1[2] = 0x11;
		assert_eq!(parse(&sha1), Err(CidError::Unsupported));
		let mut short = vec![0x01, 0x55, 0x12, 0x10];
		short.extend_from_slice(&[1; 16]);
		assert_eq!(parse(&short), Err(CidError::Unsupported));
	}

	#[test]
	fn refuses_malformed_bytes() {
		assert_eq!(parse(&[]), Err(CidError::Malformed));
		assert_eq!(parse(&[0x01, 0x55, 0x12]), Err(CidError::Malformed));
		let cid = raw_sha2_256(&[1; 32]);
		assert_eq!(parse(&cid[..35]), Err(CidError::Malformed));
		let mut long = cid.to_vec();
		long.push(0);
		assert_eq!(parse(&long), Err(CidError::Malformed));
		// A varint that never ends, and a non-minimal one.
		assert_eq!(parse(&[0xff; 12]), Err(CidError::Malformed));
		assert_eq!(parse(&[0x81, 0x00, 0x55]), Err(CidError::Malformed));
	}
}

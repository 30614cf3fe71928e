//! Staff directories: the names behind a hospital's staff accounts, published off chain.
//!
//! The chain knows staff only by account and role: names are personal data, and a name on chain
//! could never be taken off it when someone leaves. Each hospital's admin signs a [`Directory`]
//! of its staff (account, display name, role, department) and the hospital's gateway serves it
//! (`gateway_staffDirectory`) as a [`SignedDirectory`]. Nobody trusts the gateway for it: a
//! client [`verify`]s the directory against the chain at a finalized block:
//!
//! * it is signed (sr25519 over [`DIRECTORY_DOMAIN`] `++ SCALE(directory)`) by the account that
//!   is the hospital's admin in the registry at that block: a bad signature, another signer or
//!   another chain rejects the whole directory;
//! * each entry's account is active staff of that hospital in that role at that block (the
//!   registry's `staff_check`, the check every pallet makes): an entry that is not, because the
//!   person left, was suspended, or the directory says something the chain does not, is dropped
//!   and counted ([`Verified::unconfirmed`]).
//!
//! A name in a verified directory is what the hospital's admin says; the account and role next
//! to it are what the chain says.

use codec::{Decode, Encode};
use pallet_hospital_registry::{HospitalId, HospitalInfo, StaffCheck, StaffRole};
use serde::{Deserialize, Serialize};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};

use crate::{runtime::AccountId, Rpc};

/// Signing domain of staff directories.
pub const DIRECTORY_DOMAIN: &[u8] = b"ehr-chain/staff-directory/v1";

/// One staff member as the directory names them.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryEntry {
	/// The staff account (SS58 in JSON).
	#[serde(with = "ss58")]
	pub account: AccountId,
	/// The name a patient knows them by (`Dr. Ana Silva`).
	pub name: String,
	/// Their role, as the registry holds it.
	pub role: StaffRole,
	/// Their department, if the hospital says.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub department: Option<String>,
}

/// A hospital's staff directory: what its admin signs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Directory {
	/// The hospital whose staff it names.
	pub hospital: HospitalId,
	/// Genesis hash of the chain it is for.
	pub genesis: H256,
	/// Unix time in ms of its signing: of two directories of a hospital, the later one counts.
	pub issued_at: u64,
	/// The staff it names.
	pub entries: Vec<DirectoryEntry>,
}

/// A signed directory on the wire (and in the file a gateway serves it from).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedDirectory {
	/// `0x` hex of the SCALE-encoded [`Directory`].
	pub directory: String,
	/// The signer, SS58: the hospital's admin when it was signed.
	pub signer: String,
	/// `0x` hex of the 64-byte sr25519 signature of [`DIRECTORY_DOMAIN`] `++ SCALE(directory)`.
	pub signature: String,
}

/// Why a directory is rejected as a whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
	/// Not a signed directory: bad hex, bad SCALE, trailing bytes, a bad signer address.
	#[error("malformed directory: {0}")]
	Malformed(&'static str),
	/// The signature is not the signer's over this directory.
	#[error("the signature is not {0}'s over this directory")]
	BadSignature(String),
	/// It is for another chain.
	#[error("the directory is for the chain of genesis {directory:?}, this is {chain:?}")]
	WrongChain {
		/// The directory's genesis hash.
		directory: H256,
		/// This chain's.
		chain: H256,
	},
	/// It names another hospital than the one whose directory was asked for.
	#[error("the directory is of hospital {directory}, not of hospital {expected}")]
	WrongHospital {
		/// The hospital the directory names.
		directory: HospitalId,
		/// The hospital asked for.
		expected: HospitalId,
	},
	/// The registry has no such hospital.
	#[error("no hospital {0} in the registry")]
	UnknownHospital(HospitalId),
	/// The signer is not the hospital's admin on chain.
	#[error("signed by {signer}, but the admin of the hospital is {admin}")]
	NotAdmin {
		/// Who signed.
		signer: String,
		/// The admin on chain.
		admin: String,
	},
}

/// A directory checked against the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
	/// The hospital.
	pub hospital: HospitalId,
	/// When its admin signed it (Unix ms).
	pub issued_at: u64,
	/// The entries the chain confirms: active staff of the hospital in the role named.
	pub entries: Vec<DirectoryEntry>,
	/// How many entries the chain does not confirm (dropped).
	pub unconfirmed: usize,
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
	hex::decode(s.strip_prefix("0x").unwrap_or(s)).ok()
}

fn signing_payload(bytes: &[u8]) -> Vec<u8> {
	let mut m = DIRECTORY_DOMAIN.to_vec();
	m.extend_from_slice(bytes);
	m
}

/// Signs `directory` with `pair` (the hospital's admin).
pub fn sign(directory: &Directory, pair: &sr25519::Pair) -> SignedDirectory {
	let bytes = directory.encode();
	SignedDirectory {
		directory: format!("0x{}", hex::encode(&bytes)),
		signer: AccountId::from(pair.public()).to_ss58check(),
		signature: format!("0x{}", hex::encode(pair.sign(&signing_payload(&bytes)).0)),
	}
}

/// Decodes a signed directory and checks that its signer signed it: the directory and its
/// signer. Says nothing yet about whether the signer may speak for the hospital ([`verify`]).
pub fn open(signed: &SignedDirectory) -> Result<(Directory, AccountId), DirectoryError> {
	let bytes = from_hex(&signed.directory).ok_or(DirectoryError::Malformed("directory hex"))?;
	let directory = Directory::decode(&mut &bytes[..])
		.map_err(|_| DirectoryError::Malformed("not a SCALE-encoded directory"))?;
	// The bytes must be the directory's only encoding (no trailing bytes).
	if directory.encode() != bytes {
		return Err(DirectoryError::Malformed("trailing bytes"));
	}
	let signer = AccountId::from_ss58check(&signed.signer)
		.map_err(|_| DirectoryError::Malformed("signer is not an SS58 address"))?;
	let signature = from_hex(&signed.signature)
		.and_then(|s| <[u8; 64]>::try_from(s).ok())
		.ok_or(DirectoryError::Malformed("signature is not 64 bytes of hex"))?;
	let public = sr25519::Public::from_raw(*signer.as_ref());
	if !sr25519::Pair::verify(
		&sr25519::Signature::from_raw(signature),
		signing_payload(&bytes),
		&public,
	) {
		return Err(DirectoryError::BadSignature(signed.signer.clone()));
	}
	Ok((directory, signer))
}

/// Checks `signed`, the directory a gateway served for `hospital`, against the chain as read at
/// one block: `genesis` is the chain's genesis hash, `info` the hospital's registry entry
/// (`None`: no such hospital) and `staff_check` the registry's staff check of an account.
/// Rejects the whole directory if it is not signed by the hospital's admin for this chain and
/// hospital; drops and counts each entry that is not active staff of the hospital in its role.
pub fn verify(
	signed: &SignedDirectory,
	hospital: HospitalId,
	genesis: H256,
	info: Option<&HospitalInfo<AccountId>>,
	mut staff_check: impl FnMut(&AccountId) -> StaffCheck,
) -> Result<Verified, DirectoryError> {
	let (directory, signer) = open(signed)?;
	if directory.genesis != genesis {
		return Err(DirectoryError::WrongChain { directory: directory.genesis, chain: genesis });
	}
	if directory.hospital != hospital {
		return Err(DirectoryError::WrongHospital {
			directory: directory.hospital,
			expected: hospital,
		});
	}
	let info = info.ok_or(DirectoryError::UnknownHospital(hospital))?;
	if info.admin != signer {
		return Err(DirectoryError::NotAdmin {
			signer: signer.to_ss58check(),
			admin: info.admin.to_ss58check(),
		});
	}
	let total = directory.entries.len();
	let entries: Vec<DirectoryEntry> = directory
		.entries
		.into_iter()
		.filter(|e| {
			matches!(staff_check(&e.account),
				StaffCheck::Active(s) if s.hospital == hospital && s.role == e.role)
		})
		.collect();
	Ok(Verified {
		hospital,
		issued_at: directory.issued_at,
		unconfirmed: total - entries.len(),
		entries,
	})
}

/// Checks `signed`, served for `hospital`, against the chain of `rpc`'s node at its latest
/// finalized block ([`verify`]).
pub async fn verify_at_finalized(
	rpc: &Rpc,
	signed: &SignedDirectory,
	hospital: HospitalId,
) -> crate::Result<Result<Verified, DirectoryError>> {
	let genesis = rpc.genesis_hash().await?;
	let at = rpc.finalized_hash().await?;
	let info: Option<HospitalInfo<AccountId>> =
		rpc.runtime_call("HospitalRegistryApi_hospital", &hospital, Some(at)).await?;
	// The checks of the entries, asked first: `verify` itself does not wait on the node.
	let accounts = match open(signed) {
		Ok((d, _)) => d.entries.into_iter().map(|e| e.account).collect::<Vec<_>>(),
		Err(e) => return Ok(Err(e)),
	};
	let mut checks = std::collections::BTreeMap::new();
	for account in accounts {
		if let std::collections::btree_map::Entry::Vacant(slot) = checks.entry(account) {
			let check: StaffCheck =
				rpc.runtime_call("HospitalRegistryApi_staff_check", slot.key(), Some(at)).await?;
			slot.insert(check);
		}
	}
	Ok(verify(signed, hospital, genesis, info.as_ref(), |a| {
		checks.get(a).cloned().unwrap_or(StaffCheck::NotStaff)
	}))
}

/// SS58 (de)serialization of an account in JSON.
mod ss58 {
	use super::AccountId;
	use serde::{Deserialize, Deserializer, Serializer};
	use sp_core::crypto::Ss58Codec;

	pub fn serialize<S: Serializer>(a: &AccountId, s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&a.to_ss58check())
	}

	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AccountId, D::Error> {
		let s = String::deserialize(d)?;
		AccountId::from_ss58check(&s).map_err(|e| serde::de::Error::custom(format!("{s}: {e:?}")))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_hospital_registry::{ActiveStaff, HospitalStatus};

	fn pair(uri: &str) -> sr25519::Pair {
		sr25519::Pair::from_string(uri, None).unwrap()
	}

	fn account(uri: &str) -> AccountId {
		pair(uri).public().into()
	}

	fn genesis() -> H256 {
		H256::repeat_byte(9)
	}

	fn entry(uri: &str, name: &str, role: StaffRole) -> DirectoryEntry {
		DirectoryEntry { account: account(uri), name: name.into(), role, department: None }
	}

	fn directory() -> Directory {
		Directory {
			hospital: 0,
			genesis: genesis(),
			issued_at: 1_000,
			entries: vec![
				entry("//Bob", "Dr. Ana Silva", StaffRole::Doctor),
				DirectoryEntry {
					department: Some("Cardiology".into()),
					..entry("//Dave", "Dr. Rui Costa", StaffRole::Doctor)
				},
				entry("//Ferdie", "Marta Sousa", StaffRole::Nurse),
			],
		}
	}

	/// Hospital 0 as the registry holds it: Alice its admin.
	fn hospital_zero() -> HospitalInfo<AccountId> {
		HospitalInfo {
			id: 0,
			name: b"Alice General".to_vec(),
			admin: account("//Alice"),
			validator: account("//Alice"),
			gateway_url: b"http://127.0.0.1:8440".to_vec(),
			nodes: Vec::new(),
			status: HospitalStatus::Active,
		}
	}

	/// The chain: Bob and Dave active doctors of hospital 0; Ferdie not staff.
	fn chain(who: &AccountId) -> StaffCheck {
		if *who == account("//Bob") || *who == account("//Dave") {
			StaffCheck::Active(ActiveStaff { hospital: 0, role: StaffRole::Doctor })
		} else {
			StaffCheck::NotStaff
		}
	}

	fn check(signed: &SignedDirectory) -> Result<Verified, DirectoryError> {
		verify(signed, 0, genesis(), Some(&hospital_zero()), chain)
	}

	#[test]
	fn a_directory_signed_by_the_admin_verifies_and_keeps_the_entries_the_chain_confirms() {
		let signed = sign(&directory(), &pair("//Alice"));
		assert_eq!(signed.signer, account("//Alice").to_ss58check());
		let (opened, signer) = open(&signed).unwrap();
		assert_eq!((opened, signer), (directory(), account("//Alice")));
		let v = check(&signed).unwrap();
		assert_eq!(v.hospital, 0);
		assert_eq!(v.issued_at, 1_000);
		assert_eq!(
			v.entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
			["Dr. Ana Silva", "Dr. Rui Costa"]
		);
		assert_eq!(v.entries[1].department.as_deref(), Some("Cardiology"));
		// Ferdie is no staff on chain: dropped and counted.
		assert_eq!(v.unconfirmed, 1);
	}

	#[test]
	fn an_entry_is_confirmed_only_in_its_hospital_and_role() {
		let mut d = directory();
		// The chain says Bob is a doctor, not a nurse.
		d.entries[0].role = StaffRole::Nurse;
		let v = check(&sign(&d, &pair("//Alice"))).unwrap();
		assert_eq!(v.entries.len(), 1);
		assert_eq!(v.unconfirmed, 2);
		// Staff of another hospital, or suspended, count as unconfirmed too.
		let elsewhere = |_: &AccountId| {
			StaffCheck::Active(ActiveStaff { hospital: 1, role: StaffRole::Doctor })
		};
		let signed = sign(&directory(), &pair("//Alice"));
		let v = verify(&signed, 0, genesis(), Some(&hospital_zero()), elsewhere).unwrap();
		assert_eq!((v.entries.len(), v.unconfirmed), (0, 3));
		let v = verify(&signed, 0, genesis(), Some(&hospital_zero()), |_| StaffCheck::Suspended)
			.unwrap();
		assert_eq!((v.entries.len(), v.unconfirmed), (0, 3));
	}

	#[test]
	fn a_tampered_directory_is_rejected_whole() {
		let signed = sign(&directory(), &pair("//Alice"));
		// A name changed after signing.
		let mut d = directory();
		d.entries[0].name = "Dr. Eve Mallory".into();
		let renamed =
			SignedDirectory { directory: sign(&d, &pair("//Alice")).directory, ..signed.clone() };
		assert!(matches!(check(&renamed), Err(DirectoryError::BadSignature(_))));
		// An entry added after signing.
		let mut d = directory();
		d.entries.push(entry("//Eve", "Dr. Eve", StaffRole::Doctor));
		let added =
			SignedDirectory { directory: sign(&d, &pair("//Alice")).directory, ..signed.clone() };
		assert!(matches!(check(&added), Err(DirectoryError::BadSignature(_))));
		// A flipped bit of the signature.
		let mut sig = from_hex(&signed.signature).unwrap();
		sig[0] ^= 1;
		let flipped =
			SignedDirectory { signature: format!("0x{}", hex::encode(sig)), ..signed.clone() };
		assert!(matches!(check(&flipped), Err(DirectoryError::BadSignature(_))));
		// Trailing bytes, garbage, a short signature.
		let trailing =
			SignedDirectory { directory: format!("{}00", signed.directory), ..signed.clone() };
		assert_eq!(check(&trailing), Err(DirectoryError::Malformed("trailing bytes")));
		let junk = SignedDirectory { directory: "0x0102".into(), ..signed.clone() };
		assert!(matches!(check(&junk), Err(DirectoryError::Malformed(_))));
		let short = SignedDirectory { signature: "0x00".into(), ..signed.clone() };
		assert!(matches!(check(&short), Err(DirectoryError::Malformed(_))));
		// A signature made in another domain (a gateway request's) over the same bytes.
		let bytes = directory().encode();
		let mut m = crate::gateway::FETCH_DOMAIN.to_vec();
		m.extend_from_slice(&bytes);
		let cross = SignedDirectory {
			signature: format!("0x{}", hex::encode(pair("//Alice").sign(&m).0)),
			..signed
		};
		assert!(matches!(check(&cross), Err(DirectoryError::BadSignature(_))));
	}

	#[test]
	fn a_directory_not_signed_by_the_hospitals_admin_is_rejected_whole() {
		// Eve signs, and says so: a good signature, but Eve is not the admin.
		let eves = sign(&directory(), &pair("//Eve"));
		assert!(open(&eves).is_ok());
		assert_eq!(
			check(&eves),
			Err(DirectoryError::NotAdmin {
				signer: account("//Eve").to_ss58check(),
				admin: account("//Alice").to_ss58check(),
			})
		);
		// Eve signs and names Alice as the signer.
		let posing = SignedDirectory { signer: account("//Alice").to_ss58check(), ..eves };
		assert!(matches!(check(&posing), Err(DirectoryError::BadSignature(_))));
		// Alice signed it, but the registry now names another admin.
		let alices = sign(&directory(), &pair("//Alice"));
		let handed_over = HospitalInfo { admin: account("//Charlie"), ..hospital_zero() };
		assert!(matches!(
			verify(&alices, 0, genesis(), Some(&handed_over), chain),
			Err(DirectoryError::NotAdmin { .. })
		));
		// No such hospital.
		assert_eq!(
			verify(&alices, 0, genesis(), None, chain),
			Err(DirectoryError::UnknownHospital(0))
		);
	}

	#[test]
	fn a_directory_of_another_chain_or_hospital_is_rejected_whole() {
		let signed = sign(&directory(), &pair("//Alice"));
		assert!(matches!(
			verify(&signed, 0, H256::repeat_byte(8), Some(&hospital_zero()), chain),
			Err(DirectoryError::WrongChain { .. })
		));
		// Hospital 0's directory served as hospital 1's.
		let one = HospitalInfo { id: 1, ..hospital_zero() };
		assert_eq!(
			verify(&signed, 1, genesis(), Some(&one), chain),
			Err(DirectoryError::WrongHospital { directory: 0, expected: 1 })
		);
	}

	#[test]
	fn an_entry_reads_and_writes_as_json_with_its_account_in_ss58() {
		let e = DirectoryEntry {
			department: Some("Cardiology".into()),
			..entry("//Bob", "Dr. Ana Silva", StaffRole::Doctor)
		};
		let json = serde_json::to_value(&e).unwrap();
		assert_eq!(
			json,
			serde_json::json!({
				"account": account("//Bob").to_ss58check(),
				"name": "Dr. Ana Silva",
				"role": "Doctor",
				"department": "Cardiology",
			})
		);
		assert_eq!(serde_json::from_value::<DirectoryEntry>(json).unwrap(), e);
		let bare: DirectoryEntry = serde_json::from_str(&format!(
			r#"{{"account":"{}","name":"Marta Sousa","role":"Nurse"}}"#,
			account("//Ferdie").to_ss58check()
		))
		.unwrap();
		assert_eq!(bare.department, None);
	}
}

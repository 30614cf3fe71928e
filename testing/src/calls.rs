//! The calls the end-to-end scenarios are built of, where every test would otherwise spell out
//! the same fields: a staff member registered, a patient's grant to read for treatment, the
//! content of a stand-in document.

use ehr_client::runtime::{AccountId, RuntimeCall};
use pallet_consent::{Action, Grantee, Purpose, ScopeInput};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{cid, Content, ContentInput, EncryptionScheme};
use sp_core::H256;

/// `hospitalRegistry.registerStaff`: the signer's hospital takes `who` on as `role`, with no end
/// date. The licence commitment is a fixed stand-in: the chain never reads it.
pub fn register_staff(who: AccountId, role: StaffRole) -> RuntimeCall {
	RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::register_staff {
		staff: who,
		role,
		licence_commitment: H256::repeat_byte(1),
		valid_until: None,
	})
}

/// `consent.grant`: `patient` lets `grantee` read `scope` for treatment from now until `ends`
/// (ms since the Unix epoch), with no category excluded.
pub fn grant_read(
	patient: AccountId,
	grantee: Grantee<AccountId>,
	scope: ScopeInput,
	ends: u64,
) -> RuntimeCall {
	RuntimeCall::Consent(pallet_consent::Call::grant {
		patient,
		grantee,
		scope,
		excluded: vec![].try_into().expect("no category is within the bound; qed"),
		purposes: vec![Purpose::Treatment]
			.try_into()
			.expect("one purpose is within the bound; qed"),
		actions: vec![Action::Read].try_into().expect("one action is within the bound; qed"),
		starts: None,
		ends,
	})
}

/// The content a record anchors for a stand-in document whose sealed bytes are `stand_in` (a
/// test sends no document): their SHA2-256 commitment and CID, and `size` as its size.
pub fn content_of(stand_in: &[u8], size: u64) -> ContentInput {
	let digest = sp_io::hashing::sha2_256(stand_in);
	Content {
		commitment: H256(digest),
		cid: cid::raw_sha2_256(&digest).to_vec(),
		scheme: EncryptionScheme::XChaCha20Poly1305,
		size,
	}
}

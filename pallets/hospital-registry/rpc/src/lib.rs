//! `ehr_*` JSON-RPC methods of the hospital registry, for hospital EHR systems and gateways.
//!
//! Every method takes an optional block hash (`at`); without it the best block is read. Results
//! are plain JSON: names and URLs as strings, accounts in SS58, PeerIds in base58 as libp2p
//! prints them.

#![deny(missing_docs)]

use std::sync::Arc;

use codec::Codec;
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::error::{ErrorObject, ErrorObjectOwned},
};
use pallet_hospital_registry::{HospitalStatus, StaffCheck, StaffRole};
pub use pallet_hospital_registry_runtime_api::HospitalRegistryApi as RuntimeApiOf;
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::crypto::Ss58Codec;
use sp_runtime::traits::Block as BlockT;
use RuntimeApiOf as RuntimeApi;

/// A hospital in JSON.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Hospital {
	/// Id.
	pub id: u32,
	/// Display name.
	pub name: String,
	/// Admin account (SS58).
	pub admin: String,
	/// Validator account (SS58).
	pub validator: String,
	/// Document gateway URL.
	pub gateway_url: String,
	/// Node PeerIds (base58).
	pub nodes: Vec<String>,
	/// `active`, `suspended` or `removed`.
	pub status: String,
}

/// The staff check in JSON: `active` with hospital and role, or the reason it fails.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StaffStatusJson {
	/// Whether the account may act as staff now.
	pub active: bool,
	/// `active`, `notStaff`, `suspended`, `employmentEnded`, `expired` or `hospitalNotActive`.
	pub status: String,
	/// Employing hospital, when registered.
	pub hospital: Option<u32>,
	/// Role, when registered: `doctor`, `nurse`, `lab`, `administrator`, `privacyOfficer`.
	pub role: Option<String>,
	/// End of validity (ms since the epoch), if any.
	pub valid_until: Option<u64>,
	/// The hospital's commitment to the licence number (hex), when registered.
	pub licence_commitment: Option<String>,
}

/// `ehr_*` methods of the hospital registry.
#[rpc(client, server)]
pub trait HospitalRegistryRpc<BlockHash, AccountId> {
	/// One hospital, or null.
	#[method(name = "ehr_hospital")]
	fn hospital(&self, id: u32, at: Option<BlockHash>) -> RpcResult<Option<Hospital>>;

	/// All hospitals, every status.
	#[method(name = "ehr_hospitals")]
	fn hospitals(&self, at: Option<BlockHash>) -> RpcResult<Vec<Hospital>>;

	/// Whether an account may act as staff now, and if not, why.
	#[method(name = "ehr_staffStatus")]
	fn staff_status(&self, who: AccountId, at: Option<BlockHash>) -> RpcResult<StaffStatusJson>;

	/// Whether `who` may act for `patient` (the patient, a delegate or a guardian).
	#[method(name = "ehr_actsFor")]
	fn acts_for(
		&self,
		who: AccountId,
		patient: AccountId,
		at: Option<BlockHash>,
	) -> RpcResult<bool>;

	/// Whether an account is a registered patient.
	#[method(name = "ehr_isPatient")]
	fn is_patient(&self, who: AccountId, at: Option<BlockHash>) -> RpcResult<bool>;
}

/// Implementation of [`HospitalRegistryRpcServer`] over a client with the runtime API.
pub struct HospitalRegistry<C, B> {
	client: Arc<C>,
	_marker: std::marker::PhantomData<B>,
}

impl<C, B> HospitalRegistry<C, B> {
	/// A handler reading through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _marker: Default::default() }
	}
}

/// JSON-RPC error code of a failed runtime API call.
pub const RUNTIME_ERROR: i32 = 1;

fn runtime_error(e: impl std::fmt::Debug) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, "runtime API call failed", Some(format!("{e:?}")))
}

fn status_str(s: HospitalStatus) -> &'static str {
	match s {
		HospitalStatus::Active => "active",
		HospitalStatus::Suspended => "suspended",
		HospitalStatus::Removed => "removed",
	}
}

fn role_str(r: StaffRole) -> &'static str {
	match r {
		StaffRole::Doctor => "doctor",
		StaffRole::Nurse => "nurse",
		StaffRole::Lab => "lab",
		StaffRole::Administrator => "administrator",
		StaffRole::PrivacyOfficer => "privacyOfficer",
		StaffRole::Gateway => "gateway",
	}
}

/// Base58 (Bitcoin alphabet), as libp2p prints PeerIds.
fn base58(bytes: &[u8]) -> String {
	const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 2);
	for &b in bytes {
		let mut carry = b as u32;
		for d in digits.iter_mut() {
			carry += (*d as u32) << 8;
			*d = (carry % 58) as u8;
			carry /= 58;
		}
		while carry > 0 {
			digits.push((carry % 58) as u8);
			carry /= 58;
		}
	}
	let zeros = bytes.iter().take_while(|b| **b == 0).count();
	std::iter::repeat_n('1', zeros)
		.chain(digits.iter().rev().map(|d| ALPHABET[*d as usize] as char))
		.collect()
}

fn to_json<AccountId: Ss58Codec>(h: pallet_hospital_registry::HospitalInfo<AccountId>) -> Hospital {
	Hospital {
		id: h.id,
		name: String::from_utf8_lossy(&h.name).into_owned(),
		admin: h.admin.to_ss58check(),
		validator: h.validator.to_ss58check(),
		gateway_url: String::from_utf8_lossy(&h.gateway_url).into_owned(),
		nodes: h.nodes.iter().map(|n| base58(n)).collect(),
		status: status_str(h.status).into(),
	}
}

impl<C, B, AccountId> HospitalRegistryRpcServer<<B as BlockT>::Hash, AccountId>
	for HospitalRegistry<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: RuntimeApi<B, AccountId>,
	AccountId: Codec + Ss58Codec + Clone + Send + Sync + for<'de> serde::Deserialize<'de> + 'static,
{
	fn hospital(&self, id: u32, at: Option<B::Hash>) -> RpcResult<Option<Hospital>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let h = self.client.runtime_api().hospital(at, id).map_err(runtime_error)?;
		Ok(h.map(to_json))
	}

	fn hospitals(&self, at: Option<B::Hash>) -> RpcResult<Vec<Hospital>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let hs = self.client.runtime_api().hospitals(at).map_err(runtime_error)?;
		Ok(hs.into_iter().map(to_json).collect())
	}

	fn staff_status(&self, who: AccountId, at: Option<B::Hash>) -> RpcResult<StaffStatusJson> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let api = self.client.runtime_api();
		let check = api.staff_check(at, who.clone()).map_err(runtime_error)?;
		let member = api.staff(at, who).map_err(runtime_error)?;
		let status = match check {
			StaffCheck::Active(_) => "active",
			StaffCheck::NotStaff => "notStaff",
			StaffCheck::Suspended => "suspended",
			StaffCheck::EmploymentEnded => "employmentEnded",
			StaffCheck::Expired => "expired",
			StaffCheck::HospitalNotActive => "hospitalNotActive",
		};
		Ok(StaffStatusJson {
			active: matches!(check, StaffCheck::Active(_)),
			status: status.into(),
			hospital: member.as_ref().map(|m| m.hospital),
			role: member.as_ref().map(|m| role_str(m.role).into()),
			valid_until: member.as_ref().and_then(|m| m.valid_until),
			licence_commitment: member
				.as_ref()
				.map(|m| format!("0x{}", hex::encode(m.licence_commitment.as_bytes()))),
		})
	}

	fn acts_for(&self, who: AccountId, patient: AccountId, at: Option<B::Hash>) -> RpcResult<bool> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client.runtime_api().acts_for(at, who, patient).map_err(runtime_error)
	}

	fn is_patient(&self, who: AccountId, at: Option<B::Hash>) -> RpcResult<bool> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client.runtime_api().is_patient(at, who).map_err(runtime_error)
	}
}

#[cfg(test)]
mod tests {
	use super::base58;

	#[test]
	fn base58_matches_known_values() {
		assert_eq!(base58(b""), "");
		assert_eq!(base58(&[0, 0, 1]), "112");
		assert_eq!(base58(b"hello world"), "StV1DL6CwTryKyV");
		// An ed25519 PeerId multihash prefix (0x00 0x24 0x08 0x01 0x12 0x20) encodes to "12D3KooW...".
		let mut peer = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
		peer.extend([7u8; 32]);
		assert!(base58(&peer).starts_with("12D3KooW"), "{}", base58(&peer));
	}
}

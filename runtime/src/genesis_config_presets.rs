//! Genesis presets: the starting state of a chain, selected by name from the node
//! (`ehr-node --chain dev|local`) or from `export-chain-spec`.
//!
//! * `development`: one hospital (Alice: admin and authority), for a single node on a laptop;
//!   Alice also holds a sudo key.
//! * `local_testnet`: four hospitals (Alice, Bob, Charlie, Dave), the normal local network:
//!   GRANDPA keeps finalizing with one of the four down. No sudo key: the hospital council
//!   governs.
//!
//! The authorities are not listed for Aura and GRANDPA directly: the registry's hospitals are
//! the validators, and pallet-session hands their session keys to both.

use crate::{
	AccountId, BalancesConfig, HospitalRegistryConfig, RuntimeGenesisConfig, SessionConfig,
	SessionKeys, SudoConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_hospital_registry::StaffRole;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Balance given to each endowed development account: enough to pay fees for a long time.
const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// A founding hospital: its accounts and the session keys of its authority node.
pub struct Hospital {
	/// Display name.
	pub name: &'static str,
	/// Admin account (council member) and validator account (owner of the session keys).
	pub account: AccountId,
	/// Aura key.
	pub aura: AuraId,
	/// GRANDPA key.
	pub grandpa: GrandpaId,
	/// The account of its document gateway (`ehr-gateway --suri //<Name>//stash`), registered
	/// as `Gateway` staff at genesis.
	pub gateway: AccountId,
}

impl Hospital {
	/// Development keys of a well-known name (`//Alice`, ...): sr25519 for the account and Aura,
	/// ed25519 for GRANDPA, exactly what `ehr-node --alice` puts in its keystore.
	pub fn dev(
		name: &'static str,
		sr: Sr25519Keyring,
		ed: Ed25519Keyring,
		gateway: Sr25519Keyring,
	) -> Self {
		Hospital {
			name,
			account: sr.to_account_id(),
			aura: sr.public().into(),
			grandpa: ed.public().into(),
			gateway: gateway.to_account_id(),
		}
	}
}

/// Builds the genesis patch of a chain.
fn testnet_genesis(
	hospitals: Vec<Hospital>,
	endowed_accounts: Vec<AccountId>,
	root: Option<AccountId>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.iter().cloned().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		hospital_registry: HospitalRegistryConfig {
			// Node PeerIds are registered by each hospital's admin once its node key exists
			// (`hospitalRegistry.setNodes`); until then no node restricts its peers.
			hospitals: hospitals
				.iter()
				.enumerate()
				.map(|(i, h)| {
					(
						h.name.as_bytes().to_vec(),
						h.account.clone(),
						h.account.clone(),
						alloc::format!("http://127.0.0.1:{}", 8440 + i).into_bytes(),
						Vec::<Vec<u8>>::new(),
					)
				})
				.collect::<Vec<_>>(),
			staff: hospitals
				.iter()
				.enumerate()
				.map(|(i, h)| (h.gateway.clone(), i as u32, StaffRole::Gateway))
				.collect::<Vec<_>>(),
		},
		session: SessionConfig {
			keys: hospitals
				.iter()
				.map(|h| {
					(
						h.account.clone(),
						h.account.clone(),
						SessionKeys { aura: h.aura.clone(), grandpa: h.grandpa.clone() },
					)
				})
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: root },
	})
}

/// The hospitals of the local four-node network.
pub fn local_hospitals() -> Vec<Hospital> {
	vec![
		Hospital::dev(
			"Alice General",
			Sr25519Keyring::Alice,
			Ed25519Keyring::Alice,
			Sr25519Keyring::AliceStash,
		),
		Hospital::dev(
			"Bob Memorial",
			Sr25519Keyring::Bob,
			Ed25519Keyring::Bob,
			Sr25519Keyring::BobStash,
		),
		Hospital::dev(
			"Charlie University",
			Sr25519Keyring::Charlie,
			Ed25519Keyring::Charlie,
			Sr25519Keyring::CharlieStash,
		),
		Hospital::dev(
			"Dave Children's",
			Sr25519Keyring::Dave,
			Ed25519Keyring::Dave,
			Sr25519Keyring::DaveStash,
		),
	]
}

/// The `development` preset: one hospital, Alice, who also holds the sudo key.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![Hospital::dev(
			"Alice General",
			Sr25519Keyring::Alice,
			Ed25519Keyring::Alice,
			Sr25519Keyring::AliceStash,
		)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Some(Sr25519Keyring::Alice.to_account_id()),
	)
}

/// The `local_testnet` preset: four hospitals, governed by their council, no sudo key.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		local_hospitals(),
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		None,
	)
}

/// Provides the JSON representation of predefined genesis config for given `id`.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// List of supported presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

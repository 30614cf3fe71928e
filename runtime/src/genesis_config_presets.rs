//! Genesis presets: the starting state of a chain, selected by name from the node
//! (`ehr-node --chain dev|local`) or from `export-chain-spec`.
//!
//! * `development`: one authority (Alice), for a single node on a laptop.
//! * `local_testnet`: four hospital authorities (Alice, Bob, Charlie, Dave), the normal local
//!   network: GRANDPA keeps finalizing with one of the four down.

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig, UNIT};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Balance given to each endowed development account: enough to pay fees for a long time.
const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// The authority keys of one hospital node.
pub struct Authority {
	pub aura: AuraId,
	pub grandpa: GrandpaId,
}

impl Authority {
	/// Development keys of a well-known name (`//Alice`, ...): sr25519 for Aura, ed25519 for
	/// GRANDPA, exactly what `ehr-node --alice` puts in its keystore.
	pub fn dev(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> Self {
		Authority { aura: aura.public().into(), grandpa: grandpa.public().into() }
	}
}

/// Builds the genesis patch of a chain.
fn testnet_genesis(
	initial_authorities: Vec<Authority>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.iter().cloned().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: initial_authorities.iter().map(|a| a.aura.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities
				.iter()
				.map(|a| (a.grandpa.clone(), 1))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
	})
}

/// The hospitals of the local four-node network, in authority order.
pub const LOCAL_HOSPITALS: [(Sr25519Keyring, Ed25519Keyring); 4] = [
	(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
	(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
	(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
	(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
];

/// The `development` preset: one authority, Alice, who is also the sudo key.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![Authority::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The `local_testnet` preset: four hospital authorities.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		LOCAL_HOSPITALS.iter().map(|(a, g)| Authority::dev(*a, *g)).collect(),
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
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

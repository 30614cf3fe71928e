//! Helpers shared by the runtime integration tests.

#![allow(dead_code)]

use ehr_runtime::{genesis_config_presets, RuntimeGenesisConfig};
use frame_support::genesis_builder_helper::build_state;
use serde_json::Value;
use sp_genesis_builder::PresetId;

/// Merges a preset patch into the runtime's default genesis config, as the node does.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(b), Value::Object(p)) => {
			for (k, v) in p {
				merge(b.entry(k).or_insert(Value::Null), v);
			}
		},
		(b, p) => *b = p,
	}
}

/// Builds the genesis state of preset `id`.
pub fn genesis_of(id: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&PresetId::from(id))
		.unwrap_or_else(|| panic!("preset {id} exists"));
	let mut full = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut full, serde_json::from_slice(&patch).unwrap());
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(serde_json::to_vec(&full).unwrap())
			.unwrap_or_else(|e| panic!("preset {id} builds: {e}"))
	});
	ext
}

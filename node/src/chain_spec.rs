//! Chain specifications built from the runtime's genesis presets.

use ehr_runtime::WASM_BINARY;
use sc_service::ChainType;

/// Specialized `ChainSpec`. This is a specialization of the general Substrate ChainSpec type.
pub type ChainSpec = sc_service::GenericChainSpec;

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime's wasm binary is not available; rebuild without SKIP_WASM_BUILD".to_string()
	})
}

fn spec(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(ehr_runtime::chain_properties::as_json())
		.build())
}

/// A single-node development chain: Alice's hospital authors and finalizes; Alice holds sudo.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	spec(
		"ehr-chain development",
		"ehr_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// The local four-hospital network: Alice, Bob, Charlie and Dave are the authorities.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	spec(
		"ehr-chain local testnet",
		"ehr_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// Resolves `--chain`: a preset name or the path of a chain-spec JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" | "development" | "" => Box::new(development_chain_spec()?),
		"local" | "local_testnet" => Box::new(local_chain_spec()?),
		path => {
			let p = std::path::PathBuf::from(path);
			if !p.is_file() {
				return Err(format!(
					"unknown chain `{path}`: use `dev`, `local` or the path of a chain-spec JSON file"
				));
			}
			Box::new(ChainSpec::from_json_file(p).map_err(|e| {
				format!("chain-spec file `{path}` is not a valid chain spec: {}", one_line(&e))
			})?)
		},
	})
}

/// Collapses a multi-line message to one line.
fn one_line(s: &str) -> String {
	s.split_whitespace().collect::<Vec<_>>().join(" ")
}

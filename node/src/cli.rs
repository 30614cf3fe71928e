//! Command-line interface of `ehr-node`.

use sc_cli::RunCmd;

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate node keys, inspect keys, insert session keys into the keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Print a PeerId (base58, as `key inspect-node-key` prints it) in the hex form the hospital
	/// registry takes (`hospitalRegistry.setNodes`, `admitHospital`).
	PeerId(PeerIdCmd),

	/// Export the chain specification of `--chain` (a preset name or a file), plain or raw.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmark runtime pallets and the machine (only in a build with
	/// `--features runtime-benchmarks`, see `scripts/benchmark.sh`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),
}

/// `ehr-node [SUBCOMMAND] [OPTIONS]`.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of a running node.
	#[clap(flatten)]
	pub run: RunCmd,
}

/// `ehr-node peer-id <PEER_ID>`.
#[derive(Debug, clap::Args)]
pub struct PeerIdCmd {
	/// The PeerId in base58, e.g. `12D3KooW...`.
	pub peer_id: String,
}

impl PeerIdCmd {
	/// The binary PeerId (its multihash) in `0x` hex.
	pub fn hex(&self) -> Result<String, String> {
		use std::str::FromStr;
		let id = sc_network::PeerId::from_str(self.peer_id.trim())
			.map_err(|e| format!("not a PeerId: {:?}: {e}", self.peer_id))?;
		Ok(format!("0x{}", hex::encode(id.to_bytes())))
	}
}

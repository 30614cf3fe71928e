//! Command-line interface of `ehr-node`.

use sc_cli::RunCmd;

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate node keys, inspect keys, insert session keys into the keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

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

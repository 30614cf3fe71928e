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

/// `--pool-limit` of `ehr-node` when the command line sets none: the ready queue holds this many
/// extrinsics and the future queue (extrinsics waiting for an earlier nonce) a tenth of it, 4,096.
/// At 2 s slots and at most about 600 extrinsics a block, 40,960 ready extrinsics are more than a
/// minute of full blocks, and 4,096 future ones leave room for 64 signers each 64 ahead of the
/// chain (what `ehr_client::Submitter` keeps in flight by default); Substrate's 8,192 (819 future)
/// drops a single hospital's burst of a few thousand.
pub const POOL_LIMIT: usize = 40_960;

/// `--pool-kbytes` when the command line sets none: 160 MiB of ready extrinsics, 16 MiB of future
/// ones (the same tenth). A record's extrinsic is a few hundred bytes and a batch of 100 records
/// about 20 KiB, so the count, not the bytes, bounds a pool of records; 176 MiB at most is little
/// on a hospital's server.
pub const POOL_KBYTES: usize = 160 * 1024;

/// `--tx-ban-seconds` when the command line sets none (and not `--dev`, where Substrate bans for
/// 0 s): an extrinsic the pool found invalid or dropped is refused for 60 s instead of 30 minutes.
/// The ban protects a node from re-validating the same bad extrinsic gossiped again and again; on
/// a permissioned network the peers are known hospitals, and a minute stops such a loop while a
/// hospital that resubmits the same bytes after a drop is not refused for half an hour.
pub const TX_BAN_SECONDS: u64 = 60;

/// Raises the transaction-pool limits of `params` to [`POOL_LIMIT`], [`POOL_KBYTES`] and
/// [`TX_BAN_SECONDS`] where `args` (the command line) does not set the flag itself: an operator's
/// `--pool-limit`, `--pool-kbytes` or `--tx-ban-seconds` always wins. `dev` keeps Substrate's
/// ban of 0 s for a development chain.
pub fn apply_pool_defaults(
	params: &mut sc_cli::TransactionPoolParams,
	dev: bool,
	args: impl IntoIterator<Item = std::ffi::OsString>,
) {
	let args: Vec<String> = args.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
	let given = |flag: &str| {
		let with_value = format!("{flag}=");
		args.iter().any(|a| a == flag || a.starts_with(&with_value))
	};
	if !given("--pool-limit") {
		params.pool_limit = POOL_LIMIT;
	}
	if !given("--pool-kbytes") {
		params.pool_kbytes = POOL_KBYTES;
	}
	if !given("--tx-ban-seconds") && !dev {
		params.tx_ban_seconds = Some(TX_BAN_SECONDS);
	}
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

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	fn parsed(args: &[&str]) -> Cli {
		let argv: Vec<std::ffi::OsString> =
			std::iter::once("ehr-node").chain(args.iter().copied()).map(Into::into).collect();
		let mut cli = Cli::parse_from(argv.clone());
		let dev = cli.run.shared_params.dev;
		apply_pool_defaults(&mut cli.run.pool_config, dev, argv);
		cli
	}

	#[test]
	fn pool_defaults_apply_when_no_flag_is_given() {
		let cli = parsed(&["--chain", "local"]);
		assert_eq!(cli.run.pool_config.pool_limit, POOL_LIMIT);
		assert_eq!(cli.run.pool_config.pool_kbytes, POOL_KBYTES);
		assert_eq!(cli.run.pool_config.tx_ban_seconds, Some(TX_BAN_SECONDS));
	}

	#[test]
	fn operator_flags_win_over_the_pool_defaults() {
		let cli = parsed(&["--pool-limit", "100", "--pool-kbytes=200", "--tx-ban-seconds", "7"]);
		assert_eq!(cli.run.pool_config.pool_limit, 100);
		assert_eq!(cli.run.pool_config.pool_kbytes, 200);
		assert_eq!(cli.run.pool_config.tx_ban_seconds, Some(7));
	}

	#[test]
	fn a_dev_node_keeps_no_ban() {
		let cli = parsed(&["--dev"]);
		assert_eq!(cli.run.pool_config.pool_limit, POOL_LIMIT);
		assert_eq!(cli.run.pool_config.tx_ban_seconds, None);
	}
}

//! `ehr-node`: the node each member hospital of the ehr-chain consortium runs.
//!
//! Aura produces blocks, GRANDPA finalizes them, ParityDB stores the chain.

#![warn(missing_docs)]
// `sc_cli::Error` and `sc_service::Error` are large by upstream design; every Substrate node's
// command and service functions return them.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() {
	// sc-cli prints errors through `Debug`, which spreads one problem over several lines. An
	// operator gets one line, the error's `Display`, and a non-zero exit code instead.
	if let Err(e) = command::run() {
		eprintln!("Error: {e}");
		std::process::exit(1);
	}
}

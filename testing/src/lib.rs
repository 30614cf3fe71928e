//! # ehr-testing
//!
//! What ehr-chain's end-to-end tests (`node/tests`, `gateway/tests`, `load/tests`) and the load
//! tool (`ehr-load`) share, written once:
//!
//! * [`node`]: one local `ehr-node` process on free loopback ports ([`Node`], [`NodeConfig`]),
//!   and where its binary is ([`node_binary`]);
//! * [`network`]: several nodes booting from the first, such as the four authorities of the
//!   local network ([`network::start_local`]), and the check that no two of them finalized
//!   different blocks;
//! * [`extrinsics`]: an extrinsic signed, submitted and followed to finality ([`submit`]), several
//!   of one signer at once ([`submit_all`]), one expected to fail with the name of its error
//!   ([`submit_expect_error`]) or to be refused by the pool ([`submit_expect_invalid`]), and a
//!   council motion carried through ([`council_motion`]);
//! * [`calls`]: the calls every scenario starts with (staff registered, a grant, a record's
//!   content);
//! * [`events`]: finding an event among an extrinsic's ([`find_event!`], [`record_added`]);
//! * [`state`]: every storage entry under a prefix, and an account's free balance, over
//!   JSON-RPC;
//! * [`s3`]: a real S3-compatible server on loopback ([`S3Server`]);
//! * [`tls`]: a certificate authority made for a test, issuing loopback certificates
//!   ([`TestCa`]);
//! * [`wait_until`]: polling until a condition holds, with a deadline.
//!
//! Test-only: nothing here is for an integrator (that is `ehr-client`), and the crate is never
//! published.

#![warn(missing_docs)]

pub mod calls;
pub mod events;
pub mod extrinsics;
pub mod network;
pub mod node;
pub mod s3;
pub mod state;
pub mod tls;

use std::{
	future::Future,
	time::{Duration, Instant},
};

pub use calls::{content_of, grant_read, register_staff};
pub use events::{record_added, records_added};
pub use extrinsics::{
	council_motion, submit, submit_all, submit_expect_error, submit_expect_invalid, Signs,
	SUBMIT_TIMEOUT,
};
pub use network::LOCAL_AUTHORITIES;
pub use node::{free_port, node_binary, node_binary_from_env, Node, NodeConfig, NODE_BIN_VAR};
pub use s3::S3Server;
pub use state::{free_balance, storage_entries};
pub use tls::TestCa;

/// Errors of the test support.
#[derive(thiserror::Error)]
pub enum Error {
	/// A call of `ehr-client` failed (JSON-RPC, decoding, a failed dispatch).
	#[error(transparent)]
	Client(#[from] ehr_client::Error),
	/// A local process or file problem.
	#[error("io: {0}")]
	Io(#[from] std::io::Error),
	/// Waiting for something took longer than allowed.
	#[error("timeout: {0}")]
	Timeout(String),
	/// Two nodes finalized different blocks at the same height.
	#[error("conflicting finality: {0}")]
	Conflict(String),
}

// Shown as its message: a test's `unwrap()` then prints a node's log tail line by line, not as
// one escaped string.
impl std::fmt::Debug for Error {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		std::fmt::Display::fmt(self, f)
	}
}

/// Result of the test support.
pub type Result<T> = std::result::Result<T, Error>;

/// Polls `check` every 250 ms until it returns `Some`, failing with `what` and the elapsed time
/// after `timeout`. An error of `check` does not end the wait: the last one is in the timeout's
/// message.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
	F: FnMut() -> Fut,
	Fut: Future<Output = Result<Option<T>>>,
{
	let start = Instant::now();
	let mut last_err = None;
	loop {
		match check().await {
			Ok(Some(v)) => return Ok(v),
			Ok(None) => {},
			Err(e) => last_err = Some(e.to_string()),
		}
		if start.elapsed() > timeout {
			return Err(Error::Timeout(format!(
				"{what}: not reached within {timeout:?}{}",
				last_err.map(|e| format!(" (last error: {e})")).unwrap_or_default()
			)));
		}
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
}

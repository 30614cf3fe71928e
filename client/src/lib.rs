//! # ehr-client
//!
//! A typed Rust client for ehr-chain, built on the runtime's own types (so a call or an event
//! that does not match the runtime does not compile):
//!
//! * [`Rpc`]: JSON-RPC over HTTP to any `ehr-node` (chain, state, author and `ehr_*` methods);
//! * [`Signer`]: builds and signs extrinsics with the exact transaction extensions of the runtime;
//! * [`Rpc::submit_and_watch`]: submits and follows an extrinsic to inclusion and finality, and
//!   returns its events;
//! * [`audit`]: fetches a patient's access log and verifies its hash chain client-side;
//! * [`document`]: seals a medical document (XChaCha20-Poly1305 under a fresh key) and gives
//!   the commitment and CID a record anchors; salted commitments of identifiers;
//! * [`keys`]: X25519 encryption keys of accounts, and document keys wrapped to them;
//! * [`gateway`]: the document gateway's protocol and a client for it (upload, fetch, open).
//!
//! Starting local `ehr-node` processes for tests is not the integrator's business: that is the
//! workspace's `ehr-testing` crate.

#![warn(missing_docs)]

pub mod audit;
pub mod document;
pub mod gateway;
pub mod keys;
mod rpc;
mod signer;

pub use ehr_runtime as runtime;
pub use rpc::{Included, Rpc};
pub use signer::{extrinsic_hash, ChainContext, Signer};

/// Errors of the client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The JSON-RPC transport or the node answered with an error.
	#[error("rpc: {0}")]
	Rpc(#[from] jsonrpsee::core::ClientError),
	/// The node's answer could not be decoded.
	#[error("decode: {0}")]
	Decode(String),
	/// Waiting for something took longer than allowed.
	#[error("timeout: {0}")]
	Timeout(String),
	/// The extrinsic was included but failed.
	#[error("dispatch failed: {0}")]
	Dispatch(String),
	/// A local process or file problem.
	#[error("io: {0}")]
	Io(#[from] std::io::Error),
	/// A document gateway refused the request.
	#[error(transparent)]
	Refused(#[from] gateway::Refused),
	/// A fetched document does not check against the chain or does not open.
	#[error("fetched document: {0}")]
	Fetched(#[from] gateway::FetchedError),
}

/// Result of the client.
pub type Result<T> = std::result::Result<T, Error>;

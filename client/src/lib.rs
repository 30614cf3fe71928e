//! # ehr-client
//!
//! A typed Rust client for ehr-chain, built on the runtime's own types (so a call or an event
//! that does not match the runtime does not compile):
//!
//! * [`Rpc`]: JSON-RPC over HTTP to any `ehr-node` (chain, state, author and `ehr_*` methods);
//! * [`Signer`]: builds and signs extrinsics with the exact transaction extensions of the runtime;
//! * [`Submitter`]: what an EHR system submits its calls through: per call, a future that ends
//!   in [`Included`] (finalized, with its events) or in the reason it never will (refused by the
//!   pool, failed dispatch, dropped every time); it paces each signer, assigns nonces in call
//!   order, resubmits what the pool drops and closes the nonce gap a refused call leaves
//!   ([`submit`] says how);
//! * [`Rpc::sign_and_watch`]: one call through a [`Submitter`], with a timeout;
//!   [`Rpc::submit_and_watch`]: submits one already signed extrinsic and follows it to finality
//!   (no resubmission: its signature is fixed);
//! * [`audit`]: fetches a patient's access log and verifies its hash chain client-side;
//! * [`document`]: seals a medical document (XChaCha20-Poly1305 under a fresh key) and gives
//!   the commitment and CID a record anchors; salted commitments of identifiers;
//! * [`keys`]: X25519 encryption keys of accounts, and document keys wrapped to them;
//! * [`gateway`]: the document gateway's protocol and a client for it (upload, fetch, open);
//!   [`transfer`]: documents of any size streamed to and from its files;
//! * [`directory`]: hospitals' staff directories (names off chain, signed by the hospital's
//!   admin), checked against the registry.
//!
//! Starting local `ehr-node` processes for tests is not the integrator's business: that is the
//! workspace's `ehr-testing` crate.

#![warn(missing_docs)]

pub mod audit;
pub mod directory;
pub mod document;
pub mod gateway;
pub mod keys;
mod rpc;
mod signer;
pub mod submit;
pub mod transfer;
pub mod verify;

pub use ehr_runtime as runtime;
pub use rpc::{Included, Rpc};
pub use signer::{extrinsic_hash, ChainContext, Signer};
pub use submit::{Refusal, Submission, SubmitConfig, Submitter};

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
	/// The node's transaction pool refused the extrinsic for good (its reason).
	#[error("refused by the pool: {0}")]
	Invalid(String),
	/// The pool dropped the extrinsic every time it was resubmitted.
	#[error("dropped: {0}")]
	Dropped(String),
	/// The node stopped answering while the call was in flight.
	#[error("unreachable: {0}")]
	Unreachable(String),
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

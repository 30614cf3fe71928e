//! # ehr-notify
//!
//! Tells a patient, within seconds, when somebody opens emergency access to their records, reads
//! one of them or is refused one. A hospital or the patient runs it next to an `ehr-node`:
//!
//! * [`follow`]: follows the node's finalized blocks from a persisted cursor and turns every
//!   access-log entry (`accessLog.EntryAppended`) about a subscribed patient into messages;
//! * [`notice`]: what a message says ([`Notice`]: what, who, when, which record, why) and the
//!   [`Kind`]s a patient subscribes to: `emergency`, `read`, `refusal`, `grant`;
//! * [`subscription`]: the signed requests by which a patient subscribes and unsubscribes, and
//!   their checks (signature, chain, expiry, the signer being the patient);
//! * [`store`]: the service's own file store under `--data-dir`: subscriptions (the only place
//!   contact details are kept: never on chain), used nonces, the cursor and the outbox, written
//!   atomically;
//! * [`deliver`]: at-least-once delivery of the outbox by webhook (HTTP POST of JSON) and e-mail
//!   (SMTP), with retries and backoff;
//! * [`http`]: the HTTP endpoint (`POST /subscribe`, `POST /unsubscribe`) and a client of it.

#![warn(missing_docs)]

pub mod deliver;
pub mod follow;
pub mod http;
pub mod notice;
pub mod store;
pub mod subscription;

pub use notice::{Kind, Notice};
pub use subscription::{Refusal, Subscribe, Unsubscribe};

/// Errors of the service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// A call of `ehr-client` failed (JSON-RPC to the node, decoding).
	#[error(transparent)]
	Client(#[from] ehr_client::Error),
	/// A file of the store could not be read or written.
	#[error("io: {0}")]
	Io(#[from] std::io::Error),
	/// The store's file is not what this service writes.
	#[error("store: {0}")]
	Store(String),
	/// The node's chain is not the one the store's cursor was taken on.
	#[error("chain: {0}")]
	Chain(String),
	/// Bad configuration (an SMTP address, a sender, a listen address).
	#[error("config: {0}")]
	Config(String),
	/// The notification endpoint refused a request or could not be reached.
	#[error("endpoint: {0}")]
	Endpoint(String),
}

/// Result of the service.
pub type Result<T> = std::result::Result<T, Error>;

//! Runtime API of the access log: the heads, a patient's and the global one. Discoverable from
//! metadata (`api.call.accessLogApi` in Polkadot.js) and served over JSON-RPC as `ehr_*` methods.
//!
//! State keeps the heads only; the entries are in each node's entry index and in the
//! `EntryAppended` events, and the `ehr_*` methods serve them, walking back from the head.
//!
//! Version 2: `head` and `global_head`. Version 1 also had `entries` and `accesses`, which read
//! the last 256 entries of a patient that state kept then; a runtime of version 2 has neither.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

use codec::Codec;
pub use pallet_access_log::{Head, LogEntry};

sp_api::decl_runtime_apis! {
	/// Reads of the access log.
	#[api_version(2)]
	pub trait AccessLogApi<AccountId, BlockNumber> where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The patient's head: number of entries and hash of the last.
		fn head(patient: AccountId) -> Head;
		/// The head over all patients' entries.
		fn global_head() -> Head;
	}
}

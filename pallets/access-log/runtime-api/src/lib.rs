//! Runtime API of the access log: heads and the recent entries of a patient's log, and the
//! "who accessed my records" view. Discoverable from metadata (`api.call.accessLogApi` in
//! Polkadot.js) and served over JSON-RPC as `ehr_*` methods.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

use codec::Codec;
pub use pallet_access_log::{Head, LogEntry, LogPage};

sp_api::decl_runtime_apis! {
	/// Reads of the access log.
	pub trait AccessLogApi<AccountId, BlockNumber> where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The patient's head: number of entries and hash of the last.
		fn head(patient: AccountId) -> Head;
		/// The head over all patients' entries.
		fn global_head() -> Head;
		/// The patient's entries before sequence number `before` (from the newest if `None`),
		/// newest first, at most `limit`, as far as state still keeps them.
		fn entries(patient: AccountId, before: Option<u64>, limit: u32) -> LogPage<AccountId, BlockNumber>;
		/// "Who accessed my records": reads, refused reads and emergency accesses only.
		fn accesses(patient: AccountId, before: Option<u64>, limit: u32) -> LogPage<AccountId, BlockNumber>;
	}
}

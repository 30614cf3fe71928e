//! Weights of the hospital registry's calls.
//!
//! The trait is implemented for the runtime by `SubstrateWeight`, which `scripts/benchmark.sh`
//! generates from the benchmarks in `benchmarking.rs` (frame-benchmarking v2, run by
//! `ehr-node benchmark pallet`). Until that file is generated the pallet is not part of the
//! runtime: a call without a benchmarked weight never goes on chain.

use frame_support::weights::Weight;

/// Weight functions needed by the hospital registry.
pub trait WeightInfo {
	/// `admit_hospital` with `n` node PeerIds.
	fn admit_hospital(n: u32) -> Weight;
	/// `suspend_hospital`.
	fn suspend_hospital() -> Weight;
	/// `reinstate_hospital`.
	fn reinstate_hospital() -> Weight;
	/// `remove_hospital` of a hospital with `n` nodes.
	fn remove_hospital(n: u32) -> Weight;
	/// `update_hospital`.
	fn update_hospital() -> Weight;
	/// `set_nodes` with `n` new and `o` old PeerIds.
	fn set_nodes(n: u32, o: u32) -> Weight;
	/// `register_staff`.
	fn register_staff() -> Weight;
	/// `set_staff_status`.
	fn set_staff_status() -> Weight;
	/// `register_patient`.
	fn register_patient() -> Weight;
	/// `verify_patient`.
	fn verify_patient() -> Weight;
	/// `appoint_delegate`.
	fn appoint_delegate() -> Weight;
	/// `remove_delegate`.
	fn remove_delegate() -> Weight;
	/// `record_guardian`.
	fn record_guardian() -> Weight;
	/// `remove_guardian`.
	fn remove_guardian() -> Weight;
}

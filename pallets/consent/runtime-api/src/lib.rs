//! Runtime API of consent: the access decision and the patient's grants and emergency accesses.
//! Discoverable from metadata (`api.call.consentApi` in Polkadot.js) and served over JSON-RPC
//! as `ehr_*` methods. The document gateway asks [`ConsentApi::decide`] before every read.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
// `decide` takes the six inputs of an access decision.
#![allow(clippy::too_many_arguments)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use pallet_consent::{Action, Decision, EmergencyInfo, GrantId, GrantInfo, Purpose, Target};
pub use pallet_hospital_registry::{HospitalId, Moment};

sp_api::decl_runtime_apis! {
	/// Consent reads and the access decision.
	pub trait ConsentApi<AccountId, BlockNumber> where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// May `accessor` do `action` on `target` of `patient` for `purpose`, at time `at` (ms
		/// since the epoch; the block's time if `None`)? Permit with its basis, or deny with the
		/// reason.
		fn decide(
			accessor: AccountId,
			patient: AccountId,
			target: Target,
			purpose: Purpose,
			action: Action,
			at: Option<Moment>,
		) -> Decision;
		/// The patient's grants kept in state, newest first, with their status at the block's
		/// time.
		fn grants(patient: AccountId) -> Vec<GrantInfo<AccountId, BlockNumber>>;
		/// One grant of the patient.
		fn grant(patient: AccountId, id: GrantId) -> Option<GrantInfo<AccountId, BlockNumber>>;
		/// Emergency accesses to the patient's records waiting for review, newest first.
		fn emergencies(patient: AccountId) -> Vec<EmergencyInfo<AccountId, BlockNumber>>;
		/// A hospital's emergency accesses waiting for review, oldest first.
		fn review_queue(hospital: HospitalId) -> Vec<EmergencyInfo<AccountId, BlockNumber>>;
		/// Free consent operations the patient has left in the current window.
		fn free_ops_left(patient: AccountId) -> u32;
	}
}

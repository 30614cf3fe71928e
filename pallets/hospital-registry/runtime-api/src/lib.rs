//! Runtime API of the hospital registry: what EHR systems, gateways and patient apps ask about
//! hospitals, staff and patients. Discoverable from metadata (`api.call.hospitalRegistryApi` in
//! Polkadot.js) and served over JSON-RPC as `ehr_*` methods.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use pallet_hospital_registry::{
	Delegation, DelegationInfo, HospitalId, HospitalInfo, StaffCheck, StaffMember,
};

sp_api::decl_runtime_apis! {
	/// Reads of the hospital registry. Version 2 adds [`Self::delegations`].
	#[api_version(2)]
	pub trait HospitalRegistryApi<AccountId> where AccountId: Codec {
		/// One hospital.
		fn hospital(id: HospitalId) -> Option<HospitalInfo<AccountId>>;
		/// All hospitals, every status, in id order.
		fn hospitals() -> Vec<HospitalInfo<AccountId>>;
		/// A staff member's record.
		fn staff(who: AccountId) -> Option<StaffMember>;
		/// The staff check all pallets use: may `who` act as staff now, and if not, why.
		fn staff_check(who: AccountId) -> StaffCheck;
		/// Whether `who` is a registered patient.
		fn is_patient(who: AccountId) -> bool;
		/// Whether `who` may act for `patient` (the patient, a delegate, or a guardian).
		fn acts_for(who: AccountId, patient: AccountId) -> bool;
		/// Validator accounts of the active hospitals (the next session's validator set).
		fn validators() -> Vec<AccountId>;
		/// Who may act for `patient` besides the patient: each delegate and guardian, the
		/// hospital that recorded a guardian, and who contested it if a review is pending.
		#[api_version(2)]
		fn delegations(patient: AccountId) -> Vec<DelegationInfo<AccountId>>;
	}
}

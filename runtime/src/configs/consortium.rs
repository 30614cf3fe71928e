//! The hospital consortium: the registry, the validator set that follows it (pallet-session) and
//! the hospital council (pallet-collective) whose motions govern it.

use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32, EitherOfDiverse},
	weights::Weight,
};
use frame_system::EnsureRoot;
use sp_runtime::{traits::ConvertInto, Perbill};

use super::RuntimeBlockWeights;
use crate::{
	AccountId, Balances, BlockNumber, Council, HospitalRegistry, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeOrigin, SessionKeys, Timestamp, MINUTES,
};

/// Most hospitals the consortium can count, all statuses together; also the largest council and
/// validator set. 32 is far beyond a regional consortium and keeps every bound small.
pub const MAX_HOSPITALS: u32 = 32;

parameter_types! {
	/// A session lasts 20 s (10 blocks of 2 s): a hospital admitted by the council becomes an
	/// authority, or a suspended one stops being one, within two sessions. Short sessions cost
	/// little here: an unchanged validator set changes neither Aura nor the GRANDPA set.
	pub const SessionPeriod: BlockNumber = 10;
	pub const SessionOffset: BlockNumber = 0;
}

/// The hospital council: the admins of the active hospitals.
pub type CouncilCollective = pallet_collective::Instance1;

/// A two-thirds majority of the hospital council: the consortium's governance. Root (sudo) also
/// passes, for the development chain only; shared networks have no sudo key.
pub type ConsortiumGovernance = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>,
>;

impl pallet_hospital_registry::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type GovernanceOrigin = ConsortiumGovernance;
	type CouncilMembers = Council;
	type Time = Timestamp;
	type MaxNameLength = ConstU32<128>;
	type MaxUrlLength = ConstU32<256>;
	type MaxNodesPerHospital = ConstU32<4>;
	/// A PeerId of an ed25519 node key is a 38-byte multihash; 64 leaves room for others.
	type MaxPeerIdLength = ConstU32<64>;
	type MaxHospitals = ConstU32<MAX_HOSPITALS>;
	type MaxStaffPerHospital = ConstU32<10_000>;
	type MaxDelegatesPerPatient = ConstU32<8>;
	type MaxVerificationsPerPatient = ConstU32<16>;
	/// Four hospitals tolerate one failure (GRANDPA needs more than two thirds).
	type MinValidators = ConstU32<MIN_VALIDATORS>;
	type WeightInfo = pallet_hospital_registry::weights::SubstrateWeight<Runtime>;
}

/// Fewest active hospitals (validators) the council may leave: four, the smallest set in which
/// GRANDPA survives one failed hospital. The registry refuses a suspension or removal that
/// would go below it (the single hospital of the `development` chain can be neither).
pub const MIN_VALIDATORS: u32 = 4;

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// A validator is identified by its account: the hospital's validator account.
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	/// The registry decides the validator set.
	type SessionManager = HospitalRegistry;
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Setting keys needs no deposit: only registered hospitals' validators are ever selected,
	/// and the fee of `set_keys` already bounds spam.
	type KeyDeposit = ConstU128<0>;
}

parameter_types! {
	/// A council motion stays open for a day.
	pub const CouncilMotionDuration: BlockNumber = 24 * 60 * MINUTES;
	/// A motion may use at most half a block.
	pub MaxProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = ConstU32<100>;
	type MaxMembers = ConstU32<MAX_HOSPITALS>;
	/// An absent hospital's vote does not count either way.
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	/// Membership follows the registry; nobody sets it by hand.
	type SetMembersOrigin = frame_system::EnsureNever<()>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
}

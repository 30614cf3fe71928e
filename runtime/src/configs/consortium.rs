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
	/// Sessions may end every 10 blocks (20 s), and end only when that changes something
	/// ([`RotateWhenChanged`]): a hospital admitted by the council becomes an authority, or a
	/// suspended one stops being one, within two periods, and so do a validator's new keys.
	pub const SessionPeriod: BlockNumber = 10;
	pub const SessionOffset: BlockNumber = 0;
}

/// Ends a session at a period boundary only if rotating changes the validator set or its keys,
/// now or in the session it queues ([`rotation_changes_something`]).
///
/// `pallet-session` charges a whole block's weight in every block that rotates (its
/// `on_initialize` returns the block's maximum), so with a rotation every period one block in
/// ten could carry no extrinsic: a tenth of every write rate, for sessions that changed
/// nothing. A consortium's validator set changes rarely; between changes no block is lost.
pub struct RotateWhenChanged;

impl pallet_session::ShouldEndSession<BlockNumber> for RotateWhenChanged {
	fn should_end_session(now: BlockNumber) -> bool {
		<pallet_session::PeriodicSessions<SessionPeriod, SessionOffset> as
			pallet_session::ShouldEndSession<BlockNumber>>::should_end_session(now) &&
			rotation_changes_something()
	}
}

/// Whether a session rotation now would change anything: the queued validators are not the
/// active ones; the queued keys are not the ones Aura and GRANDPA use; the registry's active
/// hospitals name other validators than the queued ones; or a queued validator has registered
/// new keys (`session.setKeys`). Each rotation activates the queued set and queues the next,
/// so a change takes two rotations and then this is false until the next change.
///
/// Reads (at period boundaries only) a few session and consensus values, the hospitals and the
/// queued validators' keys, at most `MAX_HOSPITALS` of each: values that the state cache holds,
/// as `pallet-session` expects of this check.
pub fn rotation_changes_something() -> bool {
	let queued = pallet_session::QueuedKeys::<Runtime>::get();
	let same_ids = |ids: &[AccountId]| {
		ids.len() == queued.len() && ids.iter().zip(&queued).all(|(a, (q, _))| a == q)
	};
	if !same_ids(&pallet_session::Validators::<Runtime>::get()) {
		return true;
	}
	let aura = pallet_aura::Authorities::<Runtime>::get();
	let grandpa = pallet_grandpa::Pallet::<Runtime>::grandpa_authorities();
	let active_keys = aura.len() == queued.len()
		&& grandpa.len() == queued.len()
		&& queued
			.iter()
			.zip(aura.iter().zip(&grandpa))
			.all(|((_, k), (a, (g, _)))| &k.aura == a && &k.grandpa == g);
	if !active_keys {
		return true;
	}
	if !same_ids(&HospitalRegistry::active_validators()) {
		return true;
	}
	queued.iter().any(|(v, k)| pallet_session::NextKeys::<Runtime>::get(v).as_ref() != Some(k))
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
	/// Who was given, contested or lost the power to act for a patient goes into the patient's
	/// access log.
	type DelegationLog = crate::AccessLog;
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
	type ShouldEndSession = RotateWhenChanged;
	/// The next boundary at which a session may end (it ends there only if that changes
	/// something).
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

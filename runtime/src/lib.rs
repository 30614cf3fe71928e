//! # ehr-chain runtime
//!
//! The FRAME runtime of ehr-chain, the permissioned chain on which a consortium of hospitals shares
//! electronic health records while each patient decides who sees what.
//!
//! This file only *composes* the runtime. Pallet parameters live in [`configs`], the runtime APIs
//! the node and clients call live in [`apis`], and the genesis presets (`development`,
//! `local_testnet`) live in [`genesis_config_presets`].
//!
//! No health data is ever stored on chain in clear: the pallets store pseudonymous accounts,
//! commitments, hashes and consent state only.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` does a lot of recursion and requires us to increase the limit.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;

extern crate alloc;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types: the node knows the block format without knowing the runtime's inner types.
pub mod opaque {
	use super::*;
	use sp_runtime::{
		generic,
		traits::{BlakeTwo256, Hash as HashT},
	};

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The session keys of a hospital authority: Aura for block production, GRANDPA for finality.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The runtime version. `spec_version` must be bumped for every runtime upgrade.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("ehr-chain"),
	impl_name: alloc::borrow::Cow::Borrowed("ehr-chain"),
	authoring_version: 1,
	spec_version: 111,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

mod block_times {
	/// Target block time. A permissioned consortium of a few hospitals on good links does not need
	/// the 6 s slots of a public chain; 2 s keeps submit-to-finality low while leaving room for
	/// block import on modest hardware. See `docs/consensus.md` for the reasoning.
	///
	/// Changing this after the chain has started breaks block production: slot assignment is a
	/// function of it.
	pub const MILLI_SECS_PER_BLOCK: u64 = 2000;

	// Aura slots are as long as blocks.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
}
pub use block_times::*;

// Time is measured by number of blocks.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// The chain's unit of account. It only pays for transactions; it is not a tradable asset.
pub const UNIT: Balance = 1_000_000_000_000;
pub const MILLI_UNIT: Balance = 1_000_000_000;
pub const MICRO_UNIT: Balance = 1_000_000;

/// Minimum balance for an account to exist.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Chain properties that wallets (Polkadot.js Apps) read from the chain spec.
pub mod chain_properties {
	/// Symbol of [`crate::UNIT`].
	pub const TOKEN_SYMBOL: &str = "EHR";
	/// Decimals of [`crate::UNIT`] (10^12 plancks).
	pub const TOKEN_DECIMALS: u8 = 12;
	/// The SS58 address prefix; the same value is the runtime's `frame_system::Config::SS58Prefix`
	/// so that addresses in events and in wallets agree. 42 is the generic Substrate prefix, which
	/// Polkadot.js Apps and the dev accounts use by default.
	pub const SS58_PREFIX: u16 = 42;

	/// The properties as the JSON object a chain spec carries.
	#[cfg(feature = "std")]
	pub fn as_json() -> serde_json::Map<String, serde_json::Value> {
		let mut props = serde_json::Map::new();
		props.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
		props.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
		props.insert("ss58Format".into(), SS58_PREFIX.into());
		props
	}
}

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// Some way of identifying an account on the chain. We intentionally make it equivalent
/// to the public key of our transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account.
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// An index to a block.
pub type BlockNumber = u32;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A Block signed with a Justification
pub type SignedBlock = generic::SignedBlock<Block>;

/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions that are added to every extrinsic. None of them carries a
/// project-specific payload, so generic wallets (Polkadot.js Apps, subxt) can sign for this chain.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	// Charges the fee, except for calls that are feeless for their signer (patients' consent
	// calls within their allowance). Same identifier and encoding as the plain fee charge, so
	// generic wallets sign it unchanged.
	pallet_skip_feeless_payment::SkipCheckIfFeeless<
		Runtime,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Signs `call` for `pair` with `nonce` as wallets and `ehr-client` do: immortal, no tip, for
/// the chain with genesis hash `genesis` running `spec_version` and `transaction_version`.
///
/// Immortal is right for nonce-ordered streams: the nonce makes every extrinsic unique, and a
/// registered account is never reaped (its nonce never resets).
#[cfg(feature = "std")]
pub fn sign_extrinsic(
	pair: &sp_core::sr25519::Pair,
	call: RuntimeCall,
	nonce: Nonce,
	genesis: Hash,
	spec_version: u32,
	transaction_version: u32,
) -> UncheckedExtrinsic {
	use codec::Encode;
	use sp_core::Pair;
	let extension: TxExtension = (
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_skip_feeless_payment::SkipCheckIfFeeless::from(
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		),
		frame_system::WeightReclaim::<Runtime>::new(),
	);
	// What the extensions sign without carrying it: the versions, and the genesis hash twice
	// (`CheckGenesis`, and `CheckEra`'s birth block of an immortal extrinsic).
	let implicit = ((), (), spec_version, transaction_version, genesis, genesis, (), (), (), ());
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| pair.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		Address::Id(pair.public().into()),
		Signature::Sr25519(signature),
		extension,
	)
}

/// The storage migrations this runtime runs in the first block after an upgrade to it, before
/// anything else, in order: those whose work is bounded by a constant. Each is versioned (it
/// runs only on the storage version it starts from) and has `pre_upgrade` / `post_upgrade`
/// checks; `docs/upgrades.md` says when to add and remove them.
///
/// * spec 101: the registry's storage version 2 (a hospital's staff count in the hospital).
pub type Migrations = (pallet_hospital_registry::migrations::v2::MigrateV1ToV2<Runtime>,);

/// The storage migrations that read maps growing with the patients and records, in order:
/// `pallet-migrations` (`MultiBlockMigrations`, configured in `configs/migrations.rs`) starts
/// them in the first block after an upgrade to this runtime, after [`Migrations`], and runs a
/// step in each block until they complete; no transaction is included meanwhile. Each runs only
/// on the storage version it starts from and is recorded once done, so a later runtime may keep
/// listing it.
///
/// * spec 104: the registry's storage version 3 (guardianships a hospital recorded without
///   having verified the patient end) and the records' storage version 2 (the commitment index).
/// * spec 109: the access log's storage version 2 (state keeps the heads only: each patient's
///   ring of recent entries removed).
pub type MbmMigrations = (
	pallet_hospital_registry::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_patient_records::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_access_log::migrations::v2::MigrateV1ToV2<Runtime>,
);

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

// Create the runtime by composing the FRAME pallets configured in `configs`.
#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(3)]
	pub type TransactionPayment = pallet_transaction_payment;

	/// The consortium: hospitals, staff, patients. Declared before `Session`, whose genesis asks
	/// it for the first validator set.
	#[runtime::pallet_index(4)]
	pub type HospitalRegistry = pallet_hospital_registry;

	/// Validator set rotation, fed by the registry.
	#[runtime::pallet_index(5)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(6)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(7)]
	pub type Grandpa = pallet_grandpa;

	/// The hospital council: admins of the active hospitals.
	#[runtime::pallet_index(8)]
	pub type Council = pallet_collective<Instance1>;

	/// Development only: the `development` preset has a sudo key; the consortium governance
	/// replaces it for any shared network.
	#[runtime::pallet_index(9)]
	pub type Sudo = pallet_sudo;

	/// Metadata and content commitments of patients' encrypted documents.
	#[runtime::pallet_index(10)]
	pub type PatientRecords = pallet_patient_records;

	/// Consent: grants, revocations, emergency access, and the one access decision.
	#[runtime::pallet_index(11)]
	pub type Consent = pallet_consent;

	/// Skips the fee of feeless calls (patients' consent calls).
	#[runtime::pallet_index(12)]
	pub type SkipFeelessPayment = pallet_skip_feeless_payment;

	/// The hash-linked access log of every record, consent, emergency and read event.
	#[runtime::pallet_index(13)]
	pub type AccessLog = pallet_access_log;

	/// Runs the multi-block storage migrations after an upgrade (`MbmMigrations`), pausing
	/// transactions while they run.
	#[runtime::pallet_index(14)]
	pub type MultiBlockMigrations = pallet_migrations;
}

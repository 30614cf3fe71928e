//! Multi-block migrations: `pallet-migrations` runs the storage migrations too large for one
//! block ([`crate::MbmMigrations`]) a step a block, from the first block of a new runtime on.
//! While they run, blocks carry inherents only: no transaction is included until they complete
//! (`frame_system::Config::MultiBlockMigrator` in `mod.rs`).

use frame_support::{migrations::ForceUnstuckOnFailedMigration, parameter_types, traits::ConstU32};
use sp_runtime::Perbill;

use super::RuntimeBlockWeights;
use crate::{Runtime, RuntimeEvent};

parameter_types! {
	/// Four fifths of a block's weight (400 ms of the half second) for each block's migration
	/// step. The rest is for what every block does anyway (its base weight, the `on_initialize`
	/// hooks, the timestamp inherent), so that a block of migration is no heavier to import
	/// than a full block of transactions.
	pub MbmServiceWeight: frame_support::weights::Weight =
		Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
}

impl pallet_migrations::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	#[cfg(not(feature = "runtime-benchmarks"))]
	type Migrations = crate::MbmMigrations;
	/// The pallet's benchmarks run mocked migrations, which its `runtime-benchmarks` build
	/// requires here.
	#[cfg(feature = "runtime-benchmarks")]
	type Migrations = pallet_migrations::mock_helpers::MockedMigrations;
	/// Bounds of the stored cursor and of each completed migration's identifier: the values
	/// polkadot-sdk's runtimes use, which the benchmarks' mocked migrations need (their cursor
	/// may be 64 KiB, their identifier 256 bytes). Ours are far smaller: a cursor is a record id
	/// or two account ids, an identifier a pallet name and two versions.
	type CursorMaxLen = ConstU32<65_536>;
	type IdentifierMaxLen = ConstU32<256>;
	type MigrationStatusHandler = ();
	/// A failed migration (`MigrationFailed` and `UpgradeFailed` events) lets transactions
	/// through again instead of keeping the chain to inherents forever. Frozen, the chain could
	/// not include the fix either: the council's motions and `applyAuthorizedUpgrade` are
	/// transactions, and without a safe-mode pallet nothing lets governance alone through. The
	/// failed migration is not recorded as done and the pallet keeps its old storage version, so
	/// a runtime that fixes it runs it again; ours are written to be run again from the start.
	/// See `docs/upgrades.md`.
	type FailedMigrationHandler = ForceUnstuckOnFailedMigration;
	type MaxServiceWeight = MbmServiceWeight;
	/// The crate's reference weights (measured by polkadot-sdk on its reference machine with
	/// this runtime's database weights), not benchmarked here: they price the pallet's own
	/// bookkeeping a block, a small part of each step's budget.
	type WeightInfo = pallet_migrations::weights::SubstrateWeight<Runtime>;
}

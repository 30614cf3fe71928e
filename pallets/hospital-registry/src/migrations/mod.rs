//! Storage migrations of the hospital registry, one module per storage version.
//!
//! A migration whose work is bounded by a constant runs in the upgrade block: [`v2`] touches at
//! most `MaxHospitals` hospitals, as a
//! [`VersionedMigration`](frame_support::migrations::VersionedMigration) in the runtime's
//! `Migrations`. A migration that reads a map growing with the patients runs over as many blocks
//! as it needs: [`v3`] is a [`SteppedMigration`](frame_support::migrations::SteppedMigration)
//! that `pallet-migrations` steps once a block. Either kind runs only when the on-chain storage
//! version is the one it starts from and bumps it when done, so a runtime may keep listing it
//! after it ran. Each has `pre_upgrade` / `post_upgrade` checks (under the `try-runtime` feature)
//! built on plain functions that the unit tests call too.

pub mod v2;
pub mod v3;

/// The prefix of this pallet's multi-block migration identifiers
/// ([`MigrationId`](frame_support::migrations::MigrationId)): `pallet-migrations` keeps the
/// identifier of every migration it completed and never runs that one again, so it must be
/// unique on the chain.
pub const PALLET_MIGRATIONS_ID: &[u8; 24] = b"pallet-hospital-registry";

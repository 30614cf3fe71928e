//! Storage migrations of the access log, one module per storage version.
//!
//! [`v2`] removes every patient's ring of recent entries, as many keys as there are patients
//! times 256, so it runs over as many blocks as it needs: a
//! [`SteppedMigration`](frame_support::migrations::SteppedMigration) that `pallet-migrations`
//! steps once a block. It runs only when the on-chain storage version is the one it
//! starts from and bumps it when done. It has `pre_upgrade` / `post_upgrade` checks (under the
//! `try-runtime` feature) built on plain functions that the unit tests call too.

pub mod v2;

/// The prefix of this pallet's multi-block migration identifiers
/// ([`MigrationId`](frame_support::migrations::MigrationId)): `pallet-migrations` keeps the
/// identifier of every migration it completed and never runs that one again, so it must be
/// unique on the chain.
pub const PALLET_MIGRATIONS_ID: &[u8; 17] = b"pallet-access-log";

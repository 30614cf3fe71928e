//! Storage migrations of the patient records pallet, one module per storage version.
//!
//! Each is a [`VersionedMigration`](frame_support::migrations::VersionedMigration): it runs only
//! when the on-chain storage version is the one it starts from, and bumps it when done. Each has
//! `pre_upgrade` / `post_upgrade` checks (under the `try-runtime` feature) built on plain
//! functions that the unit tests call too.

pub mod v2;

//! # ehr-primitives
//!
//! The words every ehr-chain pallet shares, in a crate that depends on no pallet: the ids and
//! moments that name things across pallets, the staff roles, record categories and purposes that
//! rights are phrased in, the actions and subjects of the access log, and the traits through which
//! one pallet asks or tells another.
//!
//! A pallet that needs another pallet's words, or an answer from it, should not need that pallet:
//! it names the trait here in its `Config`, the runtime points the trait at the other pallet
//! (`type AccessLog = AccessLog;`, `type Records = PatientRecords;` in `runtime/src/configs/`), and
//! the pallet's mock implements it in a few lines instead of dragging the other pallet in.
//!
//! * Ids and moments: [`HospitalId`], [`RecordId`], [`RequestId`], [`GrantId`], [`EmergencyId`],
//!   [`Commitment`], [`Moment`].
//! * [`registry`]: the [`StaffRole`]s rights follow, [`Parties`], what the other pallets ask the
//!   hospital registry of an account (active staff, patient, acting for a patient), and
//!   [`DelegationLog`], where the hospital registry reports who was given, contested or lost the
//!   power to act for a patient.
//! * [`records`]: the record [`Category`] consent scopes name, [`RecordLookup`], what the access
//!   log may learn of a record ([`RecordFacts`]), and [`RecordVersions`], what the access decision
//!   weighs of a record version ([`RecordVersion`]).
//! * [`access_log`]: the [`Purpose`] of an access, the [`LogAction`] and [`Subject`] of a log
//!   entry, and [`AccessLog`], the sink the records and consent pallets append to.
//!
//! The pallets re-export these names where their users have always found them
//! (`pallet_hospital_registry::HospitalId`, `pallet_patient_records::Category`,
//! `pallet_access_log::Purpose`, `pallet_consent::Purpose`, ...).
//!
//! The enums here are kept in state and taken by calls: their SCALE encoding (variants, their
//! order and so their indexes) is part of the chain's storage and transaction format, and changes
//! only with a storage migration and a new `transaction_version`.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

pub mod access_log;
pub mod records;
pub mod registry;

pub use access_log::{AccessLog, LogAction, Purpose, Subject};
pub use records::{Category, RecordFacts, RecordLookup, RecordVersion, RecordVersions};
pub use registry::{ActingStaff, DelegationChange, DelegationLog, Parties, StaffRole};

/// Identifier of a member hospital, assigned in order of admission.
pub type HospitalId = u32;

/// Milliseconds since the Unix epoch, as kept by `pallet-timestamp`.
pub type Moment = u64;

/// Identifier of a record version, assigned in order. Every amendment gets a new id.
pub type RecordId = u64;

/// Identifier of a prescription request, assigned in order.
pub type RequestId = u64;

/// A grant's number, counted per patient from 0.
pub type GrantId = u32;

/// An emergency access's number, counted over the whole chain.
pub type EmergencyId = u64;

/// A content commitment: the SHA2-256 (or BLAKE2b-256) digest of a sealed document, which its
/// CID carries too.
pub type Commitment = sp_core::H256;

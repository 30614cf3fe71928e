//! Types of the hospital registry. Nothing here is personal data: accounts are pseudonymous and
//! licence or patient numbers appear only as salted commitments.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;

/// The registry's words that other pallets share: hospital ids, moments, staff roles, and the
/// log of changes of who acts for a patient.
pub use ehr_primitives::{DelegationChange, DelegationLog, HospitalId, Moment, StaffRole};

/// A libp2p PeerId in its binary (multihash) form, as `ehr-node key inspect-node-key` prints it
/// in base58.
pub type PeerIdOf<T> = BoundedVec<u8, <T as crate::Config>::MaxPeerIdLength>;

/// Where a hospital stands in the consortium.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum HospitalStatus {
	/// A member: its validator authors and finalizes, its nodes may connect, its staff act.
	Active,
	/// Temporarily out: no validator, no node, no staff rights; can be reinstated.
	Suspended,
	/// Out for good. The record stays for audit.
	Removed,
}

/// A member hospital.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxName, MaxUrl, MaxNodes, MaxPeerId))]
pub struct Hospital<AccountId, BlockNumber, MaxName, MaxUrl, MaxNodes, MaxPeerId>
where
	MaxName: Get<u32>,
	MaxUrl: Get<u32>,
	MaxNodes: Get<u32>,
	MaxPeerId: Get<u32>,
{
	/// Display name of the hospital (an institution's name is not health data).
	pub name: BoundedVec<u8, MaxName>,
	/// The account that manages the hospital's staff and votes in the council.
	pub admin: AccountId,
	/// The account whose session keys (Aura, GRANDPA) make the hospital's node an authority.
	pub validator: AccountId,
	/// The URL of the hospital's document gateway.
	pub gateway_url: BoundedVec<u8, MaxUrl>,
	/// PeerIds of the hospital's nodes: only these may connect to the network.
	pub nodes: BoundedVec<BoundedVec<u8, MaxPeerId>, MaxNodes>,
	/// Current status.
	pub status: HospitalStatus,
	/// Block of admission.
	pub admitted_at: BlockNumber,
	/// Staff members whose employment has not ended, at most `MaxStaffPerHospital`. Kept here
	/// since storage version 2 (before: a separate `StaffCount` map), because every call that
	/// changes it reads the hospital anyway.
	pub staff: u32,
}

/// Employment state of a staff member.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum StaffStatus {
	/// Employed and acting.
	Active,
	/// Employed, rights on hold.
	Suspended,
	/// Employment ended; kept for audit, never reactivated.
	Ended,
}

/// A staff account of a hospital.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct StaffMember {
	/// The employing hospital.
	pub hospital: HospitalId,
	/// The role.
	pub role: StaffRole,
	/// `blake2_256(salt ++ licence number)`: the hospital can prove the licence it checked
	/// without the number ever being on chain.
	pub licence_commitment: H256,
	/// End of validity (ms since the epoch), if any: past it the member has no rights.
	pub valid_until: Option<Moment>,
	/// Employment state.
	pub status: StaffStatus,
}

/// A staff member found fit to act right now: what [`crate::Pallet::active_staff`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ActiveStaff {
	/// The employing hospital (active).
	pub hospital: HospitalId,
	/// The role.
	pub role: StaffRole,
}

/// A registered patient. Pseudonymous: no name, no national id.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Patient<BlockNumber> {
	/// Block of sign-up.
	pub registered_at: BlockNumber,
	/// Number of delegates and guardians, bounded by `MaxDelegatesPerPatient`.
	pub delegates: u32,
	/// Number of hospitals that verified the patient, bounded by `MaxVerificationsPerPatient`.
	pub verifications: u32,
}

/// Why an account may act for a patient.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Delegation {
	/// Appointed by the patient; the patient can remove it.
	Delegate,
	/// Recorded by a hospital that verified a minor or incapacitated patient; that hospital
	/// or the council removes it, and the patient or another guardian can contest it.
	Guardian {
		/// The hospital that recorded the guardianship.
		hospital: HospitalId,
	},
}

/// One account that may act for a patient, as the runtime API lists it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct DelegationInfo<AccountId> {
	/// The delegate or guardian.
	pub who: AccountId,
	/// Appointed by the patient, or recorded by a hospital (which one).
	pub kind: Delegation,
	/// Who contested the guardianship, if a review is pending.
	pub contested_by: Option<AccountId>,
}

/// A patient's (or another guardian's) objection to a guardianship, awaiting review by the
/// recording hospital's privacy officer or the council. The guardian keeps acting meanwhile: a
/// minor cannot remove a parent by objecting, and a review decides.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct GuardianContest<AccountId, BlockNumber> {
	/// Who contested: the patient or another guardian of the patient.
	pub by: AccountId,
	/// Block of the objection.
	pub at: BlockNumber,
}

/// Whether nodes of hospitals outside the registry may connect.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum NodePermissioning {
	/// Not yet enforced: enforced as soon as every active hospital has registered a node.
	#[default]
	Pending,
	/// Enforced for good: only registered nodes connect; a hospital without registered nodes
	/// has none admitted. Only the council switches it off.
	Enforced,
	/// Switched off by the council: any node may connect.
	Off,
}

/// The hospital's commitment to a patient's hospital-internal number.
pub type PatientNumberCommitment = H256;

/// A hospital as the runtime API and RPC return it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct HospitalInfo<AccountId> {
	/// Id of the hospital.
	pub id: HospitalId,
	/// Display name (UTF-8).
	pub name: alloc::vec::Vec<u8>,
	/// Admin account (council member).
	pub admin: AccountId,
	/// Validator account (owner of the session keys).
	pub validator: AccountId,
	/// Document gateway URL (UTF-8).
	pub gateway_url: alloc::vec::Vec<u8>,
	/// PeerIds of the hospital's nodes (binary multihash).
	pub nodes: alloc::vec::Vec<alloc::vec::Vec<u8>>,
	/// Status.
	pub status: HospitalStatus,
}

/// The answer of the staff check ([`crate::Pallet::staff_check`]): may this account act as
/// staff right now, and if not, why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub enum StaffCheck {
	/// Yes: an active member of an active hospital.
	Active(ActiveStaff),
	/// No: the account is not registered as staff.
	NotStaff,
	/// No: the member is suspended.
	Suspended,
	/// No: the employment ended.
	EmploymentEnded,
	/// No: the validity has passed.
	Expired,
	/// No: the hospital is suspended or removed.
	HospitalNotActive,
}

/// An X25519 public key (32 bytes, little-endian u-coordinate, RFC 7748).
pub type EncryptionKey = [u8; 32];

/// X25519 public keys of small order (libsodium's list): with any of them the shared secret is
/// all zeros, whatever the other side's secret, so a key wrapped to one protects nothing.
const SMALL_ORDER_X25519: [[u8; 32]; 7] = [
	// 0 and 1.
	[0; 32],
	[
		1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0,
	],
	// The two points of order 8.
	[
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
		0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		0xb8, 0x00,
	],
	[
		0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
		0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
		0x11, 0x57,
	],
	// p - 1, p and p + 1 (non-canonical encodings of -1, 0 and 1).
	[
		0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x7f,
	],
	[
		0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x7f,
	],
	[
		0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x7f,
	],
];

/// Whether `key` is a small-order X25519 point (compared with the top bit cleared, as X25519
/// ignores it).
pub fn is_weak_x25519(key: &EncryptionKey) -> bool {
	let mut k = *key;
	k[31] &= 0x7f;
	SMALL_ORDER_X25519.contains(&k)
}

/// The small-order X25519 points [`is_weak_x25519`] refuses (for tests).
pub fn small_order_x25519() -> &'static [[u8; 32]] {
	&SMALL_ORDER_X25519
}

//! Node permissions: which PeerIds may connect (the active hospitals' nodes), whether only they
//! may (enforced once every active hospital has registered a node, and latched so), and how the
//! offchain worker hands them to the node's network when they change.

use super::*;
use alloc::vec::Vec;
use codec::Encode;

/// Key, in the node's persistent offchain storage, of the digest of the node permissions the
/// offchain worker last gave the network. A node's network starts with no reserved peers, so the
/// node removes this key when it starts (`ehr-node` does), and the first worker applies the
/// permissions again.
pub const NODE_PERMISSIONS_APPLIED: &[u8] = b"ehr-chain::hospital-registry::node-permissions";

impl<T: Config> Pallet<T> {
	/// The PeerIds of the active hospitals' nodes, and whether only they may connect: that
	/// is enforced once every active hospital has registered at least one node, and stays so
	/// ([`NodePermissioningState`]) until the council switches it off.
	pub fn node_permissions() -> (Vec<PeerIdOf<T>>, bool) {
		let mut nodes = Vec::new();
		let mut every_hospital_known = true;
		for h in Hospitals::<T>::iter_values().filter(|h| h.status == HospitalStatus::Active) {
			every_hospital_known &= !h.nodes.is_empty();
			nodes.extend(h.nodes.into_inner());
		}
		nodes.sort();
		let enforced = match NodePermissioningState::<T>::get() {
			NodePermissioning::Enforced => true,
			NodePermissioning::Off => false,
			NodePermissioning::Pending => every_hospital_known && !nodes.is_empty(),
		};
		(nodes, enforced)
	}

	/// Hands the node permissions of this block to `apply` (the network's
	/// `set_authorized_nodes`) if the node `me` is among the permitted nodes and they differ
	/// from what was applied last, as remembered under [`NODE_PERMISSIONS_APPLIED`] in the
	/// node's offchain storage. Returns whether it applied them.
	///
	/// Applying the same permissions again is not free: each application switches the
	/// network's reserved-only mode on again, which on litep2p cancels every substream still
	/// opening, reserved peers' included; done every block, that is needless churn on every
	/// connection being made.
	pub fn apply_node_permissions(
		me: &[u8],
		apply: impl FnOnce(Vec<sp_core::OpaquePeerId>, bool),
	) -> bool {
		use sp_runtime::offchain::storage::{StorageRetrievalError, StorageValueRef};
		let (nodes, enforced) = Self::node_permissions();
		if !nodes.iter().any(|n| n.as_slice() == me) {
			return false;
		}
		let digest = sp_io::hashing::blake2_256(&(&nodes, enforced).encode());
		// Compare-and-set, so that two workers of consecutive blocks apply a change once.
		let changed = StorageValueRef::persistent(NODE_PERMISSIONS_APPLIED).mutate(
			|last: Result<Option<[u8; 32]>, StorageRetrievalError>| match last {
				Ok(Some(d)) if d == digest => Err(()),
				_ => Ok(digest),
			},
		);
		if changed.is_err() {
			return false;
		}
		apply(nodes.into_iter().map(|p| sp_core::OpaquePeerId(p.into_inner())).collect(), enforced);
		true
	}

	/// Makes node permissioning `Enforced` for good if it is pending and every active
	/// hospital has registered a node: called before a change that could leave an active
	/// hospital without nodes, so that no hospital admin can lift enforcement for all.
	pub(crate) fn latch_node_permissioning() {
		if NodePermissioningState::<T>::get() == NodePermissioning::Pending
			&& Self::node_permissions().1
		{
			NodePermissioningState::<T>::put(NodePermissioning::Enforced);
		}
	}
}

//! Node permissions: which nodes may connect, when that is enforced, and how a node applies them.

use super::*;

#[test]
fn only_member_nodes_once_every_active_hospital_registered_one() {
	test(|| {
		let (mut nodes, enforced) = Registry::node_permissions();
		nodes.sort();
		assert_eq!(nodes, vec![peer(0), peer(1), peer(2)]);
		assert!(enforced);
		// Once enforced, enforced for good: a hospital admitted without a known node has none
		// admitted, and the others keep refusing strangers.
		assert_ok!(admit(40, 41, vec![]));
		assert_eq!(NodePermissioningState::<Test>::get(), NodePermissioning::Enforced);
		assert!(Registry::node_permissions().1);
		assert_ok!(Registry::set_nodes(signed(40), vec![vec![3, 1]]));
		assert_eq!(Registry::node_permissions(), (vec![peer(0), peer(1), peer(2), peer(3)], true));
		// A suspended hospital's nodes are out.
		assert_ok!(Registry::suspend_hospital(root(), 3));
		assert_eq!(Registry::node_permissions(), (vec![peer(0), peer(1), peer(2)], true));
	});
}

#[test]
fn until_every_hospital_has_a_node_nobody_enforces() {
	new_test_ext().execute_with(|| {
		// A network whose hospitals have not all registered a node yet.
		assert_ok!(Registry::set_nodes(signed(30), vec![]));
		NodePermissioningState::<Test>::kill();
		assert!(!Registry::node_permissions().1);
		assert_ok!(Registry::set_nodes(signed(30), vec![vec![2, 1]]));
		assert!(Registry::node_permissions().1);
		assert_eq!(NodePermissioningState::<Test>::get(), NodePermissioning::Pending);
		// The next change latches it.
		assert_ok!(Registry::set_nodes(signed(30), vec![vec![2, 2]]));
		assert_eq!(NodePermissioningState::<Test>::get(), NodePermissioning::Enforced);
	});
}

#[test]
fn one_admin_cannot_switch_permissioning_off_for_everyone() {
	test(|| {
		assert!(Registry::node_permissions().1);
		// An empty list removes only this hospital's nodes.
		assert_ok!(Registry::set_nodes(signed(10), vec![]));
		assert_eq!(Registry::node_permissions(), (vec![peer(1), peer(2)], true));
		// Only the council switches it off (and on again).
		assert_noop!(Registry::set_node_permissioning(signed(10), false), BadOrigin);
		assert_noop!(
			Registry::set_node_permissioning(root(), true),
			Error::<Test>::NodePermissioningUnchanged
		);
		assert_ok!(Registry::set_node_permissioning(root(), false));
		assert_eq!(last_event(), Event::NodePermissioningSet { enforced: false }.into());
		assert!(!Registry::node_permissions().1);
		// Switched off, a hospital's change does not switch it on again by itself.
		assert_ok!(Registry::set_nodes(signed(10), vec![vec![0, 1]]));
		assert!(!Registry::node_permissions().1);
		assert_ok!(Registry::set_node_permissioning(root(), true));
		assert!(Registry::node_permissions().1);
	});
}

#[test]
fn a_node_applies_them_once_per_change_and_again_after_it_restarts() {
	use sp_core::{
		offchain::{testing::TestOffchainExt, OffchainDbExt, OffchainStorage},
		OpaquePeerId,
	};
	let (offchain, state) = TestOffchainExt::new();
	let mut ext = new_test_ext();
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.execute_with(|| {
		let me = peer(0).into_inner();
		let applied = core::cell::RefCell::new(Vec::new());
		let apply = |nodes: Vec<OpaquePeerId>, enforced: bool| {
			applied
				.borrow_mut()
				.push((nodes.into_iter().map(|n| n.0).collect::<Vec<_>>(), enforced))
		};
		let members = |n: u8| (0..n).map(|i| peer(i).into_inner()).collect::<Vec<_>>();

		assert!(Registry::apply_node_permissions(&me, apply));
		// The same permissions, block after block: the network is left alone.
		assert!(!Registry::apply_node_permissions(&me, apply));
		assert!(!Registry::apply_node_permissions(&me, apply));
		assert_eq!(*applied.borrow(), vec![(members(3), true)]);

		// The council switches permissioning off, then a hospital joins with a node and the
		// council switches it on again: each change is applied once.
		assert_ok!(Registry::set_node_permissioning(root(), false));
		assert!(Registry::apply_node_permissions(&me, apply));
		assert!(!Registry::apply_node_permissions(&me, apply));
		assert_ok!(admit(40, 41, vec![vec![3, 1]]));
		assert_ok!(Registry::set_node_permissioning(root(), true));
		assert!(Registry::apply_node_permissions(&me, apply));
		assert_eq!(applied.borrow()[1..], [(members(3), false), (members(4), true)]);

		// A node that is not permitted never applies anything, and remembers nothing.
		assert!(!Registry::apply_node_permissions(&[9, 9], apply));
		// The node restarts: it forgets what it applied, and applies it again.
		state.write().persistent_storage.remove(b"", NODE_PERMISSIONS_APPLIED);
		assert!(Registry::apply_node_permissions(&me, apply));
		assert_eq!(applied.borrow().len(), 4);
		assert_eq!(applied.borrow()[3], (members(4), true));
	});
}

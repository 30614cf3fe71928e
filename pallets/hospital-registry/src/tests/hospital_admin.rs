//! What a hospital's admin changes of the hospital: name, URL and nodes.

use super::*;

#[test]
fn admin_updates_name_url_and_nodes() {
	test(|| {
		assert_ok!(Registry::update_hospital(
			signed(10),
			Some(b"General".to_vec()),
			Some(b"https://new.example".to_vec())
		));
		assert_eq!(last_event(), Event::HospitalUpdated { hospital: 0 }.into());
		let h = Hospitals::<Test>::get(0).unwrap();
		assert_eq!(h.name.to_vec(), b"General".to_vec());
		assert_eq!(h.gateway_url.to_vec(), b"https://new.example".to_vec());

		assert_ok!(Registry::set_nodes(signed(10), vec![vec![0, 1], vec![0, 2]]));
		assert_eq!(last_event(), Event::NodesSet { hospital: 0, nodes: 2 }.into());
		assert_ok!(Registry::set_nodes(signed(10), vec![vec![0, 3]]));
		assert_eq!(NodeOwner::<Test>::get(PeerIdOf::<Test>::truncate_from(vec![0, 1])), None);
	});
}

#[test]
fn only_the_admin_manages_the_hospital() {
	test(|| {
		assert_noop!(
			Registry::update_hospital(signed(DOCTOR), None, None),
			Error::<Test>::NotHospitalAdmin
		);
		assert_noop!(
			Registry::update_hospital(signed(10), Some(vec![]), None),
			Error::<Test>::EmptyName
		);
		assert_noop!(
			Registry::update_hospital(signed(10), None, Some(b"gopher://x".to_vec())),
			Error::<Test>::BadUrl
		);
		assert_noop!(Registry::set_nodes(signed(11), vec![]), Error::<Test>::NotHospitalAdmin);
		assert_noop!(Registry::set_nodes(signed(10), vec![vec![1, 1]]), Error::<Test>::NodeInUse);
	});
}

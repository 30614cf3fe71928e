//! Admission of hospitals by governance, and its refusals and bounds.

use super::*;

#[test]
fn council_admits_a_hospital() {
	test(|| {
		assert_ok!(admit(40, 41, vec![vec![9, 9]]));
		assert_eq!(
			last_event(),
			Event::HospitalAdmitted { hospital: 3, admin: 40, validator: 41 }.into()
		);
		let h = Hospitals::<Test>::get(3).unwrap();
		assert_eq!(h.status, HospitalStatus::Active);
		assert_eq!(h.admitted_at, 1);
		assert_eq!(HospitalOfAdmin::<Test>::get(40), Some(3));
		assert_eq!(NodeOwner::<Test>::get(PeerIdOf::<Test>::truncate_from(vec![9, 9])), Some(3));
		// The new hospital's validator is in the next session's set; its admin is on the
		// council.
		assert_eq!(Registry::new_session(1), Some(vec![11, 21, 31, 41]));
		assert_eq!(CouncilMembers::get(), vec![10, 20, 30, 40]);
	});
}

#[test]
fn only_governance_admits() {
	test(|| {
		assert_noop!(
			Registry::admit_hospital(
				signed(10),
				b"X".to_vec(),
				40,
				41,
				b"https://x".to_vec(),
				vec![]
			),
			BadOrigin
		);
	});
}

#[test]
fn bad_names_urls_and_nodes_are_refused() {
	test(|| {
		let call = |name: &[u8], url: &[u8], nodes: Vec<Vec<u8>>| {
			Registry::admit_hospital(root(), name.to_vec(), 40, 41, url.to_vec(), nodes)
		};
		assert_noop!(call(b"", b"https://x", vec![]), Error::<Test>::EmptyName);
		assert_noop!(call(&[b'a'; 17], b"https://x", vec![]), Error::<Test>::NameTooLong);
		assert_noop!(call(b"X", b"ftp://x", vec![]), Error::<Test>::BadUrl);
		assert_noop!(call(b"X", &[b'h'; 33], vec![]), Error::<Test>::BadUrl);
		let long_url = [b"https://".as_slice(), &[b'a'; 30]].concat();
		assert_noop!(call(b"X", &long_url, vec![]), Error::<Test>::BadUrl);
		assert_noop!(call(b"X", b"https://x", vec![vec![]]), Error::<Test>::BadPeerId);
		assert_noop!(call(b"X", b"https://x", vec![vec![1; 9]]), Error::<Test>::BadPeerId);
		assert_noop!(
			call(b"X", b"https://x", vec![vec![1], vec![2], vec![3]]),
			Error::<Test>::TooManyNodes
		);
		assert_noop!(call(b"X", b"https://x", vec![vec![7], vec![7]]), Error::<Test>::NodeInUse);
		// PeerId of hospital 1.
		assert_noop!(call(b"X", b"https://x", vec![vec![1, 1]]), Error::<Test>::NodeInUse);
	});
}

#[test]
fn duplicate_admin_or_validator_is_refused() {
	test(|| {
		assert_noop!(admit(10, 41, vec![]), Error::<Test>::AdminInUse);
		assert_noop!(admit(40, 21, vec![]), Error::<Test>::ValidatorInUse);
	});
}

#[test]
fn the_consortium_is_bounded() {
	test(|| {
		assert_ok!(admit(40, 41, vec![]));
		assert_ok!(admit(50, 51, vec![]));
		assert_noop!(admit(60, 61, vec![]), Error::<Test>::TooManyHospitals);
	});
}

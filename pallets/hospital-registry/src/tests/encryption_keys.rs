//! Encryption keys of patients and staff, and the small-order points refused.

use super::*;

#[test]
fn patients_and_active_staff_publish_and_replace_their_key() {
	test(|| {
		let key = [7u8; 32];
		assert_ok!(Registry::set_encryption_key(signed(PATIENT), key));
		assert_eq!(EncryptionKeys::<Test>::get(PATIENT), Some(key));
		assert_eq!(
			last_event(),
			RuntimeEvent::Registry(Event::EncryptionKeySet { who: PATIENT, key })
		);
		assert_ok!(Registry::set_encryption_key(signed(DOCTOR), key));
		let rotated = [8u8; 32];
		assert_ok!(Registry::set_encryption_key(signed(DOCTOR), rotated));
		assert_eq!(EncryptionKeys::<Test>::get(DOCTOR), Some(rotated));
	});
}

#[test]
fn strangers_and_suspended_staff_are_refused() {
	test(|| {
		assert_noop!(
			Registry::set_encryption_key(signed(999), [7u8; 32]),
			Error::<Test>::NotStaffOrPatient
		);
		assert_ok!(Registry::set_staff_status(signed(ADMINS[0]), NURSE, StaffStatus::Suspended));
		assert_noop!(
			Registry::set_encryption_key(signed(NURSE), [7u8; 32]),
			Error::<Test>::NotStaffOrPatient
		);
		assert_noop!(Registry::set_encryption_key(RuntimeOrigin::none(), [7u8; 32]), BadOrigin);
	});
}

#[test]
fn small_order_points_are_refused_with_or_without_the_top_bit() {
	test(|| {
		for point in crate::types::small_order_x25519() {
			assert_noop!(
				Registry::set_encryption_key(signed(PATIENT), *point),
				Error::<Test>::WeakEncryptionKey
			);
			let mut high = *point;
			high[31] |= 0x80;
			assert_noop!(
				Registry::set_encryption_key(signed(PATIENT), high),
				Error::<Test>::WeakEncryptionKey
			);
		}
	});
}

/// The list is right: with each listed point the X25519 shared secret is all zeros for any
/// secret scalar, and with an honest public key it is not.
#[test]
fn the_listed_points_really_have_small_order() {
	for point in crate::types::small_order_x25519() {
		for seed in [1u8, 77, 200] {
			let secret = x25519_dalek::StaticSecret::from([seed; 32]);
			let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*point));
			assert_eq!(shared.as_bytes(), &[0u8; 32], "point {point:02x?}");
		}
	}
	let honest = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([5u8; 32]));
	assert!(!crate::types::is_weak_x25519(honest.as_bytes()));
	let shared = x25519_dalek::StaticSecret::from([1u8; 32]).diffie_hellman(&honest);
	assert!(shared.was_contributory());
}

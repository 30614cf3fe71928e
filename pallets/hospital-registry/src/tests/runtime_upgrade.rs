//! Runtime upgrades, authorized by governance only.

use super::*;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// `frame_system::AuthorizedUpgrade` is private: look at its raw key.
fn upgrade_authorized() -> bool {
	frame_support::storage::unhashed::exists(&frame_support::storage::storage_prefix(
		b"System",
		b"AuthorizedUpgrade",
	))
}

#[test]
fn governance_authorizes_a_runtime_upgrade() {
	test(|| {
		let code_hash = BlakeTwo256::hash(b"new runtime code");
		assert_ok!(Registry::authorize_runtime_upgrade(root(), code_hash));
		assert!(upgrade_authorized());
		assert_eq!(
			last_event(),
			RuntimeEvent::System(frame_system::Event::UpgradeAuthorized {
				code_hash,
				check_version: true
			})
		);
	});
}

#[test]
fn hospital_admins_and_outsiders_cannot_authorize_an_upgrade() {
	test(|| {
		let code_hash = BlakeTwo256::hash(b"new runtime code");
		assert_noop!(Registry::authorize_runtime_upgrade(signed(ADMINS[0]), code_hash), BadOrigin);
		assert_noop!(Registry::authorize_runtime_upgrade(signed(999), code_hash), BadOrigin);
		assert!(!upgrade_authorized());
	});
}

//! Fees: consent calls are free for whoever acts for the patient within the allowance, and the
//! patient's own revocations always.

use super::*;

fn grant_call(grantee: Grantee<u64>) -> RuntimeCall {
	RuntimeCall::Consent(crate::Call::grant {
		patient: PATIENT,
		grantee,
		scope: Scope::AllRecords,
		excluded: bounded(vec![]),
		purposes: bounded(vec![Purpose::Treatment]),
		actions: bounded(vec![Action::Read]),
		starts: None,
		ends: NOW + 1000,
	})
}

#[test]
fn consent_calls_are_free_for_the_patient_within_the_allowance() {
	test(|| {
		let call = grant_call(Grantee::Staff(OTHER_DOCTOR));
		assert!(call.is_feeless(&signed(PATIENT)));
		assert!(call.is_feeless(&signed(DELEGATE)));
		// Not for others, and not for a call that would fail.
		assert!(!call.is_feeless(&signed(PATIENT_2)));
		assert!(!call.is_feeless(&signed(DOCTOR)));
		assert!(!grant_call(Grantee::Staff(STRANGER)).is_feeless(&signed(PATIENT)));
		// Three free operations per ten blocks in the mock.
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		let revoke = RuntimeCall::Consent(crate::Call::revoke { patient: PATIENT, grant: 0 });
		assert!(revoke.is_feeless(&signed(PATIENT)));
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
		assert!(!revoke.is_feeless(&signed(PATIENT)), "already revoked: would fail");
		let remove = RuntimeCall::Consent(crate::Call::remove_grant { patient: PATIENT, grant: 0 });
		assert!(remove.is_feeless(&signed(PATIENT)));
		assert_ok!(Consent::remove_grant(signed(PATIENT), PATIENT, 0));
		// The patient's own revocation and removal spent nothing: two more grants use the
		// allowance up.
		assert_eq!(Consent::free_ops_left(&PATIENT), 2);
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		// Allowance used up: the same call now pays, and so does a delegate's revocation;
		// the patient's own stays free.
		assert!(!call.is_feeless(&signed(PATIENT)));
		let revoke = RuntimeCall::Consent(crate::Call::revoke { patient: PATIENT, grant: 1 });
		assert!(!revoke.is_feeless(&signed(DELEGATE)));
		assert!(revoke.is_feeless(&signed(PATIENT)));
		advance(9);
		assert!(!call.is_feeless(&signed(PATIENT)));
		advance(1);
		assert!(call.is_feeless(&signed(PATIENT)));
		// Staff calls are never free.
		let emergency = RuntimeCall::Consent(crate::Call::declare_emergency {
			patient: PATIENT,
			reason: EmergencyReason::Other,
			note: vec![],
		});
		assert!(!emergency.is_feeless(&signed(DOCTOR)));
	});
}

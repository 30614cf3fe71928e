//! Granting: what a grant covers (validity, scopes, exclusions, purposes, actions, hospital-wide
//! grants), who may grant, every refusal of `grant`, and the bound on grants kept.

use super::*;

#[test]
fn a_patient_grants_a_doctor_and_the_decision_permits() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment),
			Decision::Deny(DenyReason::NoGrant)
		);
		let g = grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		assert_eq!(g, 0);
		assert_eq!(
			last_event(),
			Event::Granted {
				patient: PATIENT,
				grant: 0,
				grantee: Grantee::Staff(OTHER_DOCTOR),
				by: PATIENT,
				starts: NOW,
				ends: NOW + 1000,
			}
			.into()
		);
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(0))
		);
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Category(Category::LabResult), Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(0))
		);
		let a = ConsentAccounts::<Test>::get(PATIENT);
		assert_eq!((a.next_grant, a.stored, a.ops_in_window), (1, 1, 1));
		let info = Consent::grant_of(&PATIENT, 0, NOW).unwrap();
		assert_eq!(info.status, GrantStatus::Active);
		assert_eq!(info.granted_by, PATIENT);
	});
}

#[test]
fn validity_is_inclusive_at_the_start_and_exclusive_at_the_end() {
	test(|| {
		assert_ok!(Consent::grant(
			signed(PATIENT),
			PATIENT,
			Grantee::Staff(OTHER_DOCTOR),
			Scope::AllRecords,
			bounded(vec![]),
			bounded(vec![Purpose::Treatment]),
			bounded(vec![Action::Read]),
			Some(NOW + 100),
			NOW + 200,
		));
		let at = |ms| {
			Consent::decide(
				&OTHER_DOCTOR,
				&PATIENT,
				Target::Category(Category::Allergy),
				Purpose::Treatment,
				Action::Read,
				ms,
			)
		};
		assert_eq!(at(NOW + 99), Decision::Deny(DenyReason::NotYetValid(0)));
		assert_eq!(at(NOW + 100), Decision::Permit(PermitBasis::Grant(0)));
		assert_eq!(at(NOW + 199), Decision::Permit(PermitBasis::Grant(0)));
		assert_eq!(at(NOW + 200), Decision::Deny(DenyReason::Expired(0)));
		assert_eq!(Consent::grant_of(&PATIENT, 0, NOW).unwrap().status, GrantStatus::NotYetValid);
		assert_eq!(Consent::grant_of(&PATIENT, 0, NOW + 200).unwrap().status, GrantStatus::Expired);
	});
}

#[test]
fn excluded_categories_stay_closed_whatever_the_scope() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		let mental = add_record(DOCTOR, PATIENT, Category::MentalHealth);
		assert_ok!(Consent::grant(
			signed(PATIENT),
			PATIENT,
			Grantee::Staff(OTHER_DOCTOR),
			Scope::AllRecords,
			bounded(vec![Category::MentalHealth]),
			bounded(vec![Purpose::Treatment]),
			bounded(vec![Action::Read]),
			None,
			NOW + 1000,
		));
		assert!(decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment).is_permit());
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Record(mental), Purpose::Treatment),
			Decision::Deny(DenyReason::CategoryExcluded(0))
		);
	});
}

#[test]
fn purposes_and_actions_are_checked() {
	test(|| {
		grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
		let t = Target::Category(Category::LabResult);
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Research),
			Decision::Deny(DenyReason::PurposeNotGranted(0))
		);
		assert_eq!(
			Consent::decide(
				&OTHER_DOCTOR,
				&PATIENT,
				t,
				Purpose::Treatment,
				Action::ProposeAmendment,
				NOW
			),
			Decision::Deny(DenyReason::ActionNotGranted(0))
		);
	});
}

#[test]
fn category_and_record_scopes() {
	test(|| {
		let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		let lab = add_record(LAB, PATIENT, Category::LabResult);
		grant_to(
			Grantee::Staff(OTHER_DOCTOR),
			Scope::Categories(vec![Category::LabResult].try_into().unwrap()),
		);
		assert!(decide(OTHER_DOCTOR, Target::Record(lab), Purpose::Treatment).is_permit());
		assert_eq!(
			decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment),
			Decision::Deny(DenyReason::OutOfScope(0))
		);
		// A record-scoped grant covers that record and its later versions, not a whole
		// category.
		grant_to(Grantee::Staff(NURSE), Scope::Records(vec![note]));
		assert_eq!(
			decide(NURSE, Target::Record(note), Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(1))
		);
		assert_eq!(
			decide(NURSE, Target::Record(lab), Purpose::Treatment),
			Decision::Deny(DenyReason::OutOfScope(1))
		);
		assert_eq!(
			decide(NURSE, Target::Category(Category::ClinicalNote), Purpose::Treatment),
			Decision::Deny(DenyReason::OutOfScope(1))
		);
		let new_version = NextRecordId::<Test>::get();
		assert_ok!(PatientRecords::propose_amendment(
			signed(DOCTOR),
			note,
			Content {
				commitment: H256::repeat_byte(99),
				cid: cid::raw_sha2_256(&[99; 32]).to_vec(),
				scheme: EncryptionScheme::XChaCha20Poly1305,
				size: 10,
			}
		));
		assert_ok!(PatientRecords::approve_amendment(signed(PATIENT), note));
		assert_eq!(
			decide(NURSE, Target::Record(new_version), Purpose::Treatment),
			Decision::Permit(PermitBasis::Grant(1))
		);
	});
}

#[test]
fn hospital_wide_grants_cover_clinical_staff_and_administrators_for_payment() {
	test(|| {
		assert_ok!(Consent::grant(
			signed(PATIENT),
			PATIENT,
			Grantee::Hospital(0),
			Scope::AllRecords,
			bounded(vec![]),
			bounded(vec![Purpose::Treatment, Purpose::Payment]),
			bounded(vec![Action::Read]),
			None,
			NOW + 1000,
		));
		let t = Target::Category(Category::Imaging);
		for staff in [DOCTOR, NURSE, LAB] {
			assert_eq!(
				decide(staff, t, Purpose::Treatment),
				Decision::Permit(PermitBasis::Grant(0))
			);
		}
		assert_eq!(
			decide(ADMIN_STAFF, t, Purpose::Treatment),
			Decision::Deny(DenyReason::RoleNotCovered(0))
		);
		assert!(decide(ADMIN_STAFF, t, Purpose::Payment).is_permit());
		assert_eq!(
			decide(OFFICER, t, Purpose::Payment),
			Decision::Deny(DenyReason::RoleNotCovered(0))
		);
		// Another hospital's doctor is not named by it.
		assert_eq!(
			decide(OTHER_DOCTOR, t, Purpose::Treatment),
			Decision::Deny(DenyReason::NoGrant)
		);
	});
}

#[test]
fn a_delegate_grants_and_revokes_for_the_patient() {
	test(|| {
		assert_ok!(Consent::grant(
			signed(DELEGATE),
			PATIENT,
			Grantee::Staff(OTHER_DOCTOR),
			Scope::AllRecords,
			bounded(vec![]),
			bounded(vec![Purpose::Treatment]),
			bounded(vec![Action::Read]),
			None,
			NOW + 1000,
		));
		assert_eq!(Grants::<Test>::get(PATIENT, 0).unwrap().granted_by, DELEGATE);
		assert_ok!(Consent::revoke(signed(DELEGATE), PATIENT, 0));
		assert_eq!(
			last_event(),
			Event::Revoked {
				patient: PATIENT,
				grant: 0,
				grantee: Grantee::Staff(OTHER_DOCTOR),
				by: DELEGATE
			}
			.into()
		);
		// The delegate may read the patient's records itself.
		assert_eq!(
			decide(DELEGATE, Target::Category(Category::Allergy), Purpose::Treatment),
			Decision::Permit(PermitBasis::Delegate)
		);
	});
}

#[test]
fn grant_refusals_change_nothing() {
	test(|| {
		let other_patients = add_record(DOCTOR, PATIENT_2, Category::ClinicalNote);
		let mine = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
		let g = |who: u64,
		         patient: u64,
		         grantee: Grantee<u64>,
		         scope: ScopeInput,
		         excluded: Vec<Category>,
		         purposes: Vec<Purpose>,
		         actions: Vec<Action>,
		         starts: Option<u64>,
		         ends: u64| {
			Consent::grant(
				signed(who),
				patient,
				grantee,
				scope,
				bounded(excluded),
				bounded(purposes),
				bounded(actions),
				starts,
				ends,
			)
		};
		let ok_p = || vec![Purpose::Treatment];
		let ok_a = || vec![Action::Read];
		let doc = || Grantee::Staff(OTHER_DOCTOR);
		let end = NOW + 1000;
		assert_noop!(
			g(STRANGER, STRANGER, doc(), Scope::AllRecords, vec![], ok_p(), ok_a(), None, end),
			Error::<Test>::PatientNotFound
		);
		assert_noop!(
			g(PATIENT_2, PATIENT, doc(), Scope::AllRecords, vec![], ok_p(), ok_a(), None, end),
			Error::<Test>::NotForPatient
		);
		assert_noop!(
			g(DOCTOR, PATIENT, doc(), Scope::AllRecords, vec![], ok_p(), ok_a(), None, end),
			Error::<Test>::NotForPatient
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				Grantee::Staff(STRANGER),
				Scope::AllRecords,
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::GranteeNotFound
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				Grantee::Hospital(7),
				Scope::AllRecords,
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::GranteeNotFound
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				Grantee::Staff(PATIENT),
				Scope::AllRecords,
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::GrantToSelf
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::Categories(Default::default()),
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::EmptyScope
		);
		assert_noop!(
			g(PATIENT, PATIENT, doc(), Scope::Records(vec![]), vec![], ok_p(), ok_a(), None, end),
			Error::<Test>::EmptyScope
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::Records(vec![mine, 90, 91, 92]),
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::TooManyRecords
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::Records(vec![mine, mine]),
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::DuplicateEntry
		);
		assert_noop!(
			g(PATIENT, PATIENT, doc(), Scope::Records(vec![77]), vec![], ok_p(), ok_a(), None, end),
			Error::<Test>::RecordNotFound
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::Records(vec![other_patients]),
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::RecordOfAnotherPatient
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::AllRecords,
				vec![Category::Imaging, Category::Imaging],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::DuplicateEntry
		);
		assert_noop!(
			g(PATIENT, PATIENT, doc(), Scope::AllRecords, vec![], vec![], ok_a(), None, end),
			Error::<Test>::NoPurpose
		);
		assert_noop!(
			g(PATIENT, PATIENT, doc(), Scope::AllRecords, vec![], ok_p(), vec![], None, end),
			Error::<Test>::NoAction
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::AllRecords,
				vec![],
				vec![Purpose::Research, Purpose::Research],
				ok_a(),
				None,
				end
			),
			Error::<Test>::DuplicateEntry
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::AllRecords,
				vec![],
				ok_p(),
				ok_a(),
				Some(NOW + 500),
				NOW + 500
			),
			Error::<Test>::EndBeforeStart
		);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				doc(),
				Scope::AllRecords,
				vec![],
				ok_p(),
				ok_a(),
				Some(NOW - 500),
				NOW
			),
			Error::<Test>::EndInPast
		);
		// An inactive grantee: a suspended doctor, a suspended hospital.
		assert_ok!(Registry::set_staff_status(signed(20), OTHER_DOCTOR, StaffStatus::Suspended));
		assert_noop!(
			g(PATIENT, PATIENT, doc(), Scope::AllRecords, vec![], ok_p(), ok_a(), None, end),
			Error::<Test>::GranteeNotActive
		);
		assert_ok!(Registry::suspend_hospital(RuntimeOrigin::root(), 1));
		assert_eq!(Registry::hospital_info(1).unwrap().status, HospitalStatus::Suspended);
		assert_noop!(
			g(
				PATIENT,
				PATIENT,
				Grantee::Hospital(1),
				Scope::AllRecords,
				vec![],
				ok_p(),
				ok_a(),
				None,
				end
			),
			Error::<Test>::GranteeNotActive
		);
	});
}

#[test]
fn the_number_of_grants_kept_is_bounded_and_removal_frees_room() {
	test(|| {
		for _ in 0..4 {
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			// Past the free allowance: the calls still work (with a fee).
			advance(10);
		}
		assert_noop!(
			Consent::grant(
				signed(PATIENT),
				PATIENT,
				Grantee::Staff(NURSE),
				Scope::AllRecords,
				bounded(vec![]),
				bounded(vec![Purpose::Treatment]),
				bounded(vec![Action::Read]),
				None,
				NOW + 1000,
			),
			Error::<Test>::TooManyGrants
		);
		// An active grant cannot be removed; a revoked one can.
		assert_noop!(
			Consent::remove_grant(signed(PATIENT), PATIENT, 0),
			Error::<Test>::GrantStillValid
		);
		assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
		assert_ok!(Consent::remove_grant(signed(PATIENT), PATIENT, 0));
		assert_eq!(
			last_event(),
			Event::GrantRemoved { patient: PATIENT, grant: 0, by: PATIENT }.into()
		);
		// An expired one too.
		set_time(NOW + 1000);
		assert_ok!(Consent::remove_grant(signed(DELEGATE), PATIENT, 1));
		assert_eq!(ConsentAccounts::<Test>::get(PATIENT).stored, 2);
		assert_noop!(
			Consent::remove_grant(signed(PATIENT), PATIENT, 1),
			Error::<Test>::GrantNotFound
		);
		assert_noop!(
			Consent::remove_grant(signed(PATIENT_2), PATIENT, 2),
			Error::<Test>::NotForPatient
		);
		// Numbers are never reused.
		set_time(NOW);
		assert_eq!(grant_to(Grantee::Staff(NURSE), Scope::AllRecords), 4);
	});
}

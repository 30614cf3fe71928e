//! Unit tests of consent: every rule of the decision function (exact expiry boundary, revoked,
//! excluded category, wrong purpose, suspended doctor, hospital-wide grants, delegates,
//! emergency windows, rate limits), every refusal with `assert_noop!`, the feeless rule, and
//! the storage invariants after each test.

use crate::{mock::*, Error, Event, *};
use frame_support::{assert_noop, assert_ok, dispatch::CheckIfFeeless};
use pallet_hospital_registry::{HospitalStatus, StaffStatus};
use pallet_patient_records::{cid, Category, Content, EncryptionScheme, NextRecordId, RecordId};
use sp_core::H256;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

/// `author` adds a record of `category` for `patient`; returns its id.
fn add_record(author: u64, patient: u64, category: Category) -> RecordId {
	let id = NextRecordId::<Test>::get();
	let n = (id % 200) as u8 + 1;
	assert_ok!(PatientRecords::add_record(
		signed(author),
		patient,
		category,
		Content {
			commitment: H256::repeat_byte(n),
			cid: cid::raw_sha2_256(&[n; 32]).to_vec(),
			scheme: EncryptionScheme::XChaCha20Poly1305,
			size: 1024,
		}
	));
	id
}

/// A grant by `PATIENT` to `grantee` for treatment reads of `scope`, valid `[NOW, NOW+1000)`.
fn grant_to(grantee: Grantee<u64>, scope: ScopeInput) -> GrantId {
	let id = ConsentAccounts::<Test>::get(PATIENT).next_grant;
	assert_ok!(Consent::grant(
		signed(PATIENT),
		PATIENT,
		grantee,
		scope,
		bounded(vec![]),
		bounded(vec![Purpose::Treatment]),
		bounded(vec![Action::Read]),
		None,
		NOW + 1000,
	));
	id
}

/// A call's bounded list: as a signer could send it (duplicates included).
fn bounded<T, S: frame_support::traits::Get<u32>>(v: Vec<T>) -> frame_support::BoundedVec<T, S> {
	frame_support::BoundedVec::truncate_from(v)
}

fn decide(accessor: u64, target: Target, purpose: Purpose) -> Decision {
	Consent::decide(&accessor, &PATIENT, target, purpose, Action::Read, Timestamp::get())
}

fn set_time(ms: u64) {
	Timestamp::set_timestamp(ms);
}

fn advance(blocks: u64) {
	System::set_block_number(System::block_number() + blocks);
}

mod granting {
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
			assert_eq!(
				Consent::grant_of(&PATIENT, 0, NOW).unwrap().status,
				GrantStatus::NotYetValid
			);
			assert_eq!(
				Consent::grant_of(&PATIENT, 0, NOW + 200).unwrap().status,
				GrantStatus::Expired
			);
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
				g(
					PATIENT,
					PATIENT,
					doc(),
					Scope::Records(vec![]),
					vec![],
					ok_p(),
					ok_a(),
					None,
					end
				),
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
				g(
					PATIENT,
					PATIENT,
					doc(),
					Scope::Records(vec![77]),
					vec![],
					ok_p(),
					ok_a(),
					None,
					end
				),
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
			assert_ok!(Registry::set_staff_status(
				signed(20),
				OTHER_DOCTOR,
				StaffStatus::Suspended
			));
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
}

mod revoking {
	use super::*;

	#[test]
	fn revocation_is_immediate_and_listed() {
		test(|| {
			let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			assert!(decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment).is_permit());
			set_time(NOW + 10);
			advance(1);
			assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
			assert_eq!(
				decide(OTHER_DOCTOR, Target::Record(note), Purpose::Treatment),
				Decision::Deny(DenyReason::Revoked(0))
			);
			let listed = Consent::grants_of(&PATIENT, NOW + 10);
			assert_eq!(listed.len(), 1);
			assert_eq!(listed[0].status, GrantStatus::Revoked);
			assert_eq!(
				listed[0].revoked,
				Some(Revocation { by: PATIENT, at: NOW + 10, in_block: 2 })
			);
		});
	}

	#[test]
	fn a_valid_grant_wins_over_a_revoked_one() {
		test(|| {
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
			assert_eq!(
				decide(OTHER_DOCTOR, Target::Category(Category::Allergy), Purpose::Treatment),
				Decision::Permit(PermitBasis::Grant(1))
			);
			let listed = Consent::grants_of(&PATIENT, NOW);
			assert_eq!(listed.iter().map(|g| g.id).collect::<Vec<_>>(), vec![1, 0]);
		});
	}

	#[test]
	fn revoke_refusals_change_nothing() {
		test(|| {
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			assert_noop!(
				Consent::revoke(signed(PATIENT_2), PATIENT, 0),
				Error::<Test>::NotForPatient
			);
			assert_noop!(
				Consent::revoke(signed(OTHER_DOCTOR), PATIENT, 0),
				Error::<Test>::NotForPatient
			);
			assert_noop!(
				Consent::revoke(signed(PATIENT), PATIENT, 5),
				Error::<Test>::GrantNotFound
			);
			assert_noop!(
				Consent::revoke(signed(STRANGER), STRANGER, 0),
				Error::<Test>::PatientNotFound
			);
			// Patient 2 cannot revoke patient 1's grant through their own account either.
			assert_noop!(
				Consent::revoke(signed(PATIENT_2), PATIENT_2, 0),
				Error::<Test>::GrantNotFound
			);
			assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
			assert_noop!(
				Consent::revoke(signed(PATIENT), PATIENT, 0),
				Error::<Test>::AlreadyRevoked
			);
		});
	}
}

mod deciding {
	use super::*;

	#[test]
	fn the_patient_and_the_author_may_read() {
		test(|| {
			let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
			assert_eq!(
				decide(PATIENT, Target::Record(note), Purpose::Treatment),
				Decision::Permit(PermitBasis::Patient)
			);
			assert_eq!(
				decide(DOCTOR, Target::Record(note), Purpose::Treatment),
				Decision::Permit(PermitBasis::Author)
			);
			// The author reads; proposing an amendment goes through the records pallet's own
			// custodian rule, not this basis.
			assert_eq!(
				Consent::decide(
					&DOCTOR,
					&PATIENT,
					Target::Record(note),
					Purpose::Treatment,
					Action::ProposeAmendment,
					NOW
				),
				Decision::Deny(DenyReason::NoGrant)
			);
		});
	}

	#[test]
	fn a_suspended_doctor_is_denied_despite_a_grant() {
		test(|| {
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			let t = Target::Category(Category::Allergy);
			assert!(decide(OTHER_DOCTOR, t, Purpose::Treatment).is_permit());
			assert_ok!(Registry::set_staff_status(
				signed(20),
				OTHER_DOCTOR,
				StaffStatus::Suspended
			));
			assert_eq!(
				decide(OTHER_DOCTOR, t, Purpose::Treatment),
				Decision::Deny(DenyReason::StaffNotActive)
			);
			assert_ok!(Registry::set_staff_status(signed(20), OTHER_DOCTOR, StaffStatus::Active));
			assert!(decide(OTHER_DOCTOR, t, Purpose::Treatment).is_permit());
			// Its hospital suspended: denied too.
			assert_ok!(Registry::suspend_hospital(RuntimeOrigin::root(), 1));
			assert_eq!(
				decide(OTHER_DOCTOR, t, Purpose::Treatment),
				Decision::Deny(DenyReason::StaffNotActive)
			);
		});
	}

	#[test]
	fn unknown_parties_and_bad_targets_are_denied() {
		test(|| {
			let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
			let other = add_record(DOCTOR, PATIENT_2, Category::ClinicalNote);
			let at = |accessor, patient, target| {
				Consent::decide(&accessor, &patient, target, Purpose::Treatment, Action::Read, NOW)
			};
			assert_eq!(
				at(DOCTOR, STRANGER, Target::Record(note)),
				Decision::Deny(DenyReason::PatientNotFound)
			);
			assert_eq!(
				at(DOCTOR, PATIENT, Target::Record(77)),
				Decision::Deny(DenyReason::RecordNotFound)
			);
			assert_eq!(
				at(PATIENT, PATIENT, Target::Record(other)),
				Decision::Deny(DenyReason::RecordOfAnotherPatient)
			);
			assert_eq!(
				at(STRANGER, PATIENT, Target::Record(note)),
				Decision::Deny(DenyReason::NotStaff)
			);
			assert_eq!(
				at(PATIENT_2, PATIENT, Target::Record(note)),
				Decision::Deny(DenyReason::NotStaff)
			);
		});
	}

	#[test]
	fn a_deleted_record_is_denied_to_everyone() {
		test(|| {
			let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			assert_ok!(PatientRecords::request_withdrawal(
				signed(PATIENT),
				note,
				pallet_patient_records::Withdrawal::Delete
			));
			assert_ok!(PatientRecords::approve_withdrawal(signed(DOCTOR), note));
			for who in [PATIENT, DOCTOR, OTHER_DOCTOR] {
				assert_eq!(
					decide(who, Target::Record(note), Purpose::Treatment),
					Decision::Deny(DenyReason::RecordDeleted)
				);
			}
		});
	}

	#[test]
	fn the_nearest_miss_is_reported() {
		test(|| {
			// Grant 0: revoked. Grant 1: labs only. The report names grant 1 (nearer).
			grant_to(Grantee::Staff(OTHER_DOCTOR), Scope::AllRecords);
			assert_ok!(Consent::revoke(signed(PATIENT), PATIENT, 0));
			grant_to(
				Grantee::Staff(OTHER_DOCTOR),
				Scope::Categories(vec![Category::LabResult].try_into().unwrap()),
			);
			assert_eq!(
				decide(OTHER_DOCTOR, Target::Category(Category::Imaging), Purpose::Treatment),
				Decision::Deny(DenyReason::OutOfScope(1))
			);
		});
	}
}

mod emergency {
	use super::*;

	fn declare(doctor: u64) -> EmergencyId {
		let id = NextEmergencyId::<Test>::get();
		assert_ok!(Consent::declare_emergency(
			signed(doctor),
			PATIENT,
			EmergencyReason::PatientUnconscious,
			b"ER bay 3".to_vec()
		));
		id
	}

	#[test]
	fn the_window_opens_and_closes() {
		test(|| {
			let note = add_record(DOCTOR, PATIENT, Category::ClinicalNote);
			let t = Target::Record(note);
			assert_eq!(
				decide(OTHER_DOCTOR, t, Purpose::EmergencyTreatment),
				Decision::Deny(DenyReason::NoGrant)
			);
			let id = declare(OTHER_DOCTOR);
			assert_eq!(
				last_event(),
				Event::EmergencyAccessOpened {
					id,
					patient: PATIENT,
					doctor: OTHER_DOCTOR,
					hospital: 1,
					reason: EmergencyReason::PatientUnconscious,
					expires_at: NOW + EMERGENCY_MS,
				}
				.into()
			);
			assert_eq!(
				decide(OTHER_DOCTOR, t, Purpose::EmergencyTreatment),
				Decision::Permit(PermitBasis::Emergency(id))
			);
			// Only for emergency treatment, only reads, only that doctor.
			assert_eq!(
				decide(OTHER_DOCTOR, t, Purpose::Treatment),
				Decision::Deny(DenyReason::NoGrant)
			);
			assert_eq!(
				decide(NURSE, t, Purpose::EmergencyTreatment),
				Decision::Deny(DenyReason::NoGrant)
			);
			let at = |ms| {
				Consent::decide(
					&OTHER_DOCTOR,
					&PATIENT,
					t,
					Purpose::EmergencyTreatment,
					Action::Read,
					ms,
				)
			};
			assert!(at(NOW + EMERGENCY_MS - 1).is_permit());
			assert_eq!(at(NOW + EMERGENCY_MS), Decision::Deny(DenyReason::NoGrant));
			// The patient's app lists it; the hospital's queue holds it.
			let listed = Consent::emergencies_of(&PATIENT, NOW);
			assert_eq!(listed.len(), 1);
			assert!(listed[0].open);
			assert_eq!(listed[0].note, b"ER bay 3".to_vec());
			assert_eq!(Consent::review_queue(1, NOW).len(), 1);
		});
	}

	#[test]
	fn the_doctor_ends_it_and_a_privacy_officer_reviews_it() {
		test(|| {
			let id = declare(OTHER_DOCTOR);
			assert_noop!(
				Consent::review_emergency(signed(OTHER_OFFICER), id, ReviewOutcome::Justified),
				Error::<Test>::EmergencyStillOpen
			);
			assert_noop!(
				Consent::end_emergency(signed(DOCTOR), id),
				Error::<Test>::NotEmergencyDoctor
			);
			assert_ok!(Consent::end_emergency(signed(OTHER_DOCTOR), id));
			assert_eq!(
				last_event(),
				Event::EmergencyAccessEnded { id, patient: PATIENT, doctor: OTHER_DOCTOR }.into()
			);
			assert_eq!(
				decide(
					OTHER_DOCTOR,
					Target::Category(Category::Allergy),
					Purpose::EmergencyTreatment
				),
				Decision::Deny(DenyReason::NoGrant)
			);
			assert_noop!(
				Consent::end_emergency(signed(OTHER_DOCTOR), id),
				Error::<Test>::EmergencyClosed
			);
			assert_noop!(
				Consent::review_emergency(signed(OFFICER), id, ReviewOutcome::Justified),
				Error::<Test>::WrongHospital
			);
			assert_noop!(
				Consent::review_emergency(signed(OTHER_DOCTOR), id, ReviewOutcome::Justified),
				Error::<Test>::NotAPrivacyOfficer
			);
			assert_noop!(
				Consent::review_emergency(signed(STRANGER), id, ReviewOutcome::Justified),
				Error::<Test>::NotActiveStaff
			);
			assert_ok!(Consent::review_emergency(
				signed(OTHER_OFFICER),
				id,
				ReviewOutcome::NotJustified
			));
			assert_eq!(
				last_event(),
				Event::EmergencyAccessReviewed {
					id,
					patient: PATIENT,
					doctor: OTHER_DOCTOR,
					hospital: 1,
					officer: OTHER_OFFICER,
					outcome: ReviewOutcome::NotJustified,
				}
				.into()
			);
			assert!(Consent::review_queue(1, NOW).is_empty());
			assert!(Consent::emergencies_of(&PATIENT, NOW).is_empty());
			assert_noop!(
				Consent::review_emergency(signed(OTHER_OFFICER), id, ReviewOutcome::Justified),
				Error::<Test>::EmergencyNotFound
			);
			assert_noop!(
				Consent::end_emergency(signed(OTHER_DOCTOR), id),
				Error::<Test>::EmergencyNotFound
			);
		});
	}

	#[test]
	fn emergency_refusals_change_nothing() {
		test(|| {
			for who in [NURSE, LAB, ADMIN_STAFF, OFFICER] {
				assert_noop!(
					Consent::declare_emergency(
						signed(who),
						PATIENT,
						EmergencyReason::Other,
						vec![]
					),
					Error::<Test>::NotADoctor
				);
			}
			assert_noop!(
				Consent::declare_emergency(
					signed(PATIENT),
					PATIENT,
					EmergencyReason::Other,
					vec![]
				),
				Error::<Test>::NotActiveStaff
			);
			assert_noop!(
				Consent::declare_emergency(
					signed(DOCTOR),
					STRANGER,
					EmergencyReason::Other,
					vec![]
				),
				Error::<Test>::PatientNotFound
			);
			assert_noop!(
				Consent::declare_emergency(
					signed(DOCTOR),
					PATIENT,
					EmergencyReason::Other,
					vec![b'x'; 17]
				),
				Error::<Test>::NoteTooLong
			);
			assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Suspended));
			assert_noop!(
				Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
				Error::<Test>::NotActiveStaff
			);
			assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Active));
			declare(DOCTOR);
			assert_noop!(
				Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
				Error::<Test>::EmergencyAlreadyOpen
			);
		});
	}

	#[test]
	fn emergencies_are_rate_limited_per_doctor() {
		test(|| {
			let first = declare(DOCTOR);
			set_time(NOW + EMERGENCY_MS);
			// The first has closed, unreviewed: a second may open (both wait for review).
			let second = declare(DOCTOR);
			assert_eq!(Consent::review_queue(0, NOW).len(), 2);
			set_time(NOW + 2 * EMERGENCY_MS);
			assert_noop!(
				Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
				Error::<Test>::EmergencyRateLimited
			);
			// Reviewing the older keeps the newer one's index.
			assert_ok!(Consent::review_emergency(signed(OFFICER), first, ReviewOutcome::Justified));
			assert_eq!(LatestEmergency::<Test>::get(PATIENT, DOCTOR), Some(second));
			// A new rate window allows more.
			advance(100);
			declare(DOCTOR);
		});
	}

	#[test]
	fn a_full_review_queue_stops_new_emergencies() {
		test(|| {
			// Queue of 3 in the mock: fill it with three patients' emergencies.
			assert_ok!(Consent::declare_emergency(
				signed(DOCTOR),
				PATIENT,
				EmergencyReason::Other,
				vec![]
			));
			assert_ok!(Consent::declare_emergency(
				signed(DOCTOR),
				PATIENT_2,
				EmergencyReason::Other,
				vec![]
			));
			advance(100);
			assert_ok!(Consent::declare_emergency(
				signed(DOCTOR),
				DELEGATE,
				EmergencyReason::Other,
				vec![]
			));
			set_time(NOW + EMERGENCY_MS);
			assert_noop!(
				Consent::declare_emergency(signed(DOCTOR), PATIENT, EmergencyReason::Other, vec![]),
				Error::<Test>::ReviewQueueFull
			);
			// Another hospital's queue is separate.
			assert_ok!(Consent::declare_emergency(
				signed(OTHER_DOCTOR),
				PATIENT,
				EmergencyReason::Other,
				vec![]
			));
		});
	}
}

mod fees {
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
			let remove =
				RuntimeCall::Consent(crate::Call::remove_grant { patient: PATIENT, grant: 0 });
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
}

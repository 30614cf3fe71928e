//! Unit tests of the hospital registry: every call, every refusal (with `assert_noop!`), and the
//! storage invariants after each test.

use crate::{mock::*, Error, Event, *};
use frame_support::{assert_noop, assert_ok};
use pallet_session::SessionManager;
use sp_core::H256;
use sp_runtime::DispatchError::BadOrigin;

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}
fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}
fn admit(admin: u64, validator: u64, nodes: Vec<Vec<u8>>) -> sp_runtime::DispatchResult {
	Registry::admit_hospital(
		root(),
		b"St. Elsewhere".to_vec(),
		admin,
		validator,
		b"https://gw.example".to_vec(),
		nodes,
	)
}
fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}
fn staff_of(who: &u64) -> Result<ActiveStaff, sp_runtime::DispatchError> {
	Registry::active_staff(who).map_err(Into::into)
}
/// The PeerId the mock's genesis registers for hospital `h`.
fn peer(h: u8) -> PeerIdOf<Test> {
	vec![h, 1].try_into().unwrap()
}
fn commitment(n: u8) -> H256 {
	H256::repeat_byte(n)
}

mod genesis {
	use super::*;

	#[test]
	fn founding_hospitals_are_active_validators_and_council() {
		test(|| {
			assert_eq!(NextHospitalId::<Test>::get(), 3);
			assert_eq!(Registry::active_validators(), vec![11, 21, 31]);
			assert_eq!(CouncilMembers::get(), vec![10, 20, 30]);
			assert_eq!(Registry::node_permissions().0.len(), 3);
			assert_eq!(staff_of(&DOCTOR), Ok(ActiveStaff { hospital: 0, role: StaffRole::Doctor }));
			assert!(Registry::is_patient(&PATIENT));
		});
	}
}

mod admission {
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
			assert_eq!(
				NodeOwner::<Test>::get(PeerIdOf::<Test>::truncate_from(vec![9, 9])),
				Some(3)
			);
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
			assert_noop!(
				call(b"X", b"https://x", vec![vec![7], vec![7]]),
				Error::<Test>::NodeInUse
			);
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
}

mod status {
	use super::*;

	#[test]
	fn suspension_takes_everything_away_and_reinstatement_gives_it_back() {
		test(|| {
			assert_ok!(Registry::suspend_hospital(root(), 0));
			assert_eq!(last_event(), Event::HospitalSuspended { hospital: 0 }.into());
			assert_eq!(Registry::new_session(1), Some(vec![21, 31]));
			assert_eq!(CouncilMembers::get(), vec![20, 30]);
			assert_eq!(Registry::node_permissions(), (vec![peer(1), peer(2)], true));
			assert_eq!(staff_of(&DOCTOR), Err(Error::<Test>::HospitalNotActive.into()));
			assert_noop!(
				Registry::update_hospital(signed(10), Some(b"Y".to_vec()), None),
				Error::<Test>::HospitalNotActive
			);

			assert_ok!(Registry::reinstate_hospital(root(), 0));
			assert_eq!(last_event(), Event::HospitalReinstated { hospital: 0 }.into());
			assert_eq!(Registry::new_session(2), Some(vec![11, 21, 31]));
			assert_eq!(CouncilMembers::get(), vec![10, 20, 30]);
			assert!(staff_of(&DOCTOR).is_ok());
		});
	}

	#[test]
	fn status_changes_are_checked() {
		test(|| {
			assert_noop!(Registry::suspend_hospital(signed(10), 1), BadOrigin);
			assert_noop!(Registry::suspend_hospital(root(), 9), Error::<Test>::HospitalNotFound);
			assert_noop!(Registry::reinstate_hospital(root(), 9), Error::<Test>::HospitalNotFound);
			assert_noop!(Registry::remove_hospital(root(), 9), Error::<Test>::HospitalNotFound);
			assert_noop!(
				Registry::reinstate_hospital(root(), 1),
				Error::<Test>::HospitalNotSuspended
			);
			assert_ok!(Registry::suspend_hospital(root(), 1));
			assert_noop!(Registry::suspend_hospital(root(), 1), Error::<Test>::HospitalNotActive);
		});
	}

	#[test]
	fn the_last_validators_cannot_be_taken_out() {
		test(|| {
			// MinValidators is 2 of the 3 founding hospitals.
			assert_ok!(Registry::suspend_hospital(root(), 2));
			assert_noop!(Registry::suspend_hospital(root(), 1), Error::<Test>::TooFewValidators);
			assert_noop!(Registry::remove_hospital(root(), 1), Error::<Test>::TooFewValidators);
			// A suspended hospital can still be removed: it is no validator.
			assert_ok!(Registry::remove_hospital(root(), 2));
		});
	}

	#[test]
	fn removal_releases_admin_validator_and_nodes() {
		test(|| {
			assert_ok!(Registry::remove_hospital(root(), 2));
			assert_eq!(last_event(), Event::HospitalRemoved { hospital: 2 }.into());
			assert_eq!(Hospitals::<Test>::get(2).unwrap().status, HospitalStatus::Removed);
			assert_noop!(
				Registry::remove_hospital(root(), 2),
				Error::<Test>::HospitalAlreadyRemoved
			);
			assert_noop!(
				Registry::reinstate_hospital(root(), 2),
				Error::<Test>::HospitalNotSuspended
			);
			// The same admin, validator and node can join again as a new hospital.
			assert_ok!(admit(30, 31, vec![vec![2, 1]]));
			assert_eq!(HospitalOfAdmin::<Test>::get(30), Some(3));
		});
	}
}

mod hospital_admin {
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
			assert_noop!(
				Registry::set_nodes(signed(10), vec![vec![1, 1]]),
				Error::<Test>::NodeInUse
			);
		});
	}
}

mod staff {
	use super::*;

	#[test]
	fn admin_registers_suspends_reinstates_and_ends_staff() {
		test(|| {
			assert_ok!(Registry::register_staff(
				signed(20),
				300,
				StaffRole::Lab,
				commitment(1),
				Some(NOW + 1000)
			));
			assert_eq!(
				last_event(),
				Event::StaffRegistered { hospital: 1, staff: 300, role: StaffRole::Lab }.into()
			);
			assert_eq!(staff_of(&300), Ok(ActiveStaff { hospital: 1, role: StaffRole::Lab }));
			// The licence number itself is never stored, only its commitment.
			assert_eq!(Staff::<Test>::get(300).unwrap().licence_commitment, commitment(1));

			assert_ok!(Registry::set_staff_status(signed(20), 300, StaffStatus::Suspended));
			assert_eq!(staff_of(&300), Err(Error::<Test>::StaffSuspended.into()));
			assert_ok!(Registry::set_staff_status(signed(20), 300, StaffStatus::Active));
			assert!(staff_of(&300).is_ok());
			assert_ok!(Registry::set_staff_status(signed(20), 300, StaffStatus::Ended));
			assert_eq!(
				last_event(),
				Event::StaffStatusChanged { hospital: 1, staff: 300, status: StaffStatus::Ended }
					.into()
			);
			assert_eq!(staff_of(&300), Err(Error::<Test>::EmploymentEnded.into()));
			assert_eq!(Hospitals::<Test>::get(1).unwrap().staff, 0);
		});
	}

	#[test]
	fn validity_ends_rights() {
		test(|| {
			assert_ok!(Registry::register_staff(
				signed(20),
				300,
				StaffRole::Doctor,
				commitment(1),
				Some(NOW + 1000)
			));
			Timestamp::set_timestamp(NOW + 999);
			assert!(staff_of(&300).is_ok());
			// Exactly at the end of validity the rights are gone.
			Timestamp::set_timestamp(NOW + 1000);
			assert_eq!(staff_of(&300), Err(Error::<Test>::StaffExpired.into()));
		});
	}

	#[test]
	fn staff_registration_is_checked() {
		test(|| {
			assert_noop!(
				Registry::register_staff(
					signed(DOCTOR),
					300,
					StaffRole::Nurse,
					commitment(1),
					None
				),
				Error::<Test>::NotHospitalAdmin
			);
			assert_noop!(
				Registry::register_staff(signed(20), DOCTOR, StaffRole::Nurse, commitment(1), None),
				Error::<Test>::AlreadyStaff
			);
			assert_noop!(
				Registry::register_staff(
					signed(20),
					300,
					StaffRole::Nurse,
					commitment(1),
					Some(NOW)
				),
				Error::<Test>::ValidityInPast
			);
			// Hospital 0 already has its 3 staff.
			assert_noop!(
				Registry::register_staff(signed(10), 300, StaffRole::Nurse, commitment(1), None),
				Error::<Test>::TooManyStaff
			);
		});
	}

	#[test]
	fn an_admin_cannot_touch_another_hospitals_staff() {
		test(|| {
			assert_noop!(
				Registry::set_staff_status(signed(20), DOCTOR, StaffStatus::Suspended),
				Error::<Test>::WrongHospital
			);
			assert_noop!(
				Registry::set_staff_status(signed(20), 999, StaffStatus::Suspended),
				Error::<Test>::StaffNotFound
			);
			assert_noop!(
				Registry::set_staff_status(signed(DOCTOR), NURSE, StaffStatus::Suspended),
				Error::<Test>::NotHospitalAdmin
			);
		});
	}

	#[test]
	fn status_changes_must_change_something_and_ending_is_final() {
		test(|| {
			assert_noop!(
				Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Active),
				Error::<Test>::StatusUnchanged
			);
			assert_ok!(Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Ended));
			assert_noop!(
				Registry::set_staff_status(signed(10), DOCTOR, StaffStatus::Active),
				Error::<Test>::EmploymentEnded
			);
			// The ended member's slot is free again.
			assert_ok!(Registry::register_staff(
				signed(10),
				300,
				StaffRole::Doctor,
				commitment(2),
				None
			));
		});
	}

	#[test]
	fn unknown_staff_has_no_rights() {
		test(|| {
			assert_eq!(staff_of(&999), Err(Error::<Test>::StaffNotFound.into()));
		});
	}
}

mod patients {
	use super::*;

	#[test]
	fn anyone_signs_up_once() {
		test(|| {
			assert_ok!(Registry::register_patient(signed(201)));
			assert_eq!(last_event(), Event::PatientRegistered { patient: 201 }.into());
			assert!(Registry::is_patient(&201));
			assert_noop!(Registry::register_patient(signed(201)), Error::<Test>::AlreadyPatient);
			assert_noop!(Registry::register_patient(root()), BadOrigin);
		});
	}

	#[test]
	fn hospitals_verify_patients_with_a_commitment() {
		test(|| {
			// By the admin, and by an active Administrator of another hospital's staff.
			assert_ok!(Registry::verify_patient(signed(20), PATIENT, commitment(5)));
			assert_eq!(
				last_event(),
				Event::PatientVerified { patient: PATIENT, hospital: 1 }.into()
			);
			assert_ok!(Registry::verify_patient(signed(CLERK), PATIENT, commitment(6)));
			assert_eq!(PatientVerifications::<Test>::get(PATIENT, 0), Some(commitment(6)));
			assert_noop!(
				Registry::verify_patient(signed(30), PATIENT, commitment(7)),
				Error::<Test>::TooManyVerifications
			);
			assert_noop!(
				Registry::verify_patient(signed(CLERK), PATIENT, commitment(7)),
				Error::<Test>::AlreadyVerified
			);
			assert_noop!(
				Registry::verify_patient(signed(DOCTOR), PATIENT, commitment(7)),
				Error::<Test>::NotAdminOrAdministrator
			);
			assert_noop!(
				Registry::verify_patient(signed(30), 999, commitment(7)),
				Error::<Test>::PatientNotFound
			);
		});
	}

	#[test]
	fn hospitals_enrol_patients_without_balance() {
		test(|| {
			// A walk-in patient: registered and verified at once; the account exists.
			let walk_in = 777;
			assert_eq!(System::sufficients(&walk_in), 0);
			assert_ok!(Registry::enrol_patient(signed(CLERK), walk_in, commitment(5)));
			assert!(Registry::is_patient(&walk_in));
			assert_eq!(System::sufficients(&walk_in), 1);
			assert!(System::account_exists(&walk_in));
			assert_eq!(PatientVerifications::<Test>::get(walk_in, 0), Some(commitment(5)));
			assert_eq!(
				last_event(),
				Event::PatientVerified { patient: walk_in, hospital: 0 }.into()
			);
			// An already registered patient is verified only.
			assert_ok!(Registry::enrol_patient(signed(20), PATIENT, commitment(6)));
			assert_eq!(PatientVerifications::<Test>::get(PATIENT, 1), Some(commitment(6)));
			assert_noop!(
				Registry::enrol_patient(signed(CLERK), walk_in, commitment(7)),
				Error::<Test>::AlreadyVerified
			);
			assert_noop!(
				Registry::enrol_patient(signed(DOCTOR), 778, commitment(7)),
				Error::<Test>::NotAdminOrAdministrator
			);
			assert_noop!(
				Registry::enrol_patient(signed(PATIENT), 778, commitment(7)),
				Error::<Test>::NotAdminOrAdministrator
			);
		});
	}

	#[test]
	fn self_registration_makes_the_account_exist() {
		test(|| {
			assert_ok!(Registry::register_patient(signed(555)));
			assert_eq!(System::sufficients(&555), 1);
			assert_noop!(Registry::register_patient(signed(555)), Error::<Test>::AlreadyPatient);
		});
	}

	#[test]
	fn patients_appoint_and_remove_delegates() {
		test(|| {
			assert_ok!(Registry::appoint_delegate(signed(PATIENT), 300));
			assert_eq!(
				last_event(),
				Event::DelegateAppointed { patient: PATIENT, delegate: 300 }.into()
			);
			assert!(Registry::acts_for(&300, &PATIENT));
			assert!(Registry::acts_for(&PATIENT, &PATIENT));
			assert!(!Registry::acts_for(&301, &PATIENT));
			assert_ok!(Registry::remove_delegate(signed(PATIENT), 300));
			assert_eq!(
				logged(),
				vec![
					(PATIENT, PATIENT, DelegationChange::DelegateAppointed, 300),
					(PATIENT, PATIENT, DelegationChange::DelegateRemoved, 300),
				]
			);
			assert_eq!(
				last_event(),
				Event::DelegateRemoved { patient: PATIENT, delegate: 300 }.into()
			);
			assert!(!Registry::acts_for(&300, &PATIENT));
		});
	}

	#[test]
	fn delegation_is_checked() {
		test(|| {
			assert_noop!(
				Registry::appoint_delegate(signed(PATIENT), PATIENT),
				Error::<Test>::SelfDelegation
			);
			assert_noop!(
				Registry::appoint_delegate(signed(999), 300),
				Error::<Test>::PatientNotFound
			);
			assert_ok!(Registry::appoint_delegate(signed(PATIENT), 300));
			assert_noop!(
				Registry::appoint_delegate(signed(PATIENT), 300),
				Error::<Test>::AlreadyDelegate
			);
			assert_ok!(Registry::appoint_delegate(signed(PATIENT), 301));
			assert_noop!(
				Registry::appoint_delegate(signed(PATIENT), 302),
				Error::<Test>::TooManyDelegates
			);
			assert_noop!(
				Registry::remove_delegate(signed(PATIENT), 302),
				Error::<Test>::DelegateNotFound
			);
		});
	}

	/// Hospital 0 verifies [`PATIENT`].
	fn verified_at_0() {
		assert_ok!(Registry::verify_patient(signed(CLERK), PATIENT, H256::repeat_byte(7)));
	}

	#[test]
	fn hospitals_record_and_remove_guardians() {
		test(|| {
			verified_at_0();
			assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 400));
			assert_eq!(
				last_event(),
				Event::GuardianRecorded { patient: PATIENT, guardian: 400, hospital: 0 }.into()
			);
			assert!(Registry::acts_for(&400, &PATIENT));
			assert_eq!(
				logged(),
				vec![
					(PATIENT, CLERK, DelegationChange::PatientVerified, CLERK),
					(PATIENT, CLERK, DelegationChange::GuardianRecorded, 400)
				]
			);
			// The patient cannot remove a guardian, nor can another hospital.
			assert_noop!(
				Registry::remove_delegate(signed(PATIENT), 400),
				Error::<Test>::NotDelegationOwner
			);
			assert_noop!(
				Registry::remove_guardian(signed(20), PATIENT, 400),
				Error::<Test>::NotDelegationOwner
			);
			assert_noop!(
				Registry::record_guardian(signed(NURSE), PATIENT, 401),
				Error::<Test>::NotAdminOrAdministrator
			);
			assert_noop!(
				Registry::record_guardian(signed(10), PATIENT, PATIENT),
				Error::<Test>::SelfDelegation
			);
			assert_noop!(
				Registry::remove_guardian(signed(10), PATIENT, 401),
				Error::<Test>::DelegateNotFound
			);
			// A guardian recorded by a suspended hospital no longer acts.
			assert_ok!(Registry::suspend_hospital(root(), 0));
			assert!(!Registry::acts_for(&400, &PATIENT));
			assert_ok!(Registry::reinstate_hospital(root(), 0));
			assert_ok!(Registry::remove_guardian(signed(10), PATIENT, 400));
			assert_eq!(
				last_event(),
				Event::GuardianRemoved {
					patient: PATIENT,
					guardian: 400,
					hospital: 0,
					by_council: false
				}
				.into()
			);
			assert_eq!(
				logged()[2],
				(PATIENT, 10, DelegationChange::GuardianRemoved { by_council: false }, 400)
			);
			assert!(!Registry::acts_for(&400, &PATIENT));
		});
	}

	#[test]
	fn a_hospital_that_never_verified_the_patient_cannot_record_a_guardian() {
		test(|| {
			// Hospital 1's admin, and hospital 0's administrator before it verified the patient.
			assert_noop!(
				Registry::record_guardian(signed(20), PATIENT, 400),
				Error::<Test>::PatientNotVerifiedHere
			);
			assert_noop!(
				Registry::record_guardian(signed(CLERK), PATIENT, 400),
				Error::<Test>::PatientNotVerifiedHere
			);
			assert_noop!(
				Registry::record_guardian(signed(CLERK), 999, 400),
				Error::<Test>::PatientNotFound
			);
			verified_at_0();
			// Verified by hospital 0 only: hospital 1 still cannot.
			assert_noop!(
				Registry::record_guardian(signed(20), PATIENT, 400),
				Error::<Test>::PatientNotVerifiedHere
			);
			assert!(!Registry::acts_for(&400, &PATIENT));
			// The verification itself is in the patient's log: nothing else is.
			assert_eq!(logged(), vec![(PATIENT, CLERK, DelegationChange::PatientVerified, CLERK)]);
		});
	}

	#[test]
	fn the_patient_contests_and_a_privacy_officer_reviews() {
		test(|| {
			const OFFICER: u64 = 103;
			// The mock's hospitals have room for three staff: the nurse leaves.
			assert_ok!(Registry::set_staff_status(signed(10), NURSE, StaffStatus::Ended));
			assert_ok!(Registry::register_staff(
				signed(10),
				OFFICER,
				StaffRole::PrivacyOfficer,
				H256::zero(),
				None
			));
			verified_at_0();
			assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 400));
			assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 401));
			// Outsiders, staff and the guardian itself cannot contest; a delegate neither.
			for who in [999, NURSE, 20, 400] {
				assert_noop!(
					Registry::contest_guardian(signed(who), PATIENT, 400),
					Error::<Test>::NotPatientOrGuardian
				);
			}
			assert_noop!(
				Registry::contest_guardian(signed(PATIENT), PATIENT, 402),
				Error::<Test>::NotAGuardian
			);
			// The other guardian contests; the contested one keeps acting until reviewed.
			assert_ok!(Registry::contest_guardian(signed(401), PATIENT, 400));
			assert_eq!(
				last_event(),
				Event::GuardianContested { patient: PATIENT, guardian: 400, hospital: 0, by: 401 }
					.into()
			);
			assert!(Registry::acts_for(&400, &PATIENT));
			assert_noop!(
				Registry::contest_guardian(signed(PATIENT), PATIENT, 400),
				Error::<Test>::AlreadyContested
			);
			// Only the recording hospital's privacy officer or admin reviews.
			for who in [CLERK, DOCTOR, 20, PATIENT, 400] {
				assert_noop!(
					Registry::review_guardianship(signed(who), PATIENT, 400, true),
					Error::<Test>::NotReviewer
				);
			}
			assert_noop!(
				Registry::review_guardianship(signed(OFFICER), PATIENT, 401, true),
				Error::<Test>::NotContested
			);
			assert_ok!(Registry::review_guardianship(signed(OFFICER), PATIENT, 400, true));
			assert_eq!(
				last_event(),
				Event::GuardianUpheld { patient: PATIENT, guardian: 400, hospital: 0 }.into()
			);
			assert!(Registry::acts_for(&400, &PATIENT));
			// Contested again by the patient, and this time ended.
			assert_ok!(Registry::contest_guardian(signed(PATIENT), PATIENT, 400));
			assert_ok!(Registry::review_guardianship(signed(OFFICER), PATIENT, 400, false));
			assert!(!Registry::acts_for(&400, &PATIENT));
			assert!(GuardianContests::<Test>::iter().next().is_none());
			let changes: Vec<_> = logged().into_iter().map(|(_, a, c, p)| (a, c, p)).collect();
			assert_eq!(
				changes,
				vec![
					(CLERK, DelegationChange::PatientVerified, CLERK),
					(CLERK, DelegationChange::GuardianRecorded, 400),
					(CLERK, DelegationChange::GuardianRecorded, 401),
					(401, DelegationChange::GuardianContested, 400),
					(OFFICER, DelegationChange::GuardianUpheld, 400),
					(PATIENT, DelegationChange::GuardianContested, 400),
					(OFFICER, DelegationChange::GuardianRemoved { by_council: false }, 400),
				]
			);
		});
	}

	#[test]
	fn the_council_ends_any_guardianship() {
		test(|| {
			verified_at_0();
			assert_ok!(Registry::record_guardian(signed(CLERK), PATIENT, 400));
			assert_ok!(Registry::contest_guardian(signed(PATIENT), PATIENT, 400));
			for who in [10, 20, CLERK, PATIENT] {
				assert_noop!(Registry::end_guardianship(signed(who), PATIENT, 400), BadOrigin);
			}
			assert_noop!(
				Registry::end_guardianship(root(), PATIENT, 401),
				Error::<Test>::NotAGuardian
			);
			assert_ok!(Registry::end_guardianship(root(), PATIENT, 400));
			assert_eq!(
				last_event(),
				Event::GuardianRemoved {
					patient: PATIENT,
					guardian: 400,
					hospital: 0,
					by_council: true
				}
				.into()
			);
			assert!(!Registry::acts_for(&400, &PATIENT));
			assert!(GuardianContests::<Test>::iter().next().is_none());
			// A delegate is the patient's to remove, never the council's or a hospital's.
			assert_ok!(Registry::appoint_delegate(signed(PATIENT), 500));
			assert_noop!(
				Registry::end_guardianship(root(), PATIENT, 500),
				Error::<Test>::NotAGuardian
			);
			assert_noop!(
				Registry::remove_guardian(signed(10), PATIENT, 500),
				Error::<Test>::NotDelegationOwner
			);
		});
	}

	#[test]
	fn nobody_acts_for_a_non_patient() {
		test(|| {
			assert!(!Registry::acts_for(&999, &999));
		});
	}
}

mod runtime_upgrade {
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
			assert_noop!(
				Registry::authorize_runtime_upgrade(signed(ADMINS[0]), code_hash),
				BadOrigin
			);
			assert_noop!(Registry::authorize_runtime_upgrade(signed(999), code_hash), BadOrigin);
			assert!(!upgrade_authorized());
		});
	}
}

mod node_permissions {
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
			assert_eq!(
				Registry::node_permissions(),
				(vec![peer(0), peer(1), peer(2), peer(3)], true)
			);
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
}

mod encryption_keys {
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
			assert_ok!(Registry::set_staff_status(
				signed(ADMINS[0]),
				NURSE,
				StaffStatus::Suspended
			));
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
}

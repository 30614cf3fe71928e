//! The authorization matrix: every signed call of ehr-chain's four pallets, tried by every actor
//! of the threat model, on the real runtime.
//!
//! The table of who may do what is the one in `docs/security.md` (between the
//! `authorization-matrix` markers): this test reads it, so the document and the code cannot
//! drift apart. For each call it builds a world in which the call can succeed (a patient with a
//! delegate and guardians, records, grants, emergencies, pending amendments and withdrawals,
//! prescription requests), then has each actor send it: where the table has a ✓ the call must
//! succeed; everywhere else it must fail with a named error and leave every storage item as it
//! was. A call of the four pallets without a row in the table, or a row naming no call, fails
//! the test.

use std::collections::{BTreeMap, BTreeSet};

use codec::Encode;
use ehr_runtime::{
	AccountId, HospitalRegistry, PatientRecords, Runtime, RuntimeCall, RuntimeOrigin, Signature,
	System,
};
use frame_support::{
	assert_ok,
	storage::{with_transaction, TransactionOutcome},
	traits::UnfilteredDispatchable,
};
use pallet_consent::{Action, EmergencyReason, Grantee, Purpose, ReviewOutcome, Scope};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{
	cid, Category, Content, ContentInput, EncryptionScheme, NewRecord, Withdrawal,
};
use scale_info::{TypeDef, TypeInfo};
use sp_core::{sr25519, Pair, H256};
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{Alice, AliceStash};
use sp_runtime::DispatchError;

use crate::common;

const NOW: u64 = 1_800_000_000_000;

/// The actors, in the order of the table's columns.
const ACTORS: [&str; 13] = [
	"patient",
	"delegate",
	"guardian",
	"doctor",
	"nurse",
	"lab",
	"administrator",
	"privacy officer",
	"gateway",
	"hospital admin",
	"other hospital's admin",
	"council",
	"outsider",
];

fn account(name: &str) -> AccountId {
	pair(name).public().into()
}

fn pair(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//authorization/{name}"), None).expect("a dev seed")
}

/// The origin of an actor: the council stands for the consortium's governance (root passes
/// the same check on the development chain).
fn origin(actor: &str) -> RuntimeOrigin {
	match actor {
		"council" => RuntimeOrigin::root(),
		"hospital admin" => RuntimeOrigin::signed(Alice.to_account_id()),
		"gateway" => RuntimeOrigin::signed(AliceStash.to_account_id()),
		other => RuntimeOrigin::signed(account(other)),
	}
}

/// A content no record anchored yet (a commitment is anchored once).
fn fresh(seed: &str) -> ContentInput {
	let digest = sp_io::hashing::sha2_256(seed.as_bytes());
	Content {
		commitment: H256(digest),
		cid: cid::raw_sha2_256(&digest).to_vec(),
		scheme: EncryptionScheme::XChaCha20Poly1305,
		size: 2048,
	}
}

/// Ids of the objects the world holds.
struct World {
	/// A current clinical note of the patient kept by hospital 0, nothing pending on it.
	note: u64,
	/// A record with an amendment proposed by the doctor, awaiting the patient.
	amending: u64,
	/// A record whose withdrawal the doctor asked for, awaiting the patient.
	withdrawing: u64,
	/// A deleted record of hospital 0.
	deleted: u64,
	/// An active grant, and a revoked one.
	grant: u32,
	revoked: u32,
	/// An open emergency of the doctor, and an expired one awaiting review.
	open_emergency: u64,
	expired_emergency: u64,
	/// A pending prescription request of the patient to the doctor.
	request: u64,
}

fn ok(call: RuntimeCall, origin: RuntimeOrigin) {
	let info = format!("{call:?}");
	let r = call.dispatch_bypass_filter(origin);
	assert!(r.is_ok(), "set-up {info} failed: {r:?}");
}

fn staff(who: &str, role: StaffRole) {
	assert_ok!(HospitalRegistry::register_staff(
		RuntimeOrigin::signed(Alice.to_account_id()),
		account(who),
		role,
		H256::repeat_byte(1),
		None
	));
}

/// The development chain (hospital 0, Alice) with four more hospitals (so the council can
/// suspend and remove one and keep four validators) and a suspended fifth; the staff of
/// hospital 0; a patient verified by hospital 0 with a delegate, three guardians (one contested)
/// and every kind of pending business; and a registered patient no hospital verified yet.
fn world() -> (sp_io::TestExternalities, World) {
	let mut ext = common::genesis_of(DEV_RUNTIME_PRESET);
	let w = ext.execute_with(|| {
		System::set_block_number(1);
		pallet_timestamp::Now::<Runtime>::put(NOW);
		let root = RuntimeOrigin::root;
		for (i, admin) in ["other hospital's admin", "admin 2", "admin 3", "admin 4", "admin 5"]
			.iter()
			.enumerate()
		{
			assert_ok!(HospitalRegistry::admit_hospital(
				root(),
				format!("Hospital {}", i + 1).into_bytes(),
				account(admin),
				account(&format!("validator {admin}")),
				b"https://gateway.example".to_vec(),
				vec![],
			));
		}
		assert_ok!(HospitalRegistry::suspend_hospital(root(), 5));
		for (who, role) in [
			("doctor", StaffRole::Doctor),
			("nurse", StaffRole::Nurse),
			("lab", StaffRole::Lab),
			("administrator", StaffRole::Administrator),
			("privacy officer", StaffRole::PrivacyOfficer),
		] {
			staff(who, role);
		}
		// Accounts that sign need to exist: fund everyone who is not a registered patient.
		for who in ACTORS.iter().chain(["guardian 2", "guardian 3"].iter()) {
			if !matches!(*who, "council" | "hospital admin" | "gateway") {
				assert_ok!(ehr_runtime::Balances::force_set_balance(
					root(),
					account(who).into(),
					1_000_000_000_000_000
				));
			}
		}
		let patient = account("patient");
		let signed = |who: &str| RuntimeOrigin::signed(account(who));
		assert_ok!(HospitalRegistry::enrol_patient(
			RuntimeOrigin::signed(Alice.to_account_id()),
			patient.clone(),
			H256::repeat_byte(7)
		));
		assert_ok!(HospitalRegistry::register_patient(signed("unverified patient")));
		assert_ok!(HospitalRegistry::appoint_delegate(signed("patient"), account("delegate")));
		for g in ["guardian", "guardian 2", "guardian 3"] {
			assert_ok!(HospitalRegistry::record_guardian(
				signed("administrator"),
				patient.clone(),
				account(g)
			));
		}
		assert_ok!(HospitalRegistry::contest_guardian(
			signed("patient"),
			patient.clone(),
			account("guardian 2")
		));

		let next = || pallet_patient_records::NextRecordId::<Runtime>::get();
		let add = |seed: &str| {
			let id = next();
			assert_ok!(PatientRecords::add_record(
				signed("doctor"),
				patient.clone(),
				Category::ClinicalNote,
				fresh(seed)
			));
			id
		};
		let note = add("note");
		let amending = add("amending");
		assert_ok!(PatientRecords::propose_amendment(signed("doctor"), amending, fresh("amended")));
		let withdrawing = add("withdrawing");
		assert_ok!(PatientRecords::request_withdrawal(
			signed("doctor"),
			withdrawing,
			Withdrawal::EnteredInError
		));
		let deleted = add("deleted");
		assert_ok!(PatientRecords::request_withdrawal(
			signed("doctor"),
			deleted,
			Withdrawal::Delete
		));
		assert_ok!(PatientRecords::approve_withdrawal(signed("patient"), deleted));

		let grant = |n: u64| {
			let id = pallet_consent::ConsentAccounts::<Runtime>::get(&patient).next_grant;
			ok(
				RuntimeCall::Consent(pallet_consent::Call::grant {
					patient: patient.clone(),
					grantee: Grantee::Hospital(0),
					scope: Scope::AllRecords,
					excluded: Default::default(),
					purposes: vec![Purpose::Treatment].try_into().unwrap(),
					actions: vec![Action::Read].try_into().unwrap(),
					starts: None,
					ends: NOW + n,
				}),
				signed("patient"),
			);
			id
		};
		let active = grant(86_400_000);
		let revoked = grant(86_400_000);
		ok(
			RuntimeCall::Consent(pallet_consent::Call::revoke {
				patient: patient.clone(),
				grant: revoked,
			}),
			signed("patient"),
		);

		// An emergency of the unverified patient that has expired, then an open one.
		let emergency = |who: &AccountId| {
			let id = pallet_consent::NextEmergencyId::<Runtime>::get();
			ok(
				RuntimeCall::Consent(pallet_consent::Call::declare_emergency {
					patient: who.clone(),
					reason: EmergencyReason::PatientUnconscious,
					note: b"ER".to_vec(),
				}),
				signed("doctor"),
			);
			id
		};
		let expired_emergency = emergency(&account("unverified patient"));
		pallet_timestamp::Now::<Runtime>::put(NOW + 5 * 3_600_000);
		let open_emergency = emergency(&patient);

		let request = pallet_patient_records::NextRequestId::<Runtime>::get();
		assert_ok!(PatientRecords::request_prescription(
			signed("patient"),
			account("doctor"),
			H256::repeat_byte(3)
		));
		World {
			note,
			amending,
			withdrawing,
			deleted,
			grant: active,
			revoked,
			open_emergency,
			expired_emergency,
			request,
		}
	});
	(ext, w)
}

/// The call of `name` ("pallet.call", as in the table) with arguments under which its permitted
/// actors succeed in `w`.
fn call(name: &str, w: &World) -> RuntimeCall {
	use pallet_access_log::Call as Log;
	use pallet_consent::Call as Con;
	use pallet_hospital_registry::Call as Reg;
	use pallet_patient_records::Call as Rec;
	let patient = account("patient");
	match name {
		"hospitalRegistry.admitHospital" => RuntimeCall::HospitalRegistry(Reg::admit_hospital {
			name: b"Newcomer".to_vec(),
			admin: account("new admin"),
			validator: account("new validator"),
			gateway_url: b"https://new.example".to_vec(),
			nodes: vec![],
		}),
		"hospitalRegistry.suspendHospital" => {
			RuntimeCall::HospitalRegistry(Reg::suspend_hospital { hospital: 4 })
		},
		"hospitalRegistry.reinstateHospital" => {
			RuntimeCall::HospitalRegistry(Reg::reinstate_hospital { hospital: 5 })
		},
		"hospitalRegistry.removeHospital" => {
			RuntimeCall::HospitalRegistry(Reg::remove_hospital { hospital: 4 })
		},
		"hospitalRegistry.updateHospital" => RuntimeCall::HospitalRegistry(Reg::update_hospital {
			name: Some(b"Renamed".to_vec()),
			gateway_url: None,
		}),
		"hospitalRegistry.setNodes" => {
			RuntimeCall::HospitalRegistry(Reg::set_nodes { nodes: vec![b"peer".to_vec()] })
		},
		"hospitalRegistry.registerStaff" => RuntimeCall::HospitalRegistry(Reg::register_staff {
			staff: account("new staff"),
			role: StaffRole::Nurse,
			licence_commitment: H256::repeat_byte(2),
			valid_until: None,
		}),
		"hospitalRegistry.setStaffStatus" => RuntimeCall::HospitalRegistry(Reg::set_staff_status {
			staff: account("nurse"),
			status: pallet_hospital_registry::StaffStatus::Suspended,
		}),
		"hospitalRegistry.registerPatient" => {
			RuntimeCall::HospitalRegistry(Reg::register_patient {})
		},
		"hospitalRegistry.verifyPatient" => RuntimeCall::HospitalRegistry(Reg::verify_patient {
			patient: account("unverified patient"),
			commitment: H256::repeat_byte(4),
		}),
		"hospitalRegistry.appointDelegate" => {
			RuntimeCall::HospitalRegistry(Reg::appoint_delegate { delegate: account("friend") })
		},
		"hospitalRegistry.removeDelegate" => {
			RuntimeCall::HospitalRegistry(Reg::remove_delegate { delegate: account("delegate") })
		},
		"hospitalRegistry.recordGuardian" => RuntimeCall::HospitalRegistry(Reg::record_guardian {
			patient,
			guardian: account("new guardian"),
		}),
		"hospitalRegistry.removeGuardian" => RuntimeCall::HospitalRegistry(Reg::remove_guardian {
			patient,
			guardian: account("guardian 3"),
		}),
		"hospitalRegistry.authorizeRuntimeUpgrade" => {
			RuntimeCall::HospitalRegistry(Reg::authorize_runtime_upgrade {
				code_hash: H256::repeat_byte(5),
			})
		},
		"hospitalRegistry.enrolPatient" => RuntimeCall::HospitalRegistry(Reg::enrol_patient {
			patient: account("walk-in"),
			commitment: H256::repeat_byte(6),
		}),
		"hospitalRegistry.setEncryptionKey" => {
			RuntimeCall::HospitalRegistry(Reg::set_encryption_key { key: [9u8; 32] })
		},
		"hospitalRegistry.contestGuardian" => {
			RuntimeCall::HospitalRegistry(Reg::contest_guardian {
				patient,
				guardian: account("guardian 3"),
			})
		},
		"hospitalRegistry.reviewGuardianship" => {
			RuntimeCall::HospitalRegistry(Reg::review_guardianship {
				patient,
				guardian: account("guardian 2"),
				uphold: false,
			})
		},
		"hospitalRegistry.endGuardianship" => {
			RuntimeCall::HospitalRegistry(Reg::end_guardianship {
				patient,
				guardian: account("guardian"),
			})
		},
		"hospitalRegistry.setNodePermissioning" => {
			RuntimeCall::HospitalRegistry(Reg::set_node_permissioning { enforced: false })
		},

		"patientRecords.addRecord" => RuntimeCall::PatientRecords(Rec::add_record {
			patient,
			category: Category::ClinicalNote,
			content: fresh("added"),
		}),
		"patientRecords.addRecords" => RuntimeCall::PatientRecords(Rec::add_records {
			records: vec![NewRecord {
				patient,
				category: Category::ClinicalNote,
				content: fresh("batched"),
			}],
		}),
		"patientRecords.proposeAmendment" => RuntimeCall::PatientRecords(Rec::propose_amendment {
			record: w.note,
			content: fresh("proposed"),
		}),
		"patientRecords.approveAmendment" => {
			RuntimeCall::PatientRecords(Rec::approve_amendment { record: w.amending })
		},
		"patientRecords.cancelAmendment" => {
			RuntimeCall::PatientRecords(Rec::cancel_amendment { record: w.amending })
		},
		"patientRecords.amendWithSignature" => {
			let content = fresh("signed amendment");
			let stored = Content {
				commitment: content.commitment,
				cid: content.cid.clone().try_into().unwrap(),
				scheme: content.scheme,
				size: content.size,
			};
			let payload = PatientRecords::amendment_payload(w.note, 1, stored).encode();
			RuntimeCall::PatientRecords(Rec::amend_with_signature {
				record: w.note,
				content,
				signer: patient,
				signature: Signature::Sr25519(pair("patient").sign(&payload)),
			})
		},
		"patientRecords.requestWithdrawal" => {
			RuntimeCall::PatientRecords(Rec::request_withdrawal {
				record: w.note,
				kind: Withdrawal::EnteredInError,
			})
		},
		"patientRecords.approveWithdrawal" => {
			RuntimeCall::PatientRecords(Rec::approve_withdrawal { record: w.withdrawing })
		},
		"patientRecords.cancelWithdrawal" => {
			RuntimeCall::PatientRecords(Rec::cancel_withdrawal { record: w.withdrawing })
		},
		"patientRecords.requestPrescription" => {
			RuntimeCall::PatientRecords(Rec::request_prescription {
				doctor: account("doctor"),
				details: H256::repeat_byte(8),
			})
		},
		"patientRecords.fulfilPrescription" => {
			RuntimeCall::PatientRecords(Rec::fulfil_prescription {
				request: w.request,
				content: fresh("prescription"),
			})
		},
		"patientRecords.declinePrescription" => {
			RuntimeCall::PatientRecords(Rec::decline_prescription { request: w.request })
		},
		"patientRecords.cancelPrescriptionRequest" => {
			RuntimeCall::PatientRecords(Rec::cancel_prescription_request { request: w.request })
		},

		"consent.grant" => RuntimeCall::Consent(Con::grant {
			patient,
			grantee: Grantee::Staff(account("nurse")),
			scope: Scope::AllRecords,
			excluded: Default::default(),
			purposes: vec![Purpose::Treatment].try_into().unwrap(),
			actions: vec![Action::Read].try_into().unwrap(),
			starts: None,
			ends: NOW + 86_400_000,
		}),
		"consent.revoke" => RuntimeCall::Consent(Con::revoke { patient, grant: w.grant }),
		"consent.removeGrant" => {
			RuntimeCall::Consent(Con::remove_grant { patient, grant: w.revoked })
		},
		"consent.declareEmergency" => RuntimeCall::Consent(Con::declare_emergency {
			patient: account("unverified patient"),
			reason: EmergencyReason::LifeThreatening,
			note: b"ER".to_vec(),
		}),
		"consent.endEmergency" => RuntimeCall::Consent(Con::end_emergency { id: w.open_emergency }),
		"consent.reviewEmergency" => RuntimeCall::Consent(Con::review_emergency {
			id: w.expired_emergency,
			outcome: ReviewOutcome::Justified,
		}),

		"accessLog.logRead" => RuntimeCall::AccessLog(Log::log_read {
			record: w.note,
			accessor: account("doctor"),
			purpose: Purpose::Treatment,
			permitted: true,
		}),
		"accessLog.logErasure" => RuntimeCall::AccessLog(Log::log_erasure { record: w.deleted }),
		"accessLog.logServed" => RuntimeCall::AccessLog(Log::log_served {
			record: w.note,
			accessor: account("doctor"),
			purpose: Purpose::Treatment,
			request: H256::repeat_byte(0x5e),
		}),
		"accessLog.logReads" => RuntimeCall::AccessLog(Log::log_reads {
			entries: vec![
				pallet_access_log::ReadLog {
					record: w.note,
					accessor: account("doctor"),
					purpose: Purpose::Treatment,
					outcome: pallet_access_log::ReadOutcome::Served {
						request: H256::repeat_byte(0x5e),
					},
				},
				pallet_access_log::ReadLog {
					record: w.note,
					accessor: account("nurse"),
					purpose: Purpose::Treatment,
					outcome: pallet_access_log::ReadOutcome::Refused,
				},
			]
			.try_into()
			.unwrap(),
		}),
		other => panic!("the table names {other}, which this test cannot build: add it here"),
	}
}

/// `record_guardian` -> `recordGuardian`.
fn camel(snake: &str) -> String {
	let mut out = String::new();
	let mut up = false;
	for c in snake.chars() {
		if c == '_' {
			up = true;
		} else if up {
			out.extend(c.to_uppercase());
			up = false;
		} else {
			out.push(c);
		}
	}
	out
}

/// Every call of the four pallets, as "pallet.call", from the runtime's type information.
fn calls_in_runtime() -> BTreeSet<String> {
	fn names<C: TypeInfo + 'static>(pallet: &str) -> Vec<String> {
		match C::type_info().type_def {
			TypeDef::Variant(v) => {
				v.variants.iter().map(|v| format!("{pallet}.{}", camel(v.name))).collect()
			},
			_ => panic!("{pallet}: a call enum"),
		}
	}
	let mut all = BTreeSet::new();
	all.extend(names::<pallet_hospital_registry::Call<Runtime>>("hospitalRegistry"));
	all.extend(names::<pallet_patient_records::Call<Runtime>>("patientRecords"));
	all.extend(names::<pallet_consent::Call<Runtime>>("consent"));
	all.extend(names::<pallet_access_log::Call<Runtime>>("accessLog"));
	all
}

/// The table of `docs/security.md`: call -> the actors it succeeds for.
fn table() -> BTreeMap<String, BTreeSet<&'static str>> {
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/security.md");
	let doc = std::fs::read_to_string(path).expect("docs/security.md");
	let start = doc
		.find("<!-- authorization-matrix:begin -->")
		.expect("the authorization-matrix:begin marker in docs/security.md");
	let end = doc.find("<!-- authorization-matrix:end -->").expect("the end marker");
	let mut rows = BTreeMap::new();
	let mut header_seen = false;
	for line in doc[start..end].lines().filter(|l| l.trim_start().starts_with('|')) {
		let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
		if !header_seen {
			let columns: Vec<&str> = cells[1..].to_vec();
			assert_eq!(columns, ACTORS, "the table's columns are the actors, in order");
			header_seen = true;
			continue;
		}
		if cells.iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':')) {
			continue;
		}
		assert_eq!(cells.len(), ACTORS.len() + 1, "a cell for each actor: {line}");
		let name = cells[0].trim_matches('`').to_string();
		let allowed: BTreeSet<&'static str> = ACTORS
			.iter()
			.zip(&cells[1..])
			.filter(|(_, c)| match **c {
				"✓" => true,
				"" | "—" => false,
				other => panic!("{name}: a cell is ✓ or empty, not {other:?}"),
			})
			.map(|(a, _)| *a)
			.collect();
		assert!(rows.insert(name.clone(), allowed).is_none(), "{name} has one row");
	}
	rows
}

/// Every storage item, to compare before and after a refused call.
fn all_storage() -> BTreeMap<Vec<u8>, Vec<u8>> {
	let mut out = BTreeMap::new();
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		if let Some(value) = sp_io::storage::get(&next) {
			out.insert(next.clone(), value.to_vec());
		}
		key = next;
	}
	out
}

#[test]
fn every_call_has_a_row_and_every_row_a_call() {
	let in_table: BTreeSet<String> = table().into_keys().collect();
	let in_runtime = calls_in_runtime();
	let missing: Vec<_> = in_runtime.difference(&in_table).collect();
	let unknown: Vec<_> = in_table.difference(&in_runtime).collect();
	assert!(missing.is_empty(), "calls without a row in docs/security.md: {missing:?}");
	assert!(unknown.is_empty(), "rows naming no call of the runtime: {unknown:?}");
}

#[test]
fn each_call_succeeds_exactly_for_the_actors_the_table_names() {
	let table = table();
	let (mut ext, w) = world();
	let mut wrong = Vec::new();
	ext.execute_with(|| {
		for (name, allowed) in &table {
			for actor in ACTORS {
				let call = call(name, &w);
				with_transaction(|| {
					let before = all_storage();
					let result = call.dispatch_bypass_filter(origin(actor));
					match (allowed.contains(actor), result) {
						(true, Ok(_)) => {},
						(true, Err(e)) => wrong.push(format!(
							"{name} by {actor}: the table allows it, but it failed: {:?}",
							e.error
						)),
						(false, Ok(_)) => wrong.push(format!(
							"{name} by {actor}: the table refuses it, but it succeeded"
						)),
						(false, Err(e)) => {
							if !matches!(
								e.error,
								DispatchError::Module(_) | DispatchError::BadOrigin
							) {
								wrong.push(format!(
									"{name} by {actor}: refused without a named error: {:?}",
									e.error
								));
							}
							if all_storage() != before {
								wrong
									.push(format!("{name} by {actor}: refused, but state changed"));
							}
						},
					}
					TransactionOutcome::Rollback(Ok::<(), DispatchError>(()))
				})
				.expect("rolled back");
			}
		}
	});
	assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
}

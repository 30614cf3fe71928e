//! No health data on chain, end to end: on a real development node, a hospital runs the flows
//! of a patient's care with documents full of identifying data (name, birth date, national id,
//! medical record number, licence number, diagnosis, medication): staff and patient
//! registration with salted commitments, records sealed by `ehr_client::document` (one, a batch,
//! a co-signed amendment), consent granted and revoked, a read logged by the gateway, a
//! prescription requested and fulfilled, an emergency access, a tombstone. Then it dumps every
//! storage entry at the finalized head, the events of every block and every block (header and
//! body) from genesis, and asserts that none of those identifiers or documents appears in them:
//! not in clear (ASCII, lower case, UTF-16, hex) and not as any unsalted hash (BLAKE2b-128/256,
//! SHA2-256, Keccak-256, XXHash-64/128, of the string or its SCALE encoding).
//!
//! A control string, put on chain on purpose (a remark in a block, a storage entry written by
//! sudo), shows that the scan finds what is there.

use std::time::Duration;

use codec::Encode;
use ehr_client::{
	document::{new_salt, salted_commitment, seal},
	Rpc, Signer,
};
use ehr_runtime::RuntimeCall;
use ehr_testing::{
	node_binary, record_added, records_added, storage_entries, submit, Node, NodeConfig,
};
use pallet_consent::{Action, EmergencyReason, Grantee, Purpose, Scope};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{Category, NewRecord, Withdrawal};
use serde_json::{json, Value};
use sp_core::Pair;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Eve, Ferdie};
use sp_runtime::MultiSignature;

/// The identifying data of the scenario (fictitious).
const IDENTIFIERS: &[&str] = &[
	"Marguerite Okonkwo-Vasquez",
	"Okonkwo-Vasquez",
	"1961-03-14",
	"987-65-4321",
	"987654321",
	"MRN-7730-2291",
	"77302291",
	"GMC-4410982",
	"Dr. Tobias Lindqvist",
	"E11.9 type 2 diabetes mellitus",
	"metformin 500 mg twice daily",
	"HbA1c 8.9 %",
	"+44 7700 900461",
];

/// A control put on chain on purpose.
const CONTROL: &str = "ehr-chain no-PHI scan control 5f1c";

fn document(kind: &str, extra: &str) -> Vec<u8> {
	format!(
		"{kind}\nPatient: Marguerite Okonkwo-Vasquez, born 1961-03-14\nNational ID: 987-65-4321\n\
		 MRN: MRN-7730-2291\nPhone: +44 7700 900461\nClinician: Dr. Tobias Lindqvist (GMC-4410982)\n\
		 Diagnosis: E11.9 type 2 diabetes mellitus\n{extra}\n"
	)
	.into_bytes()
}

fn hex_bytes(v: &Value) -> Vec<u8> {
	hex::decode(v.as_str().unwrap_or_default().trim_start_matches("0x")).unwrap_or_default()
}

/// Every form in which `s` must not appear.
fn needles(s: &[u8]) -> Vec<(String, Vec<u8>)> {
	use sp_io::hashing::*;
	let mut forms = vec![s.to_vec(), s.to_ascii_lowercase()];
	forms.push(String::from_utf8_lossy(s).encode_utf16().flat_map(|u| u.to_le_bytes()).collect());
	forms.push(hex::encode(s).into_bytes());
	let mut out: Vec<(String, Vec<u8>)> = Vec::new();
	for (i, f) in forms.iter().enumerate() {
		out.push((format!("clear form {i}"), f.clone()));
	}
	for (name, v) in [("bytes", s.to_vec()), ("SCALE", s.to_vec().encode())] {
		out.push((format!("blake2_128({name})"), blake2_128(&v).to_vec()));
		out.push((format!("blake2_256({name})"), blake2_256(&v).to_vec()));
		out.push((format!("sha2_256({name})"), sha2_256(&v).to_vec()));
		out.push((format!("keccak_256({name})"), keccak_256(&v).to_vec()));
		out.push((format!("twox_64({name})"), twox_64(&v).to_vec()));
		out.push((format!("twox_128({name})"), twox_128(&v).to_vec()));
	}
	out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
	!needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every block from genesis to `to`: header and extrinsics as SCALE bytes, and its events.
async fn dump_blocks(rpc: &Rpc, to: u32) -> Vec<(u32, Vec<u8>)> {
	let events_key = sp_io::hashing::twox_128(b"System")
		.iter()
		.chain(sp_io::hashing::twox_128(b"Events").iter())
		.copied()
		.collect::<Vec<u8>>();
	let mut blocks = Vec::new();
	for n in 0..=to {
		let hash = rpc.block_hash(n).await.expect("block hash").expect("block exists");
		let block: Value =
			rpc.call("chain_getBlock", vec![json!(format!("{hash:?}"))]).await.expect("block");
		let mut bytes = serde_json::to_vec(&block["block"]["header"]).unwrap_or_default();
		for xt in block["block"]["extrinsics"].as_array().cloned().unwrap_or_default() {
			bytes.extend(hex_bytes(&xt));
		}
		for log in
			block["block"]["header"]["digest"]["logs"].as_array().cloned().unwrap_or_default()
		{
			bytes.extend(hex_bytes(&log));
		}
		bytes.extend(rpc.storage(&events_key, Some(hash)).await.ok().flatten().unwrap_or_default());
		blocks.push((n, bytes));
	}
	blocks
}

#[tokio::test(flavor = "multi_thread")]
async fn no_identifier_or_document_reaches_chain_state_or_blocks() {
	let mut node = Node::start(NodeConfig::dev(node_binary())).unwrap();
	let rpc = node.wait_rpc(Duration::from_secs(60)).await.unwrap();
	let alice = Signer::new(Alice.pair());
	let doctor = Signer::new(Bob.pair());
	let gateway = Signer::new(Eve.pair());
	let second_doctor = Signer::new(Ferdie.pair());
	let patient = Signer::from_uri("//NoPhiPatient").unwrap();
	let hospital_salt = new_salt();

	// The hospital registers its staff with salted commitments of their licence numbers and
	// enrols the patient with a salted commitment of the medical record number.
	for (who, role, licence) in [
		(&doctor, StaffRole::Doctor, "GMC-4410982"),
		(&second_doctor, StaffRole::Doctor, "GMC-5520117"),
		(&gateway, StaffRole::Gateway, "gateway-01"),
	] {
		let call = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::register_staff {
			staff: who.account(),
			role,
			licence_commitment: salted_commitment(&hospital_salt, licence.as_bytes()),
			valid_until: None,
		});
		submit(&rpc, &alice, call).await;
	}
	let enrol = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::enrol_patient {
		patient: patient.account(),
		commitment: salted_commitment(&hospital_salt, b"MRN-7730-2291"),
	});
	submit(&rpc, &alice, enrol).await;
	// The patient gets a little money for the calls that are not free.
	let fund = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: patient.account().into(),
		value: 10_000_000_000_000,
	});
	submit(&rpc, &alice, fund).await;

	// Records: a clinical note, a batch of lab results, all sealed before anything is sent.
	let note = seal(&document("Clinical note", "Plan: metformin 500 mg twice daily"));
	let add = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: patient.account(),
		category: Category::ClinicalNote,
		content: note.content(),
	});
	let first = record_added(&submit(&rpc, &doctor, add).await);
	let labs: Vec<_> = (0..3)
		.map(|i| seal(&document("Lab result", &format!("HbA1c 8.9 % (sample {i})"))))
		.collect();
	let batch = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_records {
		records: labs
			.iter()
			.map(|s| NewRecord {
				patient: patient.account(),
				category: Category::LabResult,
				content: s.content(),
			})
			.collect(),
	});
	let lab_ids = records_added(&submit(&rpc, &doctor, batch).await);
	assert_eq!(lab_ids.len(), 3);

	// A co-signed amendment: the patient signs the payload the node hands out.
	let corrected =
		seal(&document("Clinical note (corrected)", "Plan: metformin 500 mg twice daily"));
	let c = corrected.content();
	let payload: String = rpc
		.call(
			"ehr_amendmentPayload",
			vec![
				first.into(),
				json!({
					"commitment": format!("0x{}", hex::encode(c.commitment)),
					"cid": format!("0x{}", hex::encode(&c.cid)),
					"scheme": c.scheme,
					"size": c.size,
				}),
			],
		)
		.await
		.unwrap();
	let payload = hex::decode(payload.trim_start_matches("0x")).unwrap();
	let patient_pair = sp_core::sr25519::Pair::from_string("//NoPhiPatient", None).unwrap();
	let amend = RuntimeCall::PatientRecords(pallet_patient_records::Call::amend_with_signature {
		record: first,
		content: c,
		signer: patient.account(),
		signature: MultiSignature::Sr25519(patient_pair.sign(&payload)),
	});
	submit(&rpc, &doctor, amend).await;

	// Consent: the patient lets the second doctor read, the gateway logs the read, the patient
	// revokes.
	let now: u64 = rpc.now_ms().await.unwrap();
	let grant = RuntimeCall::Consent(pallet_consent::Call::grant {
		patient: patient.account(),
		grantee: Grantee::Staff(second_doctor.account()),
		scope: Scope::AllRecords,
		excluded: vec![Category::MentalHealth].try_into().expect("within the bound"),
		purposes: vec![Purpose::Treatment].try_into().expect("within the bound"),
		actions: vec![Action::Read].try_into().expect("within the bound"),
		starts: None,
		ends: now + 3_600_000,
	});
	submit(&rpc, &patient, grant).await;
	let read = RuntimeCall::AccessLog(pallet_access_log::Call::log_read {
		record: lab_ids[0],
		accessor: second_doctor.account(),
		purpose: Purpose::Treatment,
		permitted: true,
	});
	submit(&rpc, &gateway, read).await;
	let revoke =
		RuntimeCall::Consent(pallet_consent::Call::revoke { patient: patient.account(), grant: 0 });
	submit(&rpc, &patient, revoke).await;

	// A prescription: the request carries a salted commitment of what is asked for; the answer
	// is a sealed document.
	let patient_salt = new_salt();
	let request = RuntimeCall::PatientRecords(pallet_patient_records::Call::request_prescription {
		doctor: doctor.account(),
		details: salted_commitment(&patient_salt, b"metformin 500 mg twice daily"),
	});
	submit(&rpc, &patient, request).await;
	let prescription =
		seal(&document("Prescription", "Rx: metformin 500 mg twice daily, 56 tablets"));
	let fulfil = RuntimeCall::PatientRecords(pallet_patient_records::Call::fulfil_prescription {
		request: 0,
		content: prescription.content(),
	});
	submit(&rpc, &doctor, fulfil).await;

	// An emergency access with a note that carries no health data.
	let emergency = RuntimeCall::Consent(pallet_consent::Call::declare_emergency {
		patient: patient.account(),
		reason: EmergencyReason::PatientUnconscious,
		note: b"ED bay 4, unresponsive on arrival".to_vec(),
	});
	submit(&rpc, &second_doctor, emergency).await;

	// A tombstone: the doctor asks, the patient approves.
	let withdraw = RuntimeCall::PatientRecords(pallet_patient_records::Call::request_withdrawal {
		record: lab_ids[1],
		kind: Withdrawal::Delete,
	});
	submit(&rpc, &doctor, withdraw).await;
	let approve = RuntimeCall::PatientRecords(pallet_patient_records::Call::approve_withdrawal {
		record: lab_ids[1],
	});
	submit(&rpc, &patient, approve).await;

	// The controls: in a block body and, by sudo, in state.
	let control = CONTROL.as_bytes();
	let mut remark = control.to_vec();
	remark.extend(sp_io::hashing::sha2_256(control));
	submit(&rpc, &alice, RuntimeCall::System(frame_system::Call::remark { remark })).await;
	let control_key = b":ehr-no-phi-control".to_vec();
	let set = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
		call: Box::new(RuntimeCall::System(frame_system::Call::set_storage {
			items: vec![(control_key.clone(), sp_io::hashing::blake2_256(control).to_vec())],
		})),
	});
	submit(&rpc, &alice, set).await;

	// The dump.
	let head = rpc.finalized_hash().await.unwrap();
	let head_number = rpc.finalized_number().await.unwrap();
	// The runtime's wasm (`:code`) was built before any patient existed, so a match in it is a
	// coincidence of bytes (a 9-digit number did match a spec 103 build), not data on chain.
	let state: Vec<_> = storage_entries(&rpc, &[], head)
		.await
		.unwrap()
		.into_iter()
		.filter(|(k, _)| k.as_slice() != b":code")
		.collect();
	let blocks = dump_blocks(&rpc, head_number).await;
	let state_bytes: usize = state.iter().map(|(k, v)| k.len() + v.len()).sum();
	let block_bytes: usize = blocks.iter().map(|(_, b)| b.len()).sum();
	println!(
		"scanned {} storage entries ({state_bytes} bytes) and {} blocks ({block_bytes} bytes)",
		state.len(),
		blocks.len()
	);
	assert!(state.len() > 50 && blocks.len() > 10, "the dump is not empty");

	// The controls are found: the scan sees blocks and state, in clear and hashed.
	let in_state = |n: &[u8]| state.iter().any(|(k, v)| contains(k, n) || contains(v, n));
	let in_blocks = |n: &[u8]| blocks.iter().any(|(_, b)| contains(b, n));
	assert!(in_blocks(control), "the control remark is in a block");
	assert!(in_blocks(&sp_io::hashing::sha2_256(control)), "its SHA2-256 is found");
	assert!(in_state(&sp_io::hashing::blake2_256(control)), "the control is in state");
	assert!(in_state(&control_key), "and so is its key");

	// Nothing of the patient's data is.
	let mut secrets: Vec<Vec<u8>> = IDENTIFIERS.iter().map(|s| s.as_bytes().to_vec()).collect();
	secrets.push(document("Clinical note", "Plan: metformin 500 mg twice daily"));
	secrets.push(b"MRN-7730-2291".to_vec());
	let mut found = Vec::new();
	let mut checked = 0usize;
	for secret in &secrets {
		for (form, needle) in needles(secret) {
			checked += 1;
			for (k, v) in state.iter().filter(|(k, v)| contains(k, &needle) || contains(v, &needle))
			{
				found.push(format!(
					"{} as {form} in state under key 0x{} ({} value bytes)",
					String::from_utf8_lossy(secret),
					hex::encode(&k[..k.len().min(48)]),
					v.len()
				));
			}
			for (n, _) in blocks.iter().filter(|(_, b)| contains(b, &needle)) {
				found.push(format!("{} as {form} in block {n}", String::from_utf8_lossy(secret)));
			}
		}
	}
	println!("{checked} forms of {} identifiers and documents searched", secrets.len());
	assert!(found.is_empty(), "health data on chain: {found:#?}");
	// The document keys never left the test either.
	for key in [note.key, corrected.key, prescription.key].iter().chain(labs.iter().map(|s| &s.key))
	{
		assert!(!in_state(key) && !in_blocks(key), "a document key is on chain");
	}
	node.kill().unwrap();
}

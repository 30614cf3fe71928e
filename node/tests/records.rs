//! Patient records end to end on a real development node: a doctor adds records (one and a
//! batch), amends one with the patient's approval and one with the patient's signature, both
//! sides tombstone one, and the `ehr_*` RPC shows each state.

use std::time::Duration;

use ehr_client::Signer;
use ehr_runtime::{RuntimeCall, RuntimeEvent};
use ehr_testing::{
	content_of, find_event, node_binary, record_added, records_added, register_staff, submit, Node,
	NodeConfig,
};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{Category, ContentInput, NewRecord, Withdrawal};
use serde_json::{json, Value};
use sp_core::Pair;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave};
use sp_runtime::MultiSignature;

/// Content of an "encrypted document" whose SHA2-256 digest is `sha256(bytes)`.
fn content(bytes: &[u8]) -> ContentInput {
	content_of(bytes, bytes.len() as u64)
}

fn records_call(c: pallet_patient_records::Call<ehr_runtime::Runtime>) -> RuntimeCall {
	RuntimeCall::PatientRecords(c)
}

#[tokio::test(flavor = "multi_thread")]
async fn records_are_added_amended_by_both_sides_tombstoned_and_listed() {
	let mut node = Node::start(NodeConfig::dev(node_binary())).unwrap();
	let rpc = node.wait_rpc(Duration::from_secs(60)).await.unwrap();
	let charlie = Charlie.to_account_id().to_string();

	// Alice administers the development hospital: Bob becomes its doctor. Charlie signs up as a
	// patient and appoints Dave as delegate.
	submit(&rpc, Alice, register_staff(Bob.to_account_id(), StaffRole::Doctor)).await;
	let signup = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::register_patient {});
	submit(&rpc, Charlie, signup).await;
	let delegate =
		RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::appoint_delegate {
			delegate: Dave.to_account_id(),
		});
	submit(&rpc, Charlie, delegate).await;

	// Bob adds a clinical note, then a batch of three lab results.
	let note = content(b"ciphertext of a clinical note");
	let add = records_call(pallet_patient_records::Call::add_record {
		patient: Charlie.to_account_id(),
		category: Category::ClinicalNote,
		content: note.clone(),
	});
	let first = record_added(&submit(&rpc, Bob, add).await);
	let batch = (0..3u8)
		.map(|i| NewRecord {
			patient: Charlie.to_account_id(),
			category: Category::LabResult,
			content: content(&[b'l', i]),
		})
		.collect();
	let ids = records_added(
		&submit(
			&rpc,
			Bob,
			records_call(pallet_patient_records::Call::add_records { records: batch }),
		)
		.await,
	);
	assert_eq!(ids.len(), 3);

	let r: Value = rpc.call("ehr_record", vec![first.into()]).await.unwrap();
	assert_eq!(r["patient"], charlie);
	assert_eq!(r["category"], "clinicalNote");
	assert_eq!(r["custodian"], 0);
	assert_eq!(r["status"], "current");
	assert_eq!(r["commitment"], format!("0x{}", hex::encode(note.commitment)));
	assert!(r["cid"].as_str().unwrap().starts_with("bafkrei"), "{r}");
	let page: Value =
		rpc.call("ehr_records", vec![charlie.clone().into(), 0.into(), 2.into()]).await.unwrap();
	assert_eq!(page["total"], 4);
	let newest: Vec<u64> =
		page["records"].as_array().unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
	assert_eq!(newest, vec![ids[2], ids[1]]);

	// Amendment 1: Bob proposes, Dave (Charlie's delegate) approves.
	let v2 = content(b"ciphertext of the corrected note");
	let propose = records_call(pallet_patient_records::Call::propose_amendment {
		record: first,
		content: v2.clone(),
	});
	submit(&rpc, Bob, propose).await;
	let pending: Value = rpc.call("ehr_pendingAmendment", vec![first.into()]).await.unwrap();
	assert_eq!(pending["proposer"], Bob.to_account_id().to_string());
	let approve = records_call(pallet_patient_records::Call::approve_amendment { record: first });
	let events = submit(&rpc, Dave, approve).await;
	let second = find_event!(
		events,
		RuntimeEvent::PatientRecords(pallet_patient_records::Event::RecordAmended {
			record,
			..
		}) => *record
	);

	// Amendment 2 in one extrinsic: Charlie signs the payload the node hands out.
	let v3 = content(b"ciphertext of the final note");
	let content_json = json!({
		"commitment": format!("0x{}", hex::encode(v3.commitment)),
		"cid": format!("0x{}", hex::encode(&v3.cid)),
		"scheme": "xChaCha20Poly1305",
		"size": v3.size,
	});
	let payload: String =
		rpc.call("ehr_amendmentPayload", vec![second.into(), content_json]).await.unwrap();
	let payload = hex::decode(payload.trim_start_matches("0x")).unwrap();
	let signature = MultiSignature::Sr25519(Charlie.pair().sign(&payload));
	let amend = records_call(pallet_patient_records::Call::amend_with_signature {
		record: second,
		content: v3.clone(),
		signer: Charlie.to_account_id(),
		signature: signature.clone(),
	});
	submit(&rpc, Bob, amend).await;
	let history: Value = rpc.call("ehr_recordHistory", vec![first.into()]).await.unwrap();
	let versions: Vec<(u64, String)> = history
		.as_array()
		.unwrap()
		.iter()
		.map(|r| (r["version"].as_u64().unwrap(), r["status"].as_str().unwrap().to_string()))
		.collect();
	assert_eq!(
		versions,
		vec![(3, "current".into()), (2, "superseded".into()), (1, "superseded".into())]
	);
	let third = history[0]["id"].as_u64().unwrap();

	// The same signature cannot be replayed on the new version.
	let replay = records_call(pallet_patient_records::Call::amend_with_signature {
		record: third,
		content: content(b"yet another"),
		signer: Charlie.to_account_id(),
		signature,
	});
	let err = rpc
		.sign_and_watch(&Signer::new(Bob.pair()), replay, Duration::from_secs(60))
		.await
		.unwrap_err();
	let sp_runtime::DispatchError::Module(bad_signature) = sp_runtime::DispatchError::from(
		pallet_patient_records::Error::<ehr_runtime::Runtime>::BadSignature,
	) else {
		unreachable!("a pallet error is a module error")
	};
	let expected = format!("index: {}, error: {:?}", bad_signature.index, bad_signature.error);
	assert!(err.to_string().contains(&expected), "expected BadSignature ({expected}), got {err}");

	// Tombstone: Charlie asks, Bob agrees; the addresses of all three versions are gone, the
	// commitments stay.
	let request = records_call(pallet_patient_records::Call::request_withdrawal {
		record: third,
		kind: Withdrawal::Delete,
	});
	submit(&rpc, Charlie, request).await;
	let agree = records_call(pallet_patient_records::Call::approve_withdrawal { record: third });
	let events = submit(&rpc, Bob, agree).await;
	assert!(events.iter().any(|e| matches!(
		e,
		RuntimeEvent::PatientRecords(pallet_patient_records::Event::RecordDeleted { record, .. })
			if *record == third
	)));
	let r: Value = rpc.call("ehr_record", vec![third.into()]).await.unwrap();
	assert_eq!(r["status"], "deleted");
	assert!(r["cid"].is_null());
	assert_eq!(r["commitment"], format!("0x{}", hex::encode(v3.commitment)));
	// Every version of the record goes, each with its own event.
	for earlier in [first, second] {
		let r: Value = rpc.call("ehr_record", vec![earlier.into()]).await.unwrap();
		assert_eq!(r["status"], "deleted", "{r}");
		assert!(r["cid"].is_null());
	}
	let deleted = events
		.iter()
		.filter(|e| {
			matches!(
				e,
				RuntimeEvent::PatientRecords(pallet_patient_records::Event::RecordDeleted { .. })
			)
		})
		.count();
	assert_eq!(deleted, 3);

	let page: Value = rpc.call("ehr_records", vec![charlie.into()]).await.unwrap();
	assert_eq!(page["total"], 6);
	assert!(node.is_running());
}

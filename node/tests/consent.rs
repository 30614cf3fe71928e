//! Consent and the access log end to end on a real development node, over the `ehr_*` JSON-RPC
//! methods a hospital's EHR system and document gateway call: a patient (enrolled by the
//! hospital, no balance) grants a doctor lab results, the decision permits and denies
//! accordingly, the grant exports as a FHIR `Consent`; the hospital's gateway logs a read; a
//! second doctor breaks the glass, the patient sees it, the doctor ends it, and the hospital's
//! privacy officer reviews it; the patient revokes and a read is refused. Then the patient's
//! whole log is fetched and its hash chain verified client-side against the on-chain head.

use std::time::Duration;

use ehr_client::{Rpc, Signer};
use ehr_runtime::{RuntimeCall, RuntimeEvent};
use ehr_testing::{
	content_of, grant_read, node_binary, record_added, register_staff, submit, wait_until, Node,
	NodeConfig,
};
use pallet_consent::{EmergencyReason, Grantee, Purpose, ReviewOutcome, Scope};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::Category;
use serde_json::{json, Value};
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Dave, Eve, Ferdie};

async fn decide(rpc: &Rpc, accessor: &str, patient: &str, target: Value, purpose: &str) -> Value {
	rpc.call(
		"ehr_decide",
		vec![accessor.into(), patient.into(), target, purpose.into(), "read".into()],
	)
	.await
	.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_decisions_fhir_export_and_emergency_access_over_rpc() {
	let mut node = Node::start(NodeConfig::dev(node_binary())).unwrap();
	let rpc = node.wait_rpc(Duration::from_secs(60)).await.unwrap();
	let alice = Signer::new(Alice.pair());
	let patient = Signer::from_uri("//RustZeroBalancePatient").unwrap();
	let p = patient.account().to_string();
	let (bob, dave, eve) =
		(Bob.to_account_id().to_string(), Dave.to_account_id().to_string(), Eve.to_account_id());

	// Alice's hospital: Bob and Dave are doctors, Eve its privacy officer; the patient enrolled.
	submit(&rpc, &alice, register_staff(Bob.to_account_id(), StaffRole::Doctor)).await;
	submit(&rpc, &alice, register_staff(Dave.to_account_id(), StaffRole::Doctor)).await;
	submit(&rpc, &alice, register_staff(eve.clone(), StaffRole::PrivacyOfficer)).await;
	submit(&rpc, &alice, register_staff(Ferdie.to_account_id(), StaffRole::Gateway)).await;
	let gateway = Signer::new(Ferdie.pair());
	let enrol = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::enrol_patient {
		patient: patient.account(),
		commitment: H256::repeat_byte(9),
	});
	submit(&rpc, &alice, enrol).await;
	let add = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: patient.account(),
		category: Category::LabResult,
		content: content_of(b"ciphertext of a lab result", 26),
	});
	let record = record_added(&submit(&rpc, Bob, add).await);

	let lab = json!({ "record": record });
	let d = decide(&rpc, &dave, &p, lab.clone(), "treatment").await;
	assert_eq!(d["permit"], false);
	assert_eq!(d["reason"], "noGrant");
	let d = decide(&rpc, &bob, &p, lab.clone(), "treatment").await;
	assert_eq!((d["permit"].clone(), d["basis"].clone()), (json!(true), json!("author")));

	// The patient, who has no balance, grants Dave lab results for treatment.
	let now = rpc.now_ms().await.unwrap();
	let grant = grant_read(
		patient.account(),
		Grantee::Staff(Dave.to_account_id()),
		Scope::Categories(vec![Category::LabResult].try_into().unwrap()),
		now + 3_600_000,
	);
	let events = submit(&rpc, &patient, grant).await;
	assert!(events.iter().any(|e| matches!(
		e,
		RuntimeEvent::SkipFeelessPayment(pallet_skip_feeless_payment::Event::FeeSkipped { .. })
	)));
	let d = decide(&rpc, &dave, &p, lab.clone(), "treatment").await;
	assert_eq!(
		d,
		json!({
			"permit": true,
			"basis": "grant",
			"reason": null,
			"grant": 0,
			"emergency": null,
			"explanation": null
		})
	);
	let d = decide(&rpc, &dave, &p, json!({ "category": "clinicalNote" }), "treatment").await;
	assert_eq!(d["reason"], "outOfScope");
	let d = decide(&rpc, &dave, &p, lab.clone(), "payment").await;
	assert_eq!(d["reason"], "purposeNotGranted");
	// In words, with what grant 0 allows, read at the same block.
	assert_eq!(d["explanation"], "grant #0 does not allow this purpose, only treatment");

	let grants: Value = rpc.call("ehr_grants", vec![p.clone().into()]).await.unwrap();
	assert_eq!(grants[0]["status"], "active");
	assert_eq!(grants[0]["grantee"]["staff"], dave);
	assert_eq!(grants[0]["scope"]["categories"], json!(["labResult"]));
	let fhir: Value = rpc.call("ehr_consentFhir", vec![p.clone().into(), 0.into()]).await.unwrap();
	assert_eq!(fhir["resourceType"], "Consent");
	assert_eq!(fhir["status"], "active");
	assert_eq!(fhir["provision"]["class"][0]["code"], "labResult");
	assert_eq!(fhir["provision"]["actor"][0]["reference"]["identifier"]["value"], dave);
	let none: Value = rpc.call("ehr_consentFhir", vec![p.clone().into(), 7.into()]).await.unwrap();
	assert!(none.is_null());
	let left: u32 = rpc.call("ehr_freeConsentOps", vec![p.clone().into()]).await.unwrap();
	assert_eq!(left, 19);

	// The gateway asked the decision (permit) and served Dave the document: it logs the read.
	let read = RuntimeCall::AccessLog(pallet_access_log::Call::log_read {
		record,
		accessor: Dave.to_account_id(),
		purpose: Purpose::Treatment,
		permitted: true,
	});
	submit(&rpc, &gateway, read).await;

	// Bob breaks the glass: for emergency treatment he may now read any of the patient's
	// records, not only those he wrote.
	let bob_signer = Signer::new(Bob.pair());
	let declare = RuntimeCall::Consent(pallet_consent::Call::declare_emergency {
		patient: patient.account(),
		reason: EmergencyReason::PatientUnconscious,
		note: b"ER bay 3".to_vec(),
	});
	submit(&rpc, &bob_signer, declare).await;
	let d = decide(&rpc, &bob, &p, json!({ "category": "allergy" }), "emergencyTreatment").await;
	assert_eq!((d["basis"].clone(), d["emergency"].clone()), (json!("emergency"), json!(0)));
	let listed: Value = rpc.call("ehr_emergencies", vec![p.clone().into()]).await.unwrap();
	assert_eq!(listed[0]["open"], true);
	assert_eq!(listed[0]["note"], "ER bay 3");
	assert_eq!(listed[0]["reason"], "patientUnconscious");

	// Reviews wait for the end of the window; Bob ends it, Eve reviews.
	submit(&rpc, &bob_signer, RuntimeCall::Consent(pallet_consent::Call::end_emergency { id: 0 }))
		.await;
	let d = decide(&rpc, &bob, &p, json!({ "category": "allergy" }), "emergencyTreatment").await;
	assert_eq!(d["permit"], false);
	let queue: Value = rpc.call("ehr_reviewQueue", vec![0.into()]).await.unwrap();
	assert_eq!(queue[0]["doctor"], bob);
	assert_eq!(queue[0]["open"], false);
	let review = RuntimeCall::Consent(pallet_consent::Call::review_emergency {
		id: 0,
		outcome: ReviewOutcome::Justified,
	});
	submit(&rpc, &Signer::new(Eve.pair()), review).await;
	let queue: Value = rpc.call("ehr_reviewQueue", vec![0.into()]).await.unwrap();
	assert_eq!(queue, json!([]));

	// The patient revokes; Dave is denied at once.
	let revoke =
		RuntimeCall::Consent(pallet_consent::Call::revoke { patient: patient.account(), grant: 0 });
	submit(&rpc, &patient, revoke).await;
	let d = decide(&rpc, &dave, &p, lab, "treatment").await;
	assert_eq!((d["reason"].clone(), d["grant"].clone()), (json!("revoked"), json!(0)));
	let words = d["explanation"].as_str().unwrap();
	assert!(
		words.starts_with("the patient revoked grant #0 on ") && words.ends_with(" UTC"),
		"{words}"
	);
	let fhir: Value = rpc.call("ehr_consentFhir", vec![p.clone().into(), 0.into()]).await.unwrap();
	assert_eq!(fhir["status"], "inactive");
	// Dave asks again: the gateway refuses and logs the refusal.
	let refused = RuntimeCall::AccessLog(pallet_access_log::Call::log_read {
		record,
		accessor: Dave.to_account_id(),
		purpose: Purpose::Treatment,
		permitted: false,
	});
	submit(&rpc, &gateway, refused).await;

	// The patient's whole log, in order: the enrolment's verification first.
	use pallet_access_log::LogAction::*;
	let expected = [
		PatientVerified,
		RecordAdded,
		ConsentGranted,
		DocumentRead,
		EmergencyOpened,
		EmergencyEnded,
		EmergencyReviewed { justified: true },
		ConsentRevoked,
		ReadDenied,
	];
	let log = wait_until("the last entry to be final", Duration::from_secs(30), || {
		let rpc = &rpc;
		let account = patient.account();
		async move {
			let log = ehr_client::audit::verified_log(rpc, &account).await?;
			Ok((log.entries.len() == expected.len()).then_some(log))
		}
	})
	.await
	.unwrap();
	assert_eq!(log.entries.iter().map(|e| e.action).collect::<Vec<_>>(), expected);
	assert_eq!(log.head.count, expected.len() as u64);
	let read = &log.entries[3];
	assert_eq!(
		(read.actor.clone(), read.hospital, read.source),
		(Dave.to_account_id(), Some(0), Some(0))
	);

	let v: Value = rpc.call("ehr_verifyAccessLog", vec![p.clone().into()]).await.unwrap();
	assert_eq!((v["verified"].clone(), v["entries"].clone()), (json!(true), json!(9)));
	// Reads and refusals apart.
	let actions = |page: &Value| -> Vec<String> {
		page["entries"]
			.as_array()
			.unwrap()
			.iter()
			.map(|e| e["action"].as_str().unwrap().to_string())
			.collect()
	};
	let who: Value = rpc.call("ehr_whoAccessed", vec![p.clone().into()]).await.unwrap();
	assert_eq!(actions(&who), ["emergencyOpened", "documentRead"]);
	let refused: Value = rpc.call("ehr_refusedAccesses", vec![p.clone().into()]).await.unwrap();
	assert_eq!(actions(&refused), ["readDenied"]);
	let bundle: Value = rpc.call("ehr_auditEvents", vec![p.clone().into()]).await.unwrap();
	assert_eq!(bundle["resourceType"], "Bundle");
	assert_eq!(bundle["type"], "collection");
	assert_eq!(bundle["entry"].as_array().map(Vec::len), Some(9));
	// R4 allows `total` only on a search or history bundle (bdl-1).
	assert!(bundle.get("total").is_none());
	let denied = &bundle["entry"][0]["resource"];
	assert_eq!((denied["action"].clone(), denied["outcome"].clone()), (json!("R"), json!("4")));
	let global: Value = rpc.call("ehr_globalLogHead", vec![]).await.unwrap();
	assert!(global["count"].as_u64().unwrap() >= 9);

	// A flood of refusals (Dave, known to the chain, asking 300 times) hides nothing: state keeps
	// the head only, the node's index every entry, so Dave's read is still served, listed apart
	// from the refusals, and the whole log still verifies against the head.
	const FLOOD: u64 = 300;
	let ctx = rpc.chain_context().await.unwrap();
	let first = rpc.next_nonce(&gateway.account()).await.unwrap();
	let flood: Vec<Vec<u8>> = (0..FLOOD as u32)
		.map(|i| {
			let call = RuntimeCall::AccessLog(pallet_access_log::Call::log_read {
				record,
				accessor: Dave.to_account_id(),
				purpose: Purpose::Treatment,
				permitted: false,
			});
			codec::Encode::encode(&gateway.sign(call, first + i, &ctx))
		})
		.collect();
	for chunk in flood.chunks(100) {
		for answer in rpc.submit_encoded_batch(chunk).await.unwrap() {
			answer.expect("the pool takes every refusal");
		}
	}
	let total = 9 + FLOOD;
	wait_until("the flood to be final", Duration::from_secs(60), || {
		let (rpc, p) = (&rpc, p.clone());
		async move {
			let head: Value = rpc.call("ehr_accessLogHead", vec![p.into()]).await?;
			Ok((head["count"].as_u64() == Some(total)).then_some(()))
		}
	})
	.await
	.unwrap();
	let all: Value =
		rpc.call("ehr_accessLog", vec![p.clone().into(), Value::Null, 1000.into()]).await.unwrap();
	assert!(all.get("oldestKept").is_none(), "state keeps no entry: {all}");
	assert_eq!(all["entries"].as_array().unwrap().len() as u64, total, "{all}");
	assert_eq!((all["next"].clone(), all["missing"].clone()), (Value::Null, Value::Null));
	let who: Value = rpc.call("ehr_whoAccessed", vec![p.clone().into()]).await.unwrap();
	assert_eq!(actions(&who), ["emergencyOpened", "documentRead"], "reads stay visible");
	assert_eq!(who["entries"][1]["actor"], json!(dave));
	let refused: Value = rpc
		.call("ehr_refusedAccesses", vec![p.clone().into(), Value::Null, 10.into()])
		.await
		.unwrap();
	assert_eq!(actions(&refused).len(), 10);
	assert!(refused["next"].as_u64().is_some(), "more refusals on the next page: {refused}");
	let v: Value = rpc.call("ehr_verifyAccessLog", vec![p.clone().into()]).await.unwrap();
	assert_eq!(
		(v["verified"].clone(), v["entries"].clone(), v["fromSeq"].clone()),
		(json!(true), json!(total), json!(0))
	);
	node.kill().unwrap();
}

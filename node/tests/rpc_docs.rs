//! docs/rpc.md works: every `curl` example in it is run, as written but for the port, against a
//! development node in the state the page describes, and must answer with a result (no error)
//! of the shape the page shows; and every `ehr_*` method of the node is documented there.

use std::{process::Command, time::Duration};

use ehr_client::{document::seal, Signer};
use ehr_runtime::RuntimeCall;
use ehr_testing::{grant_read, node_binary, register_staff, submit, Node, NodeConfig};
use pallet_consent::{EmergencyReason, Grantee, Purpose, Scope};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::Category;
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave, Eve, Ferdie};

const PAGE: &str = include_str!("../../docs/rpc.md");
const RPC_SOURCES: [&str; 4] = [
	include_str!("../../pallets/hospital-registry/rpc/src/lib.rs"),
	include_str!("../../pallets/patient-records/rpc/src/lib.rs"),
	include_str!("../../pallets/consent/rpc/src/lib.rs"),
	include_str!("../../pallets/access-log/rpc/src/lib.rs"),
];

/// An example of the page: the JSON body of its curl command and the result it shows.
struct Example {
	body: String,
	method: String,
	shown: Value,
}

/// The curl examples of the page, each with the ```json block that follows it.
fn examples(page: &str) -> Vec<Example> {
	let mut out = Vec::new();
	let blocks: Vec<(&str, &str)> = page
		.split("```")
		.skip(1)
		.step_by(2)
		.map(|b| b.split_once('\n').unwrap_or((b, "")))
		.collect();
	for (i, (lang, text)) in blocks.iter().enumerate() {
		if *lang != "sh" || !text.contains("curl") {
			continue;
		}
		let Some(start) = text.find("-d '") else { panic!("a curl example without -d: {text}") };
		let rest = &text[start + 4..];
		let body = &rest[..rest.find('\'').expect("closing quote")];
		let parsed: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"));
		let shown = match blocks.get(i + 1) {
			Some(("json", j)) => serde_json::from_str(j).unwrap_or_else(|e| panic!("{j}: {e}")),
			_ => panic!("the example {body} is not followed by a json block"),
		};
		out.push(Example {
			body: body.to_string(),
			method: parsed["method"].as_str().unwrap_or_default().to_string(),
			shown,
		});
	}
	out
}

/// Whether `got` has the shape of `shown`: the same JSON type and, for objects, every key shown
/// (recursively for nested objects and the first element of arrays).
fn same_shape(shown: &Value, got: &Value, path: &str) -> Result<(), String> {
	match (shown, got) {
		(Value::Object(s), Value::Object(g)) => {
			for (k, sv) in s {
				let gv = g.get(k).ok_or_else(|| format!("{path}.{k} is missing"))?;
				// A field shown as null may hold a value in another state, and vice versa.
				if !sv.is_null() && !gv.is_null() {
					same_shape(sv, gv, &format!("{path}.{k}"))?;
				}
			}
			Ok(())
		},
		(Value::Array(s), Value::Array(g)) => match (s.first(), g.first()) {
			(Some(sf), Some(gf)) => same_shape(sf, gf, &format!("{path}[0]")),
			(Some(_), None) => Err(format!("{path} is empty but the page shows elements")),
			_ => Ok(()),
		},
		(Value::Null, Value::Null)
		| (Value::Bool(_), Value::Bool(_))
		| (Value::Number(_), Value::Number(_))
		| (Value::String(_), Value::String(_)) => Ok(()),
		_ => Err(format!("{path}: the page shows {shown}, the node answered {got}")),
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_curl_example_answers_as_documented() {
	let examples = examples(PAGE);

	// Every method of the node is on the page.
	let mut methods: Vec<String> = Vec::new();
	for src in RPC_SOURCES {
		for part in src.split("name = \"").skip(1) {
			if let Some(name) = part.split('"').next() {
				if name.starts_with("ehr_") {
					methods.push(name.to_string());
				}
			}
		}
	}
	methods.sort();
	methods.dedup();
	assert!(methods.len() >= 20, "found the methods: {methods:?}");
	let undocumented: Vec<&String> =
		methods.iter().filter(|m| !examples.iter().any(|e| &e.method == *m)).collect();
	assert!(
		undocumented.is_empty(),
		"methods without a curl example in docs/rpc.md: {undocumented:?}"
	);

	// The state the page describes.
	let mut node = Node::start(NodeConfig::dev(node_binary())).unwrap();
	let rpc = node.wait_rpc(Duration::from_secs(60)).await.unwrap();
	let (alice, bob, charlie, eve, ferdie) = (
		Signer::new(Alice.pair()),
		Signer::new(Bob.pair()),
		Signer::new(Charlie.pair()),
		Signer::new(Eve.pair()),
		Signer::new(Ferdie.pair()),
	);
	for (who, role) in
		[(Bob, StaffRole::Doctor), (Ferdie, StaffRole::Doctor), (Eve, StaffRole::Gateway)]
	{
		submit(&rpc, &alice, register_staff(who.to_account_id(), role)).await;
	}
	let reg = |c| RuntimeCall::HospitalRegistry(c);
	submit(&rpc, &charlie, reg(pallet_hospital_registry::Call::register_patient {})).await;
	submit(
		&rpc,
		&charlie,
		reg(pallet_hospital_registry::Call::appoint_delegate { delegate: Dave.to_account_id() }),
	)
	.await;
	for category in [Category::ClinicalNote, Category::LabResult] {
		let call = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
			patient: Charlie.to_account_id(),
			category,
			content: seal(b"a document").content(),
		});
		submit(&rpc, &bob, call).await;
	}
	let now = rpc.now_ms().await.unwrap();
	let grant = grant_read(
		Charlie.to_account_id(),
		Grantee::Staff(Ferdie.to_account_id()),
		Scope::AllRecords,
		now + 3_600_000,
	);
	submit(&rpc, &charlie, grant).await;
	let read = RuntimeCall::AccessLog(pallet_access_log::Call::log_read {
		record: 0,
		accessor: Ferdie.to_account_id(),
		purpose: Purpose::Treatment,
		permitted: true,
	});
	submit(&rpc, &eve, read).await;
	let propose = RuntimeCall::PatientRecords(pallet_patient_records::Call::propose_amendment {
		record: 1,
		content: seal(b"a corrected document").content(),
	});
	submit(&rpc, &bob, propose).await;
	let request = RuntimeCall::PatientRecords(pallet_patient_records::Call::request_prescription {
		doctor: Bob.to_account_id(),
		details: H256::repeat_byte(2),
	});
	submit(&rpc, &charlie, request).await;
	let emergency = RuntimeCall::Consent(pallet_consent::Call::declare_emergency {
		patient: Charlie.to_account_id(),
		reason: EmergencyReason::PatientUnconscious,
		note: b"ED bay 2".to_vec(),
	});
	submit(&rpc, &ferdie, emergency).await;

	// Each example, run with curl as written (only the port differs).
	let url = node.url();
	let mut failures = Vec::new();
	for ex in &examples {
		let out = Command::new("curl")
			.args(["-s", "-H", "Content-Type: application/json", "-d", &ex.body, &url])
			.output()
			.expect("curl runs (scripts/env.sh installs it)");
		let answer: Value = match serde_json::from_slice(&out.stdout) {
			Ok(v) => v,
			Err(e) => {
				failures.push(format!(
					"{}: not JSON ({e}): {}",
					ex.body,
					String::from_utf8_lossy(&out.stdout)
				));
				continue;
			},
		};
		if let Some(err) = answer.get("error") {
			failures.push(format!("{}: error {err}", ex.body));
			continue;
		}
		if let Err(e) = same_shape(&ex.shown, &answer["result"], "result") {
			failures.push(format!("{}: {e}\n  answer: {}", ex.body, answer["result"]));
		}
	}
	println!("{} curl examples of {} methods run", examples.len(), methods.len());
	assert!(failures.is_empty(), "docs/rpc.md examples that do not work:\n{}", failures.join("\n"));
	node.kill().unwrap();
}

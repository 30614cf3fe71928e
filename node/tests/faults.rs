//! Faults on the local four-hospital network (real `ehr-node` processes on loopback), each
//! bounded in time and printing its figures:
//!
//! * one hospital's node frozen for two minutes: record writes submitted meanwhile are all
//!   finalized by the other three, and the frozen node catches up when it resumes;
//! * two frozen: finality stops (GRANDPA needs three of four), no two nodes ever finalize
//!   different blocks, and finality resumes when they return;
//! * kill -9 and restart, three times: the node recovers from its database each time and still
//!   has every finalized record;
//! * a public RPC node started as docs/operations.md says refuses unsafe methods.

use std::time::{Duration, Instant};

use ehr_client::Rpc;
use ehr_runtime::RuntimeCall;
use ehr_testing::{
	content_of, network, node_binary, record_added, register_staff, submit, Node, NodeConfig,
	LOCAL_AUTHORITIES,
};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::Category;
use serde_json::Value;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie};

const WAIT: Duration = Duration::from_secs(90);
/// How long one hospital's node stays frozen.
const FROZEN: Duration = Duration::from_secs(120);

/// Bob (a doctor of Alice's hospital) anchors record `n` for Charlie; returns its id.
async fn write_record(rpc: &Rpc, n: u32) -> u64 {
	let call = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: Charlie.to_account_id(),
		category: Category::LabResult,
		content: content_of(&n.to_le_bytes(), 4096),
	});
	record_added(&submit(rpc, Bob, call).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_network_survives_frozen_and_killed_hospitals() {
	let started = Instant::now();
	let mut nodes = network::start_local(node_binary(), &LOCAL_AUTHORITIES, WAIT).await.unwrap();
	nodes[0].finalized_at_least(2, WAIT).await.unwrap();
	let rpc = nodes[0].rpc().unwrap();

	// Alice's hospital takes Bob on as a doctor; Charlie signs up as a patient.
	submit(&rpc, Alice, register_staff(Bob.to_account_id(), StaffRole::Doctor)).await;
	let signup = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::register_patient {});
	submit(&rpc, Charlie, signup).await;

	// 1. Dave's node frozen for two minutes: every record written meanwhile is finalized by the
	// other three.
	nodes[3].pause().unwrap();
	let t = Instant::now();
	let mut records = Vec::new();
	while t.elapsed() < FROZEN && records.len() < 200 {
		records.push(write_record(&rpc, records.len() as u32).await);
	}
	let during = rpc.finalized_number().await.unwrap();
	eprintln!(
		"[{:?}] dave frozen for {:?}: {} record writes, each finalized; finalized #{during}",
		started.elapsed(),
		t.elapsed(),
		records.len()
	);
	nodes[3].resume().unwrap();
	let t = Instant::now();
	nodes[3].finalized_at_least(during, WAIT).await.unwrap();
	eprintln!(
		"[{:?}] dave resumed and caught up to #{during} in {:?}",
		started.elapsed(),
		t.elapsed()
	);

	// 2. Charlie's and Dave's nodes frozen: two of four cannot finalize.
	nodes[2].pause().unwrap();
	nodes[3].pause().unwrap();
	tokio::time::sleep(Duration::from_secs(6)).await;
	let stalled_at = rpc.finalized_number().await.unwrap();
	let best_at = rpc.best_number().await.unwrap();
	tokio::time::sleep(Duration::from_secs(20)).await;
	let stalled_after = rpc.finalized_number().await.unwrap();
	let best_after = rpc.best_number().await.unwrap();
	assert_eq!(stalled_after, stalled_at, "two of four finalized blocks");
	assert!(best_after > best_at, "Alice and Bob still author (best #{best_at} -> #{best_after})");
	eprintln!(
		"[{:?}] two frozen: finality held at #{stalled_at} for 20 s while best went #{best_at} -> #{best_after}",
		started.elapsed()
	);
	nodes[2].resume().unwrap();
	nodes[3].resume().unwrap();
	let t = Instant::now();
	network::finalized_by_all(&nodes, best_after, WAIT).await.unwrap();
	let agreed = network::no_conflicting_finality(&nodes).await.unwrap();
	eprintln!(
		"[{:?}] both resumed: all four finalized #{best_after} after {:?}; they agree on #1..=#{agreed}",
		started.elapsed(),
		t.elapsed()
	);

	// 3. Bob's node killed (SIGKILL) and restarted three times: it recovers and keeps the records.
	for round in 1..=3 {
		nodes[1].kill().unwrap();
		let written = write_record(&rpc, 100 + round).await;
		records.push(written);
		nodes[1].restart().unwrap();
		let t = Instant::now();
		let bob = nodes[1].wait_rpc(WAIT).await.unwrap();
		let target = rpc.finalized_number().await.unwrap();
		nodes[1].finalized_at_least(target, WAIT).await.unwrap();
		for id in &records {
			let r: Value = bob.call("ehr_record", vec![(*id).into()]).await.unwrap();
			assert_eq!(r["status"], "current", "record {id} on bob after restart {round}: {r}");
		}
		eprintln!(
			"[{:?}] kill -9 #{round}: bob back at #{target} in {:?} with all {} records",
			started.elapsed(),
			t.elapsed(),
			records.len()
		);
	}
	network::no_conflicting_finality(&nodes).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_rpc_node_refuses_unsafe_methods() {
	// As docs/operations.md starts an RPC node that serves other systems.
	let mut cfg = NodeConfig::dev(node_binary());
	cfg.args.extend(
		[
			"--rpc-external",
			"--rpc-methods",
			"safe",
			"--rpc-cors",
			"all",
			"--rpc-max-connections",
			"100",
			"--rpc-rate-limit",
			"100",
		]
		.map(String::from),
	);
	let mut node = Node::start(cfg).unwrap();
	let rpc = node.wait_rpc(WAIT).await.unwrap();
	let health: Value = rpc.call("system_health", vec![]).await.unwrap();
	assert!(health["peers"].is_u64(), "{health}");
	for unsafe_method in ["author_rotateKeys", "author_insertKey", "system_addReservedPeer"] {
		let params = match unsafe_method {
			"author_insertKey" => vec!["aura".into(), "//Mallory".into(), "0x00".into()],
			"system_addReservedPeer" => vec![
				"/ip4/127.0.0.1/tcp/1/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp"
					.into(),
			],
			_ => vec![],
		};
		let res: Result<Value, _> = rpc.call(unsafe_method, params).await;
		let err = res.expect_err(unsafe_method).to_string();
		assert!(err.to_lowercase().contains("unsafe"), "{unsafe_method}: {err}");
	}
}

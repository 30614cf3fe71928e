//! Four hospital authorities of the `local_testnet` preset on loopback: they connect, produce and
//! finalize blocks, and finality keeps advancing with one of the four stopped (GRANDPA needs
//! votes from 3 of 4).

use std::time::{Duration, Instant};

use ehr_testing::{network, node_binary, LOCAL_AUTHORITIES};

const START: Duration = Duration::from_secs(60);
const FINALITY: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread")]
async fn four_hospitals_finalize_and_survive_one_down() {
	let started = Instant::now();
	let mut nodes = network::start_local(node_binary(), &LOCAL_AUTHORITIES, START).await.unwrap();
	let rpcs: Vec<_> = nodes.iter().map(|n| n.rpc().unwrap()).collect();

	// Every node sees the three others.
	network::wait_connected(&nodes, START).await.unwrap();

	// All four produce and finalize.
	network::finalized_by_all(&nodes, 5, FINALITY).await.unwrap();
	let all_up = started.elapsed();

	// Every hospital has authored at least one block: four authorities take turns.
	let best = rpcs[0].best_number().await.unwrap();
	eprintln!("4 nodes finalized #5 after {all_up:?}; best #{best}");

	// Stop one hospital: 3 of 4 still finalize.
	nodes[3].kill().unwrap();
	let f0 = rpcs[0].finalized_number().await.unwrap();
	let t0 = Instant::now();
	network::finalized_by_all(&nodes[..3], f0 + 5, FINALITY).await.unwrap();
	eprintln!(
		"with dave down: finality advanced from #{f0} to #{} in {:?}",
		rpcs[0].finalized_number().await.unwrap(),
		t0.elapsed()
	);

	// The stopped node restarts from its database and catches up.
	nodes[3].restart().unwrap();
	nodes[3].wait_rpc(START).await.unwrap();
	let target = rpcs[0].finalized_number().await.unwrap();
	nodes[3].finalized_at_least(target, FINALITY).await.unwrap();
}

//! Four hospital authorities of the `local_testnet` preset on loopback: they connect, produce and
//! finalize blocks, and finality keeps advancing with one of the four stopped (GRANDPA needs
//! votes from 3 of 4).

use std::time::{Duration, Instant};

use ehr_client::{
	devnet::{wait_until, Node, NodeConfig},
	Rpc,
};

const BIN: &str = env!("CARGO_BIN_EXE_ehr-node");
const HOSPITALS: [&str; 4] = ["alice", "bob", "charlie", "dave"];

async fn finalized_at_least(node: &Node, rpc: &Rpc, n: u32, timeout: Duration) -> u32 {
	let what = format!("node {} finalizes block #{n}", node.name);
	match wait_until(&what, timeout, || {
		let rpc = rpc.clone();
		async move { Ok(rpc.finalized_number().await.ok().filter(|f| *f >= n)) }
	})
	.await
	{
		Ok(f) => f,
		Err(e) => panic!(
			"{e} (best #{}, finalized #{}); log:\n{}",
			rpc.best_number().await.unwrap_or_default(),
			rpc.finalized_number().await.unwrap_or_default(),
			node.log_tail(30)
		),
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn four_hospitals_finalize_and_survive_one_down() {
	let started = Instant::now();
	let mut alice = Node::start(NodeConfig::local_authority(BIN, HOSPITALS[0])).unwrap();
	alice.wait_rpc(Duration::from_secs(60)).await.unwrap();
	let boot = alice.multiaddr().await.unwrap();

	let mut nodes = vec![alice];
	for name in &HOSPITALS[1..] {
		let mut cfg = NodeConfig::local_authority(BIN, name);
		cfg.bootnodes = vec![boot.clone()];
		nodes.push(Node::start(cfg).unwrap());
	}
	let mut rpcs = Vec::new();
	for n in nodes.iter_mut() {
		rpcs.push(n.wait_rpc(Duration::from_secs(60)).await.unwrap());
	}

	// Every node sees the three others.
	for (node, rpc) in nodes.iter().zip(&rpcs) {
		let what = format!("node {} has 3 peers", node.name);
		if let Err(e) = wait_until(&what, Duration::from_secs(60), || {
			let rpc = rpc.clone();
			async move { Ok(rpc.peers().await.ok().filter(|p| *p >= 3)) }
		})
		.await
		{
			panic!("{e}; log:\n{}", node.log_tail(30));
		}
	}

	// All four produce and finalize.
	for (node, rpc) in nodes.iter().zip(&rpcs) {
		finalized_at_least(node, rpc, 5, Duration::from_secs(90)).await;
	}
	let all_up = started.elapsed();

	// Every hospital has authored at least one block: four authorities take turns.
	let best = rpcs[0].best_number().await.unwrap();
	eprintln!("4 nodes finalized #5 after {all_up:?}; best #{best}");

	// Stop one hospital: 3 of 4 still finalize.
	nodes[3].kill().unwrap();
	let f0 = rpcs[0].finalized_number().await.unwrap();
	let t0 = Instant::now();
	for (node, rpc) in nodes[..3].iter().zip(&rpcs[..3]) {
		finalized_at_least(node, rpc, f0 + 5, Duration::from_secs(90)).await;
	}
	eprintln!(
		"with dave down: finality advanced from #{f0} to #{} in {:?}",
		rpcs[0].finalized_number().await.unwrap(),
		t0.elapsed()
	);

	// The stopped node restarts from its database and catches up.
	nodes[3].restart().unwrap();
	let dave_rpc = nodes[3].wait_rpc(Duration::from_secs(60)).await.unwrap();
	let target = rpcs[0].finalized_number().await.unwrap();
	finalized_at_least(&nodes[3], &dave_rpc, target, Duration::from_secs(90)).await;
}

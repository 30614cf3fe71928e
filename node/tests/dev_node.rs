//! End to end against the real `ehr-node` binary: a development node on free local ports.

use std::time::Duration;

use codec::Decode;
use ehr_client::{
	runtime::{BalancesCall, RuntimeCall, RuntimeEvent, UNIT},
	Signer,
};
use ehr_testing::{node_binary, Node, NodeConfig};
use serde_json::Value;
use sp_keyring::Sr25519Keyring;

const START: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn dev_node_produces_and_finalizes_blocks_and_serves_metadata_v16() {
	let mut node = Node::start(NodeConfig::dev(node_binary())).expect("start dev node");
	let rpc = node.wait_rpc(START).await.expect("dev node answers RPC");

	// Blocks are produced and finalized: the finalized height passes 3 within 30 s (2 s slots).
	let finalized = node.finalized_at_least(3, Duration::from_secs(30)).await.unwrap();
	assert!(rpc.best_number().await.unwrap() >= finalized);

	// Chain properties let wallets show the chain correctly.
	let props: Value = rpc.call("system_properties", vec![]).await.unwrap();
	assert_eq!(props["tokenSymbol"], "EHR");
	assert_eq!(props["tokenDecimals"], 12);
	assert_eq!(props["ss58Format"], 42);

	// Metadata is served at the newest version frame-support offers (16).
	let versions: String = rpc
		.call("state_call", vec!["Metadata_metadata_versions".into(), "0x".into()])
		.await
		.unwrap();
	let versions = Vec::<u32>::decode(&mut &hex::decode(&versions[2..]).unwrap()[..]).unwrap();
	assert_eq!(versions.iter().max(), Some(&16), "metadata versions: {versions:?}");
	let v16: String = rpc
		.call("state_call", vec!["Metadata_metadata_at_version".into(), "0x10000000".into()])
		.await
		.unwrap();
	let v16 = Option::<Vec<u8>>::decode(&mut &hex::decode(&v16[2..]).unwrap()[..]).unwrap();
	let v16 = v16.expect("metadata v16 is served");
	// The "meta" magic followed by the version byte.
	assert_eq!(&v16[..5], b"meta\x10");

	// The registry's `ehr_*` methods: the development chain has one hospital, Alice's.
	let hospitals: Value = rpc.call("ehr_hospitals", vec![]).await.unwrap();
	assert_eq!(hospitals.as_array().map(|a| a.len()), Some(1), "{hospitals}");
	assert_eq!(hospitals[0]["name"], "Alice General");
	assert_eq!(hospitals[0]["status"], "active");
	let alice = Sr25519Keyring::Alice.to_account_id().to_string();
	assert_eq!(hospitals[0]["admin"], Value::from(alice.clone()));
	let staff: Value = rpc.call("ehr_staffStatus", vec![alice.into()]).await.unwrap();
	assert_eq!(staff["active"], false);
	assert_eq!(staff["status"], "notStaff");
	let none: Value = rpc.call("ehr_hospital", vec![7.into()]).await.unwrap();
	assert!(none.is_null());

	// Prometheus metrics are exported.
	let metrics = http_get(node.prometheus_port, "/metrics").await;
	assert!(metrics.contains("substrate_block_height"), "no block height metric");

	assert!(node.is_running());
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_transfer_from_rust_is_finalized_with_its_event() {
	let mut node = Node::start(NodeConfig::dev(node_binary())).expect("start dev node");
	let rpc = node.wait_rpc(START).await.expect("dev node answers RPC");
	let ctx = rpc.chain_context().await.unwrap();

	let alice = Signer::new(Sr25519Keyring::Alice.pair());
	let dest = Sr25519Keyring::Ferdie.to_account_id();
	let nonce = rpc.next_nonce(&alice.account()).await.unwrap();
	let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
		dest: dest.clone().into(),
		value: 5 * UNIT,
	});
	let xt = alice.sign(call, nonce, &ctx);
	let included = rpc
		.submit_and_watch(&xt, Duration::from_secs(60))
		.await
		.unwrap_or_else(|e| panic!("transfer not finalized: {e}; log:\n{}", node.log_tail(30)));

	let transferred = included.events.iter().any(|e| {
		matches!(e, RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount })
			if *from == alice.account() && *to == dest && *amount == 5 * UNIT)
	});
	assert!(transferred, "no Transfer event among {:?}", included.events);
	eprintln!(
		"transfer: included after {:?}, finalized after {:?} (block #{})",
		included.included_after, included.finalized_after, included.block_number
	);

	// The nonce advanced.
	assert_eq!(rpc.next_nonce(&alice.account()).await.unwrap(), nonce + 1);
}

/// A minimal HTTP GET on loopback, for the Prometheus endpoint.
async fn http_get(port: u16, path: &str) -> String {
	use std::io::{Read, Write};
	let path = path.to_string();
	tokio::task::spawn_blocking(move || {
		let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
		write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
		let mut out = String::new();
		s.read_to_string(&mut out).unwrap();
		out
	})
	.await
	.unwrap()
}

/// `ehr_client::verify` against a dev node: justifications from
/// `grandpa_subscribeJustifications` verify against the chain spec's authority set and fail
/// with a flipped byte or another set id; a read proof gives the value the node's plain storage
/// read gives, proves absence, and fails with a node dropped.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_checks_finality_and_state_by_proofs_instead_of_trusting_the_node() {
	use ehr_client::verify::{
		check_read_proof, genesis_authorities, verify_justification, AuthoritySet, Verifier,
		VerifyError,
	};

	let mut node = Node::start(NodeConfig::dev(node_binary())).expect("start dev node");
	let rpc = node.wait_rpc(START).await.expect("dev node answers RPC");
	let spec = std::process::Command::new(node_binary())
		.args(["export-chain-spec", "--chain", "dev", "--raw"])
		.output()
		.expect("export the dev chain spec");
	let spec: Value = serde_json::from_slice(&spec.stdout).expect("a JSON chain spec");
	let authorities = genesis_authorities(&spec).expect("GRANDPA authorities in the dev spec");
	assert_eq!(authorities.len(), 1, "the dev chain has one GRANDPA authority");

	let mut verifier = Verifier::new(&node.url().replace("http://", "ws://"), authorities.clone())
		.await
		.expect("connect over WebSocket");
	let raw = verifier.next_justification().await.expect("a justification");
	let block = verifier.accept(&raw).await.expect("the node's justification verifies");
	assert_eq!((block.signers, block.of, block.set_id), (1, 1, 0));
	assert!(block.number <= rpc.finalized_number().await.unwrap());
	let later = verifier.next_finalized().await.expect("the next justification verifies");
	assert!(later.number > block.number);

	// A flipped byte (in the last precommit's signature or id), another set id, another set.
	let set = AuthoritySet { set_id: 0, authorities: authorities.clone(), since: 0 };
	assert!(verify_justification(&raw, &set).is_ok());
	let mut flipped = raw.clone();
	let at = flipped.len() - 40; // inside the signature of the last precommit (before 32-byte id and the empty ancestries)
	flipped[at] ^= 1;
	assert!(matches!(verify_justification(&flipped, &set), Err(VerifyError::Invalid(_))));
	let other_set = AuthoritySet { set_id: 1, ..set.clone() };
	assert!(matches!(verify_justification(&raw, &other_set), Err(VerifyError::Invalid(_))));
	let stranger = Sr25519Keyring::Ferdie.public().0;
	let strangers = AuthoritySet {
		authorities: vec![(
			sp_consensus_grandpa::AuthorityId::from(sp_core::ed25519::Public::from_raw(stranger)),
			1,
		)],
		..set.clone()
	};
	assert!(matches!(verify_justification(&raw, &strangers), Err(VerifyError::Invalid(_))));

	// Alice's account, proven at the verified block, is what the node's storage read gives.
	let alice = Sr25519Keyring::Alice.to_account_id();
	let account_key = |who: &[u8]| {
		let mut key = sp_io::hashing::twox_128(b"System").to_vec();
		key.extend(sp_io::hashing::twox_128(b"Account"));
		key.extend(sp_io::hashing::blake2_128(who));
		key.extend(who);
		key
	};
	let key = account_key(alice.as_ref());
	let absent = account_key(&[7u8; 32]);
	let values = verifier.storage(&later, &[key.clone(), absent]).await.expect("a proof");
	let plain = rpc.storage(&key, Some(later.hash)).await.unwrap();
	assert!(plain.is_some());
	assert_eq!(values, vec![plain, None]);

	// The same proof with any one node dropped does not check out.
	let answer: Value = rpc
		.call(
			"state_getReadProof",
			vec![
				vec![format!("0x{}", hex::encode(&key))].into(),
				format!("{:?}", later.hash).into(),
			],
		)
		.await
		.unwrap();
	let nodes: Vec<Vec<u8>> = answer["proof"]
		.as_array()
		.unwrap()
		.iter()
		.map(|n| hex::decode(&n.as_str().unwrap()[2..]).unwrap())
		.collect();
	assert!(check_read_proof(later.state_root, nodes.clone(), std::slice::from_ref(&key)).is_ok());
	for i in 0..nodes.len() {
		let mut dropped = nodes.clone();
		dropped.remove(i);
		assert!(
			check_read_proof(later.state_root, dropped, std::slice::from_ref(&key)).is_err(),
			"proof node {i} dropped"
		);
	}
	node.kill().ok();
}

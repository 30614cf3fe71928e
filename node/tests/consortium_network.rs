//! The consortium on a real network of `ehr-node` processes (loopback ports):
//!
//! 1. the four founding hospitals register their nodes' PeerIds; from then on their nodes accept
//!    no other peer, so a node of a non-member gets no peers;
//! 2. a council motion (three of four) admits a fifth hospital with its node's PeerId: that node
//!    joins, its operator registers session keys made by the node (`author_rotateKeysWithOwner`),
//!    and after the session change it authors blocks and votes in GRANDPA (finality goes on with
//!    one founder down, which needs four of the five votes, the newcomer's among them);
//! 3. a council motion suspends it: it leaves the authority set, authors no more blocks, and its
//!    node, restarted, is let in by nobody;
//! 4. a client that trusts only the chain spec (`ehr_client::verify`) follows the GRANDPA
//!    authority set through both changes and verifies current finality with the four founders.

use std::{
	str::FromStr,
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use ehr_client::Rpc;
use ehr_runtime::{RuntimeCall, RuntimeEvent, SessionKeys};
use ehr_testing::{
	council_motion, find_event, network, node_binary, submit, wait_until, Node, NodeConfig,
	LOCAL_AUTHORITIES,
};
use pallet_hospital_registry::HospitalId;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave, Eve};
use sp_runtime::DigestItem;

const START: Duration = Duration::from_secs(60);
/// Two sessions (10 blocks of 2 s each) and some slack: how long a validator-set change may take.
const SET_CHANGE: Duration = Duration::from_secs(120);

/// A node's PeerId in the binary form the registry stores.
async fn peer_id_of(node: &Node) -> Vec<u8> {
	let s: String = node.rpc().unwrap().call("system_localPeerId", vec![]).await.unwrap();
	sc_network::PeerId::from_str(&s).expect("the node reports a valid PeerId").to_bytes()
}

/// Aura authorities at block `at`.
async fn aura_authorities(rpc: &Rpc, at: H256) -> Vec<AuraId> {
	let key = frame_support::storage::storage_prefix(b"Aura", b"Authorities");
	let bytes = rpc.storage(&key, Some(at)).await.unwrap().unwrap_or_default();
	Vec::<AuraId>::decode(&mut &bytes[..]).expect("Aura authorities decode")
}

/// Number of GRANDPA authorities at block `at`.
async fn grandpa_authorities(rpc: &Rpc, at: H256) -> usize {
	let key = frame_support::storage::storage_prefix(b"Grandpa", b"Authorities");
	let bytes = rpc.storage(&key, Some(at)).await.unwrap().unwrap_or_default();
	Vec::<([u8; 32], u64)>::decode(&mut &bytes[..]).expect("GRANDPA authorities decode").len()
}

/// The Aura authority that authored block `n` of the best chain: the slot in its pre-runtime
/// digest modulo the authorities at its parent.
async fn author_of(rpc: &Rpc, n: u32) -> AuraId {
	let hash = rpc.block_hash(n).await.unwrap().expect("block exists");
	let header: Value =
		rpc.call("chain_getHeader", vec![format!("{hash:?}").into()]).await.unwrap();
	let parent = H256::from_str(header["parentHash"].as_str().unwrap()).unwrap();
	let slot = header["digest"]["logs"]
		.as_array()
		.unwrap()
		.iter()
		.find_map(|l| {
			let bytes = hex::decode(l.as_str()?.trim_start_matches("0x")).ok()?;
			match DigestItem::decode(&mut &bytes[..]).ok()? {
				DigestItem::PreRuntime(id, data) if id == *b"aura" => {
					u64::decode(&mut &data[..]).ok()
				},
				_ => None,
			}
		})
		.expect("an Aura pre-runtime digest");
	let authorities = aura_authorities(rpc, parent).await;
	authorities[(slot % authorities.len() as u64) as usize].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn council_admits_and_suspends_a_hospital_whose_node_follows() {
	let started = Instant::now();

	// The four founders, each node seeing the three others.
	let bin = node_binary();
	let mut nodes = network::start_local(&bin, &LOCAL_AUTHORITIES, START).await.unwrap();
	network::wait_connected(&nodes, START).await.unwrap();
	let rpc = nodes[0].rpc().unwrap();
	let boot = nodes[0].multiaddr().await.unwrap();

	// 1. Each founding hospital registers its node.
	for (node, who) in nodes.iter().zip([Alice, Bob, Charlie, Dave]) {
		let peer = peer_id_of(node).await;
		let call = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::set_nodes {
			nodes: vec![peer],
		});
		submit(&rpc, who, call).await;
	}
	let hospitals: Value = rpc.call("ehr_hospitals", vec![]).await.unwrap();
	assert!(
		hospitals.as_array().unwrap().iter().all(|h| h["nodes"].as_array().unwrap().len() == 1),
		"{hospitals}"
	);

	// The fifth hospital's node starts before the hospital is a member: nobody lets it in.
	let mut eve_cfg = NodeConfig::local_authority(&bin, "eve");
	// Its session keys come from `author_rotateKeysWithOwner`, not from the `//Eve` dev seed.
	eve_cfg.args.retain(|a| a != "--eve");
	eve_cfg.bootnodes = vec![boot.clone()];
	let mut eve = Node::start(eve_cfg).unwrap();
	let eve_rpc = eve.wait_rpc(START).await.unwrap();
	tokio::time::sleep(Duration::from_secs(15)).await;
	assert_eq!(eve_rpc.peers().await.unwrap(), 0, "a non-member's node got peers");
	assert_eq!(eve_rpc.best_number().await.unwrap(), 0, "a non-member's node synced blocks");
	for n in &nodes {
		assert_eq!(n.rpc().unwrap().peers().await.unwrap(), 3, "node {} peers", n.name);
	}
	eprintln!("[{:?}] founders' nodes registered; the outsider has no peers", started.elapsed());

	// 2. The council admits Eve's hospital with its node.
	let eve_peer = peer_id_of(&eve).await;
	let admit = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::admit_hospital {
		name: b"Eve Clinic".to_vec(),
		admin: Eve.to_account_id(),
		validator: Eve.to_account_id(),
		gateway_url: b"https://eve-clinic.example".to_vec(),
		nodes: vec![eve_peer],
	});
	let events = council_motion(&rpc, Alice, &[Alice, Bob, Charlie], admit).await;
	let eve_id: HospitalId = find_event!(
		events,
		RuntimeEvent::HospitalRegistry(pallet_hospital_registry::Event::HospitalAdmitted {
			hospital,
			..
		}) => *hospital
	);
	eprintln!("[{:?}] hospital {eve_id} admitted by the council", started.elapsed());

	// Its node is let in and syncs. It has its peers within seconds but imports its first block
	// about a minute later (docs/consortium.md, "Known delay"), hence two minutes.
	eve.wait_peers(1, START).await.unwrap();
	let target = rpc.finalized_number().await.unwrap().saturating_sub(1);
	eve.finalized_at_least(target + 1, SET_CHANGE).await.unwrap();

	// Its operator has the node make session keys and registers them with their proof.
	let owner = format!("0x{}", hex::encode(Eve.to_account_id().encode()));
	let generated: Value =
		eve_rpc.call("author_rotateKeysWithOwner", vec![owner.into()]).await.unwrap();
	let keys_hex = generated["keys"].as_str().unwrap().trim_start_matches("0x").to_string();
	let proof_hex = generated["proof"].as_str().expect("the runtime makes a proof").to_string();
	let keys = SessionKeys::decode(&mut &hex::decode(keys_hex).unwrap()[..]).unwrap();
	let proof = hex::decode(proof_hex.trim_start_matches("0x")).unwrap();
	let eve_aura = keys.aura.clone();
	submit(&rpc, Eve, RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof })).await;

	// From a following session Eve's node is an Aura authority and authors finalized blocks.
	let best = rpc.best_number().await.unwrap();
	let authored = wait_until("Eve's node authors a finalized block", SET_CHANGE, || {
		let (rpc, eve_aura) = (rpc.clone(), eve_aura.clone());
		async move {
			let f = rpc.finalized_number().await?;
			for n in best..=f {
				if author_of(&rpc, n).await == eve_aura {
					return Ok(Some(n));
				}
			}
			Ok(None)
		}
	})
	.await
	.unwrap_or_else(|e| panic!("{e}; eve's log:\n{}", eve.log_tail(30)));
	eprintln!("[{:?}] Eve's node authored finalized block #{authored}", started.elapsed());
	let at = rpc.finalized_hash().await.unwrap();
	assert_eq!(aura_authorities(&rpc, at).await.len(), 5);

	// And it votes in GRANDPA. Once the block that enacts the five-member set is final, that set
	// votes; with Dave down, five authorities need four votes, so finality only advances with
	// Eve's.
	let five_at = wait_until("the five-member GRANDPA set is final", SET_CHANGE, || {
		let rpc = rpc.clone();
		async move {
			let at = rpc.finalized_hash().await?;
			let n = rpc.finalized_number().await?;
			Ok((grandpa_authorities(&rpc, at).await == 5).then_some(n))
		}
	})
	.await
	.unwrap_or_else(|e| panic!("{e}; alice's log:\n{}", nodes[0].log_tail(30)));
	eprintln!("[{:?}] five GRANDPA voters from #{five_at}", started.elapsed());
	nodes[3].kill().unwrap();
	let f0 = rpc.finalized_number().await.unwrap();
	let f1 = nodes[0].finalized_at_least(f0 + 4, Duration::from_secs(60)).await.unwrap();
	eprintln!("[{:?}] with Dave down, 4 of 5 votes finalized #{f0} -> #{f1}", started.elapsed());
	nodes[3].restart().unwrap();
	nodes[3].wait_rpc(START).await.unwrap();

	// 3. The council suspends Eve's hospital: its validator leaves the set and authors no more.
	let suspend = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::suspend_hospital {
		hospital: eve_id,
	});
	// The council has five members now: two thirds is four votes.
	council_motion(&rpc, Bob, &[Alice, Bob, Charlie, Dave], suspend).await;
	let out_at = wait_until("Eve leaves the Aura authorities", SET_CHANGE, || {
		let (rpc, eve_aura) = (rpc.clone(), eve_aura.clone());
		async move {
			let n = rpc.finalized_number().await?;
			let at = rpc.block_hash(n).await?.unwrap_or_default();
			let auth = aura_authorities(&rpc, at).await;
			Ok((auth.len() == 4 && !auth.contains(&eve_aura)).then_some(n))
		}
	})
	.await
	.unwrap();
	let until = nodes[0].finalized_at_least(out_at + 11, Duration::from_secs(60)).await.unwrap();
	for n in out_at + 1..=until {
		assert_ne!(author_of(&rpc, n).await, eve_aura, "suspended Eve authored block #{n}");
	}
	// Its node is no longer a permitted peer: restarted, it finds nobody who lets it in.
	let peers_before = eve_rpc.peers().await.unwrap_or_default();
	eve.restart().unwrap();
	let eve_rpc = eve.wait_rpc(START).await.unwrap();
	tokio::time::sleep(Duration::from_secs(15)).await;
	assert_eq!(eve_rpc.peers().await.unwrap(), 0, "the suspended hospital's node got peers");
	eprintln!(
		"[{:?}] suspended: no block by Eve in #{}..=#{until}; its node had {peers_before} peers \
		 before a restart and none after",
		started.elapsed(),
		out_at + 1,
	);
	drop(eve);

	// 4. A client that trusts only the chain spec learns both set changes (each set's last
	// block, its justification by that set and the next set in its header) and checks current
	// finality with the four-member set.
	let spec = std::process::Command::new(&bin)
		.args(["export-chain-spec", "--chain", "local", "--raw"])
		.output()
		.unwrap();
	let spec: Value = serde_json::from_slice(&spec.stdout).unwrap();
	let genesis = ehr_client::verify::genesis_authorities(&spec).unwrap();
	assert_eq!(genesis.len(), 4);
	let mut verifier =
		ehr_client::verify::Verifier::new(&nodes[0].url().replace("http://", "ws://"), genesis)
			.await
			.unwrap();
	let set_id = verifier.authority_set().set_id;
	assert!(set_id >= 2, "the client learned set {set_id}, not the set after Eve left");
	let block = verifier.next_finalized().await.unwrap();
	assert_eq!((block.set_id, block.of), (set_id, 4), "{block:?}");
	assert!(block.signers >= 3, "{block:?}");
	eprintln!(
		"[{:?}] a client from the chain spec verified #{} in set {set_id} ({} of 4 signatures)",
		started.elapsed(),
		block.number,
		block.signers
	);
}

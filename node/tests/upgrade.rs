//! A runtime upgrade through the council, on the local four-hospital network (real `ehr-node`
//! processes on loopback).
//!
//! The network starts from genesis on the **released** runtime (the newest wasm in
//! `runtime/releases/` older than this code), built by that runtime's own genesis builder, and
//! is used as hospitals use it: staff registered, a patient, a record, a grant. Then:
//!
//! 1. a two-thirds council motion authorizes the hash of this code's runtime
//!    (`hospitalRegistry.authorizeRuntimeUpgrade`), and anyone (an unsigned extrinsic, no key,
//!    no fee) submits the code with `system.applyAuthorizedUpgrade`;
//! 2. every node runs the new `spec_version`; the registry's storage version 2 ran in its first
//!    block (each hospital with its staff count, `StaffCount` gone: the same checks as the
//!    migration's `post_upgrade`, against the `pre_upgrade` snapshot taken over RPC), and the
//!    multi-block migrations ran from that block until `MultiBlockMigrations` reported
//!    `UpgradeCompleted`: the registry's storage version 3 (the guardianship a hospital recorded
//!    without having verified the patient ended, announced and in the patient's log; the
//!    verified hospital's guardian kept) and the records' storage version 2 (every commitment
//!    indexed to its first record; the record that repeated one named in a
//!    `DuplicateCommitment` event, and left as it was) and the access log's storage version 2
//!    (the ring of each patient's recent entries removed from state, every head as it was; the
//!    log still verifies through the RPC, from the entries the node's index holds);
//! 3. all other state of the ehr-chain pallets is byte for byte what it was, the `ehr_*` RPC
//!    answers as before, blocks keep being finalized by all four nodes with no conflict, and the
//!    hospitals go on working on the new runtime.

use std::{
	path::PathBuf,
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use ehr_client::{
	runtime::{Runtime, RuntimeCall, RuntimeEvent, UncheckedExtrinsic},
	Rpc,
};
use ehr_testing::{
	content_of, council_motion, grant_read, network, node_binary, record_added, register_staff,
	storage_entries, submit, wait_until, NodeConfig, LOCAL_AUTHORITIES,
};
use frame_support::{
	storage::StoragePrefixedMap,
	traits::{PalletInfoAccess, StorageVersion},
};
use pallet_consent::{Grantee, Scope};
use pallet_hospital_registry::{
	migrations::v2::{self, v1},
	Hospital, HospitalId, Hospitals, StaffRole,
};
use pallet_patient_records::Category;
use serde_json::Value;
use sp_core::H256;
use sp_io::hashing::{blake2_256, twox_128};
use sp_keyring::Sr25519Keyring::*;

const WAIT: Duration = Duration::from_secs(90);

type Registry = pallet_hospital_registry::Pallet<Runtime>;
type NewHospital = pallet_hospital_registry::HospitalOf<Runtime>;
type OldHospital = v1::OldHospitalOf<Runtime>;

/// The newest released runtime older than this code: (spec_version, compressed wasm).
fn released_runtime() -> (u32, Vec<u8>) {
	let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/releases");
	let current = ehr_runtime::VERSION.spec_version;
	let newest = std::fs::read_dir(&dir)
		.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
		.filter_map(|e| {
			let name = e.ok()?.file_name().into_string().ok()?;
			let spec =
				name.strip_prefix("ehr_runtime-")?.strip_suffix(".compact.compressed.wasm")?;
			Some((spec.parse::<u32>().ok()?, dir.join(&name)))
		})
		.filter(|(spec, _)| *spec < current)
		.max()
		.unwrap_or_else(|| panic!("no release older than spec {current} in {}", dir.display()));
	(newest.0, std::fs::read(&newest.1).unwrap())
}

/// A raw chain spec of the `local` network whose genesis is built by `code`'s genesis builder.
fn chain_spec_with(code: &[u8], dir: &std::path::Path) -> PathBuf {
	let run = |args: &[&str]| {
		let out = std::process::Command::new(node_binary()).args(args).output().unwrap();
		assert!(
			out.status.success(),
			"ehr-node {args:?}: {}",
			String::from_utf8_lossy(&out.stderr)
		);
		out.stdout
	};
	let mut spec: Value = serde_json::from_slice(&run(&["export-chain-spec", "--chain", "local"]))
		.expect("chain spec JSON");
	let genesis = &mut spec["genesis"]["runtimeGenesis"];
	assert!(genesis["code"].is_string(), "plain chain spec without code: {genesis}");
	genesis["code"] = format!("0x{}", hex::encode(code)).into();
	let plain = dir.join("plain.json");
	std::fs::write(&plain, serde_json::to_vec(&spec).unwrap()).unwrap();
	let raw = dir.join("raw.json");
	let bytes = run(&["export-chain-spec", "--chain", plain.to_str().unwrap(), "--raw"]);
	std::fs::write(&raw, bytes).unwrap();
	raw
}

fn add_record(n: u8) -> RuntimeCall {
	RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: Ferdie.to_account_id(),
		category: Category::LabResult,
		content: content_of(&[n], 2048),
	})
}

fn pallet_prefix<P: PalletInfoAccess>() -> Vec<u8> {
	twox_128(P::name().as_bytes()).to_vec()
}

async fn spec_version(rpc: &Rpc, at: Option<H256>) -> u32 {
	let params = at.map(|h| vec![Value::from(format!("{h:?}"))]).unwrap_or_default();
	let v: Value = rpc.call("state_getRuntimeVersion", params).await.unwrap();
	v["specVersion"].as_u64().unwrap() as u32
}

async fn storage_version(rpc: &Rpc, at: H256) -> StorageVersion {
	storage_version_of::<Registry>(rpc, at).await
}

async fn storage_version_of<P: PalletInfoAccess>(rpc: &Rpc, at: H256) -> StorageVersion {
	let key = StorageVersion::storage_key::<P>();
	let raw = rpc.storage(&key, Some(at)).await.unwrap().unwrap_or_default();
	StorageVersion::decode(&mut &raw[..]).unwrap_or_default()
}

/// The `pre_upgrade` snapshot, over RPC: every hospital as storage version 1 holds it, with its
/// `StaffCount`.
async fn snapshot(rpc: &Rpc, at: H256) -> v2::Snapshot<Runtime> {
	let mut out = Vec::new();
	for (key, value) in
		storage_entries(rpc, &Hospitals::<Runtime>::final_prefix(), at).await.unwrap()
	{
		// Key: prefix (32) ++ twox64(id) (8) ++ id.
		let id = HospitalId::decode(&mut &key[40..]).unwrap();
		let old = OldHospital::decode(&mut &value[..])
			.unwrap_or_else(|e| panic!("hospital {id} is not in the version 1 layout: {e}"));
		let count_key = v1::StaffCount::<Runtime>::hashed_key_for(id);
		let count = match rpc.storage(&count_key, Some(at)).await.unwrap() {
			Some(raw) => u32::decode(&mut &raw[..]).unwrap(),
			None => 0,
		};
		out.push((id, old, count));
	}
	out.sort_by_key(|(id, _, _)| *id);
	out
}

/// Whether `event` says that a multi-block migration, and so the upgrade, failed.
fn failed(event: &RuntimeEvent) -> bool {
	matches!(
		event,
		RuntimeEvent::MultiBlockMigrations(
			pallet_migrations::Event::MigrationFailed { .. }
				| pallet_migrations::Event::UpgradeFailed
		)
	)
}

async fn hospital(rpc: &Rpc, id: HospitalId, at: H256) -> NewHospital {
	let raw = rpc.storage(&Hospitals::<Runtime>::hashed_key_for(id), Some(at)).await.unwrap();
	Hospital::decode(&mut &raw.expect("hospital")[..]).expect("version 2 layout")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_council_upgrades_the_runtime_of_a_running_network() {
	let started = Instant::now();
	let new_code = ehr_runtime::WASM_BINARY.expect("the runtime's wasm was built").to_vec();
	let new_spec = ehr_runtime::VERSION.spec_version;
	let (old_spec, old_code) = released_runtime();
	let dir = tempfile::tempdir().unwrap();
	let spec = chain_spec_with(&old_code, dir.path());

	let bin = node_binary();
	let spec = spec.to_str().unwrap();
	let configs: Vec<NodeConfig> =
		LOCAL_AUTHORITIES.iter().map(|name| NodeConfig::authority(&bin, spec, name)).collect();
	let nodes = network::start(configs, WAIT).await.unwrap();
	nodes[0].finalized_at_least(2, WAIT).await.unwrap();
	let rpc = nodes[0].rpc().unwrap();
	assert_eq!(spec_version(&rpc, None).await, old_spec, "the network starts on the release");
	eprintln!(
		"[{:?}] four hospitals on the released runtime (spec {old_spec}, {} bytes)",
		started.elapsed(),
		old_code.len()
	);

	// The hospitals at work on the released runtime: Alice General takes Eve on as a doctor and
	// One as a nurse, Ferdie signs up as a patient, Eve anchors a record and Ferdie grants Bob
	// Memorial access to it.
	submit(&rpc, Alice, register_staff(Eve.to_account_id(), StaffRole::Doctor)).await;
	submit(&rpc, Alice, register_staff(One.to_account_id(), StaffRole::Nurse)).await;
	let signup = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::register_patient {});
	submit(&rpc, Ferdie, signup).await;
	let record = record_added(&submit(&rpc, Eve, add_record(1)).await);
	let now = rpc.now_ms().await.unwrap();
	let grant = grant_read(
		Ferdie.to_account_id(),
		Grantee::Hospital(1),
		Scope::AllRecords,
		now + 24 * 3600 * 1000,
	);
	submit(&rpc, Ferdie, grant).await;

	// What the released runtime allowed and this one does not, for its migrations to meet: Bob
	// Memorial records a guardian for Ferdie, whom it never verified; Alice General verifies
	// Ferdie and records another; Eve anchors the document of her record a second time.
	let unbacked = ehr_client::runtime::AccountId::from([7u8; 32]);
	let backed = ehr_client::runtime::AccountId::from([8u8; 32]);
	let guardian = |g: &ehr_client::runtime::AccountId| {
		RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::record_guardian {
			patient: Ferdie.to_account_id(),
			guardian: g.clone(),
		})
	};
	submit(&rpc, Bob, guardian(&unbacked)).await;
	let verify = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::verify_patient {
		patient: Ferdie.to_account_id(),
		commitment: H256::repeat_byte(9),
	});
	submit(&rpc, Alice, verify).await;
	submit(&rpc, Alice, guardian(&backed)).await;
	// The released runtime anchors a commitment twice.
	let duplicate = record_added(&submit(&rpc, Eve, add_record(1)).await);
	let commitment = H256(sp_io::hashing::sha2_256(&[1]));
	let log_head = |at| {
		let rpc = rpc.clone();
		async move {
			let key = pallet_access_log::Heads::<Runtime>::hashed_key_for(Ferdie.to_account_id());
			let raw = rpc.storage(&key, Some(at)).await.unwrap().unwrap();
			pallet_access_log::Head::decode(&mut &raw[..]).unwrap()
		}
	};

	// Pre-upgrade snapshot at the finalized head.
	let pre = rpc.finalized_hash().await.unwrap();
	assert_eq!(storage_version(&rpc, pre).await, StorageVersion::new(1));
	let before = snapshot(&rpc, pre).await;
	let counts: Vec<(HospitalId, u32)> = before.iter().map(|(id, _, n)| (*id, *n)).collect();
	// Each hospital's gateway account from genesis, and Alice General's Eve and One.
	assert_eq!(counts, vec![(0, 3), (1, 1), (2, 1), (3, 1)], "staff counts in StaffCount");
	let log_before = log_head(pre).await;
	// Byte for byte: consent; records but for the new index and their storage version; the log
	// but for Ferdie's head, the global head and Ferdie's new entry; the registry but for what
	// its migrations change (below).
	let records_key = StorageVersion::storage_key::<pallet_patient_records::Pallet<Runtime>>();
	let index_prefix = pallet_patient_records::RecordOfCommitment::<Runtime>::final_prefix();
	let ferdie_head = pallet_access_log::Heads::<Runtime>::hashed_key_for(Ferdie.to_account_id());
	let global_head = pallet_access_log::GlobalHead::<Runtime>::hashed_key();
	// The access log's ring of recent entries, which its storage version 2 removes.
	let log_key = StorageVersion::storage_key::<pallet_access_log::Pallet<Runtime>>();
	let ring = pallet_access_log::migrations::v2::v1::Entries::<Runtime>::final_prefix();
	let kept = |k: &[u8]| {
		k != &records_key[..]
			&& !k.starts_with(&index_prefix)
			&& k != &ferdie_head[..]
			&& k != &global_head[..]
			&& k != &log_key[..]
			&& !k.starts_with(&ring)
	};
	assert_eq!(
		storage_version_of::<pallet_access_log::Pallet<Runtime>>(&rpc, pre).await,
		StorageVersion::new(1)
	);
	assert!(
		!storage_entries(&rpc, &ring, pre).await.unwrap().is_empty(),
		"the released runtime keeps recent entries in state"
	);
	let kept_prefixes = [
		pallet_prefix::<pallet_patient_records::Pallet<Runtime>>(),
		pallet_prefix::<pallet_consent::Pallet<Runtime>>(),
		pallet_prefix::<pallet_access_log::Pallet<Runtime>>(),
	];
	let mut kept_before = Vec::new();
	for p in &kept_prefixes {
		kept_before.push(
			storage_entries(&rpc, p, pre)
				.await
				.unwrap()
				.into_iter()
				.filter(|(k, _)| kept(k))
				.collect::<Vec<_>>(),
		);
	}
	// The log's state apart from Ferdie's head, the global head and the ring is the other
	// patients' heads, which this network may not have: only records and consent must have some.
	assert!(kept_before[..2].iter().all(|e| !e.is_empty()), "records and consent have state");
	let registry_before: Vec<_> = storage_entries(&rpc, &pallet_prefix::<Registry>(), pre)
		.await
		.unwrap()
		.into_iter()
		.filter(|(k, _)| {
			!k.starts_with(&Hospitals::<Runtime>::final_prefix())
				&& !k.starts_with(&v1::StaffCount::<Runtime>::final_prefix())
				&& k[..] != StorageVersion::storage_key::<Registry>()[..]
				&& !k.starts_with(&pallet_hospital_registry::Delegates::<Runtime>::final_prefix())
				&& !k.starts_with(&pallet_hospital_registry::Patients::<Runtime>::final_prefix())
		})
		.collect();
	let rpc_before: Vec<Value> = vec![
		rpc.call("ehr_hospitals", vec![]).await.unwrap(),
		rpc.call("ehr_record", vec![record.into()]).await.unwrap(),
		rpc.call("ehr_staffStatus", vec![Eve.to_account_id().to_string().into()]).await.unwrap(),
	];

	// 1. The council authorizes the new code; an unsigned extrinsic applies it.
	let t = Instant::now();
	let code_hash = H256(blake2_256(&new_code));
	let authorize =
		RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::authorize_runtime_upgrade {
			code_hash,
		});
	council_motion(&rpc, Alice, &[Alice, Bob, Charlie], authorize).await;
	let authorized_after = t.elapsed();
	let apply = UncheckedExtrinsic::new_bare(RuntimeCall::System(
		frame_system::Call::apply_authorized_upgrade { code: new_code.clone() },
	));
	let applied = rpc
		.submit_and_watch(&apply, Duration::from_secs(120))
		.await
		.unwrap_or_else(|e| panic!("applyAuthorizedUpgrade: {e}\n{}", nodes[0].log_tail(40)));
	assert!(
		applied
			.events
			.iter()
			.any(|e| matches!(e, RuntimeEvent::System(frame_system::Event::CodeUpdated { .. }))),
		"no CodeUpdated: {:?}",
		applied.events
	);
	eprintln!(
		"[{:?}] council motion in {authorized_after:?}; code of {} bytes applied in #{} after {:?}",
		started.elapsed(),
		new_code.len(),
		applied.block_number,
		t.elapsed()
	);

	// 2. Every node finalizes a block executed by the new runtime: the block after the one that
	// stored the code, whose first act was the registry's storage version 2 and the start of the
	// multi-block migrations.
	let first_new = applied.block_number + 1;
	for n in &nodes {
		let r = n.rpc().unwrap();
		let what = format!("node {} finalizes #{first_new}, of spec {new_spec}", n.name);
		let at = wait_until(&what, WAIT, || {
			let r = r.clone();
			async move {
				if r.finalized_number().await? < first_new {
					return Ok(None);
				}
				let f = r.finalized_hash().await?;
				Ok((spec_version(&r, Some(f)).await == new_spec).then_some(f))
			}
		})
		.await
		.unwrap_or_else(|e| panic!("{e}\n{}", n.log_tail(40)));
		let code = r.storage(sp_core::storage::well_known_keys::CODE, Some(at)).await.unwrap();
		assert!(code.as_deref() == Some(&new_code[..]), "node {} stores the new code", n.name);
	}
	eprintln!("[{:?}] all four finalize #{first_new}, of spec {new_spec}", started.elapsed());

	// The multi-block migrations take a step in each block from #first_new on, with no
	// transaction included, until `MultiBlockMigrations` reports `UpgradeCompleted`: their
	// events are in the finalized blocks from #first_new to that one.
	let (completed_at, migration_events) =
		wait_until("the multi-block migrations complete in a finalized block", WAIT, || {
			let rpc = rpc.clone();
			async move {
				let finalized = rpc.finalized_number().await?;
				let mut events = Vec::new();
				for n in first_new..=finalized {
					let Some(hash) = rpc.block_hash(n).await? else { return Ok(None) };
					for e in rpc.events(hash).await? {
						let event = e.event;
						assert!(!failed(&event), "a migration failed in #{n}: {event:?}");
						let completed = matches!(
							event,
							RuntimeEvent::MultiBlockMigrations(
								pallet_migrations::Event::UpgradeCompleted
							)
						);
						events.push(event);
						if completed {
							return Ok(Some((n, events)));
						}
					}
				}
				Ok(None)
			}
		})
		.await
		.unwrap_or_else(|e| panic!("{e}\n{}", nodes[0].log_tail(40)));
	let post = rpc.finalized_hash().await.unwrap();
	let post_number = rpc.finalized_number().await.unwrap();
	assert!(
		rpc.storage(&pallet_migrations::Cursor::<Runtime>::hashed_key(), Some(post))
			.await
			.unwrap()
			.is_none(),
		"no migration in progress at #{post_number}"
	);
	eprintln!(
		"[{:?}] the multi-block migrations completed in #{completed_at}, {} blocks after the \
		 upgrade (#{post_number} finalized)",
		started.elapsed(),
		completed_at - first_new + 1
	);

	// The migrations' post-upgrade checks, against the pre-upgrade snapshot.
	assert_eq!(storage_version(&rpc, post).await, StorageVersion::new(3));
	assert_eq!(
		storage_version_of::<pallet_patient_records::Pallet<Runtime>>(&rpc, post).await,
		StorageVersion::new(2)
	);
	assert_eq!(
		storage_version_of::<pallet_access_log::Pallet<Runtime>>(&rpc, post).await,
		StorageVersion::new(2)
	);
	assert!(
		storage_entries(&rpc, &ring, post).await.unwrap().is_empty(),
		"no entry of the access log is left in state"
	);
	let has = |wanted: &RuntimeEvent| migration_events.iter().any(|e| e == wanted);
	assert!(
		has(&RuntimeEvent::HospitalRegistry(pallet_hospital_registry::Event::GuardianRemoved {
			patient: Ferdie.to_account_id(),
			guardian: unbacked.clone(),
			hospital: 1,
			by_council: true,
		})),
		"the unbacked guardianship ended in #{first_new}..=#{completed_at}: {migration_events:?}"
	);
	assert!(
		has(&RuntimeEvent::PatientRecords(pallet_patient_records::Event::DuplicateCommitment {
			commitment,
			record: duplicate,
			first: record,
		})),
		"the duplicate named in #{first_new}..=#{completed_at}: {migration_events:?}"
	);
	let acts = |g: &ehr_client::runtime::AccountId| {
		let rpc = rpc.clone();
		let g = g.clone();
		async move {
			let key = pallet_hospital_registry::Delegates::<Runtime>::hashed_key_for(
				Ferdie.to_account_id(),
				g,
			);
			rpc.storage(&key, Some(post)).await.unwrap().is_some()
		}
	};
	assert!(!acts(&unbacked).await, "the unbacked guardian no longer acts for Ferdie");
	assert!(acts(&backed).await, "the guardian Alice General recorded still does");
	let index = pallet_patient_records::RecordOfCommitment::<Runtime>::hashed_key_for(commitment);
	let indexed = rpc.storage(&index, Some(post)).await.unwrap().expect("the commitment indexed");
	assert_eq!(u64::decode(&mut &indexed[..]).unwrap(), record, "indexed to the first record");
	assert_eq!(
		log_head(post).await.count,
		log_before.count + 1,
		"the ended guardianship is one more entry in Ferdie's log"
	);
	// Ferdie's log verifies through the RPC against the head, from the entries the node's index
	// holds: those the new runtime appended. The released runtime wrote none to the index, so
	// the walk back stops at the newest entry it appended (`missing`); those entries are in the
	// `EntryAppended` events of the blocks that appended them.
	let ferdie = Ferdie.to_account_id().to_string();
	let post_hex = format!("{post:?}");
	let verified: Value = rpc
		.call("ehr_verifyAccessLog", vec![ferdie.clone().into(), post_hex.clone().into()])
		.await
		.unwrap();
	assert_eq!(verified["verified"], Value::Bool(true), "{verified}");
	assert_eq!(verified["head"]["count"].as_u64(), Some(log_before.count + 1), "{verified}");
	assert_eq!(verified["fromSeq"].as_u64(), Some(log_before.count), "{verified}");
	let page: Value = rpc
		.call("ehr_accessLog", vec![ferdie.into(), Value::Null, 1000.into(), post_hex.into()])
		.await
		.unwrap();
	assert_eq!(page["missing"].as_u64(), Some(log_before.count - 1), "{page}");
	let hospitals_before = before.len();
	for (id, old, count) in before {
		let now = hospital(&rpc, id, post).await;
		assert_eq!(now.staff, count, "hospital {id}'s staff count after the migration");
		assert_eq!(now.encode(), old.upgraded(count).encode(), "hospital {id} after the migration");
	}
	assert!(
		storage_entries(&rpc, &v1::StaffCount::<Runtime>::final_prefix(), post)
			.await
			.unwrap()
			.is_empty(),
		"StaffCount was removed"
	);
	assert_eq!(
		storage_entries(&rpc, &Hospitals::<Runtime>::final_prefix(), post).await.unwrap().len(),
		hospitals_before,
		"no hospital added or lost"
	);
	let last_upgrade = frame_system::LastRuntimeUpgrade::<Runtime>::hashed_key();
	let raw = rpc.storage(&last_upgrade, Some(post)).await.unwrap().unwrap();
	let info = frame_system::LastRuntimeUpgradeInfo::decode(&mut &raw[..]).unwrap();
	assert_eq!(info.spec_version.0, new_spec, "LastRuntimeUpgrade");

	// 3. State survives: every other entry of the ehr-chain pallets is unchanged.
	for (p, was) in kept_prefixes.iter().zip(&kept_before) {
		let now: Vec<_> = storage_entries(&rpc, p, post)
			.await
			.unwrap()
			.into_iter()
			.filter(|(k, _)| kept(k))
			.collect();
		assert_eq!(&now, was, "state under {} changed", hex::encode(p));
	}
	let registry_after: Vec<_> = storage_entries(&rpc, &pallet_prefix::<Registry>(), post)
		.await
		.unwrap()
		.into_iter()
		.filter(|(k, _)| {
			!k.starts_with(&Hospitals::<Runtime>::final_prefix())
				&& k[..] != StorageVersion::storage_key::<Registry>()[..]
				&& !k.starts_with(&pallet_hospital_registry::Delegates::<Runtime>::final_prefix())
				&& !k.starts_with(&pallet_hospital_registry::Patients::<Runtime>::final_prefix())
		})
		.collect();
	assert_eq!(registry_after, registry_before, "the registry's other state changed");
	let rpc_after: Vec<Value> = vec![
		rpc.call("ehr_hospitals", vec![]).await.unwrap(),
		rpc.call("ehr_record", vec![record.into()]).await.unwrap(),
		rpc.call("ehr_staffStatus", vec![Eve.to_account_id().to_string().into()]).await.unwrap(),
	];
	assert_eq!(rpc_after, rpc_before, "the ehr_* RPC answers differently");

	// The hospitals go on on the new runtime (signed for the new spec_version): a fourth staff
	// member counts in the hospital itself, and a new record is anchored.
	submit(&rpc, Alice, register_staff(Two.to_account_id(), StaffRole::Lab)).await;
	let head = rpc.finalized_hash().await.unwrap();
	assert_eq!(hospital(&rpc, 0, head).await.staff, 4);
	submit(&rpc, Eve, add_record(2)).await;

	// Blocks keep being finalized by all four, with no conflict.
	let target = rpc.finalized_number().await.unwrap() + 5;
	network::finalized_by_all(&nodes, target, WAIT).await.unwrap();
	let common = network::no_conflicting_finality(&nodes).await.unwrap();
	eprintln!(
		"[{:?}] after the upgrade: hospital 0 has 4 staff, records go on, all four agree up \
		 to #{common}",
		started.elapsed()
	);
}

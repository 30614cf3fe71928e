//! # ehr-load
//!
//! A load run against an ehr-chain network. It starts the local network of four hospital
//! validators (or one development node, or uses running nodes given by `--url`), prepares fresh
//! actors through the hospital's own calls (doctors registered, patients enrolled, their consent
//! granted), then runs, in one run on the same network:
//!
//! * `transfer`: `balances.transferKeepAlive` between funded accounts, the baseline;
//! * `record`: `patientRecords.addRecord`, one record an extrinsic;
//! * `batch`: `patientRecords.addRecords`, 100 records an extrinsic;
//! * `reads`: `accessLog.logReads`, 100 read attempts an extrinsic (three served on a signed
//!   request for each one refused), logged by gateways of the records' custodian hospital;
//! * `decide`: `ehr_decide` consent decisions over JSON-RPC at a fixed offered rate.
//!
//! Every call is prepared before its scenario starts. Each signer's stream goes to one node (as a
//! hospital's EHR system talks to its own node) through an `ehr_client::Submitter` of that node,
//! which signs with nonces in order, paces each signer, resubmits what a pool drops and reports
//! every call's outcome; the tool keeps the number in flight within a window. Each run counts the
//! calls accepted, finalized, refused (by reason) and vanished (accepted without an outcome: a
//! healthy run has none). For every write scenario the tool
//! prints finalized units per second over the steady part of the run, submit-to-finality
//! p50/p99, how full the blocks were, and what bounded the rate; `--json` and `--markdown` write
//! the same figures to files (`scripts/load.sh` puts the markdown into `docs/performance.md`).

mod decide;
mod report;
mod stats;
mod stream;

use std::{
	path::PathBuf,
	time::{Duration, Instant},
};

use clap::{Parser, ValueEnum};
use ehr_client::{
	runtime::{AccountId, RuntimeCall},
	Rpc, Signer,
};
use ehr_testing::{
	content_of, grant_read, network, node_binary_from_env, register_staff, Node, NodeConfig,
	LOCAL_AUTHORITIES,
};
use pallet_consent::{Grantee, Scope};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{Category, NewRecord};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, H256};
use sp_keyring::Sr25519Keyring;

use crate::stream::{Lane, Plan, Tx};

/// Which network to run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Network {
	/// Start the local network: four hospital validators (Alice, Bob, Charlie, Dave).
	Local,
	/// Start one development node (Alice authors and finalizes alone).
	Dev,
}

/// A part of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
enum Scenario {
	/// `balances.transferKeepAlive`, the baseline.
	Transfer,
	/// `patientRecords.addRecord`, one record an extrinsic.
	Record,
	/// `patientRecords.addRecords`, `--batch-size` records an extrinsic.
	Batch,
	/// `accessLog.logReads`, `--reads-per-call` read attempts an extrinsic.
	Reads,
	/// `ehr_decide` over JSON-RPC.
	Decide,
}

/// A load run against an ehr-chain network.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
	/// Network to start when no `--url` is given.
	#[arg(long, value_enum, default_value = "local")]
	network: Network,
	/// The `ehr-node` binary to start (default: `$EHR_NODE_BIN`, else `ehr-node` on the PATH).
	#[arg(long)]
	node_bin: Option<PathBuf>,
	/// JSON-RPC endpoints (HTTP) of running nodes instead of starting a network; the first one's
	/// account //Alice must be an administrator of an active hospital, with funds.
	#[arg(long, value_delimiter = ',')]
	url: Vec<String>,
	/// Scenarios, in order.
	#[arg(
		long,
		value_enum,
		value_delimiter = ',',
		default_value = "transfer,record,batch,reads,decide"
	)]
	scenarios: Vec<Scenario>,
	/// Seconds each of `transfer` and `record` submits for.
	#[arg(long, default_value_t = 60)]
	duration: u64,
	/// Seconds `batch` submits for.
	#[arg(long, default_value_t = 60)]
	batch_duration: u64,
	/// Records in each `addRecords` extrinsic.
	#[arg(long, default_value_t = 100)]
	batch_size: usize,
	/// Read attempts in each `logReads` extrinsic (at most the runtime's 256).
	#[arg(long, default_value_t = 100)]
	reads_per_call: usize,
	/// First seconds of a write scenario left out of its sustained rate.
	#[arg(long, default_value_t = 10)]
	warmup: u64,
	/// Extrinsics kept in flight, in seconds of the best finalized rate seen so far.
	#[arg(long, default_value_t = 6.0)]
	window_secs: f64,
	/// Highest rate (extrinsics/s for `transfer` and `record`, records/s for `batch`) to
	/// prepare calls for; a scenario that runs out says so.
	#[arg(long, default_value_t = 2500)]
	presign_rate: u64,
	/// Signing accounts per write scenario (spread over the nodes).
	#[arg(long, default_value_t = 8)]
	signers: usize,
	/// Patients the records are about.
	#[arg(long, default_value_t = 64)]
	patients: usize,
	/// Seconds of the second phase of each write scenario, paced at 80% of the rate the first
	/// phase sustained, for the latency of a network that keeps up (0: skip it).
	#[arg(long, default_value_t = 30)]
	latency_duration: u64,
	/// Offered `ehr_decide` requests per second.
	#[arg(long, default_value_t = 2000.0)]
	decide_rate: f64,
	/// Seconds of decision load.
	#[arg(long, default_value_t = 30)]
	decide_duration: u64,
	/// Concurrent decision requests allowed.
	#[arg(long, default_value_t = 64)]
	decide_workers: usize,
	/// Write the figures as JSON here.
	#[arg(long)]
	json: Option<PathBuf>,
	/// Write the figures as a markdown section here.
	#[arg(long)]
	markdown: Option<PathBuf>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Signers (their submitter assigns the nonces).
struct Accounts(Vec<Signer>);

impl Accounts {
	fn derive(run: &str, role: &str, n: usize) -> Result<Self, BoxError> {
		let mut v = Vec::with_capacity(n);
		for i in 0..n {
			v.push(Signer::from_uri(&format!("//ehr-load//{run}//{role}//{i}"))?);
		}
		Ok(Accounts(v))
	}

	fn accounts(&self) -> Vec<AccountId> {
		self.0.iter().map(Signer::account).collect()
	}

	/// Prepares `count` calls, the `k`-th by signer `k % n`, and deals them to `lanes` lanes:
	/// signer `i` always to lane `i % lanes`, in order.
	fn deal(
		&self,
		count: usize,
		rpcs: &[Rpc],
		mut make: impl FnMut(usize, &Signer) -> (RuntimeCall, u32),
	) -> Vec<Lane> {
		let mut lanes: Vec<Lane> =
			rpcs.iter().map(|rpc| Lane { rpc: rpc.clone(), txs: Vec::new() }).collect();
		let n = self.0.len().max(1);
		for k in 0..count {
			let Some(signer) = self.0.get(k % n) else { break };
			let (call, units) = make(k, signer);
			lanes[(k % n) % rpcs.len()].txs.push(Tx { signer: signer.clone(), call, units });
		}
		lanes
	}
}

/// A record's content: `seed` stands for the ciphertext of a 100 KiB document (only its digest
/// and CID go on chain).
fn content(seed: &str) -> pallet_patient_records::ContentInput {
	content_of(seed.as_bytes(), 100 * 1024)
}

/// Runs a setup stream to the end and fails if any call was refused, failed or vanished.
async fn settle(what: &str, lanes: Vec<Lane>, watch: &Rpc) -> Result<(), BoxError> {
	let total: usize = lanes.iter().map(|l| l.txs.len()).sum();
	let plan = Plan {
		name: what.into(),
		duration: None,
		warmup: Duration::ZERO,
		window_secs: 1.0,
		min_in_flight: 4000,
		max_in_flight: 4000,
		drain: Duration::from_secs(120),
		pace: None,
	};
	let out = stream::run(plan, lanes, watch.clone()).await?;
	if out.finalized as usize != total {
		return Err(format!(
			"setup step {what}: {} of {total} calls finalized ({} refused: {:?}; {} failed: {:?}; \
			 {} vanished)",
			out.finalized, out.refused, out.refusals, out.failed, out.first_failure, out.vanished
		)
		.into());
	}
	eprintln!("setup: {what}: {total} extrinsics finalized");
	Ok(())
}

struct Started {
	_nodes: Vec<Node>,
	rpcs: Vec<Rpc>,
}

async fn start_network(cli: &Cli) -> Result<Started, BoxError> {
	if !cli.url.is_empty() {
		let rpcs = cli.url.iter().map(|u| Rpc::new(u)).collect::<Result<Vec<_>, _>>()?;
		return Ok(Started { _nodes: Vec::new(), rpcs });
	}
	let bin = cli
		.node_bin
		.clone()
		.or_else(node_binary_from_env)
		.unwrap_or_else(|| PathBuf::from("ehr-node"));
	let configs: Vec<NodeConfig> = match cli.network {
		Network::Local => {
			LOCAL_AUTHORITIES.iter().map(|name| NodeConfig::local_authority(&bin, name)).collect()
		},
		Network::Dev => vec![NodeConfig::dev(&bin)],
	};
	let nodes = network::start(configs, Duration::from_secs(60)).await?;
	nodes[0].finalized_at_least(3, Duration::from_secs(120)).await?;
	let rpcs = nodes.iter().map(Node::rpc).collect::<Result<Vec<_>, _>>()?;
	let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
	eprintln!("network: {} node(s) up and finalizing: {}", nodes.len(), names.join(", "));
	Ok(Started { _nodes: nodes, rpcs })
}

/// Where the load goes.
struct Net<'a> {
	rpcs: &'a [Rpc],
	watch: &'a Rpc,
}

/// One write scenario in two phases on the same signers: as fast as the network finalizes
/// (the sustained rate), then paced at 80% of that rate (the latency of a loaded network that
/// keeps up).
async fn write_scenario(
	cli: &Cli,
	scenario: Scenario,
	net: &Net<'_>,
	signers: &Accounts,
	units: u32,
	secs: u64,
	make: impl Fn(usize) -> RuntimeCall,
) -> Result<report::WriteRun, BoxError> {
	let label = report::label(scenario);
	let count = (cli.presign_rate * secs) as usize / units as usize + 1;
	let t = Instant::now();
	let lanes = signers.deal(count, net.rpcs, |k, _| (make(k), units));
	eprintln!("{label}: {count} calls prepared in {:.1?}", t.elapsed());
	let min_in_flight = (1000 / units as usize).max(4);
	let plan = Plan {
		name: label.into(),
		duration: Some(Duration::from_secs(secs)),
		warmup: Duration::from_secs(cli.warmup),
		window_secs: cli.window_secs,
		min_in_flight,
		max_in_flight: 6000,
		drain: Duration::from_secs(120),
		pace: None,
	};
	let saturated = stream::run(plan.clone(), lanes, net.watch.clone()).await?;
	let rate = saturated.sustained.per_second / units as f64;
	if cli.latency_duration == 0 || rate <= 0.0 {
		return Ok(report::WriteRun { scenario, plan, saturated, paced: None });
	}

	// The second phase's submitters take each signer's next nonce from the node.
	let pace = 0.8 * rate;
	let count = (pace * cli.latency_duration as f64) as usize + 1;
	let lanes = signers.deal(count, net.rpcs, |k, _| (make(1 << 40 | k), units));
	let paced_plan = Plan {
		name: format!("{label}@80%"),
		duration: Some(Duration::from_secs(cli.latency_duration)),
		warmup: Duration::ZERO,
		min_in_flight: 6000,
		pace: Some(pace),
		..plan.clone()
	};
	let paced = stream::run(paced_plan, lanes, net.watch.clone()).await?;
	Ok(report::WriteRun { scenario, plan, saturated, paced: Some((pace * units as f64, paced)) })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
	let cli = Cli::parse();
	match run(cli).await {
		Ok(ok) => {
			if !ok {
				std::process::exit(1);
			}
		},
		Err(e) => {
			eprintln!("ehr-load: {e}");
			std::process::exit(2);
		},
	}
}

async fn run(cli: Cli) -> Result<bool, BoxError> {
	let started = Instant::now();
	let net = start_network(&cli).await?;
	let rpcs = net.rpcs.clone();
	let watch = rpcs[0].clone();
	let run_id = format!(
		"{}",
		std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs()
	);

	// Actors: fresh accounts for this run, so a running network can be loaded again.
	let admin = Signer::new(Sr25519Keyring::Alice.pair());
	let senders = Accounts::derive(&run_id, "sender", cli.signers)?;
	let record_doctors = Accounts::derive(&run_id, "doctor", cli.signers)?;
	let batch_doctors = Accounts::derive(&run_id, "batch-doctor", cli.signers)?;
	let patients = Accounts::derive(&run_id, "patient", cli.patients)?;
	let gateways = Accounts::derive(&run_id, "gateway", cli.signers)?;
	let reader = Signer::from_uri(&format!("//ehr-load//{run_id}//reader"))?;
	let patient_ids = patients.accounts();

	// Alice's hospital registers the doctors, enrols the patients and funds the signers.
	let mut setup: Vec<RuntimeCall> = Vec::new();
	for d in record_doctors.accounts().into_iter().chain(batch_doctors.accounts()) {
		setup.push(register_staff(d, StaffRole::Doctor));
	}
	setup.push(register_staff(reader.account(), StaffRole::Doctor));
	for g in gateways.accounts() {
		setup.push(register_staff(g, StaffRole::Gateway));
	}
	for (i, p) in patient_ids.iter().enumerate() {
		setup.push(RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::enrol_patient {
			patient: p.clone(),
			commitment: H256(sp_io::hashing::blake2_256(format!("{run_id}/{i}").as_bytes())),
		}));
	}
	for who in senders
		.accounts()
		.into_iter()
		.chain(record_doctors.accounts())
		.chain(batch_doctors.accounts())
		.chain(gateways.accounts())
	{
		setup.push(RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: who.into(),
			value: 1_000 * ehr_runtime::UNIT,
		}));
	}
	let admin_acc = Accounts(vec![admin]);
	let n = setup.len();
	let lanes = admin_acc.deal(n, &rpcs[..1], |k, _| (setup[k].clone(), 1));
	settle("registry and funds", lanes, &watch).await?;

	// Every patient grants the reader lab results for treatment (feeless: patients hold nothing).
	let ends = watch.now_ms().await? + 24 * 3_600_000;
	let reader_id = reader.account();
	let lanes = patients.deal(patient_ids.len(), &rpcs, |_, p| {
		let call = grant_read(
			p.account(),
			Grantee::Staff(reader_id.clone()),
			Scope::Categories(vec![Category::LabResult].try_into().expect("one category fits")),
			ends,
		);
		(call, 1)
	});
	settle("patients' grants", lanes, &watch).await?;

	// The records the gateways log reads of: one a patient, anchored by a doctor of the hospital
	// whose gateways log them (hospital 0, Alice's).
	let read_records: Vec<u64> = if cli.scenarios.contains(&Scenario::Reads) {
		let anchor = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_records {
			records: patient_ids
				.iter()
				.enumerate()
				.map(|(i, p)| NewRecord {
					patient: p.clone(),
					category: Category::LabResult,
					content: content(&format!("{run_id}/read-record/{i}")),
				})
				.collect(),
		});
		let events = ehr_testing::submit(&watch, record_doctors.0[0].clone(), anchor).await;
		let ids = ehr_testing::records_added(&events);
		eprintln!("setup: {} records to log reads of", ids.len());
		ids
	} else {
		Vec::new()
	};

	let mut report = report::Report::new(&cli, rpcs.len());
	let dests: Vec<AccountId> = Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect();
	let net = Net { rpcs: &rpcs, watch: &watch };
	for scenario in &cli.scenarios {
		match scenario {
			Scenario::Transfer => {
				let make = |k: usize| {
					RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
						dest: dests[k % dests.len()].clone().into(),
						value: ehr_runtime::MILLI_UNIT,
					})
				};
				let w =
					write_scenario(&cli, *scenario, &net, &senders, 1, cli.duration, make).await?;
				report.write(w);
			},
			Scenario::Record => {
				let make = |k: usize| {
					RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
						patient: patient_ids[k % patient_ids.len()].clone(),
						category: Category::LabResult,
						content: content(&format!("{run_id}/record/{k}")),
					})
				};
				let w =
					write_scenario(&cli, *scenario, &net, &record_doctors, 1, cli.duration, make)
						.await?;
				report.write(w);
			},
			Scenario::Batch => {
				let size = cli.batch_size.max(1);
				let make = |k: usize| {
					let records = (0..size)
						.map(|j| NewRecord {
							patient: patient_ids[(k * size + j) % patient_ids.len()].clone(),
							category: Category::LabResult,
							content: content(&format!("{run_id}/batch/{k}/{j}")),
						})
						.collect();
					RuntimeCall::PatientRecords(pallet_patient_records::Call::add_records {
						records,
					})
				};
				let w = write_scenario(
					&cli,
					*scenario,
					&net,
					&batch_doctors,
					size as u32,
					cli.batch_duration,
					make,
				)
				.await?;
				report.write(w);
			},
			Scenario::Reads => {
				// The runtime takes at most 256 entries a call (`MaxReadsPerCall`).
				let size = cli.reads_per_call.clamp(1, 256);
				let make = |k: usize| {
					let entries: Vec<_> = (0..size)
						.map(|j| pallet_access_log::ReadLog {
							record: read_records[(k * size + j) % read_records.len().max(1)],
							accessor: reader_id.clone(),
							purpose: pallet_access_log::Purpose::Treatment,
							outcome: if j % 4 == 3 {
								pallet_access_log::ReadOutcome::Refused
							} else {
								pallet_access_log::ReadOutcome::Served {
									request: H256(sp_io::hashing::blake2_256(
										format!("{run_id}/read/{k}/{j}").as_bytes(),
									)),
								}
							},
						})
						.collect();
					RuntimeCall::AccessLog(pallet_access_log::Call::log_reads {
						entries: entries.try_into().unwrap_or_default(),
					})
				};
				let w = write_scenario(
					&cli,
					*scenario,
					&net,
					&gateways,
					size as u32,
					cli.duration,
					make,
				)
				.await?;
				report.write(w);
			},
			Scenario::Decide => {
				let reader_s = reader_id.to_ss58check();
				let other = record_doctors.0[0].account().to_ss58check();
				let queries: Vec<Vec<Value>> = patient_ids
					.iter()
					.flat_map(|p| {
						let p = p.to_ss58check();
						[
							// Permitted by the patient's grant.
							vec![
								reader_s.clone().into(),
								p.clone().into(),
								json!({ "category": "labResult" }),
								"treatment".into(),
								"read".into(),
							],
							// Denied: no grant names this doctor.
							vec![
								other.clone().into(),
								p.into(),
								json!({ "category": "clinicalNote" }),
								"treatment".into(),
								"read".into(),
							],
						]
					})
					.collect();
				eprintln!(
					"decide: {} requests/s for {} s, {} workers, against {}",
					cli.decide_rate,
					cli.decide_duration,
					cli.decide_workers,
					watch.url()
				);
				let out = decide::run(
					watch.clone(),
					queries,
					cli.decide_rate,
					Duration::from_secs(cli.decide_duration),
					cli.decide_workers,
				)
				.await;
				report.decide(out);
			},
		}
	}
	report.finish(started.elapsed());
	eprintln!("\n{}", report.markdown());
	if let Some(p) = &cli.json {
		std::fs::write(p, serde_json::to_string_pretty(&report)?)?;
	}
	if let Some(p) = &cli.markdown {
		std::fs::write(p, report.markdown())?;
	}
	Ok(report.healthy())
}

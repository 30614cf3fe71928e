//! `ehr-doc`: a hospital integrator's command-line client of ehr-chain documents.
//!
//! ```text
//! ehr-doc key         --suri //Bob                       # account and encryption key
//! ehr-doc publish-key --suri //Bob                       # hospitalRegistry.setEncryptionKey
//! ehr-doc upload      --suri //Bob --file note.pdf [--patient <addr> --category clinicalNote]
//! ehr-doc fetch       --suri //Dave --record 3 --out note.pdf [--purpose treatment]
//! ehr-doc verify      --record 3 --file sealed.bin
//! ehr-doc erase       --suri //Alice --record 3 [--gateway http://127.0.0.1:8440]
//! ```
//!
//! `upload` seals the file under a fresh key (XChaCha20-Poly1305), wraps the key to the
//! custodian key the uploader's hospital gateway registered on chain, uploads it, and with
//! `--patient` anchors it as a record. `fetch` reads the record at the finalized block, asks its
//! custodian's gateway (found in the registry) with a signed request, checks the bytes against
//! the chain and decrypts them with the requester's key. `erase` asks the custodian's gateway,
//! in a request signed by the hospital's admin, one of its `Administrator` staff or the
//! gateway's own account, to erase a deleted record's document. Every request to a gateway
//! names the genesis hash of the chain of the node `--rpc` points at. Results are JSON on
//! standard output; exit code 0 on success, 1 on a failure or refusal (explained on standard
//! error).

use std::{path::PathBuf, time::Duration};

use clap::{Parser, Subcommand};
use ehr_client::{
	gateway::{self, Purpose},
	keys::EncryptionSecret,
	runtime::RuntimeCall,
	Rpc, Signer,
};
use pallet_hospital_registry::StaffCheck;
use pallet_patient_records::{Category, RecordId};
use serde_json::{json, Value};

/// Documents of ehr-chain: seal and upload, anchor, fetch and open, verify, erase.
#[derive(Debug, Parser)]
#[command(name = "ehr-doc", version)]
struct Args {
	/// HTTP JSON-RPC URL of a node.
	#[arg(long, global = true, default_value = "http://127.0.0.1:9944")]
	rpc: String,
	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// Print an account and its encryption key (derived from its secret).
	Key {
		/// Secret URI of the account.
		#[arg(long)]
		suri: String,
	},
	/// Publish the account's encryption key in the registry.
	PublishKey {
		/// Secret URI of a staff member or patient.
		#[arg(long)]
		suri: String,
	},
	/// Seal a file, upload it to the uploader's hospital gateway, and optionally anchor it.
	Upload {
		/// Secret URI of a staff member of the custodian hospital.
		#[arg(long)]
		suri: String,
		/// The document.
		#[arg(long)]
		file: PathBuf,
		/// Gateway URL (default: the one the uploader's hospital registered).
		#[arg(long)]
		gateway: Option<String>,
		/// Anchor it as a record of this patient (SS58 or 0x hex).
		#[arg(long)]
		patient: Option<String>,
		/// The record's category (camelCase: clinicalNote, labResult, imaging, ...).
		#[arg(long, default_value = "clinicalNote")]
		category: String,
	},
	/// Fetch a record's document from its custodian's gateway, check it and decrypt it.
	Fetch {
		/// Secret URI of the requester.
		#[arg(long)]
		suri: String,
		/// The record.
		#[arg(long)]
		record: RecordId,
		/// Where to write the plaintext.
		#[arg(long)]
		out: PathBuf,
		/// Purpose of use (treatment, emergencyTreatment, payment, research).
		#[arg(long, default_value = "treatment")]
		purpose: String,
	},
	/// Check sealed bytes against a record's commitment and CID on chain.
	Verify {
		/// The record.
		#[arg(long)]
		record: RecordId,
		/// The sealed bytes.
		#[arg(long)]
		file: PathBuf,
	},
	/// Ask the custodian's gateway to erase a deleted record's document.
	Erase {
		/// Secret URI of the hospital's admin, one of its `Administrator` staff, or its
		/// gateway's account.
		#[arg(long)]
		suri: String,
		/// The record.
		#[arg(long)]
		record: RecordId,
		/// Gateway URL (default: the custodian's registered one).
		#[arg(long)]
		gateway: Option<String>,
	},
}

fn fail(e: impl std::fmt::Display) -> String {
	e.to_string()
}

fn enum_arg<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, String> {
	serde_json::from_value(Value::from(s)).map_err(|_| format!("unknown {what} {s:?}"))
}

async fn run(args: Args) -> Result<Value, String> {
	let rpc = Rpc::new(&args.rpc).map_err(fail)?;
	match args.command {
		Command::Key { suri } => {
			let s = Signer::from_uri(&suri).map_err(fail)?;
			let key = EncryptionSecret::from_sr25519(s.pair()).public();
			Ok(
				json!({ "account": s.account().to_string(), "encryptionKey": format!("0x{}", hex::encode(key)) }),
			)
		},
		Command::PublishKey { suri } => {
			let s = Signer::from_uri(&suri).map_err(fail)?;
			let key = EncryptionSecret::from_sr25519(s.pair()).public();
			let call =
				RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::set_encryption_key {
					key,
				});
			let inc = rpc.sign_and_watch(&s, call, Duration::from_secs(120)).await.map_err(fail)?;
			Ok(json!({
				"account": s.account().to_string(),
				"encryptionKey": format!("0x{}", hex::encode(key)),
				"block": inc.block_number,
			}))
		},
		Command::Upload { suri, file, gateway, patient, category } => {
			let s = Signer::from_uri(&suri).map_err(fail)?;
			let plain = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
			let gw = match gateway {
				Some(url) => {
					let genesis = rpc.genesis_hash().await.map_err(fail)?;
					gateway::Gateway::new(&url, genesis).map_err(fail)?
				},
				None => {
					let check: StaffCheck = rpc
						.runtime_call("HospitalRegistryApi_staff_check", &s.account(), None)
						.await
						.map_err(fail)?;
					let StaffCheck::Active(staff) = check else {
						return Err(format!("{} is not active staff: {check:?}", s.account()));
					};
					gateway::gateway_of(&rpc, staff.hospital).await.map_err(fail)?
				},
			};
			let category: Category = enum_arg("category", &category)?;
			let (sealed, stored) = gateway::upload(&rpc, &gw, &s, &plain).await.map_err(fail)?;
			let mut out = json!({
				"cid": stored.cid,
				"commitment": stored.commitment,
				"size": stored.size,
				"gateway": gw.url(),
			});
			if let Some(p) = patient {
				let patient = ehr_gateway::parse_account(&p)?;
				let call = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
					patient,
					category,
					content: sealed.content(),
				});
				let inc =
					rpc.sign_and_watch(&s, call, Duration::from_secs(120)).await.map_err(fail)?;
				let record = inc.events.iter().find_map(|e| match e {
					ehr_client::runtime::RuntimeEvent::PatientRecords(
						pallet_patient_records::Event::RecordAdded { record, .. },
					) => Some(*record),
					_ => None,
				});
				out["record"] = json!(record);
				out["block"] = json!(inc.block_number);
			}
			// The data key now exists only wrapped to the custodian: `sealed` is dropped here.
			Ok(out)
		},
		Command::Fetch { suri, record, out, purpose } => {
			let s = Signer::from_uri(&suri).map_err(fail)?;
			let purpose: Purpose = enum_arg("purpose", &purpose)?;
			let secret = EncryptionSecret::from_sr25519(s.pair());
			let (plain, fetched) =
				gateway::fetch_document(&rpc, &s, &secret, record, purpose).await.map_err(fail)?;
			std::fs::write(&out, &plain).map_err(|e| format!("{}: {e}", out.display()))?;
			Ok(json!({
				"record": record,
				"cid": fetched.cid,
				"bytes": plain.len(),
				"out": out,
				"logged": fetched.logged,
			}))
		},
		Command::Verify { record, file } => {
			let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
			let rec = gateway::finalized_record(&rpc, record)
				.await
				.map_err(fail)?
				.ok_or_else(|| format!("no record {record}"))?;
			let digest = sp_io::hashing::sha2_256(&bytes);
			let ok = digest == rec.content.commitment.0;
			if !ok {
				return Err(format!(
					"{} does not match record {record}: sha2-256 0x{} is not the commitment {:?}",
					file.display(),
					hex::encode(digest),
					rec.content.commitment
				));
			}
			Ok(json!({ "record": record, "matches": true, "commitment": rec.content.commitment }))
		},
		Command::Erase { suri, record, gateway } => {
			let s = Signer::from_uri(&suri).map_err(fail)?;
			let (gw, hospital) = match gateway {
				Some(url) => {
					let genesis = rpc.genesis_hash().await.map_err(fail)?;
					let gw = gateway::Gateway::new(&url, genesis).map_err(fail)?;
					let hospital = gw.info().await.map_err(fail)?.hospital;
					(gw, hospital)
				},
				None => {
					let rec = gateway::finalized_record(&rpc, record)
						.await
						.map_err(fail)?
						.ok_or_else(|| format!("no record {record}"))?;
					let c = rec.custodian.ok_or("the patient keeps this record's document")?;
					(gateway::gateway_of(&rpc, c).await.map_err(fail)?, c)
				},
			};
			let erased = gw.erase(&s, hospital, record).await.map_err(fail)?;
			serde_json::to_value(erased).map_err(fail)
		},
	}
}

fn main() {
	let args = Args::parse();
	let rt = match tokio::runtime::Runtime::new() {
		Ok(rt) => rt,
		Err(e) => {
			eprintln!("ehr-doc: {e}");
			std::process::exit(1);
		},
	};
	match rt.block_on(run(args)) {
		Ok(v) => println!("{v:#}"),
		Err(e) => {
			eprintln!("ehr-doc: {e}");
			std::process::exit(1);
		},
	}
}

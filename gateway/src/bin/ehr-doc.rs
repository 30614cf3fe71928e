//! `ehr-doc`: a hospital integrator's command-line client of ehr-chain documents.
//!
//! ```text
//! ehr-doc key         --suri //Bob                       # account and encryption key
//! ehr-doc publish-key --suri //Bob                       # hospitalRegistry.setEncryptionKey
//! ehr-doc upload      --suri //Bob --file note.pdf [--patient <addr> --category clinicalNote]
//! ehr-doc fetch       --suri //Dave --record 3 --out note.pdf [--purpose treatment]
//! ehr-doc seal        --file scan.dcm --out scan.sealed --key-out scan.key   # any size, streamed
//! ehr-doc open        --record 3 --file scan.sealed --key-file scan.key --out scan.dcm
//! ehr-doc verify      --record 3 --file sealed.bin
//! ehr-doc erase       --suri //Alice --record 3 [--gateway http://127.0.0.1:8440]
//! ehr-doc requests    --suri //Charlie [--patient <addr>] [--gateway http://127.0.0.1:8440]
//! ehr-doc directory sign --suri //Alice --list staff.json --out directory.json [--hospital 0]
//! ehr-doc directory show --hospital 0 [--gateway http://127.0.0.1:8440]
//! ```
//!
//! `upload` seals the file under a fresh key (ChaCha20-Poly1305, a chunk at a time), wraps the
//! key to the custodian key the uploader's hospital gateway registered on chain, uploads it
//! through the gateway's streamed route, and with `--patient` anchors it as a record. `fetch`
//! reads the record at the finalized block, asks its custodian's gateway (found in the
//! registry) with a signed request, receives the sealed bytes into a file, checks them against
//! the chain and decrypts them with the requester's key. Both work in bounded memory, for a
//! document of any size the gateway accepts. `erase` asks the custodian's gateway,
//! in a request signed by the hospital's admin, one of its `Administrator` staff or the
//! gateway's own account, to erase a deleted record's document. `requests`, run by a patient
//! (or a delegate or guardian), reads the patient's access log at the finalized block and
//! verifies it against the head, asks each gateway that logged a served read for the signed
//! requests it served of the patient's records, and checks every served read of the log against
//! the request it names: proven, or not and why. `directory sign`, run by a hospital's admin,
//! signs the hospital's staff directory from a plain JSON list
//! (`[{"account": "5…", "name": "Dr. Ana Silva", "role": "Doctor", "department": "Cardiology"}]`)
//! into the file its gateway serves (`ehr-gateway --staff-directory`), and says which entries
//! the chain does not confirm; `directory show` fetches a hospital's directory from its gateway
//! and checks it against the chain. Every request to a gateway names the genesis
//! hash of the chain of the node `--rpc` points at. Results are JSON on
//! standard output; exit code 0 on success, 1 on a failure or refusal (explained on standard
//! error; a consent refusal of `fetch` in words, as the node explains the same decision:
//! `refused: the patient revoked grant #3 on 2026-11-25 14:00 UTC (…)`). An `https://` gateway's
//! certificate is checked against the system's roots, or with `--ca-file` (or `EHR_CA_FILE`)
//! against that file's authorities only.

use std::{
	collections::{BTreeMap, BTreeSet},
	path::PathBuf,
	time::Duration,
};

use clap::{Parser, Subcommand};
use ehr_client::{
	audit,
	directory::{self, DirectoryEntry},
	document,
	gateway::{self, Purpose, ServedRequest},
	keys::EncryptionSecret,
	runtime::{AccountId, RuntimeCall},
	transfer, Rpc, Signer,
};
use pallet_access_log::{LogAction, Subject};
use pallet_consent::{Action, Decision, Target};
use pallet_hospital_registry::{HospitalId, HospitalInfo, StaffCheck};
use pallet_patient_records::{Category, RecordId};
use serde_json::{json, Value};
use sp_core::H256;

/// Documents of ehr-chain: seal and upload, anchor, fetch and open, verify, erase, and check
/// served reads against the requests they name.
#[derive(Debug, Parser)]
#[command(name = "ehr-doc", version)]
struct Args {
	/// HTTP JSON-RPC URL of a node.
	#[arg(long, global = true, default_value = "http://127.0.0.1:9944")]
	rpc: String,
	/// Check `https://` gateways against the certificate authorities of this PEM file instead of
	/// the system's roots (the same as setting `EHR_CA_FILE`).
	#[arg(long, global = true)]
	ca_file: Option<PathBuf>,
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
	/// Seal a file into another, a chunk at a time (any size, in bounded memory), under a fresh
	/// key written to a file of its own (mode 0600): the content a record anchors is printed.
	Seal {
		/// The document.
		#[arg(long)]
		file: PathBuf,
		/// Where to write the sealed bytes (must not exist).
		#[arg(long)]
		out: PathBuf,
		/// Where to write the document key, hex (must not exist; keep it in the hospital's key
		/// store, or destroy it to erase the document).
		#[arg(long)]
		key_out: PathBuf,
	},
	/// Open a sealed file of a record with its document key, a chunk at a time, checking it
	/// against the record's commitment on chain (or against `--commitment`).
	Open {
		/// The record.
		#[arg(long, required_unless_present = "commitment", conflicts_with = "commitment")]
		record: Option<RecordId>,
		/// Check against this SHA2-256 commitment (0x hex) instead of a record's, without a
		/// node: for a file sealed by `ehr-doc seal` (the streamed scheme).
		#[arg(long)]
		commitment: Option<String>,
		/// The sealed bytes.
		#[arg(long)]
		file: PathBuf,
		/// The file holding the document key, hex.
		#[arg(long)]
		key_file: PathBuf,
		/// Where to write the plaintext (mode 0600; written whole or not at all).
		#[arg(long)]
		out: PathBuf,
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
	/// Check each served read in a patient's access log against the signed request it names,
	/// fetched from the gateway that served it.
	Requests {
		/// Secret URI of the patient, a delegate or a guardian.
		#[arg(long)]
		suri: String,
		/// The patient (SS58 or 0x hex; default: the signer).
		#[arg(long)]
		patient: Option<String>,
		/// Ask only this gateway (default: the registered gateway of each hospital that logged
		/// a served read of the patient).
		#[arg(long)]
		gateway: Option<String>,
	},
	/// A hospital's staff directory: sign it (its admin), or fetch and check it.
	Directory {
		#[command(subcommand)]
		command: DirectoryCommand,
	},
}

#[derive(Debug, Subcommand)]
enum DirectoryCommand {
	/// Sign the staff directory of the signer's hospital from a plain JSON list of staff, into
	/// the file its gateway serves; print which entries the chain does not confirm.
	Sign {
		/// Secret URI of the hospital's admin.
		#[arg(long, conflicts_with = "suri_file")]
		suri: Option<String>,
		/// File holding the admin's secret URI.
		#[arg(long)]
		suri_file: Option<PathBuf>,
		/// The staff: a JSON list of `{"account", "name", "role", "department"?}`.
		#[arg(long)]
		list: PathBuf,
		/// Where to write the signed directory (replaced whole, so a gateway reading it never
		/// sees half a file).
		#[arg(long)]
		out: PathBuf,
		/// The hospital (default: the one whose admin the signer is).
		#[arg(long)]
		hospital: Option<HospitalId>,
	},
	/// Fetch a hospital's staff directory from its gateway and check it against the chain at
	/// the finalized block.
	Show {
		/// The hospital.
		#[arg(long)]
		hospital: HospitalId,
		/// Gateway URL (default: the hospital's registered one).
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
			// Sealed and sent a chunk at a time, whatever the file's size.
			let (sealed, stored) =
				transfer::upload_file(&rpc, &gw, &s, &file).await.map_err(fail)?;
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
			// Received and opened a chunk at a time, whatever the document's size.
			let fetched =
				transfer::fetch_document_to_file(&rpc, &s, &secret, record, purpose, &out).await;
			let (bytes, fetched) = match fetched {
				Ok(got) => got,
				Err(ehr_client::Error::Refused(r)) if r.refusal == gateway::Refusal::Denied => {
					let words = denial_words(&rpc, &s.account(), record, purpose, &r).await;
					return Err(match words {
						Some(words) => format!("refused: {words} ({r})"),
						None => r.to_string(),
					});
				},
				Err(e) => return Err(fail(e)),
			};
			Ok(json!({
				"record": record,
				"cid": fetched.cid,
				"bytes": bytes,
				"out": out,
				"logged": fetched.logged,
				"request": fetched.request,
			}))
		},
		Command::Seal { file, out, key_out } => {
			let shown = |p: &std::path::Path, e: std::io::Error| format!("{}: {e}", p.display());
			let input = std::fs::File::open(&file).map_err(|e| shown(&file, e))?;
			let create = |p: &std::path::Path, mode: u32| {
				use std::os::unix::fs::OpenOptionsExt;
				std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(p)
			};
			let output = create(&out, 0o644).map_err(|e| shown(&out, e))?;
			let mut key_file = create(&key_out, 0o600).map_err(|e| shown(&key_out, e))?;
			let sealed = document::seal_stream(
				std::io::BufReader::with_capacity(1 << 20, input),
				std::io::BufWriter::with_capacity(1 << 20, &output),
			);
			let sealed = match sealed.and_then(|s| output.sync_all().map(|()| s)) {
				Ok(s) => s,
				Err(e) => {
					let _ = std::fs::remove_file(&out);
					let _ = std::fs::remove_file(&key_out);
					return Err(shown(&file, e));
				},
			};
			use std::io::Write as _;
			writeln!(key_file, "{}", hex::encode(sealed.key))
				.and_then(|()| key_file.sync_all())
				.map_err(|e| shown(&key_out, e))?;
			let c = sealed.content();
			Ok(json!({
				"commitment": c.commitment,
				"cid": pallet_patient_records_rpc::cid_string(&c.cid),
				"scheme": c.scheme,
				"size": c.size,
				"out": out,
				"keyFile": key_out,
			}))
		},
		Command::Open { record, commitment, file, key_file, out } => {
			let (scheme, commitment, what) = match (record, commitment) {
				(Some(record), _) => {
					let rec = gateway::finalized_record(&rpc, record)
						.await
						.map_err(fail)?
						.ok_or_else(|| format!("no record {record}"))?;
					(
						rec.content.scheme,
						rec.content.commitment,
						format!("record {record}'s document"),
					)
				},
				(None, Some(c)) => {
					let c: [u8; 32] = hex::decode(c.trim_start_matches("0x"))
						.ok()
						.and_then(|c| c.try_into().ok())
						.ok_or("--commitment is not 32 bytes of hex")?;
					let scheme = pallet_patient_records::EncryptionScheme::ChaCha20Poly1305Stream;
					(scheme, H256(c), format!("the document of commitment {:?}", H256(c)))
				},
				(None, None) => return Err("give --record or --commitment".into()),
			};
			let text = std::fs::read_to_string(&key_file)
				.map_err(|e| format!("{}: {e}", key_file.display()))?;
			let key: [u8; 32] = hex::decode(text.trim().trim_start_matches("0x"))
				.ok()
				.and_then(|k| k.try_into().ok())
				.ok_or_else(|| {
					format!("{} does not hold a 256-bit key in hex", key_file.display())
				})?;
			let input =
				std::fs::File::open(&file).map_err(|e| format!("{}: {e}", file.display()))?;
			// Written under a temporary name and renamed once every chunk opened and the whole
			// matched the commitment: a partial or unproven plaintext is never left at `out`.
			let partial = out.with_extension("partial");
			let opened = {
				use std::os::unix::fs::OpenOptionsExt;
				// Created new: never through a link someone left there, never over the input
				// or another open's file.
				let output = std::fs::OpenOptions::new()
					.write(true)
					.create_new(true)
					.mode(0o600)
					.open(&partial)
					.map_err(|e| format!("{}: {e}", partial.display()))?;
				let reader = std::io::BufReader::with_capacity(1 << 20, input);
				let opened = match scheme {
					pallet_patient_records::EncryptionScheme::ChaCha20Poly1305Stream => {
						document::open_stream(
							reader,
							std::io::BufWriter::with_capacity(1 << 20, &output),
							&key,
							commitment,
						)
						.map_err(fail)
					},
					other => {
						let bytes = std::fs::read(&file).map_err(fail)?;
						document::open(other, &bytes, &key, commitment).map_err(fail).and_then(
							|plain| {
								use std::io::Write as _;
								(&output).write_all(&plain).map_err(fail)?;
								Ok(plain.len() as u64)
							},
						)
					},
				};
				opened.and_then(|n| output.sync_all().map(|()| n).map_err(fail))
			};
			match opened {
				Ok(size) => {
					std::fs::rename(&partial, &out)
						.map_err(|e| format!("{}: {e}", out.display()))?;
					Ok(
						json!({ "record": record, "commitment": commitment, "size": size, "out": out }),
					)
				},
				Err(e) => {
					let _ = std::fs::remove_file(&partial);
					Err(format!("{} does not open as {what}: {e}", file.display()))
				},
			}
		},
		Command::Verify { record, file } => {
			let rec = gateway::finalized_record(&rpc, record)
				.await
				.map_err(fail)?
				.ok_or_else(|| format!("no record {record}"))?;
			// Hashed as it is read: sealed files of any size.
			let digest = {
				use sha2::Digest as _;
				let mut input =
					std::fs::File::open(&file).map_err(|e| format!("{}: {e}", file.display()))?;
				let mut hash = sha2::Sha256::new();
				std::io::copy(&mut input, &mut hash)
					.map_err(|e| format!("{}: {e}", file.display()))?;
				<[u8; 32]>::from(hash.finalize())
			};
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
		Command::Requests { suri, patient, gateway } => {
			let s = Signer::from_uri(&suri).map_err(fail)?;
			let patient = match patient {
				Some(p) => ehr_gateway::parse_account(&p)?,
				None => s.account(),
			};
			check_requests(&rpc, &s, &patient, gateway).await
		},
		Command::Directory {
			command: DirectoryCommand::Sign { suri, suri_file, list, out, hospital },
		} => {
			let suri = match (suri, suri_file) {
				(Some(s), _) => s,
				(None, Some(f)) => std::fs::read_to_string(&f)
					.map_err(|e| format!("{}: {e}", f.display()))?
					.trim()
					.to_string(),
				(None, None) => return Err("give --suri or --suri-file (the admin's)".into()),
			};
			let s = Signer::from_uri(&suri).map_err(fail)?;
			sign_directory(&rpc, &s, &list, &out, hospital).await
		},
		Command::Directory { command: DirectoryCommand::Show { hospital, gateway } } => {
			let gw = match gateway {
				Some(url) => {
					let genesis = rpc.genesis_hash().await.map_err(fail)?;
					gateway::Gateway::new(&url, genesis).map_err(fail)?
				},
				None => gateway::gateway_of(&rpc, hospital).await.map_err(fail)?,
			};
			let signed = gw.staff_directory().await.map_err(fail)?;
			let verified = directory::verify_at_finalized(&rpc, &signed, hospital)
				.await
				.map_err(fail)?
				.map_err(|e| format!("rejected: {e}"))?;
			Ok(json!({
				"hospital": verified.hospital,
				"issuedAt": verified.issued_at,
				"signer": signed.signer,
				"entries": verified.entries,
				"unconfirmed": verified.unconfirmed,
			}))
		},
	}
}

/// `directory sign`: signs `list` as the directory of `hospital` (default: the one `admin` is
/// the admin of) for the chain of `rpc`'s node, writes it to `out`, and checks it as a client
/// would.
async fn sign_directory(
	rpc: &Rpc,
	admin: &Signer,
	list: &std::path::Path,
	out: &std::path::Path,
	hospital: Option<HospitalId>,
) -> Result<Value, String> {
	let text = std::fs::read_to_string(list).map_err(|e| format!("{}: {e}", list.display()))?;
	let entries: Vec<DirectoryEntry> =
		serde_json::from_str(&text).map_err(|e| format!("{}: {e}", list.display()))?;
	let mut seen = BTreeSet::new();
	for e in &entries {
		if e.name.trim().is_empty() {
			return Err(format!("{}: an entry of {} has no name", list.display(), e.account));
		}
		if !seen.insert(e.account.clone()) {
			return Err(format!("{}: {} is listed twice", list.display(), e.account));
		}
	}
	let hospitals: Vec<HospitalInfo<AccountId>> =
		rpc.runtime_call("HospitalRegistryApi_hospitals", &(), None).await.map_err(fail)?;
	let me = admin.account();
	let hospital = match hospital {
		Some(id) => {
			let h = hospitals
				.iter()
				.find(|h| h.id == id)
				.ok_or_else(|| format!("no hospital {id} in the registry"))?;
			if h.admin != me {
				return Err(format!("{me} is not the admin of hospital {id} ({} is)", h.admin));
			}
			id
		},
		None => {
			let mine: Vec<HospitalId> =
				hospitals.iter().filter(|h| h.admin == me).map(|h| h.id).collect();
			match mine[..] {
				[id] => id,
				[] => return Err(format!("{me} is the admin of no hospital")),
				_ => {
					return Err(format!("{me} is the admin of hospitals {mine:?}: give --hospital"))
				},
			}
		},
	};
	let d = directory::Directory {
		hospital,
		genesis: rpc.genesis_hash().await.map_err(fail)?,
		issued_at: gateway::now_ms(),
		entries,
	};
	let signed = directory::sign(&d, admin.pair());
	let json = serde_json::to_string_pretty(&signed).map_err(fail)?;
	// Written aside and renamed over: a gateway reads the file on each call.
	let mut tmp = out.as_os_str().to_owned();
	tmp.push(".tmp");
	let tmp = PathBuf::from(tmp);
	std::fs::write(&tmp, json + "\n").map_err(|e| format!("{}: {e}", tmp.display()))?;
	std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
	let verified = directory::verify_at_finalized(rpc, &signed, hospital)
		.await
		.map_err(fail)?
		.map_err(|e| format!("signed, but a client would reject it: {e}"))?;
	let confirmed: BTreeSet<AccountId> =
		verified.entries.iter().map(|e| e.account.clone()).collect();
	let unconfirmed: Vec<Value> = d
		.entries
		.iter()
		.filter(|e| !confirmed.contains(&e.account))
		.map(|e| json!({ "account": e.account.to_string(), "name": e.name, "role": e.role }))
		.collect();
	Ok(json!({
		"hospital": hospital,
		"issuedAt": d.issued_at,
		"signer": signed.signer,
		"out": out,
		"entries": d.entries.len(),
		"confirmed": verified.entries.len(),
		// Not active staff of the hospital in that role at the finalized block: clients drop
		// them (a staff member registered a moment ago shows once their block is final).
		"unconfirmed": unconfirmed,
	}))
}

/// A gateway's consent refusal of `requester`'s read of `record` in words, as the node explains
/// it (`ehr_decide`'s `explanation`): the decision on the same read at the finalized block, the
/// one the gateway decides at, if it is the denial the gateway reported. A block finalized since
/// that changed the decision (a new grant, a revocation) gives no words: the gateway's message
/// stands alone.
async fn denial_words(
	rpc: &Rpc,
	requester: &AccountId,
	record: RecordId,
	purpose: Purpose,
	refused: &gateway::Refused,
) -> Option<String> {
	let at = rpc.finalized_hash().await.ok()?;
	let rec: Option<gateway::Record> =
		rpc.runtime_call("PatientRecordsApi_record", &record, Some(at)).await.ok()?;
	let patient = rec?.patient;
	let args = (requester, &patient, Target::Record(record), purpose, Action::Read, None::<u64>);
	let decision: Decision = rpc.runtime_call("ConsentApi_decide", &args, Some(at)).await.ok()?;
	let Decision::Deny(reason) = decision else { return None };
	if !refused.message.ends_with(&ehr_gateway::denied_message(&reason)) {
		return None;
	}
	let params = vec![
		json!(requester.to_string()),
		json!(patient.to_string()),
		json!({ "record": record }),
		json!(purpose),
		json!("read"),
		Value::Null,
		json!(at),
	];
	let explained: Value = rpc.call("ehr_decide", params).await.ok()?;
	explained["explanation"].as_str().map(str::to_string)
}

/// What `ehr-doc requests` prints of a log entry of a read.
fn read_json(e: &gateway::LogEntry) -> Value {
	let record = match &e.subject {
		Subject::Record(id) => Some(*id),
		_ => None,
	};
	json!({
		"seq": e.seq,
		"action": e.action,
		"record": record,
		"actor": e.actor.to_string(),
		"purpose": e.purpose,
		"gateway": e.source,
		"block": e.block,
		"timestamp": e.timestamp,
	})
}

/// `ehr-doc requests`: the patient's log (finalized, verified against the head), the signed
/// requests the gateways served, and each served read of the log proven by the request it names
/// or not.
async fn check_requests(
	rpc: &Rpc,
	signer: &Signer,
	patient: &AccountId,
	url: Option<String>,
) -> Result<Value, String> {
	let genesis = rpc.genesis_hash().await.map_err(fail)?;
	let log = audit::verified_log(rpc, patient).await.map_err(fail)?;
	// The gateways to ask: the one given, or each that logged a served read of the patient.
	let hospitals: BTreeSet<HospitalId> = match &url {
		Some(_) => BTreeSet::new(),
		None => log
			.entries
			.iter()
			.filter(|e| e.action.request().is_some())
			.filter_map(|e| e.source)
			.collect(),
	};
	let mut gateways: Vec<(HospitalId, Result<gateway::Gateway, String>)> = Vec::new();
	if let Some(url) = url {
		let gw = gateway::Gateway::new(&url, genesis).map_err(fail)?;
		let hospital = gw.info().await.map_err(fail)?.hospital;
		gateways.push((hospital, Ok(gw)));
	}
	for h in hospitals {
		gateways.push((h, gateway::gateway_of(rpc, h).await.map_err(fail)));
	}
	// Every request a gateway gave, by its hash as computed here (a gateway's word for the
	// hash counts for nothing).
	let mut served: BTreeMap<H256, ServedRequest> = BTreeMap::new();
	let mut asked = Vec::new();
	let mut unanswered: BTreeMap<HospitalId, String> = BTreeMap::new();
	for (hospital, gw) in gateways {
		let answer = match &gw {
			Ok(gw) => gw.requests(signer, hospital, patient).await.map_err(fail),
			Err(e) => Err(e.clone()),
		};
		let url = gw.as_ref().map(|g| g.url().to_string()).ok();
		match answer {
			Ok(list) => {
				asked.push(json!({ "hospital": hospital, "url": url, "requests": list.len() }));
				for r in list {
					if let Some(hash) = gateway::request_hash(&r.signed) {
						served.insert(hash, r);
					}
				}
			},
			Err(e) => {
				asked.push(json!({ "hospital": hospital, "url": url, "error": e }));
				unanswered.insert(hospital, e);
			},
		}
	}
	// Each served read of the log, oldest first. A request is served once: a second entry
	// naming it is not proven by it.
	let mut named: BTreeMap<H256, u64> = BTreeMap::new();
	let (mut proven, mut unproven) = (Vec::new(), Vec::new());
	for e in &log.entries {
		let why = match e.action {
			LogAction::DocumentRead => "logged without naming a request (documentRead)".to_string(),
			LogAction::DocumentServed { request } => {
				let first = named.get(&request).copied();
				if let Some(first) = first {
					format!("names the request entry {first} names: a request is served once")
				} else {
					named.insert(request, e.seq);
					match served.get(&request) {
						Some(r) => match gateway::verify_served(e, &r.signed, genesis) {
							Ok(fetch) => {
								let mut v = read_json(e);
								v["request"] = json!(request);
								v["requestExpiresAt"] = json!(fetch.expires_at);
								proven.push(v);
								continue;
							},
							Err(why) => why.to_string(),
						},
						None => match e.source.and_then(|h| unanswered.get(&h)) {
							Some(err) => format!("the gateway did not answer: {err}"),
							None => "the gateway gave no request of this hash".to_string(),
						},
					}
				}
			},
			_ => continue,
		};
		let mut v = read_json(e);
		v["reason"] = json!(why);
		unproven.push(v);
	}
	// Requests a gateway kept that no entry in the checked entries names: older than the
	// oldest entry the node holds (`fromSeq`), or a read whose log extrinsic failed (nothing
	// was served).
	let without_entry: Vec<Value> = served
		.iter()
		.filter(|(hash, _)| !named.contains_key(*hash))
		.map(|(hash, r)| json!({ "record": r.record, "request": hash }))
		.collect();
	Ok(json!({
		"patient": patient.to_string(),
		"at": log.at,
		"head": { "count": log.head.count, "hash": log.head.last },
		"fromSeq": log.entries.first().map(|e| e.seq).unwrap_or(log.head.count),
		"gateways": asked,
		"proven": proven,
		"unproven": unproven,
		"requestsWithoutEntry": without_entry,
		"allProven": unproven.is_empty(),
	}))
}

fn main() {
	let args = Args::parse();
	// Every gateway client of this process (`ehr_client::gateway::Trust::from_env`) trusts the
	// file; set before any other thread exists.
	if let Some(ca) = &args.ca_file {
		std::env::set_var(gateway::CA_FILE_VAR, ca);
	}
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

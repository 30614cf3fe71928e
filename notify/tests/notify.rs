//! `ehr-notify` end to end on a real development node, with a real webhook receiver (a small
//! HTTP server in the test) and a real SMTP server (Python's aiosmtpd, from `$EHR_VENV`, writing
//! each e-mail to a Maildir): a patient subscribes with a signed request; a doctor breaks the
//! glass, the hospital's gateway logs a read and a refusal of the patient's record; the webhook
//! and the e-mails arrive within seconds, naming each event. Forged subscriptions (signed by
//! another account for a second patient), a replayed one and one for an account the chain does
//! not know are refused, and the second patient, whose record is read too, gets nothing. The
//! service is killed, a read happens while it is down, and after a restart it resumes from its
//! cursor: that read arrives, and nothing delivered before is sent again.

use std::{
	collections::BTreeSet,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{Arc, Mutex},
	time::Duration,
};

use ehr_client::{
	gateway::{new_nonce, now_ms},
	runtime::{AccountId, RuntimeCall},
	Rpc, Signer,
};
use ehr_notify::{
	deliver::webhook_client,
	http::post,
	subscription::{sign, Subscribe, MAX_REQUEST_TTL_MS},
	Kind,
};
use ehr_testing::{
	content_of, free_port, node_binary, record_added, register_staff, submit, wait_until, Node,
	NodeConfig,
};
use pallet_consent::{EmergencyReason, Purpose};
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::Category;
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Dave, Ferdie};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpListener,
};

/// How long a notice may take from the finality of its block to its arrival.
const ARRIVAL: Duration = Duration::from_secs(20);

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

/// What the webhook receiver got: (path, JSON body), in order.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A tiny HTTP/1.1 server: answers every request 200 and keeps each POST's path and body.
async fn webhook_receiver() -> (u16, Received) {
	let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
	let port = listener.local_addr().unwrap().port();
	let received: Received = Arc::default();
	let keep = received.clone();
	tokio::spawn(async move {
		loop {
			let Ok((mut stream, _)) = listener.accept().await else { continue };
			let keep = keep.clone();
			tokio::spawn(async move {
				let mut buf = Vec::new();
				let mut chunk = [0u8; 4096];
				// Headers, then as many body bytes as Content-Length says.
				let (head_end, length) = loop {
					let n = stream.read(&mut chunk).await.unwrap_or(0);
					if n == 0 {
						return;
					}
					buf.extend_from_slice(&chunk[..n]);
					if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
						let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
						let length = head
							.lines()
							.find_map(|l| l.strip_prefix("content-length:"))
							.and_then(|v| v.trim().parse::<usize>().ok())
							.unwrap_or(0);
						break (end + 4, length);
					}
				};
				while buf.len() < head_end + length {
					let n = stream.read(&mut chunk).await.unwrap_or(0);
					if n == 0 {
						return;
					}
					buf.extend_from_slice(&chunk[..n]);
				}
				let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
				let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
				let body: Value =
					serde_json::from_slice(&buf[head_end..head_end + length]).unwrap_or_default();
				keep.lock().unwrap().push((path, body));
				let _ = stream
					.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
					.await;
			});
		}
	});
	(port, received)
}

/// aiosmtpd on `port`, writing every e-mail it takes to the Maildir `maildir`.
fn smtp_server(port: u16, maildir: &Path) -> Process {
	let python = std::env::var_os("EHR_VENV")
		.map(|v| PathBuf::from(v).join("bin/python"))
		.unwrap_or_else(|| PathBuf::from("python3"));
	let child = Command::new(&python)
		.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
		.args(["-c", "aiosmtpd.handlers.Mailbox"])
		.arg(maildir)
		.stdin(Stdio::null())
		.spawn()
		.unwrap_or_else(|e| {
			panic!(
				"{} -m aiosmtpd: {e} (scripts/env.sh ensure_lint_tools installs it)",
				python.display()
			)
		});
	Process(child)
}

/// The e-mails in `maildir` so far, each unfolded (header folds and quoted-printable soft line
/// breaks removed) so that a phrase can be searched whole.
fn emails(maildir: &Path) -> Vec<String> {
	let Ok(dir) = std::fs::read_dir(maildir.join("new")) else { return vec![] };
	dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
		.map(|m| {
			m.replace("=\r\n", "")
				.replace("=\n", "")
				.replace("\r\n ", " ")
				.replace("\n ", " ")
				.replace("\r\n\t", " ")
		})
		.collect()
}

fn notify_binary() -> &'static str {
	env!("CARGO_BIN_EXE_ehr-notify")
}

/// `ehr-notify run` on `listen` with its store in `data_dir`, sending e-mail to `smtp`.
fn start_notify(rpc: &str, data_dir: &Path, listen: u16, smtp: u16) -> Process {
	let child = Command::new(notify_binary())
		.args(["--rpc", rpc, "run", "--data-dir"])
		.arg(data_dir)
		.args(["--listen", &format!("127.0.0.1:{listen}")])
		.args(["--smtp", &format!("127.0.0.1:{smtp}"), "--smtp-from", "notify@ehr.test"])
		.args(["--poll-ms", "250", "--retry-ms", "200"])
		.stdin(Stdio::null())
		.spawn()
		.unwrap();
	Process(child)
}

/// `GET /health` of the service at `port`.
async fn health(port: u16) -> Option<Value> {
	let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
	stream
		.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
		.await
		.ok()?;
	let mut answer = Vec::new();
	stream.read_to_end(&mut answer).await.ok()?;
	let text = String::from_utf8_lossy(&answer).to_string();
	let (_, body) = text.split_once("\r\n\r\n")?;
	serde_json::from_str(body).ok()
}

async fn wait_healthy(port: u16) -> Value {
	wait_until("ehr-notify answers /health", Duration::from_secs(60), || async move {
		Ok(health(port).await)
	})
	.await
	.unwrap()
}

/// The notices the webhook got at `path`.
fn notices_at(received: &Received, path: &str) -> Vec<Value> {
	received.lock().unwrap().iter().filter(|(p, _)| p == path).map(|(_, b)| b.clone()).collect()
}

/// Waits until the webhook got a notice at `path` with `action`, and returns it.
async fn wait_notice(received: &Received, path: &str, action: &str) -> Value {
	let what = format!("a webhook notice {action} at {path}");
	wait_until(&what, ARRIVAL, || {
		let found = notices_at(received, path).into_iter().find(|n| n["action"] == action);
		async move { Ok(found) }
	})
	.await
	.unwrap()
}

/// Waits until an e-mail contains every one of `phrases`.
async fn wait_email(maildir: &Path, phrases: &[&str]) -> String {
	let what = format!("an e-mail with {phrases:?}");
	wait_until(&what, ARRIVAL, || {
		let found = emails(maildir).into_iter().find(|m| phrases.iter().all(|p| m.contains(p)));
		async move { Ok(found) }
	})
	.await
	.unwrap()
}

fn subscription(patient: &AccountId, signer: &AccountId, hook: &str, genesis: H256) -> Subscribe {
	Subscribe {
		patient: patient.clone(),
		signer: signer.clone(),
		webhook: Some(hook.to_string()),
		email: Some("mallory@ehr.test".into()),
		kinds: Kind::ALL.to_vec(),
		nonce: new_nonce(),
		expires_at: now_ms() + MAX_REQUEST_TTL_MS / 2,
		genesis,
	}
}

fn read(record: u64, accessor: AccountId, permitted: bool) -> RuntimeCall {
	RuntimeCall::AccessLog(pallet_access_log::Call::log_read {
		record,
		accessor,
		purpose: Purpose::Treatment,
		permitted,
	})
}

async fn enrol_with_record(rpc: &Rpc, patient: &AccountId, seed: u8) -> u64 {
	let enrol = RuntimeCall::HospitalRegistry(pallet_hospital_registry::Call::enrol_patient {
		patient: patient.clone(),
		commitment: H256::repeat_byte(seed),
	});
	submit(rpc, Alice, enrol).await;
	let add = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: patient.clone(),
		category: Category::LabResult,
		content: content_of(&[seed; 32], 32),
	});
	record_added(&submit(rpc, Bob, add).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_is_told_of_emergency_access_reads_and_refusals_and_forgers_get_nothing() {
	let mut node = Node::start(NodeConfig::dev(node_binary())).unwrap();
	let rpc = node.wait_rpc(Duration::from_secs(60)).await.unwrap();
	let genesis = rpc.genesis_hash().await.unwrap();

	// Alice's hospital: Bob and Dave doctors, Ferdie its gateway; two patients with a record each.
	submit(&rpc, Alice, register_staff(Bob.to_account_id(), StaffRole::Doctor)).await;
	submit(&rpc, Alice, register_staff(Dave.to_account_id(), StaffRole::Doctor)).await;
	submit(&rpc, Alice, register_staff(Ferdie.to_account_id(), StaffRole::Gateway)).await;
	let patient = Signer::from_uri("//NotifyPatient").unwrap();
	let other = Signer::from_uri("//NotifyOtherPatient").unwrap();
	let mallory = Signer::from_uri("//NotifyMallory").unwrap();
	let record = enrol_with_record(&rpc, &patient.account(), 1).await;
	let other_record = enrol_with_record(&rpc, &other.account(), 2).await;

	// The webhook receiver, the SMTP server and the service.
	let (hook_port, received) = webhook_receiver().await;
	let scratch = tempfile::tempdir().unwrap();
	let maildir = scratch.path().join("maildir");
	let smtp_port = free_port().unwrap();
	let _smtp = smtp_server(smtp_port, &maildir);
	let data_dir = scratch.path().join("notify");
	let listen = free_port().unwrap();
	let mut service = start_notify(&node.url(), &data_dir, listen, smtp_port);
	wait_healthy(listen).await;
	// aiosmtpd is up once it accepts connections.
	wait_until("aiosmtpd listens", Duration::from_secs(30), || async move {
		Ok(tokio::net::TcpStream::connect(("127.0.0.1", smtp_port)).await.ok().map(|_| ()))
	})
	.await
	.unwrap();

	// The patient subscribes with the command-line client, signing with their own account.
	let endpoint = format!("http://127.0.0.1:{listen}");
	let hook = format!("http://127.0.0.1:{hook_port}");
	let out = Command::new(notify_binary())
		.args(["--rpc", &node.url(), "subscribe", "--suri", "//NotifyPatient"])
		.args(["--notify", &endpoint, "--webhook", &format!("{hook}/patient")])
		.args(["--email", "patient@ehr.test", "--kinds", "emergency,read,refusal"])
		.output()
		.unwrap();
	assert!(out.status.success(), "subscribe: {}", String::from_utf8_lossy(&out.stderr));

	// Forgeries for the other patient: Mallory signs in the patient's name (the signature does
	// not check), or as herself for the patient (not the patient); both refused.
	let client = webhook_client().unwrap();
	let mallory_hook = format!("{hook}/mallory");
	let forged = sign(
		&subscription(&other.account(), &other.account(), &mallory_hook, genesis),
		mallory.pair(),
	);
	let (status, answer) = post(&client, &endpoint, "/subscribe", &forged).await.unwrap();
	assert_eq!((status, answer["error"].clone()), (403, "badSignature".into()), "{answer}");
	let for_another = sign(
		&subscription(&other.account(), &mallory.account(), &mallory_hook, genesis),
		mallory.pair(),
	);
	let (status, answer) = post(&client, &endpoint, "/subscribe", &for_another).await.unwrap();
	assert_eq!((status, answer["error"].clone()), (403, "notThePatient".into()), "{answer}");
	// Mallory's own subscription, well signed: the chain knows no patient Mallory.
	let own = sign(
		&subscription(&mallory.account(), &mallory.account(), &mallory_hook, genesis),
		mallory.pair(),
	);
	let (status, answer) = post(&client, &endpoint, "/subscribe", &own).await.unwrap();
	assert_eq!((status, answer["error"].clone()), (403, "unknownPatient".into()), "{answer}");
	// Another chain's subscription.
	let elsewhere = sign(
		&subscription(&other.account(), &other.account(), &mallory_hook, H256::repeat_byte(7)),
		other.pair(),
	);
	let (status, answer) = post(&client, &endpoint, "/subscribe", &elsewhere).await.unwrap();
	assert_eq!((status, answer["error"].clone()), (400, "wrongChain".into()), "{answer}");
	// A real subscription replayed: the second is refused.
	let third = format!("{hook}/third");
	let good = sign(
		&subscription(&patient.account(), &patient.account(), &third, genesis),
		patient.pair(),
	);
	let (status, answer) = post(&client, &endpoint, "/subscribe", &good).await.unwrap();
	assert_eq!(status, 200, "{answer}");
	let (status, answer) = post(&client, &endpoint, "/subscribe", &good).await.unwrap();
	assert_eq!((status, answer["error"].clone()), (409, "replayed".into()), "{answer}");
	// Back to the command line's subscription (webhook /patient, e-mail patient@ehr.test).
	let out = Command::new(notify_binary())
		.args(["--rpc", &node.url(), "subscribe", "--suri", "//NotifyPatient"])
		.args(["--notify", &endpoint, "--webhook", &format!("{hook}/patient")])
		.args(["--email", "patient@ehr.test", "--kinds", "emergency,read,refusal"])
		.output()
		.unwrap();
	assert!(out.status.success(), "subscribe again: {}", String::from_utf8_lossy(&out.stderr));

	// Bob breaks the glass; the gateway serves Dave the record, then refuses him; the other
	// patient's record is read too.
	let declare = RuntimeCall::Consent(pallet_consent::Call::declare_emergency {
		patient: patient.account(),
		reason: EmergencyReason::PatientUnconscious,
		note: b"ER bay 3".to_vec(),
	});
	submit(&rpc, Bob, declare).await;
	submit(&rpc, Ferdie, read(record, Dave.to_account_id(), true)).await;
	submit(&rpc, Ferdie, read(record, Dave.to_account_id(), false)).await;
	submit(&rpc, Ferdie, read(other_record, Dave.to_account_id(), true)).await;

	let (p, bob, dave) = (
		patient.account().to_string(),
		Bob.to_account_id().to_string(),
		Dave.to_account_id().to_string(),
	);
	let emergency = wait_notice(&received, "/patient", "emergencyOpened").await;
	assert_eq!(
		(emergency["kind"].clone(), emergency["patient"].clone()),
		("emergency".into(), p.clone().into())
	);
	assert_eq!(emergency["actor"], bob);
	assert_eq!(emergency["purpose"], "emergencyTreatment");
	let served = wait_notice(&received, "/patient", "documentRead").await;
	assert_eq!(
		(served["kind"].clone(), served["actor"].clone()),
		("read".into(), dave.clone().into())
	);
	assert_eq!(
		(served["record"].clone(), served["purpose"].clone()),
		(record.into(), "treatment".into())
	);
	assert!(served["block"].as_u64().unwrap() > 0 && served["timestamp"].as_u64().unwrap() > 0);
	let refused = wait_notice(&received, "/patient", "readDenied").await;
	assert_eq!(
		(refused["kind"].clone(), refused["record"].clone()),
		("refusal".into(), record.into())
	);
	assert_eq!(refused["actor"], dave);

	wait_email(
		&maildir,
		&["To: patient@ehr.test", "emergency access to your records was opened", &p, &bob],
	)
	.await;
	wait_email(&maildir, &["To: patient@ehr.test", "a document of your records was read", &dave])
		.await;
	wait_email(
		&maildir,
		&[
			"To: patient@ehr.test",
			"a read of a document of your records was refused",
			&format!("record {record}"),
		],
	)
	.await;

	// Nothing for the forger, nor for the replaced subscription's webhook beyond what it had.
	let status = wait_healthy(listen).await;
	assert_eq!(status["subscriptions"], 1, "{status}");
	assert!(notices_at(&received, "/mallory").is_empty());
	assert!(emails(&maildir).iter().all(|m| !m.contains("mallory@ehr.test")));
	assert!(notices_at(&received, "/third").is_empty());
	// No health data, and the other patient is in none of the patient's messages.
	let other_ss58 = other.account().to_string();
	assert!(notices_at(&received, "/patient").iter().all(|n| n["patient"] == p.as_str()));
	assert!(emails(&maildir).iter().all(|m| !m.contains(&other_ss58)));

	// Everything delivered; then the service goes down, a read happens, and it comes back.
	wait_until("the outbox empties", ARRIVAL, || async move {
		Ok(health(listen).await.filter(|h| h["outbox"] == 0).map(|_| ()))
	})
	.await
	.unwrap();
	let before: BTreeSet<String> =
		notices_at(&received, "/patient").iter().map(|n| n["id"].to_string()).collect();
	let before_count = notices_at(&received, "/patient").len();
	drop(service);
	submit(&rpc, Ferdie, read(record, Bob.to_account_id(), true)).await;
	service = start_notify(&node.url(), &data_dir, listen, smtp_port);
	wait_healthy(listen).await;
	let late = wait_until("the read while down arrives", ARRIVAL, || {
		let found = notices_at(&received, "/patient")
			.into_iter()
			.find(|n| n["action"] == "documentRead" && n["actor"] == bob.as_str());
		async move { Ok(found) }
	})
	.await
	.unwrap();
	assert!(!before.contains(&late["id"].to_string()));
	// A moment for anything resent to show; then exactly one more notice, none a repeat.
	tokio::time::sleep(Duration::from_secs(3)).await;
	let after = notices_at(&received, "/patient");
	assert_eq!(after.len(), before_count + 1, "{after:?}");
	let ids: BTreeSet<String> = after.iter().map(|n| n["id"].to_string()).collect();
	assert_eq!(ids.len(), after.len(), "no notice delivered twice");
	drop(service);
	drop(node);
}

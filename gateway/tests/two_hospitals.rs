//! Documents between two hospitals, end to end: two `ehr-node`s on loopback (Alice General, the
//! development chain's authority, and Bob Memorial's node, admitted by the chain's governance),
//! each with its own `ehr-gateway` process: Alice General's keeps its documents in a bucket of a
//! real S3 server on loopback, Bob Memorial's in its directory and serves HTTPS (its registered
//! URL is `https://`, its certificate issued by a CA the test makes).
//!
//! Eve, a doctor of Alice General, seals and uploads a note with `ehr-doc` and anchors it for
//! Charlie. Dave, a doctor of Bob Memorial, fetches it from Alice General's gateway: refused
//! before Charlie grants Bob Memorial access and while Dave has no encryption key, served and
//! decrypted after, refused again after the revocation. Replayed, expired, forged, unsigned and
//! other-chain requests are refused and not logged (they are not the named requester's
//! attempts); refused attempts of an account the chain does not know are not logged on chain,
//! and those of a registered patient only up to the gateway's limit; altered bytes in storage are
//! caught by their CID (by the gateway and by the client), bad uploads store nothing and a
//! second upload of a stored document changes nothing, every attempt about Charlie's record is
//! in his verified access log, each served read naming the hash of the request Dave signed;
//! Charlie gets those signed requests from the gateway (`gateway_requests`, refused to anyone
//! who does not act for him) and each served read verifies against its request, by hand and with
//! `ehr-doc requests`. After the record is deleted the gateway destroys document and key, logs
//! the erasure and refuses to keep the document again; erasing on request takes a request signed
//! by the hospital's admin. Then a timed run of 100 KiB fetches prints latency and throughput
//! (`EHR_GATEWAY_FETCHES`, default 200). Then the gateway's operator logs a read of a record
//! of Ferdie's by Dave, who never asked for it: `ehr-doc requests` shows it unproven.
//!
//! Then insiders attack through the chain's own calls, on the same two nodes. Each attack fails
//! (a call refused names the chain's error), and what it aimed at is read before and after:
//! delegations through the registry's runtime API, the access log's head and entries, grants,
//! `ehr_decide`, balances, node lists.
//!
//! 14. Bob Memorial's admin records a guardian for Charlie, whom Bob Memorial never verified
//!     (`PatientNotVerifiedHere`), and the would-be guardian cannot act for Charlie
//!     (`NotForPatient`); a guardian that Alice General records after verifying Charlie is in
//!     Charlie's log with the party, contested by Charlie for free, ended by Alice General's
//!     review (`GuardianRemoved`) and refused again.
//! 15. A delegate of a patient with no balance spends her free allowance on grants (the next
//!     one is refused by the pool: no fee can be paid); the patient, still at zero, revokes
//!     every grant, removes the delegate and removes the grants, all free; the decision no
//!     longer permits what the delegate granted, and her log holds every grant, revocation
//!     and change of delegate.
//! 16. A grant listing more records than its bound (`TooManyRecords`); the grant's other lists
//!     are bounded in the call's types and cannot be built over their bounds at all.
//! 17. Last, as it can cut Bob Memorial's node off: once both hospitals registered a node, Bob
//!     Memorial's admin clears its list (`setNodes([])`); node permissioning latches
//!     `Enforced`, only that hospital's node is gone, and neither admin alone can switch
//!     permissioning off (`BadOrigin`).

use std::{
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{Arc, OnceLock},
	time::{Duration, Instant},
};

use base64::Engine as _;
use ehr_client::{
	audit, document,
	gateway::{
		self, now_ms, sign, EraseRequest, FetchRequest, Gateway, Purpose, Refusal, RequestsQuery,
		SignedRequest, StoreRequest, Trust,
	},
	keys::{self, EncryptionSecret},
	runtime::{
		AccountId, Address, Balance, BalancesCall, Runtime, RuntimeCall, RuntimeEvent, UNIT,
	},
	Error, Rpc, Signer,
};
use ehr_gateway::objects::{LocalDir, Objects, S3Config, S3Objects};
use ehr_testing::{
	find_event, free_balance, free_port, grant_read, network, node_binary, record_added,
	register_staff, submit, submit_all, submit_expect_error, submit_expect_invalid, wait_until,
	Node, NodeConfig, S3Server, TestCa,
};
use pallet_access_log::{Head, LogAction, Subject};
use pallet_consent::{Grantee, Scope};
use pallet_hospital_registry::{
	Delegation, DelegationInfo, HospitalInfo, NodePermissioning, StaffRole,
};
use pallet_patient_records::Withdrawal;
use serde_json::{json, Value};
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave, Eve, Ferdie};

const GATEWAY_BIN: &str = env!("CARGO_BIN_EXE_ehr-gateway");
const DOC_BIN: &str = env!("CARGO_BIN_EXE_ehr-doc");
const WAIT: Duration = Duration::from_secs(90);
const MAX_DOCUMENT: u64 = 1024 * 1024;
/// Gateway A's limit of logged refusals of one requester a minute: above Dave's refusals in
/// this test (five), so only the flood of step 10 reaches it.
const REFUSALS_PER_REQUESTER: usize = 6;

fn pair(uri: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(uri, None).unwrap()
}

fn registry(c: pallet_hospital_registry::Call<ehr_runtime::Runtime>) -> RuntimeCall {
	RuntimeCall::HospitalRegistry(c)
}

/// A running `ehr-gateway` process, and the objects of its store as the test reads them.
struct GatewayProcess {
	child: Child,
	url: String,
	objects: Arc<dyn Objects>,
	log: PathBuf,
	_dir: tempfile::TempDir,
}

impl GatewayProcess {
	/// Starts a gateway that keeps documents in its directory, or with `s3` in the bucket
	/// `ehr-documents` of that server, under the prefix `name`; that serves plain HTTP, or with
	/// `tls` (certificate and key files) HTTPS.
	async fn start(
		node: &Node,
		suri: &str,
		port: u16,
		name: &str,
		s3: Option<&S3Server>,
		tls: Option<(&Path, &Path)>,
		extra: &[&str],
	) -> GatewayProcess {
		Self::start_in(tempfile::tempdir().unwrap(), node, suri, port, name, s3, tls, extra).await
	}

	/// Kills the gateway and starts it again on the same state directory.
	async fn restart(
		mut self,
		node: &Node,
		suri: &str,
		port: u16,
		name: &str,
		s3: Option<&S3Server>,
		extra: &[&str],
	) -> GatewayProcess {
		let _ = self.child.kill();
		let _ = self.child.wait();
		let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap());
		Self::start_in(dir, node, suri, port, name, s3, None, extra).await
	}

	#[allow(clippy::too_many_arguments)]
	async fn start_in(
		dir: tempfile::TempDir,
		node: &Node,
		suri: &str,
		port: u16,
		name: &str,
		s3: Option<&S3Server>,
		tls: Option<(&Path, &Path)>,
		extra: &[&str],
	) -> GatewayProcess {
		let log = dir.path().join("gateway.log");
		let store = dir.path().join("store");
		let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
		let mut cmd = Command::new(GATEWAY_BIN);
		cmd.args(["--node-rpc", &node.url(), "--listen", &format!("127.0.0.1:{port}")])
			.arg("--store")
			.arg(&store)
			.args(["--suri", suri, "--watch-every", "1"])
			.args(["--max-document-size", &(8u64 << 30).to_string()])
			.args(["--max-inline-size", &MAX_DOCUMENT.to_string()])
			.args(["--refusals-per-requester", &REFUSALS_PER_REQUESTER.to_string()])
			// The timed run at the end fetches hundreds of documents a second from one address
			// as one requester: no limit on either.
			.args(["--reads-per-requester", "0", "--requests-per-source", "0"]);
		if let Some((cert, key)) = tls {
			cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
		}
		cmd.args(extra);
		let scheme = if tls.is_some() { "https" } else { "http" };
		let objects: Arc<dyn Objects> = match s3 {
			Some(server) => {
				cmd.args(["--s3-bucket", "ehr-documents", "--s3-prefix", name]).envs(server.env());
				let config = S3Config {
					bucket: "ehr-documents".into(),
					endpoint: Some(server.endpoint.clone()),
					region: Some(server.region.clone()),
					prefix: name.into(),
					allow_http: false,
					credentials: Some((
						server.access_key_id.clone(),
						server.secret_access_key.clone(),
					)),
				};
				Arc::new(S3Objects::connect(&config).await.unwrap())
			},
			None => Arc::new(LocalDir::open(&store).unwrap()),
		};
		let child =
			cmd.stdin(Stdio::null()).stdout(out.try_clone().unwrap()).stderr(out).spawn().unwrap();
		GatewayProcess {
			child,
			url: format!("{scheme}://127.0.0.1:{port}"),
			objects,
			log,
			_dir: dir,
		}
	}

	fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	async fn documents(&self) -> usize {
		self.objects.list("documents").await.unwrap().len()
	}
}

impl Drop for GatewayProcess {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// Seals and uploads `plaintext` through `client` as Eve, anchors it as a record of Charlie's
/// of `category`, and reads the record back at the finalized block.
async fn note_for_charlie(
	rpc: &Rpc,
	client: &Gateway,
	eve: &sr25519::Pair,
	plaintext: &[u8],
	category: pallet_patient_records::Category,
) -> (pallet_patient_records::RecordId, ehr_client::gateway::Stored, usize, gateway::Record) {
	let (sealed, stored) =
		gateway::upload(rpc, client, &Signer::new(eve.clone()), plaintext).await.unwrap();
	let add = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: Charlie.to_account_id(),
		category,
		content: sealed.content(),
	});
	let record = record_added(&submit(rpc, eve, add).await);
	let on_chain = gateway::finalized_record(rpc, record).await.unwrap().unwrap();
	(record, stored, sealed.bytes.len(), on_chain)
}

/// Pseudo-random bytes (xorshift), quick to make in any amount.
fn noise(len: usize, seed: u64) -> Vec<u8> {
	let mut x = seed | 1;
	let mut v = Vec::with_capacity(len + 8);
	while v.len() < len {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v.extend_from_slice(&x.to_le_bytes());
	}
	v.truncate(len);
	v
}

/// Runs `ehr-doc` under `/usr/bin/time`: its JSON output, seconds and peak resident KiB.
fn ehr_doc_timed(rpc: &str, args: &[&str]) -> (Value, f64, u64) {
	let times = tempfile::NamedTempFile::new().unwrap();
	let mut cmd = Command::new("/usr/bin/time");
	cmd.args(["-f", "%e %M", "-o"]).arg(times.path()).args([DOC_BIN, "--rpc", rpc]);
	if let Some(ca) = CA_FILE.get() {
		cmd.arg("--ca-file").arg(ca);
	}
	let out = cmd.args(args).output().unwrap();
	assert!(out.status.success(), "ehr-doc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
	let text = std::fs::read_to_string(times.path()).unwrap();
	let mut parts = text.split_whitespace();
	let seconds: f64 = parts.next().unwrap().parse().unwrap();
	let kib: u64 = parts.next().unwrap().parse().unwrap();
	(serde_json::from_slice(&out.stdout).unwrap(), seconds, kib)
}

/// A figure of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(pid: u32, field: &str) -> u64 {
	let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
	status
		.lines()
		.find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').split_whitespace().next())
		.and_then(|n| n.parse().ok())
		.unwrap()
}

/// The patient of step 8b's studies (an endowed development account no other step uses, so
/// that the other steps' checks of Charlie's log and requests stay as they are).
const STUDY_PATIENT: &str = "//Ferdie//stash";

/// Anchors the document `ehr-doc upload` printed (`up`) as an imaging record of the
/// [`STUDY_PATIENT`]'s, kept by `author`'s hospital.
async fn anchor_streamed(rpc: &Rpc, author: &sr25519::Pair, up: &Value) -> u64 {
	let commitment: H256 = serde_json::from_value(up["commitment"].clone()).unwrap();
	let add = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: pair(STUDY_PATIENT).public().into(),
		category: pallet_patient_records::Category::Imaging,
		content: pallet_patient_records::ContentInput {
			commitment,
			cid: pallet_patient_records::cid::raw_sha2_256(&commitment.0).to_vec(),
			scheme: pallet_patient_records::EncryptionScheme::ChaCha20Poly1305Stream,
			size: up["size"].as_u64().unwrap(),
		},
	});
	record_added(&submit(rpc, author, add).await)
}

/// Step 8b: documents streamed through the gateways' streamed routes, and what the routes
/// refuse.
async fn streamed_documents(
	rpc_a: &Rpc,
	url_a: &str,
	url_b: &str,
	gateway_a: &GatewayProcess,
	gateway_b: &GatewayProcess,
	(client_a, eve, dave, ferdie): (&Gateway, &sr25519::Pair, &sr25519::Pair, &sr25519::Pair),
	dir: &Path,
) {
	let path = |p: &Path| p.to_str().unwrap().to_string();
	let patient = pair(STUDY_PATIENT);
	submit(rpc_a, &patient, registry(pallet_hospital_registry::Call::register_patient {})).await;
	ehr_doc(url_a, &["publish-key", "--suri", STUDY_PATIENT]).unwrap();

	// A 20 MiB study on Alice General's S3 gateway: three parts of a multipart upload.
	let study = noise(20 << 20, 20);
	let (study_file, study_out) = (dir.join("study.dcm"), dir.join("study.out"));
	std::fs::write(&study_file, &study).unwrap();
	let before = gateway_a.documents().await;
	let up = ehr_doc(url_a, &["upload", "--suri", "//Eve", "--file", &path(&study_file)]).unwrap();
	assert_eq!(gateway_a.documents().await, before + 1);
	let study_record = anchor_streamed(rpc_a, eve, &up).await;
	let got = ehr_doc(
		url_a,
		&[
			"fetch",
			"--suri",
			STUDY_PATIENT,
			"--record",
			&study_record.to_string(),
			"--out",
			&path(&study_out),
		],
	)
	.unwrap();
	assert_eq!(got["bytes"], study.len() as u64);
	assert_eq!(std::fs::read(&study_out).unwrap(), study, "the study came back as it went");
	assert!(got["logged"].as_str().is_some_and(|h| h != format!("{:?}", H256::zero())));

	// What the streamed upload refuses, before reading a byte of the body (the client waits
	// for `100 Continue`, so it gets the refusal, not a broken connection), or after.
	let (eve_signer, ferdie_signer) = (Signer::new(eve.clone()), Signer::new(ferdie.clone()));
	let custodian = EncryptionSecret::from_sr25519(&pair("//Alice//stash")).public();
	let sealed_path = dir.join("study.sealed");
	let sealed = ehr_client::transfer::seal_file(&study_file, &sealed_path).await.unwrap();
	let store_request = |signer: &Signer, size: u64, commitment: H256| StoreRequest {
		hospital: 0,
		uploader: signer.account(),
		commitment,
		size,
		// Wrapped for the CID of the commitment signed: the key checks, whatever the bytes.
		wrapped_key: keys::wrap(
			&sealed.key,
			&custodian,
			&pallet_patient_records::cid::raw_sha2_256(&commitment.0),
		)
		.unwrap(),
		nonce: gateway::new_nonce(),
		expires_at: now_ms() + 60_000,
		genesis: client_a.genesis(),
	};
	let refused = |r: Result<gateway::Stored, Error>| match r {
		Err(Error::Refused(r)) => r.refusal,
		other => panic!("expected a refusal, got {other:?}"),
	};
	let size = sealed.size;
	let not_staff = sign(&store_request(&ferdie_signer, size, sealed.commitment), ferdie);
	assert_eq!(
		refused(client_a.store_file_signed(&not_staff, &sealed_path, size).await),
		Refusal::NotHospitalStaff
	);
	let huge = sign(&store_request(&eve_signer, 1 << 40, sealed.commitment), eve);
	assert_eq!(
		refused(client_a.store_file_signed(&huge, &sealed_path, size).await),
		Refusal::TooLarge
	);
	// A body of another length than the signed size, and bytes of the signed size that are not
	// the signed commitment's (read whole, hashed, and dropped).
	let short = sign(&store_request(&eve_signer, size - 1, sealed.commitment), eve);
	assert_eq!(
		refused(client_a.store_file_signed(&short, &sealed_path, size).await),
		Refusal::CidMismatch
	);
	let other_file = dir.join("other.sealed");
	std::fs::write(&other_file, noise(size as usize, 22)).unwrap();
	let other = sign(&store_request(&eve_signer, size, sealed.commitment), eve);
	assert_eq!(
		refused(client_a.store_file_signed(&other, &other_file, size).await),
		Refusal::CidMismatch
	);
	let replayed = sign(&store_request(&eve_signer, size, sealed.commitment), eve);
	client_a.store_file_signed(&replayed, &sealed_path, size).await.unwrap();
	assert_eq!(
		refused(client_a.store_file_signed(&replayed, &sealed_path, size).await),
		Refusal::Replayed
	);
	assert_eq!(gateway_a.documents().await, before + 2, "no refused upload was stored");

	// An upload cut off half way (the connection closed after 8 MiB of 20): nothing of it is
	// seen, and the same document uploads whole afterwards.
	let cut = sealed_path.with_extension("cut");
	let cut_doc = noise(20 << 20, 21);
	std::fs::write(&cut, &cut_doc).unwrap();
	let cut_commitment = H256(sp_io::hashing::sha2_256(&cut_doc));
	let cut_request = sign(&store_request(&eve_signer, cut_doc.len() as u64, cut_commitment), eve);
	{
		use std::io::{Read, Write};
		let addr = gateway_a.url.trim_start_matches("http://").to_string();
		let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
		let head = format!(
			"PUT {} HTTP/1.1\r\nhost: {addr}\r\n{}: {}\r\n{}: {}\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
			gateway::DOCUMENTS_PATH,
			gateway::REQUEST_HEADER,
			cut_request.request,
			gateway::SIGNATURE_HEADER,
			cut_request.signature,
			cut_doc.len()
		);
		tcp.write_all(head.as_bytes()).unwrap();
		let mut answer = [0u8; 64];
		let n = tcp.read(&mut answer).unwrap();
		let answer = String::from_utf8_lossy(&answer[..n]).to_string();
		assert!(answer.starts_with("HTTP/1.1 100 Continue"), "{answer}");
		tcp.write_all(&cut_doc[..8 << 20]).unwrap();
		tcp.shutdown(std::net::Shutdown::Both).unwrap();
	}
	tokio::time::sleep(Duration::from_millis(500)).await;
	assert_eq!(gateway_a.documents().await, before + 2, "a cut upload is not seen");
	let whole = sign(&store_request(&eve_signer, cut_doc.len() as u64, cut_commitment), eve);
	client_a.store_file_signed(&whole, &cut, cut_doc.len() as u64).await.unwrap();
	assert_eq!(gateway_a.documents().await, before + 3);

	// A streamed fetch is the fetch of its path's record, once.
	let fetch = |record: u64| {
		sign(
			&FetchRequest {
				hospital: 0,
				record,
				purpose: Purpose::Treatment,
				requester: patient.public().into(),
				nonce: gateway::new_nonce(),
				expires_at: now_ms() + 60_000,
				genesis: client_a.genesis(),
			},
			&patient,
		)
	};
	let fetch_refusal = |r: Result<ehr_client::transfer::FetchedFile, Error>| match r {
		Err(Error::Refused(r)) => r.refusal,
		other => panic!("expected a refusal, got {other:?}"),
	};
	let once = fetch(study_record);
	let elsewhere = dir.join("study.elsewhere");
	assert_eq!(
		fetch_refusal(
			client_a.fetch_to_file_signed(&once, study_record + 1, &elsewhere, None).await
		),
		Refusal::Malformed
	);
	assert!(!elsewhere.exists());
	let first = dir.join("study.first");
	let served = client_a.fetch_to_file_signed(&once, study_record, &first, None).await.unwrap();
	assert_eq!(served.size, sealed_len(&up));
	let again = dir.join("study.again");
	assert_eq!(
		fetch_refusal(client_a.fetch_to_file_signed(&once, study_record, &again, None).await),
		Refusal::Replayed
	);

	// Altered bytes in the bucket: the streamed answer breaks before its end, and `ehr-doc`
	// writes nothing where the plaintext would go.
	let cid = pallet_patient_records::cid::raw_sha2_256(&served.digest.0);
	let name = format!("documents/{}", hex::encode(cid));
	let mut altered = std::fs::read(&first).unwrap();
	altered[12345] ^= 1;
	gateway_a.objects.put(&name, altered).await.unwrap();
	// The gateway cuts the answer short: what was received is not kept.
	let broken_sealed = dir.join("study.broken.sealed");
	let request = fetch(study_record);
	match client_a.fetch_to_file_signed(&request, study_record, &broken_sealed, None).await {
		Err(Error::Refused(r)) => panic!("a cut answer, not a refusal: {r}"),
		Err(_) => {},
		Ok(f) => panic!("altered bytes were received whole: {f:?}"),
	}
	assert!(!broken_sealed.exists());
	assert!(gateway_a
		.log()
		.contains("stored bytes do not match the commitment; the answer was cut short"));
	// `ehr-doc` stops at the first chunk that does not open.
	let broken_out = dir.join("study.broken");
	let broken = ehr_doc(
		url_a,
		&[
			"fetch",
			"--suri",
			STUDY_PATIENT,
			"--record",
			&study_record.to_string(),
			"--out",
			&path(&broken_out),
		],
	)
	.unwrap_err();
	assert!(broken.contains("does not decrypt"), "{broken}");
	assert!(!broken_out.exists(), "{broken}");
	gateway_a.objects.put(&name, std::fs::read(&first).unwrap()).await.unwrap();

	// A large study through Bob Memorial's HTTPS gateway (its directory store): its rates, and
	// the peak memory of the client and of the gateway.
	let mib: u64 =
		std::env::var("EHR_LARGE_DOCUMENT_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(48);
	let big = dir.join("large.dcm");
	{
		use std::io::Write;
		let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
		for i in 0..mib {
			f.write_all(&noise(1 << 20, 1000 + i)).unwrap();
		}
		f.flush().unwrap();
	}
	let bytes = mib << 20;
	let (_, _, base_kib) = ehr_doc_timed(url_b, &["key", "--suri", "//Dave"]);
	let gw_pid = gateway_b.child.id();
	let gw_before = proc_kib(gw_pid, "VmRSS");
	let (up, up_s, up_kib) =
		ehr_doc_timed(url_b, &["upload", "--suri", "//Dave", "--file", &path(&big)]);
	let rpc_b = Rpc::new(url_b).unwrap();
	let big_record = anchor_streamed(&rpc_b, dave, &up).await;
	let big_out = dir.join("large.out");
	let (got, down_s, down_kib) = ehr_doc_timed(
		url_b,
		&[
			"fetch",
			"--suri",
			STUDY_PATIENT,
			"--record",
			&big_record.to_string(),
			"--out",
			&path(&big_out),
		],
	);
	let gw_peak = proc_kib(gw_pid, "VmHWM");
	assert_eq!(got["bytes"], bytes);
	let same = {
		use std::io::Read;
		let (mut a, mut b) =
			(std::fs::File::open(&big).unwrap(), std::fs::File::open(&big_out).unwrap());
		let (mut x, mut y) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
		loop {
			let (n, m) = (a.read(&mut x).unwrap(), b.read(&mut y).unwrap());
			if n != m || x[..n] != y[..m] {
				break false;
			}
			if n == 0 {
				break true;
			}
		}
	};
	assert!(same, "the large study came back as it went");
	let grown = |peak: u64, base: u64| peak.saturating_sub(base) / 1024;
	eprintln!(
		"streamed document of {mib} MiB over HTTPS: upload (seal + send) {:.2} s = {:.1} MiB/s, \
		 fetch (receive + check + open) {:.2} s = {:.1} MiB/s; peak memory growth: ehr-doc \
		 upload {} MiB, fetch {} MiB, gateway {} MiB",
		up_s,
		mib as f64 / up_s.max(0.01),
		down_s,
		mib as f64 / down_s.max(0.01),
		grown(up_kib, base_kib),
		grown(down_kib, base_kib),
		grown(gw_peak, gw_before),
	);
	for (who, peak, base) in [
		("upload", up_kib, base_kib),
		("fetch", down_kib, base_kib),
		("gateway", gw_peak, gw_before),
	] {
		assert!(grown(peak, base) <= 64, "{who}: memory grew by {} MiB", grown(peak, base));
	}
	for f in [&big, &big_out] {
		std::fs::remove_file(f).unwrap();
	}
}

/// The sealed size an `ehr-doc upload` printed.
fn sealed_len(up: &Value) -> u64 {
	up["size"].as_u64().unwrap()
}

/// The CA file of Bob Memorial's HTTPS gateway, which `ehr-doc` trusts.
static CA_FILE: OnceLock<PathBuf> = OnceLock::new();

fn ehr_doc(rpc: &str, args: &[&str]) -> Result<Value, String> {
	let mut cmd = Command::new(DOC_BIN);
	cmd.args(["--rpc", rpc]);
	if let Some(ca) = CA_FILE.get() {
		cmd.arg("--ca-file").arg(ca);
	}
	let out = cmd.args(args).output().unwrap();
	if out.status.success() {
		Ok(serde_json::from_slice(&out.stdout).unwrap())
	} else {
		Err(String::from_utf8_lossy(&out.stderr).into_owned())
	}
}

fn refusal(r: Result<gateway::Fetched, Error>) -> (Refusal, Option<H256>) {
	match r {
		Err(Error::Refused(r)) => (r.refusal, r.logged),
		Err(e) => panic!("expected a refusal, got the error {e}"),
		Ok(f) => panic!("expected a refusal, got record {} served", f.record),
	}
}

fn fetch_request(
	dave: &sr25519::Pair,
	genesis: H256,
	hospital: u32,
	record: u64,
	ttl: i64,
) -> FetchRequest {
	FetchRequest {
		hospital,
		record,
		purpose: Purpose::Treatment,
		requester: dave.public().into(),
		nonce: gateway::new_nonce(),
		expires_at: (now_ms() as i64 + ttl) as u64,
		genesis,
	}
}

/// Who acts for `patient` besides the patient (the registry's runtime API, which the patient
/// page reads) and the head of the patient's access log, at the finalized block: what a refused
/// attempt must leave as it was.
async fn acting_for(rpc: &Rpc, patient: &AccountId) -> (Vec<DelegationInfo<AccountId>>, Head) {
	let at = rpc.finalized_hash().await.unwrap();
	let delegations =
		rpc.runtime_call("HospitalRegistryApi_delegations", patient, Some(at)).await.unwrap();
	let head = rpc.runtime_call("AccessLogApi_head", patient, Some(at)).await.unwrap();
	(delegations, head)
}

/// An entry of a patient's log as the attack steps check it: what happened, who did it, for
/// which hospital, about what.
type Logged = (LogAction, AccountId, Option<u32>, Subject<AccountId>);

/// `patient`'s log entries from sequence number `from` on, verified against the head at the
/// finalized block.
async fn logged_since(rpc: &Rpc, patient: &AccountId, from: u64) -> Vec<Logged> {
	let log = audit::verified_log(rpc, patient).await.unwrap();
	log.entries
		.into_iter()
		.filter(|e| e.seq >= from)
		.map(|e| (e.action, e.actor, e.hospital, e.subject))
		.collect()
}

/// The chain's access decision as a hospital's EHR system asks it (`ehr_decide`): may
/// `accessor` read `patient`'s clinical notes for treatment?
async fn decide_notes(rpc: &Rpc, accessor: &AccountId, patient: &AccountId) -> Value {
	let params = vec![
		accessor.to_string().into(),
		patient.to_string().into(),
		json!({ "category": "clinicalNote" }),
		"treatment".into(),
		"read".into(),
	];
	rpc.call("ehr_decide", params).await.unwrap()
}

/// Whether every extrinsic whose events are `each` was free (`SkipFeelessPayment`'s only event,
/// `FeeSkipped`).
fn all_free(each: &[Vec<RuntimeEvent>]) -> bool {
	each.iter()
		.all(|events| events.iter().any(|e| matches!(e, RuntimeEvent::SkipFeelessPayment(_))))
}

/// A node's PeerId in the bytes the registry keeps, as `ehr-node peer-id` prints them.
async fn peer_id_of(bin: &Path, node: &Node) -> Vec<u8> {
	let peer: String = node.rpc().unwrap().call("system_localPeerId", vec![]).await.unwrap();
	let out = Command::new(bin).args(["peer-id", &peer]).output().unwrap();
	assert!(out.status.success(), "peer-id {peer}: {}", String::from_utf8_lossy(&out.stderr));
	hex::decode(String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("0x")).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
	let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
	sorted[i.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_flow_between_two_hospitals_only_under_consent() {
	let started = Instant::now();
	// Alice General's node, and Bob Memorial's booting from it.
	let bin = node_binary();
	let mut cfg_b = NodeConfig::dev(&bin);
	cfg_b.name = "bob-memorial".into();
	cfg_b.args = vec!["--chain".into(), "dev".into()];
	let nodes = network::start(vec![NodeConfig::dev(&bin), cfg_b], WAIT).await.unwrap();
	let (node_a, node_b) = (&nodes[0], &nodes[1]);
	let (rpc_a, rpc_b) = (node_a.rpc().unwrap(), node_b.rpc().unwrap());

	let (alice, bob, charlie, dave, eve, ferdie) =
		(Alice.pair(), Bob.pair(), Charlie.pair(), Dave.pair(), Eve.pair(), Ferdie.pair());
	// The development chain's genesis makes //Alice//stash the gateway account of Alice
	// General; Bob Memorial registers //Bob//stash (both endowed).
	let (gw_a_suri, gw_b_suri) = ("//Alice//stash", "//Bob//stash");
	let (gw_a, gw_b) = (pair(gw_a_suri), pair(gw_b_suri));
	let (port_a, port_b) = (free_port().unwrap(), free_port().unwrap());

	// Governance admits Bob Memorial (hospital 1); each admin registers a doctor (Bob also his
	// gateway account) and points the registry at its gateway; Charlie signs up as a patient.
	let admit = registry(pallet_hospital_registry::Call::admit_hospital {
		name: b"Bob Memorial".to_vec(),
		admin: bob.public().into(),
		validator: bob.public().into(),
		gateway_url: format!("https://127.0.0.1:{port_b}").into_bytes(),
		nodes: vec![],
	});
	submit(&rpc_a, &alice, RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(admit) }))
		.await;
	let url_a = registry(pallet_hospital_registry::Call::update_hospital {
		name: None,
		gateway_url: Some(format!("http://127.0.0.1:{port_a}").into_bytes()),
	});
	let (a, b, c) = tokio::join!(
		async {
			submit(&rpc_a, &alice, url_a).await;
			submit(&rpc_a, &alice, register_staff(eve.public().into(), StaffRole::Doctor)).await
		},
		async {
			submit(&rpc_b, &bob, register_staff(dave.public().into(), StaffRole::Doctor)).await;
			submit(&rpc_b, &bob, register_staff(gw_b.public().into(), StaffRole::Gateway)).await
		},
		submit(&rpc_a, &charlie, registry(pallet_hospital_registry::Call::register_patient {})),
	);
	drop((a, b, c));
	eprintln!(
		"[{:?}] two hospitals, two doctors, two gateway accounts, a patient",
		started.elapsed()
	);

	// Alice General keeps its documents in S3-compatible object storage (a real S3 server on
	// loopback) and serves plain HTTP on loopback; Bob Memorial keeps them in its gateway's
	// directory and serves HTTPS, with a certificate of a CA made for the test.
	let s3 = S3Server::start(&["ehr-documents"]).unwrap();
	let certs = tempfile::tempdir().unwrap();
	let (ca_file, cert, key) =
		(certs.path().join("ca.pem"), certs.path().join("cert.pem"), certs.path().join("key.pem"));
	let ca = TestCa::new("Bob Memorial CA").unwrap();
	ca.write_ca(&ca_file).unwrap();
	ca.issue(&cert, &key).unwrap();
	CA_FILE.set(ca_file.clone()).unwrap();
	let gateway_a =
		GatewayProcess::start(node_a, gw_a_suri, port_a, "alice-general", Some(&s3), None, &[])
			.await;
	let gateway_b = GatewayProcess::start(
		node_b,
		gw_b_suri,
		port_b,
		"bob-memorial",
		None,
		Some((&cert, &key)),
		&[],
	)
	.await;
	let genesis = rpc_a.genesis_hash().await.unwrap();
	let client_a = Gateway::new(&gateway_a.url, genesis).unwrap();
	// Each gateway publishes its custodian key for its account.
	for (g, who) in [(&gateway_a, &gw_a), (&gateway_b, &gw_b)] {
		let account: ehr_client::runtime::AccountId = who.public().into();
		let want = EncryptionSecret::from_sr25519(who).public();
		let what = format!("{} publishes its key", g.url);
		let published = wait_until(&what, WAIT, || {
			let rpc = rpc_a.clone();
			let account = account.clone();
			async move {
				let at = rpc.finalized_hash().await?;
				Ok(gateway::encryption_key(&rpc, &account, Some(at)).await?.filter(|k| *k == want))
			}
		})
		.await;
		assert!(published.is_ok(), "{what}: {published:?}; gateway log:\n{}", g.log());
	}
	let info = client_a.info().await.unwrap();
	assert_eq!((info.hospital, info.genesis), (0, genesis));
	assert_eq!(
		info.encryption_key,
		format!("0x{}", hex::encode(EncryptionSecret::from_sr25519(&gw_a).public()))
	);

	// Eve seals and uploads a note with ehr-doc and anchors it for Charlie.
	let files = tempfile::tempdir().unwrap();
	let note = b"Discharge summary (fictitious): stable, follow up in two weeks.".to_vec();
	let note_path = files.path().join("note.txt");
	std::fs::write(&note_path, &note).unwrap();
	let charlie_addr = Charlie.to_account_id().to_string();
	let up = ehr_doc(
		&node_a.url(),
		&[
			"upload",
			"--suri",
			"//Eve",
			"--file",
			note_path.to_str().unwrap(),
			"--patient",
			&charlie_addr,
		],
	)
	.unwrap_or_else(|e| panic!("ehr-doc upload: {e}\ngateway log:\n{}", gateway_a.log()));
	let record = up["record"].as_u64().expect("a record id");
	assert_eq!(up["gateway"], gateway_a.url);
	assert_eq!(gateway_a.documents().await, 1);
	let on_chain = gateway::finalized_record(&rpc_a, record).await.unwrap().unwrap();
	assert_eq!(on_chain.custodian, Some(0));
	assert_eq!(pallet_patient_records_rpc::cid_string(&on_chain.content.cid), up["cid"]);
	eprintln!("[{:?}] record {record} anchored, document at gateway A", started.elapsed());

	// The decoy: a doctor of another hospital anchors the document of Charlie's record as a
	// record of his own (he would be its author, so permitted to read it, and its deletion would
	// make a gateway destroy Charlie's document). The chain anchors a commitment once: refused,
	// and nothing is anchored.
	let next_record = || {
		let rpc = rpc_a.clone();
		async move {
			let key = pallet_patient_records::NextRecordId::<ehr_runtime::Runtime>::hashed_key();
			let raw = rpc.storage(&key, None).await.unwrap().unwrap_or_default();
			<u64 as codec::Decode>::decode(&mut &raw[..]).unwrap_or_default()
		}
	};
	let before = next_record().await;
	let decoy = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: Charlie.to_account_id(),
		category: pallet_patient_records::Category::ClinicalNote,
		content: pallet_patient_records::Content {
			commitment: on_chain.content.commitment,
			cid: on_chain.content.cid.to_vec(),
			scheme: on_chain.content.scheme,
			size: on_chain.content.size,
		},
	});
	match rpc_a.sign_and_watch(&Signer::new(dave.clone()), decoy, WAIT).await {
		Err(Error::Dispatch(e)) => {
			// The node reports the module error by index: the records pallet's CommitmentInUse.
			let in_use = codec::Encode::encode(
				&pallet_patient_records::Error::<ehr_runtime::Runtime>::CommitmentInUse,
			)[0];
			assert!(e.contains(&format!("error: [{in_use}, 0, 0, 0]")), "refused as {e}");
		},
		other => panic!("the decoy was not refused as CommitmentInUse: {other:?}"),
	}
	assert_eq!(next_record().await, before, "the decoy anchored nothing");

	// Every attempt that concerns Charlie's record is logged: keep what we expect, in order.
	let mut expected: Vec<LogAction> = Vec::new();
	let dave_signer = Signer::new(dave.clone());
	let dave_secret = EncryptionSecret::from_sr25519(&dave);
	let fetch = |ttl: u64| {
		let client = client_a.clone();
		let signer = dave_signer.clone();
		async move { client.fetch(&signer, 0, record, Purpose::Treatment, ttl).await }
	};

	// 1. No grant yet: denied, and logged.
	let (r, logged) = refusal(fetch(60_000).await);
	assert_eq!(r, Refusal::Denied);
	assert!(logged.is_some());
	expected.push(LogAction::ReadDenied);

	// 2. Charlie grants Bob Memorial read access for treatment; Dave has no key yet.
	let now = rpc_a.now_ms().await.unwrap();
	let grant = grant_read(
		Charlie.to_account_id(),
		Grantee::Hospital(1),
		Scope::AllRecords,
		now + 24 * 3600 * 1000,
	);
	let events = submit(&rpc_a, &charlie, grant).await;
	let grant_id = find_event!(
		events,
		RuntimeEvent::Consent(pallet_consent::Event::Granted { grant, .. }) => *grant
	);
	let (r, logged) = refusal(fetch(60_000).await);
	assert_eq!(r, Refusal::NoEncryptionKey);
	assert!(logged.is_some());
	expected.push(LogAction::ReadDenied);

	// 3. Dave publishes his key (ehr-doc, through his own hospital's node) and fetches with
	// ehr-doc: the plaintext comes back, checked against the chain.
	ehr_doc(&node_b.url(), &["publish-key", "--suri", "//Dave"]).unwrap();
	let out = files.path().join("fetched.txt");
	let got = ehr_doc(
		&node_b.url(),
		&[
			"fetch",
			"--suri",
			"//Dave",
			"--record",
			&record.to_string(),
			"--out",
			out.to_str().unwrap(),
		],
	)
	.unwrap_or_else(|e| panic!("ehr-doc fetch: {e}\ngateway log:\n{}", gateway_a.log()));
	assert_eq!(std::fs::read(&out).unwrap(), note);
	assert_eq!(got["cid"], up["cid"]);
	// The read is logged naming the hash of the request ehr-doc signed for Dave.
	let request: H256 = serde_json::from_value(got["request"].clone()).unwrap();
	assert_ne!(request, H256::zero());
	expected.push(LogAction::DocumentServed { request });
	eprintln!("[{:?}] Dave (hospital B) fetched and decrypted record {record}", started.elapsed());

	// 4. A replayed request is refused; the first use of it was served.
	let signed = sign(&fetch_request(&dave, genesis, 0, record, 60_000), &dave);
	let first = client_a.fetch_signed(signed.clone()).await.unwrap();
	let served_hash = gateway::request_hash(&signed).unwrap();
	assert_eq!(first.request, served_hash, "the answer names the request served");
	expected.push(LogAction::DocumentServed { request: served_hash });
	assert_eq!(gateway::open_fetched(&first, &on_chain, &dave_secret).unwrap(), note);
	// A replay is a copy of Dave's logged request, not a new attempt of his: not logged.
	assert_eq!(refusal(client_a.fetch_signed(signed.clone()).await), (Refusal::Replayed, None));
	// Only Dave's secret opens what was wrapped to Dave.
	assert!(matches!(
		gateway::open_fetched(&first, &on_chain, &EncryptionSecret::from_sr25519(&eve)),
		Err(gateway::FetchedError::Key(keys::KeyError::Unwrap))
	));

	// 5. Expired, too long-lived, forged, unsigned and other-chain requests: refused, and not
	// logged as Dave's attempts (Ferdie's forgery must not put a read attempt of Dave's in the
	// log; a request Dave signed for another chain is not one for this chain).
	for ttl in [-1_000, 10 * 60 * 1000] {
		let signed = sign(&fetch_request(&dave, genesis, 0, record, ttl), &dave);
		assert_eq!(refusal(client_a.fetch_signed(signed).await), (Refusal::Expired, None));
	}
	let elsewhere = sign(&fetch_request(&dave, H256::repeat_byte(7), 0, record, 60_000), &dave);
	assert_eq!(refusal(client_a.fetch_signed(elsewhere).await), (Refusal::WrongChain, None));
	let forged = sign(&fetch_request(&dave, genesis, 0, record, 60_000), &ferdie);
	assert_eq!(refusal(client_a.fetch_signed(forged.clone()).await), (Refusal::BadSignature, None));
	let unsigned = SignedRequest { signature: "0x".into(), ..forged };
	assert_eq!(refusal(client_a.fetch_signed(unsigned).await), (Refusal::BadSignature, None));

	// 6. Requests that concern no record of this gateway are refused and not logged in
	// Charlie's log: an unknown record, a request for hospital B's gateway, garbage.
	let unknown = sign(&fetch_request(&dave, genesis, 0, 9_999, 60_000), &dave);
	assert_eq!(refusal(client_a.fetch_signed(unknown).await), (Refusal::UnknownRecord, None));
	let to_b = sign(&fetch_request(&dave, genesis, 1, record, 60_000), &dave);
	assert_eq!(refusal(client_a.fetch_signed(to_b).await), (Refusal::WrongGateway, None));
	let garbage = SignedRequest { request: "0x00".into(), signature: "0x00".into() };
	assert_eq!(refusal(client_a.fetch_signed(garbage).await).0, Refusal::Malformed);
	// Hospital B's gateway does not keep Charlie's record.
	let client_b =
		Gateway::with_trust(&gateway_b.url, genesis, &Trust::CaFile(ca_file.clone())).unwrap();
	let (r, _) = refusal(client_b.fetch(&dave_signer, 1, record, Purpose::Treatment, 60_000).await);
	assert_eq!(r, Refusal::NotCustodian);

	// 7. Bytes altered in storage: the gateway's CID check refuses them, and the client's check
	// catches altered bytes whoever sends them.
	let doc_name = format!("documents/{}", hex::encode(&on_chain.content.cid));
	let original = gateway_a.objects.get(&doc_name).await.unwrap().unwrap();
	let mut altered = original.clone();
	altered[30] ^= 0x01;
	gateway_a.objects.put(&doc_name, altered.clone()).await.unwrap();
	assert_eq!(refusal(fetch(60_000).await).0, Refusal::Corrupt);
	expected.push(LogAction::ReadDenied);
	gateway_a.objects.put(&doc_name, original.clone()).await.unwrap();
	let mut tampered = first.clone();
	tampered.document = base64::engine::general_purpose::STANDARD.encode(&altered);
	assert_eq!(
		gateway::open_fetched(&tampered, &on_chain, &dave_secret),
		Err(gateway::FetchedError::CidMismatch)
	);
	let sealed_path = files.path().join("sealed.bin");
	std::fs::write(&sealed_path, &altered).unwrap();
	let verify =
		["verify", "--record", &record.to_string(), "--file", sealed_path.to_str().unwrap()];
	assert!(ehr_doc(&node_a.url(), &verify).unwrap_err().contains("does not match"));
	std::fs::write(&sealed_path, &original).unwrap();
	assert_eq!(ehr_doc(&node_a.url(), &verify).unwrap()["matches"], true);

	// 8. Bad uploads: refused with their reason, nothing stored.
	let custodian = EncryptionSecret::from_sr25519(&gw_a).public();
	let eve_signer = Signer::new(eve.clone());
	let ferdie_signer = Signer::new(ferdie.clone());
	let before = gateway_a.documents().await;
	let store_refusal = |r: Result<gateway::Stored, Error>| match r {
		Err(Error::Refused(r)) => r.refusal,
		other => panic!("expected a refusal, got {other:?}"),
	};
	let big = document::seal(&vec![7u8; MAX_DOCUMENT as usize]);
	assert_eq!(
		store_refusal(client_a.store(&eve_signer, 0, &custodian, &big).await),
		Refusal::TooLarge
	);
	let small = document::seal(b"a fictitious lab result");
	assert_eq!(
		store_refusal(client_a.store(&ferdie_signer, 0, &custodian, &small).await),
		Refusal::NotHospitalStaff
	);
	assert_eq!(
		store_refusal(client_a.store(&eve_signer, 0, &dave_secret.public(), &small).await),
		Refusal::BadWrappedKey
	);
	let other = document::seal(b"other bytes");
	let request = StoreRequest {
		hospital: 0,
		uploader: eve_signer.account(),
		commitment: other.commitment,
		size: small.bytes.len() as u64,
		wrapped_key: keys::wrap(&small.key, &custodian, &small.cid).unwrap(),
		nonce: gateway::new_nonce(),
		expires_at: now_ms() + 60_000,
		genesis,
	};
	let body = base64::engine::general_purpose::STANDARD.encode(&small.bytes);
	assert_eq!(
		store_refusal(client_a.store_signed(sign(&request, &eve), body.clone()).await),
		Refusal::CidMismatch
	);
	let forged_store = sign(&request, &ferdie);
	assert_eq!(
		store_refusal(client_a.store_signed(forged_store, body).await),
		Refusal::BadSignature
	);
	assert_eq!(gateway_a.documents().await, before, "no refused upload was stored");
	// A document is stored once: uploading it again is answered the same and changes nothing.
	let once = client_a.store(&eve_signer, 0, &custodian, &small).await.unwrap();
	let again = client_a.store(&eve_signer, 0, &custodian, &small).await.unwrap();
	assert_eq!(once, again);
	assert_eq!(gateway_a.documents().await, before + 1);
	assert!(gateway_a.log().contains("already stored, kept as it was"));

	// 8a. A scan sealed a chunk at a time by `ehr-doc seal` (3 MiB and a bit: four chunks of
	// the streamed scheme), anchored, checked and opened by `ehr-doc open`; cut at a chunk
	// boundary it does not open, and nothing is left where the plaintext would go.
	let scan: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i * 7 % 253) as u8).collect();
	let (scan_file, scan_sealed, scan_key, scan_out) = (
		files.path().join("scan.dcm"),
		files.path().join("scan.sealed"),
		files.path().join("scan.key"),
		files.path().join("scan.opened"),
	);
	std::fs::write(&scan_file, &scan).unwrap();
	let path = |p: &Path| p.to_str().unwrap().to_string();
	let sealed_scan = ehr_doc(
		&node_a.url(),
		&[
			"seal",
			"--file",
			&path(&scan_file),
			"--out",
			&path(&scan_sealed),
			"--key-out",
			&path(&scan_key),
		],
	)
	.unwrap();
	assert_eq!(sealed_scan["scheme"], "chaCha20Poly1305Stream");
	let sealed_bytes = std::fs::read(&scan_sealed).unwrap();
	assert_eq!(sealed_scan["size"], sealed_bytes.len() as u64);
	let digest = sp_io::hashing::sha2_256(&sealed_bytes);
	let add = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: Charlie.to_account_id(),
		category: pallet_patient_records::Category::Imaging,
		content: pallet_patient_records::ContentInput {
			commitment: H256(digest),
			cid: pallet_patient_records::cid::raw_sha2_256(&digest).to_vec(),
			scheme: pallet_patient_records::EncryptionScheme::ChaCha20Poly1305Stream,
			size: sealed_bytes.len() as u64,
		},
	});
	let scan_record = record_added(&submit(&rpc_a, &eve, add).await).to_string();
	assert_eq!(sealed_scan["commitment"], format!("{:?}", H256(digest)));
	ehr_doc(&node_a.url(), &["verify", "--record", &scan_record, "--file", &path(&scan_sealed)])
		.unwrap();
	let open = |file: &Path| {
		ehr_doc(
			&node_a.url(),
			&[
				"open",
				"--record",
				&scan_record,
				"--file",
				&path(file),
				"--key-file",
				&path(&scan_key),
				"--out",
				&path(&scan_out),
			],
		)
	};
	assert_eq!(open(&scan_sealed).unwrap()["size"], scan.len() as u64);
	assert_eq!(std::fs::read(&scan_out).unwrap(), scan);
	std::fs::remove_file(&scan_out).unwrap();
	let cut = files.path().join("scan.cut");
	std::fs::write(&cut, &sealed_bytes[..7 + 2 * (1024 * 1024 + 16)]).unwrap();
	let refused = open(&cut).unwrap_err();
	assert!(refused.contains("does not open"), "{refused}");
	assert!(!scan_out.exists() && !scan_out.with_extension("partial").exists());

	// 8b. Documents larger than a JSON-RPC body, streamed both ways by `ehr-doc` through the
	// gateways' streamed routes: a 20 MiB study on Alice General's S3 gateway (a multipart upload
	// of three parts), and one of `EHR_LARGE_DOCUMENT_MIB` (default 48) uploaded by Dave to Bob
	// Memorial's HTTPS gateway, whose rates and memory are printed (and the memory bounded).
	streamed_documents(
		&rpc_a,
		&node_a.url(),
		&node_b.url(),
		&gateway_a,
		&gateway_b,
		(&client_a, &eve, &dave, &ferdie),
		files.path(),
	)
	.await;

	// 9. Charlie revokes the grant: denied again.
	let revoke = RuntimeCall::Consent(pallet_consent::Call::revoke {
		patient: Charlie.to_account_id(),
		grant: grant_id,
	});
	submit(&rpc_a, &charlie, revoke).await;
	// ehr-doc's fetch is refused, and says why in words: the patient revoked the grant.
	let refused = ehr_doc(
		&node_a.url(),
		&[
			"fetch",
			"--suri",
			"//Dave",
			"--record",
			&record.to_string(),
			"--out",
			out.to_str().unwrap(),
		],
	)
	.unwrap_err();
	let words = format!("refused: the patient revoked grant #{grant_id} on ");
	assert!(refused.contains(&words), "{refused}");
	assert!(refused.contains(&format!("consent: Revoked({grant_id})")), "{refused}");
	expected.push(LogAction::ReadDenied);

	// 10. The access log holds every attempt, in order, and verifies.
	let reads = |log: &audit::VerifiedLog| -> Vec<LogAction> {
		log.entries
			.iter()
			.filter(|e| e.subject == pallet_access_log::Subject::Record(record))
			.map(|e| e.action)
			.filter(|a| matches!(a, LogAction::DocumentServed { .. } | LogAction::ReadDenied))
			.collect()
	};
	let want = expected.len();
	let log = wait_until("every attempt is finalized in the log", WAIT, || {
		let rpc = rpc_a.clone();
		async move {
			let log = audit::verified_log(&rpc, &Charlie.to_account_id()).await?;
			Ok((reads(&log).len() >= want).then_some(log))
		}
	})
	.await
	.unwrap();
	assert_eq!(reads(&log), expected);
	assert!(log
		.entries
		.iter()
		.filter(|e| matches!(e.action, LogAction::DocumentServed { .. } | LogAction::ReadDenied))
		.all(|e| e.actor == Dave.to_account_id() && e.source == Some(0)));
	eprintln!("[{:?}] {} attempts logged and verified", started.elapsed(), expected.len());

	// 10a. Charlie gets the signed requests gateway A served of his records, and each served
	// read of his log verifies against the request it names: Dave asked, for that record and
	// purpose, at that gateway.
	let charlie_signer = Signer::new(charlie.clone());
	let served = client_a.requests(&charlie_signer, 0, &Charlie.to_account_id()).await.unwrap();
	assert_eq!(served.len(), 2, "the two reads served so far: {served:?}");
	let kept = served.iter().find(|r| r.hash == served_hash).expect("the request of step 4");
	assert_eq!((kept.record, &kept.signed), (record, &signed));
	let served_reads: Vec<_> =
		log.entries.iter().filter(|e| e.action.request().is_some()).collect();
	assert_eq!(served_reads.len(), 2);
	for entry in served_reads {
		let named = entry.action.request();
		let r = served.iter().find(|r| Some(r.hash) == named).expect("the request it names");
		let asked = gateway::verify_served(entry, &r.signed, genesis).unwrap();
		assert_eq!((asked.requester, asked.record), (Dave.to_account_id(), record));
		// The same request proves no read by anyone else.
		let mut as_eve = entry.clone();
		as_eve.actor = Eve.to_account_id();
		assert!(matches!(
			gateway::verify_served(&as_eve, &r.signed, genesis),
			Err(gateway::Unproven::OtherRequester { .. })
		));
	}
	let check = ehr_doc(&node_a.url(), &["requests", "--suri", "//Charlie"])
		.unwrap_or_else(|e| panic!("ehr-doc requests: {e}\ngateway log:\n{}", gateway_a.log()));
	assert_eq!(check["proven"].as_array().map(Vec::len), Some(2), "{check:#}");
	assert_eq!(check["allProven"], true, "{check:#}");
	// Nobody who does not act for Charlie gets them: not Ferdie, not Dave (whose requests they
	// are), and not a query signed by someone else than the account it names.
	let requests_refusal = |r: Result<Vec<gateway::ServedRequest>, Error>| match r {
		Err(Error::Refused(r)) => (r.refusal, r.logged),
		other => panic!("expected a refusal, got {other:?}"),
	};
	for stranger in [&ferdie_signer, &dave_signer] {
		assert_eq!(
			requests_refusal(client_a.requests(stranger, 0, &Charlie.to_account_id()).await),
			(Refusal::NotAuthorized, None)
		);
	}
	let as_charlie = RequestsQuery {
		hospital: 0,
		patient: Charlie.to_account_id(),
		requester: Charlie.to_account_id(),
		nonce: gateway::new_nonce(),
		expires_at: now_ms() + 60_000,
		genesis,
	};
	assert_eq!(
		requests_refusal(client_a.requests_signed(sign(&as_charlie, &ferdie)).await),
		(Refusal::BadSignature, None)
	);
	eprintln!(
		"[{:?}] Charlie verified both served reads against Dave's requests",
		started.elapsed()
	);

	// 10b. A flood of refused attempts by an account the chain does not know: Ferdie, neither
	// staff nor patient, signs valid requests. Each is refused and none is logged on chain (a
	// fresh key pair costs nothing to make); the gateway's own log counts them.
	for i in 0..REFUSALS_PER_REQUESTER + 3 {
		let (r, logged) =
			refusal(client_a.fetch(&ferdie_signer, 0, record, Purpose::Treatment, 60_000).await);
		assert_eq!((r, logged), (Refusal::Denied, None), "attempt {i}");
	}
	assert!(gateway_a.log().contains("accounts the chain does not know are not logged on chain"));

	// 10c. Ferdie signs up as a patient: the chain knows him now. Those refusals used none of
	// his budget: the first REFUSALS_PER_REQUESTER of his next ones are denied and logged, the
	// rest refused `RateLimited` without a log entry. Dave's budget is his own: his next
	// refusal is still logged.
	submit(&rpc_a, &ferdie, registry(pallet_hospital_registry::Call::register_patient {})).await;
	for i in 0..REFUSALS_PER_REQUESTER + 3 {
		let (r, logged) =
			refusal(client_a.fetch(&ferdie_signer, 0, record, Purpose::Treatment, 60_000).await);
		if i < REFUSALS_PER_REQUESTER {
			assert_eq!((r, logged.is_some()), (Refusal::Denied, true), "attempt {i}");
		} else {
			assert_eq!((r, logged), (Refusal::RateLimited, None), "attempt {i}");
		}
	}
	let (r, logged) = refusal(fetch(60_000).await);
	assert_eq!((r, logged.is_some()), (Refusal::Denied, true));
	let ferdies = |log: &audit::VerifiedLog| {
		log.entries
			.iter()
			.filter(|e| e.actor == Ferdie.to_account_id() && e.action == LogAction::ReadDenied)
			.count()
	};
	let log = wait_until("Ferdie's logged refusals are finalized", WAIT, || {
		let rpc = rpc_a.clone();
		async move {
			let log = audit::verified_log(&rpc, &Charlie.to_account_id()).await?;
			Ok((reads(&log).len() > want + REFUSALS_PER_REQUESTER).then_some(log))
		}
	})
	.await
	.unwrap();
	assert_eq!(ferdies(&log), REFUSALS_PER_REQUESTER, "only the refusals within the limit");
	assert!(gateway_a.log().contains("not logged: over this requester's limit"));
	eprintln!(
		"[{:?}] {} refused attempts logged, {} more refused without a log entry",
		started.elapsed(),
		REFUSALS_PER_REQUESTER,
		3
	);

	// 11. Eve and Charlie delete the record: the gateway destroys document and key by itself
	// and logs the erasure; fetching is refused as erased.
	let withdraw = RuntimeCall::PatientRecords(pallet_patient_records::Call::request_withdrawal {
		record,
		kind: Withdrawal::Delete,
	});
	submit(&rpc_a, &eve, withdraw).await;
	let approve =
		RuntimeCall::PatientRecords(pallet_patient_records::Call::approve_withdrawal { record });
	submit(&rpc_a, &charlie, approve).await;
	let key_name = format!("keys/{}", hex::encode(&on_chain.content.cid));
	let erased = wait_until("the gateway erases the document", WAIT, || {
		let rpc = rpc_a.clone();
		let (doc, key, objects) = (doc_name.clone(), key_name.clone(), gateway_a.objects.clone());
		async move {
			let log = audit::verified_log(&rpc, &Charlie.to_account_id()).await?;
			let logged = log.entries.iter().any(|e| {
				e.action == LogAction::DocumentErased
					&& e.subject == pallet_access_log::Subject::Record(record)
			});
			let gone = !objects.exists(&doc).await? && !objects.exists(&key).await?;
			Ok((logged && gone).then_some(log))
		}
	})
	.await;
	let erased = erased.unwrap_or_else(|e| panic!("{e}; gateway log:\n{}", gateway_a.log()));
	let entry = erased.entries.iter().find(|e| e.action == LogAction::DocumentErased).unwrap();
	assert_eq!(entry.actor, gw_a.public().into());
	let deleted = gateway::finalized_record(&rpc_a, record).await.unwrap().unwrap();
	assert_eq!(deleted.status, pallet_patient_records::RecordStatus::Deleted);
	assert!(deleted.content.cid.is_empty(), "the tombstone keeps no address");
	assert_eq!(refusal(fetch(60_000).await).0, Refusal::Erased);
	// The erased document is not kept again, whoever uploads it (refused before its key is
	// even looked at).
	let erased_cid = on_chain.content.cid.to_vec();
	let reupload = StoreRequest {
		hospital: 0,
		uploader: eve_signer.account(),
		commitment: on_chain.content.commitment,
		size: original.len() as u64,
		wrapped_key: keys::wrap(&[0u8; 32], &custodian, &erased_cid).unwrap(),
		nonce: gateway::new_nonce(),
		expires_at: now_ms() + 60_000,
		genesis,
	};
	let body = base64::engine::general_purpose::STANDARD.encode(&original);
	assert_eq!(
		store_refusal(client_a.store_signed(sign(&reupload, &eve), body).await),
		Refusal::Erased
	);
	assert!(!gateway_a.objects.exists(&doc_name).await.unwrap());
	// Erasing on request takes a request signed by the hospital's admin (or an Administrator,
	// or the gateway itself): not Dave's, and not an unsigned one.
	let erase_refusal = |r: Result<gateway::Erased, Error>| match r {
		Err(Error::Refused(r)) => (r.refusal, r.logged),
		other => panic!("expected a refusal, got {other:?}"),
	};
	assert_eq!(
		erase_refusal(client_a.erase(&dave_signer, 0, record).await),
		(Refusal::NotAuthorized, None)
	);
	let unsigned = EraseRequest {
		hospital: 0,
		record,
		requester: Alice.to_account_id(),
		nonce: gateway::new_nonce(),
		expires_at: now_ms() + 60_000,
		genesis,
	};
	let unsigned = SignedRequest { signature: "0x".into(), ..sign(&unsigned, &ferdie) };
	assert_eq!(erase_refusal(client_a.erase_signed(unsigned).await), (Refusal::BadSignature, None));
	let again =
		ehr_doc(&node_a.url(), &["erase", "--suri", "//Alice", "--record", &record.to_string()])
			.unwrap();
	assert_eq!((again["destroyed"].as_bool(), again["logged"].is_null()), (Some(false), true));
	eprintln!("[{:?}] record {record} deleted, document and key erased", started.elapsed());

	// 11a. A second gateway of Alice General (a replica behind the same URL, in production):
	// its own account, the first one's bucket and custodian key. It serves what the first one
	// stored; a request one of them served is a replay to the other; killed right after it
	// served a read, it logs that read once it is started again on its state directory.
	let gw_a2_suri = "//Alice//gateway2";
	let gw_a2 = pair(gw_a2_suri);
	let fund = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
		dest: Address::Id(gw_a2.public().into()),
		value: 100 * UNIT,
	});
	submit(&rpc_a, &alice, fund).await;
	submit(&rpc_a, &alice, register_staff(gw_a2.public().into(), StaffRole::Gateway)).await;
	let replica_args = ["--custodian-suri", gw_a_suri, "--replicas", "2"];
	let port_a2 = free_port().unwrap();
	let gateway_a2 = GatewayProcess::start(
		node_a,
		gw_a2_suri,
		port_a2,
		"alice-general",
		Some(&s3),
		None,
		&replica_args,
	)
	.await;
	let client_a2 = Gateway::new(&gateway_a2.url, genesis).unwrap();
	// It publishes the shared custodian key for its own account: uploaders and requesters
	// check the key a gateway announces against its account's.
	let custodian = EncryptionSecret::from_sr25519(&gw_a).public();
	let published = wait_until("the replica publishes the custodian key", WAIT, || {
		let (rpc, account) = (rpc_a.clone(), AccountId::from(gw_a2.public()));
		async move {
			Ok(gateway::encryption_key(&rpc, &account, None).await?.filter(|k| *k == custodian))
		}
	})
	.await;
	published.unwrap_or_else(|e| {
		panic!(
			"{e}; replica log:
{}",
			gateway_a2.log()
		)
	});
	let replica_info = client_a2.info().await.unwrap();
	assert_eq!(replica_info.encryption_key, format!("0x{}", hex::encode(custodian)));
	assert_eq!(replica_info.account, AccountId::from(gw_a2.public()).to_string());
	// A note stored through the first gateway, anchored and granted, is served by the replica.
	let replica_note = b"Lab result (fictitious): within range.".to_vec();
	let lab = pallet_patient_records::Category::LabResult;
	let (replica_record, _, _, replica_on_chain) =
		note_for_charlie(&rpc_a, &client_a, &eve, &replica_note, lab).await;
	// Dave may read Charlie's records again (the grant of step 2 was revoked) for an hour:
	// this step and the timed run of step 12.
	let grant = grant_read(
		Charlie.to_account_id(),
		Grantee::Staff(Dave.to_account_id()),
		Scope::AllRecords,
		rpc_a.now_ms().await.unwrap() + 3600 * 1000,
	);
	submit(&rpc_a, &charlie, grant).await;
	let request = sign(&fetch_request(&dave, genesis, 0, replica_record, 60_000), &dave);
	let served = client_a2.fetch_signed(request.clone()).await.unwrap();
	assert_eq!(
		gateway::open_fetched(&served, &replica_on_chain, &dave_secret).unwrap(),
		replica_note
	);
	// The same signed request at the first gateway: a replay, refused and not served.
	assert_eq!(refusal(client_a.fetch_signed(request).await).0, Refusal::Replayed);
	// Killed right after it served a read, the replica logs the read once it runs again.
	let again = sign(&fetch_request(&dave, genesis, 0, replica_record, 60_000), &dave);
	let served = client_a2.fetch_signed(again).await.unwrap();
	let gateway_a2 = gateway_a2
		.restart(node_a, gw_a2_suri, port_a2, "alice-general", Some(&s3), &replica_args)
		.await;
	let logged = wait_until("the killed replica's read is logged after its restart", WAIT, || {
		let rpc = rpc_a.clone();
		async move {
			let log = audit::verified_log(&rpc, &Charlie.to_account_id()).await?;
			Ok(log.entries.iter().any(|e| e.action.request() == Some(served.request)).then_some(()))
		}
	})
	.await;
	logged.unwrap_or_else(|e| panic!("{e}; replica log:\n{}", gateway_a2.log()));

	// 12. Speed: 100 KiB documents fetched by Dave through gateway A, one at a time, and four
	// at a time through gateway A and its replica; each fetch is decided on chain, logged,
	// wrapped and checked by the client.
	let fetches: usize =
		std::env::var("EHR_GATEWAY_FETCHES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
	let payload: Vec<u8> = (0..100 * 1024).map(|i| (i * 31 % 251) as u8).collect();
	let imaging = pallet_patient_records::Category::Imaging;
	let (big_record, stored, sealed_len, big_on_chain) =
		note_for_charlie(&rpc_a, &client_a, &eve, &payload, imaging).await;
	let log_count = |rpc: Rpc| async move {
		let at = format!("{:?}", rpc.finalized_hash().await?);
		let who = Charlie.to_account_id().to_string();
		let head: Value = rpc.call("ehr_accessLogHead", vec![who.into(), at.into()]).await?;
		Ok::<usize, Error>(head["count"].as_u64().unwrap_or_default() as usize)
	};
	let count_before = log_count(rpc_a.clone()).await.unwrap();
	assert_eq!(stored.size, sealed_len as u64);
	for concurrency in [1usize, 4] {
		let t = Instant::now();
		let mut tasks = Vec::new();
		for w in 0..concurrency {
			// Four clients: two on each gateway of Alice General.
			let client = if w % 2 == 1 { client_a2.clone() } else { client_a.clone() };
			let (client, signer, secret, rec, payload) = (
				client,
				dave_signer.clone(),
				dave_secret.clone(),
				big_on_chain.clone(),
				payload.clone(),
			);
			let n = fetches / concurrency + usize::from(w < fetches % concurrency);
			tasks.push(tokio::spawn(async move {
				let mut times = Vec::with_capacity(n);
				for _ in 0..n {
					let t = Instant::now();
					let f = client.fetch(&signer, 0, big_record, Purpose::Treatment, 60_000).await;
					let f = f.unwrap_or_else(|e| panic!("fetch: {e}"));
					let plain = gateway::open_fetched(&f, &rec, &secret).unwrap();
					assert_eq!(plain.len(), payload.len());
					times.push(t.elapsed());
				}
				times
			}));
		}
		let mut times = Vec::new();
		for task in tasks {
			times.extend(task.await.unwrap());
		}
		let wall = t.elapsed();
		times.sort();
		println!(
			"gateway fetch of 100 KiB, concurrency {concurrency}: {} fetches in {:.2} s = {:.1} fetches/s ({:.1} MiB/s); latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
			times.len(),
			wall.as_secs_f64(),
			times.len() as f64 / wall.as_secs_f64(),
			times.len() as f64 * 100.0 / 1024.0 / wall.as_secs_f64(),
			percentile(&times, 0.5).as_secs_f64() * 1e3,
			percentile(&times, 0.99).as_secs_f64() * 1e3,
			times.last().unwrap().as_secs_f64() * 1e3,
		);
	}
	// Every one of those reads reaches the log.
	let total = fetches * 2;
	let served = Instant::now();
	wait_until("the timed reads are all logged", Duration::from_secs(180), || {
		let rpc = rpc_a.clone();
		async move { Ok((log_count(rpc).await? >= count_before + total).then_some(())) }
	})
	.await
	.unwrap_or_else(|e| panic!("{e}; gateway log:\n{}", gateway_a.log()));
	println!(
		"gateway fetch of 100 KiB: all {total} reads in the access log of a finalized block {:.1} s after the last answer",
		served.elapsed().as_secs_f64()
	);

	// 13. The gateway's operator, who holds its account's key, logs a served read of Dave's
	// that Dave never asked for, naming a request that does not exist, of a record of Ferdie's
	// (a patient since step 10c). The gateway is idle now, so the test signs with its account.
	// Ferdie's check shows that read unproven.
	let referral = document::seal(b"Referral (fictitious): cardiology, routine.");
	let add = RuntimeCall::PatientRecords(pallet_patient_records::Call::add_record {
		patient: Ferdie.to_account_id(),
		category: pallet_patient_records::Category::ClinicalNote,
		content: referral.content(),
	});
	let ferdies_record = record_added(&submit(&rpc_a, &eve, add).await);
	let made_up = H256::repeat_byte(0xee);
	let attributed = RuntimeCall::AccessLog(pallet_access_log::Call::log_served {
		record: ferdies_record,
		accessor: Dave.to_account_id(),
		purpose: Purpose::Treatment,
		request: made_up,
	});
	submit(&rpc_a, &gw_a, attributed).await;
	let check = ehr_doc(&node_a.url(), &["requests", "--suri", "//Ferdie"])
		.unwrap_or_else(|e| panic!("ehr-doc requests: {e}\ngateway log:\n{}", gateway_a.log()));
	assert_eq!(check["allProven"], false, "{check:#}");
	assert_eq!(check["proven"].as_array().map(Vec::len), Some(0), "{check:#}");
	let unproven = check["unproven"].as_array().unwrap();
	assert_eq!(unproven.len(), 1, "{check:#}");
	assert_eq!(
		unproven[0]["action"]["documentServed"]["request"],
		serde_json::to_value(made_up).unwrap()
	);
	assert_eq!(unproven[0]["actor"], Dave.to_account_id().to_string());
	assert_eq!(unproven[0]["record"], ferdies_record);
	assert!(unproven[0]["reason"].as_str().unwrap().contains("no request"), "{check:#}");
	eprintln!("[{:?}] a read Dave never asked for is shown unproven", started.elapsed());

	// 14. A guardian for any patient. Bob, the admin of Bob Memorial, which never verified
	// Charlie, records Ferdie (no staff of either hospital) as Charlie's guardian, who would act
	// as Charlie and be served all his documents: refused `PatientNotVerifiedHere`. Nor can
	// Ferdie act for Charlie (a grant to Dave in his name: `NotForPatient`). Who acts for
	// Charlie and his log are as they were: a refused call appends nothing (it stays in its
	// block, signed by its sender, with its `ExtrinsicFailed` event).
	let (charlie_id, ferdie_id, alice_id) =
		(Charlie.to_account_id(), Ferdie.to_account_id(), Alice.to_account_id());
	let untouched = acting_for(&rpc_a, &charlie_id).await;
	assert!(untouched.0.is_empty(), "nobody acts for Charlie yet: {:?}", untouched.0);
	let guardian_call = || {
		registry(pallet_hospital_registry::Call::record_guardian {
			patient: charlie_id.clone(),
			guardian: ferdie_id.clone(),
		})
	};
	let until = rpc_a.now_ms().await.unwrap() + 3600 * 1000;
	let grant_for_charlie = || {
		grant_read(
			charlie_id.clone(),
			Grantee::Staff(Dave.to_account_id()),
			Scope::AllRecords,
			until,
		)
	};
	let (by_bob, by_ferdie) = tokio::join!(
		submit_expect_error(&rpc_a, &bob, guardian_call()),
		submit_expect_error(&rpc_a, &ferdie, grant_for_charlie()),
	);
	assert_eq!((by_bob.as_str(), by_ferdie.as_str()), ("PatientNotVerifiedHere", "NotForPatient"));
	assert_eq!(acting_for(&rpc_a, &charlie_id).await, untouched, "the refusals changed nothing");
	// The way it is meant to go, and Charlie's defence. Alice General verifies Charlie (no
	// hospital had: he signed up by himself) and records Ferdie as his guardian; both are in
	// Charlie's log, naming the party. Charlie contests it, for free; Alice, the admin of the
	// recording hospital, reviews it and ends it, and Ferdie is refused again.
	let verify = registry(pallet_hospital_registry::Call::verify_patient {
		patient: charlie_id.clone(),
		commitment: H256::repeat_byte(3),
	});
	let events = submit_all(&rpc_a, &alice, vec![verify, guardian_call()]).await;
	assert!(
		events[1].iter().any(|e| matches!(
			e,
			RuntimeEvent::HospitalRegistry(pallet_hospital_registry::Event::GuardianRecorded {
				patient,
				guardian,
				hospital: 0,
			}) if *patient == charlie_id && *guardian == ferdie_id
		)),
		"{events:?}"
	);
	let guardian = DelegationInfo {
		who: ferdie_id.clone(),
		kind: Delegation::Guardian { hospital: 0 },
		contested_by: None,
	};
	assert_eq!(acting_for(&rpc_a, &charlie_id).await.0, vec![guardian.clone()]);
	let mut charlies: Vec<Logged> = vec![
		(LogAction::PatientVerified, alice_id.clone(), Some(0), Subject::Party(alice_id.clone())),
		(LogAction::GuardianRecorded, alice_id.clone(), Some(0), Subject::Party(ferdie_id.clone())),
	];
	assert_eq!(logged_since(&rpc_a, &charlie_id, untouched.1.count).await, charlies);
	let contest = registry(pallet_hospital_registry::Call::contest_guardian {
		patient: charlie_id.clone(),
		guardian: ferdie_id.clone(),
	});
	let events = submit(&rpc_a, &charlie, contest).await;
	assert!(all_free(&[events]), "contesting is free for the patient");
	let contested = DelegationInfo { contested_by: Some(charlie_id.clone()), ..guardian };
	assert_eq!(acting_for(&rpc_a, &charlie_id).await.0, vec![contested]);
	let review = registry(pallet_hospital_registry::Call::review_guardianship {
		patient: charlie_id.clone(),
		guardian: ferdie_id.clone(),
		uphold: false,
	});
	let events = submit(&rpc_a, &alice, review).await;
	assert!(
		events.iter().any(|e| matches!(
			e,
			RuntimeEvent::HospitalRegistry(pallet_hospital_registry::Event::GuardianRemoved {
				hospital: 0,
				by_council: false,
				..
			})
		)),
		"{events:?}"
	);
	assert_eq!(submit_expect_error(&rpc_a, &ferdie, grant_for_charlie()).await, "NotForPatient");
	let (acting, head) = acting_for(&rpc_a, &charlie_id).await;
	assert!(acting.is_empty(), "nobody acts for Charlie again: {acting:?}");
	charlies.push((
		LogAction::GuardianContested,
		charlie_id.clone(),
		None,
		Subject::Party(ferdie_id.clone()),
	));
	charlies.push((
		LogAction::GuardianRemoved { by_council: false },
		alice_id.clone(),
		Some(0),
		Subject::Party(ferdie_id.clone()),
	));
	assert_eq!(logged_since(&rpc_a, &charlie_id, untouched.1.count).await, charlies);
	assert_eq!(head.count, untouched.1.count + charlies.len() as u64);
	eprintln!(
		"[{:?}] a guardian for a patient the hospital never verified is refused; a contested \
		 one is ended by review",
		started.elapsed()
	);

	// 15. A delegate spends the patient's free operations. Mallory, a patient Alice General
	// enrols, appoints a delegate: a paid call, so she is given 1 EHR for it and set back to
	// zero at once (by the development chain's sudo key). The delegate, another patient with no
	// balance, grants Dave access until the allowance (20 consent operations an hour on this
	// runtime, shared by all who act for the patient) is spent: each grant within it is free,
	// the next one costs a fee he cannot pay and the pool refuses it. Mallory, still at zero,
	// revokes every grant and removes the delegate, then removes the grants: all free. Her
	// balance stays 0, the decision no longer permits Dave, the delegate acts for nobody, and
	// her log holds every grant and revocation with its signer (a removal is not logged).
	let (mallory, delegate) = (pair("//Mallory-patient"), pair("//Mallory-delegate"));
	let (mallory_id, delegate_id): (AccountId, AccountId) =
		(mallory.public().into(), delegate.public().into());
	let enrol = |who: &AccountId, salt: u8| {
		registry(pallet_hospital_registry::Call::enrol_patient {
			patient: who.clone(),
			commitment: H256::repeat_byte(salt),
		})
	};
	let set_balance = |free: Balance| {
		let set: BalancesCall<Runtime> = BalancesCall::force_set_balance {
			who: Address::Id(mallory_id.clone()),
			new_free: free,
		};
		RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(RuntimeCall::Balances(set)) })
	};
	submit_all(
		&rpc_a,
		&alice,
		vec![enrol(&mallory_id, 4), enrol(&delegate_id, 5), set_balance(UNIT)],
	)
	.await;
	let appoint = registry(pallet_hospital_registry::Call::appoint_delegate {
		delegate: delegate_id.clone(),
	});
	submit(&rpc_a, &mallory, appoint).await;
	let free_ops = |who: &AccountId| {
		let (rpc, who) = (rpc_a.clone(), who.to_string());
		async move { rpc.call::<u32>("ehr_freeConsentOps", vec![who.into()]).await.unwrap() }
	};
	let allowance = free_ops(&mallory_id).await;
	assert!(allowance > 0, "a patient's allowance starts full");
	let grant_dave = || {
		grant_read(
			mallory_id.clone(),
			Grantee::Staff(Dave.to_account_id()),
			Scope::AllRecords,
			until,
		)
	};
	let (_, granted) = tokio::join!(
		submit(&rpc_a, &alice, set_balance(0)),
		submit_all(&rpc_a, &delegate, (0..allowance).map(|_| grant_dave()).collect()),
	);
	assert!(all_free(&granted), "every grant within the allowance is free");
	assert_eq!(free_balance(&rpc_a, &mallory_id).await.unwrap(), 0);
	assert_eq!(free_ops(&mallory_id).await, 0, "the delegate spent the allowance");
	let d = decide_notes(&rpc_a, &Dave.to_account_id(), &mallory_id).await;
	assert_eq!((d["permit"].clone(), d["basis"].clone()), (json!(true), json!("grant")), "{d}");
	let refused = submit_expect_invalid(&rpc_a, &delegate, grant_dave()).await;
	assert!(refused.contains("Inability to pay some fees"), "{refused}");
	let mut undo: Vec<RuntimeCall> = (0..allowance)
		.map(|grant| {
			RuntimeCall::Consent(pallet_consent::Call::revoke {
				patient: mallory_id.clone(),
				grant,
			})
		})
		.collect();
	undo.push(registry(pallet_hospital_registry::Call::remove_delegate {
		delegate: delegate_id.clone(),
	}));
	assert!(all_free(&submit_all(&rpc_a, &mallory, undo).await), "the patient's undoing is free");
	let d = decide_notes(&rpc_a, &Dave.to_account_id(), &mallory_id).await;
	assert_eq!((d["permit"].clone(), d["reason"].clone()), (json!(false), json!("revoked")), "{d}");
	let logged_before_removal = acting_for(&rpc_a, &mallory_id).await.1;
	// Removing a revoked grant is valid, and free, only once the revocation is in a block.
	let removals = (0..allowance)
		.map(|grant| {
			RuntimeCall::Consent(pallet_consent::Call::remove_grant {
				patient: mallory_id.clone(),
				grant,
			})
		})
		.collect();
	assert!(all_free(&submit_all(&rpc_a, &mallory, removals).await), "removals are free");
	assert_eq!(free_balance(&rpc_a, &mallory_id).await.unwrap(), 0, "the patient paid nothing");
	let (acting, head) = acting_for(&rpc_a, &mallory_id).await;
	assert!(acting.is_empty(), "the delegate acts for Mallory no more: {acting:?}");
	assert_eq!(head, logged_before_removal, "removing a grant appends no entry");
	let grants: Value =
		rpc_a.call("ehr_grants", vec![mallory_id.to_string().into()]).await.unwrap();
	assert_eq!(grants, json!([]));
	let d = decide_notes(&rpc_a, &Dave.to_account_id(), &mallory_id).await;
	assert_eq!((d["permit"].clone(), d["reason"].clone()), (json!(false), json!("noGrant")), "{d}");
	// Acting for nobody, the delegate's grant is no longer free, and he cannot pay for it.
	let refused = submit_expect_invalid(&rpc_a, &delegate, grant_dave()).await;
	assert!(refused.contains("Inability to pay some fees"), "{refused}");
	let mut mallorys: Vec<Logged> = vec![
		(LogAction::PatientVerified, alice_id.clone(), Some(0), Subject::Party(alice_id.clone())),
		(
			LogAction::DelegateAppointed,
			mallory_id.clone(),
			None,
			Subject::Party(delegate_id.clone()),
		),
	];
	mallorys.extend(
		(0..allowance)
			.map(|g| (LogAction::ConsentGranted, delegate_id.clone(), None, Subject::Grant(g))),
	);
	mallorys.extend(
		(0..allowance)
			.map(|g| (LogAction::ConsentRevoked, mallory_id.clone(), None, Subject::Grant(g))),
	);
	mallorys.push((
		LogAction::DelegateRemoved,
		mallory_id.clone(),
		None,
		Subject::Party(delegate_id.clone()),
	));
	assert_eq!(logged_since(&rpc_a, &mallory_id, 0).await, mallorys);
	eprintln!(
		"[{:?}] a delegate spent {allowance} free operations; the patient undid them all at zero \
		 balance",
		started.elapsed()
	);

	// 16. A grant over its bounds. The categories excluded, the purposes and the actions of
	// `consent.grant` are bounded in the call's own types (`BoundedVec`s of at most 10, 4 and 2
	// entries): ehr-client builds calls from the runtime's types, so a longer list cannot be
	// expressed here, and one made by hand would not decode at the node. The records of a
	// record scope are the one list the call takes unbounded: 33 of them (the bound is 32) are
	// refused `TooManyRecords`, and Charlie's grants, delegations and log are as they were.
	let grants_of = |who: &AccountId| {
		let (rpc, who) = (rpc_a.clone(), who.to_string());
		async move { rpc.call::<Value>("ehr_grants", vec![who.into()]).await.unwrap() }
	};
	let before = (acting_for(&rpc_a, &charlie_id).await, grants_of(&charlie_id).await);
	let too_many = grant_read(
		charlie_id.clone(),
		Grantee::Hospital(1),
		Scope::Records((0..=32).collect()),
		until,
	);
	assert_eq!(submit_expect_error(&rpc_a, &charlie, too_many).await, "TooManyRecords");
	let after = (acting_for(&rpc_a, &charlie_id).await, grants_of(&charlie_id).await);
	assert_eq!(after, before, "the refused grant changed nothing");
	eprintln!("[{:?}] a grant over its record bound is refused", started.elapsed());

	// 17. One admin switches node permissioning off for everyone. Last, because it can cut Bob
	// Memorial's node off (the list enforced in the end names only Alice General's node):
	// nothing after it uses that node. Both hospitals register their node
	// (`ehr-node peer-id` gives the bytes the registry keeps): every active hospital has one,
	// so only registered nodes may connect, though the stored state is still `Pending`. Bob
	// clears his hospital's list (`setNodes([])`), which would lift enforcement were it only
	// counted: the chain latches `Enforced` first, and the empty list removes only Bob
	// Memorial's node. Neither admin alone switches it off: `setNodePermissioning` is the
	// council's (`BadOrigin`).
	let permissioning = || {
		let rpc = rpc_a.clone();
		async move {
			let key = pallet_hospital_registry::NodePermissioningState::<Runtime>::hashed_key();
			// Never written, it reads as its default, as the chain's `ValueQuery` does.
			rpc.storage(&key, None)
				.await
				.unwrap()
				.map(|raw| <NodePermissioning as codec::Decode>::decode(&mut &raw[..]).unwrap())
				.unwrap_or_default()
		}
	};
	let nodes_of = |hospital: u32| {
		let rpc = rpc_a.clone();
		async move {
			let info: Option<HospitalInfo<AccountId>> =
				rpc.runtime_call("HospitalRegistryApi_hospital", &hospital, None).await.unwrap();
			info.expect("an admitted hospital").nodes
		}
	};
	let (peer_a, peer_b) = (peer_id_of(&bin, node_a).await, peer_id_of(&bin, node_b).await);
	let set_nodes =
		|nodes: Vec<Vec<u8>>| registry(pallet_hospital_registry::Call::set_nodes { nodes });
	tokio::join!(
		submit(&rpc_a, &alice, set_nodes(vec![peer_a.clone()])),
		submit(&rpc_a, &bob, set_nodes(vec![peer_b.clone()])),
	);
	assert_eq!((nodes_of(0).await, nodes_of(1).await), (vec![peer_a.clone()], vec![peer_b]));
	assert_eq!(permissioning().await, NodePermissioning::Pending);
	let events = submit(&rpc_a, &bob, set_nodes(vec![])).await;
	assert!(
		events.iter().any(|e| matches!(
			e,
			RuntimeEvent::HospitalRegistry(pallet_hospital_registry::Event::NodesSet {
				hospital: 1,
				nodes: 0,
			})
		)),
		"{events:?}"
	);
	assert_eq!(permissioning().await, NodePermissioning::Enforced);
	assert_eq!((nodes_of(0).await, nodes_of(1).await), (vec![peer_a], Vec::<Vec<u8>>::new()));
	let switch_off =
		|| registry(pallet_hospital_registry::Call::set_node_permissioning { enforced: false });
	let (by_bob, by_alice) = tokio::join!(
		submit_expect_error(&rpc_a, &bob, switch_off()),
		submit_expect_error(&rpc_a, &alice, switch_off()),
	);
	assert_eq!((by_bob.as_str(), by_alice.as_str()), ("BadOrigin", "BadOrigin"));
	assert_eq!(permissioning().await, NodePermissioning::Enforced);
	eprintln!(
		"[{:?}] an admin's empty node list left permissioning enforced; one admin cannot lift it",
		started.elapsed()
	);
	// Dropping a node kills its process.
	drop(nodes);
	eprintln!("[{:?}] done", started.elapsed());
}

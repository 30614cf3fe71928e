//! The gateway's store on S3-compatible object storage, against a real S3 server on loopback
//! (`ehr_testing::S3Server`: moto's server, which checks every request's signature).
//!
//! Write-once documents and keys, erasure key first, tombstones and kept requests, shared by two
//! stores on one bucket (two gateways of one hospital); an upload cut by the server's death
//! leaves nothing a reader sees; wrong credentials, a missing bucket and plain HTTP off the
//! machine (whichever variable names the endpoint) are refused at start-up with an error that
//! says so, by the library and by the `ehr-gateway` binary. A document larger than a part goes
//! up as a multipart upload that nobody sees before it is committed, and nothing of it when it
//! is aborted or dropped; it reads back a chunk at a time.

use std::{io, path::Path, process::Command, sync::Arc, time::Duration};

use bytes::Bytes;
use futures::StreamExt;

use ehr_client::{keys::WrappedKey, runtime::AccountId};
use ehr_gateway::{
	objects::{Objects, S3Config, S3Objects, PART_SIZE},
	store::{KeptRequest, Put, Store},
};
use ehr_testing::S3Server;
use sp_core::H256;

const GATEWAY_BIN: &str = env!("CARGO_BIN_EXE_ehr-gateway");

fn config(server: &S3Server, bucket: &str, prefix: &str) -> S3Config {
	S3Config {
		bucket: bucket.into(),
		endpoint: Some(server.endpoint.clone()),
		region: Some(server.region.clone()),
		prefix: prefix.into(),
		allow_http: false,
		credentials: Some((server.access_key_id.clone(), server.secret_access_key.clone())),
	}
}

async fn store(server: &S3Server, prefix: &str, dir: &Path) -> (Store, Arc<S3Objects>) {
	let objects = Arc::new(S3Objects::connect(&config(server, "ehr-docs", prefix)).await.unwrap());
	(Store::open(dir, objects.clone(), [7; 32], 0).unwrap(), objects)
}

fn wrapped(b: u8) -> WrappedKey {
	WrappedKey { ephemeral: [b; 32], nonce: [2; 24], sealed: [3; 48] }
}

#[tokio::test]
async fn documents_on_s3_are_written_once_shared_by_replicas_and_erased_key_first() {
	let server = S3Server::start(&["ehr-docs"]).unwrap();
	let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
	// Two gateways of one hospital (each its own state directory) on one bucket and prefix.
	let (a, objects) = store(&server, "alice-general", dir_a.path()).await;
	let (b, _) = store(&server, "alice-general", dir_b.path()).await;
	let (doctor, other) = (AccountId::from([5u8; 32]), AccountId::from([6u8; 32]));

	assert_eq!(a.get(b"cid").await.unwrap(), None);
	assert_eq!(a.put(b"cid", b"sealed", &wrapped(1), &doctor).await.unwrap(), Put::Stored);
	// The other replica serves it.
	assert_eq!(b.get(b"cid").await.unwrap(), Some((b"sealed".to_vec(), wrapped(1))));
	assert_eq!(b.uploader(b"cid").await.unwrap(), Some(doctor.clone()));
	// Written once: a second upload, through either replica, changes nothing.
	for s in [&a, &b] {
		assert_eq!(s.put(b"cid", b"other", &wrapped(9), &other).await.unwrap(), Put::AlreadyStored);
	}
	assert_eq!(a.get(b"cid").await.unwrap(), Some((b"sealed".to_vec(), wrapped(1))));
	// The key object itself refuses a second create (S3 `If-None-Match: *`).
	let key_name = format!("keys/{}", hex::encode(b"cid"));
	assert!(!objects.create(&key_name, b"forged".to_vec()).await.unwrap());
	// Two replicas storing one new CID at once: one stores it, the other finds it stored.
	let key = wrapped(4);
	let (ra, rb) = tokio::join!(
		a.put(b"race", b"same", &key, &doctor),
		b.put(b"race", b"same", &key, &doctor)
	);
	let mut outcomes = [ra.unwrap(), rb.unwrap()];
	outcomes.sort_by_key(|p| *p == Put::Stored);
	assert_eq!(outcomes, [Put::AlreadyStored, Put::Stored]);

	// Requests served by either replica are there for the patient through both.
	let patient = AccountId::from([3u8; 32]);
	let kept =
		|record: u64, x: u8| KeptRequest { record, request: vec![x; 40], signature: [x; 64] };
	a.keep_request(&patient, &H256::repeat_byte(2), &kept(7, 2)).await.unwrap();
	b.keep_request(&patient, &H256::repeat_byte(1), &kept(3, 1)).await.unwrap();
	assert_eq!(
		b.requests(&patient).await.unwrap(),
		vec![(H256::repeat_byte(1), kept(3, 1)), (H256::repeat_byte(2), kept(7, 2))]
	);

	// Erasure through one replica: tombstone, then key, then document; the other replica
	// neither serves nor stores the CID again.
	assert!(b.destroy(b"cid", 7).await.unwrap());
	assert!(!objects.exists(&key_name).await.unwrap());
	assert!(!objects.exists(&format!("documents/{}", hex::encode(b"cid"))).await.unwrap());
	assert_eq!(a.get(b"cid").await.unwrap(), None);
	assert!(a.is_erased(b"cid").await.unwrap());
	assert_eq!(a.put(b"cid", b"sealed", &wrapped(1), &doctor).await.unwrap(), Put::Erased);
	assert!(!a.holds(b"cid").await.unwrap());
	assert!(!a.destroy(b"cid", 7).await.unwrap(), "nothing left to destroy");
	assert!(!a.erasure_logged(7).await.unwrap());
	b.note_erasure(7, "0x01").await.unwrap();
	assert!(a.erasure_logged(7).await.unwrap());

	// Another hospital's prefix in the same bucket sees none of it.
	let (c, _) = store(&server, "bob-memorial", tempfile::tempdir().unwrap().path()).await;
	assert_eq!(c.get(b"race").await.unwrap(), None);
	assert!(c.requests(&patient).await.unwrap().is_empty());
	assert!(!c.is_erased(b"cid").await.unwrap());
}

#[tokio::test]
async fn an_upload_cut_by_the_servers_death_leaves_nothing_a_reader_sees() {
	let mut server = S3Server::start(&["ehr-docs"]).unwrap();
	let dir = tempfile::tempdir().unwrap();
	let (s, _) = store(&server, "", dir.path()).await;
	let store = Arc::new(s);
	let doctor = AccountId::from([5u8; 32]);
	// Large enough that the server is still taking it when it dies; doubled if not.
	let mut size = 64 << 20;
	let error = loop {
		let document = vec![7u8; size];
		let upload = {
			let (store, doctor) = (store.clone(), doctor.clone());
			tokio::spawn(async move { store.put(b"big", &document, &wrapped(1), &doctor).await })
		};
		tokio::time::sleep(Duration::from_millis(150)).await;
		server.kill();
		match upload.await.unwrap() {
			Err(e) => break e,
			Ok(_) => {
				assert!(size < 512 << 20, "a {size}-byte upload finished within 150 ms");
				size *= 2;
				server.restart().unwrap();
			},
		}
	};
	// The error says where the write failed.
	let message = error.to_string();
	assert!(message.contains("ehr-docs") && message.contains("storing"), "{message}");
	assert_ne!(error.kind(), io::ErrorKind::NotFound);

	// The server comes back (empty: it holds objects in memory): no reader sees the document
	// or its key, and the same upload then succeeds.
	server.restart().unwrap();
	assert_eq!(store.get(b"big").await.unwrap(), None);
	assert!(!store.holds(b"big").await.unwrap());
	let document = vec![7u8; 1 << 20];
	assert_eq!(store.put(b"big", &document, &wrapped(1), &doctor).await.unwrap(), Put::Stored);
	assert_eq!(store.get(b"big").await.unwrap(), Some((document, wrapped(1))));
}

#[tokio::test]
async fn wrong_credentials_a_missing_bucket_and_plain_http_off_the_machine_are_refused_clearly() {
	let server = S3Server::start(&["ehr-docs"]).unwrap();
	let mut wrong_secret = config(&server, "ehr-docs", "");
	wrong_secret.credentials = Some((server.access_key_id.clone(), "not-the-secret".into()));
	let e = S3Objects::connect(&wrong_secret).await.err().expect("a wrong secret is refused");
	assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
	assert!(e.to_string().contains("refused the credentials"), "{e}");
	let mut unknown_key = config(&server, "ehr-docs", "");
	unknown_key.credentials = Some(("AKIANOBODY".into(), "x".into()));
	let e = S3Objects::connect(&unknown_key).await.err().expect("an unknown key is refused");
	assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");

	let e = S3Objects::connect(&config(&server, "no-such-bucket", "")).await.err().unwrap();
	assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
	assert!(e.to_string().contains("S3 bucket no-such-bucket does not exist"), "{e}");

	let mut off_machine = config(&server, "ehr-docs", "");
	off_machine.endpoint = Some("http://10.255.255.1:9000".into());
	let e = S3Objects::connect(&off_machine).await.err().unwrap();
	assert!(e.to_string().contains("plain HTTP off this machine"), "{e}");

	// The gateway binary stops at start-up with the same words (it reads the key from the
	// standard environment variables).
	let run = |bucket: &str, secret: &str| {
		let dir = tempfile::tempdir().unwrap();
		let mut cmd = Command::new(GATEWAY_BIN);
		cmd.args(["--store", dir.path().to_str().unwrap(), "--suri", "//Alice//stash"])
			.args(["--s3-bucket", bucket, "--s3-endpoint", &server.endpoint])
			.env_remove("AWS_SESSION_TOKEN");
		for (k, v) in server.env() {
			cmd.env(k, v);
		}
		let out = cmd.env("AWS_SECRET_ACCESS_KEY", secret).output().unwrap();
		(out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
	};
	let (ok, stderr) = run("no-such-bucket", &server.secret_access_key);
	assert!(!ok && stderr.contains("S3 bucket no-such-bucket does not exist"), "{stderr}");
	let (ok, stderr) = run("ehr-docs", "not-the-secret");
	assert!(!ok && stderr.contains("refused the credentials"), "{stderr}");
	// An endpoint from another of the variables object_store reads is held to the same rule.
	let dir = tempfile::tempdir().unwrap();
	let out = Command::new(GATEWAY_BIN)
		.args(["--store", dir.path().to_str().unwrap(), "--suri", "//Alice//stash"])
		.args(["--s3-bucket", "ehr-docs"])
		.envs(server.env())
		.env_remove("AWS_ENDPOINT_URL")
		.env("AWS_ENDPOINT_URL_S3", "HTTP://10.255.255.1:9000")
		.output()
		.unwrap();
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(!out.status.success() && stderr.contains("plain HTTP off this machine"), "{stderr}");
}

/// Everything a [`ehr_gateway::objects::Reading`] yields, and its announced size.
async fn read_all(objects: &dyn Objects, name: &str) -> Option<(u64, Vec<u8>)> {
	let mut reading = objects.read(name).await.unwrap()?;
	let mut all = Vec::new();
	while let Some(chunk) = reading.chunks.next().await {
		all.extend_from_slice(&chunk.unwrap());
	}
	Some((reading.size, all))
}

#[tokio::test]
async fn a_document_larger_than_a_part_is_uploaded_in_parts_and_seen_only_once_committed() {
	let server = S3Server::start(&["ehr-docs"]).unwrap();
	let objects = S3Objects::connect(&config(&server, "ehr-docs", "imaging")).await.unwrap();
	// Two and a half parts, written in pieces of 1 MiB and a bit.
	let doc: Vec<u8> = (0..PART_SIZE * 5 / 2).map(|i| (i * 31 % 251) as u8).collect();
	let mut upload = objects.upload("documents/aa").await.unwrap();
	for piece in doc.chunks((1 << 20) + 3) {
		upload.write(Bytes::copy_from_slice(piece)).await.unwrap();
	}
	// Parts are on the server, but no object is there until the commit.
	assert!(!objects.exists("documents/aa").await.unwrap());
	upload.commit().await.unwrap();
	assert_eq!(read_all(&objects, "documents/aa").await, Some((doc.len() as u64, doc.clone())));

	// Aborted, or dropped (the client gone mid-upload): nothing is seen, and what was there
	// stays.
	let mut aborted = objects.upload("documents/aa").await.unwrap();
	aborted.write(Bytes::from(vec![1u8; PART_SIZE + 1])).await.unwrap();
	aborted.abort().await.unwrap();
	let mut dropped = objects.upload("documents/bb").await.unwrap();
	dropped.write(Bytes::from(vec![2u8; PART_SIZE * 2])).await.unwrap();
	drop(dropped);
	assert!(!objects.exists("documents/bb").await.unwrap());
	assert_eq!(read_all(&objects, "documents/aa").await.unwrap().1, doc);
	// A small one is one PUT at the commit.
	let mut small = objects.upload("documents/cc").await.unwrap();
	small.write(Bytes::from_static(b"small")).await.unwrap();
	assert!(!objects.exists("documents/cc").await.unwrap());
	small.commit().await.unwrap();
	assert_eq!(read_all(&objects, "documents/cc").await, Some((5, b"small".to_vec())));
	assert!(read_all(&objects, "documents/dd").await.is_none());
}

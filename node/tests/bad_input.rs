//! `ehr-node` refuses bad input with one clear line and a non-zero exit, never a panic trace.

use std::process::Command;

use ehr_testing::node_binary;

/// Runs `ehr-node` with `args`, expecting failure; returns its single error line.
fn run_fails(args: &[&str]) -> String {
	let out = Command::new(node_binary())
		.args(args)
		.env("RUST_LOG", "error")
		.output()
		.expect("ehr-node runs");
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(!out.status.success(), "ehr-node {args:?} succeeded; stderr:\n{stderr}");
	assert!(
		!stderr.contains("panicked") && !stderr.contains("stack backtrace"),
		"ehr-node {args:?} panicked:\n{stderr}"
	);
	let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
	assert_eq!(errors.len(), 1, "expected one error line for {args:?}, got:\n{stderr}");
	errors[0].to_string()
}

#[test]
fn unknown_chain_is_refused_with_one_line() {
	let dir = tempfile::tempdir().unwrap();
	let base = dir.path().to_str().unwrap();
	let line = run_fails(&["--chain", "no-such-chain", "--base-path", base]);
	assert!(line.contains("unknown chain `no-such-chain`"), "{line}");
	let line = run_fails(&["export-chain-spec", "--chain", "no-such-chain"]);
	assert!(line.contains("unknown chain"), "{line}");
}

#[test]
fn corrupt_chain_spec_file_is_refused_with_one_line() {
	let dir = tempfile::tempdir().unwrap();
	let spec = dir.path().join("spec.json");
	std::fs::write(&spec, b"{ \"name\": \"broken\", \"genesis\": ").unwrap();
	let base = dir.path().join("base");
	let line =
		run_fails(&["--chain", spec.to_str().unwrap(), "--base-path", base.to_str().unwrap()]);
	assert!(line.contains("is not a valid chain spec"), "{line}");
}

#[test]
fn unwritable_base_path_is_refused_with_one_line() {
	// A path below a regular file can never be created, even by root.
	let dir = tempfile::tempdir().unwrap();
	let file = dir.path().join("a-file");
	std::fs::write(&file, b"not a directory").unwrap();
	let base = file.join("base");
	let line = run_fails(&["--dev", "--base-path", base.to_str().unwrap()]);
	assert!(line.to_lowercase().contains("not a directory"), "{line}");
}

#[test]
fn export_chain_spec_of_local_testnet_names_four_authorities() {
	let out = Command::new(node_binary())
		.args(["export-chain-spec", "--chain", "local"])
		.output()
		.expect("ehr-node runs");
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json chain spec");
	assert_eq!(spec["id"], "ehr_local");
	assert_eq!(spec["properties"]["tokenSymbol"], "EHR");
	assert_eq!(spec["properties"]["ss58Format"], 42);
	let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
	// Four founding hospitals, whose validators' session keys make the Aura and GRANDPA
	// authorities; no sudo key.
	let hospitals = patch["hospitalRegistry"]["hospitals"].as_array().map(|a| a.len());
	assert_eq!(hospitals, Some(4), "{patch}");
	assert_eq!(patch["session"]["keys"].as_array().map(|a| a.len()), Some(4), "{patch}");
	assert!(patch["sudo"]["key"].is_null(), "{patch}");
}

#[test]
fn peer_id_is_printed_in_hex_and_garbage_is_refused() {
	let dir = tempfile::tempdir().unwrap();
	let key = dir.path().join("node-key");
	let ok = |args: &[&str]| {
		let out = Command::new(node_binary()).args(args).output().expect("ehr-node runs");
		assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
		String::from_utf8_lossy(&out.stdout).trim().to_string()
	};
	ok(&["key", "generate-node-key", "--file", key.to_str().unwrap()]);
	let peer = ok(&["key", "inspect-node-key", "--file", key.to_str().unwrap()]);
	let hex = ok(&["peer-id", &peer]);
	// An ed25519 PeerId is an identity multihash: 0x00, length 36, then the protobuf-encoded key.
	assert!(hex.starts_with("0x0024"), "{hex}");
	assert_eq!(hex.len(), 2 + 2 * 38, "{hex}");
	let line = run_fails(&["peer-id", "not-a-peer-id"]);
	assert!(line.contains("not a PeerId"), "{line}");
}

//! `docker/` stays in step with the real binaries: every flag the Dockerfile and the compose
//! files pass to `ehr-node` exists in `ehr-node --help`, every flag they pass to `ehr-gateway`
//! in `ehr-gateway --help`, and the compose bootnode's PeerId is the one Alice's fixed node key
//! gives.

use std::{
	path::{Path, PathBuf},
	process::Command,
};

use ehr_testing::node_binary;

fn read(rel: &str) -> String {
	let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
	std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `ehr-gateway` binary, built next to `ehr-node` (`cargo test --workspace` builds both).
fn gateway_binary() -> PathBuf {
	let bin = node_binary().with_file_name("ehr-gateway");
	assert!(bin.exists(), "no {}: build ehr-gateway too (the workspace)", bin.display());
	bin
}

/// What `bin --help` prints.
fn help(bin: &Path) -> String {
	let out = Command::new(bin)
		.arg("--help")
		.output()
		.unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
	String::from_utf8_lossy(&out.stdout).to_string()
}

/// The `--flag` names in `text` (the part before `=`), without duplicates.
fn flags(text: &str) -> Vec<String> {
	let mut out: Vec<String> = text
		.split(|c: char| c.is_whitespace() || c == '"' || c == ',' || c == '[' || c == ']')
		.filter(|t| t.starts_with("--") && t.len() > 2)
		.map(|t| t.split('=').next().unwrap_or(t).to_string())
		.collect();
	out.sort();
	out.dedup();
	out
}

/// The `CMD` line of the Dockerfile's stage `name` (`FROM ... AS name`): the flags its image
/// runs with when none are given. The builder's lines hold cargo's and rustup's flags.
fn stage_cmd<'a>(dockerfile: &'a str, name: &str) -> &'a str {
	let from = format!(" AS {name}");
	let mut in_stage = false;
	for line in dockerfile.lines() {
		if line.starts_with("FROM ") {
			in_stage = line.ends_with(&from);
		} else if in_stage && line.starts_with("CMD ") {
			return line;
		}
	}
	panic!("no CMD in the Dockerfile's stage {name}")
}

/// Each service of a compose file with the flags of its lists (`command`, `entrypoint`): the
/// items that start with `--`. A service is a key indented by two spaces under `services:`.
fn service_flags(compose: &str) -> Vec<(String, Vec<String>)> {
	let mut out: Vec<(String, Vec<String>)> = Vec::new();
	let mut in_services = false;
	for line in compose.lines() {
		let item = line.trim();
		if item.is_empty() || item.starts_with('#') {
			continue;
		}
		let indent = line.len() - line.trim_start().len();
		if indent == 0 {
			in_services = item == "services:";
		} else if in_services && indent == 2 {
			if let Some(name) = item.strip_suffix(':') {
				out.push((name.to_string(), Vec::new()));
			}
		} else if in_services {
			if let (Some(flag), Some((_, found))) = (item.strip_prefix("- --"), out.last_mut()) {
				found.extend(flags(&format!("--{flag}")));
			}
		}
	}
	out
}

/// Fails the test for the first of `flags` that `help` (of the binary `name`) does not list.
fn assert_known(flags: &[String], help: &str, name: &str) {
	for f in flags {
		assert!(
			help.contains(&format!("{f} "))
				|| help.contains(&format!("{f}\n"))
				|| help.contains(&format!("{f}="))
				|| help.contains(&format!("{f} <")),
			"{f} is used in docker/ but `{name} --help` does not know it"
		);
	}
}

#[test]
fn every_node_flag_in_docker_files_is_a_flag_of_ehr_node() {
	let dockerfile = read("docker/Dockerfile");
	let mut all = flags(stage_cmd(&dockerfile, "node"));
	for (service, found) in service_flags(&read("docker/compose.yml")) {
		if !service.ends_with("-gateway") {
			all.extend(found);
		}
	}
	all.sort();
	all.dedup();
	assert!(all.len() > 10, "too few flags found: {all:?}");
	assert_known(&all, &help(&node_binary()), "ehr-node");
}

#[test]
fn every_gateway_flag_in_docker_files_is_a_flag_of_ehr_gateway() {
	let dockerfile = read("docker/Dockerfile");
	let mut all = flags(stage_cmd(&dockerfile, "gateway"));
	let compose = service_flags(&read("docker/compose.yml"));
	let s3 = service_flags(&read("docker/compose.s3.yml"));
	// The S3 variant only changes the gateways: a node service there would go unchecked.
	assert!(s3.iter().all(|(service, _)| service.ends_with("-gateway")), "{s3:?}");
	let gateways: Vec<_> = compose
		.into_iter()
		.chain(s3)
		.filter(|(service, _)| service.ends_with("-gateway"))
		.collect();
	assert_eq!(gateways.len(), 8, "four gateways in compose.yml, four in compose.s3.yml");
	for (service, found) in gateways {
		assert!(!found.is_empty(), "{service} passes no flag");
		all.extend(found);
	}
	all.sort();
	all.dedup();
	for expected in ["--node-rpc", "--store", "--suri", "--s3-bucket", "--s3-endpoint"] {
		assert!(all.iter().any(|f| f == expected), "{expected} not found in docker/: {all:?}");
	}
	assert_known(&all, &help(&gateway_binary()), "ehr-gateway");
}

#[test]
fn compose_bootnode_matches_alices_fixed_node_key() {
	let compose = read("docker/compose.yml");
	let key = compose
		.lines()
		.find_map(|l| l.trim().strip_prefix("- --node-key="))
		.expect("Alice's --node-key");
	let dir = tempfile::tempdir().unwrap();
	let file = dir.path().join("key");
	std::fs::write(&file, key).unwrap();
	let out = Command::new(node_binary())
		.args(["key", "inspect-node-key", "--file"])
		.arg(&file)
		.output()
		.expect("ehr-node runs");
	let peer = String::from_utf8_lossy(&out.stdout).trim().to_string();
	assert!(peer.starts_with("12D3KooW"), "{peer}");
	let boot = format!("/dns/alice/tcp/30333/p2p/{peer}");
	assert_eq!(compose.matches(&boot).count(), 3, "bob, charlie and dave boot from {boot}");
}

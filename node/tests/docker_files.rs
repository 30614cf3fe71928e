//! `docker/` stays in step with the real `ehr-node`: every flag the Dockerfile and the compose
//! file pass exists, and the compose bootnode's PeerId is the one Alice's fixed node key gives.

use std::{path::Path, process::Command};

use ehr_testing::node_binary;

fn read(rel: &str) -> String {
	let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
	std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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

#[test]
fn every_flag_in_docker_files_is_a_flag_of_ehr_node() {
	let help = Command::new(node_binary()).arg("--help").output().expect("ehr-node runs");
	let help = String::from_utf8_lossy(&help.stdout).to_string();
	let dockerfile = read("docker/Dockerfile");
	// Only the runtime stage's CMD holds node flags (the builder's are cargo's and rustup's).
	let cmd = dockerfile.lines().find(|l| l.starts_with("CMD ")).expect("a CMD line");
	// The compose file's node flags are the items of the services' `command` lists.
	let compose: String = read("docker/compose.yml")
		.lines()
		.filter_map(|l| l.trim().strip_prefix("- --").map(|f| format!("--{f}\n")))
		.collect();
	let all: Vec<String> = flags(cmd).into_iter().chain(flags(&compose)).collect();
	assert!(all.len() > 10, "too few flags found: {all:?}");
	for f in all {
		assert!(
			help.contains(&format!("{f} "))
				|| help.contains(&format!("{f}\n"))
				|| help.contains(&format!("{f}="))
				|| help.contains(&format!("{f} <")),
			"{f} is used in docker/ but `ehr-node --help` does not know it"
		);
	}
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

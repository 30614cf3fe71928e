//! The load tool end to end on a development node, briefly: it prepares its actors through the
//! hospital's calls, runs every scenario (both phases of each write scenario, `logReads` among
//! them) and the decision
//! load, exits 0, and its JSON report holds finalized writes, latencies and answered decisions,
//! and accounts for every call it submitted (none vanished).
//! The real figures come from `scripts/load.sh` on the four-validator network.

use std::process::Command;

use ehr_testing::node_binary;
use serde_json::Value;

#[test]
fn load_tool_runs_every_scenario_on_a_dev_node() {
	let dir = tempfile::tempdir().unwrap();
	let json = dir.path().join("report.json");
	let md = dir.path().join("report.md");
	let out = Command::new(env!("CARGO_BIN_EXE_ehr-load"))
		.args(["--network", "dev", "--duration", "8", "--batch-duration", "8"])
		.args(["--latency-duration", "4", "--warmup", "2", "--presign-rate", "400"])
		.args(["--batch-size", "20", "--reads-per-call", "20", "--patients", "8", "--signers", "2"])
		.args(["--decide-rate", "200", "--decide-duration", "3", "--decide-workers", "8"])
		.arg("--node-bin")
		.arg(node_binary())
		.arg("--json")
		.arg(&json)
		.arg("--markdown")
		.arg(&md)
		.output()
		.unwrap();
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(out.status.success(), "ehr-load failed:\n{stderr}");

	let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
	let writes = report["writes"].as_array().unwrap();
	let names: Vec<&str> = writes.iter().map(|w| w["scenario"].as_str().unwrap()).collect();
	assert_eq!(names, ["Transfer", "Record", "Batch", "Reads"]);
	for w in writes {
		for phase in [&w["outcome"], &w["paced"]] {
			assert!(phase["finalized"].as_u64().unwrap() > 0, "{phase}");
			assert_eq!(phase["failed"], 0, "{phase}");
			// Nothing vanishes: every call accepted is finalized, failed or refused with a reason.
			assert_eq!(phase["vanished"], 0, "{phase}");
			assert_eq!(phase["refused"], 0, "{phase}");
			let count = |k: &str| phase[k].as_u64().unwrap();
			assert_eq!(
				count("accepted"),
				count("finalized") + count("failed") + count("refused") + count("vanished"),
				"{phase}"
			);
			let by_reason: u64 =
				phase["refusals"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
			assert_eq!(by_reason, count("refused"), "{phase}");
			let l = &phase["latency"];
			// Finality takes at least a block: a latency under 100 ms would be a bug.
			assert!(l["p50_ms"].as_f64().unwrap() > 100.0, "{l}");
			assert!(l["p99_ms"].as_f64().unwrap() >= l["p50_ms"].as_f64().unwrap());
		}
		assert!(w["outcome"]["sustained"]["per_second"].as_f64().unwrap() > 0.0);
	}
	// A batch extrinsic finalizes 20 records.
	let batch = &writes[2]["outcome"];
	assert_eq!(
		batch["finalized_units"].as_u64().unwrap(),
		20 * batch["finalized"].as_u64().unwrap()
	);
	// A `logReads` extrinsic finalizes 20 logged read attempts.
	let reads = &writes[3]["outcome"];
	assert_eq!(
		reads["finalized_units"].as_u64().unwrap(),
		20 * reads["finalized"].as_u64().unwrap()
	);
	let d = &report["decide"];
	assert!(d["answered"].as_u64().unwrap() >= 500, "{d}");
	assert_eq!(d["errors"], 0);
	// Half the queries are covered by the patients' grants, half are not.
	let permitted = d["permitted"].as_u64().unwrap();
	assert_eq!(permitted * 2, d["answered"].as_u64().unwrap(), "{d}");

	let md = std::fs::read_to_string(&md).unwrap();
	assert!(md.contains("| target | measured | met? |"), "{md}");
	assert!(md.contains("`patientRecords.addRecords`"), "{md}");
	assert!(md.contains("`accessLog.logReads`"), "{md}");
}

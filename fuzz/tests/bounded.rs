//! The bounded fuzz run of the test command: a fixed number of inputs from a fixed seed, so
//! that it does the same work on every machine, and must reach every ehr-chain call.

use ehr_fuzz::{fuzz, FailureKind, Harness, Options, Violation};
use frame_support::traits::GetCallIndex;
use std::{collections::BTreeSet, time::Duration};

/// Inputs of the bounded run (about a minute on the project's 2-core machine); more with
/// `EHR_FUZZ_INPUTS`.
const INPUTS: u64 = 8_000;

#[test]
fn bounded_fuzz_run_finds_no_failure_and_reaches_every_call() {
	let mut harness = Harness::new().expect("genesis builds");
	// The weights were measured on a faster machine than some that run this test: another
	// machine ran every registry benchmark 1.5-2x slower, and there the worst CPU/weight ratio
	// of a whole run came to 0.92-1.0. Allow twice the weight, which still catches a grossly
	// under-weighted call of ehr-chain's pallets (the calls the time check covers).
	harness.time_factor =
		std::env::var("EHR_FUZZ_TIME_FACTOR").ok().and_then(|v| v.parse().ok()).unwrap_or(2.0);
	let inputs =
		std::env::var("EHR_FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(INPUTS);
	let failures = tempfile::tempdir().expect("temporary directory");
	let out = fuzz(
		&harness,
		&Options {
			duration: Duration::from_secs(1_200),
			max_inputs: Some(inputs),
			// A seed whose 8,000 inputs reach every call (with seed 2 the deletions the gateway
			// erasure needs come too late).
			seed: 5,
			max_len: 2048,
			failures: failures.path().to_path_buf(),
			corpus: None,
			progress: Some(Duration::from_secs(15)),
		},
	);
	println!(
		"{} inputs, {} extrinsics dispatched, {} refused, {} blocks, {} points, worst CPU/weight {:.3}, {} timing outliers not repeated, in {:.1} s",
		out.inputs,
		out.dispatched,
		out.refused,
		out.blocks,
		out.points.len(),
		out.worst_cpu_to_weight,
		out.unconfirmed_timing,
		out.elapsed.as_secs_f64()
	);
	if let Some(f) = &out.failure {
		panic!("fuzzing failed: {f}");
	}
	assert_eq!(out.inputs, inputs, "the run stopped early");

	// Every call a signed account can make succeeded at least once, so the fuzzer reached the
	// states behind them (the registry's governance calls come from the council, whose `close`
	// is among them).
	let succeeded: BTreeSet<(u8, u8)> =
		out.points.iter().filter(|p| p.2 == "ok").map(|p| (p.0, p.1)).collect();
	let governance = [0u8, 1, 2, 3, 14, 19, 20];
	let mut expected = BTreeSet::new();
	for i in pallet_hospital_registry::Call::<ehr_runtime::Runtime>::get_call_indices() {
		if !governance.contains(i) {
			expected.insert((4u8, *i));
		}
	}
	for i in pallet_patient_records::Call::<ehr_runtime::Runtime>::get_call_indices() {
		expected.insert((10, *i));
	}
	for i in pallet_consent::Call::<ehr_runtime::Runtime>::get_call_indices() {
		expected.insert((11, *i));
	}
	for i in pallet_access_log::Call::<ehr_runtime::Runtime>::get_call_indices() {
		expected.insert((13, *i));
	}
	expected.insert((8, 6)); // council.close, which dispatches an approved motion
	let missing: Vec<_> = expected.difference(&succeeded).collect();
	assert!(missing.is_empty(), "calls (pallet, call index) that never succeeded: {missing:?}");
}

#[test]
fn a_broken_invariant_fails_the_run() {
	use codec::Encode;
	let mut harness = Harness::new().expect("genesis builds");
	let patient = harness.actors.iter().find(|a| a.uri == "//Patient0").expect("actor").id.clone();
	// A record count for a patient who has no records.
	harness.genesis_mut().top.insert(
		pallet_patient_records::PatientRecordCount::<ehr_runtime::Runtime>::hashed_key_for(
			&patient,
		),
		3u32.encode(),
	);
	let (result, _) = ehr_fuzz::run_one(&harness, &[0]);
	match result {
		Err(FailureKind::Violation(Violation::Invariant { pallet, .. })) => {
			assert_eq!(pallet, "patient-records")
		},
		other => panic!("expected a broken invariant, got {other:?}"),
	}
}

#[test]
fn an_input_runs_the_same_every_time() {
	let harness = Harness::new().expect("genesis builds");
	let mut rng = ehr_fuzz::Rng::new(7);
	let input: Vec<u8> = (0..1500).map(|_| rng.next_u64() as u8).collect();
	let a = harness.run(&input).expect("runs");
	let b = harness.run(&input).expect("runs");
	assert_eq!(a.points, b.points);
	assert_eq!((a.dispatched, a.refused, a.blocks), (b.dispatched, b.refused, b.blocks));
	assert!(a.dispatched > 0, "random bytes make extrinsics");
}

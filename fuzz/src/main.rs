//! `ehr-fuzz`: fuzzes the ehr-chain runtime for a bounded time and prints what it did and a
//! PASS/FAIL line; `--replay FILE` runs one saved input again.

use clap::Parser;
use ehr_fuzz::{fuzz, run_one, FailureKind, Harness, Options};
use std::{path::PathBuf, process::ExitCode, time::Duration};

#[derive(Parser)]
#[command(
	about = "Fuzz the ehr-chain runtime: ehr-chain extrinsics from registered actors, block by block, checked for panics, under-weighted calls and broken invariants"
)]
struct Cli {
	/// Seconds to fuzz for.
	#[arg(long, default_value_t = 60)]
	duration: u64,
	/// Stop after this many inputs (whichever of this and --duration comes first).
	#[arg(long)]
	inputs: Option<u64>,
	/// Seed of the input generator (default: from the clock; printed either way).
	#[arg(long)]
	seed: Option<u64>,
	/// Longest generated input, in bytes.
	#[arg(long, default_value_t = 2048)]
	max_len: usize,
	/// Directory of inputs to start from; inputs reaching new coverage are saved there.
	#[arg(long)]
	corpus: Option<PathBuf>,
	/// Where a failing input is saved.
	#[arg(long, default_value = "fuzz-failures")]
	failures: PathBuf,
	/// Run one saved input and report.
	#[arg(long)]
	replay: Option<PathBuf>,
	/// Do not start with the tour (one input that exercises every entry of the action tables).
	#[arg(long)]
	no_tour: bool,
	/// Do not compare CPU time with weights (e.g. under a debugger or sanitizer).
	#[arg(long)]
	no_time_check: bool,
	/// Print every coverage point (pallet index, call index, outcome) reached.
	#[arg(long)]
	points: bool,
	/// Also print the summary as one JSON object.
	#[arg(long)]
	json: bool,
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let mut harness = match Harness::new() {
		Ok(h) => h,
		Err(e) => {
			eprintln!("ehr-fuzz: cannot build the genesis state: {e}");
			return ExitCode::FAILURE;
		},
	};
	harness.check_time = !cli.no_time_check;
	// Panics are reported with the failing input; keep the default message short.
	std::panic::set_hook(Box::new(|info| eprintln!("ehr-fuzz: panic: {info}")));

	if let Some(path) = cli.replay {
		harness.trace = true;
		let input = match std::fs::read(&path) {
			Ok(i) => i,
			Err(e) => {
				eprintln!("ehr-fuzz: cannot read {}: {e}", path.display());
				return ExitCode::FAILURE;
			},
		};
		return match run_one(&harness, &input).0 {
			Ok(r) => {
				println!(
					"replay: {} extrinsics dispatched, {} refused, {} blocks; points: {:?}",
					r.dispatched, r.refused, r.blocks, r.points
				);
				println!("PASS: the input runs without a failure");
				ExitCode::SUCCESS
			},
			Err(FailureKind::Panic(m)) => {
				println!("FAIL: runtime panicked: {m}");
				ExitCode::FAILURE
			},
			Err(FailureKind::Violation(v)) => {
				println!("FAIL: {v}");
				ExitCode::FAILURE
			},
		};
	}

	let seed = cli.seed.unwrap_or_else(|| {
		std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_nanos() as u64)
			.unwrap_or(1)
	});
	let options = Options {
		duration: Duration::from_secs(cli.duration),
		max_inputs: cli.inputs,
		seed,
		max_len: cli.max_len.max(1),
		failures: cli.failures,
		corpus: cli.corpus,
		progress: Some(Duration::from_secs(10)),
		tour: !cli.no_tour,
	};
	println!("ehr-fuzz: seed {seed}, {} s, inputs up to {} bytes", cli.duration, options.max_len);
	let out = fuzz(&harness, &options);
	let ok_calls: std::collections::BTreeSet<(u8, u8)> =
		out.points.iter().filter(|p| p.2 == "ok").map(|p| (p.0, p.1)).collect();
	let secs = out.elapsed.as_secs_f64().max(1e-9);
	println!(
		"ehr-fuzz: {} inputs in {:.1} s ({:.0}/s), {} extrinsics dispatched ({:.0}/s), {} refused by transaction checks, {} blocks",
		out.inputs,
		secs,
		out.inputs as f64 / secs,
		out.dispatched,
		out.dispatched as f64 / secs,
		out.refused,
		out.blocks
	);
	let entries = ehr_fuzz::entries();
	let missed: Vec<String> = entries
		.iter()
		.filter(|e| !out.entries.contains(*e))
		.map(|(table, entry)| format!("{table}.{entry}"))
		.collect();
	println!(
		"ehr-fuzz: {} coverage points (call, outcome), {} of {} action table entries exercised, {} calls succeeded at least once, corpus {}, worst CPU/weight {:.3}, {} timing outliers not repeated",
		out.points.len(),
		out.entries.len(),
		entries.len(),
		ok_calls.len(),
		out.corpus,
		out.worst_cpu_to_weight,
		out.unconfirmed_timing
	);
	if !missed.is_empty() {
		println!("ehr-fuzz: entries that made no extrinsic: {}", missed.join(", "));
	}
	if cli.points {
		for (p, i, outcome) in &out.points {
			println!("point {p}:{i} {outcome}");
		}
	}
	if cli.json {
		println!(
			"{}",
			serde_json::json!({
				"seed": seed,
				"seconds": secs,
				"inputs": out.inputs,
				"dispatched": out.dispatched,
				"refused": out.refused,
				"blocks": out.blocks,
				"points": out.points.len(),
				"succeededCalls": ok_calls
					.iter()
					.map(|k| out.names.get(k).cloned().unwrap_or_else(|| format!("{}:{}", k.0, k.1)))
					.collect::<Vec<_>>(),
				"calls": out.names.len(),
				"entries": entries.len(),
				"entriesExercised": out.entries.len(),
				"entriesMissed": missed,
				"corpus": out.corpus,
				"worstCpuToWeight": out.worst_cpu_to_weight,
				"unconfirmedTimingOutliers": out.unconfirmed_timing,
				"failure": out.failure.as_ref().map(|f| f.to_string()),
			})
		);
	}
	match out.failure {
		Some(f) => {
			println!("FAIL: {f}");
			ExitCode::FAILURE
		},
		None => {
			println!(
				"PASS: no panic, under-weighted call or broken invariant in {} inputs",
				out.inputs
			);
			ExitCode::SUCCESS
		},
	}
}

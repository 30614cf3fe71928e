//! The fuzzing loop: starts with the tour (one input that takes every entry of the action
//! tables), then generates and mutates inputs, keeps those that reach new coverage points, and
//! stops at the first failure or when the time is up.

use crate::{EntryId, Harness, Point, Violation, MAX_ACTIONS};
use std::{
	collections::BTreeSet,
	panic::{catch_unwind, AssertUnwindSafe},
	path::PathBuf,
	time::{Duration, Instant},
};

/// A small deterministic generator (SplitMix64), so that a run is repeatable from its seed.
pub struct Rng(u64);

impl Rng {
	/// A generator from `seed`.
	pub fn new(seed: u64) -> Self {
		Rng(seed)
	}

	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}

	/// A number in `0..n` (0 if `n` is 0).
	pub fn below(&mut self, n: usize) -> usize {
		if n == 0 {
			0
		} else {
			(self.next_u64() % n as u64) as usize
		}
	}

	fn bytes(&mut self, n: usize) -> Vec<u8> {
		(0..n).map(|_| self.next_u64() as u8).collect()
	}
}

/// How to fuzz.
#[derive(Clone, Debug)]
pub struct Options {
	/// Stop after this long.
	pub duration: Duration,
	/// Stop after this many inputs (a run bounded by inputs is the same on every machine).
	pub max_inputs: Option<u64>,
	/// Seed of the generator.
	pub seed: u64,
	/// Longest input generated.
	pub max_len: usize,
	/// Where to write the input of a failure (and, if set, `corpus` keeps the inputs that
	/// reached new coverage).
	pub failures: PathBuf,
	/// A directory to load inputs from at the start and to save new-coverage inputs to.
	pub corpus: Option<PathBuf>,
	/// Print a progress line every this often.
	pub progress: Option<Duration>,
	/// Start with the [`tour`], so that every entry of the action tables is exercised whatever
	/// the seed and the number of inputs.
	pub tour: bool,
}

/// What broke.
#[derive(Clone, Debug, PartialEq)]
pub enum FailureKind {
	/// The runtime panicked, with this message.
	Panic(String),
	/// A check failed.
	Violation(Violation),
}

/// A failing input.
#[derive(Clone, Debug)]
pub struct Failure {
	/// What broke.
	pub kind: FailureKind,
	/// The input.
	pub input: Vec<u8>,
	/// Where the input was saved, for `ehr-fuzz --replay`.
	pub saved: Option<PathBuf>,
}

impl std::fmt::Display for Failure {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match &self.kind {
			FailureKind::Panic(m) => write!(f, "runtime panicked: {m}")?,
			FailureKind::Violation(v) => write!(f, "{v}")?,
		}
		if let Some(p) = &self.saved {
			write!(
				f,
				" (input saved to {}; replay with `ehr-fuzz --replay {}`)",
				p.display(),
				p.display()
			)?;
		}
		Ok(())
	}
}

/// What a fuzzing run did.
#[derive(Debug, Default)]
pub struct Outcome {
	/// Inputs executed.
	pub inputs: u64,
	/// Extrinsics dispatched (successfully or with an error).
	pub dispatched: u64,
	/// Extrinsics refused by the transaction checks.
	pub refused: u64,
	/// Blocks executed.
	pub blocks: u64,
	/// Coverage points reached (call and outcome).
	pub points: BTreeSet<Point>,
	/// Names (`Pallet.call`) of the calls met, by (pallet index, call index).
	pub names: std::collections::BTreeMap<(u8, u8), String>,
	/// Entries of the action tables that made at least one extrinsic.
	pub entries: BTreeSet<EntryId>,
	/// Inputs kept because they reached new points.
	pub corpus: usize,
	/// Time taken.
	pub elapsed: Duration,
	/// Largest ratio of an extrinsic's CPU time to its charged weight.
	pub worst_cpu_to_weight: f64,
	/// Timing failures that did not happen again when measured again (noise).
	pub unconfirmed_timing: u64,
	/// The first failure, if any.
	pub failure: Option<Failure>,
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
	p.downcast_ref::<&str>()
		.map(|s| s.to_string())
		.or_else(|| p.downcast_ref::<String>().cloned())
		.unwrap_or_else(|| "(no message)".into())
}

fn run_once(h: &Harness, input: &[u8], max_actions: usize) -> Result<crate::Report, FailureKind> {
	match catch_unwind(AssertUnwindSafe(|| h.run_actions(input, max_actions))) {
		Ok(Ok(report)) => Ok(report),
		Ok(Err(v)) => Err(FailureKind::Violation(v)),
		Err(p) => Err(FailureKind::Panic(panic_message(p))),
	}
}

/// How often a timing failure is measured again before it counts: execution is deterministic,
/// so an under-weighted call is slow every time, while a one-off stall (a page fault, a cache
/// flushed by another process on a shared core) is not.
const TIMING_CONFIRMATIONS: usize = 2;

/// Runs one input, turning a panic into a failure; a timing failure counts only if it
/// happens again on each of [`TIMING_CONFIRMATIONS`] more runs. The second value says how many
/// timing failures were not confirmed.
pub fn run_one(h: &Harness, input: &[u8]) -> (Result<crate::Report, FailureKind>, u64) {
	run_checked(h, input, MAX_ACTIONS)
}

/// [`run_one`] on the first `max_actions` actions of the input.
fn run_checked(
	h: &Harness,
	input: &[u8],
	max_actions: usize,
) -> (Result<crate::Report, FailureKind>, u64) {
	let first = run_once(h, input, max_actions);
	let timing = |r: &Result<crate::Report, FailureKind>| {
		matches!(
			r,
			Err(FailureKind::Violation(
				Violation::UnderWeighted { .. } | Violation::BlockOverBudget { .. }
			))
		)
	};
	if !timing(&first) {
		return (first, 0);
	}
	for _ in 0..TIMING_CONFIRMATIONS {
		let again = run_once(h, input, max_actions);
		if !timing(&again) {
			return (again, 1);
		}
	}
	(first, 0)
}

/// How many argument bytes the tour offers an entry: more than any generator reads (a batch of
/// 101 records reads about 1,500).
const TOUR_ARGUMENTS: usize = 4096;
/// How many argument draws the tour tries for an entry before it settles for the best it saw.
const TOUR_DRAWS: usize = 24;

/// What the tour makes of a draw's action, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
	/// No extrinsic (a raw call whose bytes decode to none).
	Nothing,
	/// Refused by the transaction checks.
	Refused,
	/// Dispatched, and failed.
	Failed,
	/// Dispatched, and succeeded.
	Succeeded,
}

fn rank(outcome: Option<&str>) -> Rank {
	match outcome {
		None => Rank::Nothing,
		Some("ok") => Rank::Succeeded,
		Some(o) if o.starts_with("invalid:") || o.starts_with("unknown:") => Rank::Refused,
		Some(_) => Rank::Failed,
	}
}

/// The tour: one input that takes every entry of the action tables once, in table order, so
/// that a run starting with it exercises every entry by construction. For each entry it tries
/// up to [`TOUR_DRAWS`] random argument draws (from `seed`) after the tour so far, and keeps the
/// first whose extrinsic succeeds, else the best it saw (see [`Rank`]); an entry whose draws all
/// make no extrinsic is left out, which [`Outcome::entries`] of the run then shows. Every draw
/// runs from genesis and is checked as any input is: a failure ends the tour with that input.
pub fn tour(h: &Harness, seed: u64) -> Result<Vec<u8>, Failure> {
	let mut rng = Rng::new(seed);
	let mut tour = Vec::new();
	let mut actions = 0;
	for selectors in crate::actions::selectors() {
		let mut best: Option<(Rank, Vec<u8>)> = None;
		for _ in 0..TOUR_DRAWS {
			let mut input = tour.clone();
			input.push(crate::TABLE_ACTION);
			input.extend_from_slice(&selectors);
			input.extend(rng.bytes(TOUR_ARGUMENTS));
			let report = match run_checked(h, &input, actions + 1).0 {
				Ok(report) => report,
				Err(kind) => return Err(Failure { kind, input, saved: None }),
			};
			// The entry's action, if its generator had the bytes it needed.
			let Some(step) = report.steps.get(actions) else { continue };
			let rank = rank(step.outcome.as_deref());
			if rank > Rank::Nothing && best.as_ref().is_none_or(|(r, _)| rank > *r) {
				input.truncate(step.end);
				best = Some((rank, input));
			}
			if rank == Rank::Succeeded {
				break;
			}
		}
		if let Some((_, input)) = best {
			tour = input;
			actions += 1;
		}
	}
	Ok(tour)
}

fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], max_len: usize) -> Vec<u8> {
	let mut x = corpus.get(rng.below(corpus.len())).cloned().unwrap_or_default();
	for _ in 0..1 + rng.below(4) {
		match rng.below(6) {
			// Change a few bytes.
			0 | 1 if !x.is_empty() => {
				for _ in 0..1 + rng.below(4) {
					let i = rng.below(x.len());
					if let Some(b) = x.get_mut(i) {
						*b = rng.next_u64() as u8;
					}
				}
			},
			// Insert random bytes (new actions or longer arguments).
			2 => {
				let at = rng.below(x.len() + 1);
				let n = 1 + rng.below(32);
				let new = rng.bytes(n);
				x.splice(at..at, new);
			},
			// Drop a range.
			3 if !x.is_empty() => {
				let from = rng.below(x.len());
				let to = (from + 1 + rng.below(32)).min(x.len());
				x.drain(from..to);
			},
			// Append part of another input.
			4 => {
				let other = corpus.get(rng.below(corpus.len())).cloned().unwrap_or_default();
				let from = rng.below(other.len() + 1);
				x.extend_from_slice(other.get(from..).unwrap_or_default());
			},
			// Repeat a range (the same action again, later).
			_ if !x.is_empty() => {
				let from = rng.below(x.len());
				let to = (from + 1 + rng.below(64)).min(x.len());
				let piece = x.get(from..to).map(<[u8]>::to_vec).unwrap_or_default();
				x.extend(piece);
			},
			_ => x.extend(rng.bytes(16)),
		}
	}
	x.truncate(max_len);
	x
}

fn save(dir: &PathBuf, input: &[u8]) -> Option<PathBuf> {
	std::fs::create_dir_all(dir).ok()?;
	let name = hex::encode(sp_io::hashing::blake2_128(input));
	let path = dir.join(name);
	std::fs::write(&path, input).ok()?;
	Some(path)
}

/// Fuzzes until `options.duration` is over or an input fails.
pub fn fuzz(h: &Harness, options: &Options) -> Outcome {
	let start = Instant::now();
	let mut rng = Rng::new(options.seed);
	let mut out = Outcome::default();
	let mut corpus: Vec<Vec<u8>> = Vec::new();
	if let Some(dir) = &options.corpus {
		if let Ok(entries) = std::fs::read_dir(dir) {
			let mut paths: Vec<PathBuf> =
				entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
			paths.sort();
			corpus.extend(paths.iter().filter_map(|p| std::fs::read(p).ok()));
		}
	}
	let mut pending: Vec<Vec<u8>> = std::mem::take(&mut corpus);
	if options.tour {
		match tour(h, options.seed) {
			// Last in, so that it runs first.
			Ok(t) => pending.push(t),
			Err(mut f) => {
				f.saved = save(&options.failures, &f.input);
				out.failure = Some(f);
				out.elapsed = start.elapsed();
				return out;
			},
		}
	}
	let mut last_progress = Instant::now();
	while start.elapsed() < options.duration && options.max_inputs.is_none_or(|m| out.inputs < m) {
		let input = if let Some(seed_input) = pending.pop() {
			seed_input
		} else if corpus.is_empty() || rng.below(4) == 0 {
			let n = 1 + rng.below(options.max_len);
			rng.bytes(n)
		} else {
			mutate(&mut rng, &corpus, options.max_len)
		};
		out.inputs += 1;
		let (result, noise) = run_one(h, &input);
		out.unconfirmed_timing += noise;
		match result {
			Ok(report) => {
				out.dispatched += report.dispatched;
				out.refused += report.refused;
				out.blocks += report.blocks;
				out.worst_cpu_to_weight = out.worst_cpu_to_weight.max(report.worst_cpu_to_weight);
				out.entries.extend(
					report.steps.iter().filter(|s| s.outcome.is_some()).filter_map(|s| s.entry),
				);
				let before = out.points.len();
				out.points.extend(report.points);
				out.names.extend(report.names);
				if out.points.len() > before {
					if let Some(dir) = &options.corpus {
						save(dir, &input);
					}
					corpus.push(input);
				}
			},
			Err(kind) => {
				let saved = save(&options.failures, &input);
				out.failure = Some(Failure { kind, input, saved });
				break;
			},
		}
		if options.progress.is_some_and(|every| last_progress.elapsed() >= every) {
			last_progress = Instant::now();
			println!(
				"ehr-fuzz: {:>6.0} s  {} inputs  {} extrinsics dispatched  {} refused  {} points  corpus {}",
				start.elapsed().as_secs_f64(),
				out.inputs,
				out.dispatched,
				out.refused,
				out.points.len(),
				corpus.len()
			);
		}
	}
	out.corpus = corpus.len();
	out.elapsed = start.elapsed();
	out
}

//! Submitting a stream of calls to the nodes and following each to finality.
//!
//! Each *lane* is one node's JSON-RPC endpoint with the calls of the signers assigned to it, in
//! order, as a hospital's EHR system would send them to its own node. A lane hands its calls to an
//! [`ehr_client::Submitter`] of its node (which signs them with nonces in order, paces each
//! signer, resubmits what a pool drops and closes the nonce gap a refused call leaves) while fewer
//! than a *window* of calls are in flight (handed over, outcome not known yet); the window follows
//! the best finalized rate seen so far, so the pools are kept busy without growing without bound.
//! Every call's outcome comes back from the submitter: finalized (with its block and the time
//! from hand-over to finality), failed in its block, or refused with the reason. One watcher walks
//! every finalized block of one node for how full it was.
//!
//! A call handed over whose outcome never came back before the stream stopped waiting is
//! *vanished*; a healthy run has none.

use std::{
	collections::{BTreeMap, HashMap},
	sync::{
		atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use codec::Decode;
use ehr_client::{runtime::RuntimeCall, Rpc, Signer, SubmitConfig, Submitter};
use frame_support::dispatch::{DispatchClass, PerDispatchClass};
use sp_core::H256;
use sp_runtime::Weight;

use crate::stats::{Latency, Throughput};

/// One call to submit.
pub struct Tx {
	/// Who signs it.
	pub signer: Signer,
	/// The call.
	pub call: RuntimeCall,
	/// What it is worth in the scenario's unit (1 for a transfer or a record, 100 for a batch of
	/// 100 records).
	pub units: u32,
}

/// The calls one node receives.
pub struct Lane {
	/// The node.
	pub rpc: Rpc,
	/// Its calls, in the order they are handed over (each signer's in its order).
	pub txs: Vec<Tx>,
}

/// How a stream is run.
#[derive(Clone, Debug)]
pub struct Plan {
	/// Name in the progress lines.
	pub name: String,
	/// Submission stops after this long (`None`: submit everything).
	pub duration: Option<Duration>,
	/// The first seconds, excluded from the sustained rate.
	pub warmup: Duration,
	/// In-flight window, in seconds of the best finalized rate so far.
	pub window_secs: f64,
	/// Smallest in-flight window, in calls.
	pub min_in_flight: usize,
	/// Largest in-flight window, in calls (below the pool's limit of ready extrinsics).
	pub max_in_flight: usize,
	/// After submission stops, how long to wait for the outcomes of the calls in flight.
	pub drain: Duration,
	/// Offered rate in calls per second over all lanes (`None`: as fast as the window allows).
	pub pace: Option<f64>,
}

/// Extrinsics of one signer in flight at most in a lane's submitter: a signer's share of the
/// stream's window, within the node's 4,096 future extrinsics.
const SIGNER_WINDOW: usize = 1024;

/// One finalized block as the watcher saw it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BlockSeen {
	/// Block number.
	pub number: u32,
	/// Extrinsics of this stream in it.
	pub txs: usize,
	/// Units of this stream in it.
	pub units: u64,
	/// Share of the block's normal-class weight limit used.
	pub fullness: f64,
	/// Seconds since the stream started, when it was seen finalized.
	pub at_secs: f64,
}

/// What a stream achieved. Every call handed over is in exactly one of `finalized`, `failed`,
/// `refused` and `vanished`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
	/// Name of the scenario.
	pub name: String,
	/// Calls handed to the submitters.
	pub accepted: u64,
	/// Calls finalized whose dispatch succeeded.
	pub finalized: u64,
	/// Units finalized (records or transfers).
	pub finalized_units: u64,
	/// Calls finalized whose dispatch failed.
	pub failed: u64,
	/// Calls that will never be finalized, reported so by the submitter (refused by a pool,
	/// dropped on every resubmission, node unreachable).
	pub refused: u64,
	/// `refused` by reason.
	pub refusals: BTreeMap<String, u64>,
	/// First dispatch failure, if any.
	pub first_failure: Option<String>,
	/// Calls handed over whose outcome was not known when the stream stopped waiting.
	pub vanished: u64,
	/// Whether a lane ran out of calls before the duration ended.
	pub exhausted: bool,
	/// Units finalized per second over the steady window (after the warm-up).
	pub sustained: Throughput,
	/// Hand-over-to-finality latency of every finalized call.
	pub latency: Latency,
	/// The blocks that carried the stream.
	pub blocks: Vec<BlockSeen>,
}

/// The outcome of one call, as its task reports it.
enum Resolved {
	Finalized { block: u32, units: u32, latency: Duration, at: Instant },
	Failed(String),
	Refused(String),
}

struct Shared {
	in_flight: AtomicUsize,
	window: AtomicUsize,
	accepted: AtomicU64,
	resolved: Mutex<Vec<Resolved>>,
	exhausted: AtomicBool,
	stop: AtomicBool,
}

/// The reason of a refusal, without what differs from one call to the next (hashes, nonces),
/// so that refusals group by reason.
fn reason_of(e: &ehr_client::Error) -> String {
	let shown = e.to_string();
	let mut out = String::with_capacity(shown.len());
	let mut digits = false;
	for c in shown.chars() {
		if c.is_ascii_hexdigit() && (digits || c.is_ascii_digit()) {
			if !digits {
				out.push('N');
			}
			digits = true;
		} else {
			digits = false;
			out.push(c);
		}
	}
	out.chars().take(160).collect()
}

fn normal_limit() -> u64 {
	let w = <ehr_runtime::Runtime as frame_system::Config>::BlockWeights::get();
	w.get(DispatchClass::Normal).max_total.unwrap_or(w.max_block).ref_time()
}

async fn block_fullness(rpc: &Rpc, at: H256) -> f64 {
	let key = frame_support::storage::storage_prefix(b"System", b"BlockWeight");
	match rpc.storage(&key, Some(at)).await {
		Ok(Some(raw)) => match PerDispatchClass::<Weight>::decode(&mut &raw[..]) {
			Ok(w) => w.get(DispatchClass::Normal).ref_time() as f64 / normal_limit() as f64,
			Err(_) => 0.0,
		},
		_ => 0.0,
	}
}

async fn submit_lane(
	lane: Lane,
	submitter: Submitter,
	plan: Arc<Plan>,
	shared: Arc<Shared>,
	t0: Instant,
	lane_rate: Option<f64>,
) {
	let mut next = 0;
	let mut txs = lane.txs.into_iter();
	loop {
		if shared.stop.load(Ordering::Relaxed) {
			return;
		}
		if plan.duration.is_some_and(|d| t0.elapsed() >= d) {
			return;
		}
		let room = shared
			.window
			.load(Ordering::Relaxed)
			.saturating_sub(shared.in_flight.load(Ordering::Relaxed));
		// Paced: only what has fallen due by now.
		let room = match lane_rate {
			Some(r) => room.min(((t0.elapsed().as_secs_f64() * r) as usize).saturating_sub(next)),
			None => room,
		};
		if room == 0 {
			tokio::time::sleep(Duration::from_millis(10)).await;
			continue;
		}
		for _ in 0..room {
			let Some(tx) = txs.next() else {
				if plan.duration.is_some_and(|d| t0.elapsed() < d) {
					shared.exhausted.store(true, Ordering::Relaxed);
				}
				return;
			};
			let submission = submitter.submit(&tx.signer, tx.call);
			let sent = Instant::now();
			shared.in_flight.fetch_add(1, Ordering::Relaxed);
			shared.accepted.fetch_add(1, Ordering::Relaxed);
			let shared = shared.clone();
			let units = tx.units;
			tokio::spawn(async move {
				let resolved = match submission.await {
					Ok(included) => Resolved::Finalized {
						block: included.block_number,
						units,
						latency: sent.elapsed(),
						at: Instant::now(),
					},
					Err(e @ ehr_client::Error::Dispatch(_)) => Resolved::Failed(e.to_string()),
					Err(e) => Resolved::Refused(reason_of(&e)),
				};
				if let Ok(mut r) = shared.resolved.lock() {
					r.push(resolved);
				}
				shared.in_flight.fetch_sub(1, Ordering::Relaxed);
			});
			next += 1;
		}
	}
}

/// Runs the stream: hands the lanes' calls to a submitter of each lane's node, follows the
/// finalized blocks of `watch`, prints a progress line every two seconds and returns what was
/// achieved.
pub async fn run(plan: Plan, lanes: Vec<Lane>, watch: Rpc) -> Result<Outcome, ehr_client::Error> {
	let plan = Arc::new(plan);
	let shared = Arc::new(Shared {
		in_flight: AtomicUsize::new(0),
		window: AtomicUsize::new(plan.min_in_flight),
		accepted: AtomicU64::new(0),
		resolved: Mutex::new(Vec::new()),
		exhausted: AtomicBool::new(false),
		stop: AtomicBool::new(false),
	});
	let config = SubmitConfig { window: SIGNER_WINDOW, ..SubmitConfig::default() };
	let mut submitters = Vec::with_capacity(lanes.len());
	for lane in &lanes {
		submitters.push(Submitter::new(lane.rpc.clone(), config.clone()).await?);
	}
	let mut next_block = watch.finalized_number().await? + 1;
	let t0 = Instant::now();
	let lane_rate = plan.pace.map(|p| p / lanes.len().max(1) as f64);
	let tasks: Vec<_> = lanes
		.into_iter()
		.zip(submitters)
		.map(|(lane, submitter)| {
			tokio::spawn(submit_lane(lane, submitter, plan.clone(), shared.clone(), t0, lane_rate))
		})
		.collect();

	let mut latencies: Vec<Duration> = Vec::new();
	let mut watched: Vec<(u32, f64, f64)> = Vec::new();
	let mut per_block: HashMap<u32, (usize, u64)> = HashMap::new();
	let (mut finalized, mut units, mut failed, mut refused) = (0u64, 0u64, 0u64, 0u64);
	let mut refusals: BTreeMap<String, u64> = BTreeMap::new();
	let mut first_failure: Option<String> = None;
	// (seconds since start, units, calls) of every finalized call, for the rates.
	let mut timeline: Vec<(f64, u64, u64)> = Vec::new();
	let mut best_rate = 0.0f64;
	let mut last_print = Instant::now();
	let mut submission_over_at: Option<Instant> = None;
	loop {
		let fin = watch.finalized_number().await?;
		let seen = Instant::now();
		while next_block <= fin {
			let Some(hash) = watch.block_hash(next_block).await? else { break };
			let fullness = block_fullness(&watch, hash).await;
			watched.push((next_block, (seen - t0).as_secs_f64(), fullness));
			next_block += 1;
		}
		let resolved =
			shared.resolved.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
		for r in resolved {
			match r {
				Resolved::Finalized { block, units: u, latency, at } => {
					finalized += 1;
					units += u as u64;
					latencies.push(latency);
					timeline.push(((at - t0).as_secs_f64(), u as u64, 1));
					let b = per_block.entry(block).or_default();
					b.0 += 1;
					b.1 += u as u64;
				},
				Resolved::Failed(e) => {
					failed += 1;
					if first_failure.is_none() {
						first_failure = Some(e);
					}
				},
				Resolved::Refused(reason) => {
					refused += 1;
					*refusals.entry(reason).or_default() += 1;
				},
			}
		}

		// The in-flight window follows the best finalized rate (calls/s over 6 s) so far.
		let now_s = t0.elapsed().as_secs_f64();
		if now_s > 6.0 {
			let recent: u64 =
				timeline.iter().filter(|(at, _, _)| *at > now_s - 6.0).map(|(_, _, n)| n).sum();
			best_rate = best_rate.max(recent as f64 / 6.0);
			let w = ((best_rate * plan.window_secs) as usize)
				.clamp(plan.min_in_flight, plan.max_in_flight);
			shared.window.store(w, Ordering::Relaxed);
		}

		let in_flight = shared.in_flight.load(Ordering::Relaxed);
		let submitting = tasks.iter().any(|t| !t.is_finished());
		if last_print.elapsed() >= Duration::from_secs(2) {
			last_print = Instant::now();
			let recent: u64 =
				timeline.iter().filter(|(at, _, _)| *at > now_s - 10.0).map(|(_, u, _)| u).sum();
			eprintln!(
				"[{:<8}] {:>5.0}s  accepted {:>8}  finalized {:>8} ({} units, {:.0} units/s over \
				 10 s)  in flight {:>6} (window {})  refused {}  failed {}  finalized #{}",
				plan.name,
				now_s,
				shared.accepted.load(Ordering::Relaxed),
				finalized,
				units,
				recent as f64 / now_s.min(10.0),
				in_flight,
				shared.window.load(Ordering::Relaxed),
				refused,
				failed,
				fin,
			);
		}
		if !submitting {
			let over = *submission_over_at.get_or_insert_with(Instant::now);
			if in_flight == 0 || over.elapsed() >= plan.drain {
				break;
			}
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	shared.stop.store(true, Ordering::Relaxed);

	let accepted = shared.accepted.load(Ordering::Relaxed);
	let end = plan.duration.map(|d| d.as_secs_f64()).unwrap_or_else(|| t0.elapsed().as_secs_f64());
	let warm = plan.warmup.as_secs_f64().min(end / 2.0);
	let steady: u64 =
		timeline.iter().filter(|(at, _, _)| *at >= warm && *at <= end).map(|(_, u, _)| u).sum();
	let blocks = watched
		.into_iter()
		.map(|(number, at_secs, fullness)| {
			let (txs, units) = per_block.get(&number).copied().unwrap_or_default();
			BlockSeen { number, txs, units, fullness, at_secs }
		})
		.collect();
	Ok(Outcome {
		name: plan.name.clone(),
		accepted,
		finalized,
		finalized_units: units,
		failed,
		refused,
		refusals,
		first_failure,
		vanished: accepted.saturating_sub(finalized + failed + refused),
		exhausted: shared.exhausted.load(Ordering::Relaxed),
		sustained: Throughput { per_second: steady as f64 / (end - warm), from_s: warm, to_s: end },
		latency: Latency::of(latencies),
		blocks,
	})
}

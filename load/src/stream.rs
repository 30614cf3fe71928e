//! Submitting a stream of pre-signed extrinsics to the nodes and following them to finality.
//!
//! Each *lane* is one node's JSON-RPC endpoint with the extrinsics of the signers assigned to it,
//! in nonce order, as a hospital's EHR system would send them to its own node. Lanes submit in
//! JSON-RPC batches while fewer than a *window* of extrinsics are in flight (submitted, not yet
//! finalized); the window follows the best finalized rate seen so far, so the pool is kept busy
//! without growing without bound. One watcher walks every finalized block of one node, matches
//! its extrinsics by hash and takes, for each, the time from its submission to the moment its
//! block was seen finalized.

use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use codec::Decode;
use ehr_client::Rpc;
use frame_support::dispatch::{DispatchClass, PerDispatchClass};
use frame_system::Phase;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use sp_runtime::Weight;

use crate::stats::{Latency, Throughput};

/// One pre-signed extrinsic.
pub struct Tx {
	/// Its hash, as the pool and the block know it.
	pub hash: H256,
	/// Its SCALE encoding.
	pub bytes: Vec<u8>,
	/// What it is worth in the scenario's unit (1 for a transfer or a record, 100 for a batch of
	/// 100 records).
	pub units: u32,
}

/// The extrinsics one node receives.
pub struct Lane {
	/// The node.
	pub rpc: Rpc,
	/// Its extrinsics, in the order they are sent.
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
	/// Smallest in-flight window, in extrinsics.
	pub min_in_flight: usize,
	/// Largest in-flight window, in extrinsics (below the pool's limit of ready extrinsics).
	pub max_in_flight: usize,
	/// Extrinsics per JSON-RPC batch request.
	pub chunk: usize,
	/// After submission stops, how long to wait for what is in flight.
	pub drain: Duration,
	/// Offered rate in extrinsics per second over all lanes (`None`: as fast as the window
	/// allows).
	pub pace: Option<f64>,
}

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

/// What a stream achieved.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
	/// Name of the scenario.
	pub name: String,
	/// Extrinsics submitted and accepted by the pools.
	pub submitted: u64,
	/// Extrinsics the pools refused (with the first refusal).
	pub refused: u64,
	/// First refusal message, if any.
	pub first_refusal: Option<String>,
	/// Extrinsics finalized whose dispatch succeeded.
	pub finalized: u64,
	/// Units finalized (records or transfers).
	pub finalized_units: u64,
	/// Extrinsics finalized whose dispatch failed.
	pub failed: u64,
	/// Extrinsics still in flight when the stream gave up waiting.
	pub lost: u64,
	/// Extrinsics that had fallen out of the pools while in flight (no progress for
	/// [`RESUBMIT_AFTER`], and the node took them again when they were resubmitted).
	pub resubmitted: u64,
	/// Whether a lane ran out of pre-signed extrinsics before the duration ended.
	pub exhausted: bool,
	/// Units finalized per second over the steady window (after the warm-up).
	pub sustained: Throughput,
	/// Submit-to-finality latency of every finalized extrinsic.
	pub latency: Latency,
	/// The blocks that carried the stream.
	pub blocks: Vec<BlockSeen>,
}

/// With extrinsics in flight and none of them finalized for this long, the stream resubmits
/// what is in flight, as an EHR system does with a transaction that is neither in a finalized
/// block nor in its node's pool: a pool may drop an extrinsic (its limits, a ban, a nonce gap
/// after a drop), and every later extrinsic of the same signer then waits for it forever.
/// Resubmitting one the pool still holds is refused as already imported (and ignored).
pub const RESUBMIT_AFTER: Duration = Duration::from_secs(12);

/// One extrinsic in flight.
struct InFlight {
	sent: Instant,
	units: u32,
	lane: usize,
	seq: usize,
	bytes: Vec<u8>,
}

struct Shared {
	pending: Mutex<HashMap<H256, InFlight>>,
	window: AtomicUsize,
	submitted: AtomicU64,
	refused: AtomicU64,
	first_refusal: Mutex<Option<String>>,
	exhausted: AtomicBool,
	stop: AtomicBool,
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
	lane_index: usize,
	lane: Lane,
	plan: Arc<Plan>,
	shared: Arc<Shared>,
	t0: Instant,
	lane_rate: Option<f64>,
) {
	let mut next = 0;
	while next < lane.txs.len() {
		if shared.stop.load(Ordering::Relaxed) {
			return;
		}
		if plan.duration.is_some_and(|d| t0.elapsed() >= d) {
			return;
		}
		let room = {
			let in_flight = shared.pending.lock().map(|p| p.len()).unwrap_or(usize::MAX);
			shared.window.load(Ordering::Relaxed).saturating_sub(in_flight)
		};
		// Paced: only what has fallen due by now.
		let room = match lane_rate {
			Some(r) => room.min(((t0.elapsed().as_secs_f64() * r) as usize).saturating_sub(next)),
			None => room,
		};
		if room == 0 {
			tokio::time::sleep(Duration::from_millis(10)).await;
			continue;
		}
		let end = (next + plan.chunk.min(room)).min(lane.txs.len());
		let slice = &lane.txs[next..end];
		let now = Instant::now();
		if let Ok(mut p) = shared.pending.lock() {
			for (i, tx) in slice.iter().enumerate() {
				let f = InFlight {
					sent: now,
					units: tx.units,
					lane: lane_index,
					seq: next + i,
					bytes: tx.bytes.clone(),
				};
				p.insert(tx.hash, f);
			}
		}
		let bytes: Vec<Vec<u8>> = slice.iter().map(|t| t.bytes.clone()).collect();
		let answers = lane.rpc.submit_encoded_batch(&bytes).await;
		let refusals: Vec<(H256, String)> = match answers {
			Ok(a) => {
				slice.iter().zip(a).filter_map(|(tx, r)| r.err().map(|e| (tx.hash, e))).collect()
			},
			Err(e) => slice.iter().map(|tx| (tx.hash, e.to_string())).collect(),
		};
		shared.submitted.fetch_add((slice.len() - refusals.len()) as u64, Ordering::Relaxed);
		if !refusals.is_empty() {
			shared.refused.fetch_add(refusals.len() as u64, Ordering::Relaxed);
			if let Ok(mut p) = shared.pending.lock() {
				for (h, _) in &refusals {
					p.remove(h);
				}
			}
			if let Ok(mut first) = shared.first_refusal.lock() {
				if first.is_none() {
					*first = Some(refusals[0].1.clone());
				}
			}
		}
		next = end;
	}
	if plan.duration.is_some_and(|d| t0.elapsed() < d) {
		shared.exhausted.store(true, Ordering::Relaxed);
	}
}

/// Runs the stream: submits the lanes, follows the finalized blocks of `watch`, prints a
/// progress line every two seconds and returns what was achieved.
pub async fn run(plan: Plan, lanes: Vec<Lane>, watch: Rpc) -> Result<Outcome, ehr_client::Error> {
	let plan = Arc::new(plan);
	let shared = Arc::new(Shared {
		pending: Mutex::new(HashMap::new()),
		window: AtomicUsize::new(plan.min_in_flight),
		submitted: AtomicU64::new(0),
		refused: AtomicU64::new(0),
		first_refusal: Mutex::new(None),
		exhausted: AtomicBool::new(false),
		stop: AtomicBool::new(false),
	});
	let mut next_block = watch.finalized_number().await? + 1;
	let t0 = Instant::now();
	let lane_rate = plan.pace.map(|p| p / lanes.len().max(1) as f64);
	let lane_rpcs: Vec<Rpc> = lanes.iter().map(|l| l.rpc.clone()).collect();
	let tasks: Vec<_> = lanes
		.into_iter()
		.enumerate()
		.map(|(i, lane)| {
			tokio::spawn(submit_lane(i, lane, plan.clone(), shared.clone(), t0, lane_rate))
		})
		.collect();
	let mut resubmitted = 0u64;
	let mut last_progress = Instant::now();

	let mut latencies: Vec<Duration> = Vec::new();
	let mut blocks: Vec<BlockSeen> = Vec::new();
	let (mut finalized, mut units, mut failed) = (0u64, 0u64, 0u64);
	// (seconds since start, units) of every finalized block, for the rates.
	let mut timeline: Vec<(f64, u64, u64)> = Vec::new();
	let mut best_rate = 0.0f64;
	let mut last_print = Instant::now();
	let mut submission_over_at: Option<Instant> = None;
	loop {
		let fin = watch.finalized_number().await?;
		// Everything up to `fin` was final by now (the poll adds at most 100 ms).
		let seen = Instant::now();
		while next_block <= fin {
			let Some(hash) = watch.block_hash(next_block).await? else { break };
			let xts = watch.block_extrinsics(hash).await?;
			let mut mine: Vec<(u32, Instant, u32)> = Vec::new();
			if let Ok(mut p) = shared.pending.lock() {
				for (i, x) in xts.iter().enumerate() {
					if let Some(f) = p.remove(&BlakeTwo256::hash(x)) {
						mine.push((i as u32, f.sent, f.units));
					}
				}
			}
			if !mine.is_empty() {
				last_progress = Instant::now();
			}
			let (mut block_units, mut block_txs) = (0u64, 0usize);
			if !mine.is_empty() {
				let events = watch.events(hash).await?;
				for (i, sent, u) in mine {
					let bad = events.iter().any(|r| {
						r.phase == Phase::ApplyExtrinsic(i)
							&& matches!(
								r.event,
								ehr_runtime::RuntimeEvent::System(
									frame_system::Event::ExtrinsicFailed { .. }
								)
							)
					});
					if bad {
						failed += 1;
					} else {
						finalized += 1;
						units += u as u64;
						block_units += u as u64;
						block_txs += 1;
						latencies.push(seen - sent);
					}
				}
			}
			let at_secs = (seen - t0).as_secs_f64();
			timeline.push((at_secs, block_units, block_txs as u64));
			blocks.push(BlockSeen {
				number: next_block,
				txs: block_txs,
				units: block_units,
				fullness: block_fullness(&watch, hash).await,
				at_secs,
			});
			next_block += 1;
		}

		// The in-flight window follows the best finalized rate (extrinsics/s over 6 s) so far.
		let now_s = t0.elapsed().as_secs_f64();
		if now_s > 6.0 {
			let recent: u64 =
				timeline.iter().filter(|(at, _, _)| *at > now_s - 6.0).map(|(_, _, n)| n).sum();
			best_rate = best_rate.max(recent as f64 / 6.0);
			let w = ((best_rate * plan.window_secs) as usize)
				.clamp(plan.min_in_flight, plan.max_in_flight);
			shared.window.store(w, Ordering::Relaxed);
		}

		let in_flight = shared.pending.lock().map(|p| p.len()).unwrap_or_default();
		if in_flight == 0 {
			last_progress = Instant::now();
		} else if last_progress.elapsed() >= RESUBMIT_AFTER {
			last_progress = Instant::now();
			let (taken, refusals) = resubmit(&shared, &lane_rpcs, plan.chunk).await;
			resubmitted += taken;
			eprintln!(
				"[{:<8}] {:>5.0}s  nothing finalized for {} s with {in_flight} in flight: \
				 resubmitted them, the pools took {taken} again (refused: {refusals:?})",
				plan.name,
				now_s,
				RESUBMIT_AFTER.as_secs(),
			);
		}
		let submitting = tasks.iter().any(|t| !t.is_finished());
		if last_print.elapsed() >= Duration::from_secs(2) {
			last_print = Instant::now();
			let recent: u64 =
				timeline.iter().filter(|(at, _, _)| *at > now_s - 10.0).map(|(_, u, _)| u).sum();
			eprintln!(
				"[{:<8}] {:>5.0}s  submitted {:>8}  finalized {:>8} ({} units, {:.0} units/s over \
				 10 s)  in flight {:>6} (window {})  refused {}  failed {}  finalized #{}",
				plan.name,
				now_s,
				shared.submitted.load(Ordering::Relaxed),
				finalized,
				units,
				recent as f64 / now_s.min(10.0),
				in_flight,
				shared.window.load(Ordering::Relaxed),
				shared.refused.load(Ordering::Relaxed),
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

	let end = plan.duration.map(|d| d.as_secs_f64()).unwrap_or_else(|| t0.elapsed().as_secs_f64());
	let warm = plan.warmup.as_secs_f64().min(end / 2.0);
	let steady: u64 =
		timeline.iter().filter(|(at, _, _)| *at >= warm && *at <= end).map(|(_, u, _)| u).sum();
	let lost = shared.pending.lock().map(|p| p.len()).unwrap_or_default() as u64;
	let first_refusal = shared.first_refusal.lock().ok().and_then(|f| f.clone());
	Ok(Outcome {
		name: plan.name.clone(),
		submitted: shared.submitted.load(Ordering::Relaxed),
		refused: shared.refused.load(Ordering::Relaxed),
		first_refusal,
		finalized,
		finalized_units: units,
		failed,
		lost,
		resubmitted,
		exhausted: shared.exhausted.load(Ordering::Relaxed),
		sustained: Throughput { per_second: steady as f64 / (end - warm), from_s: warm, to_s: end },
		latency: Latency::of(latencies),
		blocks,
	})
}

/// Resubmits every extrinsic in flight to its lane's node, in each lane's order; returns how
/// many the pools accepted (had dropped). Refusals are expected (the pool still holds most of
/// them) and change nothing.
async fn resubmit(shared: &Shared, rpcs: &[Rpc], chunk: usize) -> (u64, Vec<(String, u64)>) {
	let mut by_lane: Vec<Vec<(usize, Vec<u8>)>> = vec![Vec::new(); rpcs.len()];
	if let Ok(p) = shared.pending.lock() {
		for f in p.values() {
			if let Some(l) = by_lane.get_mut(f.lane) {
				l.push((f.seq, f.bytes.clone()));
			}
		}
	}
	let mut taken = 0u64;
	let mut refusals: HashMap<String, u64> = HashMap::new();
	for (rpc, mut txs) in rpcs.iter().zip(by_lane) {
		txs.sort_by_key(|(seq, _)| *seq);
		let bytes: Vec<Vec<u8>> = txs.into_iter().map(|(_, b)| b).collect();
		for part in bytes.chunks(chunk.max(1)) {
			match rpc.submit_encoded_batch(part).await {
				Ok(answers) => {
					for a in answers {
						match a {
							Ok(_) => taken += 1,
							Err(e) => *refusals.entry(e).or_default() += 1,
						}
					}
				},
				Err(e) => *refusals.entry(e.to_string()).or_default() += part.len() as u64,
			}
		}
	}
	let mut refusals: Vec<(String, u64)> = refusals.into_iter().collect();
	refusals.sort_by_key(|r| std::cmp::Reverse(r.1));
	(taken, refusals)
}

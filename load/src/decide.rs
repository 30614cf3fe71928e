//! Consent-decision load: `ehr_decide` requests at a fixed offered rate.
//!
//! Requests are scheduled open loop (request `i` is due at `i / rate` seconds). When a request
//! falls due while its worker is still waiting for an earlier answer, its latency is taken from
//! the time it was *due*, not from when the worker got to send it, so a server that falls behind
//! shows up in the figures instead of silently lowering the rate.

use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use ehr_client::Rpc;
use serde_json::Value;

use crate::stats::Latency;

/// What the decision load achieved.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DecideOutcome {
	/// Offered rate, requests per second.
	pub offered_rate: f64,
	/// Answered requests per second over the run.
	pub achieved_rate: f64,
	/// Requests answered.
	pub answered: u64,
	/// Of those, decisions that permitted.
	pub permitted: u64,
	/// Requests that failed (transport or RPC error, or an answer without a decision).
	pub errors: u64,
	/// First error, if any.
	pub first_error: Option<String>,
	/// Latency from when each request was due to its answer.
	pub latency: Latency,
	/// Latency from when each request was sent to its answer.
	pub service: Latency,
	/// Concurrent requests allowed.
	pub workers: usize,
}

/// Sends `ehr_decide` with the parameter lists of `queries` (round robin) to `rpc` at `rate`
/// requests per second for `duration`, with up to `workers` requests outstanding.
pub async fn run(
	rpc: Rpc,
	queries: Vec<Vec<Value>>,
	rate: f64,
	duration: Duration,
	workers: usize,
) -> DecideOutcome {
	let queries = Arc::new(queries);
	let next = Arc::new(AtomicU64::new(0));
	let permitted = Arc::new(AtomicU64::new(0));
	let errors = Arc::new(AtomicU64::new(0));
	let first_error = Arc::new(Mutex::new(None::<String>));
	let t0 = Instant::now() + Duration::from_millis(50);
	let total = (rate * duration.as_secs_f64()) as u64;
	let handles: Vec<_> = (0..workers)
		.map(|_| {
			let (rpc, queries, next) = (rpc.clone(), queries.clone(), next.clone());
			let (permitted, errors, first_error) =
				(permitted.clone(), errors.clone(), first_error.clone());
			tokio::spawn(async move {
				let mut due_lat = Vec::new();
				let mut service = Vec::new();
				let mut free_at = t0;
				loop {
					let i = next.fetch_add(1, Ordering::Relaxed);
					if i >= total {
						break;
					}
					let due = t0 + Duration::from_secs_f64(i as f64 / rate);
					tokio::time::sleep_until(due.into()).await;
					let sent = Instant::now();
					let was_busy = free_at > due;
					let q = queries[(i as usize) % queries.len()].clone();
					let answer: Result<Value, _> = rpc.call("ehr_decide", q).await;
					let done = Instant::now();
					free_at = done;
					match answer {
						Ok(v) if v["permit"].is_boolean() => {
							if v["permit"] == Value::Bool(true) {
								permitted.fetch_add(1, Ordering::Relaxed);
							}
							// A worker still busy when the request fell due made it wait: count
							// from the due time. An idle one sends as soon as its timer fires
							// (tokio timers tick in milliseconds): count from the send.
							let from = if was_busy { due } else { sent };
							due_lat.push(done.saturating_duration_since(from));
							service.push(done - sent);
						},
						other => {
							errors.fetch_add(1, Ordering::Relaxed);
							if let Ok(mut f) = first_error.lock() {
								f.get_or_insert_with(|| format!("{other:?}"));
							}
						},
					}
				}
				(due_lat, service)
			})
		})
		.collect();
	let mut due_lat = Vec::new();
	let mut service = Vec::new();
	for h in handles {
		if let Ok((d, s)) = h.await {
			due_lat.extend(d);
			service.extend(s);
		}
	}
	let elapsed = t0.elapsed().as_secs_f64().max(f64::EPSILON);
	let answered = due_lat.len() as u64;
	let first_error = first_error.lock().ok().and_then(|f| f.clone());
	DecideOutcome {
		offered_rate: rate,
		achieved_rate: answered as f64 / elapsed,
		answered,
		permitted: permitted.load(Ordering::Relaxed),
		errors: errors.load(Ordering::Relaxed),
		first_error,
		latency: Latency::of(due_lat),
		service: Latency::of(service),
		workers,
	}
}

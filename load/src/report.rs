//! The figures of a run, what bounded each, and the performance targets.

use std::time::Duration;

use crate::{decide::DecideOutcome, stream::Outcome, stream::Plan, Cli, Scenario};

/// What a write scenario returns: its plan and both phases.
pub struct WriteRun {
	/// Which scenario.
	pub scenario: Scenario,
	/// The plan of the saturated phase.
	pub plan: Plan,
	/// As fast as the network finalizes.
	pub saturated: Outcome,
	/// Paced at this offered rate (units/s), if that phase ran.
	pub paced: Option<(f64, Outcome)>,
}

/// One write scenario's figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WriteReport {
	/// Which scenario.
	pub scenario: Scenario,
	/// Seconds of submission.
	pub duration_s: f64,
	/// Mean normal-class fullness of the blocks of the steady window.
	pub steady_fullness: f64,
	/// Share of the steady blocks that had no room for one more extrinsic of the scenario.
	pub steady_blocks_full: f64,
	/// Most units finalized in one block.
	pub max_units_per_block: u64,
	/// What bounded the rate.
	pub bound: String,
	/// Everything measured in the saturated phase.
	pub outcome: Outcome,
	/// Offered rate (units/s) of the paced phase.
	pub paced_rate: Option<f64>,
	/// Everything measured in the paced phase.
	pub paced: Option<Outcome>,
}

/// The whole run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
	/// Nodes the load was spread over.
	pub nodes: usize,
	/// The command line.
	pub command: String,
	/// Write scenarios in the order they ran.
	pub writes: Vec<WriteReport>,
	/// The decision load, if it ran.
	pub decide: Option<DecideOutcome>,
	/// Wall time of the whole run, seconds.
	pub wall_s: f64,
	#[serde(skip)]
	batch_duration: u64,
}

fn unit(s: Scenario) -> &'static str {
	match s {
		Scenario::Transfer => "transfers",
		Scenario::Reads => "logged reads",
		_ => "records",
	}
}

fn name(s: Scenario) -> &'static str {
	match s {
		Scenario::Transfer => "`balances.transferKeepAlive`",
		Scenario::Record => "`patientRecords.addRecord`",
		Scenario::Batch => "`patientRecords.addRecords`",
		Scenario::Reads => "`accessLog.logReads`",
		Scenario::Decide => "`ehr_decide`",
	}
}

fn yes(b: bool) -> &'static str {
	if b {
		"yes"
	} else {
		"**no**"
	}
}

impl Report {
	/// An empty report of a run with `cli` over `nodes` nodes.
	pub fn new(cli: &Cli, nodes: usize) -> Self {
		Report {
			nodes,
			command: std::env::args()
				.map(|a| a.rsplit('/').next().unwrap_or(&a).to_string())
				.collect::<Vec<_>>()
				.join(" "),
			writes: Vec::new(),
			decide: None,
			wall_s: 0.0,
			batch_duration: cli.batch_duration,
		}
	}

	/// Adds a write scenario's outcome.
	pub fn write(&mut self, run: WriteRun) {
		let WriteRun { scenario, plan, saturated: outcome, paced } = run;
		let duration_s = plan.duration.unwrap_or(Duration::ZERO).as_secs_f64();
		let (from, to) = (outcome.sustained.from_s, outcome.sustained.to_s);
		let steady: Vec<_> =
			outcome.blocks.iter().filter(|b| b.at_secs >= from && b.at_secs <= to).collect();
		let fullness = steady.iter().map(|b| b.fullness).sum::<f64>() / steady.len().max(1) as f64;
		// A block is full when one more extrinsic like those in it would not have fitted.
		let full = steady
			.iter()
			.filter(|b| b.txs > 0 && b.fullness * (1.0 + 1.0 / b.txs as f64) > 1.0)
			.count() as f64
			/ steady.len().max(1) as f64;
		let max_units = outcome.blocks.iter().map(|b| b.units).max().unwrap_or(0);
		let bound = if outcome.exhausted {
			"ran out of prepared calls: rerun with a higher --presign-rate".to_string()
		} else if outcome.refused > 0 {
			format!("{} calls were refused ({})", outcome.refused, refusals(&outcome.refusals))
		} else if full >= 0.5 {
			format!(
				"block weight: {:.0}% of the steady blocks had no room for one more (mean {:.0}% \
				 of the normal-class limit), up to {} {} a block; the call's weight is the bound",
				full * 100.0,
				fullness * 100.0,
				max_units,
				unit(scenario)
			)
		} else {
			format!(
				"not block weight ({:.0}% of the steady blocks full, mean {:.0}% of the limit): \
				 the blocks got less than they could hold, so submission, transaction-pool \
				 validation (every node validates every extrinsic) and pool maintenance on the \
				 cores the nodes and this tool share are the bound",
				full * 100.0,
				fullness * 100.0
			)
		};
		eprintln!(
			"{}: {:.1} {}/s sustained; bound: {bound}",
			label(scenario),
			outcome.sustained.per_second,
			unit(scenario),
		);
		if let Some((r, p)) = &paced {
			eprintln!(
				"{} at {r:.1} {}/s: p50 {:.0} ms, p99 {:.0} ms",
				label(scenario),
				unit(scenario),
				p.latency.p50_ms,
				p.latency.p99_ms
			);
		}
		self.writes.push(WriteReport {
			scenario,
			duration_s,
			steady_fullness: fullness,
			steady_blocks_full: full,
			max_units_per_block: max_units,
			bound,
			outcome,
			paced_rate: paced.as_ref().map(|p| p.0),
			paced: paced.map(|p| p.1),
		});
	}

	/// Adds the decision load's outcome.
	pub fn decide(&mut self, outcome: DecideOutcome) {
		eprintln!(
			"decide: offered {:.0}/s, answered {:.0}/s, p50 {:.3} ms, p99 {:.3} ms, errors {}",
			outcome.offered_rate,
			outcome.achieved_rate,
			outcome.latency.p50_ms,
			outcome.latency.p99_ms,
			outcome.errors
		);
		self.decide = Some(outcome);
	}

	/// Records the wall time of the run.
	pub fn finish(&mut self, wall: Duration) {
		self.wall_s = wall.as_secs_f64();
	}

	fn rate(&self, s: Scenario) -> Option<&WriteReport> {
		self.writes.iter().find(|w| w.scenario == s)
	}

	/// Whether everything accepted was finalized without failure (nothing refused, nothing
	/// vanished) and every decision answered.
	pub fn healthy(&self) -> bool {
		self.writes.iter().all(|w| {
			std::iter::once(&w.outcome)
				.chain(w.paced.as_ref())
				.all(|o| o.finalized > 0 && o.failed == 0 && o.refused == 0 && o.vanished == 0)
		}) && self.decide.as_ref().is_none_or(|d| d.answered > 0 && d.errors == 0)
	}

	/// The figures as a markdown section.
	pub fn markdown(&self) -> String {
		let mut m = String::new();
		m.push_str(&format!(
			"Run: `{}` ({} node(s), {:.0} s wall time).\n\n",
			self.command, self.nodes, self.wall_s
		));
		if !self.writes.is_empty() {
			m.push_str(
				"| scenario | sustained rate (as fast as finalized) | accepted / finalized / failed / \
				 refused / vanished (both phases) | latency p50 / p99 then | blocks full (steady) | \
				 most in a block | paced at 80% | submit-to-finality p50 / p99 / max at 80% |\n\
				 |---|---:|---:|---:|---:|---:|---:|---:|\n",
			);
			for w in &self.writes {
				let o = &w.outcome;
				let (paced_at, paced_lat) = match (&w.paced_rate, &w.paced) {
					(Some(r), Some(p)) => (
						format!("{r:.1}/s for {:.0} s", p.sustained.to_s),
						format!(
							"**{:.2} / {:.2}** / {:.2} s",
							p.latency.p50_ms / 1000.0,
							p.latency.p99_ms / 1000.0,
							p.latency.max_ms / 1000.0
						),
					),
					_ => ("-".into(), "-".into()),
				};
				let both = || std::iter::once(o).chain(w.paced.as_ref());
				let counts = format!(
					"{} / {} / {} / {} / {}",
					both().map(|o| o.accepted).sum::<u64>(),
					both().map(|o| o.finalized).sum::<u64>(),
					both().map(|o| o.failed).sum::<u64>(),
					both().map(|o| o.refused).sum::<u64>(),
					both().map(|o| o.vanished).sum::<u64>(),
				);
				m.push_str(&format!(
					"| {} | **{:.1} {}/s** over {:.0}-{:.0} s | {} | {:.2} / {:.2} s | {:.0}% | {} | \
					 {} | {} |\n",
					name(w.scenario),
					o.sustained.per_second,
					unit(w.scenario),
					o.sustained.from_s,
					o.sustained.to_s,
					counts,
					o.latency.p50_ms / 1000.0,
					o.latency.p99_ms / 1000.0,
					w.steady_blocks_full * 100.0,
					w.max_units_per_block,
					paced_at,
					paced_lat,
				));
			}
			for w in &self.writes {
				for o in std::iter::once(&w.outcome).chain(w.paced.as_ref()) {
					if o.refused > 0 {
						m.push_str(&format!(
							"\n{} ({}): refused {}: {}.\n",
							name(w.scenario),
							o.name,
							o.refused,
							refusals(&o.refusals)
						));
					}
				}
			}
			m.push_str("\nWhat bounded each rate:\n\n");
			for w in &self.writes {
				m.push_str(&format!("- {}: {}.\n", name(w.scenario), w.bound));
			}
			m.push('\n');
		}
		if let Some(d) = &self.decide {
			m.push_str(&format!(
				"Consent decisions (`ehr_decide` over HTTP JSON-RPC, {} concurrent, open loop; \
				 latency from when each request was due): offered {:.0}/s, answered **{:.0}/s**, \
				 p50 **{:.3} ms**, p99 **{:.3} ms**, max {:.3} ms (time on the wire and in the \
				 node alone: p50 {:.3} ms, p99 {:.3} ms); {} permitted, {} errors.\n\n",
				d.workers,
				d.offered_rate,
				d.achieved_rate,
				d.latency.p50_ms,
				d.latency.p99_ms,
				d.latency.max_ms,
				d.service.p50_ms,
				d.service.p99_ms,
				d.permitted,
				d.errors
			));
		}
		m.push_str("| target | measured | met? |\n|---|---|---|\n");
		if let (Some(t), Some(r)) = (self.rate(Scenario::Transfer), self.rate(Scenario::Record)) {
			let (a, b) = (r.outcome.sustained.per_second, t.outcome.sustained.per_second);
			m.push_str(&format!(
				"| unbatched `addRecord` rate >= `transferKeepAlive` rate | {a:.1} vs {b:.1} /s \
				 ({:.2}x) | {} |\n",
				a / b.max(f64::EPSILON),
				yes(a >= b)
			));
		}
		if let Some(b) = self.rate(Scenario::Batch) {
			let r = b.outcome.sustained.per_second;
			let long = self.batch_duration >= 600;
			m.push_str(&format!(
				"| batched anchoring >= 1,000 finalized records/s for 10 minutes | {r:.1} \
				 records/s over {:.0} s | {} |\n",
				b.duration_s,
				if long { yes(r >= 1000.0) } else { "not measured for 10 minutes" }
			));
		}
		if let Some(r) = self.rate(Scenario::Reads) {
			let rate = r.outcome.sustained.per_second;
			m.push_str(&format!(
				"| read attempts logged by `accessLog.logReads` >= 1,500/s | {rate:.1} logged \
				 reads/s over {:.0} s | {} |\n",
				r.duration_s,
				yes(rate >= 1500.0)
			));
		}
		for w in self.writes.iter().filter(|w| w.scenario != Scenario::Transfer) {
			let Some(p) = &w.paced else { continue };
			let l = &p.latency;
			m.push_str(&format!(
				"| {} submit-to-finality p50 <= 5 s, p99 <= 9 s (at 80% of its sustained rate) | \
				 {:.2} s / {:.2} s | {} |\n",
				name(w.scenario),
				l.p50_ms / 1000.0,
				l.p99_ms / 1000.0,
				yes(l.count > 0 && l.p50_ms <= 5000.0 && l.p99_ms <= 9000.0)
			));
		}
		if let Some(d) = &self.decide {
			let at_rate = d.offered_rate >= 2000.0 && d.achieved_rate >= 0.98 * d.offered_rate;
			m.push_str(&format!(
				"| `ehr_decide` p50 <= 0.5 ms, p99 <= 2 ms at 2,000 requests/s | {:.3} ms / \
				 {:.3} ms at {:.0}/s | {} |\n",
				d.latency.p50_ms,
				d.latency.p99_ms,
				d.achieved_rate,
				yes(at_rate && d.latency.p50_ms <= 0.5 && d.latency.p99_ms <= 2.0)
			));
		}
		m
	}
}

/// Refusals by reason, most frequent first.
fn refusals(by_reason: &std::collections::BTreeMap<String, u64>) -> String {
	let mut v: Vec<(&String, &u64)> = by_reason.iter().collect();
	v.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
	v.iter().map(|(r, n)| format!("{n} x {r}")).collect::<Vec<_>>().join("; ")
}

/// Short name of a scenario.
pub fn label(s: Scenario) -> &'static str {
	match s {
		Scenario::Transfer => "transfer",
		Scenario::Record => "record",
		Scenario::Batch => "batch",
		Scenario::Reads => "reads",
		Scenario::Decide => "decide",
	}
}

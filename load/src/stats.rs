//! Percentiles and rates.

use std::time::Duration;

/// Latency figures of a set of samples, in milliseconds.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Latency {
	/// Number of samples.
	pub count: usize,
	/// Median.
	pub p50_ms: f64,
	/// 99th percentile.
	pub p99_ms: f64,
	/// Largest sample.
	pub max_ms: f64,
}

/// The `q`-quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
	if sorted.is_empty() {
		return Duration::ZERO;
	}
	let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
	sorted[rank - 1]
}

impl Latency {
	/// Figures of `samples`.
	pub fn of(mut samples: Vec<Duration>) -> Self {
		samples.sort_unstable();
		let ms = |d: Duration| d.as_secs_f64() * 1000.0;
		Latency {
			count: samples.len(),
			p50_ms: ms(quantile(&samples, 0.50)),
			p99_ms: ms(quantile(&samples, 0.99)),
			max_ms: ms(samples.last().copied().unwrap_or_default()),
		}
	}
}

/// A rate over a time window.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Throughput {
	/// Units per second.
	pub per_second: f64,
	/// Window start, seconds after the run started.
	pub from_s: f64,
	/// Window end.
	pub to_s: f64,
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn nearest_rank_quantiles() {
		let s: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
		assert_eq!(quantile(&s, 0.5), Duration::from_millis(50));
		assert_eq!(quantile(&s, 0.99), Duration::from_millis(99));
		assert_eq!(quantile(&s, 1.0), Duration::from_millis(100));
		assert_eq!(quantile(&s[..1], 0.99), Duration::from_millis(1));
		assert_eq!(quantile(&[], 0.5), Duration::ZERO);
		let l = Latency::of(vec![Duration::from_millis(3), Duration::from_millis(1)]);
		assert_eq!((l.count, l.p50_ms, l.max_ms), (2, 1.0, 3.0));
	}
}

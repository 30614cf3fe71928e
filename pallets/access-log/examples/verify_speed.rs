//! Measures off-chain verification of a patient's access log: builds a linked log of N entries
//! (default 1,000,000) and times `verify` over it. Prints the rate and a pass/fail line against
//! the target of 1,000,000 entries a second.
//!
//! ```sh
//! cargo run --release -p pallet-access-log --example verify_speed [-- N]
//! ```

use pallet_access_log::{verify::verify, Head, LogAction, LogEntry, Purpose, Subject};
use sp_core::H256;
use std::time::Instant;

fn main() {
	let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
	let patient = [7u8; 32];
	let mut entries: Vec<LogEntry<[u8; 32], u32>> = Vec::with_capacity(n as usize);
	let mut prev = H256::zero();
	for seq in 0..n {
		let e = LogEntry {
			seq,
			patient,
			actor: [(seq % 251) as u8; 32],
			hospital: Some((seq % 4) as u32),
			action: if seq % 3 == 0 { LogAction::DocumentRead } else { LogAction::RecordAdded },
			subject: Subject::Record(seq),
			purpose: Some(Purpose::Treatment),
			source: Some(0),
			block: (seq / 100) as u32,
			timestamp: 1_800_000_000_000 + seq * 20,
			prev,
		};
		prev = e.hash();
		entries.push(e);
	}
	let head = Head { count: n, last: prev };
	let start = Instant::now();
	let result = verify(&patient, &entries, H256::zero(), &head);
	let secs = start.elapsed().as_secs_f64();
	let rate = n as f64 / secs;
	println!(
		"verified {n} entries in {:.3} s: {:.0} entries/s (one thread, {} bytes an entry)",
		secs,
		rate,
		codec::Encode::encoded_size(&entries[0])
	);
	assert_eq!(result, Ok(()), "the generated log verifies");
	if rate >= 1_000_000.0 {
		println!("PASS: verification at or above 1,000,000 entries/s");
	} else {
		println!("FAIL: verification below 1,000,000 entries/s");
		std::process::exit(1);
	}
}

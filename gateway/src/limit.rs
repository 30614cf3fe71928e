//! How many refused fetch attempts the gateway logs on chain.
//!
//! Every refused attempt of an authenticated requester about a record the gateway keeps costs
//! the gateway an `accessLog.logRead` extrinsic: block space, and fees from the gateway's
//! account. Signing a request needs nothing but a key pair, so without a bound anyone could make
//! a gateway fill blocks with denied-read entries. The limiter bounds that: at most
//! `per_requester` logged refusals a minute for one requester, and `total` a minute for all of
//! them together. Over either limit a refusal is answered `RateLimited` and not logged on chain
//! (the gateway's own log says so). Served reads are never limited: consent bounds who gets
//! them, and each is logged.
//!
//! Each limit is a generic cell rate algorithm (a token bucket kept as one time stamp): a
//! budget of `n` a minute allows a burst of `n` and then one every `60 s / n`.

use std::{collections::HashMap, hash::Hash, sync::Mutex};

/// One budget of `n` events a minute.
#[derive(Clone, Copy, Debug)]
struct Rate {
	/// Milliseconds each event uses up of the budget (`60 s / n`).
	interval: u64,
	/// How far ahead of now the budget may be used (the burst, less one interval).
	tolerance: u64,
}

impl Rate {
	fn per_minute(n: u32) -> Option<Rate> {
		let n = u64::from(n);
		let interval = 60_000u64.checked_div(n)?.max(1);
		Some(Rate { interval, tolerance: interval.saturating_mul(n.saturating_sub(1)) })
	}

	/// The bucket's new state if one more event at `now` fits in it (`tat`, the theoretical
	/// arrival time of the next event); `None` if it does not.
	fn take(&self, tat: u64, now: u64) -> Option<u64> {
		let tat = tat.max(now);
		(tat - now <= self.tolerance).then(|| tat.saturating_add(self.interval))
	}
}

/// The refusal budgets of one gateway. `K` is the requester (an account).
pub struct RefusalLimiter<K> {
	per_requester: Option<Rate>,
	total: Option<Rate>,
	state: Mutex<State<K>>,
}

struct State<K> {
	total: u64,
	requesters: HashMap<K, u64>,
}

/// Why a refusal may not be logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Over {
	/// This requester's budget is used up.
	Requester,
	/// All requesters' budget is used up.
	Total,
}

impl<K: Eq + Hash + Clone> RefusalLimiter<K> {
	/// Budgets of logged refusals a minute, for one requester and for all; `0` turns a limit
	/// off.
	pub fn new(per_requester: u32, total: u32) -> Self {
		RefusalLimiter {
			per_requester: Rate::per_minute(per_requester),
			total: Rate::per_minute(total),
			state: Mutex::new(State { total: 0, requesters: HashMap::new() }),
		}
	}

	/// Uses one refusal of `who`'s budget and the total at `now` (ms) if both have room; if
	/// either has none, uses neither and says which.
	pub fn take(&self, who: &K, now: u64) -> Result<(), Over> {
		let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
		let requester = match self.per_requester {
			Some(rate) => Some(
				rate.take(state.requesters.get(who).copied().unwrap_or(0), now)
					.ok_or(Over::Requester)?,
			),
			None => None,
		};
		let total = match self.total {
			Some(rate) => Some(rate.take(state.total, now).ok_or(Over::Total)?),
			None => None,
		};
		if let Some(t) = total {
			state.total = t;
		}
		if let Some(t) = requester {
			state.requesters.insert(who.clone(), t);
			// A requester whose budget is whole again needs no entry; the total bounds how
			// many entries can be added a minute, so this keeps the map small.
			let bound = self.total.map_or(4096, |r| (60_000 / r.interval) as usize * 2).max(64);
			if state.requesters.len() > bound {
				state.requesters.retain(|_, tat| *tat > now);
			}
		}
		Ok(())
	}

	/// How many requesters have a budget in use (for tests and the gateway's log).
	pub fn tracked(&self) -> usize {
		self.state.lock().unwrap_or_else(|e| e.into_inner()).requesters.len()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_requester_gets_a_burst_then_one_per_interval() {
		let l = RefusalLimiter::new(3, 0);
		for _ in 0..3 {
			assert_eq!(l.take(&1u8, 1_000), Ok(()));
		}
		assert_eq!(l.take(&1, 1_000), Err(Over::Requester));
		// Another requester has a budget of its own.
		assert_eq!(l.take(&2, 1_000), Ok(()));
		// One interval (20 s) later, exactly one more.
		assert_eq!(l.take(&1, 20_999), Err(Over::Requester));
		assert_eq!(l.take(&1, 21_000), Ok(()));
		assert_eq!(l.take(&1, 21_000), Err(Over::Requester));
		// A minute of quiet refills the whole burst, and no more.
		for _ in 0..3 {
			assert_eq!(l.take(&1, 200_000), Ok(()));
		}
		assert_eq!(l.take(&1, 200_000), Err(Over::Requester));
	}

	#[test]
	fn the_total_bounds_many_requesters_and_a_refused_take_uses_nothing() {
		let l = RefusalLimiter::new(2, 4);
		for who in 0..4u32 {
			assert_eq!(l.take(&who, 0), Ok(()));
		}
		// New requesters with whole budgets of their own: the total is used up.
		assert_eq!(l.take(&4, 0), Err(Over::Total));
		assert_eq!(l.take(&5, 0), Err(Over::Total));
		// Refused takes did not use requester 0's budget: once the total has room (15 s for
		// one), requester 0 still has its second refusal.
		assert_eq!(l.take(&0, 15_000), Ok(()));
		assert_eq!(l.take(&0, 15_000), Err(Over::Requester));
		assert_eq!(l.tracked(), 4);
	}

	#[test]
	fn zero_turns_a_limit_off_and_the_map_stays_bounded() {
		let off = RefusalLimiter::new(0, 0);
		for i in 0..1_000u32 {
			assert_eq!(off.take(&7, u64::from(i)), Ok(()));
		}
		assert_eq!(off.tracked(), 0);
		// 100,000 distinct requesters over time, each with one refusal: entries of requesters
		// whose budget is whole again are dropped.
		let l = RefusalLimiter::new(1, 600);
		for i in 0..100_000u64 {
			assert_eq!(l.take(&i, i * 100), Ok(()));
		}
		assert!(l.tracked() <= 1_201, "{} entries", l.tracked());
	}
}

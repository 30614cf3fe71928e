//! The gateway's bounds on work and on what it writes on chain.
//!
//! * [`Budget`]: `n` events a period for each key. The server answers at most
//!   `--requests-per-source` calls a second from one source address ([`source_key`]), and serves
//!   at most `--reads-per-requester` documents a minute to one requester.
//! * [`RefusalLimiter`]: how many refused fetch attempts the gateway logs on chain. Every logged
//!   refusal costs the gateway an `accessLog.logRead` extrinsic: block space, and fees from the
//!   gateway's account. Only requesters the chain knows are logged at all (a fresh key pair
//!   costs nothing to make), and of those at most `per_requester` refusals a minute for one
//!   requester and `total` a minute for all of them together. Over either limit a refusal is
//!   answered `RateLimited` and not logged on chain (the gateway's own log says so).
//! * [`Tally`]: counts, a minute at a time, what is kept out of the chain's log (the refusals of
//!   accounts the chain does not know), for the gateway's own log.
//!
//! Each budget is a generic cell rate algorithm (a token bucket kept as one time stamp): a
//! budget of `n` a period allows a burst of `n` and then one every `period / n`.

use std::{
	collections::HashMap,
	hash::Hash,
	net::{IpAddr, Ipv6Addr},
	sync::Mutex,
};

/// One budget of `n` events a period.
#[derive(Clone, Copy, Debug)]
struct Rate {
	/// The period, in ms.
	period: u64,
	/// Milliseconds each event uses up of the budget (`period / n`).
	interval: u64,
	/// How far ahead of now the budget may be used (the burst, less one interval).
	tolerance: u64,
}

impl Rate {
	/// `n` events every `period` ms; `None` (no limit) for `n = 0`.
	fn new(n: u32, period: u64) -> Option<Rate> {
		let n = u64::from(n);
		let interval = period.checked_div(n)?.max(1);
		Some(Rate { period, interval, tolerance: interval.saturating_mul(n.saturating_sub(1)) })
	}

	fn per_minute(n: u32) -> Option<Rate> {
		Rate::new(n, 60_000)
	}

	/// The bucket's new state if one more event at `now` fits in it (`tat`, the theoretical
	/// arrival time of the next event); `None` if it does not.
	fn take(&self, tat: u64, now: u64) -> Option<u64> {
		let tat = tat.max(now);
		(tat - now <= self.tolerance).then(|| tat.saturating_add(self.interval))
	}
}

/// A budget of `n` events a period for each key (a source address, a requester).
pub struct Budget<K> {
	rate: Option<Rate>,
	state: Mutex<Keyed<K>>,
}

struct Keyed<K> {
	/// Each key's theoretical arrival time of its next event; a key whose time has passed has
	/// its whole budget again and needs no entry.
	next: HashMap<K, u64>,
	/// When the map may next be swept of such entries.
	sweep_at: u64,
}

/// Below this many keys a budget is not swept.
const SWEEP_ABOVE: usize = 1024;

impl<K: Eq + Hash + Clone> Budget<K> {
	/// `n` events a second for each key (`0`: no limit).
	pub fn per_second(n: u32) -> Self {
		Budget::new(Rate::new(n, 1_000))
	}

	/// `n` events a minute for each key (`0`: no limit).
	pub fn per_minute(n: u32) -> Self {
		Budget::new(Rate::per_minute(n))
	}

	fn new(rate: Option<Rate>) -> Self {
		Budget { rate, state: Mutex::new(Keyed { next: HashMap::new(), sweep_at: 0 }) }
	}

	/// Uses one event of `key`'s budget at `now` (ms); `false` if it has none left.
	pub fn take(&self, key: &K, now: u64) -> bool {
		let Some(rate) = self.rate else { return true };
		let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
		let Some(next) = rate.take(state.next.get(key).copied().unwrap_or(0), now) else {
			return false;
		};
		state.next.insert(key.clone(), next);
		// Swept at most once a period, so the map holds about the keys of the last two
		// periods, and sweeping costs O(1) an event, amortised.
		if state.next.len() > SWEEP_ABOVE && now >= state.sweep_at {
			state.next.retain(|_, t| *t > now);
			state.sweep_at = now.saturating_add(rate.period);
		}
		true
	}

	/// How many keys have a budget in use.
	pub fn tracked(&self) -> usize {
		self.state.lock().unwrap_or_else(|e| e.into_inner()).next.len()
	}
}

/// The key of a source address's budget: an IPv4 address (also when it comes IPv4-mapped), or
/// the /64 network of an IPv6 address: one host commonly holds a whole /64, and counting its
/// addresses one by one would give it billions of budgets.
pub fn source_key(ip: IpAddr) -> IpAddr {
	match ip {
		IpAddr::V4(v4) => IpAddr::V4(v4),
		IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
			Some(v4) => IpAddr::V4(v4),
			None => {
				let [a, b, c, d, ..] = v6.segments();
				IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
			},
		},
	}
}

/// The events of one minute, by key: what [`Tally::add`] and [`Tally::flush`] hand back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minute<K> {
	/// Start of the minute (ms since the Unix epoch).
	pub start_ms: u64,
	/// Events in the minute.
	pub total: u64,
	/// The keys with the most events, most first (at most [`Tally::TOP`]).
	pub top: Vec<(K, u64)>,
}

/// Counts events by key, a minute at a time. At most [`Tally::KEYS`] keys are told apart in a
/// minute; events of further keys count in the total only.
pub struct Tally<K> {
	state: Mutex<TallyState<K>>,
}

struct TallyState<K> {
	minute: u64,
	total: u64,
	counts: HashMap<K, u64>,
}

impl<K: Eq + Hash + Clone> Default for Tally<K> {
	fn default() -> Self {
		Tally { state: Mutex::new(TallyState { minute: 0, total: 0, counts: HashMap::new() }) }
	}
}

impl<K: Eq + Hash + Clone> Tally<K> {
	/// Most keys told apart in a minute.
	pub const KEYS: usize = 4096;
	/// Most keys in a [`Minute`]'s `top`.
	pub const TOP: usize = 10;

	/// Counts an event of `key` at `now` (ms). Returns whether it is the first of its minute,
	/// and the previous minute's events if this one ends it.
	pub fn add(&self, key: K, now: u64) -> (bool, Option<Minute<K>>) {
		let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
		let ended = Self::roll(&mut state, now);
		let first = state.total == 0;
		state.total = state.total.saturating_add(1);
		let tracked = state.counts.len();
		match state.counts.get_mut(&key) {
			Some(n) => *n = n.saturating_add(1),
			None if tracked < Self::KEYS => {
				state.counts.insert(key, 1);
			},
			None => {},
		}
		(first, ended)
	}

	/// The events of the last minute with any, once that minute is over at `now` (ms).
	pub fn flush(&self, now: u64) -> Option<Minute<K>> {
		let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
		Self::roll(&mut state, now)
	}

	/// Starts the minute of `now` if the state holds an earlier one; the earlier one's events,
	/// if it had any.
	fn roll(state: &mut TallyState<K>, now: u64) -> Option<Minute<K>> {
		let minute = now / 60_000;
		if minute <= state.minute {
			return None;
		}
		let ended = state.minute;
		state.minute = minute;
		let total = std::mem::take(&mut state.total);
		let counts = std::mem::take(&mut state.counts);
		if total == 0 {
			return None;
		}
		let mut top: Vec<(K, u64)> = counts.into_iter().collect();
		top.sort_by_key(|b| std::cmp::Reverse(b.1));
		top.truncate(Self::TOP);
		Some(Minute { start_ms: ended.saturating_mul(60_000), total, top })
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
	fn a_budget_per_second_allows_a_burst_then_one_per_interval_per_key() {
		let b = Budget::per_second(50);
		for _ in 0..50 {
			assert!(b.take(&1u8, 10_000));
		}
		assert!(!b.take(&1, 10_000), "the 51st call in the same instant");
		assert!(b.take(&2, 10_000), "another source has its own budget");
		// One interval (20 ms) later, one more; a second later, the whole burst again.
		assert!(!b.take(&1, 10_019));
		assert!(b.take(&1, 10_020));
		assert!(!b.take(&1, 10_020));
		for _ in 0..50 {
			assert!(b.take(&1, 12_000));
		}
		assert!(!b.take(&1, 12_000));
		// 60 reads a minute: the 61st is refused, one more a second later.
		let reads = Budget::per_minute(60);
		for _ in 0..60 {
			assert!(reads.take(&"dave", 0));
		}
		assert!(!reads.take(&"dave", 0));
		assert!(reads.take(&"dave", 1_000));
		// Zero: no limit, nothing tracked.
		let off = Budget::per_second(0);
		assert!((0..10_000).all(|_| off.take(&1u8, 0)));
		assert_eq!(off.tracked(), 0);
	}

	#[test]
	fn a_budget_forgets_keys_whose_budget_is_whole_again() {
		let b = Budget::per_second(50);
		// 100,000 sources over 100 s, one call each.
		for i in 0..100_000u64 {
			assert!(b.take(&i, i));
		}
		assert!(b.tracked() <= 2 * 1_000 + SWEEP_ABOVE, "{} keys", b.tracked());
	}

	#[test]
	fn an_ipv6_host_is_one_source_per_64() {
		let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
		let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
		let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
		assert_eq!(source_key(a), source_key(b));
		assert_ne!(source_key(a), source_key(c));
		let v4: IpAddr = "192.0.2.7".parse().unwrap();
		let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
		assert_eq!(source_key(v4), v4);
		assert_eq!(source_key(mapped), v4);
	}

	#[test]
	fn a_tally_counts_a_minute_at_a_time() {
		let t = Tally::default();
		assert_eq!(t.add("a", 60_000), (true, None));
		assert_eq!(t.add("b", 60_001), (false, None));
		assert_eq!(t.add("a", 119_999), (false, None));
		assert_eq!(t.flush(119_999), None, "the minute is not over");
		// The first event of the next minute ends the last one.
		let (first, ended) = t.add("c", 120_000);
		assert!(first);
		assert_eq!(
			ended,
			Some(Minute { start_ms: 60_000, total: 3, top: vec![("a", 2), ("b", 1)] })
		);
		// A quiet minute is flushed by the clock; an empty one reports nothing.
		assert_eq!(
			t.flush(180_000),
			Some(Minute { start_ms: 120_000, total: 1, top: vec![("c", 1)] })
		);
		assert_eq!(t.flush(400_000), None);
		// Keys beyond the ones told apart count in the total only.
		let many = Tally::default();
		for i in 0..(Tally::<u32>::KEYS as u32 + 100) {
			many.add(i, 0);
		}
		let m = many.flush(60_000).unwrap();
		assert_eq!(m.total, Tally::<u32>::KEYS as u64 + 100);
		assert_eq!(m.top.len(), Tally::<u32>::TOP);
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

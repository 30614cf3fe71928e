//! Submitting calls so that each one ends finalized, or its submitter learns why it did not.
//!
//! A [`Submitter`] takes calls with their signer ([`Submitter::submit`]) and returns, for each,
//! a [`Submission`]: a future that resolves to [`Included`] once a finalized block holds the
//! extrinsic and its dispatch succeeded, or to the reason it did not:
//!
//! * [`Error::Invalid`]: the node's pool refused it for good (bad proof, fees it cannot pay, a
//!   call the runtime does not allow, ...), with the pool's reason;
//! * [`Error::Dispatch`]: it was finalized but its dispatch failed (the module error's name and
//!   the `ExtrinsicFailed` event);
//! * [`Error::Dropped`]: the pool lost it every time it was resubmitted;
//! * [`Error::Unreachable`]: the node did not answer for [`SubmitConfig::unreachable_after`].
//!
//! One task drives every signer of a submitter:
//!
//! * **Pacing.** Each signer has at most [`SubmitConfig::window`] extrinsics in flight
//!   (submitted, not yet finalized); the rest wait in the submitter, in call order. The window is
//!   well below the pool's limit of future extrinsics, so a signer's burst cannot overflow it.
//! * **Nonces.** The first call of a signer takes the signer's next nonce from the node (which
//!   counts its pool); the next ones follow in call order.
//! * **Watching.** The task polls the node over HTTP and reads every new best and finalized
//!   block once, looking up each extrinsic's hash among all those in flight.
//! * **Drops.** An extrinsic in no block [`SubmitConfig::resubmit_after`] best blocks after it
//!   was submitted, while the signer's nonce at the best block has not passed it, has fallen out
//!   of the pool (its limits, a ban). It is signed again with the same nonce, which gives a new
//!   hash (sr25519 signatures are randomized) that no ban covers, and resubmitted, at most
//!   [`SubmitConfig::max_resubmissions`] times. Every hash it was ever submitted under is
//!   watched: whichever the chain includes, the nonce lets only one of them in. Checking the
//!   block count and the nonce instead of the pool's content costs one runtime call a signer a
//!   block, where `author_pendingExtrinsics` returns the whole pool (and only its ready part);
//!   a false alarm only resubmits one the pool still holds, which it refuses as a duplicate
//!   of its nonce.
//! * **Gaps.** When the pool refuses an extrinsic for good while later ones of its signer are in
//!   flight, its nonce would hold them back for ever. An empty `system.remark` of the same
//!   signer takes the nonce and the later extrinsics go on unchanged. They are not re-signed with
//!   lower nonces: their first signatures may still be in a pool, and the chain could then
//!   execute the same call twice. If the remark is refused too (the signer cannot pay for
//!   anything), every call of that signer in flight or waiting fails with that reason.
//! * **Someone else's nonce.** When the signer's nonce at the finalized block has passed an
//!   extrinsic in flight that no finalized block holds (another client used the account), none
//!   of its signatures can be included any more: the call is signed again with a new nonce,
//!   after those of the signer already in flight.
//!
//! A node started with `--rpc-rate-limit` must allow the polling: a few requests per signer
//! every [`SubmitConfig::poll`].

use std::{
	collections::{BTreeMap, HashMap, VecDeque},
	future::Future,
	pin::Pin,
	task::{Context, Poll},
	time::{Duration, Instant},
};

use ehr_runtime::{AccountId, Nonce, RuntimeCall, RuntimeEvent};
use frame_system::Phase;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use tokio::sync::{mpsc, oneshot};

use crate::{
	rpc::Included,
	signer::{extrinsic_hash, ChainContext},
	Error, Result, Rpc, Signer,
};

/// How a [`Submitter`] paces, watches and retries.
#[derive(Clone, Debug)]
pub struct SubmitConfig {
	/// Extrinsics of one signer in flight at most (submitted, not yet finalized). The node's
	/// pool keeps at most a tenth of `--pool-limit` future extrinsics (4,096 on `ehr-node`) over
	/// all signers.
	pub window: usize,
	/// Best blocks after its last submission without the extrinsic or its nonce on chain before
	/// it counts as dropped and is resubmitted.
	pub resubmit_after: u32,
	/// Resubmissions of one call before it fails with [`Error::Dropped`].
	pub max_resubmissions: u32,
	/// Time between two looks at the node.
	pub poll: Duration,
	/// How long the node may fail to answer before every call in flight fails with
	/// [`Error::Unreachable`].
	pub unreachable_after: Duration,
}

impl Default for SubmitConfig {
	/// 64 in flight a signer; dropped after 5 best blocks (10 s at 2 s slots), resubmitted up to
	/// 8 times; a look every 250 ms; unreachable after 60 s.
	fn default() -> Self {
		SubmitConfig {
			window: 64,
			resubmit_after: 5,
			max_resubmissions: 8,
			poll: Duration::from_millis(250),
			unreachable_after: Duration::from_secs(60),
		}
	}
}

/// What a node's pool answered to `author_submitExtrinsic` when it did not take the extrinsic,
/// from the error codes of `sc-rpc-api` (`author/error.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
	/// 1013: the pool holds this very extrinsic already; as good as taken.
	AlreadyImported,
	/// 1010 `Transaction is outdated`: the nonce is used on chain already, by this extrinsic
	/// under another signature or by someone else's.
	Stale,
	/// 1014: another extrinsic with the same signer and nonce is in the pool.
	Occupied,
	/// Not now, perhaps later: the pool is full (1016), the extrinsic is banned for a while
	/// (1012), it is valid only in the future, or the request failed.
	Transient(String),
	/// Never: the pool found it invalid (1001, 1002, 1010, 1011, 1018, 1019), with its reason.
	Invalid(String),
}

impl Refusal {
	/// The meaning of a JSON-RPC error of `author_submitExtrinsic`: its `code`, `message` and
	/// `data` (the raw JSON of the error's data, if any).
	pub fn classify(code: i32, message: &str, data: Option<&str>) -> Refusal {
		let data =
			data.map(|d| d.trim().trim_matches('"')).filter(|d| !d.is_empty() && *d != "null");
		let reason = match data {
			Some(d) => format!("{message}: {d} ({code})"),
			None => format!("{message} ({code})"),
		};
		match code {
			1013 => Refusal::AlreadyImported,
			1014 => Refusal::Occupied,
			1010 => match data {
				Some(d) if d.contains("outdated") => Refusal::Stale,
				Some(d) if d.contains("valid in the future") => Refusal::Transient(reason),
				_ => Refusal::Invalid(reason),
			},
			1001 | 1002 | 1011 | 1018 | 1019 => Refusal::Invalid(reason),
			_ => Refusal::Transient(reason),
		}
	}
}

/// A call handed to a [`Submitter`]: a future of its outcome.
///
/// Dropping it does not withdraw the call; the submitter goes on until it is finalized or
/// refused, but nobody learns which.
pub struct Submission {
	reply: oneshot::Receiver<Result<Included>>,
}

impl Future for Submission {
	type Output = Result<Included>;

	fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
		match Pin::new(&mut self.reply).poll(cx) {
			Poll::Ready(Ok(outcome)) => Poll::Ready(outcome),
			Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Unreachable(
				"the submitter stopped before the call's outcome was known".into(),
			))),
			Poll::Pending => Poll::Pending,
		}
	}
}

/// Submits calls to one node and follows each to finality (see the [module](self) docs).
///
/// Cloning it gives another handle to the same task; the task ends once every handle is
/// dropped and no call in flight has anyone waiting for it.
#[derive(Clone)]
pub struct Submitter {
	requests: mpsc::UnboundedSender<Request>,
}

struct Request {
	signer: Signer,
	call: RuntimeCall,
	reply: oneshot::Sender<Result<Included>>,
}

impl Submitter {
	/// A submitter to the node of `rpc`; starts its task on the current tokio runtime.
	pub async fn new(rpc: Rpc, config: SubmitConfig) -> Result<Self> {
		let ctx = rpc.chain_context().await?;
		let (requests, received) = mpsc::unbounded_channel();
		tokio::spawn(drive(Driver::new(rpc, config, ctx), received));
		Ok(Submitter { requests })
	}

	/// Hands `call`, signed by `signer`, to the submitter; the [`Submission`] resolves when it
	/// is finalized or when it is certain that it will not be.
	pub fn submit(&self, signer: &Signer, call: RuntimeCall) -> Submission {
		let (reply, receiver) = oneshot::channel();
		let request = Request { signer: signer.clone(), call, reply };
		if let Err(mpsc::error::SendError(request)) = self.requests.send(request) {
			let _ = request
				.reply
				.send(Err(Error::Unreachable("the submitter's task has stopped".into())));
		}
		Submission { reply: receiver }
	}
}

type Reply = oneshot::Sender<Result<Included>>;

/// One extrinsic in flight: a call with its nonce.
struct Entry {
	call: RuntimeCall,
	/// Who waits for the outcome; `None` for a remark that fills a nonce.
	reply: Option<Reply>,
	/// Every hash it was submitted under.
	hashes: Vec<H256>,
	/// First submission.
	sent: Instant,
	/// Best block number at the last submission.
	last_submit: u32,
	/// Whether to resubmit at the next round without waiting for blocks.
	retry_now: bool,
	resubmissions: u32,
	last_reason: Option<String>,
	/// Time from `sent` to the first best block seen holding it.
	in_best: Option<Duration>,
}

impl Entry {
	fn new(call: RuntimeCall, reply: Option<Reply>) -> Self {
		Entry {
			call,
			reply,
			hashes: Vec::new(),
			sent: Instant::now(),
			last_submit: 0,
			retry_now: true,
			resubmissions: 0,
			last_reason: None,
			in_best: None,
		}
	}
}

/// What to do with the nonce of a call given up.
#[derive(Debug, PartialEq, Eq)]
enum Freed {
	/// Nothing after it: the next call takes it.
	Reused,
	/// Later extrinsics wait for it: a remark must fill it.
	Fill,
}

/// The calls of one signer: waiting, and in flight by nonce.
struct Account {
	signer: Signer,
	/// The nonce of the next call; `None` until read from the node.
	next: Option<Nonce>,
	queue: VecDeque<(RuntimeCall, Option<Reply>)>,
	in_flight: BTreeMap<Nonce, Entry>,
}

impl Account {
	fn new(signer: Signer) -> Self {
		Account { signer, next: None, queue: VecDeque::new(), in_flight: BTreeMap::new() }
	}

	/// Moves waiting calls into flight, up to `window`, with consecutive nonces from `next`;
	/// returns their nonces. Needs `next`.
	fn assign(&mut self, window: usize) -> Vec<Nonce> {
		let mut assigned = Vec::new();
		let Some(mut next) = self.next else { return assigned };
		while self.in_flight.len() < window {
			let Some((call, reply)) = self.queue.pop_front() else { break };
			self.in_flight.insert(next, Entry::new(call, reply));
			assigned.push(next);
			next += 1;
		}
		self.next = Some(next);
		assigned
	}

	/// Takes the call at `nonce` out of flight (given up) and says what its nonce needs.
	fn give_up(&mut self, nonce: Nonce) -> (Option<Entry>, Freed) {
		let entry = self.in_flight.remove(&nonce);
		let later = self.in_flight.range(nonce + 1..).next().is_some();
		if !later && self.next == Some(nonce + 1) {
			self.next = Some(nonce);
			(entry, Freed::Reused)
		} else {
			(entry, Freed::Fill)
		}
	}

	/// The chain's nonce at the finalized block is `chain`: the calls in flight below it are in
	/// no finalized block (those found were resolved before), so their nonces went to someone
	/// else's extrinsics. They wait again, first in line, for new nonces; returns their old
	/// entries' hashes, which can no longer be included.
	fn consumed(&mut self, chain: Nonce) -> Vec<H256> {
		let mut hashes = Vec::new();
		let kept = self.in_flight.split_off(&chain);
		let taken = std::mem::replace(&mut self.in_flight, kept);
		for (_, entry) in taken.into_iter().rev() {
			hashes.extend(entry.hashes);
			self.queue.push_front((entry.call, entry.reply));
		}
		if let Some(next) = self.next {
			self.next = Some(next.max(chain));
		}
		hashes
	}

	/// Every call in flight or waiting, taken out (the signer starts afresh from the node's
	/// nonce).
	fn take_all(&mut self) -> Vec<(Option<Reply>, Vec<H256>)> {
		let mut all: Vec<(Option<Reply>, Vec<H256>)> = std::mem::take(&mut self.in_flight)
			.into_values()
			.map(|e| (e.reply, e.hashes))
			.collect();
		all.extend(std::mem::take(&mut self.queue).into_iter().map(|(_, r)| (r, Vec::new())));
		self.next = None;
		all
	}
}

/// The empty remark that fills a nonce.
fn filler() -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
}

/// The reason of a failed dispatch: the pallet error's name if the runtime knows it, and the
/// event as the node gave it.
fn dispatch_failure(event: &RuntimeEvent) -> String {
	if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) = event
	{
		if let Some(e) = ehr_runtime::RuntimeError::from_dispatch_error(*dispatch_error) {
			return format!("{e:?}: {event:?}");
		}
	}
	format!("{event:?}")
}

fn send(reply: Option<Reply>, outcome: Result<Included>) {
	if let Some(reply) = reply {
		// The caller may have stopped waiting; nothing else to tell then.
		let _ = reply.send(outcome);
	}
}

struct Driver {
	rpc: Rpc,
	config: SubmitConfig,
	ctx: ChainContext,
	accounts: HashMap<AccountId, Account>,
	/// Hash of every extrinsic in flight, to its signer and nonce.
	index: HashMap<H256, (AccountId, Nonce)>,
	/// Last finalized and best block numbers read, once something is in flight.
	seen: Option<(u32, u32)>,
	failing_since: Option<Instant>,
}

async fn drive(mut d: Driver, mut requests: mpsc::UnboundedReceiver<Request>) {
	let mut open = true;
	loop {
		if d.idle() {
			// Nothing to watch: no need to follow blocks until the next call.
			d.seen = None;
			if !open {
				return;
			}
			match requests.recv().await {
				Some(r) => d.enqueue(r),
				None => return,
			}
		}
		while open {
			match requests.try_recv() {
				Ok(r) => d.enqueue(r),
				Err(mpsc::error::TryRecvError::Empty) => break,
				Err(mpsc::error::TryRecvError::Disconnected) => open = false,
			}
		}
		if !open && d.nobody_waits() {
			return;
		}
		match d.round().await {
			Ok(()) => d.failing_since = None,
			Err(e) => {
				let since = *d.failing_since.get_or_insert_with(Instant::now);
				if since.elapsed() >= d.config.unreachable_after {
					let reason = format!(
						"{} did not answer for {:?} ({e}); the call may still be included",
						d.rpc.url(),
						d.config.unreachable_after
					);
					d.fail_everything(&reason);
					d.failing_since = None;
				}
			},
		}
		tokio::time::sleep(d.config.poll).await;
	}
}

impl Driver {
	fn new(rpc: Rpc, config: SubmitConfig, ctx: ChainContext) -> Self {
		Driver {
			rpc,
			config,
			ctx,
			accounts: HashMap::new(),
			index: HashMap::new(),
			seen: None,
			failing_since: None,
		}
	}

	fn enqueue(&mut self, r: Request) {
		let account = r.signer.account();
		self.accounts
			.entry(account)
			.or_insert_with(|| Account::new(r.signer))
			.queue
			.push_back((r.call, Some(r.reply)));
	}

	fn idle(&self) -> bool {
		self.accounts.values().all(|a| a.queue.is_empty() && a.in_flight.is_empty())
	}

	fn nobody_waits(&self) -> bool {
		self.accounts.values().all(|a| {
			a.queue.iter().all(|(_, r)| r.as_ref().is_none_or(|r| r.is_closed()))
				&& a.in_flight.values().all(|e| e.reply.as_ref().is_none_or(|r| r.is_closed()))
		})
	}

	fn unindex(&mut self, hashes: &[H256]) {
		for h in hashes {
			self.index.remove(h);
		}
	}

	fn fail_everything(&mut self, reason: &str) {
		let mut hashes = Vec::new();
		for a in self.accounts.values_mut() {
			for (reply, h) in a.take_all() {
				send(reply, Err(Error::Unreachable(reason.to_string())));
				hashes.extend(h);
			}
		}
		self.unindex(&hashes);
	}

	/// One look at the node: new blocks, nonces, resubmissions, new submissions.
	async fn round(&mut self) -> Result<()> {
		let fin = self.rpc.finalized_number().await?;
		let best = self.rpc.best_number().await?.max(fin);
		let (mut last_fin, mut last_best) = self.seen.unwrap_or((fin, best));
		self.seen = Some((last_fin, last_best));

		// Best blocks: when each extrinsic was first seen in one.
		while last_best < best {
			let n = last_best + 1;
			if !self.index.is_empty() {
				let Some(at) = self.rpc.block_hash(n).await? else { break };
				for x in self.rpc.block_extrinsics(at).await? {
					let Some((who, nonce)) = self.index.get(&BlakeTwo256::hash(&x)) else {
						continue;
					};
					if let Some(e) =
						self.accounts.get_mut(who).and_then(|a| a.in_flight.get_mut(nonce))
					{
						e.in_best.get_or_insert(e.sent.elapsed());
					}
				}
			}
			last_best = n;
			self.seen = Some((last_fin, last_best));
		}

		// Finalized blocks: every extrinsic in flight found there is resolved.
		while last_fin < fin {
			let n = last_fin + 1;
			let Some(at) = self.rpc.block_hash(n).await? else { break };
			let xts = self.rpc.block_extrinsics(at).await?;
			let mut found = Vec::new();
			for (i, x) in xts.iter().enumerate() {
				let hash = BlakeTwo256::hash(x);
				if let Some((who, nonce)) = self.index.get(&hash) {
					found.push((i as u32, hash, who.clone(), *nonce));
				}
			}
			if !found.is_empty() {
				let events = self.rpc.events(at).await?;
				for (i, hash, who, nonce) in found {
					self.finalized(&who, nonce, hash, n, at, i, &events);
				}
			}
			last_fin = n;
			self.seen = Some((last_fin, last_best));
		}

		let fin_hash = self.rpc.block_hash(last_fin).await?;
		let best_hash = self.rpc.block_hash(best).await?;
		let who_all: Vec<AccountId> = self.accounts.keys().cloned().collect();
		for who in who_all {
			self.account_round(&who, fin_hash, best_hash, best).await?;
		}
		Ok(())
	}

	/// Resolves the extrinsic `hash`, found at `index` of finalized block `number`.
	#[allow(clippy::too_many_arguments)]
	fn finalized(
		&mut self,
		who: &AccountId,
		nonce: Nonce,
		hash: H256,
		number: u32,
		at: H256,
		index: u32,
		events: &[crate::rpc::Event],
	) {
		let Some(entry) = self.accounts.get_mut(who).and_then(|a| a.in_flight.remove(&nonce))
		else {
			return;
		};
		self.unindex(&entry.hashes);
		let events: Vec<RuntimeEvent> = events
			.iter()
			.filter(|r| r.phase == Phase::ApplyExtrinsic(index))
			.map(|r| r.event.clone())
			.collect();
		let failed = events.iter().find(|e| {
			matches!(e, RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { .. }))
		});
		let outcome = match failed {
			Some(f) => Err(Error::Dispatch(dispatch_failure(f))),
			None => {
				let finalized_after = entry.sent.elapsed();
				Ok(Included {
					extrinsic: hash,
					block_hash: at,
					block_number: number,
					index,
					events,
					included_after: entry.in_best.unwrap_or(finalized_after),
					finalized_after,
				})
			},
		};
		send(entry.reply, outcome);
	}

	/// One signer: nonces taken by others, drops, new calls; one batch request.
	async fn account_round(
		&mut self,
		who: &AccountId,
		fin_hash: Option<H256>,
		best_hash: Option<H256>,
		best: u32,
	) -> Result<()> {
		let busy = self.accounts.get(who).is_some_and(|a| !a.in_flight.is_empty());
		let mut chain_best: Option<Nonce> = None;
		if busy {
			if let Some(at) = fin_hash {
				let chain: Nonce =
					self.rpc.runtime_call("AccountNonceApi_account_nonce", who, Some(at)).await?;
				let stale =
					self.accounts.get_mut(who).map(|a| a.consumed(chain)).unwrap_or_default();
				self.unindex(&stale);
			}
			if let Some(at) = best_hash {
				chain_best = Some(
					self.rpc.runtime_call("AccountNonceApi_account_nonce", who, Some(at)).await?,
				);
			}
		}
		let needs_nonce =
			self.accounts.get(who).is_some_and(|a| a.next.is_none() && !a.queue.is_empty());
		if needs_nonce {
			let next = self.rpc.next_nonce(who).await?;
			if let Some(a) = self.accounts.get_mut(who) {
				a.next = Some(next);
			}
		}
		let Some(account) = self.accounts.get_mut(who) else { return Ok(()) };

		// Dropped: in no block `resubmit_after` best blocks after its last submission, its nonce
		// not reached at the best block. New ones are due at once (`retry_now`).
		let mut due: Vec<Nonce> = Vec::new();
		let mut dropped: Vec<Nonce> = Vec::new();
		for (nonce, e) in account.in_flight.iter_mut() {
			let on_chain = chain_best.is_some_and(|c| *nonce < c);
			let waited = best >= e.last_submit.saturating_add(self.config.resubmit_after);
			if e.retry_now || (!on_chain && waited) {
				if !e.retry_now {
					e.resubmissions += 1;
				}
				if e.resubmissions > self.config.max_resubmissions {
					dropped.push(*nonce);
				} else {
					due.push(*nonce);
				}
			}
		}
		for nonce in dropped {
			let reason = self
				.accounts
				.get(who)
				.and_then(|a| a.in_flight.get(&nonce))
				.and_then(|e| e.last_reason.clone())
				.unwrap_or_else(|| "in no block and not in the pool".into());
			let max = self.config.max_resubmissions;
			self.give_up(who, nonce, Error::Dropped(format!("resubmitted {max} times: {reason}")));
			due.retain(|n| *n != nonce);
		}
		let window = self.config.window;
		if let Some(a) = self.accounts.get_mut(who) {
			due.extend(a.assign(window));
		}
		due.sort_unstable();
		due.dedup();
		self.submit(who, due, best).await;
		Ok(())
	}

	/// Signs the extrinsics at `nonces` of `who` afresh and submits them in one batch request.
	async fn submit(&mut self, who: &AccountId, nonces: Vec<Nonce>, best: u32) {
		let Some(account) = self.accounts.get(who) else { return };
		let mut signed: Vec<(Nonce, H256, Vec<u8>)> = Vec::new();
		for nonce in nonces {
			let Some(e) = account.in_flight.get(&nonce) else { continue };
			let xt = account.signer.sign(e.call.clone(), nonce, &self.ctx);
			signed.push((nonce, extrinsic_hash(&xt), codec::Encode::encode(&xt)));
		}
		if signed.is_empty() {
			return;
		}
		let bytes: Vec<Vec<u8>> = signed.iter().map(|s| s.2.clone()).collect();
		let answers = match self.rpc.submit_classified(&bytes).await {
			Ok(a) => a,
			// The node may have taken them: watch them as if taken; if it did not, they are
			// resubmitted as dropped.
			Err(e) => vec![Err(Refusal::Transient(e.to_string())); signed.len()],
		};
		let mut refreshed = false;
		for ((nonce, hash, _), answer) in signed.into_iter().zip(answers) {
			let mut answer = answer;
			// A runtime upgrade changes what signatures commit to: sign again for the new one.
			if let Err(Refusal::Invalid(r)) = &answer {
				if r.contains("bad signature") && !refreshed {
					refreshed = true;
					if let Ok(ctx) = self.rpc.chain_context().await {
						let changed = ctx.genesis != self.ctx.genesis
							|| ctx.spec_version != self.ctx.spec_version
							|| ctx.transaction_version != self.ctx.transaction_version;
						self.ctx = ctx;
						if changed {
							answer = Err(Refusal::Transient(format!("{r}, signed again")));
						}
					}
				}
			}
			if let Err(Refusal::Invalid(reason)) = answer {
				self.give_up(who, nonce, Error::Invalid(reason));
				continue;
			}
			let Some(e) = self.accounts.get_mut(who).and_then(|a| a.in_flight.get_mut(&nonce))
			else {
				continue;
			};
			e.last_submit = best;
			e.retry_now = false;
			match answer {
				Ok(()) | Err(Refusal::AlreadyImported) => {
					e.hashes.push(hash);
					self.index.insert(hash, (who.clone(), nonce));
				},
				Err(Refusal::Transient(reason)) => {
					// Perhaps taken after all (a failed request): watch it.
					e.hashes.push(hash);
					self.index.insert(hash, (who.clone(), nonce));
					e.last_reason = Some(reason);
				},
				Err(Refusal::Stale) => {
					e.last_reason = Some("its nonce is used on chain already".into());
				},
				Err(Refusal::Occupied) => {
					// The pool still holds an extrinsic with this nonce (most likely this call under
					// its earlier signature, waiting for room in a block): not a drop.
					e.resubmissions = e.resubmissions.saturating_sub(1);
					e.last_reason = Some("another extrinsic holds its nonce in the pool".into());
				},
				Err(Refusal::Invalid(_)) => {},
			}
		}
	}

	/// Fails the call at `nonce` of `who` with `error` and frees its nonce: the next call takes
	/// it, or a remark fills it for the later extrinsics. A remark refused in turn means the
	/// signer can submit nothing: everything of it fails.
	fn give_up(&mut self, who: &AccountId, nonce: Nonce, error: Error) {
		let Some(account) = self.accounts.get_mut(who) else { return };
		let (entry, freed) = account.give_up(nonce);
		let Some(entry) = entry else { return };
		let was_filler = entry.reply.is_none();
		let reason = error.to_string();
		self.unindex(&entry.hashes);
		send(entry.reply, Err(error));
		if was_filler {
			let mut hashes = Vec::new();
			if let Some(account) = self.accounts.get_mut(who) {
				for (reply, h) in account.take_all() {
					send(
						reply,
						Err(Error::Invalid(format!(
							"nonce {nonce} of {who} could not be filled after a refusal ({reason}); \
							 the calls after it cannot be included"
						))),
					);
					hashes.extend(h);
				}
			}
			self.unindex(&hashes);
			return;
		}
		if freed == Freed::Fill {
			if let Some(account) = self.accounts.get_mut(who) {
				account.in_flight.insert(nonce, Entry::new(filler(), None));
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_keyring::Sr25519Keyring;

	fn account() -> Account {
		let mut a = Account::new(Signer::new(Sr25519Keyring::Alice.pair()));
		a.next = Some(10);
		a
	}

	fn queue(a: &mut Account, n: usize) {
		for i in 0..n {
			a.queue.push_back((
				RuntimeCall::System(frame_system::Call::remark { remark: vec![i as u8] }),
				None,
			));
		}
	}

	fn remark_of(e: &Entry) -> Vec<u8> {
		match &e.call {
			RuntimeCall::System(frame_system::Call::remark { remark }) => remark.clone(),
			other => panic!("not a remark: {other:?}"),
		}
	}

	#[test]
	fn nonces_follow_the_call_order_within_the_window() {
		let mut a = account();
		queue(&mut a, 5);
		assert_eq!(a.assign(3), vec![10, 11, 12]);
		assert_eq!(a.queue.len(), 2);
		assert_eq!(a.assign(3), Vec::<Nonce>::new());
		a.in_flight.remove(&10);
		assert_eq!(a.assign(3), vec![13]);
		assert_eq!(a.next, Some(14));
		let order: Vec<Vec<u8>> = a.in_flight.values().map(remark_of).collect();
		assert_eq!(order, vec![vec![1], vec![2], vec![3]]);
	}

	#[test]
	fn no_nonce_no_assignment() {
		let mut a = account();
		a.next = None;
		queue(&mut a, 2);
		assert!(a.assign(8).is_empty());
		assert_eq!(a.queue.len(), 2);
	}

	#[test]
	fn the_last_nonce_given_up_is_reused() {
		let mut a = account();
		queue(&mut a, 3);
		a.assign(8);
		let (e, freed) = a.give_up(12);
		assert!(e.is_some());
		assert_eq!(freed, Freed::Reused);
		assert_eq!(a.next, Some(12));
		queue(&mut a, 1);
		assert_eq!(a.assign(8), vec![12]);
	}

	#[test]
	fn a_nonce_given_up_before_others_must_be_filled() {
		let mut a = account();
		queue(&mut a, 3);
		a.assign(8);
		let (_, freed) = a.give_up(11);
		assert_eq!(freed, Freed::Fill);
		// The later extrinsics keep their nonces; the next call comes after them.
		assert_eq!(a.next, Some(13));
		assert!(a.in_flight.contains_key(&12));
	}

	#[test]
	fn nonces_taken_by_someone_else_are_reassigned_first_in_order() {
		let mut a = account();
		queue(&mut a, 4);
		a.assign(8); // 10, 11, 12, 13
		if let Some(e) = a.in_flight.get_mut(&10) {
			e.hashes.push(H256::repeat_byte(1));
		}
		let stale = a.consumed(12);
		assert_eq!(stale, vec![H256::repeat_byte(1)]);
		assert_eq!(a.in_flight.keys().copied().collect::<Vec<_>>(), vec![12, 13]);
		assert_eq!(a.next, Some(14));
		assert_eq!(a.assign(8), vec![14, 15]);
		let order: Vec<Vec<u8>> = a.in_flight.values().map(remark_of).collect();
		assert_eq!(order, vec![vec![2], vec![3], vec![0], vec![1]]);
	}

	#[test]
	fn the_chain_ahead_of_the_signer_moves_its_next_nonce() {
		let mut a = account();
		queue(&mut a, 1);
		a.assign(8); // 10
		a.consumed(20);
		assert!(a.in_flight.is_empty());
		assert_eq!(a.assign(8), vec![20]);
	}

	#[test]
	fn refusals_are_classified_by_code_and_reason() {
		let c = Refusal::classify;
		assert_eq!(
			c(1013, "Transaction Already Imported", Some("\"0x00\"")),
			Refusal::AlreadyImported
		);
		assert_eq!(c(1014, "Priority is too low: (1 vs 1)", None), Refusal::Occupied);
		assert_eq!(
			c(1010, "Invalid Transaction", Some("\"Transaction is outdated\"")),
			Refusal::Stale
		);
		assert!(matches!(
			c(1010, "Invalid Transaction", Some("\"Transaction will be valid in the future\"")),
			Refusal::Transient(_)
		));
		match c(1010, "Invalid Transaction", Some("\"Transaction has a bad signature\"")) {
			Refusal::Invalid(r) => assert!(r.contains("bad signature"), "{r}"),
			other => panic!("{other:?}"),
		}
		match c(1010, "Invalid Transaction", Some("\"Custom error: 3\"")) {
			Refusal::Invalid(r) => assert!(r.contains("Custom error: 3"), "{r}"),
			other => panic!("{other:?}"),
		}
		assert!(matches!(c(1011, "Unknown Transaction Validity", None), Refusal::Invalid(_)));
		assert!(matches!(
			c(1012, "Transaction is temporarily banned", None),
			Refusal::Transient(_)
		));
		assert!(matches!(c(1016, "Immediately Dropped", None), Refusal::Transient(_)));
		assert!(matches!(c(1019, "No tags provided", None), Refusal::Invalid(_)));
		assert!(matches!(c(-32000, "server busy", None), Refusal::Transient(_)));
	}
}

//! The service's own store: one JSON file, `state.json`, under the data directory.
//!
//! It holds the chain it follows (genesis hash), the cursor (last finalized block processed),
//! the subscriptions (the only place contact details are kept: the chain has none), the nonces
//! of requests still within their validity, and the outbox of messages not yet delivered. Every
//! change is written whole and atomically (a temporary file, `fsync`, `rename`, `fsync` of the
//! directory) before it takes effect in memory, so a crash leaves either the old state or the
//! new one. A block's messages enter the outbox in the same write that moves the cursor past the
//! block: a restart neither misses a block's messages nor makes them twice; a message leaves the
//! outbox only once delivered (or given up on), so delivery is at least once.

use std::{
	collections::BTreeMap,
	fs,
	io::Write as _,
	path::{Path, PathBuf},
};

use ehr_runtime::{AccountId, BlockNumber};
use serde::{Deserialize, Serialize};
use sp_core::H256;

use crate::{subscription::Request as _, Error, Kind, Notice, Result, Subscribe, Unsubscribe};

/// Name of the store's file in the data directory.
pub const STATE_FILE: &str = "state.json";

/// Where the follower is: the last finalized block whose messages are in the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
	/// Its number.
	pub number: BlockNumber,
	/// Its hash.
	pub hash: H256,
}

/// A patient's subscription as the service keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
	/// Where each notice is POSTed.
	pub webhook: Option<String>,
	/// Where each notice is e-mailed.
	pub email: Option<String>,
	/// The kinds of entry the patient is told of.
	pub kinds: Vec<Kind>,
	/// When the service took the subscription (ms since the Unix epoch).
	pub since: u64,
}

/// Where one message goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Channel {
	/// POST to this URL.
	Webhook(String),
	/// E-mail to this address.
	Email(String),
}

/// One notice to one channel, until delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
	/// Local number of the message.
	pub id: u64,
	/// What it says.
	pub notice: Notice,
	/// Where it goes.
	pub channel: Channel,
	/// Attempts so far.
	pub attempts: u32,
	/// Not before this time (ms since the Unix epoch).
	pub next_attempt: u64,
}

/// What became of a request the store was asked to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
	/// Done and written.
	Done,
	/// Its nonce was already used: nothing changed.
	Replayed,
	/// An unsubscription of a patient with no subscription: nothing changed.
	NotSubscribed,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
	genesis: Option<H256>,
	cursor: Option<Cursor>,
	/// By patient (SS58).
	subscriptions: BTreeMap<String, Subscription>,
	/// Nonces (`0x` hex) of requests taken, with their expiry: forgotten once expired, when the
	/// request would be refused as expired anyway.
	nonces: BTreeMap<String, u64>,
	outbox: Vec<Message>,
	next_id: u64,
}

/// The store of one data directory.
pub struct Store {
	path: PathBuf,
	state: State,
}

impl Store {
	/// Opens the store under `dir` (created if missing), reading its file if there is one.
	pub fn open(dir: &Path) -> Result<Store> {
		fs::create_dir_all(dir)?;
		let path = dir.join(STATE_FILE);
		let state = match fs::read(&path) {
			Ok(bytes) => serde_json::from_slice(&bytes)
				.map_err(|e| Error::Store(format!("{}: {e}", path.display())))?,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
			Err(e) => return Err(e.into()),
		};
		Ok(Store { path, state })
	}

	/// Writes `state` atomically, then makes it the store's.
	fn commit(&mut self, state: State) -> Result<()> {
		let bytes = serde_json::to_vec_pretty(&state)
			.map_err(|e| Error::Store(format!("encoding the state: {e}")))?;
		let tmp = self.path.with_extension("json.tmp");
		{
			let mut f = fs::File::create(&tmp)?;
			f.write_all(&bytes)?;
			f.sync_all()?;
		}
		fs::rename(&tmp, &self.path)?;
		// The rename itself is durable only once the directory is.
		if let Some(dir) = self.path.parent() {
			fs::File::open(dir)?.sync_all()?;
		}
		self.state = state;
		Ok(())
	}

	/// Genesis hash of the chain this store follows, once bound.
	pub fn genesis(&self) -> Option<H256> {
		self.state.genesis
	}

	/// Binds the store to the chain with genesis hash `genesis`; fails if it follows another.
	pub fn bind(&mut self, genesis: H256) -> Result<()> {
		match self.state.genesis {
			Some(g) if g == genesis => Ok(()),
			Some(g) => Err(Error::Chain(format!(
				"the data directory follows the chain with genesis {g:?}, the node's is {genesis:?}"
			))),
			None => {
				let mut state = self.state.clone();
				state.genesis = Some(genesis);
				self.commit(state)
			},
		}
	}

	/// The last block processed.
	pub fn cursor(&self) -> Option<Cursor> {
		self.state.cursor
	}

	/// The subscription of `patient`.
	pub fn subscription(&self, patient: &AccountId) -> Option<&Subscription> {
		self.state.subscriptions.get(&patient.to_string())
	}

	/// Number of subscriptions.
	pub fn subscriptions(&self) -> usize {
		self.state.subscriptions.len()
	}

	/// Takes `s` (already checked) at time `now`: replaces the patient's subscription and spends
	/// its nonce, in one write.
	pub fn subscribe(&mut self, s: &Subscribe, now: u64) -> Result<Applied> {
		let Some(mut state) = self.spend_nonce(s.nonce(), s.expires_at(), now) else {
			return Ok(Applied::Replayed);
		};
		let mut kinds = s.kinds.clone();
		kinds.sort();
		kinds.dedup();
		state.subscriptions.insert(
			s.patient.to_string(),
			Subscription { webhook: s.webhook.clone(), email: s.email.clone(), kinds, since: now },
		);
		self.commit(state)?;
		Ok(Applied::Done)
	}

	/// Takes `u` (already checked): ends the patient's subscription, drops their undelivered
	/// messages and spends the nonce, in one write.
	pub fn unsubscribe(&mut self, u: &Unsubscribe, now: u64) -> Result<Applied> {
		let patient = u.patient.to_string();
		if !self.state.subscriptions.contains_key(&patient) {
			return Ok(Applied::NotSubscribed);
		}
		let Some(mut state) = self.spend_nonce(u.nonce(), u.expires_at(), now) else {
			return Ok(Applied::Replayed);
		};
		state.subscriptions.remove(&patient);
		state.outbox.retain(|m| m.notice.patient != patient);
		self.commit(state)?;
		Ok(Applied::Done)
	}

	/// The state with `nonce` spent and expired nonces forgotten; `None` if it was spent.
	fn spend_nonce(&self, nonce: [u8; 16], expires_at: u64, now: u64) -> Option<State> {
		let key = format!("0x{}", hex::encode(nonce));
		if self.state.nonces.contains_key(&key) {
			return None;
		}
		let mut state = self.state.clone();
		state.nonces.retain(|_, expiry| *expiry >= now);
		state.nonces.insert(key, expires_at);
		Some(state)
	}

	/// Records that block `cursor` was processed and its `notices` found: each notice of a
	/// subscribed patient of a kind they asked for enters the outbox once per channel, in the
	/// same write as the cursor. Returns how many messages entered.
	pub fn record_block(&mut self, cursor: Cursor, notices: &[Notice], now: u64) -> Result<usize> {
		let mut state = self.state.clone();
		let before = state.outbox.len();
		for notice in notices {
			let Some(sub) = state.subscriptions.get(&notice.patient) else { continue };
			if !sub.kinds.contains(&notice.kind) {
				continue;
			}
			let channels: Vec<Channel> = sub
				.webhook
				.iter()
				.map(|u| Channel::Webhook(u.clone()))
				.chain(sub.email.iter().map(|e| Channel::Email(e.clone())))
				.collect();
			for channel in channels {
				let id = state.next_id;
				state.next_id += 1;
				state.outbox.push(Message {
					id,
					notice: notice.clone(),
					channel,
					attempts: 0,
					next_attempt: now,
				});
			}
		}
		let added = state.outbox.len() - before;
		state.cursor = Some(cursor);
		// A block with nothing for anyone moves the cursor too: a restart starts after it.
		self.commit(state)?;
		Ok(added)
	}

	/// Messages in the outbox.
	pub fn outbox_len(&self) -> usize {
		self.state.outbox.len()
	}

	/// Up to `limit` messages due at `now`, oldest first.
	pub fn due(&self, now: u64, limit: usize) -> Vec<Message> {
		self.state.outbox.iter().filter(|m| m.next_attempt <= now).take(limit).cloned().collect()
	}

	/// When the next message not due at `now` is.
	pub fn next_due(&self) -> Option<u64> {
		self.state.outbox.iter().map(|m| m.next_attempt).min()
	}

	/// Message `id` was delivered, or is given up on: it leaves the outbox.
	pub fn remove(&mut self, id: u64) -> Result<()> {
		let mut state = self.state.clone();
		state.outbox.retain(|m| m.id != id);
		self.commit(state)
	}

	/// Message `id` failed: one more attempt counted, the next not before `next_attempt`.
	pub fn retry_at(&mut self, id: u64, next_attempt: u64) -> Result<()> {
		let mut state = self.state.clone();
		if let Some(m) = state.outbox.iter_mut().find(|m| m.id == id) {
			m.attempts = m.attempts.saturating_add(1);
			m.next_attempt = next_attempt;
		}
		self.commit(state)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_access_log::{LogAction, Purpose, Subject};
	use sp_core::{sr25519, Pair};

	fn account(uri: &str) -> AccountId {
		sr25519::Pair::from_string(uri, None).unwrap().public().into()
	}

	fn subscribe(patient: &AccountId, nonce: u8, kinds: Vec<Kind>) -> Subscribe {
		Subscribe {
			patient: patient.clone(),
			signer: patient.clone(),
			webhook: Some("http://127.0.0.1:1/hook".into()),
			email: Some("p@example.org".into()),
			kinds,
			nonce: [nonce; 16],
			expires_at: 2_000,
			genesis: H256::repeat_byte(1),
		}
	}

	fn notice(patient: &AccountId, kind: Kind, action: LogAction) -> Notice {
		Notice {
			id: H256::repeat_byte(3),
			kind,
			action,
			what: "x".into(),
			patient: patient.to_string(),
			actor: account("//Doctor").to_string(),
			hospital: Some(0),
			source: None,
			record: Some(4),
			subject: Subject::Record(4),
			purpose: Some(Purpose::Treatment),
			block: 9,
			block_hash: H256::repeat_byte(9),
			timestamp: 1_000,
			seq: 2,
		}
	}

	#[test]
	fn subscriptions_nonces_cursor_and_outbox_survive_a_reopen() {
		let dir = tempfile::tempdir().unwrap();
		let (p, q) = (account("//P"), account("//Q"));
		let mut store = Store::open(dir.path()).unwrap();
		store.bind(H256::repeat_byte(1)).unwrap();
		assert_eq!(
			store.subscribe(&subscribe(&p, 1, vec![Kind::Read, Kind::Read]), 1_000).unwrap(),
			Applied::Done
		);
		// The same nonce again, even for a new subscription: refused, nothing changed.
		assert_eq!(
			store.subscribe(&subscribe(&p, 1, vec![Kind::Refusal]), 1_000).unwrap(),
			Applied::Replayed
		);
		let notices = [
			notice(&p, Kind::Read, LogAction::DocumentRead),
			notice(&p, Kind::Refusal, LogAction::ReadDenied),
			notice(&q, Kind::Read, LogAction::DocumentRead),
		];
		let cursor = Cursor { number: 9, hash: H256::repeat_byte(9) };
		// Only p's read: one message to the webhook, one e-mail.
		assert_eq!(store.record_block(cursor, &notices, 1_500).unwrap(), 2);
		drop(store);

		let mut store = Store::open(dir.path()).unwrap();
		assert_eq!(store.cursor(), Some(cursor));
		assert_eq!(store.subscription(&p).unwrap().kinds, vec![Kind::Read]);
		assert!(store.bind(H256::repeat_byte(2)).is_err(), "bound to one chain");
		let due = store.due(1_500, 10);
		assert_eq!(due.len(), 2);
		assert!(matches!(due[0].channel, Channel::Webhook(_)));
		assert!(matches!(due[1].channel, Channel::Email(_)));
		store.retry_at(due[0].id, 5_000).unwrap();
		store.remove(due[1].id).unwrap();
		assert!(store.due(1_500, 10).is_empty());
		assert_eq!(store.next_due(), Some(5_000));
		assert_eq!(
			store.subscribe(&subscribe(&p, 1, vec![Kind::Read]), 1_000).unwrap(),
			Applied::Replayed,
			"a spent nonce stays spent across a reopen"
		);
		assert!(!dir.path().join("state.json.tmp").exists());
	}

	#[test]
	fn unsubscribing_drops_the_patients_undelivered_messages() {
		let dir = tempfile::tempdir().unwrap();
		let p = account("//P");
		let mut store = Store::open(dir.path()).unwrap();
		let u = Unsubscribe {
			patient: p.clone(),
			signer: p.clone(),
			nonce: [5; 16],
			expires_at: 2_000,
			genesis: H256::repeat_byte(1),
		};
		assert_eq!(store.unsubscribe(&u, 1_000).unwrap(), Applied::NotSubscribed);
		store.subscribe(&subscribe(&p, 1, Kind::ALL.to_vec()), 1_000).unwrap();
		let cursor = Cursor { number: 1, hash: H256::repeat_byte(1) };
		store
			.record_block(cursor, &[notice(&p, Kind::Emergency, LogAction::EmergencyOpened)], 1_000)
			.unwrap();
		assert_eq!(store.outbox_len(), 2);
		assert_eq!(store.unsubscribe(&u, 1_000).unwrap(), Applied::Done);
		assert_eq!(store.outbox_len(), 0);
		assert_eq!(store.subscriptions(), 0);
		// Expired nonces are forgotten when a later request comes (its own expiry then counts).
		store.subscribe(&subscribe(&p, 6, vec![Kind::Read]), 3_000).unwrap();
		assert_eq!(store.state.nonces.len(), 1);
	}
}

//! Following the node's finalized blocks: every block after the cursor, in order, its
//! `accessLog.EntryAppended` events turned into [`Notice`]s and handed to the store, which puts
//! those of subscribed patients into the outbox in the same write that moves the cursor.
//!
//! Only finalized blocks are read, so a notice is never about an entry a fork dropped. Every
//! entry the consent and records pallets append (break-glass, grants) and every read and refusal
//! a gateway logs comes as an `EntryAppended` event with the whole entry: that one event is all
//! the service decodes, with the runtime's own types.

use std::{sync::Arc, time::Duration};

use ehr_client::{gateway::now_ms, runtime::RuntimeEvent, Rpc};
use sp_core::H256;
use tokio::sync::{Mutex, Notify};

use crate::{
	store::{Cursor, Store},
	Error, Notice, Result,
};

/// The notices of `events`, the events of block `block_hash`, in order.
pub fn notices<'a>(
	events: impl IntoIterator<Item = &'a RuntimeEvent>,
	block_hash: H256,
) -> Vec<Notice> {
	events
		.into_iter()
		.filter_map(|event| match event {
			RuntimeEvent::AccessLog(pallet_access_log::Event::EntryAppended { entry, hash }) => {
				Notice::of(entry, *hash, block_hash)
			},
			_ => None,
		})
		.collect()
}

/// Follows one node's finalized blocks into one store.
pub struct Follower {
	/// The node.
	pub rpc: Rpc,
	/// The store.
	pub store: Arc<Mutex<Store>>,
	/// Woken when messages enter the outbox.
	pub wake: Arc<Notify>,
	/// How often the finalized head is asked.
	pub poll: Duration,
	/// Outbox size at which the follower waits for deliveries before reading further blocks.
	pub max_outbox: usize,
}

impl Follower {
	/// Checks that the store follows the node's chain (binding a fresh store to it) and that the
	/// cursor's block is the node's finalized block of that number; a fresh store starts after
	/// block `from`, or after the finalized head if `None`.
	pub async fn init(&self, from: Option<u32>) -> Result<Cursor> {
		let genesis = self.rpc.genesis_hash().await?;
		let mut store = self.store.lock().await;
		store.bind(genesis)?;
		if let Some(cursor) = store.cursor() {
			let hash = self.rpc.block_hash(cursor.number).await?;
			if hash != Some(cursor.hash) {
				return Err(Error::Chain(format!(
					"the cursor's block #{} {:?} is not the node's ({hash:?})",
					cursor.number, cursor.hash
				)));
			}
			return Ok(cursor);
		}
		let number = match from {
			Some(n) => n,
			None => self.rpc.finalized_number().await?,
		};
		let hash = self
			.rpc
			.block_hash(number)
			.await?
			.ok_or_else(|| Error::Chain(format!("the node has no block #{number}")))?;
		let cursor = Cursor { number, hash };
		store.record_block(cursor, &[], now_ms())?;
		Ok(cursor)
	}

	/// Follows the chain forever: after each error (the node unreachable, a block not yet
	/// there) it tries again at the next poll, from the cursor.
	pub async fn run(self) {
		loop {
			if let Err(e) = self.catch_up().await {
				eprintln!("ehr-notify: following the chain: {e}");
			}
			tokio::time::sleep(self.poll).await;
		}
	}

	/// Processes every finalized block after the cursor; returns the new cursor.
	pub async fn catch_up(&self) -> Result<Option<Cursor>> {
		let finalized = self.rpc.finalized_number().await?;
		loop {
			let (cursor, outbox) = {
				let store = self.store.lock().await;
				(store.cursor(), store.outbox_len())
			};
			let Some(cursor) = cursor else {
				return Err(Error::Chain("the store has no cursor: not initialised".into()));
			};
			if cursor.number >= finalized {
				return Ok(Some(cursor));
			}
			if outbox >= self.max_outbox {
				// Bounded: the blocks wait on chain until deliveries make room.
				self.wake.notify_one();
				return Ok(Some(cursor));
			}
			let number = cursor.number + 1;
			let hash = self
				.rpc
				.block_hash(number)
				.await?
				.ok_or_else(|| Error::Chain(format!("the node has no block #{number}")))?;
			let events = self.rpc.events(hash).await?;
			let notices = notices(events.iter().map(|record| &record.event), hash);
			let added = self.store.lock().await.record_block(
				Cursor { number, hash },
				&notices,
				now_ms(),
			)?;
			if added > 0 {
				self.wake.notify_one();
			}
		}
	}
}

//! JSON-RPC over HTTP to an `ehr-node`.

use std::time::{Duration, Instant};

use codec::{Decode, Encode};
use ehr_runtime::{AccountId, Nonce, RuntimeEvent, UncheckedExtrinsic};
use frame_system::{EventRecord, Phase};
use jsonrpsee::{
	core::{
		client::ClientT,
		params::{ArrayParams, BatchRequestBuilder},
	},
	http_client::{HttpClient, HttpClientBuilder},
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sp_core::{crypto::Ss58Codec, H256};
use sp_runtime::traits::{BlakeTwo256, Hash as _};

use crate::{
	signer::{extrinsic_hash, ChainContext},
	submit::{Refusal, SubmitConfig, Submitter},
	Error, Result,
};

/// An event of the runtime as stored in `System::Events`.
pub type Event = EventRecord<RuntimeEvent, H256>;

/// Where and how an extrinsic ended up.
#[derive(Debug, Clone)]
pub struct Included {
	/// Hash of the extrinsic.
	pub extrinsic: H256,
	/// Hash of the finalized block that contains it.
	pub block_hash: H256,
	/// Number of that block.
	pub block_number: u32,
	/// Position of the extrinsic in the block.
	pub index: u32,
	/// The events the extrinsic emitted, in order (the last one is `ExtrinsicSuccess`).
	pub events: Vec<RuntimeEvent>,
	/// Time from submission to inclusion in a block seen by this node.
	pub included_after: Duration,
	/// Time from submission to finality.
	pub finalized_after: Duration,
}

/// A JSON-RPC client of one node.
#[derive(Clone)]
pub struct Rpc {
	client: std::sync::Arc<HttpClient>,
	url: String,
}

fn hex_bytes(v: &Value) -> Result<Vec<u8>> {
	let s = v.as_str().ok_or_else(|| Error::Decode(format!("expected a hex string, got {v}")))?;
	hex::decode(s.trim_start_matches("0x")).map_err(|e| Error::Decode(format!("hex: {e}")))
}

fn hex_u32(v: &Value) -> Result<u32> {
	let s = v.as_str().ok_or_else(|| Error::Decode(format!("expected a hex number, got {v}")))?;
	u32::from_str_radix(s.trim_start_matches("0x"), 16)
		.map_err(|e| Error::Decode(format!("number {s}: {e}")))
}

fn hash_hex(h: &H256) -> String {
	format!("0x{}", hex::encode(h.as_bytes()))
}

fn parse_hash(v: &Value) -> Result<H256> {
	let b = hex_bytes(v)?;
	if b.len() != 32 {
		return Err(Error::Decode(format!("expected a 32-byte hash, got {} bytes", b.len())));
	}
	Ok(H256::from_slice(&b))
}

impl Rpc {
	/// A client of the node whose HTTP JSON-RPC endpoint is `url` (e.g. `http://127.0.0.1:9944`).
	pub fn new(url: &str) -> Result<Self> {
		let client = HttpClientBuilder::default()
			.request_timeout(Duration::from_secs(30))
			.max_request_size(16 * 1024 * 1024)
			.max_response_size(64 * 1024 * 1024)
			.build(url)?;
		Ok(Rpc { client: std::sync::Arc::new(client), url: url.to_string() })
	}

	/// The endpoint this client talks to.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// Calls any JSON-RPC method with positional parameters.
	pub async fn call<R: DeserializeOwned>(&self, method: &str, params: Vec<Value>) -> Result<R> {
		let mut p = ArrayParams::new();
		for v in params {
			p.insert(v).map_err(|e| Error::Decode(format!("params: {e}")))?;
		}
		Ok(self.client.request(method, p).await?)
	}

	/// Hash of block `n` of the best chain, if the node has it.
	pub async fn block_hash(&self, n: u32) -> Result<Option<H256>> {
		let v: Value = self.call("chain_getBlockHash", vec![n.into()]).await?;
		if v.is_null() {
			return Ok(None);
		}
		parse_hash(&v).map(Some)
	}

	/// Genesis hash.
	pub async fn genesis_hash(&self) -> Result<H256> {
		self.block_hash(0).await?.ok_or_else(|| Error::Decode("no genesis block".into()))
	}

	/// Number of the best block.
	pub async fn best_number(&self) -> Result<u32> {
		let h: Value = self.call("chain_getHeader", vec![]).await?;
		hex_u32(&h["number"])
	}

	/// Hash of the last finalized block.
	pub async fn finalized_hash(&self) -> Result<H256> {
		let v: Value = self.call("chain_getFinalizedHead", vec![]).await?;
		parse_hash(&v)
	}

	/// Number of the last finalized block.
	pub async fn finalized_number(&self) -> Result<u32> {
		let hash = self.finalized_hash().await?;
		let h: Value = self.call("chain_getHeader", vec![hash_hex(&hash).into()]).await?;
		hex_u32(&h["number"])
	}

	/// What signatures must commit to on this chain.
	pub async fn chain_context(&self) -> Result<ChainContext> {
		let genesis = self.genesis_hash().await?;
		let v: Value = self.call("state_getRuntimeVersion", vec![]).await?;
		let field = |k: &str| {
			v[k].as_u64()
				.and_then(|x| u32::try_from(x).ok())
				.ok_or_else(|| Error::Decode(format!("runtime version without {k}: {v}")))
		};
		Ok(ChainContext {
			genesis,
			spec_version: field("specVersion")?,
			transaction_version: field("transactionVersion")?,
		})
	}

	/// The next nonce of `who`, counting extrinsics already in the node's pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<Nonce> {
		self.call("system_accountNextIndex", vec![who.to_ss58check().into()]).await
	}

	/// Number of peers of the node.
	pub async fn peers(&self) -> Result<u64> {
		let v: Value = self.call("system_health", vec![]).await?;
		v["peers"].as_u64().ok_or_else(|| Error::Decode(format!("system_health: {v}")))
	}

	/// Raw storage value at `key`, at block `at` (best block if `None`).
	pub async fn storage(&self, key: &[u8], at: Option<H256>) -> Result<Option<Vec<u8>>> {
		let mut params = vec![Value::from(format!("0x{}", hex::encode(key)))];
		if let Some(at) = at {
			params.push(hash_hex(&at).into());
		}
		let v: Value = self.call("state_getStorage", params).await?;
		if v.is_null() {
			return Ok(None);
		}
		hex_bytes(&v).map(Some)
	}

	/// Calls runtime API function `method` (e.g. `AccessLogApi_head`) with SCALE-encoded
	/// `args` at block `at` (best block if `None`) and decodes its SCALE result.
	pub async fn runtime_call<R: Decode>(
		&self,
		method: &str,
		args: &impl Encode,
		at: Option<H256>,
	) -> Result<R> {
		let mut params =
			vec![Value::from(method), Value::from(format!("0x{}", hex::encode(args.encode())))];
		if let Some(at) = at {
			params.push(hash_hex(&at).into());
		}
		let v: Value = self.call("state_call", params).await?;
		R::decode(&mut &hex_bytes(&v)?[..]).map_err(|e| Error::Decode(format!("{method}: {e}")))
	}

	/// The events of block `at`.
	pub async fn events(&self, at: H256) -> Result<Vec<Event>> {
		let key = frame_support::storage::storage_prefix(b"System", b"Events");
		match self.storage(&key, Some(at)).await? {
			None => Ok(Vec::new()),
			Some(bytes) => Vec::<Event>::decode(&mut &bytes[..])
				.map_err(|e| Error::Decode(format!("events: {e}"))),
		}
	}

	/// The chain's time (`Timestamp::Now`, ms since the Unix epoch) at the best block.
	pub async fn now_ms(&self) -> Result<u64> {
		let key = frame_support::storage::storage_prefix(b"Timestamp", b"Now");
		let raw = self
			.storage(&key, None)
			.await?
			.ok_or_else(|| Error::Decode("no Timestamp::Now in state".into()))?;
		u64::decode(&mut &raw[..]).map_err(|e| Error::Decode(format!("Timestamp::Now: {e}")))
	}

	/// The encoded extrinsics of block `at`.
	pub async fn block_extrinsics(&self, at: H256) -> Result<Vec<Vec<u8>>> {
		let v: Value = self.call("chain_getBlock", vec![hash_hex(&at).into()]).await?;
		v["block"]["extrinsics"]
			.as_array()
			.ok_or_else(|| Error::Decode(format!("block without extrinsics: {v}")))?
			.iter()
			.map(hex_bytes)
			.collect()
	}

	/// Submits an extrinsic to the pool; returns its hash.
	pub async fn submit(&self, xt: &UncheckedExtrinsic) -> Result<H256> {
		let v: Value = self
			.call("author_submitExtrinsic", vec![format!("0x{}", hex::encode(xt.encode())).into()])
			.await?;
		parse_hash(&v)
	}

	/// Sends `author_submitExtrinsic` for each of the encoded `xts` in one JSON-RPC batch request
	/// (one HTTP round trip); the node's answer to each, in order.
	async fn submit_batch(
		&self,
		xts: &[Vec<u8>],
	) -> Result<Vec<std::result::Result<Value, jsonrpsee::types::ErrorObjectOwned>>> {
		if xts.is_empty() {
			return Ok(Vec::new());
		}
		let mut batch = BatchRequestBuilder::new();
		for xt in xts {
			batch
				.insert("author_submitExtrinsic", vec![format!("0x{}", hex::encode(xt))])
				.map_err(|e| Error::Decode(format!("params: {e}")))?;
		}
		Ok(self.client.batch_request::<Value>(batch).await?.into_iter().collect())
	}

	/// Submits already encoded extrinsics in one JSON-RPC batch request (one HTTP round trip);
	/// returns, for each in order, its hash or the pool's refusal.
	pub async fn submit_encoded_batch(
		&self,
		xts: &[Vec<u8>],
	) -> Result<Vec<std::result::Result<H256, String>>> {
		Ok(self
			.submit_batch(xts)
			.await?
			.into_iter()
			.map(|a| match a {
				Ok(v) => parse_hash(&v).map_err(|e| e.to_string()),
				Err(e) => Err(e.message().to_string()),
			})
			.collect())
	}

	/// Submits already encoded extrinsics in one JSON-RPC batch request; returns, for each in
	/// order, whether the pool took it or what its refusal means ([`Refusal`]). An error is a
	/// failure of the request itself (the node may have taken some of them).
	pub async fn submit_classified(
		&self,
		xts: &[Vec<u8>],
	) -> Result<Vec<std::result::Result<(), Refusal>>> {
		Ok(self
			.submit_batch(xts)
			.await?
			.into_iter()
			.map(|a| match a {
				Ok(_) => Ok(()),
				Err(e) => Err(Refusal::classify(e.code(), e.message(), e.data().map(|d| d.get()))),
			})
			.collect())
	}

	/// Submits `xt` and waits, polling, until a finalized block contains it; fails if it is not
	/// finalized within `timeout` or if its dispatch failed.
	pub async fn submit_and_watch(
		&self,
		xt: &UncheckedExtrinsic,
		timeout: Duration,
	) -> Result<Included> {
		let start = Instant::now();
		let from = self.best_number().await?;
		let hash = self.submit(xt).await?;
		debug_assert_eq!(hash, extrinsic_hash(xt));
		self.wait_finalized(hash, from, start, timeout).await
	}

	/// Submits `call` as `signer` through a [`Submitter`] of this node and waits until it is
	/// finalized: signed with the signer's next nonce (counting the pool), re-signed and
	/// resubmitted if the pool drops it, and on a refusal or a failed dispatch the reason
	/// ([`Error::Invalid`], [`Error::Dispatch`], [`Error::Dropped`]). Fails with
	/// [`Error::Timeout`] if it is not finalized within `timeout` (it may still be later).
	///
	/// Each call starts its own [`Submitter`]; an EHR system that submits many calls keeps one
	/// [`Submitter`] instead, which paces each signer and submits the calls in order.
	pub async fn sign_and_watch(
		&self,
		signer: &crate::Signer,
		call: ehr_runtime::RuntimeCall,
		timeout: Duration,
	) -> Result<Included> {
		let submitter = Submitter::new(self.clone(), SubmitConfig::default()).await?;
		let submission = submitter.submit(signer, call);
		match tokio::time::timeout(timeout, submission).await {
			Ok(outcome) => outcome,
			Err(_) => Err(Error::Timeout(format!(
				"a call of {} not finalized within {timeout:?} (best: {}, finalized: {})",
				signer.account(),
				self.best_number().await.unwrap_or_default(),
				self.finalized_number().await.unwrap_or_default(),
			))),
		}
	}

	/// Waits until a finalized block at or after `from` contains the extrinsic `hash`.
	pub async fn wait_finalized(
		&self,
		hash: H256,
		from: u32,
		start: Instant,
		timeout: Duration,
	) -> Result<Included> {
		let mut next = from;
		let mut found: Option<(u32, H256, u32, Duration)> = None;
		loop {
			if start.elapsed() > timeout {
				return Err(Error::Timeout(format!(
					"extrinsic {hash:?} not finalized within {timeout:?} (seen in block: {:?}, \
					 best: {}, finalized: {})",
					found.map(|f| f.0),
					self.best_number().await.unwrap_or_default(),
					self.finalized_number().await.unwrap_or_default(),
				)));
			}
			if found.is_none() {
				let best = self.best_number().await?;
				while next <= best && found.is_none() {
					if let Some(bh) = self.block_hash(next).await? {
						let xts = self.block_extrinsics(bh).await?;
						if let Some(i) = xts.iter().position(|x| BlakeTwo256::hash(x) == hash) {
							found = Some((next, bh, i as u32, start.elapsed()));
							break;
						}
					}
					next += 1;
				}
			}
			if let Some((n, bh, index, included_after)) = found {
				if self.finalized_number().await? >= n {
					// A block of the same height may have been replaced by a fork before
					// finality: then search again from there.
					if self.block_hash(n).await? != Some(bh) {
						found = None;
						next = n;
						continue;
					}
					let events: Vec<RuntimeEvent> = self
						.events(bh)
						.await?
						.into_iter()
						.filter(|r| r.phase == Phase::ApplyExtrinsic(index))
						.map(|r| r.event)
						.collect();
					if let Some(failed) = events.iter().find(|e| {
						matches!(
							e,
							RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { .. })
						)
					}) {
						return Err(Error::Dispatch(format!("{failed:?}")));
					}
					return Ok(Included {
						extrinsic: hash,
						block_hash: bh,
						block_number: n,
						index,
						events,
						included_after,
						finalized_after: start.elapsed(),
					});
				}
			}
			tokio::time::sleep(Duration::from_millis(100)).await;
		}
	}
}

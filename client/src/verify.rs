//! Checking a node's answers instead of believing them: which blocks the hospitals' validators
//! finalized (GRANDPA justifications, by their signatures) and what the state of such a block
//! holds (storage read proofs against the state root of its header).
//!
//! Trust starts from the chain spec: its genesis GRANDPA authority set is set 0. Each later set
//! is learned from the last block of the set before, whose justification that set signed and
//! whose header names the next authorities (`grandpa_proveFinality`). A node can refuse to
//! answer; any answer it gives about finalized state is proven or refused with a
//! [`VerifyError`]. The patient page does the same in JavaScript (`patient-web/src/verify.mjs`).
//!
//! ```no_run
//! # async fn example() -> Result<(), ehr_client::verify::VerifyError> {
//! use ehr_client::verify::{genesis_authorities, Verifier};
//! let spec: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("spec.json")?)?;
//! let mut verifier = Verifier::new("ws://127.0.0.1:9944", genesis_authorities(&spec)?).await?;
//! let block = verifier.next_finalized().await?;
//! let key = sp_io::hashing::twox_128(b"Timestamp").into_iter().chain(sp_io::hashing::twox_128(b"Now")).collect();
//! let values = verifier.storage(&block, &[key]).await?;
//! # Ok(()) }
//! ```

use std::collections::{HashMap, HashSet};

use codec::Decode;
use ehr_runtime::Header;
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value;
use sp_consensus_grandpa::{
	AuthorityList, ConsensusLog, GrandpaJustification, SignatureResult, GRANDPA_ENGINE_ID,
};
use sp_core::H256;
use sp_runtime::{
	generic::DigestItem,
	traits::{BlakeTwo256, Header as _},
};

/// Why an answer was not believed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
	/// A justification, proof or header that does not check out: the node lies or is broken.
	#[error("does not check out: {0}")]
	Invalid(String),
	/// The node did not answer, or not in a form that can be read.
	#[error("rpc: {0}")]
	Rpc(#[from] jsonrpsee::core::ClientError),
	/// The chain spec or an answer could not be decoded.
	#[error("decode: {0}")]
	Decode(String),
	/// Reading the chain spec.
	#[error("io: {0}")]
	Io(#[from] std::io::Error),
	/// Parsing the chain spec.
	#[error("json: {0}")]
	Json(#[from] serde_json::Error),
}

fn invalid(what: impl Into<String>) -> VerifyError {
	VerifyError::Invalid(what.into())
}

/// An authority set: its number and members.
#[derive(Clone, Debug)]
pub struct AuthoritySet {
	/// The set's id (0 at genesis, one more at each change).
	pub set_id: u64,
	/// Its members with their weights.
	pub authorities: AuthorityList,
	/// The last block of the set before it (0 for set 0).
	pub since: u32,
}

/// A block whose finality a justification proves.
#[derive(Clone, Debug)]
pub struct VerifiedBlock {
	/// Its hash.
	pub hash: H256,
	/// Its number.
	pub number: u32,
	/// The root of its state, from its header, whose hash was checked.
	pub state_root: H256,
	/// The authority set that finalized it.
	pub set_id: u64,
	/// How many of the set's authorities signed.
	pub signers: usize,
	/// How many authorities the set has.
	pub of: usize,
}

/// Set 0's authorities: `Grandpa::Authorities` in a raw chain spec's genesis storage.
pub fn genesis_authorities(chain_spec: &Value) -> Result<AuthorityList, VerifyError> {
	let mut key = sp_io::hashing::twox_128(b"Grandpa").to_vec();
	key.extend(sp_io::hashing::twox_128(b"Authorities"));
	let value = chain_spec
		.pointer(&format!("/genesis/raw/top/0x{}", hex::encode(&key)))
		.and_then(Value::as_str)
		.ok_or_else(|| {
			VerifyError::Decode("the chain spec is not raw or has no GRANDPA authorities".into())
		})?;
	let bytes = hex::decode(value.trim_start_matches("0x"))
		.map_err(|e| VerifyError::Decode(format!("authorities: {e}")))?;
	AuthorityList::decode(&mut &bytes[..])
		.map_err(|e| VerifyError::Decode(format!("authorities: {e}")))
}

/// Checks a GRANDPA justification (SCALE bytes) against an authority set as a GRANDPA client
/// does: every precommit signed by a member for this round and set, each for the target or a
/// descendant shown in the vote ancestries, every ancestry used, and the distinct signers'
/// weight at least the threshold (total - (total - 1) / 3). Returns the finalized target's hash
/// and number, and how many authorities signed.
pub fn verify_justification(
	encoded: &[u8],
	set: &AuthoritySet,
) -> Result<(H256, u32, usize), VerifyError> {
	let j = GrandpaJustification::<Header>::decode(&mut &encoded[..])
		.map_err(|e| VerifyError::Decode(format!("justification: {e}")))?;
	let target = j.commit.target_hash;
	let target_number = j.commit.target_number;
	let parents: HashMap<H256, (H256, u32)> =
		j.votes_ancestries.iter().map(|h| (h.hash(), (*h.parent_hash(), *h.number()))).collect();
	let weights: HashMap<_, u64> = set.authorities.iter().cloned().collect();
	let total: u64 = weights.values().sum();
	if total == 0 {
		return Err(invalid(format!("authority set {} is empty", set.set_id)));
	}
	let threshold = total - total.saturating_sub(1) / 3;
	let mut used = HashSet::new();
	let mut signed = HashMap::new();
	for sp in &j.commit.precommits {
		let weight = *weights.get(&sp.id).ok_or_else(|| {
			invalid(format!("a precommit by {:?}, not in set {}", sp.id, set.set_id))
		})?;
		if sp.precommit.target_hash == target && sp.precommit.target_number != target_number {
			return Err(invalid("a precommit for the target under another number"));
		}
		let message = sp_consensus_grandpa::Message::<Header>::Precommit(sp.precommit.clone());
		if !matches!(
			sp_consensus_grandpa::check_message_signature(
				&message,
				&sp.id,
				&sp.signature,
				j.round,
				set.set_id
			),
			SignatureResult::Valid
		) {
			return Err(invalid(format!(
				"a bad signature by {:?} (round {}, set {})",
				sp.id, j.round, set.set_id
			)));
		}
		let mut cursor = sp.precommit.target_hash;
		while cursor != target {
			let parent = parents
				.get(&cursor)
				.filter(|(_, number)| *number > target_number)
				.map(|(parent, _)| *parent)
				.ok_or_else(|| {
					invalid(format!("a precommit for {cursor:?}, not a descendant of the target"))
				})?;
			used.insert(cursor);
			cursor = parent;
		}
		signed.insert(sp.id.clone(), weight);
	}
	if used.len() != parents.len() {
		return Err(invalid("the justification carries vote ancestries no precommit uses"));
	}
	let weight: u64 = signed.values().sum();
	if weight < threshold {
		return Err(invalid(format!("signed by {weight} of {total}; {threshold} are needed")));
	}
	Ok((target, target_number, signed.len()))
}

/// The next authority set a header names (a scheduled or forced GRANDPA change), if any.
pub fn scheduled_change(header: &Header) -> Option<AuthorityList> {
	header.digest().logs().iter().find_map(|item| match item {
		DigestItem::Consensus(engine, data) if *engine == GRANDPA_ENGINE_ID => {
			match ConsensusLog::<u32>::decode(&mut &data[..]).ok()? {
				ConsensusLog::ScheduledChange(c) => Some(c.next_authorities),
				ConsensusLog::ForcedChange(_, c) => Some(c.next_authorities),
				_ => None,
			}
		},
		_ => None,
	})
}

/// The values of `keys` in the state of root `root`, as the proof (the trie nodes of
/// `state_getReadProof`) shows them: `None` where the proof shows a key absent. Fails when the
/// proof lacks a node on a key's path or a node was altered.
pub fn check_read_proof(
	root: H256,
	proof: Vec<Vec<u8>>,
	keys: &[Vec<u8>],
) -> Result<Vec<Option<Vec<u8>>>, VerifyError> {
	let mut values = sp_state_machine::read_proof_check::<BlakeTwo256, _>(
		root,
		sp_trie::StorageProof::new(proof),
		keys,
	)
	.map_err(|e| invalid(format!("read proof: {e}")))?;
	Ok(keys.iter().map(|k| values.remove(k).flatten()).collect())
}

fn hex_arg(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

fn from_hex(v: &str) -> Result<Vec<u8>, VerifyError> {
	hex::decode(v.trim_start_matches("0x")).map_err(|e| VerifyError::Decode(format!("hex: {e}")))
}

/// Follows one node's finality by its justifications and reads its state by proofs, believing
/// neither without checking.
pub struct Verifier {
	client: WsClient,
	set: AuthoritySet,
	justifications: Option<Subscription<String>>,
}

impl Verifier {
	/// Connects to the node's WebSocket RPC (`ws://…`), starting from set 0's `authorities` (see
	/// [`genesis_authorities`]), and learns the authority sets up to the node's current one.
	pub async fn new(url: &str, authorities: AuthorityList) -> Result<Self, VerifyError> {
		let client = WsClientBuilder::default().max_response_size(64 << 20).build(url).await?;
		let mut verifier = Verifier {
			client,
			set: AuthoritySet { set_id: 0, authorities, since: 0 },
			justifications: None,
		};
		verifier.catch_up().await?;
		Ok(verifier)
	}

	/// The authority set the verifier holds now.
	pub fn authority_set(&self) -> &AuthoritySet {
		&self.set
	}

	/// A header by hash, checked to hash to it.
	pub async fn header(&self, hash: H256) -> Result<Header, VerifyError> {
		let header: Header = self.client.request("chain_getHeader", rpc_params![hash]).await?;
		if header.hash() != hash {
			return Err(invalid(format!("the node answered another header for {hash:?}")));
		}
		Ok(header)
	}

	/// Learns the sets after the one held: the justification of each set's last block (signed by
	/// that set) and the change its header names.
	async fn catch_up(&mut self) -> Result<(), VerifyError> {
		loop {
			let round: Value = self.client.request("grandpa_roundState", rpc_params![]).await?;
			let current = round.get("setId").and_then(Value::as_u64).unwrap_or(0);
			if current <= self.set.set_id {
				return Ok(());
			}
			let proof: Option<String> = self
				.client
				.request("grandpa_proveFinality", rpc_params![self.set.since + 1])
				.await?;
			let Some(proof) = proof else { return Ok(()) };
			let (block, justification, unknown) =
				<(H256, Vec<u8>, Vec<Header>)>::decode(&mut &from_hex(&proof)?[..])
					.map_err(|e| VerifyError::Decode(format!("finality proof: {e}")))?;
			let (hash, number, _) = verify_justification(&justification, &self.set)?;
			if hash != block {
				return Err(invalid("a finality proof for another block than it names"));
			}
			let header = match unknown.into_iter().find(|h| h.hash() == hash) {
				Some(h) => h,
				None => self.header(hash).await?,
			};
			if *header.number() != number {
				return Err(invalid("a finality proof that misnumbers its block"));
			}
			let Some(next) = scheduled_change(&header) else { return Ok(()) };
			self.set =
				AuthoritySet { set_id: self.set.set_id + 1, authorities: next, since: number };
		}
	}

	/// Checks one justification (SCALE bytes) and returns the block it proves final.
	pub async fn accept(&mut self, encoded: &[u8]) -> Result<VerifiedBlock, VerifyError> {
		let (hash, number, signers) = match verify_justification(encoded, &self.set) {
			Ok(ok) => ok,
			Err(e) => {
				// Perhaps a new authority set: learn it and check again.
				let before = self.set.set_id;
				self.catch_up().await?;
				if self.set.set_id == before {
					return Err(e);
				}
				verify_justification(encoded, &self.set)?
			},
		};
		let header = self.header(hash).await?;
		if *header.number() != number {
			return Err(invalid("a justification that misnumbers its block"));
		}
		let block = VerifiedBlock {
			hash,
			number,
			state_root: *header.state_root(),
			set_id: self.set.set_id,
			signers,
			of: self.set.authorities.len(),
		};
		if let Some(next) = scheduled_change(&header) {
			self.set =
				AuthoritySet { set_id: self.set.set_id + 1, authorities: next, since: number };
		}
		Ok(block)
	}

	/// The next block the node's GRANDPA voter finalizes, proven by its justification
	/// (`grandpa_subscribeJustifications`).
	pub async fn next_finalized(&mut self) -> Result<VerifiedBlock, VerifyError> {
		let encoded = self.next_justification().await?;
		self.accept(&encoded).await
	}

	/// The next justification the node sends, as it sent it (not checked: see
	/// [`Verifier::accept`]).
	pub async fn next_justification(&mut self) -> Result<Vec<u8>, VerifyError> {
		if self.justifications.is_none() {
			self.justifications = Some(
				self.client
					.subscribe(
						"grandpa_subscribeJustifications",
						rpc_params![],
						"grandpa_unsubscribeJustifications",
					)
					.await?,
			);
		}
		let next = match self.justifications.as_mut() {
			Some(sub) => sub.next().await,
			None => None,
		};
		match next {
			Some(Ok(j)) => from_hex(&j),
			Some(Err(e)) => Err(VerifyError::Decode(format!("justification: {e}"))),
			None => {
				self.justifications = None;
				Err(VerifyError::Decode("the node ended the justification subscription".into()))
			},
		}
	}

	/// The values of storage `keys` in the state of `block`, proven (`state_getReadProof`);
	/// `None` where a key is proven absent.
	pub async fn storage(
		&self,
		block: &VerifiedBlock,
		keys: &[Vec<u8>],
	) -> Result<Vec<Option<Vec<u8>>>, VerifyError> {
		let params: Vec<String> = keys.iter().map(|k| hex_arg(k)).collect();
		let answer: Value =
			self.client.request("state_getReadProof", rpc_params![params, block.hash]).await?;
		let at = answer.get("at").and_then(Value::as_str).map(from_hex).transpose()?;
		if at.as_deref() != Some(block.hash.as_bytes()) {
			return Err(invalid("a read proof for another block than asked"));
		}
		let proof = answer
			.get("proof")
			.and_then(Value::as_array)
			.ok_or_else(|| VerifyError::Decode("a read proof without nodes".into()))?
			.iter()
			.map(|n| {
				n.as_str()
					.map(from_hex)
					.unwrap_or_else(|| Err(VerifyError::Decode("a proof node".into())))
			})
			.collect::<Result<Vec<_>, _>>()?;
		check_read_proof(block.state_root, proof, keys)
	}
}

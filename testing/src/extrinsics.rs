//! Extrinsics as the end-to-end tests send them: signed by a development account, a key pair or
//! a [`Signer`], submitted, followed to finality and expected to succeed, alone or several of one
//! signer at once; expected to fail, with the name of the error, or to be refused by the pool;
//! and a council motion carried through proposal, votes and close.

use std::time::{Duration, Instant};

use codec::Encode;
use ehr_client::{
	extrinsic_hash,
	runtime::{RuntimeCall, RuntimeError, RuntimeEvent, UncheckedExtrinsic},
	Rpc, Signer,
};
use frame_support::{dispatch::GetDispatchInfo, sp_runtime::DispatchError};
use frame_system::Phase;
use sp_core::{sr25519, H256};
use sp_keyring::Sr25519Keyring;

/// How long [`submit`] waits for an extrinsic to be finalized.
pub const SUBMIT_TIMEOUT: Duration = Duration::from_secs(90);

/// Whoever signs an extrinsic: a development account (`Alice`), a key pair or a [`Signer`].
pub trait Signs {
	/// The signer of the extrinsic.
	fn signer(&self) -> Signer;
}

impl Signs for Signer {
	fn signer(&self) -> Signer {
		self.clone()
	}
}

impl Signs for sr25519::Pair {
	fn signer(&self) -> Signer {
		Signer::new(self.clone())
	}
}

impl Signs for Sr25519Keyring {
	fn signer(&self) -> Signer {
		Signer::new(self.pair())
	}
}

impl<S: Signs + ?Sized> Signs for &S {
	fn signer(&self) -> Signer {
		(**self).signer()
	}
}

/// Signs `call` as `who` (next nonce, this chain's context), submits it to `rpc` and waits until
/// it is finalized; returns its events.
///
/// # Panics
///
/// If it is refused, not finalized within [`SUBMIT_TIMEOUT`] or its dispatch fails: in an
/// end-to-end scenario every step must succeed.
pub async fn submit(rpc: &Rpc, who: impl Signs, call: RuntimeCall) -> Vec<RuntimeEvent> {
	let signer = who.signer();
	match rpc.sign_and_watch(&signer, call.clone(), SUBMIT_TIMEOUT).await {
		Ok(included) => included.events,
		Err(e) => panic!("{call:?} signed by {} failed: {e}", signer.account()),
	}
}

/// Signs each of `calls` as `who` with consecutive nonces, submits them one after the other
/// without waiting, then waits until every one is finalized; returns the events of each, in
/// order.
///
/// What one signer sends this way shares blocks instead of taking a block each, in the order of
/// `calls` (their nonces). Each call is validated by the pool against the state before any of
/// them: a call that is only valid, or only free, after an earlier one of `calls` has been
/// applied must wait for a later burst.
///
/// # Panics
///
/// As [`submit`]: if one is refused, not finalized within [`SUBMIT_TIMEOUT`] or its dispatch
/// fails.
pub async fn submit_all(
	rpc: &Rpc,
	who: impl Signs,
	calls: Vec<RuntimeCall>,
) -> Vec<Vec<RuntimeEvent>> {
	let signer = who.signer();
	let account = signer.account();
	let start = Instant::now();
	let from = rpc.best_number().await.unwrap_or_else(|e| panic!("the best block: {e}"));
	let ctx = rpc.chain_context().await.unwrap_or_else(|e| panic!("the chain's context: {e}"));
	let first =
		rpc.next_nonce(&account).await.unwrap_or_else(|e| panic!("the nonce of {account}: {e}"));
	let mut hashes = Vec::with_capacity(calls.len());
	for (nonce, call) in (first..).zip(&calls) {
		match rpc.submit(&signer.sign(call.clone(), nonce, &ctx)).await {
			Ok(hash) => hashes.push(hash),
			Err(e) => panic!("{call:?} signed by {account} (nonce {nonce}) was refused: {e}"),
		}
	}
	let mut events = Vec::with_capacity(calls.len());
	for (hash, call) in hashes.into_iter().zip(&calls) {
		match rpc.wait_finalized(hash, from, start, SUBMIT_TIMEOUT).await {
			Ok(included) => events.push(included.events),
			Err(e) => panic!("{call:?} signed by {account} failed: {e}"),
		}
	}
	events
}

/// Signs `call` as `who`, submits it and waits until it is finalized, expecting its dispatch to
/// fail; returns the error's name as the chain's metadata gives it: the variant of a pallet's
/// `Error` (`PatientNotVerifiedHere`), or FRAME's dispatch error where no pallet names one
/// (`BadOrigin`).
///
/// A refused call is on chain all the same: the extrinsic stays in its block, signed by `who`,
/// with its `ExtrinsicFailed` event, and its fee paid (unless the call is free).
///
/// # Panics
///
/// If it succeeds, if the pool refuses it (what [`submit_expect_invalid`] expects) or if it is
/// not finalized within [`SUBMIT_TIMEOUT`].
pub async fn submit_expect_error(rpc: &Rpc, who: impl Signs, call: RuntimeCall) -> String {
	let signer = who.signer();
	let shown = format!("{call:?} signed by {}", signer.account());
	let from = rpc.best_number().await.unwrap_or_else(|e| panic!("the best block: {e}"));
	let xt = sign_next(rpc, &signer, call).await;
	match rpc.submit_and_watch(&xt, SUBMIT_TIMEOUT).await {
		Err(ehr_client::Error::Dispatch(_)) => {},
		Ok(_) => panic!("{shown} succeeded, but should have failed"),
		Err(e) => panic!("{shown} did not fail in a block: {e}"),
	}
	let error = dispatch_error(rpc, extrinsic_hash(&xt), from)
		.await
		.unwrap_or_else(|e| panic!("{shown}: {e}"));
	error_name(error)
}

/// Signs `call` as `who` and submits it, expecting the node's transaction pool to refuse it, so
/// that it reaches no block and nobody pays for it; returns the node's answer (for a fee the
/// signer cannot pay, an `Invalid Transaction` error with `Inability to pay some fees (e.g.
/// account balance too low)`).
///
/// # Panics
///
/// If the pool takes it.
pub async fn submit_expect_invalid(rpc: &Rpc, who: impl Signs, call: RuntimeCall) -> String {
	let signer = who.signer();
	let shown = format!("{call:?} signed by {}", signer.account());
	match rpc.submit(&sign_next(rpc, &signer, call).await).await {
		Ok(hash) => panic!("{shown} was taken into the pool as {hash:?}, but should be refused"),
		Err(e) => e.to_string(),
	}
}

/// `call` signed by `signer` with its next nonce (counting the pool), for this chain.
async fn sign_next(rpc: &Rpc, signer: &Signer, call: RuntimeCall) -> UncheckedExtrinsic {
	let account = signer.account();
	let ctx = rpc.chain_context().await.unwrap_or_else(|e| panic!("the chain's context: {e}"));
	let nonce =
		rpc.next_nonce(&account).await.unwrap_or_else(|e| panic!("the nonce of {account}: {e}"));
	signer.sign(call, nonce, &ctx)
}

/// The dispatch error of the failed extrinsic `hash`, from its `ExtrinsicFailed` event, searched
/// in the finalized blocks from `from` on.
async fn dispatch_error(rpc: &Rpc, hash: H256, from: u32) -> ehr_client::Result<DispatchError> {
	let last = rpc.finalized_number().await?;
	for n in from..=last {
		let Some(block) = rpc.block_hash(n).await? else { continue };
		let extrinsics = rpc.block_extrinsics(block).await?;
		let found = extrinsics.iter().position(|x| H256(sp_io::hashing::blake2_256(x)) == hash);
		let Some(index) = found else { continue };
		let phase = Phase::ApplyExtrinsic(index as u32);
		for record in rpc.events(block).await? {
			if record.phase != phase {
				continue;
			}
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = record.event
			{
				return Ok(dispatch_error);
			}
		}
		return Err(ehr_client::Error::Decode(format!(
			"extrinsic {hash:?} in block #{n} has no ExtrinsicFailed event"
		)));
	}
	Err(ehr_client::Error::Decode(format!(
		"extrinsic {hash:?} is in no finalized block from #{from} to #{last}"
	)))
}

/// The name of `error`: a pallet's error variant, or the dispatch error as FRAME shows it.
fn error_name(error: DispatchError) -> String {
	let shown = format!("{error:?}");
	match RuntimeError::from_dispatch_error(error) {
		// A pallet's error shows as `Pallet(Variant)`, the variant by its name in the metadata.
		Some(e) => {
			let pallet_error = format!("{e:?}");
			match pallet_error.split_once('(') {
				Some((_, variant)) => variant.trim_end_matches(')').to_string(),
				None => pallet_error,
			}
		},
		None => shown,
	}
}

/// A council motion that passes: `proposer` proposes `call` with a threshold of as many votes as
/// `voters` (who must be two thirds of the council, rounded up, for the motion to pass the
/// governance origin), each of `voters` votes aye and the proposer closes it. Returns the events
/// of the close.
///
/// # Panics
///
/// If a step fails or the motion's call did not execute successfully.
pub async fn council_motion<S: Signs>(
	rpc: &Rpc,
	proposer: impl Signs,
	voters: &[S],
	call: RuntimeCall,
) -> Vec<RuntimeEvent> {
	let length_bound = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let propose = RuntimeCall::Council(pallet_collective::Call::propose {
		threshold: voters.len() as u32,
		proposal: Box::new(call),
		length_bound,
	});
	let events = submit(rpc, &proposer, propose).await;
	let (index, hash) = crate::find_event!(
		events,
		RuntimeEvent::Council(pallet_collective::Event::Proposed {
			proposal_index,
			proposal_hash,
			..
		}) => (*proposal_index, *proposal_hash)
	);
	for voter in voters {
		let vote = RuntimeCall::Council(pallet_collective::Call::vote {
			proposal: hash,
			index,
			approve: true,
		});
		submit(rpc, voter, vote).await;
	}
	let close = RuntimeCall::Council(pallet_collective::Call::close {
		proposal_hash: hash,
		index,
		proposal_weight_bound: weight,
		length_bound,
	});
	let events = submit(rpc, &proposer, close).await;
	assert!(
		events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Council(pallet_collective::Event::Executed { result: Ok(()), .. })
		)),
		"the motion was not executed: {events:?}"
	);
	events
}

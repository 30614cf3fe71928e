//! Extrinsics as the end-to-end tests send them: signed by a development account, a key pair or
//! a [`Signer`], submitted, followed to finality and expected to succeed; and a council motion
//! carried through proposal, votes and close.

use std::time::Duration;

use codec::Encode;
use ehr_client::{
	runtime::{RuntimeCall, RuntimeEvent},
	Rpc, Signer,
};
use frame_support::dispatch::GetDispatchInfo;
use sp_core::sr25519;
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

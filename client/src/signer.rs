//! Building and signing extrinsics for the ehr-chain runtime.

use codec::Encode;
use ehr_runtime::{Nonce, RuntimeCall, UncheckedExtrinsic};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::traits::{BlakeTwo256, Hash as _};

/// What a signature commits to besides the call: the chain and runtime it is valid for.
#[derive(Clone, Copy, Debug)]
pub struct ChainContext {
	/// Genesis hash of the chain.
	pub genesis: H256,
	/// `spec_version` of the runtime.
	pub spec_version: u32,
	/// `transaction_version` of the runtime.
	pub transaction_version: u32,
}

/// An sr25519 account that signs extrinsics.
#[derive(Clone)]
pub struct Signer {
	pair: sr25519::Pair,
}

impl Signer {
	/// A signer from a key pair.
	pub fn new(pair: sr25519::Pair) -> Self {
		Signer { pair }
	}

	/// A signer from a secret URI, e.g. `//Alice` or a mnemonic phrase.
	pub fn from_uri(suri: &str) -> crate::Result<Self> {
		sr25519::Pair::from_string(suri, None)
			.map(Signer::new)
			.map_err(|e| crate::Error::Decode(format!("secret URI: {e:?}")))
	}

	/// The key pair (to sign gateway requests and derive the encryption secret).
	pub fn pair(&self) -> &sr25519::Pair {
		&self.pair
	}

	/// The account this signer signs for.
	pub fn account(&self) -> ehr_runtime::AccountId {
		self.pair.public().into()
	}

	/// Signs `call` with `nonce` as an immortal extrinsic with no tip
	/// ([`ehr_runtime::sign_extrinsic`]).
	pub fn sign(&self, call: RuntimeCall, nonce: Nonce, ctx: &ChainContext) -> UncheckedExtrinsic {
		ehr_runtime::sign_extrinsic(
			&self.pair,
			call,
			nonce,
			ctx.genesis,
			ctx.spec_version,
			ctx.transaction_version,
		)
	}
}

/// The hash under which a node knows an extrinsic (what `author_submitExtrinsic` returns).
pub fn extrinsic_hash(xt: &UncheckedExtrinsic) -> H256 {
	BlakeTwo256::hash(&xt.encode())
}

//! Building and signing extrinsics for the ehr-chain runtime.

use codec::Encode;
use ehr_runtime::{
	Address, Nonce, Runtime, RuntimeCall, Signature, SignedPayload, TxExtension, UncheckedExtrinsic,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
	generic::Era,
	traits::{BlakeTwo256, Hash as _},
};

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

	/// Signs `call` with `nonce` as an immortal extrinsic with no tip.
	///
	/// Immortal is right for the nonce-ordered streams this client sends: the nonce makes every
	/// extrinsic unique, and a patient's or hospital's account is never reaped (its nonce never
	/// resets) while it is registered.
	pub fn sign(&self, call: RuntimeCall, nonce: Nonce, ctx: &ChainContext) -> UncheckedExtrinsic {
		let extension: TxExtension = (
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::Immortal),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_skip_feeless_payment::SkipCheckIfFeeless::from(
				pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let implicit = (
			(),
			(),
			ctx.spec_version,
			ctx.transaction_version,
			ctx.genesis,
			ctx.genesis,
			(),
			(),
			(),
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| self.pair.sign(bytes));
		UncheckedExtrinsic::new_signed(
			call,
			Address::Id(self.account()),
			Signature::Sr25519(signature),
			extension,
		)
	}
}

/// The hash under which a node knows an extrinsic (what `author_submitExtrinsic` returns).
pub fn extrinsic_hash(xt: &UncheckedExtrinsic) -> H256 {
	BlakeTwo256::hash(&xt.encode())
}

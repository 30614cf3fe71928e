//! The node's JSON-RPC extensions. Every ehr-chain pallet adds its `ehr_*` methods here, in
//! [`create_full`], next to the standard `system_*` and `payment_*` methods.

#![warn(missing_docs)]

use std::sync::Arc;

use ehr_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Hash, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the standard `grandpa_*` methods need: the voter's authority set and state, the stream
/// of justifications of the rounds it concludes, and the proofs of finality it stored.
pub struct GrandpaDeps<B> {
	/// The voter's authority set.
	pub shared_authority_set: sc_consensus_grandpa::SharedAuthoritySet<Hash, BlockNumber>,
	/// The voter's state (its rounds), for `grandpa_roundState`.
	pub shared_voter_state: sc_consensus_grandpa::SharedVoterState,
	/// Every justification the voter produces or imports, for `grandpa_subscribeJustifications`.
	pub justification_stream: sc_consensus_grandpa::GrandpaJustificationStream<Block>,
	/// The stored justifications, for `grandpa_proveFinality`.
	pub finality_provider: Arc<sc_consensus_grandpa::FinalityProofProvider<B, Block>>,
	/// Runs the subscriptions.
	pub subscription_executor: sc_rpc::SubscriptionTaskExecutor,
}

/// Full client dependencies.
pub struct FullDeps<C, P, B> {
	/// The client instance to use.
	pub client: Arc<C>,
	/// Transaction pool instance.
	pub pool: Arc<P>,
	/// The node's index of access-log entries (its offchain storage), if it has one.
	pub entry_index: Option<Arc<dyn pallet_access_log_rpc::EntryIndex>>,
	/// The `grandpa_*` methods' dependencies; a light client (the patient page) follows
	/// finality by `grandpa_subscribeJustifications` and checks each justification itself.
	pub grandpa: GrandpaDeps<B>,
}

/// Instantiate all full RPC extensions.
pub fn create_full<C, P, B>(
	deps: FullDeps<C, P, B>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>,
	C: HeaderBackend<Block> + HeaderMetadata<Block, Error = BlockChainError> + 'static,
	C: Send + Sync + 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: pallet_hospital_registry_rpc::RuntimeApiOf<Block, AccountId>,
	C::Api: pallet_patient_records_rpc::RuntimeApiOf<Block, AccountId, BlockNumber, Hash>,
	C::Api: pallet_consent_rpc::RuntimeApiOf<Block, AccountId, BlockNumber>,
	C::Api: pallet_access_log_rpc::RuntimeApiOf<Block, AccountId, BlockNumber>,
	P: TransactionPool + 'static,
	B: sc_client_api::Backend<Block> + Send + Sync + 'static,
	B::State: sc_client_api::StateBackend<sp_runtime::traits::HashingFor<Block>>,
{
	use pallet_access_log_rpc::{AccessLog, AccessLogRpcServer};
	use pallet_consent_rpc::{Consent, ConsentRpcServer};
	use pallet_hospital_registry_rpc::{HospitalRegistry, HospitalRegistryRpcServer};
	use pallet_patient_records_rpc::{PatientRecords, PatientRecordsRpcServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use sc_consensus_grandpa_rpc::{Grandpa, GrandpaApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, entry_index, grandpa } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(
		Grandpa::new(
			grandpa.subscription_executor,
			grandpa.shared_authority_set,
			grandpa.shared_voter_state,
			grandpa.justification_stream,
			grandpa.finality_provider,
		)
		.into_rpc(),
	)?;

	// ehr-chain's own `ehr_*` methods, one module per pallet.
	module.merge(HospitalRegistry::<C, Block>::new(client.clone()).into_rpc())?;
	module.merge(PatientRecords::<C, Block>::new(client.clone()).into_rpc())?;
	module.merge(Consent::<C, Block>::new(client.clone()).into_rpc())?;
	module.merge(AccessLog::<C, Block>::new(client.clone(), entry_index).into_rpc())?;

	Ok(module)
}

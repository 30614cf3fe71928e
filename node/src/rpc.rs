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

/// Full client dependencies.
pub struct FullDeps<C, P> {
	/// The client instance to use.
	pub client: Arc<C>,
	/// Transaction pool instance.
	pub pool: Arc<P>,
	/// The node's index of access-log entries (its offchain storage), if it has one.
	pub entry_index: Option<Arc<dyn pallet_access_log_rpc::EntryIndex>>,
}

/// Instantiate all full RPC extensions.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
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
{
	use pallet_access_log_rpc::{AccessLog, AccessLogRpcServer};
	use pallet_consent_rpc::{Consent, ConsentRpcServer};
	use pallet_hospital_registry_rpc::{HospitalRegistry, HospitalRegistryRpcServer};
	use pallet_patient_records_rpc::{PatientRecords, PatientRecordsRpcServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, entry_index } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;

	// ehr-chain's own `ehr_*` methods, one module per pallet.
	module.merge(HospitalRegistry::<C, Block>::new(client.clone()).into_rpc())?;
	module.merge(PatientRecords::<C, Block>::new(client.clone()).into_rpc())?;
	module.merge(Consent::<C, Block>::new(client.clone()).into_rpc())?;
	module.merge(AccessLog::<C, Block>::new(client.clone(), entry_index).into_rpc())?;

	Ok(module)
}

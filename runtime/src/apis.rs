//! The runtime APIs the node and clients call: consensus, block building, transaction queue,
//! metadata, fees, genesis presets. ehr-chain's own `ehr_*` APIs are added next to their pallets
//! and implemented here.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Block, BlockNumber, Consent, Executive, Grandpa, Hash,
	HospitalRegistry, InherentDataExt, Nonce, PatientRecords, Runtime, RuntimeCall,
	RuntimeGenesisConfig, SessionKeys, System, TransactionPayment, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, sp_consensus_aura::sr25519::AuthorityId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<sp_consensus_aura::sr25519::AuthorityId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(
			encoded: Vec<u8>,
		) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			// No on-chain equivocation handling (see `configs`): there is no proof to generate.
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_access_log_runtime_api::AccessLogApi<Block, AccountId, BlockNumber> for Runtime {
		fn head(patient: AccountId) -> pallet_access_log::Head {
			pallet_access_log::Heads::<Runtime>::get(patient)
		}

		fn global_head() -> pallet_access_log::Head {
			pallet_access_log::GlobalHead::<Runtime>::get()
		}
	}

	impl pallet_consent_runtime_api::ConsentApi<Block, AccountId, BlockNumber> for Runtime {
		fn decide(
			accessor: AccountId,
			patient: AccountId,
			target: pallet_consent::Target,
			purpose: pallet_consent::Purpose,
			action: pallet_consent::Action,
			at: Option<u64>,
		) -> pallet_consent::Decision {
			let now = at.unwrap_or_else(pallet_timestamp::Now::<Runtime>::get);
			Consent::decide(&accessor, &patient, target, purpose, action, now)
		}

		fn grants(patient: AccountId) -> Vec<pallet_consent::GrantInfo<AccountId, BlockNumber>> {
			Consent::grants_of(&patient, pallet_timestamp::Now::<Runtime>::get())
		}

		fn grant(patient: AccountId, id: pallet_consent::GrantId)
			-> Option<pallet_consent::GrantInfo<AccountId, BlockNumber>>
		{
			Consent::grant_of(&patient, id, pallet_timestamp::Now::<Runtime>::get())
		}

		fn emergencies(patient: AccountId)
			-> Vec<pallet_consent::EmergencyInfo<AccountId, BlockNumber>>
		{
			Consent::emergencies_of(&patient, pallet_timestamp::Now::<Runtime>::get())
		}

		fn review_queue(hospital: pallet_hospital_registry::HospitalId)
			-> Vec<pallet_consent::EmergencyInfo<AccountId, BlockNumber>>
		{
			Consent::review_queue(hospital, pallet_timestamp::Now::<Runtime>::get())
		}

		fn free_ops_left(patient: AccountId) -> u32 {
			Consent::free_ops_left(&patient)
		}
	}

	impl pallet_patient_records_runtime_api::PatientRecordsApi<Block, AccountId, BlockNumber, Hash> for Runtime {
		fn record(id: pallet_patient_records::RecordId)
			-> Option<pallet_patient_records::Record<AccountId, BlockNumber>>
		{
			pallet_patient_records::Records::<Runtime>::get(id)
		}

		fn records_of(patient: AccountId, page: u32, page_size: u32)
			-> pallet_patient_records::RecordPage<AccountId, BlockNumber>
		{
			let (total, records) = PatientRecords::records_of(&patient, page, page_size);
			pallet_patient_records::RecordPage { total, records }
		}

		fn history(id: pallet_patient_records::RecordId)
			-> Vec<(pallet_patient_records::RecordId, pallet_patient_records::Record<AccountId, BlockNumber>)>
		{
			PatientRecords::history(id)
		}

		fn pending_amendment(id: pallet_patient_records::RecordId)
			-> Option<pallet_patient_records::PendingAmendment<AccountId, BlockNumber>>
		{
			pallet_patient_records::Amendments::<Runtime>::get(id)
		}

		fn pending_withdrawal(id: pallet_patient_records::RecordId)
			-> Option<pallet_patient_records::PendingWithdrawal<AccountId, BlockNumber>>
		{
			pallet_patient_records::Withdrawals::<Runtime>::get(id)
		}

		fn prescription_request(id: pallet_patient_records::RequestId)
			-> Option<pallet_patient_records::PrescriptionRequest<AccountId, BlockNumber>>
		{
			pallet_patient_records::PrescriptionRequests::<Runtime>::get(id)
		}

		fn amendment_payload(id: pallet_patient_records::RecordId, content: pallet_patient_records::Content)
			-> Option<pallet_patient_records::AmendmentPayload<Hash>>
		{
			let r = pallet_patient_records::Records::<Runtime>::get(id)?;
			(r.status == pallet_patient_records::RecordStatus::Current)
				.then(|| PatientRecords::amendment_payload(id, r.version, content))
		}

		fn record_of_commitment(commitment: pallet_patient_records::Commitment)
			-> Option<pallet_patient_records::RecordId>
		{
			pallet_patient_records::RecordOfCommitment::<Runtime>::get(commitment)
		}
	}

	impl pallet_hospital_registry_runtime_api::HospitalRegistryApi<Block, AccountId> for Runtime {
		fn hospital(id: pallet_hospital_registry::HospitalId)
			-> Option<pallet_hospital_registry::HospitalInfo<AccountId>>
		{
			HospitalRegistry::hospital_info(id)
		}

		fn hospitals() -> Vec<pallet_hospital_registry::HospitalInfo<AccountId>> {
			(0..pallet_hospital_registry::NextHospitalId::<Runtime>::get())
				.filter_map(HospitalRegistry::hospital_info)
				.collect()
		}

		fn staff(who: AccountId) -> Option<pallet_hospital_registry::StaffMember> {
			pallet_hospital_registry::Staff::<Runtime>::get(who)
		}

		fn staff_check(who: AccountId) -> pallet_hospital_registry::StaffCheck {
			HospitalRegistry::staff_check(&who)
		}

		fn is_patient(who: AccountId) -> bool {
			HospitalRegistry::is_patient(&who)
		}

		fn acts_for(who: AccountId, patient: AccountId) -> bool {
			HospitalRegistry::acts_for(&who, &patient)
		}

		fn validators() -> Vec<AccountId> {
			HospitalRegistry::active_validators()
		}

		fn delegations(patient: AccountId) -> Vec<pallet_hospital_registry::DelegationInfo<AccountId>> {
			HospitalRegistry::delegations_of(&patient)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::{baseline, BenchmarkList};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use baseline::Pallet as BaselineBench;
			use super::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();

			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline, BenchmarkBatch};
			use sp_core::storage::TrackedStorageKey;
			use frame_system_benchmarking::Pallet as SystemBench;
			use baseline::Pallet as BaselineBench;
			use super::*;

			impl frame_system_benchmarking::Config for Runtime {}
			impl baseline::Config for Runtime {}

			use frame_support::traits::WhitelistedStorageKeys;
			let mut whitelist: Vec<TrackedStorageKey> =
				AllPalletsWithSystem::whitelisted_storage_keys();
			// The timestamp inherent writes `Timestamp::Now` at the start of every block (its
			// weight pays for that write), so every extrinsic after it reads the value from the
			// block's overlay, never from the database.
			whitelist.push(pallet_timestamp::Now::<Runtime>::hashed_key().to_vec().into());

			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);

			Ok(batches)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}
}

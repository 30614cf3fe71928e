//! What the runtime charges for work that a block's extrinsics share.
//!
//! A value that every logging or anchoring call of a block reads and writes (the access log's
//! global head, the next record id) is held by the block's storage overlay after its first
//! access and written to the database once, when the block is committed. Such values are
//! whitelisted in the benchmarks (the calls' weights do not count them) and charged once a block
//! by their pallet's `on_initialize` instead: the two must go together, or the database work is
//! charged twice or not at all. The system transaction extensions are priced with the runtime's
//! database weights (ParityDB), not FRAME's RocksDB defaults.

use ehr_runtime::{AllPalletsWithSystem, Runtime};
use frame_support::{
	traits::{OnInitialize, WhitelistedStorageKeys},
	weights::{
		constants::{ParityDbWeight, RocksDbWeight},
		Weight,
	},
};
use frame_system::ExtensionsWeightInfo;

#[test]
fn shared_values_are_whitelisted_and_charged_once_a_block() {
	let whitelisted: Vec<Vec<u8>> =
		AllPalletsWithSystem::whitelisted_storage_keys().into_iter().map(|k| k.key).collect();
	for (name, key) in [
		("AccessLog::GlobalHead", pallet_access_log::GlobalHead::<Runtime>::hashed_key()),
		(
			"PatientRecords::NextRecordId",
			pallet_patient_records::NextRecordId::<Runtime>::hashed_key(),
		),
	] {
		assert!(whitelisted.contains(&key.to_vec()), "{name} is not whitelisted");
	}
	// Per-patient values are not: each extrinsic may touch another patient's.
	let head = pallet_access_log::Heads::<Runtime>::hashed_key_for(
		sp_keyring::Sr25519Keyring::Charlie.to_account_id(),
	);
	assert!(!whitelisted.iter().any(|k| head.starts_with(k)));

	let db = <Runtime as frame_system::Config>::DbWeight::get();
	sp_io::TestExternalities::default().execute_with(|| {
		for n in [1u32, 2, 1_000] {
			assert_eq!(
				<pallet_access_log::Pallet<Runtime> as OnInitialize<u32>>::on_initialize(n),
				db.reads_writes(1, 1),
				"the access log's charge in block {n}"
			);
			assert_eq!(
				<pallet_patient_records::Pallet<Runtime> as OnInitialize<u32>>::on_initialize(n),
				db.reads_writes(1, 1),
				"the records' charge in block {n}"
			);
		}
	});
}

#[test]
fn system_extensions_are_priced_with_paritydb_weights() {
	type Ours = <Runtime as frame_system::Config>::ExtensionsWeightInfo;
	let db = <Runtime as frame_system::Config>::DbWeight::get();
	assert_eq!(db, ParityDbWeight::get());
	// The nonce check reads and writes the signer's account; FRAME's default prices that as
	// RocksDB's 125 us, ours as ParityDB's 58 us, the execution part being the same.
	let default = <() as ExtensionsWeightInfo>::check_nonce();
	let execution = default.saturating_sub(RocksDbWeight::get().reads_writes(1, 1));
	assert_eq!(Ours::check_nonce(), execution.saturating_add(db.reads_writes(1, 1)));
	assert!(Ours::check_nonce().ref_time() + 60_000_000 < default.ref_time());
	// Every extension together: mortality and genesis read a block hash each.
	let all = |w: [Weight; 4]| w.into_iter().fold(Weight::zero(), |a, b| a.saturating_add(b));
	let ours = all([
		Ours::check_nonce(),
		Ours::check_genesis(),
		Ours::check_mortality_mortal_transaction(),
		Ours::check_weight(),
	]);
	let fram = all([
		<() as ExtensionsWeightInfo>::check_nonce(),
		<() as ExtensionsWeightInfo>::check_genesis(),
		<() as ExtensionsWeightInfo>::check_mortality_mortal_transaction(),
		<() as ExtensionsWeightInfo>::check_weight(),
	]);
	assert_eq!(
		fram.ref_time() - ours.ref_time(),
		RocksDbWeight::get()
			.reads_writes(3, 1)
			.saturating_sub(ParityDbWeight::get().reads_writes(3, 1))
			.ref_time()
	);
}

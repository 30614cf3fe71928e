//! Runtime-level tests of the genesis presets and chain properties, executed natively against
//! the real runtime (no mock).

use ehr_runtime::{chain_properties, genesis_config_presets, Runtime};
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};

use crate::common::genesis_of;

#[test]
fn presets_are_listed_and_build() {
	let names: Vec<String> = genesis_config_presets::preset_names().into_iter().collect();
	assert_eq!(names, vec![DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET]);
	assert!(genesis_config_presets::get_preset(&PresetId::from("no-such-preset")).is_none());
	for id in names {
		genesis_of(&id);
	}
}

#[test]
fn development_has_one_hospital_authority_and_a_sudo_key() {
	genesis_of(DEV_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 1);
		assert_eq!(pallet_hospital_registry::NextHospitalId::<Runtime>::get(), 1);
		assert!(pallet_sudo::Key::<Runtime>::get().is_some());
	});
}

#[test]
fn local_testnet_has_four_hospital_authorities() {
	genesis_of(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let aura = pallet_aura::Authorities::<Runtime>::get();
		let grandpa = pallet_grandpa::Pallet::<Runtime>::grandpa_authorities();
		assert_eq!(aura.len(), 4);
		assert_eq!(grandpa.len(), 4);
		// Four distinct hospitals, each with an equal GRANDPA vote.
		let mut unique = aura.to_vec();
		unique.sort();
		unique.dedup();
		assert_eq!(unique.len(), 4);
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1));

		// The authorities are the validators of the four registered hospitals, whose admins
		// form the council; there is no superuser.
		let validators = pallet_session::Validators::<Runtime>::get();
		assert_eq!(validators.len(), 4);
		assert_eq!(validators, ehr_runtime::HospitalRegistry::active_validators());
		let council = pallet_collective::Members::<Runtime, pallet_collective::Instance1>::get();
		assert_eq!(council.len(), 4);
		assert!(pallet_sudo::Key::<Runtime>::get().is_none());
	});
}

#[test]
fn chain_properties_match_the_runtime() {
	let props = chain_properties::as_json();
	assert_eq!(props["tokenSymbol"], "EHR");
	assert_eq!(props["tokenDecimals"], 12);
	// The SS58 prefix in the chain spec is the runtime's own.
	assert_eq!(
		props["ss58Format"],
		<<Runtime as frame_system::Config>::SS58Prefix as frame_support::traits::Get<u16>>::get()
	);
}

#[test]
fn metadata_is_served_at_the_newest_version() {
	let versions = Runtime::metadata_versions();
	let newest = *versions.iter().max().unwrap();
	assert!(newest >= 16, "newest metadata version {newest}");
	assert!(Runtime::metadata_at_version(newest).is_some());
}

#[test]
fn slot_and_block_time_are_two_seconds() {
	assert_eq!(ehr_runtime::SLOT_DURATION, 2000);
	assert_eq!(
		<<Runtime as pallet_aura::Config>::SlotDuration as frame_support::traits::Get<u64>>::get(),
		2000
	);
}

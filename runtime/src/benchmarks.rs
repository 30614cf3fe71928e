//! The pallets whose benchmarks the node's `benchmark pallet` command runs.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_access_log, AccessLog]
	[pallet_balances, Balances]
	[pallet_collective, Council]
	[pallet_consent, Consent]
	[pallet_hospital_registry, HospitalRegistry]
	[pallet_migrations, MultiBlockMigrations]
	[pallet_patient_records, PatientRecords]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
);

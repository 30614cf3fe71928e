//! Benchmarks of the access log: `log_read`, `log_served`, `log_reads` and `log_erasure` by a
//! gateway, and `append` (what the records and consent pallets pay for each entry), all on a
//! patient whose log already has an entry: the head read holds a value, as it does for every
//! append but a patient's first. The length of the log changes nothing: state keeps the head
//! only.

use super::*;
use crate::Pallet as AccessLog;
use alloc::vec;
use ehr_primitives::StaffRole;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use pallet_hospital_registry::{NextHospitalId, Pallet as Registry};
use sp_core::H256;

/// Three accounts a set-up makes.
type Three<T> = (
	<T as frame_system::Config>::AccountId,
	<T as frame_system::Config>::AccountId,
	<T as frame_system::Config>::AccountId,
);

/// Admits a hospital; registers a doctor, a gateway account and a patient with an entry in the
/// log.
fn setup<T: Config + pallet_hospital_registry::Config>() -> Result<Three<T>, BenchmarkError> {
	let hospital = NextHospitalId::<T>::get();
	let admin: T::AccountId = account("admin", hospital, 0);
	let origin = <T as pallet_hospital_registry::Config>::GovernanceOrigin::try_successful_origin()
		.map_err(|_| BenchmarkError::Weightless)?;
	Registry::<T>::admit_hospital(
		origin,
		b"Bench Hospital".to_vec(),
		admin.clone(),
		account("validator", hospital, 0),
		b"https://gateway.example".to_vec(),
		vec![],
	)?;
	let mut staff = vec![];
	for (name, role) in [("doctor", StaffRole::Doctor), ("gateway", StaffRole::Gateway)] {
		let who: T::AccountId = account(name, hospital, 0);
		Registry::<T>::register_staff(
			RawOrigin::Signed(admin.clone()).into(),
			who.clone(),
			role,
			H256::repeat_byte(1),
			None,
		)?;
		staff.push(who);
	}
	let patient: T::AccountId = account("patient", hospital, 0);
	Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
	AccessLog::<T>::do_append(
		&patient,
		&staff[0],
		Some(hospital),
		LogAction::RecordAdded,
		Subject::Record(0),
		None,
		None,
	);
	Ok((staff[0].clone(), staff[1].clone(), patient))
}

#[benchmarks(where T: pallet_hospital_registry::Config)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn log_read() -> Result<(), BenchmarkError> {
		let (doctor, gateway, patient) = setup::<T>()?;
		let record = T::BenchmarkHelper::benchmark_record(&patient, &doctor);
		let before = Heads::<T>::get(&patient).count;
		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), record, doctor, Purpose::Treatment, true);
		assert_eq!(Heads::<T>::get(&patient).count, before + 1);
		Ok(())
	}

	#[benchmark]
	fn log_served() -> Result<(), BenchmarkError> {
		let (doctor, gateway, patient) = setup::<T>()?;
		let record = T::BenchmarkHelper::benchmark_record(&patient, &doctor);
		let before = Heads::<T>::get(&patient).count;
		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), record, doctor, Purpose::Treatment, H256::repeat_byte(7));
		assert_eq!(Heads::<T>::get(&patient).count, before + 1);
		Ok(())
	}

	/// `n` served reads, each of its own record of its own patient: the worst case, in which
	/// every entry reads its record afresh and reads and writes its own patient's log head.
	#[benchmark]
	fn log_reads(n: Linear<1, { T::MaxReadsPerCall::get() }>) -> Result<(), BenchmarkError> {
		let (doctor, gateway, _) = setup::<T>()?;
		let mut entries = vec![];
		let mut patients = vec![];
		for i in 0..n {
			let patient: T::AccountId = account("reader-patient", i, 0);
			Registry::<T>::register_patient(RawOrigin::Signed(patient.clone()).into())?;
			let record = T::BenchmarkHelper::benchmark_record(&patient, &doctor);
			let mut request = [0u8; 32];
			request[..4].copy_from_slice(&i.to_le_bytes());
			entries.push(ReadLog {
				record,
				accessor: doctor.clone(),
				purpose: Purpose::Treatment,
				outcome: ReadOutcome::Served { request: H256::from(request) },
			});
			patients.push(patient);
		}
		let entries: BoundedVec<_, T::MaxReadsPerCall> =
			entries.try_into().map_err(|_| BenchmarkError::Weightless)?;
		let before: alloc::vec::Vec<u64> =
			patients.iter().map(|p| Heads::<T>::get(p).count).collect();
		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), entries);
		for (p, count) in patients.iter().zip(before) {
			assert_eq!(Heads::<T>::get(p).count, count + 1);
		}
		Ok(())
	}

	#[benchmark]
	fn log_erasure() -> Result<(), BenchmarkError> {
		let (doctor, gateway, patient) = setup::<T>()?;
		let record = T::BenchmarkHelper::benchmark_record(&patient, &doctor);
		T::BenchmarkHelper::benchmark_delete(record);
		let before = Heads::<T>::get(&patient).count;
		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), record);
		assert_eq!(Heads::<T>::get(&patient).count, before + 1);
		Ok(())
	}

	#[benchmark]
	fn append() -> Result<(), BenchmarkError> {
		let (doctor, _, patient) = setup::<T>()?;
		let before = Heads::<T>::get(&patient).count;
		#[block]
		{
			<AccessLog<T> as crate::AccessLog<T::AccountId>>::append(
				&patient,
				&doctor,
				Some(0),
				LogAction::ConsentGranted,
				Subject::Grant(0),
				Some(Purpose::Treatment),
			);
		}
		assert_eq!(Heads::<T>::get(&patient).count, before + 1);
		Ok(())
	}

	impl_benchmark_test_suite!(AccessLog, crate::mock::new_test_ext(), crate::mock::Test);
}

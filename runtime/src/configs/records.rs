//! Patient records: metadata and content commitments of encrypted documents.

use frame_support::traits::ConstU32;

use crate::{BlockNumber, Runtime, RuntimeEvent, Signature, DAYS};

frame_support::parameter_types! {
	/// A patient has a week to approve an amendment a doctor proposed.
	pub const AmendmentPeriod: BlockNumber = 7 * DAYS;
	/// The other side has a week to agree to a withdrawal (entered in error, deletion).
	pub const WithdrawalPeriod: BlockNumber = 7 * DAYS;
}

impl pallet_patient_records::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// The hospital registry says who is staff, patient or acting for a patient.
	type Parties = crate::HospitalRegistry;
	type Time = crate::Timestamp;
	/// Patients sign amendments with their account key (sr25519, ed25519 or ecdsa).
	type Signature = Signature;
	type Signer = <Signature as sp_runtime::traits::Verify>::Signer;
	/// A hospital's EHR system anchors up to 100 documents in one extrinsic.
	type MaxBatchSize = ConstU32<100>;
	/// 64 record ids (512 bytes) a page of a patient's index: one page answers a patient app's
	/// first screen.
	type RecordsPerPage = ConstU32<64>;
	type AmendmentPeriod = AmendmentPeriod;
	type WithdrawalPeriod = WithdrawalPeriod;
	/// A patient keeps at most 8 prescription requests open.
	type MaxPendingRequests = ConstU32<8>;
	/// The runtime API walks at most 64 versions of a record.
	type MaxHistory = ConstU32<64>;
	/// Changes are appended to the patient's hash-linked access log.
	type AccessLog = crate::AccessLog;
	type WeightInfo = pallet_patient_records::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = RecordsBenchmarkHelper;
}

/// Signs with an sr25519 key generated in the benchmark's keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct RecordsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
const BENCH_KEY: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"ehrb");

#[cfg(feature = "runtime-benchmarks")]
impl pallet_patient_records::BenchmarkHelper<crate::AccountId, Signature>
	for RecordsBenchmarkHelper
{
	fn signer() -> crate::AccountId {
		use sp_runtime::traits::IdentifyAccount;
		let public = sp_io::crypto::sr25519_generate(BENCH_KEY, None);
		sp_runtime::MultiSigner::from(public).into_account()
	}

	fn sign(signer: &crate::AccountId, message: &[u8]) -> Signature {
		let public = sp_core::sr25519::Public::from_raw(signer.clone().into());
		sp_io::crypto::sr25519_sign(BENCH_KEY, &public, message)
			.map(Signature::Sr25519)
			.unwrap_or_else(|| Signature::Sr25519(sp_core::sr25519::Signature::from_raw([0; 64])))
	}
}

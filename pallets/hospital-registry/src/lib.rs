//! # Hospital registry
//!
//! The consortium's membership, in one place: which hospitals are members, who works for them in
//! which role, which accounts are patients and who may act for them. Everything else follows
//! from it:
//!
//! * the **validator set**: this pallet is the session manager, so the validator account of every
//!   active hospital (with session keys set) authors blocks and votes in GRANDPA from a following
//!   session, and a suspended or removed hospital drops out;
//! * the **council**: the admins of the active hospitals are the members of the hospital council
//!   ([`Config::CouncilMembers`]), whose motions are the governance origin;
//! * **node permissions**: only the PeerIds of active hospitals are authorized to connect (the
//!   offchain worker hands them to the node when they change); enforced for good once every
//!   active hospital has registered a node, until the council switches it off;
//! * **staff rights** in every other pallet: [`Pallet::active_staff`] is the one check.
//!
//! ## Calls
//!
//! Governance ([`Config::GovernanceOrigin`], e.g. a two-thirds council motion):
//! [`admit_hospital`](Pallet::admit_hospital), [`suspend_hospital`](Pallet::suspend_hospital),
//! [`reinstate_hospital`](Pallet::reinstate_hospital), [`remove_hospital`](Pallet::remove_hospital),
//! [`authorize_runtime_upgrade`](Pallet::authorize_runtime_upgrade),
//! [`end_guardianship`](Pallet::end_guardianship),
//! [`set_node_permissioning`](Pallet::set_node_permissioning).
//!
//! Hospital admin (signed by the admin of an active hospital):
//! [`update_hospital`](Pallet::update_hospital), [`set_nodes`](Pallet::set_nodes),
//! [`register_staff`](Pallet::register_staff), [`set_staff_status`](Pallet::set_staff_status).
//!
//! The admin, or active staff in the `Administrator` role, of an active hospital:
//! [`verify_patient`](Pallet::verify_patient), [`enrol_patient`](Pallet::enrol_patient),
//! [`record_guardian`](Pallet::record_guardian) (only for a patient their hospital verified),
//! [`remove_guardian`](Pallet::remove_guardian). The recording hospital's privacy officer (or
//! admin): [`review_guardianship`](Pallet::review_guardianship) of a contested guardian.
//!
//! Patients: [`register_patient`](Pallet::register_patient),
//! [`appoint_delegate`](Pallet::appoint_delegate), [`remove_delegate`](Pallet::remove_delegate)
//! (free), [`contest_guardian`](Pallet::contest_guardian) (free; also another guardian).
//! Patients and staff: [`set_encryption_key`](Pallet::set_encryption_key).
//!
//! Every verification and every change of who acts for a patient goes into the patient's
//! access log ([`Config::DelegationLog`]).
//!
//! ## Privacy
//!
//! No personal data is stored: accounts are pseudonymous; a licence number or a hospital's
//! patient number appears only as a salted commitment (`blake2_256(salt ++ number)`) computed off
//! chain. Hospital names and gateway URLs are institutional, public information.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
mod node_permissions;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod try_state;
pub mod types;
pub mod weights;
pub use node_permissions::NODE_PERMISSIONS_APPLIED;
pub use weights::WeightInfo;

/// Implements this pallet's `Config` for the mock runtime `$runtime` of a pallet built on the
/// registry (records, consent, access log): root governs, no council, `$time` is the clock,
/// small bounds, and the benchmarked weights. One definition, so those pallets' unit tests run
/// against the same registry.
#[macro_export]
macro_rules! impl_mock_config {
	($runtime:ty, $time:ty) => {
		impl $crate::Config for $runtime {
			type RuntimeEvent = RuntimeEvent;
			type GovernanceOrigin = frame_system::EnsureRoot<u64>;
			type CouncilMembers = ();
			type Time = $time;
			type MaxNameLength = frame_support::traits::ConstU32<16>;
			type MaxUrlLength = frame_support::traits::ConstU32<32>;
			type MaxNodesPerHospital = frame_support::traits::ConstU32<2>;
			type MaxPeerIdLength = frame_support::traits::ConstU32<8>;
			type MaxHospitals = frame_support::traits::ConstU32<5>;
			type MaxStaffPerHospital = frame_support::traits::ConstU32<10>;
			type MaxDelegatesPerPatient = frame_support::traits::ConstU32<2>;
			type MaxVerificationsPerPatient = frame_support::traits::ConstU32<2>;
			type MinValidators = frame_support::traits::ConstU32<1>;
			type DelegationLog = ();
			type WeightInfo = $crate::weights::SubstrateWeight<$runtime>;
		}
	};
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{ChangeMembers, Time},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;

	/// The in-code storage version. 2: a hospital's staff count lives in the hospital
	/// ([`migrations::v2`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// A member hospital as stored.
	pub type HospitalOf<T> = Hospital<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxNameLength,
		<T as Config>::MaxUrlLength,
		<T as Config>::MaxNodesPerHospital,
		<T as Config>::MaxPeerIdLength,
	>;

	/// A founding hospital in the genesis config: (name, admin, validator, gateway URL, node
	/// PeerIds).
	pub type GenesisHospital<AccountId> = (Vec<u8>, AccountId, AccountId, Vec<u8>, Vec<Vec<u8>>);

	/// A hospital's list of node PeerIds.
	pub type NodesOf<T> = BoundedVec<PeerIdOf<T>, <T as Config>::MaxNodesPerHospital>;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// Admits, suspends, reinstates and removes hospitals: the hospital council's
		/// qualified majority on a shared network, root on a development chain.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The hospital council, whose members follow the admins of the active hospitals.
		type CouncilMembers: ChangeMembers<Self::AccountId>;

		/// Wall-clock time, to judge staff validity.
		type Time: Time<Moment = Moment>;

		/// Longest hospital name, in bytes.
		#[pallet::constant]
		type MaxNameLength: Get<u32>;

		/// Longest gateway URL, in bytes.
		#[pallet::constant]
		type MaxUrlLength: Get<u32>;

		/// Most nodes a hospital may register.
		#[pallet::constant]
		type MaxNodesPerHospital: Get<u32>;

		/// Longest PeerId, in bytes (a multihash of an ed25519 key is 38 bytes).
		#[pallet::constant]
		type MaxPeerIdLength: Get<u32>;

		/// Most hospitals the consortium may count (all statuses), and so the largest council
		/// and validator set.
		#[pallet::constant]
		type MaxHospitals: Get<u32>;

		/// Most staff accounts a hospital may have registered at once (ended ones excluded).
		#[pallet::constant]
		type MaxStaffPerHospital: Get<u32>;

		/// Most delegates and guardians a patient may have.
		#[pallet::constant]
		type MaxDelegatesPerPatient: Get<u32>;

		/// Most hospitals that may verify one patient.
		#[pallet::constant]
		type MaxVerificationsPerPatient: Get<u32>;

		/// Fewest active hospitals (validators) the network may be left with: GRANDPA needs more
		/// than two thirds of them online, so fewer than four cannot tolerate any failure.
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// Where changes of who acts for a patient are logged (the patient's access log).
		type DelegationLog: DelegationLog<Self::AccountId>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// The hospitals, by id.
	// Twox64Concat: ids are assigned sequentially by the chain, not chosen by users.
	#[pallet::storage]
	pub type Hospitals<T: Config> = StorageMap<_, Twox64Concat, HospitalId, HospitalOf<T>>;

	/// The id the next admitted hospital gets.
	#[pallet::storage]
	pub type NextHospitalId<T: Config> = StorageValue<_, HospitalId, ValueQuery>;

	/// Hospital of each admin account (an account administers at most one hospital).
	// Blake2_128Concat: account ids are chosen by users.
	#[pallet::storage]
	pub type HospitalOfAdmin<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, HospitalId>;

	/// Hospital of each validator account (an account validates for at most one hospital).
	#[pallet::storage]
	pub type HospitalOfValidator<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, HospitalId>;

	/// Owner hospital of each registered node PeerId.
	#[pallet::storage]
	pub type NodeOwner<T: Config> = StorageMap<_, Blake2_128Concat, PeerIdOf<T>, HospitalId>;

	/// The sorted admins of the active hospitals, as last handed to the council.
	#[pallet::storage]
	pub type Council<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxHospitals>, ValueQuery>;

	/// Staff accounts. An account works for one hospital; a person employed by two hospitals
	/// uses two pseudonymous accounts.
	#[pallet::storage]
	pub type Staff<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, StaffMember>;

	/// Registered patients.
	#[pallet::storage]
	pub type Patients<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Patient<BlockNumberFor<T>>>;

	/// Hospitals' commitments to their patient numbers: (patient, hospital) -> commitment.
	#[pallet::storage]
	pub type PatientVerifications<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		HospitalId,
		PatientNumberCommitment,
	>;

	/// Who may act for a patient: (patient, delegate) -> kind.
	#[pallet::storage]
	pub type Delegates<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		Delegation,
	>;

	/// Contested guardianships awaiting review: (patient, guardian) -> objection.
	#[pallet::storage]
	pub type GuardianContests<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		GuardianContest<T::AccountId, BlockNumberFor<T>>,
	>;

	/// Whether only registered nodes may connect ([`NodePermissioning`]). Set to `Enforced` the
	/// first time every active hospital has registered a node; from then on only the council
	/// changes it.
	#[pallet::storage]
	pub type NodePermissioningState<T: Config> = StorageValue<_, NodePermissioning, ValueQuery>;

	/// X25519 public keys of staff members and patients.
	///
	/// A custodian's document gateway wraps a document's key to the requester's key before
	/// handing it over, so only the requester can open it.
	#[pallet::storage]
	pub type EncryptionKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, EncryptionKey>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Founding hospitals: (name, admin, validator, gateway URL, node PeerIds). All active.
		pub hospitals: Vec<GenesisHospital<T::AccountId>>,
		/// Founding staff: (account, hospital id, role). Their licence commitments are zero until
		/// the hospital registers them properly; for development chains.
		pub staff: Vec<(T::AccountId, HospitalId, StaffRole)>,
		/// Registered patients, for development chains.
		pub patients: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// Genesis is built once, from the chain spec, never inside a block. A chain spec that
			// breaks a bound or a rule must refuse to start a chain rather than start a wrong one,
			// so each check below panics, naming what in the spec is wrong.
			for (name, admin, validator, url, nodes) in &self.hospitals {
				let shown = alloc::string::String::from_utf8_lossy(name);
				let nodes: Vec<PeerIdOf<T>> =
					nodes
						.iter()
						.map(|n| {
							n.clone().try_into().unwrap_or_else(|_| {
								panic!("genesis hospital {shown:?}: a node PeerId is over MaxPeerIdLength")
							})
						})
						.collect();
				let admitted = Pallet::<T>::do_admit(
					name.clone().try_into().unwrap_or_else(|_| {
						panic!("genesis hospital {shown:?}: name over MaxNameLength")
					}),
					admin.clone(),
					validator.clone(),
					url.clone().try_into().unwrap_or_else(|_| {
						panic!("genesis hospital {shown:?}: gateway URL over MaxUrlLength")
					}),
					nodes.try_into().unwrap_or_else(|_| {
						panic!("genesis hospital {shown:?}: more nodes than MaxNodesPerHospital")
					}),
				);
				if let Err(e) = admitted {
					panic!("genesis hospital {shown:?} refused: {e:?}");
				}
			}
			Pallet::<T>::sync_council(true);
			for (who, hospital, role) in &self.staff {
				if let Err(e) =
					Pallet::<T>::do_register_staff(*hospital, who, *role, H256::zero(), None)
				{
					panic!("genesis staff {who:?} of hospital {hospital} refused: {e:?}");
				}
			}
			for who in &self.patients {
				if let Err(e) = Pallet::<T>::do_register_patient(who) {
					panic!("genesis patient {who:?} refused: {e:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A hospital was admitted to the consortium.
		HospitalAdmitted { hospital: HospitalId, admin: T::AccountId, validator: T::AccountId },
		/// A hospital was suspended: its validator leaves at the next session.
		HospitalSuspended { hospital: HospitalId },
		/// A suspended hospital was reinstated.
		HospitalReinstated { hospital: HospitalId },
		/// A hospital was removed from the consortium.
		HospitalRemoved { hospital: HospitalId },
		/// A hospital changed its name or gateway URL.
		HospitalUpdated { hospital: HospitalId },
		/// A hospital replaced the PeerIds of its nodes.
		NodesSet { hospital: HospitalId, nodes: u32 },
		/// A staff member was registered.
		StaffRegistered { hospital: HospitalId, staff: T::AccountId, role: StaffRole },
		/// A staff member's employment state changed.
		StaffStatusChanged { hospital: HospitalId, staff: T::AccountId, status: StaffStatus },
		/// An account signed up as a patient.
		PatientRegistered { patient: T::AccountId },
		/// A hospital verified a patient against its own records.
		PatientVerified { patient: T::AccountId, hospital: HospitalId },
		/// A patient appointed a delegate.
		DelegateAppointed { patient: T::AccountId, delegate: T::AccountId },
		/// A patient removed a delegate.
		DelegateRemoved { patient: T::AccountId, delegate: T::AccountId },
		/// A hospital recorded a guardian for a patient.
		GuardianRecorded { patient: T::AccountId, guardian: T::AccountId, hospital: HospitalId },
		/// A staff member or patient published (or replaced) their X25519 encryption key.
		EncryptionKeySet { who: T::AccountId, key: EncryptionKey },
		/// A guardian no longer acts for a patient; `by_council` if the council ended it.
		GuardianRemoved {
			patient: T::AccountId,
			guardian: T::AccountId,
			hospital: HospitalId,
			by_council: bool,
		},
		/// The patient or another guardian contested a guardianship, for review.
		GuardianContested {
			patient: T::AccountId,
			guardian: T::AccountId,
			hospital: HospitalId,
			by: T::AccountId,
		},
		/// A review upheld a contested guardianship.
		GuardianUpheld { patient: T::AccountId, guardian: T::AccountId, hospital: HospitalId },
		/// The council switched node permissioning on (`enforced`) or off.
		NodePermissioningSet { enforced: bool },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No hospital with this id.
		HospitalNotFound,
		/// The hospital is not active.
		HospitalNotActive,
		/// The hospital is not suspended.
		HospitalNotSuspended,
		/// The hospital was already removed.
		HospitalAlreadyRemoved,
		/// The account already administers a hospital.
		AdminInUse,
		/// The account already validates for a hospital.
		ValidatorInUse,
		/// A PeerId is already registered (by this or another hospital, or twice in the list).
		NodeInUse,
		/// A hospital name must not be empty.
		EmptyName,
		/// A hospital name is longer than `MaxNameLength`.
		NameTooLong,
		/// A gateway URL is longer than `MaxUrlLength` or does not start with `http(s)://`.
		BadUrl,
		/// A PeerId is empty or longer than `MaxPeerIdLength`.
		BadPeerId,
		/// More nodes than `MaxNodesPerHospital`.
		TooManyNodes,
		/// The consortium already counts `MaxHospitals` hospitals.
		TooManyHospitals,
		/// The change would leave fewer than `MinValidators` active hospitals.
		TooFewValidators,
		/// The caller is not the admin of an active hospital.
		NotHospitalAdmin,
		/// The caller is neither a hospital's admin nor active staff in the `Administrator` role.
		NotAdminOrAdministrator,
		/// The account is already registered as staff.
		AlreadyStaff,
		/// The account is not registered as staff.
		StaffNotFound,
		/// The staff member belongs to another hospital.
		WrongHospital,
		/// The hospital already has `MaxStaffPerHospital` staff.
		TooManyStaff,
		/// The validity end is already in the past.
		ValidityInPast,
		/// Ended employment cannot change again.
		EmploymentEnded,
		/// The staff member already has this status.
		StatusUnchanged,
		/// The staff member is suspended.
		StaffSuspended,
		/// The staff member's validity has passed.
		StaffExpired,
		/// The account is already a registered patient.
		AlreadyPatient,
		/// The account is not a registered patient.
		PatientNotFound,
		/// The hospital already verified this patient.
		AlreadyVerified,
		/// The patient already has `MaxVerificationsPerPatient` verifications.
		TooManyVerifications,
		/// The account already acts for this patient.
		AlreadyDelegate,
		/// The account does not act for this patient.
		DelegateNotFound,
		/// The patient already has `MaxDelegatesPerPatient` delegates and guardians.
		TooManyDelegates,
		/// A patient cannot be their own delegate.
		SelfDelegation,
		/// Only the recording hospital removes a guardian, and only the patient a delegate.
		NotDelegationOwner,
		/// Only a registered patient or an active staff member publishes an encryption key.
		NotStaffOrPatient,
		/// The key is a small-order X25519 point, such as all zeros.
		///
		/// With such a key anyone can compute the shared secret, so it protects nothing.
		WeakEncryptionKey,
		/// Only a hospital that verified the patient may record a guardian for them.
		PatientNotVerifiedHere,
		/// The account is not a guardian of this patient.
		NotAGuardian,
		/// Only the patient or another guardian of the patient contests a guardianship.
		NotPatientOrGuardian,
		/// The guardianship is already contested and awaits review.
		AlreadyContested,
		/// The guardianship is not contested.
		NotContested,
		/// Only a privacy officer or the admin of the recording hospital reviews a contest.
		NotReviewer,
		/// Node permissioning is already in the state asked for.
		NodePermissioningUnchanged,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Node permissioning. A node whose own PeerId is registered by an active hospital is
		/// told the PeerIds of all active hospitals' nodes. Once *every* active hospital has
		/// registered its nodes, the node accepts and keeps no other peer; until then it only
		/// prefers them, so registering the first node never cuts the network of a member whose
		/// nodes are not yet known. A node that is not registered is left alone here (it never
		/// locks itself out, as in `pallet-node-authorization`), and the registered nodes refuse
		/// it. The permissions go to the network only when they differ from the ones it last
		/// applied ([`Pallet::apply_node_permissions`]).
		fn offchain_worker(_now: BlockNumberFor<T>) {
			let Ok(state) = sp_io::offchain::network_state() else { return };
			// The node reports its PeerId SCALE-encoded.
			let Ok(me) = Vec::<u8>::decode(&mut &state.peer_id.0[..]) else { return };
			Self::apply_node_permissions(&me, sp_io::offchain::set_authorized_nodes);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Admit a hospital to the consortium.
		///
		/// Its validator becomes an authority from the session after next, once it has set its
		/// session keys (`session.setKeys`); its admin joins the council and its nodes may connect
		/// at once.
		///
		/// Origin: [`Config::GovernanceOrigin`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::admit_hospital(nodes.len() as u32))]
		pub fn admit_hospital(
			origin: OriginFor<T>,
			name: Vec<u8>,
			admin: T::AccountId,
			validator: T::AccountId,
			gateway_url: Vec<u8>,
			nodes: Vec<Vec<u8>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let name = Self::check_name(name)?;
			let url = Self::check_url(gateway_url)?;
			let nodes = Self::check_nodes(nodes)?;
			// A hospital admitted without nodes has none admitted; it never lifts enforcement.
			Self::latch_node_permissioning();
			let id = Self::do_admit(name, admin.clone(), validator.clone(), url, nodes)?;
			Self::sync_council(false);
			Self::deposit_event(Event::HospitalAdmitted { hospital: id, admin, validator });
			Ok(())
		}

		/// Suspend an active hospital (it can be reinstated).
		///
		/// From the next session its validator no longer authors or votes; at once its admin
		/// leaves the council, its nodes lose permission and its staff lose all rights.
		///
		/// Origin: [`Config::GovernanceOrigin`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::suspend_hospital())]
		pub fn suspend_hospital(origin: OriginFor<T>, hospital: HospitalId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut h = Hospitals::<T>::get(hospital).ok_or(Error::<T>::HospitalNotFound)?;
			ensure!(h.status == HospitalStatus::Active, Error::<T>::HospitalNotActive);
			Self::ensure_enough_validators_without_one()?;
			h.status = HospitalStatus::Suspended;
			Hospitals::<T>::insert(hospital, h);
			Self::sync_council(false);
			Self::deposit_event(Event::HospitalSuspended { hospital });
			Ok(())
		}

		/// Reinstate a suspended hospital.
		///
		/// Origin: [`Config::GovernanceOrigin`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::reinstate_hospital())]
		pub fn reinstate_hospital(origin: OriginFor<T>, hospital: HospitalId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut h = Hospitals::<T>::get(hospital).ok_or(Error::<T>::HospitalNotFound)?;
			ensure!(h.status == HospitalStatus::Suspended, Error::<T>::HospitalNotSuspended);
			Self::latch_node_permissioning();
			h.status = HospitalStatus::Active;
			Hospitals::<T>::insert(hospital, h);
			Self::sync_council(false);
			Self::deposit_event(Event::HospitalReinstated { hospital });
			Ok(())
		}

		/// Remove a hospital from the consortium for good.
		///
		/// Its record stays (status `Removed`) for audit; its admin, validator and node PeerIds
		/// are released.
		///
		/// Origin: [`Config::GovernanceOrigin`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_hospital(T::MaxNodesPerHospital::get()))]
		pub fn remove_hospital(origin: OriginFor<T>, hospital: HospitalId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut h = Hospitals::<T>::get(hospital).ok_or(Error::<T>::HospitalNotFound)?;
			ensure!(h.status != HospitalStatus::Removed, Error::<T>::HospitalAlreadyRemoved);
			if h.status == HospitalStatus::Active {
				Self::ensure_enough_validators_without_one()?;
			}
			h.status = HospitalStatus::Removed;
			HospitalOfAdmin::<T>::remove(&h.admin);
			HospitalOfValidator::<T>::remove(&h.validator);
			for n in h.nodes.iter() {
				NodeOwner::<T>::remove(n);
			}
			h.nodes = Default::default();
			Hospitals::<T>::insert(hospital, h);
			Self::sync_council(false);
			Self::deposit_event(Event::HospitalRemoved { hospital });
			Ok(())
		}

		/// Change the hospital's display name and/or gateway URL.
		///
		/// Origin: signed by the admin of an active hospital.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::update_hospital())]
		pub fn update_hospital(
			origin: OriginFor<T>,
			name: Option<Vec<u8>>,
			gateway_url: Option<Vec<u8>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (id, mut h) = Self::ensure_hospital_admin(&who)?;
			if let Some(name) = name {
				h.name = Self::check_name(name)?;
			}
			if let Some(url) = gateway_url {
				h.gateway_url = Self::check_url(url)?;
			}
			Hospitals::<T>::insert(id, h);
			Self::deposit_event(Event::HospitalUpdated { hospital: id });
			Ok(())
		}

		/// Replace the PeerIds of the hospital's nodes (e.g. after a node key rotation).
		///
		/// Once node permissioning is enforced, an empty list leaves the hospital with no node
		/// admitted; it does not open the network to other nodes.
		///
		/// Origin: signed by the admin of an active hospital.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_nodes(nodes.len() as u32, T::MaxNodesPerHospital::get()))]
		pub fn set_nodes(origin: OriginFor<T>, nodes: Vec<Vec<u8>>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (id, mut h) = Self::ensure_hospital_admin(&who)?;
			let nodes = Self::check_nodes(nodes)?;
			Self::latch_node_permissioning();
			// Check before changing anything: a PeerId of another hospital is refused.
			for n in nodes.iter() {
				if let Some(owner) = NodeOwner::<T>::get(n) {
					ensure!(owner == id, Error::<T>::NodeInUse);
				}
			}
			for n in h.nodes.iter() {
				NodeOwner::<T>::remove(n);
			}
			for n in nodes.iter() {
				NodeOwner::<T>::insert(n, id);
			}
			let count = nodes.len() as u32;
			h.nodes = nodes;
			Hospitals::<T>::insert(id, h);
			Self::deposit_event(Event::NodesSet { hospital: id, nodes: count });
			Ok(())
		}

		/// Register a staff account of the caller's hospital.
		///
		/// `licence_commitment` is `blake2_256(salt ++ licence number)`, computed by the
		/// hospital; `valid_until` (ms since the epoch) ends the member's rights automatically.
		///
		/// Origin: signed by the admin of an active hospital.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::register_staff())]
		pub fn register_staff(
			origin: OriginFor<T>,
			staff: T::AccountId,
			role: StaffRole,
			licence_commitment: H256,
			valid_until: Option<Moment>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (id, _) = Self::ensure_hospital_admin(&who)?;
			if let Some(until) = valid_until {
				ensure!(until > T::Time::now(), Error::<T>::ValidityInPast);
			}
			Self::do_register_staff(id, &staff, role, licence_commitment, valid_until)?;
			Self::deposit_event(Event::StaffRegistered { hospital: id, staff, role });
			Ok(())
		}

		/// Suspend, reinstate or end the employment of a staff member of the caller's hospital.
		///
		/// `Active` reinstates; `Ended` is final.
		///
		/// Origin: signed by the admin of an active hospital.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_staff_status())]
		pub fn set_staff_status(
			origin: OriginFor<T>,
			staff: T::AccountId,
			status: StaffStatus,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (id, _) = Self::ensure_hospital_admin(&who)?;
			let mut member = Staff::<T>::get(&staff).ok_or(Error::<T>::StaffNotFound)?;
			ensure!(member.hospital == id, Error::<T>::WrongHospital);
			ensure!(member.status != StaffStatus::Ended, Error::<T>::EmploymentEnded);
			ensure!(member.status != status, Error::<T>::StatusUnchanged);
			if status == StaffStatus::Ended {
				Hospitals::<T>::mutate(id, |h| {
					if let Some(h) = h {
						h.staff = h.staff.saturating_sub(1);
					}
				});
			}
			member.status = status;
			Staff::<T>::insert(&staff, member);
			Self::deposit_event(Event::StaffStatusChanged { hospital: id, staff, status });
			Ok(())
		}

		/// Sign up the caller as a patient. Pseudonymous: nothing but the account is stored.
		///
		/// Origin: signed.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::register_patient())]
		pub fn register_patient(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_patient(&who)?;
			Self::deposit_event(Event::PatientRegistered { patient: who });
			Ok(())
		}

		/// Record that the caller's hospital verified a patient against its own records.
		///
		/// The hospital keeps its patient number off chain; the chain holds only
		/// `blake2_256(salt ++ hospital patient number)`.
		///
		/// Origin: signed by the admin, or an active `Administrator`, of an active hospital.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::verify_patient())]
		pub fn verify_patient(
			origin: OriginFor<T>,
			patient: T::AccountId,
			commitment: PatientNumberCommitment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let hospital = Self::ensure_admin_or_administrator(&who)?;
			let mut p = Patients::<T>::get(&patient).ok_or(Error::<T>::PatientNotFound)?;
			ensure!(
				!PatientVerifications::<T>::contains_key(&patient, hospital),
				Error::<T>::AlreadyVerified
			);
			ensure!(
				p.verifications < T::MaxVerificationsPerPatient::get(),
				Error::<T>::TooManyVerifications
			);
			// Below `MaxVerificationsPerPatient`, checked above: cannot overflow.
			p.verifications = p.verifications.saturating_add(1);
			Patients::<T>::insert(&patient, p);
			PatientVerifications::<T>::insert(&patient, hospital, commitment);
			T::DelegationLog::delegation_changed(
				&patient,
				&who,
				Some(hospital),
				DelegationChange::PatientVerified,
				&who,
			);
			Self::deposit_event(Event::PatientVerified { patient, hospital });
			Ok(())
		}

		/// Enrol a patient at the front desk: register and verify them in one call.
		///
		/// Registers `patient` (unless already registered) and records the hospital's
		/// verification, as `blake2_256(salt ++ hospital patient number)`.
		/// The patient's account needs no balance: registration makes it exist, so the patient
		/// can sign the free consent calls.
		///
		/// Origin: signed by the admin, or an active `Administrator`, of an active hospital.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::enrol_patient())]
		pub fn enrol_patient(
			origin: OriginFor<T>,
			patient: T::AccountId,
			commitment: PatientNumberCommitment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let hospital = Self::ensure_admin_or_administrator(&who)?;
			let registered = Patients::<T>::contains_key(&patient);
			if registered {
				ensure!(
					!PatientVerifications::<T>::contains_key(&patient, hospital),
					Error::<T>::AlreadyVerified
				);
			} else {
				Self::do_register_patient(&patient)?;
			}
			let mut p = Patients::<T>::get(&patient).ok_or(Error::<T>::PatientNotFound)?;
			ensure!(
				p.verifications < T::MaxVerificationsPerPatient::get(),
				Error::<T>::TooManyVerifications
			);
			// Below `MaxVerificationsPerPatient`, checked above: cannot overflow.
			p.verifications = p.verifications.saturating_add(1);
			Patients::<T>::insert(&patient, p);
			PatientVerifications::<T>::insert(&patient, hospital, commitment);
			if !registered {
				Self::deposit_event(Event::PatientRegistered { patient: patient.clone() });
			}
			T::DelegationLog::delegation_changed(
				&patient,
				&who,
				Some(hospital),
				DelegationChange::PatientVerified,
				&who,
			);
			Self::deposit_event(Event::PatientVerified { patient, hospital });
			Ok(())
		}

		/// Appoint a delegate who may act for the calling patient.
		///
		/// A delegate may grant and revoke consent and approve amendments.
		///
		/// Origin: signed by a registered patient.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::appoint_delegate())]
		pub fn appoint_delegate(origin: OriginFor<T>, delegate: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(who != delegate, Error::<T>::SelfDelegation);
			Self::do_add_delegation(&who, &delegate, Delegation::Delegate)?;
			T::DelegationLog::delegation_changed(
				&who,
				&who,
				None,
				DelegationChange::DelegateAppointed,
				&delegate,
			);
			Self::deposit_event(Event::DelegateAppointed { patient: who, delegate });
			Ok(())
		}

		/// Remove a delegate the caller appointed. Guardians are removed by their hospital.
		///
		/// Free: a patient with no balance can always remove a delegate (bounded by the
		/// delegates there are, each appointed for a fee).
		///
		/// Origin: signed by a registered patient.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::remove_delegate())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, delegate: &T::AccountId| -> bool {
			Pallet::<T>::free_remove_delegate(origin, delegate)
		})]
		pub fn remove_delegate(origin: OriginFor<T>, delegate: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let d = Delegates::<T>::get(&who, &delegate).ok_or(Error::<T>::DelegateNotFound)?;
			ensure!(d == Delegation::Delegate, Error::<T>::NotDelegationOwner);
			Self::do_remove_delegation(&who, &delegate)?;
			T::DelegationLog::delegation_changed(
				&who,
				&who,
				None,
				DelegationChange::DelegateRemoved,
				&delegate,
			);
			Self::deposit_event(Event::DelegateRemoved { patient: who, delegate });
			Ok(())
		}

		/// Record a guardian for a minor or incapacitated patient the caller's hospital verified.
		///
		/// The guardian acts for the patient as the patient would. The entry goes into the
		/// patient's access log; the patient or another guardian can contest it
		/// ([`contest_guardian`](Pallet::contest_guardian)).
		///
		/// Origin: signed by the admin, or an active `Administrator`, of an active hospital that
		/// verified the patient.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::record_guardian())]
		pub fn record_guardian(
			origin: OriginFor<T>,
			patient: T::AccountId,
			guardian: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let hospital = Self::ensure_admin_or_administrator(&who)?;
			ensure!(patient != guardian, Error::<T>::SelfDelegation);
			ensure!(Patients::<T>::contains_key(&patient), Error::<T>::PatientNotFound);
			ensure!(
				PatientVerifications::<T>::contains_key(&patient, hospital),
				Error::<T>::PatientNotVerifiedHere
			);
			Self::do_add_delegation(&patient, &guardian, Delegation::Guardian { hospital })?;
			T::DelegationLog::delegation_changed(
				&patient,
				&who,
				Some(hospital),
				DelegationChange::GuardianRecorded,
				&guardian,
			);
			Self::deposit_event(Event::GuardianRecorded { patient, guardian, hospital });
			Ok(())
		}

		/// Remove a guardian the caller's hospital recorded (also while contested).
		///
		/// Origin: signed by the admin, or an active `Administrator`, of an active hospital.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::remove_guardian())]
		pub fn remove_guardian(
			origin: OriginFor<T>,
			patient: T::AccountId,
			guardian: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let hospital = Self::ensure_admin_or_administrator(&who)?;
			let d = Delegates::<T>::get(&patient, &guardian).ok_or(Error::<T>::DelegateNotFound)?;
			ensure!(d == Delegation::Guardian { hospital }, Error::<T>::NotDelegationOwner);
			Self::do_remove_guardian(&patient, &guardian, &who, hospital, false)
		}

		/// Contest a guardianship of the patient: the patient's, or another guardian's, objection.
		///
		/// The caller is the patient, or another guardian of the patient. Free for the patient
		/// (once a guardianship until it is reviewed).
		///
		/// The guardianship awaits review by the recording hospital's privacy officer
		/// ([`review_guardianship`](Pallet::review_guardianship)) or the council
		/// ([`end_guardianship`](Pallet::end_guardianship)); the guardian keeps acting until then.
		/// The objection goes into the patient's access log.
		///
		/// Origin: signed by the patient, or by another guardian of the patient.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::contest_guardian())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, patient: &T::AccountId, guardian: &T::AccountId| -> bool {
			Pallet::<T>::free_contest_guardian(origin, patient, guardian)
		})]
		pub fn contest_guardian(
			origin: OriginFor<T>,
			patient: T::AccountId,
			guardian: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let hospital = Self::guardian_hospital(&patient, &guardian)?;
			// Another guardian who still acts for the patient (its hospital active).
			let other_guardian = who != guardian
				&& matches!(Delegates::<T>::get(&patient, &who), Some(Delegation::Guardian { .. }))
				&& Self::acts_for(&who, &patient);
			ensure!(who == patient || other_guardian, Error::<T>::NotPatientOrGuardian);
			ensure!(
				!GuardianContests::<T>::contains_key(&patient, &guardian),
				Error::<T>::AlreadyContested
			);
			let at = frame_system::Pallet::<T>::block_number();
			GuardianContests::<T>::insert(
				&patient,
				&guardian,
				GuardianContest { by: who.clone(), at },
			);
			T::DelegationLog::delegation_changed(
				&patient,
				&who,
				None,
				DelegationChange::GuardianContested,
				&guardian,
			);
			Self::deposit_event(Event::GuardianContested { patient, guardian, hospital, by: who });
			Ok(())
		}

		/// Review a contested guardianship the caller's hospital recorded.
		///
		/// `uphold`: the objection is closed and the guardian stays; otherwise the guardianship
		/// ends.
		///
		/// Origin: signed by an active `PrivacyOfficer`, or the admin, of the recording hospital.
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::review_guardianship())]
		pub fn review_guardianship(
			origin: OriginFor<T>,
			patient: T::AccountId,
			guardian: T::AccountId,
			uphold: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let hospital = Self::guardian_hospital(&patient, &guardian)?;
			let reviewer = match Self::ensure_hospital_admin(&who) {
				Ok((id, _)) => id == hospital,
				Err(_) => matches!(
					Self::active_staff(&who),
					Ok(ActiveStaff { hospital: h, role: StaffRole::PrivacyOfficer }) if h == hospital
				),
			};
			ensure!(reviewer, Error::<T>::NotReviewer);
			ensure!(
				GuardianContests::<T>::contains_key(&patient, &guardian),
				Error::<T>::NotContested
			);
			if uphold {
				GuardianContests::<T>::remove(&patient, &guardian);
				T::DelegationLog::delegation_changed(
					&patient,
					&who,
					Some(hospital),
					DelegationChange::GuardianUpheld,
					&guardian,
				);
				Self::deposit_event(Event::GuardianUpheld { patient, guardian, hospital });
				Ok(())
			} else {
				Self::do_remove_guardian(&patient, &guardian, &who, hospital, false)
			}
		}

		/// End a guardianship, whichever hospital recorded it, contested or not.
		///
		/// Origin: [`Config::GovernanceOrigin`] (the council).
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::end_guardianship())]
		pub fn end_guardianship(
			origin: OriginFor<T>,
			patient: T::AccountId,
			guardian: T::AccountId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let hospital = Self::guardian_hospital(&patient, &guardian)?;
			// The council has no account of its own: the log entry says `by_council`.
			Self::do_remove_guardian(&patient, &guardian, &guardian, hospital, true)
		}

		/// Switch node permissioning on (only registered nodes connect) or off (any node does).
		///
		/// Origin: [`Config::GovernanceOrigin`] (the council).
		#[pallet::call_index(20)]
		#[pallet::weight(T::WeightInfo::set_node_permissioning())]
		pub fn set_node_permissioning(origin: OriginFor<T>, enforced: bool) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let state = if enforced { NodePermissioning::Enforced } else { NodePermissioning::Off };
			ensure!(
				NodePermissioningState::<T>::get() != state,
				Error::<T>::NodePermissioningUnchanged
			);
			NodePermissioningState::<T>::put(state);
			Self::deposit_event(Event::NodePermissioningSet { enforced });
			Ok(())
		}

		/// Authorize a runtime upgrade to the code whose hash is `code_hash`.
		///
		/// The consortium's way to upgrade without a superuser. Once authorized, anyone may
		/// submit the code with
		/// `system.applyAuthorizedUpgrade`; it is applied only if its hash matches and its
		/// `spec_version` is higher. `frame_system` emits `UpgradeAuthorized`.
		///
		/// Origin: [`Config::GovernanceOrigin`].
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::authorize_runtime_upgrade())]
		pub fn authorize_runtime_upgrade(
			origin: OriginFor<T>,
			code_hash: T::Hash,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			frame_system::Pallet::<T>::do_authorize_upgrade(code_hash, true);
			Ok(())
		}

		/// Publish the caller's X25519 public key for documents served to them.
		///
		/// A custodian's gateway wraps a document's key to this key, so only the holder of the
		/// matching secret opens what it serves. Replaces an earlier key (documents fetched
		/// before stay wrapped to the old one).
		///
		/// Origin: signed by a registered patient or an active staff member.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::set_encryption_key())]
		pub fn set_encryption_key(origin: OriginFor<T>, key: EncryptionKey) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				Patients::<T>::contains_key(&who) || Self::active_staff(&who).is_ok(),
				Error::<T>::NotStaffOrPatient
			);
			ensure!(!types::is_weak_x25519(&key), Error::<T>::WeakEncryptionKey);
			EncryptionKeys::<T>::insert(&who, key);
			Self::deposit_event(Event::EncryptionKeySet { who, key });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// **The** staff check every pallet uses: `who` is a staff member who may act right now,
		/// i.e. registered, active, within validity, employed by an active hospital.
		pub fn active_staff(who: &T::AccountId) -> Result<ActiveStaff, Error<T>> {
			let m = Staff::<T>::get(who).ok_or(Error::<T>::StaffNotFound)?;
			match m.status {
				StaffStatus::Active => {},
				StaffStatus::Suspended => return Err(Error::<T>::StaffSuspended),
				StaffStatus::Ended => return Err(Error::<T>::EmploymentEnded),
			}
			if let Some(until) = m.valid_until {
				ensure!(T::Time::now() < until, Error::<T>::StaffExpired);
			}
			let h = Hospitals::<T>::get(m.hospital).ok_or(Error::<T>::HospitalNotFound)?;
			ensure!(h.status == HospitalStatus::Active, Error::<T>::HospitalNotActive);
			Ok(ActiveStaff { hospital: m.hospital, role: m.role })
		}

		/// [`Self::active_staff`] as a plain answer for the runtime API.
		pub fn staff_check(who: &T::AccountId) -> StaffCheck {
			match Self::active_staff(who) {
				Ok(a) => StaffCheck::Active(a),
				Err(Error::<T>::StaffSuspended) => StaffCheck::Suspended,
				Err(Error::<T>::EmploymentEnded) => StaffCheck::EmploymentEnded,
				Err(Error::<T>::StaffExpired) => StaffCheck::Expired,
				Err(Error::<T>::HospitalNotActive) | Err(Error::<T>::HospitalNotFound) => {
					StaffCheck::HospitalNotActive
				},
				Err(_) => StaffCheck::NotStaff,
			}
		}

		/// A hospital as the runtime API returns it.
		pub fn hospital_info(id: HospitalId) -> Option<HospitalInfo<T::AccountId>> {
			Hospitals::<T>::get(id).map(|h| HospitalInfo {
				id,
				name: h.name.into_inner(),
				admin: h.admin,
				validator: h.validator,
				gateway_url: h.gateway_url.into_inner(),
				nodes: h.nodes.into_iter().map(|n| n.into_inner()).collect(),
				status: h.status,
			})
		}

		/// Whether `who` is a registered patient.
		pub fn is_patient(who: &T::AccountId) -> bool {
			Patients::<T>::contains_key(who)
		}

		/// Whether `who` may act for `patient`: the patient themself, an appointed delegate, or
		/// a guardian recorded by a hospital that is still active.
		pub fn acts_for(who: &T::AccountId, patient: &T::AccountId) -> bool {
			if !Self::is_patient(patient) {
				return false;
			}
			if who == patient {
				return true;
			}
			match Delegates::<T>::get(patient, who) {
				Some(Delegation::Delegate) => true,
				Some(Delegation::Guardian { hospital }) => Self::hospital_active(hospital),
				None => false,
			}
		}

		/// Who may act for `patient` besides the patient, for the runtime API.
		pub fn delegations_of(patient: &T::AccountId) -> Vec<DelegationInfo<T::AccountId>> {
			Delegates::<T>::iter_prefix(patient)
				.map(|(who, kind)| {
					let contested_by = GuardianContests::<T>::get(patient, &who).map(|c| c.by);
					DelegationInfo { who, kind, contested_by }
				})
				.collect()
		}

		/// Whether hospital `id` exists and is active.
		pub fn hospital_active(id: HospitalId) -> bool {
			Hospitals::<T>::get(id).is_some_and(|h| h.status == HospitalStatus::Active)
		}

		/// Validator accounts of the active hospitals, sorted.
		pub fn active_validators() -> Vec<T::AccountId> {
			let mut v: Vec<T::AccountId> = Hospitals::<T>::iter_values()
				.filter(|h| h.status == HospitalStatus::Active)
				.map(|h| h.validator)
				.collect();
			v.sort();
			v
		}

		fn active_count() -> u32 {
			Hospitals::<T>::iter_values().filter(|h| h.status == HospitalStatus::Active).count()
				as u32
		}

		fn ensure_enough_validators_without_one() -> DispatchResult {
			ensure!(
				Self::active_count().saturating_sub(1) >= T::MinValidators::get(),
				Error::<T>::TooFewValidators
			);
			Ok(())
		}

		/// The hospital whose admin account `who` is, which must be active. Only the admin passes:
		/// staff in the `Administrator` role do not (see [`Self::ensure_admin_or_administrator`]).
		fn ensure_hospital_admin(
			who: &T::AccountId,
		) -> Result<(HospitalId, HospitalOf<T>), DispatchError> {
			let id = HospitalOfAdmin::<T>::get(who).ok_or(Error::<T>::NotHospitalAdmin)?;
			let h = Hospitals::<T>::get(id).ok_or(Error::<T>::HospitalNotFound)?;
			ensure!(h.status == HospitalStatus::Active, Error::<T>::HospitalNotActive);
			Ok((id, h))
		}

		/// The hospital on whose behalf `who` administers patients: the hospital's admin (as
		/// [`Self::ensure_hospital_admin`]), or an active staff member in the `Administrator` role.
		fn ensure_admin_or_administrator(who: &T::AccountId) -> Result<HospitalId, DispatchError> {
			if let Ok((id, _)) = Self::ensure_hospital_admin(who) {
				return Ok(id);
			}
			match Self::active_staff(who) {
				Ok(ActiveStaff { hospital, role: StaffRole::Administrator }) => Ok(hospital),
				_ => Err(Error::<T>::NotAdminOrAdministrator.into()),
			}
		}

		fn check_name(name: Vec<u8>) -> Result<BoundedVec<u8, T::MaxNameLength>, DispatchError> {
			ensure!(!name.is_empty(), Error::<T>::EmptyName);
			Ok(name.try_into().map_err(|_| Error::<T>::NameTooLong)?)
		}

		fn check_url(url: Vec<u8>) -> Result<BoundedVec<u8, T::MaxUrlLength>, DispatchError> {
			ensure!(
				url.starts_with(b"https://") || url.starts_with(b"http://"),
				Error::<T>::BadUrl
			);
			Ok(url.try_into().map_err(|_| Error::<T>::BadUrl)?)
		}

		fn check_nodes(nodes: Vec<Vec<u8>>) -> Result<NodesOf<T>, DispatchError> {
			ensure!(nodes.len() as u32 <= T::MaxNodesPerHospital::get(), Error::<T>::TooManyNodes);
			let mut out: Vec<PeerIdOf<T>> = Vec::with_capacity(nodes.len());
			for n in nodes {
				ensure!(!n.is_empty(), Error::<T>::BadPeerId);
				let n: PeerIdOf<T> = n.try_into().map_err(|_| Error::<T>::BadPeerId)?;
				ensure!(!out.contains(&n), Error::<T>::NodeInUse);
				out.push(n);
			}
			Ok(out.try_into().map_err(|_| Error::<T>::TooManyNodes)?)
		}

		pub(crate) fn do_admit(
			name: BoundedVec<u8, T::MaxNameLength>,
			admin: T::AccountId,
			validator: T::AccountId,
			gateway_url: BoundedVec<u8, T::MaxUrlLength>,
			nodes: NodesOf<T>,
		) -> Result<HospitalId, DispatchError> {
			let id = NextHospitalId::<T>::get();
			ensure!(id < T::MaxHospitals::get(), Error::<T>::TooManyHospitals);
			ensure!(!HospitalOfAdmin::<T>::contains_key(&admin), Error::<T>::AdminInUse);
			ensure!(
				!HospitalOfValidator::<T>::contains_key(&validator),
				Error::<T>::ValidatorInUse
			);
			for n in nodes.iter() {
				ensure!(!NodeOwner::<T>::contains_key(n), Error::<T>::NodeInUse);
			}
			// Below `MaxHospitals`, checked above: cannot overflow.
			let next = id.saturating_add(1);
			for n in nodes.iter() {
				NodeOwner::<T>::insert(n, id);
			}
			HospitalOfAdmin::<T>::insert(&admin, id);
			HospitalOfValidator::<T>::insert(&validator, id);
			Hospitals::<T>::insert(
				id,
				Hospital {
					name,
					admin,
					validator,
					gateway_url,
					nodes,
					status: HospitalStatus::Active,
					admitted_at: frame_system::Pallet::<T>::block_number(),
					staff: 0,
				},
			);
			NextHospitalId::<T>::put(next);
			Ok(id)
		}

		pub(crate) fn do_register_staff(
			hospital: HospitalId,
			staff: &T::AccountId,
			role: StaffRole,
			licence_commitment: H256,
			valid_until: Option<Moment>,
		) -> DispatchResult {
			ensure!(!Staff::<T>::contains_key(staff), Error::<T>::AlreadyStaff);
			Hospitals::<T>::try_mutate(hospital, |h| -> DispatchResult {
				let h = h
					.as_mut()
					.filter(|h| h.status == HospitalStatus::Active)
					.ok_or(Error::<T>::HospitalNotActive)?;
				ensure!(h.staff < T::MaxStaffPerHospital::get(), Error::<T>::TooManyStaff);
				// Below `MaxStaffPerHospital`, checked above: cannot overflow.
				h.staff = h.staff.saturating_add(1);
				Ok(())
			})?;
			Staff::<T>::insert(
				staff,
				StaffMember {
					hospital,
					role,
					licence_commitment,
					valid_until,
					status: StaffStatus::Active,
				},
			);
			Ok(())
		}

		pub(crate) fn do_register_patient(who: &T::AccountId) -> DispatchResult {
			ensure!(!Patients::<T>::contains_key(who), Error::<T>::AlreadyPatient);
			// A patient's account exists while registered, even without balance, so that the
			// patient can sign (free) consent calls; patients are never unregistered.
			frame_system::Pallet::<T>::inc_sufficients(who);
			Patients::<T>::insert(
				who,
				Patient {
					registered_at: frame_system::Pallet::<T>::block_number(),
					delegates: 0,
					verifications: 0,
				},
			);
			Ok(())
		}

		fn do_add_delegation(
			patient: &T::AccountId,
			delegate: &T::AccountId,
			kind: Delegation,
		) -> DispatchResult {
			let mut p = Patients::<T>::get(patient).ok_or(Error::<T>::PatientNotFound)?;
			ensure!(!Delegates::<T>::contains_key(patient, delegate), Error::<T>::AlreadyDelegate);
			ensure!(p.delegates < T::MaxDelegatesPerPatient::get(), Error::<T>::TooManyDelegates);
			// Below `MaxDelegatesPerPatient`, checked above: cannot overflow.
			p.delegates = p.delegates.saturating_add(1);
			Patients::<T>::insert(patient, p);
			Delegates::<T>::insert(patient, delegate, kind);
			Ok(())
		}

		/// Whether a `remove_delegate` is free: signed by a patient who appointed `delegate`.
		pub fn free_remove_delegate(origin: &OriginFor<T>, delegate: &T::AccountId) -> bool {
			match origin.clone().into() {
				Ok(frame_system::RawOrigin::Signed(who)) => {
					Delegates::<T>::get(&who, delegate) == Some(Delegation::Delegate)
				},
				_ => false,
			}
		}

		/// Whether a `contest_guardian` is free: signed by the patient, of a guardianship not
		/// already contested.
		pub fn free_contest_guardian(
			origin: &OriginFor<T>,
			patient: &T::AccountId,
			guardian: &T::AccountId,
		) -> bool {
			match origin.clone().into() {
				Ok(frame_system::RawOrigin::Signed(who)) => {
					&who == patient
						&& Self::guardian_hospital(patient, guardian).is_ok()
						&& !GuardianContests::<T>::contains_key(patient, guardian)
				},
				_ => false,
			}
		}

		/// The hospital that recorded `guardian` for `patient`.
		fn guardian_hospital(
			patient: &T::AccountId,
			guardian: &T::AccountId,
		) -> Result<HospitalId, DispatchError> {
			match Delegates::<T>::get(patient, guardian) {
				Some(Delegation::Guardian { hospital }) => Ok(hospital),
				_ => Err(Error::<T>::NotAGuardian.into()),
			}
		}

		/// Ends a guardianship (and any contest of it), logs and announces it.
		fn do_remove_guardian(
			patient: &T::AccountId,
			guardian: &T::AccountId,
			actor: &T::AccountId,
			hospital: HospitalId,
			by_council: bool,
		) -> DispatchResult {
			Self::do_remove_delegation(patient, guardian)?;
			GuardianContests::<T>::remove(patient, guardian);
			T::DelegationLog::delegation_changed(
				patient,
				actor,
				Some(hospital),
				DelegationChange::GuardianRemoved { by_council },
				guardian,
			);
			Self::deposit_event(Event::GuardianRemoved {
				patient: patient.clone(),
				guardian: guardian.clone(),
				hospital,
				by_council,
			});
			Ok(())
		}

		fn do_remove_delegation(patient: &T::AccountId, delegate: &T::AccountId) -> DispatchResult {
			let mut p = Patients::<T>::get(patient).ok_or(Error::<T>::PatientNotFound)?;
			p.delegates = p.delegates.saturating_sub(1);
			Patients::<T>::insert(patient, p);
			Delegates::<T>::remove(patient, delegate);
			Ok(())
		}

		/// Hands the council the admins of the active hospitals, if they changed (or always at
		/// genesis, when the council is initialized).
		pub(crate) fn sync_council(genesis: bool) {
			let mut admins: Vec<T::AccountId> = Hospitals::<T>::iter_values()
				.filter(|h| h.status == HospitalStatus::Active)
				.map(|h| h.admin)
				.collect();
			admins.sort();
			let old = Council::<T>::get();
			if !genesis && admins == old.to_vec() {
				return;
			}
			T::CouncilMembers::set_members_sorted(&admins, &old);
			// At most `MaxHospitals` hospitals exist, so their admins always fit.
			Council::<T>::put(BoundedVec::truncate_from(admins));
		}
	}

	/// The validator set follows the registry: every session, the validators of the active
	/// hospitals (pallet-session skips those without session keys).
	impl<T: Config> ehr_primitives::Parties<T::AccountId> for Pallet<T> {
		fn active_staff(who: &T::AccountId) -> Option<ehr_primitives::ActingStaff> {
			<Self as ehr_primitives::Parties<T::AccountId>>::ensure_active_staff(who).ok()
		}

		fn ensure_active_staff(
			who: &T::AccountId,
		) -> Result<ehr_primitives::ActingStaff, DispatchError> {
			let s = Self::active_staff(who)?;
			Ok(ehr_primitives::ActingStaff { hospital: s.hospital, role: s.role })
		}

		fn is_registered_staff(who: &T::AccountId) -> bool {
			Staff::<T>::contains_key(who)
		}

		fn is_patient(who: &T::AccountId) -> bool {
			Self::is_patient(who)
		}

		fn acts_for(who: &T::AccountId, patient: &T::AccountId) -> bool {
			Self::acts_for(who, patient)
		}

		fn hospital_is_active(id: HospitalId) -> Option<bool> {
			Self::hospital_info(id).map(|h| h.status == HospitalStatus::Active)
		}
	}

	impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
		fn new_session(_new_index: u32) -> Option<Vec<T::AccountId>> {
			Some(Self::active_validators())
		}
		fn end_session(_end_index: u32) {}
		fn start_session(_start_index: u32) {}
	}
}

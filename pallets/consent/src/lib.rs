//! # Consent
//!
//! Patients decide who may open their records. A **grant** (modelled on FHIR R4
//! `Consent.provision`) names a grantee (one staff member or a whole hospital), a scope (all
//! records, some categories, or some records and their later versions), categories that stay
//! excluded whatever the scope, the purposes and actions allowed, and a validity period. The
//! patient, a delegate or a guardian grants and revokes; a revoked grant permits nothing from
//! then on and is still listed, as revoked, until removed.
//!
//! **Emergency access** (break-glass, HIPAA 164.312(a)(2)(ii)): an active doctor declares it for a
//! patient with a reason code and a short note; it opens a window of [`Config::EmergencyDuration`]
//! during which that doctor may read the patient's records for emergency treatment, is limited to
//! [`Config::MaxEmergenciesPerWindow`] per doctor per [`Config::EmergencyRateWindow`] blocks, is
//! announced by an event the patient's app shows, and waits in the hospital's review queue until
//! a privacy officer of that hospital closes it as justified or not.
//!
//! **One decision function**, [`Pallet::decide`], answers every access question (the runtime API,
//! the `ehr_decide` RPC and the document gateway all call it): permit with its basis (patient,
//! delegate, author, which grant, which emergency) or deny with a reason; a denial by the grants
//! names the grant that came closest to permitting, and why it does not (`decide` has the rule).
//! What it weighs of a record (patient, author, category, deletion, the versions it amends) it
//! learns through [`Config::Records`], a trait of `ehr-primitives` the records pallet implements,
//! so this pallet does not depend on the records pallet.
//!
//! **Patients pay nothing**: `grant`, `revoke` and `remove_grant` are feeless for a signer who
//! acts for the patient, for up to [`Config::FreeOpsPerWindow`] operations of a patient per
//! [`Config::FreeOpsWindow`] blocks, and only if the call would succeed (so a free call never
//! fails on chain); beyond that the usual fee applies. The patient's own `revoke` and
//! `remove_grant` are always free and spend no allowance, so a delegate or guardian who spends
//! it cannot stop a patient with no balance from undoing what they granted. Registration makes a patient's account
//! exist (the registry takes a `sufficients` reference), so an account with no balance can sign.

#![cfg_attr(not(feature = "std"), no_std)]
// A grant takes the fields of a FHIR `Consent.provision` as separate arguments (so Polkadot.js
// Apps shows a form field for each); the access decision takes its six inputs.
#![allow(clippy::too_many_arguments)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod decision;
mod fees;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod try_state;
pub mod types;
pub mod weights;
pub use weights::WeightInfo;

/// Makes records for the benchmarks, where [`Config::Records`] finds them.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes a record of `patient` written by `doctor` (so kept by the doctor's hospital);
	/// returns its id.
	fn benchmark_record(patient: &AccountId, doctor: &AccountId) -> ehr_primitives::RecordId;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use ehr_primitives::{
		AccessLog, ActingStaff, HospitalId, LogAction, Moment, Parties, RecordVersions, StaffRole,
		Subject,
	};
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;

	/// A grant as stored.
	pub type GrantOf<T> = Grant<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxRecordsPerGrant,
	>;
	/// An emergency access as stored.
	pub type EmergencyOf<T> = Emergency<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxNoteLength,
	>;
	/// A grant as the runtime API returns it.
	pub type GrantInfoOf<T> = GrantInfo<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// An emergency access as the runtime API returns it.
	pub type EmergencyInfoOf<T> =
		EmergencyInfo<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// Who an account is: active staff, a patient, someone who acts for a patient, and
		/// whether a hospital is active (the hospital registry).
		type Parties: Parties<Self::AccountId>;

		/// Wall-clock time: grants' and emergencies' validity.
		type Time: Time<Moment = Moment>;

		/// Most grants a patient may keep in state (revoked and expired ones count until
		/// removed).
		#[pallet::constant]
		type MaxGrantsPerPatient: Get<u32>;

		/// Most records a record-scoped grant may list.
		#[pallet::constant]
		type MaxRecordsPerGrant: Get<u32>;

		/// Consent operations of a patient that are free within one window.
		#[pallet::constant]
		type FreeOpsPerWindow: Get<u32>;

		/// Length of the free-operations window, in blocks.
		#[pallet::constant]
		type FreeOpsWindow: Get<BlockNumberFor<Self>>;

		/// How long an emergency access stays open, in milliseconds.
		#[pallet::constant]
		type EmergencyDuration: Get<Moment>;

		/// Most emergency accesses a doctor may declare within one rate window.
		#[pallet::constant]
		type MaxEmergenciesPerWindow: Get<u32>;

		/// Length of the emergency rate window, in blocks.
		#[pallet::constant]
		type EmergencyRateWindow: Get<BlockNumberFor<Self>>;

		/// Most emergency accesses waiting for review in one hospital: when full, the hospital's
		/// doctors cannot declare more until its privacy officers review.
		#[pallet::constant]
		type MaxPendingReviews: Get<u32>;

		/// Longest emergency note, in bytes.
		#[pallet::constant]
		type MaxNoteLength: Get<u32>;

		/// Where grants, revocations and emergency accesses are logged (the access log).
		type AccessLog: AccessLog<Self::AccountId>;

		/// Tells a record version's patient, author, category, status and the version it amends
		/// (the records pallet).
		type Records: RecordVersions<Self::AccountId>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Makes records for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Each patient's consent bookkeeping: grant numbering, grants kept, free operations used.
	// Blake2_128Concat: account ids are chosen by users.
	#[pallet::storage]
	pub type ConsentAccounts<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		ConsentAccount<BlockNumberFor<T>>,
		ValueQuery,
	>;

	/// Grants, by (patient, grant number). At most `MaxGrantsPerPatient` per patient.
	// Twox64Concat on the number: assigned by the chain.
	#[pallet::storage]
	pub type Grants<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, GrantId, GrantOf<T>>;

	/// The number the next emergency access gets.
	#[pallet::storage]
	pub type NextEmergencyId<T: Config> = StorageValue<_, EmergencyId, ValueQuery>;

	/// Emergency accesses waiting for review, by number.
	#[pallet::storage]
	pub type Emergencies<T: Config> = StorageMap<_, Twox64Concat, EmergencyId, EmergencyOf<T>>;

	/// A patient's emergency accesses waiting for review: (patient, number).
	#[pallet::storage]
	pub type PatientEmergencies<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, EmergencyId, ()>;

	/// The latest emergency access of a doctor to a patient: (patient, doctor) -> number.
	///
	/// Open or not: it stays after it expires or ends, until reviewed. Its storage key and its
	/// name in the metadata (`consent.openEmergency` in Polkadot.js) keep the item's first name,
	/// so the rename needed no migration.
	#[pallet::storage]
	#[pallet::storage_prefix = "OpenEmergency"]
	pub type LatestEmergency<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		EmergencyId,
	>;

	/// Each hospital's review queue of emergency accesses.
	#[pallet::storage]
	pub type ReviewQueue<T: Config> = StorageMap<
		_,
		Twox64Concat,
		HospitalId,
		BoundedVec<EmergencyId, T::MaxPendingReviews>,
		ValueQuery,
	>;

	/// Each doctor's use of the emergency allowance.
	#[pallet::storage]
	pub type EmergencyRate<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, RateWindow<BlockNumberFor<T>>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A patient granted access.
		Granted {
			patient: T::AccountId,
			grant: GrantId,
			grantee: Grantee<T::AccountId>,
			by: T::AccountId,
			starts: Moment,
			ends: Moment,
		},
		/// A patient revoked a grant: it permits nothing from now on.
		Revoked {
			patient: T::AccountId,
			grant: GrantId,
			grantee: Grantee<T::AccountId>,
			by: T::AccountId,
		},
		/// A revoked or expired grant was removed from state.
		GrantRemoved { patient: T::AccountId, grant: GrantId, by: T::AccountId },
		/// A doctor broke the glass and may read the patient's records until `expires_at` (ms).
		EmergencyAccessOpened {
			id: EmergencyId,
			patient: T::AccountId,
			doctor: T::AccountId,
			hospital: HospitalId,
			reason: EmergencyReason,
			expires_at: Moment,
		},
		/// The doctor ended an emergency access early.
		EmergencyAccessEnded { id: EmergencyId, patient: T::AccountId, doctor: T::AccountId },
		/// A privacy officer reviewed an emergency access.
		EmergencyAccessReviewed {
			id: EmergencyId,
			patient: T::AccountId,
			doctor: T::AccountId,
			hospital: HospitalId,
			officer: T::AccountId,
			outcome: ReviewOutcome,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is not a registered patient.
		PatientNotFound,
		/// The caller is not the patient, nor a delegate or guardian of the patient.
		NotForPatient,
		/// The grantee is not a registered staff member, or no such hospital.
		GranteeNotFound,
		/// The grantee may not act now.
		///
		/// It is suspended, ended or expired, or its hospital is not active.
		GranteeNotActive,
		/// A patient cannot grant access to themself.
		GrantToSelf,
		/// The scope lists no category or no record.
		EmptyScope,
		/// The scope lists more records than `MaxRecordsPerGrant`.
		TooManyRecords,
		/// A category, record, purpose or action is listed twice.
		DuplicateEntry,
		/// A record in the scope does not exist.
		RecordNotFound,
		/// A record in the scope is about another patient.
		RecordOfAnotherPatient,
		/// No purpose given.
		NoPurpose,
		/// No action given.
		NoAction,
		/// The validity period ends before (or when) it starts.
		EndBeforeStart,
		/// The validity period has already ended.
		EndInPast,
		/// The patient keeps `MaxGrantsPerPatient` grants: remove revoked or expired ones.
		TooManyGrants,
		/// No grant with this number.
		GrantNotFound,
		/// The grant is already revoked.
		AlreadyRevoked,
		/// Only revoked or expired grants can be removed.
		GrantStillValid,
		/// The caller is not an active staff member of an active hospital.
		NotActiveStaff,
		/// Only doctors may declare emergency access.
		NotADoctor,
		/// The doctor has used the emergency allowance of this window.
		EmergencyRateLimited,
		/// The doctor already has an open emergency access to this patient.
		EmergencyAlreadyOpen,
		/// The note is longer than `MaxNoteLength`.
		NoteTooLong,
		/// The hospital's review queue is full: its privacy officers must review first.
		ReviewQueueFull,
		/// No emergency access with this number waits for review.
		EmergencyNotFound,
		/// Only the doctor who declared an emergency access may end it.
		NotEmergencyDoctor,
		/// The emergency access is already closed.
		EmergencyClosed,
		/// The emergency access is still open: it is reviewed once closed.
		EmergencyStillOpen,
		/// Only a privacy officer may review emergency accesses.
		NotAPrivacyOfficer,
		/// The privacy officer works for another hospital than the doctor.
		WrongHospital,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grant a staff member or a hospital access to the patient's records.
		///
		/// Access for `grantee` (a staff member or a hospital) to `scope` minus `excluded`
		/// categories, for `purposes` and `actions`, from `starts` (ms since the epoch; now if
		/// `None`) until `ends` (exclusive).
		///
		/// Origin: signed by the patient, a delegate or a guardian. Free within the patient's
		/// allowance.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::grant(Pallet::<T>::scope_len(scope)))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, patient: &T::AccountId, grantee: &Grantee<T::AccountId>, scope: &ScopeInput, excluded: &CategorySet, purposes: &PurposeSet, actions: &ActionSet, starts: &Option<Moment>, ends: &Moment| -> bool {
			Pallet::<T>::free_grant(origin, patient, grantee, scope, excluded, purposes, actions, *starts, *ends)
		})]
		pub fn grant(
			origin: OriginFor<T>,
			patient: T::AccountId,
			grantee: Grantee<T::AccountId>,
			scope: ScopeInput,
			excluded: CategorySet,
			purposes: PurposeSet,
			actions: ActionSet,
			starts: Option<Moment>,
			ends: Moment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (grant, mut account) = Self::check_grant(
				&who, &patient, grantee, scope, excluded, purposes, actions, starts, ends,
			)?;
			let id = account.next_grant;
			// `stored` < MaxGrantsPerPatient and `next_grant` < u32::MAX: checked above.
			account.next_grant = id.saturating_add(1);
			account.stored = account.stored.saturating_add(1);
			Self::count_op(&mut account);
			let event = Event::Granted {
				patient: patient.clone(),
				grant: id,
				grantee: grant.grantee.clone(),
				by: who.clone(),
				starts: grant.starts,
				ends: grant.ends,
			};
			let purpose = grant.purposes.first().copied();
			Grants::<T>::insert(&patient, id, grant);
			ConsentAccounts::<T>::insert(&patient, account);
			Self::log(&patient, &who, LogAction::ConsentGranted, Subject::Grant(id), purpose);
			Self::deposit_event(event);
			Ok(())
		}

		/// Revoke grant `grant` of `patient`: from now on it permits nothing.
		///
		/// It stays listed, as revoked, until removed.
		///
		/// Origin: signed by the patient, a delegate or a guardian. Free within the patient's
		/// allowance, and always free when the patient signs.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::revoke())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, patient: &T::AccountId, grant: &GrantId| -> bool {
			Pallet::<T>::free_revoke(origin, patient, *grant)
		})]
		pub fn revoke(
			origin: OriginFor<T>,
			patient: T::AccountId,
			grant: GrantId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut g = Self::check_revoke(&who, &patient, grant)?;
			g.revoked = Some(Revocation {
				by: who.clone(),
				at: T::Time::now(),
				in_block: frame_system::Pallet::<T>::block_number(),
			});
			let grantee = g.grantee.clone();
			Grants::<T>::insert(&patient, grant, g);
			// The patient's own revocations are always free and spend no allowance.
			if who != patient {
				ConsentAccounts::<T>::mutate(&patient, Self::count_op);
			}
			Self::log(&patient, &who, LogAction::ConsentRevoked, Subject::Grant(grant), None);
			Self::deposit_event(Event::Revoked { patient, grant, grantee, by: who });
			Ok(())
		}

		/// Remove a revoked or expired grant from state, making room for new ones.
		///
		/// Its history stays in the events (and the access log).
		///
		/// Origin: signed by the patient, a delegate or a guardian. Free within the patient's
		/// allowance, and always free when the patient signs.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::remove_grant())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, patient: &T::AccountId, grant: &GrantId| -> bool {
			Pallet::<T>::free_remove_grant(origin, patient, *grant)
		})]
		pub fn remove_grant(
			origin: OriginFor<T>,
			patient: T::AccountId,
			grant: GrantId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::check_remove_grant(&who, &patient, grant)?;
			Grants::<T>::remove(&patient, grant);
			ConsentAccounts::<T>::mutate(&patient, |a| {
				a.stored = a.stored.saturating_sub(1);
				if who != patient {
					Self::count_op(a);
				}
			});
			Self::deposit_event(Event::GrantRemoved { patient, grant, by: who });
			Ok(())
		}

		/// Break the glass: open emergency access to `patient`'s records for the calling doctor.
		///
		/// Access lasts `EmergencyDuration`, with a reason code and a short `note` (no health data:
		/// it is public). The doctor's hospital must review it afterwards.
		///
		/// Origin: signed by an active doctor of an active hospital.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::declare_emergency())]
		pub fn declare_emergency(
			origin: OriginFor<T>,
			patient: T::AccountId,
			reason: EmergencyReason,
			note: Vec<u8>,
		) -> DispatchResult {
			let doctor = ensure_signed(origin)?;
			let staff = Self::ensure_active_staff(&doctor)?;
			ensure!(staff.role == StaffRole::Doctor, Error::<T>::NotADoctor);
			ensure!(T::Parties::is_patient(&patient), Error::<T>::PatientNotFound);
			let note: BoundedVec<u8, T::MaxNoteLength> =
				note.try_into().map_err(|_| Error::<T>::NoteTooLong)?;
			let now = T::Time::now();
			if let Some(latest) = LatestEmergency::<T>::get(&patient, &doctor) {
				if let Some(e) = Emergencies::<T>::get(latest) {
					ensure!(now >= e.expires_at, Error::<T>::EmergencyAlreadyOpen);
				}
			}
			let block = frame_system::Pallet::<T>::block_number();
			let mut rate = EmergencyRate::<T>::get(&doctor);
			Self::roll_window(&mut rate, block, T::EmergencyRateWindow::get());
			ensure!(
				rate.used < T::MaxEmergenciesPerWindow::get(),
				Error::<T>::EmergencyRateLimited
			);
			rate.used = rate.used.saturating_add(1);
			let id = NextEmergencyId::<T>::get();
			let mut queue = ReviewQueue::<T>::get(staff.hospital);
			queue.try_push(id).map_err(|_| Error::<T>::ReviewQueueFull)?;
			let expires_at = now.saturating_add(T::EmergencyDuration::get());
			let e = Emergency {
				patient: patient.clone(),
				doctor: doctor.clone(),
				hospital: staff.hospital,
				reason,
				note,
				opened_at: now,
				expires_at,
				opened_in: block,
			};
			NextEmergencyId::<T>::put(id.saturating_add(1));
			Emergencies::<T>::insert(id, e);
			PatientEmergencies::<T>::insert(&patient, id, ());
			LatestEmergency::<T>::insert(&patient, &doctor, id);
			ReviewQueue::<T>::insert(staff.hospital, queue);
			EmergencyRate::<T>::insert(&doctor, rate);
			<T as Config>::AccessLog::append(
				&patient,
				&doctor,
				Some(staff.hospital),
				LogAction::EmergencyOpened,
				Subject::Emergency(id),
				Some(Purpose::EmergencyTreatment),
			);
			Self::deposit_event(Event::EmergencyAccessOpened {
				id,
				patient,
				doctor,
				hospital: staff.hospital,
				reason,
				expires_at,
			});
			Ok(())
		}

		/// End an open emergency access before its time (treatment is over).
		///
		/// Origin: signed by the doctor who declared it.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::end_emergency())]
		pub fn end_emergency(origin: OriginFor<T>, id: EmergencyId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut e = Emergencies::<T>::get(id).ok_or(Error::<T>::EmergencyNotFound)?;
			ensure!(e.doctor == who, Error::<T>::NotEmergencyDoctor);
			let now = T::Time::now();
			ensure!(now < e.expires_at, Error::<T>::EmergencyClosed);
			e.expires_at = now;
			let (patient, hospital) = (e.patient.clone(), e.hospital);
			Emergencies::<T>::insert(id, e);
			<T as Config>::AccessLog::append(
				&patient,
				&who,
				Some(hospital),
				LogAction::EmergencyEnded,
				Subject::Emergency(id),
				Some(Purpose::EmergencyTreatment),
			);
			Self::deposit_event(Event::EmergencyAccessEnded { id, patient, doctor: who });
			Ok(())
		}

		/// Close the review of a closed emergency access as justified or not.
		///
		/// The access leaves state; its history stays in the events (and the access log).
		///
		/// Origin: signed by an active privacy officer of the doctor's hospital.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::review_emergency())]
		pub fn review_emergency(
			origin: OriginFor<T>,
			id: EmergencyId,
			outcome: ReviewOutcome,
		) -> DispatchResult {
			let officer = ensure_signed(origin)?;
			let staff = Self::ensure_active_staff(&officer)?;
			ensure!(staff.role == StaffRole::PrivacyOfficer, Error::<T>::NotAPrivacyOfficer);
			let e = Emergencies::<T>::get(id).ok_or(Error::<T>::EmergencyNotFound)?;
			ensure!(e.hospital == staff.hospital, Error::<T>::WrongHospital);
			ensure!(T::Time::now() >= e.expires_at, Error::<T>::EmergencyStillOpen);
			Emergencies::<T>::remove(id);
			PatientEmergencies::<T>::remove(&e.patient, id);
			if LatestEmergency::<T>::get(&e.patient, &e.doctor) == Some(id) {
				LatestEmergency::<T>::remove(&e.patient, &e.doctor);
			}
			ReviewQueue::<T>::mutate(e.hospital, |q| q.retain(|x| *x != id));
			<T as Config>::AccessLog::append(
				&e.patient,
				&officer,
				Some(staff.hospital),
				LogAction::EmergencyReviewed { justified: outcome == ReviewOutcome::Justified },
				Subject::Emergency(id),
				None,
			);
			Self::deposit_event(Event::EmergencyAccessReviewed {
				id,
				patient: e.patient,
				doctor: e.doctor,
				hospital: e.hospital,
				officer,
				outcome,
			});
			Ok(())
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	impl<T: Config> Pallet<T> {
		/// Status of grant `g` at `now`.
		pub fn status(g: &GrantOf<T>, now: Moment) -> GrantStatus {
			if g.revoked.is_some() {
				GrantStatus::Revoked
			} else if now >= g.ends {
				GrantStatus::Expired
			} else if now < g.starts {
				GrantStatus::NotYetValid
			} else {
				GrantStatus::Active
			}
		}

		/// A patient's grants as the runtime API lists them, newest first, with their status at
		/// `now`.
		pub fn grants_of(patient: &T::AccountId, now: Moment) -> Vec<GrantInfoOf<T>> {
			let mut v: Vec<GrantInfoOf<T>> = Grants::<T>::iter_prefix(patient)
				.map(|(id, g)| Self::grant_info(patient, id, g, now))
				.collect();
			v.sort_by_key(|g| core::cmp::Reverse(g.id));
			v
		}

		/// One grant as the runtime API returns it.
		pub fn grant_of(
			patient: &T::AccountId,
			id: GrantId,
			now: Moment,
		) -> Option<GrantInfoOf<T>> {
			Grants::<T>::get(patient, id).map(|g| Self::grant_info(patient, id, g, now))
		}

		fn grant_info(
			patient: &T::AccountId,
			id: GrantId,
			g: GrantOf<T>,
			now: Moment,
		) -> GrantInfoOf<T> {
			GrantInfo {
				patient: patient.clone(),
				id,
				status: Self::status(&g, now),
				scope: match g.scope {
					Scope::AllRecords => Scope::AllRecords,
					Scope::Categories(c) => Scope::Categories(c),
					Scope::Records(r) => Scope::Records(r.into_inner()),
				},
				grantee: g.grantee,
				excluded: g.excluded.into_inner(),
				purposes: g.purposes.into_inner(),
				actions: g.actions.into_inner(),
				starts: g.starts,
				ends: g.ends,
				granted_by: g.granted_by,
				granted_in: g.granted_in,
				revoked: g.revoked,
			}
		}

		/// Emergency accesses to `patient` waiting for review, newest first.
		pub fn emergencies_of(patient: &T::AccountId, now: Moment) -> Vec<EmergencyInfoOf<T>> {
			let mut v: Vec<EmergencyInfoOf<T>> = PatientEmergencies::<T>::iter_key_prefix(patient)
				.filter_map(|id| {
					Emergencies::<T>::get(id).map(|e| Self::emergency_info(id, e, now))
				})
				.collect();
			v.sort_by_key(|g| core::cmp::Reverse(g.id));
			v
		}

		/// Hospital `hospital`'s review queue, oldest first.
		pub fn review_queue(hospital: HospitalId, now: Moment) -> Vec<EmergencyInfoOf<T>> {
			ReviewQueue::<T>::get(hospital)
				.into_iter()
				.filter_map(|id| {
					Emergencies::<T>::get(id).map(|e| Self::emergency_info(id, e, now))
				})
				.collect()
		}

		fn emergency_info(id: EmergencyId, e: EmergencyOf<T>, now: Moment) -> EmergencyInfoOf<T> {
			EmergencyInfo {
				id,
				open: e.opened_at <= now && now < e.expires_at,
				patient: e.patient,
				doctor: e.doctor,
				hospital: e.hospital,
				reason: e.reason,
				note: e.note.into_inner(),
				opened_at: e.opened_at,
				expires_at: e.expires_at,
				opened_in: e.opened_in,
			}
		}

		/// The weight component of a scope: how many records it lists.
		pub fn scope_len(scope: &ScopeInput) -> u32 {
			match scope {
				Scope::Records(r) => u32::try_from(r.len()).unwrap_or(u32::MAX),
				_ => 0,
			}
		}

		/// Every check of [`Pallet::grant`], without writing: the grant to store and the
		/// patient's bookkeeping.
		#[allow(clippy::type_complexity)]
		pub(crate) fn check_grant(
			who: &T::AccountId,
			patient: &T::AccountId,
			grantee: Grantee<T::AccountId>,
			scope: ScopeInput,
			excluded: CategorySet,
			purposes: PurposeSet,
			actions: ActionSet,
			starts: Option<Moment>,
			ends: Moment,
		) -> Result<(GrantOf<T>, ConsentAccount<BlockNumberFor<T>>), DispatchError> {
			Self::ensure_acts_for(who, patient)?;
			match &grantee {
				Grantee::Staff(a) => {
					ensure!(a != patient, Error::<T>::GrantToSelf);
					if T::Parties::active_staff(a).is_none() {
						return Err(if T::Parties::is_registered_staff(a) {
							Error::<T>::GranteeNotActive.into()
						} else {
							Error::<T>::GranteeNotFound.into()
						});
					}
				},
				Grantee::Hospital(h) => {
					let active =
						T::Parties::hospital_is_active(*h).ok_or(Error::<T>::GranteeNotFound)?;
					ensure!(active, Error::<T>::GranteeNotActive);
				},
			}
			let scope = match scope {
				Scope::AllRecords => Scope::AllRecords,
				Scope::Categories(cs) => {
					ensure!(!cs.is_empty(), Error::<T>::EmptyScope);
					Scope::Categories(Self::set(cs.into_inner())?)
				},
				Scope::Records(ids) => {
					ensure!(!ids.is_empty(), Error::<T>::EmptyScope);
					ensure!(
						ids.len() <= T::MaxRecordsPerGrant::get() as usize,
						Error::<T>::TooManyRecords
					);
					let ids = Self::sorted_unique(ids)?;
					for id in &ids {
						let r =
							T::Records::record_version(*id).ok_or(Error::<T>::RecordNotFound)?;
						ensure!(&r.patient == patient, Error::<T>::RecordOfAnotherPatient);
					}
					Scope::Records(ids.try_into().map_err(|_| Error::<T>::TooManyRecords)?)
				},
			};
			// Bounded when decoded (at most one of each value), then sorted and deduplicated.
			let excluded = Self::set(excluded.into_inner())?;
			ensure!(!purposes.is_empty(), Error::<T>::NoPurpose);
			let purposes = Self::set(purposes.into_inner())?;
			ensure!(!actions.is_empty(), Error::<T>::NoAction);
			let actions = Self::set(actions.into_inner())?;
			let now = T::Time::now();
			let starts = starts.unwrap_or(now);
			ensure!(ends > starts, Error::<T>::EndBeforeStart);
			ensure!(ends > now, Error::<T>::EndInPast);
			let account = ConsentAccounts::<T>::get(patient);
			ensure!(
				account.stored < T::MaxGrantsPerPatient::get() && account.next_grant < GrantId::MAX,
				Error::<T>::TooManyGrants
			);
			let grant = Grant {
				grantee,
				scope,
				excluded,
				purposes,
				actions,
				starts,
				ends,
				granted_by: who.clone(),
				granted_in: frame_system::Pallet::<T>::block_number(),
				revoked: None,
			};
			Ok((grant, account))
		}

		/// Every check of [`Pallet::revoke`]: the grant to revoke.
		pub(crate) fn check_revoke(
			who: &T::AccountId,
			patient: &T::AccountId,
			grant: GrantId,
		) -> Result<GrantOf<T>, DispatchError> {
			Self::ensure_acts_for(who, patient)?;
			let g = Grants::<T>::get(patient, grant).ok_or(Error::<T>::GrantNotFound)?;
			ensure!(g.revoked.is_none(), Error::<T>::AlreadyRevoked);
			Ok(g)
		}

		/// Every check of [`Pallet::remove_grant`].
		pub(crate) fn check_remove_grant(
			who: &T::AccountId,
			patient: &T::AccountId,
			grant: GrantId,
		) -> DispatchResult {
			Self::ensure_acts_for(who, patient)?;
			let g = Grants::<T>::get(patient, grant).ok_or(Error::<T>::GrantNotFound)?;
			ensure!(g.revoked.is_some() || T::Time::now() >= g.ends, Error::<T>::GrantStillValid);
			Ok(())
		}

		fn ensure_acts_for(who: &T::AccountId, patient: &T::AccountId) -> DispatchResult {
			ensure!(T::Parties::is_patient(patient), Error::<T>::PatientNotFound);
			ensure!(T::Parties::acts_for(who, patient), Error::<T>::NotForPatient);
			Ok(())
		}

		/// Appends to the patient's log, naming the actor's hospital if the actor is staff (a
		/// guardian recorded by a hospital acts as a person, not for the hospital).
		fn log(
			patient: &T::AccountId,
			actor: &T::AccountId,
			action: LogAction,
			subject: Subject<T::AccountId>,
			purpose: Option<Purpose>,
		) {
			let hospital = T::Parties::active_staff(actor).map(|s| s.hospital);
			<T as Config>::AccessLog::append(patient, actor, hospital, action, subject, purpose);
		}

		/// `who` as active staff of an active hospital; `NotActiveStaff` whatever stops them.
		fn ensure_active_staff(who: &T::AccountId) -> Result<ActingStaff, Error<T>> {
			T::Parties::active_staff(who).ok_or(Error::<T>::NotActiveStaff)
		}

		/// Sorts `v` and refuses duplicates.
		fn sorted_unique<X: Ord>(mut v: Vec<X>) -> Result<Vec<X>, Error<T>> {
			v.sort();
			if v.windows(2).any(|w| w[0] == w[1]) {
				return Err(Error::<T>::DuplicateEntry);
			}
			Ok(v)
		}

		/// A small set (categories, purposes, actions), sorted, without duplicates.
		fn set<X: Ord, S: Get<u32>>(v: Vec<X>) -> Result<BoundedVec<X, S>, Error<T>> {
			// Longer than the number of distinct values means a duplicate.
			Self::sorted_unique(v)?.try_into().map_err(|_| Error::<T>::DuplicateEntry)
		}
	}
}

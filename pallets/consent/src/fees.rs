//! Patients pay nothing: whether a consent call is free (signed by someone acting for the
//! patient, within the patient's allowance of free operations, and bound to succeed), and the
//! windows that count operations (and doctors' emergency accesses).

use super::*;
use ehr_primitives::Moment;
use frame_support::traits::Get;
use frame_system::pallet_prelude::{BlockNumberFor, OriginFor};
use sp_runtime::traits::{One, Saturating};

impl<T: Config> Pallet<T> {
	/// Whether `patient` still has free operations in the current window.
	pub fn has_free_ops(patient: &T::AccountId) -> bool {
		Self::free_ops_left(patient) > 0
	}

	/// Free consent operations `patient` has left in the current window.
	pub fn free_ops_left(patient: &T::AccountId) -> u32 {
		let a = ConsentAccounts::<T>::get(patient);
		let mut w = RateWindow { start: a.window_start, used: a.ops_in_window };
		Self::roll_window(
			&mut w,
			frame_system::Pallet::<T>::block_number(),
			T::FreeOpsWindow::get(),
		);
		T::FreeOpsPerWindow::get().saturating_sub(w.used)
	}

	/// Counts one consent operation of the patient whose account this is.
	pub(crate) fn count_op(a: &mut ConsentAccount<BlockNumberFor<T>>) {
		let mut w = RateWindow { start: a.window_start, used: a.ops_in_window };
		Self::roll_window(
			&mut w,
			frame_system::Pallet::<T>::block_number(),
			T::FreeOpsWindow::get(),
		);
		a.window_start = w.start;
		a.ops_in_window = w.used.saturating_add(1);
	}

	/// Starts a new window at `now` if the current one (of `len` blocks) is over.
	pub(crate) fn roll_window(
		w: &mut RateWindow<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		len: BlockNumberFor<T>,
	) {
		// A window starts with its first use.
		if w.used == 0 || now >= w.start.saturating_add(len.max(One::one())) {
			w.start = now;
			w.used = 0;
		}
	}

	fn signer(origin: &OriginFor<T>) -> Option<T::AccountId> {
		match origin.clone().into() {
			Ok(frame_system::RawOrigin::Signed(who)) => Some(who),
			_ => None,
		}
	}

	/// Whether a `grant` is free: signed by someone acting for the patient, within the
	/// patient's allowance, and would succeed.
	pub fn free_grant(
		origin: &OriginFor<T>,
		patient: &T::AccountId,
		grantee: &Grantee<T::AccountId>,
		scope: &ScopeInput,
		excluded: &CategorySet,
		purposes: &PurposeSet,
		actions: &ActionSet,
		starts: Option<Moment>,
		ends: Moment,
	) -> bool {
		Self::signer(origin).is_some_and(|who| {
			Self::check_grant(
				&who,
				patient,
				grantee.clone(),
				scope.clone(),
				excluded.clone(),
				purposes.clone(),
				actions.clone(),
				starts,
				ends,
			)
			.is_ok() && Self::has_free_ops(patient)
		})
	}

	/// Whether a `revoke` is free: as [`Pallet::free_grant`], and always when the patient
	/// signs it. A patient with no balance can so undo every grant a delegate or guardian
	/// made, however many operations they spent; the path is bounded by the grants there are
	/// to revoke (each revoked once), and every grant costs an operation or a fee to make.
	pub fn free_revoke(origin: &OriginFor<T>, patient: &T::AccountId, grant: GrantId) -> bool {
		Self::signer(origin).is_some_and(|who| {
			Self::check_revoke(&who, patient, grant).is_ok()
				&& (&who == patient || Self::has_free_ops(patient))
		})
	}

	/// Whether a `remove_grant` is free (see [`Pallet::free_revoke`]; a grant is removed
	/// once).
	pub fn free_remove_grant(
		origin: &OriginFor<T>,
		patient: &T::AccountId,
		grant: GrantId,
	) -> bool {
		Self::signer(origin).is_some_and(|who| {
			Self::check_remove_grant(&who, patient, grant).is_ok()
				&& (&who == patient || Self::has_free_ops(patient))
		})
	}
}

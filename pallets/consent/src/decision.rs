//! The access decision: [`Pallet::decide`], the one function every reader of consent asks, and
//! the checks it makes of a grant and of a record's earlier versions.

use super::*;
use alloc::vec::Vec;
use ehr_primitives::{
	ActingStaff, Category, Moment, Parties, RecordId, RecordVersion, RecordVersions, StaffRole,
};

/// A record version as the access decision sees it.
type RecordVersionOf<T> = RecordVersion<<T as frame_system::Config>::AccountId>;

impl<T: Config> Pallet<T> {
	/// **The** access decision: may `accessor` do `action` on `target` of `patient` for
	/// `purpose` at time `now` (ms)? Every reader of consent (runtime API, RPC, document
	/// gateway) asks this function and nothing else.
	///
	/// In order: the patient and their delegates and guardians may do anything; otherwise
	/// the accessor must be active staff; the author of a record may read it; an open
	/// emergency access lets its doctor read for emergency treatment; otherwise a grant to
	/// the accessor (or, for clinical roles, to their hospital) must cover the record or
	/// category, allow the purpose and the action, be valid at `now` and not be revoked. A
	/// deleted record is denied to everyone.
	///
	/// A denial by the grants names the grant that came closest to permitting. Each grant
	/// naming the accessor or their hospital is checked in the fixed order of `grant_allows`
	/// and stops at its first failed check; the grant that got furthest (`DenyReason::nearness`)
	/// gives the reason. Of grants that got equally far, the lowest-numbered one does: grants
	/// are read in the order of their storage keys' hashes, so the number, not that order,
	/// breaks the tie. Revocation is the last check, so `Revoked` means that the grant would
	/// have permitted had it not been revoked. No grant naming the accessor or their
	/// hospital: `NoGrant`.
	pub fn decide(
		accessor: &T::AccountId,
		patient: &T::AccountId,
		target: Target,
		purpose: Purpose,
		action: Action,
		now: Moment,
	) -> Decision {
		use Decision::{Deny, Permit};
		if !T::Parties::is_patient(patient) {
			return Deny(DenyReason::PatientNotFound);
		}
		let (record, category) = match target {
			Target::Record(id) => {
				let Some(r) = T::Records::record_version(id) else {
					return Deny(DenyReason::RecordNotFound);
				};
				if &r.patient != patient {
					return Deny(DenyReason::RecordOfAnotherPatient);
				}
				if r.deleted {
					return Deny(DenyReason::RecordDeleted);
				}
				let category = r.category;
				(Some((id, r)), category)
			},
			Target::Category(c) => (None, c),
		};
		if accessor == patient {
			return Permit(PermitBasis::Patient);
		}
		if T::Parties::acts_for(accessor, patient) {
			return Permit(PermitBasis::Delegate);
		}
		let staff = match T::Parties::active_staff(accessor) {
			Some(s) => s,
			None if T::Parties::is_registered_staff(accessor) => {
				return Deny(DenyReason::StaffNotActive)
			},
			None => return Deny(DenyReason::NotStaff),
		};
		if let Some((_, r)) = &record {
			if &r.author == accessor && action == Action::Read {
				return Permit(PermitBasis::Author);
			}
		}
		if action == Action::Read
			&& purpose == Purpose::EmergencyTreatment
			&& staff.role == StaffRole::Doctor
		{
			if let Some(id) = LatestEmergency::<T>::get(patient, accessor) {
				if Emergencies::<T>::get(id)
					.is_some_and(|e| e.opened_at <= now && now < e.expires_at)
				{
					return Permit(PermitBasis::Emergency(id));
				}
			}
		}
		// The record and the versions it amends, for record-scoped grants; read lazily.
		let mut lineage: Option<Vec<RecordId>> = None;
		let mut nearest: Option<(u8, GrantId, DenyReason)> = None;
		for (id, g) in Grants::<T>::iter_prefix(patient) {
			let names_accessor = match &g.grantee {
				Grantee::Staff(a) => a == accessor,
				Grantee::Hospital(h) => *h == staff.hospital,
			};
			if !names_accessor {
				continue;
			}
			match Self::grant_allows(
				id,
				&g,
				&staff,
				&record,
				category,
				purpose,
				action,
				now,
				&mut lineage,
			) {
				Ok(()) => return Permit(PermitBasis::Grant(id)),
				Err(reason) => {
					let n = reason.nearness();
					// Further wins; equally far, the lower number.
					let better = match nearest {
						None => true,
						Some((bn, bid, _)) => n > bn || (n == bn && id < bid),
					};
					if better {
						nearest = Some((n, id, reason));
					}
				},
			}
		}
		Deny(nearest.map(|(_, _, r)| r).unwrap_or(DenyReason::NoGrant))
	}

	/// Whether grant `g` (number `id`) allows this access; if not, the first check it fails.
	///
	/// The checks run from what the grant is about (role, records, purpose, action) to whether
	/// it is in force (period, revocation), so the further a grant gets, the more of the request
	/// it matches:
	/// 1. a hospital-wide grant covers the accessor's role (`RoleNotCovered`);
	/// 2. its scope covers the record or category (`OutOfScope`);
	/// 3. it does not exclude the category (`CategoryExcluded`);
	/// 4. it allows the purpose (`PurposeNotGranted`);
	/// 5. it allows the action (`ActionNotGranted`);
	/// 6. it is valid at `now`: started (`NotYetValid`) and not ended (`Expired`), never both,
	///    since a grant ends after it starts;
	/// 7. it is not revoked (`Revoked`).
	///
	/// `DenyReason::nearness` ranks the reasons in this same order.
	fn grant_allows(
		id: GrantId,
		g: &GrantOf<T>,
		staff: &ActingStaff,
		record: &Option<(RecordId, RecordVersionOf<T>)>,
		category: Category,
		purpose: Purpose,
		action: Action,
		now: Moment,
		lineage: &mut Option<Vec<RecordId>>,
	) -> Result<(), DenyReason> {
		if matches!(g.grantee, Grantee::Hospital(_)) {
			let covered = match staff.role {
				StaffRole::Doctor | StaffRole::Nurse | StaffRole::Lab => true,
				StaffRole::Administrator => purpose == Purpose::Payment,
				StaffRole::PrivacyOfficer | StaffRole::Gateway => false,
			};
			if !covered {
				return Err(DenyReason::RoleNotCovered(id));
			}
		}
		let in_scope = match &g.scope {
			Scope::AllRecords => true,
			Scope::Categories(cs) => cs.contains(&category),
			Scope::Records(ids) => match record {
				None => false,
				Some((rid, r)) => {
					let lineage = lineage.get_or_insert_with(|| Self::lineage(*rid, r));
					lineage.iter().any(|x| ids.binary_search(x).is_ok())
				},
			},
		};
		if !in_scope {
			return Err(DenyReason::OutOfScope(id));
		}
		if g.excluded.contains(&category) {
			return Err(DenyReason::CategoryExcluded(id));
		}
		if !g.purposes.contains(&purpose) {
			return Err(DenyReason::PurposeNotGranted(id));
		}
		if !g.actions.contains(&action) {
			return Err(DenyReason::ActionNotGranted(id));
		}
		if now < g.starts {
			return Err(DenyReason::NotYetValid(id));
		}
		if now >= g.ends {
			return Err(DenyReason::Expired(id));
		}
		if g.revoked.is_some() {
			return Err(DenyReason::Revoked(id));
		}
		Ok(())
	}

	/// Record `id` and the versions it amends, newest first, at most `MaxHistory`.
	fn lineage(id: RecordId, r: &RecordVersionOf<T>) -> Vec<RecordId> {
		let max = T::Records::max_history() as usize;
		let mut out = alloc::vec![id];
		let mut prev = r.previous;
		while let Some(p) = prev {
			if out.len() >= max {
				break;
			}
			out.push(p);
			prev = T::Records::record_version(p).and_then(|r| r.previous);
		}
		out
	}
}

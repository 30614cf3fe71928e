//! The action tables: how the bytes of an input become extrinsics.
//!
//! There is one table per pallet (hospital registry, council motions about it, patient records,
//! consent, access log, balance transfers) and one of raw calls. Each entry of a table is one
//! line: a name, a weight and the function that generates the extrinsic from the input's next
//! bytes. A call the fuzzer should make is one more line at the end of its pallet's table.
//!
//! # Encoding
//!
//! A table action is `[op] [table selector] [entry selector] [arguments...]`: `op` modulo 16 is
//! neither 0 (a block boundary) nor 1 (a jump in time), see `Run::execute`; the selectors are one
//! byte each, and the arguments are whatever the entry's generator reads.
//!
//! A selector picks by weighted rendezvous hashing on names: each line draws `weight` scores,
//! a score being a fixed hash of the line's name, the draw's number and the selector ([`score`]),
//! and the line with the highest score wins. A line's scores depend on its name and the selector
//! and on nothing else, so
//! - appending a line (or a table) moves only the selector values the new line wins, about
//!   `weight / total weight` of them, and they all move to the new line: every other selector
//!   value picks the same line as before, and saved inputs (corpus, failures, the tour) keep
//!   their meaning up to their first action that now picks the new line;
//! - the order of the lines does not matter, and removing a line moves only the selector values
//!   that picked it;
//! - renaming a line, or changing its weight, moves only selector values to or from that line.
//!
//! Each line wins about `weight / total weight` of the 256 selector values. Changing what a
//! generator reads changes the meaning of the inputs that pick it, from that action on; changing
//! [`score`] changes every input. The unit tests below hold that every line is picked by some
//! selector value and that appending a line to any table moves selector values to it only.
//!
//! The weights keep the mix of actions the fuzzer relies on: grants, new records and council
//! votes and closes come more often than the calls that need their results.

use crate::{Input, Role, Run, ENDOWMENT};
use codec::{Decode, Encode};
use ehr_runtime::{
	AccessLog, AccountId, BalancesCall, Consent, HospitalRegistry, PatientRecords, Runtime,
	RuntimeCall,
};
use frame_support::{
	dispatch::GetDispatchInfo,
	traits::{GetCallIndex, PalletInfoAccess},
	weights::Weight,
};
use pallet_consent::{Action, EmergencyReason, Grantee, Purpose, ReviewOutcome, Scope};
use pallet_hospital_registry::{Delegates, Delegation, StaffRole, StaffStatus};
use pallet_patient_records::{Amendments, Category, NewRecord, Withdrawal, Withdrawals};
use sp_core::Pair;

type Reg = pallet_hospital_registry::Call<Runtime>;
type Rec = pallet_patient_records::Call<Runtime>;
type ConsentCall = pallet_consent::Call<Runtime>;
type LogCall = pallet_access_log::Call<Runtime>;

/// An entry of the action tables: the name of its table and its own name.
pub type EntryId = (&'static str, &'static str);

/// What a generator made of the input: the origin (an index into the actors) and the call of one
/// signed extrinsic; `Some(None)` if the bytes make no call (raw bytes that decode to none);
/// `None` once the input is used up.
type Generated = Option<Option<(usize, RuntimeCall)>>;

/// A generator: reads an action's arguments from the input, given the chain's current state.
type Generate = for<'a, 'h, 'b, 'i> fn(&'a Run<'h>, &'b mut Input<'i>) -> Generated;

/// A line of a table.
struct Entry {
	/// Its name, which the selector hashes: fixed once inputs depend on it.
	name: &'static str,
	/// How often it is picked, relative to the other lines of its table.
	weight: u32,
	generate: Generate,
}

/// A table: one pallet's calls (or the raw calls).
struct Table {
	name: &'static str,
	/// How often one of its lines is picked, relative to the other tables.
	weight: u32,
	entries: &'static [Entry],
}

const fn entry(name: &'static str, weight: u32, generate: Generate) -> Entry {
	Entry { name, weight, generate }
}

const fn table(name: &'static str, weight: u32, entries: &'static [Entry]) -> Table {
	Table { name, weight, entries }
}

/// The tables. A new table is one more line here.
const TABLES: &[Table] = &[
	table("HospitalRegistry", 8, REGISTRY),
	table("Council", 3, COUNCIL),
	table("PatientRecords", 8, RECORDS),
	table("Consent", 7, CONSENT),
	table("AccessLog", 2, ACCESS_LOG),
	table("Balances", 1, BALANCES),
	table("Raw", 3, RAW),
];

/// The hospital registry's calls that a signed account makes.
const REGISTRY: &[Entry] = &[
	entry("register_staff", 2, register_staff),
	entry("set_staff_status", 2, set_staff_status),
	entry("register_patient", 2, register_patient),
	entry("enrol_patient", 2, enrol_patient),
	entry("verify_patient", 2, verify_patient),
	entry("appoint_delegate", 1, appoint_delegate),
	entry("remove_delegate", 1, remove_delegate),
	entry("record_guardian", 1, record_guardian),
	entry("remove_guardian", 1, remove_guardian),
	entry("contest_guardian", 1, contest_guardian),
	entry("review_guardianship", 1, review_guardianship),
	entry("update_hospital", 1, update_hospital),
	entry("set_nodes", 1, set_nodes),
	entry("set_encryption_key", 1, set_encryption_key),
];

/// Council motions on the registry's governance calls, and the votes and closes that carry them.
const COUNCIL: &[Entry] = &[
	entry("propose_admit_hospital", 1, propose_admit_hospital),
	entry("propose_suspend_hospital", 1, propose_suspend_hospital),
	entry("propose_reinstate_hospital", 1, propose_reinstate_hospital),
	entry("propose_remove_hospital", 1, propose_remove_hospital),
	entry("propose_end_guardianship", 1, propose_end_guardianship),
	entry("propose_set_node_permissioning", 1, propose_set_node_permissioning),
	entry("propose_authorize_runtime_upgrade", 1, propose_authorize_runtime_upgrade),
	entry("vote", 7, vote),
	entry("close", 7, close),
];

const RECORDS: &[Entry] = &[
	entry("add_record", 4, add_record),
	entry("add_records", 2, add_records),
	entry("propose_amendment", 2, propose_amendment),
	entry("approve_amendment", 1, approve_amendment),
	entry("cancel_amendment", 1, cancel_amendment),
	entry("request_withdrawal", 1, request_withdrawal),
	entry("approve_withdrawal", 1, approve_withdrawal),
	entry("cancel_withdrawal", 1, cancel_withdrawal),
	entry("amend_with_signature", 2, amend_with_signature),
	entry("request_prescription", 2, request_prescription),
	entry("fulfil_prescription", 1, fulfil_prescription),
	entry("decline_prescription", 1, decline_prescription),
	entry("cancel_prescription_request", 1, cancel_prescription_request),
];

const CONSENT: &[Entry] = &[
	entry("grant", 6, grant),
	entry("revoke", 2, revoke),
	entry("remove_grant", 2, remove_grant),
	entry("declare_emergency", 2, declare_emergency),
	entry("end_emergency", 1, end_emergency),
	entry("review_emergency", 1, review_emergency),
];

/// A gateway records a read (naming its request or not), a batch of reads, or the erasure of a
/// deleted record.
const ACCESS_LOG: &[Entry] = &[
	entry("log_read", 1, log_read),
	entry("log_served", 1, log_served),
	entry("log_erasure", 1, log_erasure),
	entry("log_reads", 1, log_reads),
];

/// Money moves, so that zero-balance accounts can (or can no longer) pay.
const BALANCES: &[Entry] = &[entry("transfer_keep_alive", 1, transfer_keep_alive)];

/// Calls of the ehr-chain pallets made of whatever the input's bytes decode to.
const RAW: &[Entry] = &[
	entry("HospitalRegistry", 1, raw::<HospitalRegistry, Reg>),
	entry("PatientRecords", 1, raw::<PatientRecords, Rec>),
	entry("Consent", 1, raw::<Consent, ConsentCall>),
	entry("AccessLog", 1, raw::<AccessLog, LogCall>),
];

/// A line's score for a selector value: SplitMix64's finaliser over an FNV-1a hash of the name,
/// the draw's number and the selector. Part of the input format: changing it changes every input.
fn score(name: &str, draw: u32, selector: u8) -> u64 {
	fn mix(mut z: u64) -> u64 {
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}
	let fnv = name
		.bytes()
		.fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
	mix(mix(fnv ^ u64::from(draw)) ^ u64::from(selector))
}

/// The index of the line, among lines of these names and weights, that `selector` picks: the
/// one with the highest score over its `weight` draws (`None` if there are no lines).
fn choose<'a>(lines: impl Iterator<Item = (&'a str, u32)>, selector: u8) -> Option<usize> {
	let mut best: Option<(u64, usize)> = None;
	for (i, (name, weight)) in lines.enumerate() {
		for draw in 0..weight {
			let s = score(name, draw, selector);
			if best.is_none_or(|(b, _)| s > b) {
				best = Some((s, i));
			}
		}
	}
	best.map(|(_, i)| i)
}

fn pick_table(selector: u8) -> Option<usize> {
	choose(TABLES.iter().map(|t| (t.name, t.weight)), selector)
}

fn pick_entry(table: &Table, selector: u8) -> Option<usize> {
	choose(table.entries.iter().map(|e| (e.name, e.weight)), selector)
}

/// Every entry of the tables, in table order.
pub fn entries() -> Vec<EntryId> {
	TABLES.iter().flat_map(|t| t.entries.iter().map(move |e| (t.name, e.name))).collect()
}

/// For every entry, in table order, its table and entry selectors (the smallest of each that
/// pick it); an entry no selector value picks is left out (the unit tests hold there is none).
pub(crate) fn selectors() -> Vec<[u8; 2]> {
	let mut out = Vec::new();
	for (t, table) in TABLES.iter().enumerate() {
		let Some(ts) = (0..=u8::MAX).find(|s| pick_table(*s) == Some(t)) else { continue };
		for e in 0..table.entries.len() {
			if let Some(es) = (0..=u8::MAX).find(|s| pick_entry(table, *s) == Some(e)) {
				out.push([ts, es]);
			}
		}
	}
	out
}

/// Reads an action's two selectors and runs the entry they pick: the entry, and what its
/// generator made; `None` once the input is used up.
pub(crate) fn generate(
	run: &Run<'_>,
	input: &mut Input<'_>,
) -> Option<(EntryId, Option<(usize, RuntimeCall)>)> {
	let table = TABLES.get(pick_table(input.byte()?)?)?;
	let entry = table.entries.get(pick_entry(table, input.byte()?)?)?;
	Some(((table.name, entry.name), (entry.generate)(run, input)?))
}

fn admin(r: Role) -> bool {
	matches!(r, Role::Admin(_))
}
fn staff(r: Role) -> bool {
	matches!(r, Role::Staff(..))
}
fn clinician(r: Role) -> bool {
	matches!(r, Role::Staff(_, StaffRole::Doctor | StaffRole::Nurse | StaffRole::Lab))
}
fn patient(r: Role) -> bool {
	matches!(r, Role::Patient(_))
}
fn outsider(r: Role) -> bool {
	matches!(r, Role::Outsider(_))
}
fn gateway(r: Role) -> bool {
	matches!(r, Role::Staff(_, StaffRole::Gateway))
}
fn reviewer(r: Role) -> bool {
	matches!(r, Role::Staff(_, StaffRole::PrivacyOfficer))
}
fn anyone(_: Role) -> bool {
	true
}

/// The extrinsic of `call` signed by actor `origin`.
fn by(origin: usize, call: RuntimeCall) -> Generated {
	Some(Some((origin, call)))
}

// Hospital registry, mostly by the hospitals' admins.

fn register_staff(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, admin)?,
		RuntimeCall::HospitalRegistry(Reg::register_staff {
			staff: run.account(input, |r| staff(r) || outsider(r))?,
			role: input.variant()?,
			licence_commitment: input.h256()?,
			valid_until: if input.bool()? { Some(run.moment(input)?) } else { None },
		}),
	)
}

fn set_staff_status(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, admin)?,
		RuntimeCall::HospitalRegistry(Reg::set_staff_status {
			staff: run.account(input, staff)?,
			status: input.variant::<StaffStatus>()?,
		}),
	)
}

fn register_patient(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, |r| outsider(r) || patient(r))?,
		RuntimeCall::HospitalRegistry(Reg::register_patient {}),
	)
}

fn enrol_patient(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, admin)?,
		RuntimeCall::HospitalRegistry(Reg::enrol_patient {
			patient: run.account(input, |r| outsider(r) || patient(r))?,
			commitment: input.h256()?,
		}),
	)
}

fn verify_patient(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, admin)?,
		RuntimeCall::HospitalRegistry(Reg::verify_patient {
			patient: run.account(input, patient)?,
			commitment: input.h256()?,
		}),
	)
}

/// A patient and a delegate (`guardian` false) or guardian: for a call about an existing one
/// (`existing`) three times in four one on record, if any; else any patient and any actor.
fn delegation(
	run: &Run<'_>,
	input: &mut Input<'_>,
	guardian: bool,
	existing: bool,
) -> Option<(AccountId, AccountId)> {
	if existing {
		let known: Vec<(AccountId, AccountId)> = Delegates::<Runtime>::iter()
			.take(32)
			.filter(|(_, _, kind)| matches!(kind, Delegation::Guardian { .. }) == guardian)
			.map(|(p, d, _)| (p, d))
			.collect();
		if !known.is_empty() && input.byte()? < 192 {
			return input.pick(&known);
		}
	}
	Some((run.account(input, patient)?, run.account(input, anyone)?))
}

fn appoint_delegate(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (p, d) = delegation(run, input, false, false)?;
	by(
		run.one_of(input, &[p], patient)?,
		RuntimeCall::HospitalRegistry(Reg::appoint_delegate { delegate: d }),
	)
}

fn remove_delegate(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (p, d) = delegation(run, input, false, true)?;
	by(
		run.one_of(input, &[p], patient)?,
		RuntimeCall::HospitalRegistry(Reg::remove_delegate { delegate: d }),
	)
}

// Guardianship calls by hospital admins, and by every other role a quarter of the time (`who`):
// only a hospital that verified the patient records one, and the invariants check every guardian
// is so backed.

fn record_guardian(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (p, d) = delegation(run, input, true, false)?;
	by(
		run.who(input, admin)?,
		RuntimeCall::HospitalRegistry(Reg::record_guardian { patient: p, guardian: d }),
	)
}

fn remove_guardian(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (p, d) = delegation(run, input, true, true)?;
	by(
		run.who(input, admin)?,
		RuntimeCall::HospitalRegistry(Reg::remove_guardian { patient: p, guardian: d }),
	)
}

fn contest_guardian(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (p, d) = delegation(run, input, true, true)?;
	by(
		run.one_of(input, &[p.clone(), d.clone()], anyone)?,
		RuntimeCall::HospitalRegistry(Reg::contest_guardian { patient: p, guardian: d }),
	)
}

fn review_guardianship(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	use pallet_hospital_registry::GuardianContests;
	let (p, d) = delegation(run, input, true, true)?;
	// A review mostly concerns a guardianship under contest.
	let contested: Vec<(AccountId, AccountId)> =
		GuardianContests::<Runtime>::iter_keys().take(16).collect();
	let (p, d) =
		if !contested.is_empty() && input.byte()? < 224 { input.pick(&contested)? } else { (p, d) };
	// Mostly by the recording hospital's privacy officer or admin.
	let recorded_by = match Delegates::<Runtime>::get(&p, &d) {
		Some(Delegation::Guardian { hospital }) => Some(hospital),
		_ => None,
	};
	let reviewers: Vec<AccountId> = run
		.h
		.actors
		.iter()
		.filter(|a| match a.role {
			Role::Admin(h) | Role::Staff(h, StaffRole::PrivacyOfficer) => Some(h) == recorded_by,
			_ => false,
		})
		.map(|a| a.id.clone())
		.collect();
	by(
		run.one_of(input, &reviewers, |r| reviewer(r) || admin(r))?,
		RuntimeCall::HospitalRegistry(Reg::review_guardianship {
			patient: p,
			guardian: d,
			uphold: input.bool()?,
		}),
	)
}

fn update_hospital(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, admin)?,
		RuntimeCall::HospitalRegistry(Reg::update_hospital {
			name: if input.bool()? { Some(input.bytes(80)?) } else { None },
			gateway_url: if input.bool()? { Some(input.bytes(300)?) } else { None },
		}),
	)
}

fn set_nodes(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let origin = run.who(input, admin)?;
	let n = input.below(5)?;
	by(
		origin,
		RuntimeCall::HospitalRegistry(Reg::set_nodes {
			nodes: (0..n).map(|_| input.bytes(60)).collect::<Option<_>>()?,
		}),
	)
}

fn set_encryption_key(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, |r| patient(r) || staff(r))?,
		RuntimeCall::HospitalRegistry(Reg::set_encryption_key {
			// Sometimes a small-order X25519 point, which the registry refuses.
			key: if input.byte()? < 32 { [0; 32] } else { input.h256()?.0 },
		}),
	)
}

// Council motions about the registry.

/// A council motion on `proposal`, by an admin (a council member) three times in four.
fn motion(run: &Run<'_>, input: &mut Input<'_>, proposal: Reg) -> Generated {
	let proposal = RuntimeCall::HospitalRegistry(proposal);
	by(
		run.who(input, admin)?,
		RuntimeCall::Council(pallet_collective::Call::propose {
			threshold: input.below(4)? as u32 + 1,
			length_bound: proposal.encoded_size() as u32,
			proposal: Box::new(proposal),
		}),
	)
}

/// A hospital index, up to two past the local network's four hospitals.
fn hospital_index(input: &mut Input<'_>) -> Option<u32> {
	Some(input.below(6)? as u32)
}

fn propose_admit_hospital(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let proposal = Reg::admit_hospital {
		name: input.bytes(80)?,
		admin: run.account(input, outsider)?,
		validator: run.account(input, outsider)?,
		gateway_url: input.bytes(40)?,
		nodes: Vec::new(),
	};
	motion(run, input, proposal)
}

fn propose_suspend_hospital(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let hospital = hospital_index(input)?;
	motion(run, input, Reg::suspend_hospital { hospital })
}

fn propose_reinstate_hospital(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let hospital = hospital_index(input)?;
	motion(run, input, Reg::reinstate_hospital { hospital })
}

fn propose_remove_hospital(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let hospital = hospital_index(input)?;
	motion(run, input, Reg::remove_hospital { hospital })
}

fn propose_end_guardianship(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let proposal = Reg::end_guardianship {
		patient: run.account(input, patient)?,
		guardian: run.account(input, anyone)?,
	};
	motion(run, input, proposal)
}

fn propose_set_node_permissioning(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let proposal = Reg::set_node_permissioning { enforced: input.bool()? };
	motion(run, input, proposal)
}

fn propose_authorize_runtime_upgrade(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let proposal = Reg::authorize_runtime_upgrade { code_hash: input.h256()? };
	motion(run, input, proposal)
}

fn vote(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (proposal, index) = match run.open_motion(input)? {
		Some((hash, index, _)) => (hash, index),
		// None is open: a vote on a motion that does not exist, which the council refuses.
		None => (input.h256()?, input.below(4)? as u32),
	};
	by(
		run.who(input, admin)?,
		RuntimeCall::Council(pallet_collective::Call::vote {
			proposal,
			index,
			approve: input.byte()? < 200,
		}),
	)
}

fn close(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let open = run.open_motion(input)?;
	let (proposal_hash, index, proposal_weight_bound, length_bound) = match open {
		Some((hash, index, proposal)) => {
			(hash, index, proposal.get_dispatch_info().call_weight, proposal.encoded_size() as u32)
		},
		// None is open: the close of a motion that does not exist, which the council refuses.
		None => (input.h256()?, input.below(4)? as u32, Weight::zero(), 0),
	};
	by(
		run.who(input, admin)?,
		RuntimeCall::Council(pallet_collective::Call::close {
			proposal_hash,
			index,
			proposal_weight_bound,
			length_bound,
		}),
	)
}

// Patient records.

fn add_record(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, |r| clinician(r) || patient(r))?,
		RuntimeCall::PatientRecords(Rec::add_record {
			patient: run.account(input, patient)?,
			category: input.variant::<Category>()?,
			content: run.content(input)?,
		}),
	)
}

fn add_records(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	// Mostly a few records; sometimes the bound, or one past it.
	let n = match input.byte()? % 8 {
		0 => 101,
		1 => 100,
		k => u64::from(k),
	};
	let mut records = Vec::new();
	for _ in 0..n {
		records.push(NewRecord {
			patient: run.account(input, patient)?,
			category: input.variant::<Category>()?,
			content: run.content(input)?,
		});
	}
	by(
		run.who(input, |r| clinician(r) || gateway(r))?,
		RuntimeCall::PatientRecords(Rec::add_records { records }),
	)
}

fn propose_amendment(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let record = run.record_id(input)?;
	let parties = run.parties(record);
	by(
		run.one_of(input, &parties, clinician)?,
		RuntimeCall::PatientRecords(Rec::propose_amendment {
			record,
			content: run.content(input)?,
		}),
	)
}

/// A record for a call about what is pending on it: three times in four one of `pending`, if
/// any, else as [`Run::record_id`].
fn pending_record(run: &Run<'_>, input: &mut Input<'_>, pending: Vec<u64>) -> Option<u64> {
	if !pending.is_empty() && input.byte()? < 192 {
		input.pick(&pending)
	} else {
		run.record_id(input)
	}
}

fn amendments() -> Vec<u64> {
	Amendments::<Runtime>::iter_keys().take(16).collect()
}

fn withdrawals() -> Vec<u64> {
	Withdrawals::<Runtime>::iter_keys().take(16).collect()
}

/// The extrinsic of a records call about a record or request, signed three times in four by one
/// of `parties`, else by a clinician or patient (or anyone, see `Run::who`).
fn by_party(run: &Run<'_>, input: &mut Input<'_>, parties: &[AccountId], call: Rec) -> Generated {
	by(
		run.one_of(input, parties, |r| clinician(r) || patient(r))?,
		RuntimeCall::PatientRecords(call),
	)
}

fn approve_amendment(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let record = pending_record(run, input, amendments())?;
	// The other side approves.
	let mut parties = run.parties(record);
	if let Some(a) = Amendments::<Runtime>::get(record) {
		parties.retain(|p| *p != a.proposer);
	}
	by_party(run, input, &parties, Rec::approve_amendment { record })
}

fn cancel_amendment(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let record = pending_record(run, input, amendments())?;
	by_party(run, input, &run.parties(record), Rec::cancel_amendment { record })
}

fn request_withdrawal(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let record = run.record_id(input)?;
	let kind = input.variant::<Withdrawal>()?;
	by_party(run, input, &run.parties(record), Rec::request_withdrawal { record, kind })
}

fn approve_withdrawal(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let record = pending_record(run, input, withdrawals())?;
	// The other side approves.
	let mut parties = run.parties(record);
	if let Some(w) = Withdrawals::<Runtime>::get(record) {
		parties.retain(|p| *p != w.requester);
	}
	by_party(run, input, &parties, Rec::approve_withdrawal { record })
}

fn cancel_withdrawal(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let record = pending_record(run, input, withdrawals())?;
	by_party(run, input, &run.parties(record), Rec::cancel_withdrawal { record })
}

fn amend_with_signature(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let record = run.record_id(input)?;
	let content = run.content(input)?;
	let signer = run.who(input, patient)?;
	let signed = run.h.actors.get(signer)?;
	let version =
		pallet_patient_records::Records::<Runtime>::get(record).map(|r| r.version).unwrap_or(1);
	let stored = pallet_patient_records::Content {
		commitment: content.commitment,
		cid: content.cid.clone().try_into().unwrap_or_default(),
		scheme: content.scheme,
		size: content.size,
	};
	let payload =
		pallet_patient_records::Pallet::<Runtime>::amendment_payload(record, version, stored)
			.encode();
	// Mostly the patient's signature of the amendment, else of other bytes.
	let signature = if input.byte()? < 220 {
		signed.pair.sign(&payload)
	} else {
		signed.pair.sign(&input.bytes(64)?)
	};
	by(
		run.who(input, clinician)?,
		RuntimeCall::PatientRecords(Rec::amend_with_signature {
			record,
			content,
			signer: signed.id.clone(),
			signature: signature.into(),
		}),
	)
}

fn request_prescription(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, patient)?,
		RuntimeCall::PatientRecords(Rec::request_prescription {
			doctor: run.account(input, clinician)?,
			details: input.h256()?,
		}),
	)
}

/// A prescription request id, up to two past the last, and its patient and doctor.
fn prescription(input: &mut Input<'_>) -> Option<(u64, Vec<AccountId>)> {
	let request =
		input.below(pallet_patient_records::NextRequestId::<Runtime>::get().saturating_add(2))?;
	let parties = pallet_patient_records::PrescriptionRequests::<Runtime>::get(request)
		.map(|r| vec![r.patient, r.doctor])
		.unwrap_or_default();
	Some((request, parties))
}

fn fulfil_prescription(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (request, parties) = prescription(input)?;
	let content = run.content(input)?;
	by_party(run, input, &parties, Rec::fulfil_prescription { request, content })
}

fn decline_prescription(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (request, parties) = prescription(input)?;
	by_party(run, input, &parties, Rec::decline_prescription { request })
}

fn cancel_prescription_request(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (request, parties) = prescription(input)?;
	by_party(run, input, &parties, Rec::cancel_prescription_request { request })
}

// Consent.

fn grant(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let patient_id = run.account(input, patient)?;
	let grantee = if input.byte()? < 200 {
		Grantee::Staff(run.account(input, |r| clinician(r) || gateway(r))?)
	} else {
		Grantee::Hospital(input.below(5)? as u32)
	};
	let scope = match input.byte()? % 4 {
		0 => Scope::Categories(input.variants::<Category>(12)?.try_into().unwrap_or_default()),
		1 => Scope::Records({
			let n = input.below(40)?;
			(0..n).map(|_| run.record_id(input)).collect::<Option<Vec<_>>>()?
		}),
		_ => Scope::AllRecords,
	};
	by(
		run.one_of(input, std::slice::from_ref(&patient_id), patient)?,
		RuntimeCall::Consent(ConsentCall::grant {
			patient: patient_id,
			grantee,
			scope,
			// Bounded in the call: what a signer could send, duplicates included.
			excluded: frame_support::BoundedVec::truncate_from(input.variants::<Category>(3)?),
			purposes: {
				let mut p = input.variants::<Purpose>(4)?;
				if input.byte()? < 230 && p.is_empty() {
					p.push(Purpose::Treatment);
				}
				frame_support::BoundedVec::truncate_from(p)
			},
			actions: {
				let mut a = input.variants::<Action>(2)?;
				if input.byte()? < 230 && a.is_empty() {
					a.push(Action::Read);
				}
				frame_support::BoundedVec::truncate_from(a)
			},
			starts: if input.byte()? < 40 { Some(run.moment(input)?) } else { None },
			ends: run.moment(input)?,
		}),
	)
}

/// A patient, one of their grant numbers (up to one past the last) and the signer, three times
/// in four the patient.
fn patient_grant(run: &Run<'_>, input: &mut Input<'_>) -> Option<(AccountId, u32, usize)> {
	let patient_id = run.account(input, patient)?;
	let next = pallet_consent::ConsentAccounts::<Runtime>::get(&patient_id).next_grant;
	let grant = input.below(u64::from(next) + 1)? as u32;
	let origin = run.one_of(input, std::slice::from_ref(&patient_id), patient)?;
	Some((patient_id, grant, origin))
}

fn revoke(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (patient_id, grant, origin) = patient_grant(run, input)?;
	by(origin, RuntimeCall::Consent(ConsentCall::revoke { patient: patient_id, grant }))
}

fn remove_grant(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (patient_id, grant, origin) = patient_grant(run, input)?;
	by(origin, RuntimeCall::Consent(ConsentCall::remove_grant { patient: patient_id, grant }))
}

fn declare_emergency(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, clinician)?,
		RuntimeCall::Consent(ConsentCall::declare_emergency {
			patient: run.account(input, patient)?,
			reason: input.variant::<EmergencyReason>()?,
			note: input.bytes(300)?,
		}),
	)
}

/// An emergency id: three times in four one that exists, if any, else any up to two past the
/// last.
fn emergency(input: &mut Input<'_>) -> Option<u64> {
	let open: Vec<u64> = pallet_consent::Emergencies::<Runtime>::iter_keys().take(16).collect();
	if !open.is_empty() && input.byte()? < 192 {
		input.pick(&open)
	} else {
		input.below(pallet_consent::NextEmergencyId::<Runtime>::get().saturating_add(2))
	}
}

fn end_emergency(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let id = emergency(input)?;
	// Mostly by its doctor.
	let doctor: Vec<AccountId> =
		pallet_consent::Emergencies::<Runtime>::get(id).map(|e| e.doctor).into_iter().collect();
	by(
		run.one_of(input, &doctor, clinician)?,
		RuntimeCall::Consent(ConsentCall::end_emergency { id }),
	)
}

fn review_emergency(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let id = emergency(input)?;
	by(
		run.who(input, reviewer)?,
		RuntimeCall::Consent(ConsentCall::review_emergency {
			id,
			outcome: input.variant::<ReviewOutcome>()?,
		}),
	)
}

// Access log.

/// The signer (mostly a gateway), record, accessor and purpose of a logged read.
fn read(run: &Run<'_>, input: &mut Input<'_>) -> Option<(usize, u64, AccountId, Purpose)> {
	let who = run.who(input, gateway)?;
	let record = run.record_id(input)?;
	let accessor = run.account(input, |r| clinician(r) || gateway(r))?;
	let purpose = input.variant::<Purpose>()?;
	Some((who, record, accessor, purpose))
}

/// A read served or refused without naming its request.
fn log_read(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (who, record, accessor, purpose) = read(run, input)?;
	let permitted = input.bool()?;
	by(who, RuntimeCall::AccessLog(LogCall::log_read { record, accessor, purpose, permitted }))
}

/// A served read naming its request.
fn log_served(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (who, record, accessor, purpose) = read(run, input)?;
	let request = input.h256()?;
	by(who, RuntimeCall::AccessLog(LogCall::log_served { record, accessor, purpose, request }))
}

/// A batch of one to four reads, each served (naming a request) or refused, by one signer.
fn log_reads(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let (who, record, accessor, purpose) = read(run, input)?;
	let mut entries = vec![(record, accessor, purpose)];
	for _ in 0..input.below(4)? {
		let (_, record, accessor, purpose) = read(run, input)?;
		entries.push((record, accessor, purpose));
	}
	let mut reads = Vec::new();
	for (record, accessor, purpose) in entries {
		let outcome = if input.bool()? {
			pallet_access_log::ReadOutcome::Served { request: input.h256()? }
		} else {
			pallet_access_log::ReadOutcome::Refused
		};
		reads.push(pallet_access_log::ReadLog { record, accessor, purpose, outcome });
	}
	let entries: frame_support::BoundedVec<_, _> = reads.try_into().ok()?;
	by(who, RuntimeCall::AccessLog(LogCall::log_reads { entries }))
}

fn log_erasure(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	// Deleted records, with the gateways of their custodians.
	let deleted: Vec<(u64, Vec<AccountId>)> = pallet_patient_records::Records::<Runtime>::iter()
		.filter(|(_, r)| {
			r.status == pallet_patient_records::RecordStatus::Deleted && r.custodian.is_some()
		})
		.take(16)
		.map(|(id, r)| {
			let custodian = r.custodian.map(|h| Role::Staff(h, StaffRole::Gateway));
			let gateways = run
				.h
				.actors
				.iter()
				.filter(|a| Some(a.role) == custodian)
				.map(|a| a.id.clone())
				.collect();
			(id, gateways)
		})
		.collect();
	if !deleted.is_empty() && input.byte()? < 224 {
		let (record, gateways) = input.pick(&deleted)?;
		return by(
			run.one_of(input, &gateways, gateway)?,
			RuntimeCall::AccessLog(LogCall::log_erasure { record }),
		);
	}
	// Else any record, which the log refuses unless it is deleted.
	by(
		run.who(input, gateway)?,
		RuntimeCall::AccessLog(LogCall::log_erasure { record: run.record_id(input)? }),
	)
}

fn transfer_keep_alive(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	by(
		run.who(input, anyone)?,
		RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
			dest: run.account(input, anyone)?.into(),
			value: input.pick(&[1u128, 1_000_000_000_000, ENDOWMENT / 2])?,
		}),
	)
}

/// A call of pallet `P` (whose calls are `C`): one of its call indices, then whatever the input's
/// next bytes decode to as that call's arguments (`Some(None)` if they decode to none).
fn raw<P: PalletInfoAccess, C: GetCallIndex>(run: &Run<'_>, input: &mut Input<'_>) -> Generated {
	let mut raw = vec![P::index() as u8, input.pick(C::get_call_indices())?];
	raw.extend(input.bytes(200)?);
	let Ok(call) = RuntimeCall::decode(&mut &raw[..]) else { return Some(None) };
	by(run.who(input, anyone)?, call)
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::collections::BTreeSet;

	fn lines(entries: &[Entry]) -> Vec<(&'static str, u32)> {
		entries.iter().map(|e| (e.name, e.weight)).collect()
	}

	fn tables() -> Vec<(&'static str, u32)> {
		TABLES.iter().map(|t| (t.name, t.weight)).collect()
	}

	#[test]
	fn names_are_distinct_and_weights_positive() {
		let mut all = vec![tables()];
		all.extend(TABLES.iter().map(|t| lines(t.entries)));
		for set in all {
			let names: BTreeSet<&str> = set.iter().map(|l| l.0).collect();
			assert_eq!(names.len(), set.len(), "a name repeats in {set:?}");
			assert!(set.iter().all(|l| l.1 > 0), "a weight is zero in {set:?}");
		}
	}

	#[test]
	fn every_entry_is_picked_by_some_selector() {
		assert_eq!(selectors().len(), entries().len());
		for ([ts, es], id) in selectors().into_iter().zip(entries()) {
			let t = TABLES.get(pick_table(ts).expect("a table")).expect("in range");
			let e = t.entries.get(pick_entry(t, es).expect("an entry")).expect("in range");
			assert_eq!((t.name, e.name), id);
		}
	}

	/// The property the encoding is for: after an append, every selector value picks what it
	/// picked before or the new line.
	#[test]
	fn appending_a_line_moves_selectors_only_to_it() {
		let mut all = vec![tables()];
		all.extend(TABLES.iter().map(|t| lines(t.entries)));
		for set in all {
			for weight in [1, 3] {
				let mut longer = set.clone();
				longer.push(("a_new_call", weight));
				let mut moved = 0;
				for s in 0..=u8::MAX {
					let before = choose(set.iter().copied(), s);
					let after = choose(longer.iter().copied(), s);
					if after != before {
						assert_eq!(after, Some(set.len()), "selector {s} of {set:?}");
						moved += 1;
					}
				}
				assert!(moved > 0, "the new line of {set:?} is never picked");
			}
		}
	}
}

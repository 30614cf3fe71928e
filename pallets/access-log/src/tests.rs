//! Unit tests of the access log: each action produces the right entry, heads advance, hashes
//! link, state keeps the heads only (an append writes the patient's head and the global head),
//! reads are logged only by the custodian's gateway (every
//! refusal with `assert_noop!`), a served read names its request, a batch of reads is logged
//! whole or not at all, and verification catches every kind of tampering at the right place.

use crate::{
	mock::*, next_global, verify::*, Error, Event, GlobalHead, Head, Heads, LogAction, LogEntry,
	Purpose, ReadLog, ReadOutcome, Subject,
};
use frame_support::{assert_noop, assert_ok};
use pallet_hospital_registry::StaffStatus;
use sp_core::H256;
use std::collections::{BTreeMap, BTreeSet};

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn append(patient: u64, action: LogAction, subject: Subject<u64>) -> H256 {
	AccessLog::do_append(&patient, &DOCTOR, Some(0), action, subject, None, None)
}

/// All of `patient`'s entries, oldest first, as the `EntryAppended` events carry them (state
/// keeps none).
fn logged(patient: u64) -> Vec<LogEntry<u64, u64>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::AccessLog(Event::EntryAppended { entry, .. })
				if entry.patient == patient =>
			{
				Some(entry)
			},
			_ => None,
		})
		.collect()
}

/// Every key of the pallet's storage but its storage version, with its value.
fn pallet_state() -> BTreeMap<Vec<u8>, Vec<u8>> {
	use frame_support::traits::{PalletInfoAccess, StorageVersion};
	let prefix = sp_io::hashing::twox_128(<AccessLog as PalletInfoAccess>::name().as_bytes());
	let version = StorageVersion::storage_key::<AccessLog>();
	let mut state = BTreeMap::new();
	let mut key = prefix.to_vec();
	while let Some(next) = sp_io::storage::next_key(&key).filter(|k| k.starts_with(&prefix[..])) {
		if next[..] != version[..] {
			let value = sp_io::storage::get(&next).map(|v| v.to_vec()).unwrap_or_default();
			state.insert(next.clone(), value);
		}
		key = next;
	}
	state
}

mod appending {
	use super::*;

	#[test]
	fn entries_link_by_hash_and_heads_advance() {
		test(|| {
			assert_eq!(Heads::<Test>::get(PATIENT), Head::default());
			let h0 = append(PATIENT, LogAction::RecordAdded, Subject::Record(7));
			System::set_block_number(2);
			Timestamp::set_timestamp(NOW + 2000);
			<AccessLog as crate::AccessLog<u64>>::append(
				&PATIENT,
				&PATIENT,
				None,
				LogAction::ConsentGranted,
				Subject::Grant(0),
				Some(Purpose::Treatment),
			);
			let entries = logged(PATIENT);
			assert_eq!(entries.len(), 2);
			let (e0, e1) = (&entries[0], &entries[1]);
			assert_eq!((e0.seq, e0.prev, e0.block, e0.timestamp), (0, H256::zero(), 1, NOW));
			assert_eq!(e0.hash(), h0);
			assert_eq!((e1.seq, e1.prev), (1, h0));
			assert_eq!(
				(e1.actor, e1.hospital, e1.block, e1.timestamp),
				(PATIENT, None, 2, NOW + 2000)
			);
			assert_eq!(e1.action, LogAction::ConsentGranted);
			assert_eq!(e1.purpose, Some(Purpose::Treatment));
			assert_eq!(Heads::<Test>::get(PATIENT), Head { count: 2, last: e1.hash() });
			// The global head chains both.
			let g = next_global(&next_global(&H256::zero(), &h0), &e1.hash());
			assert_eq!(GlobalHead::<Test>::get(), Head { count: 2, last: g });
			// Another patient's log is separate; the global head takes it in.
			append(PATIENT_2, LogAction::RecordAdded, Subject::Record(9));
			assert_eq!(Heads::<Test>::get(PATIENT_2).count, 1);
			assert_eq!(logged(PATIENT_2)[0].prev, H256::zero());
			assert_eq!(GlobalHead::<Test>::get().count, 3);
			// Each entry is also in an event, whole.
			let last = System::events().pop().unwrap().event;
			assert!(matches!(
				last,
				RuntimeEvent::AccessLog(Event::EntryAppended { ref entry, .. }) if entry.patient == PATIENT_2
			));
		});
	}

	#[test]
	fn the_hash_is_domain_separated_scale() {
		test(|| {
			append(PATIENT, LogAction::RecordAdded, Subject::Record(7));
			let e = logged(PATIENT).remove(0);
			let mut bytes = b"ehr-chain/access-log/entry/v1".to_vec();
			bytes.extend(codec::Encode::encode(&e));
			assert_eq!(e.hash(), H256(sp_io::hashing::blake2_256(&bytes)));
			assert_ne!(e.hash(), H256(sp_io::hashing::blake2_256(&codec::Encode::encode(&e))));
		});
	}

	#[test]
	fn state_keeps_only_the_heads_and_the_head_proves_the_log() {
		test(|| {
			for i in 0..10 {
				append(PATIENT, LogAction::RecordAdded, Subject::Record(i));
			}
			append(PATIENT_2, LogAction::RecordAdded, Subject::Record(9));
			assert_eq!(Heads::<Test>::get(PATIENT).count, 10);
			// Two patients' heads and the global head: no entry, however long the log.
			let keys: BTreeSet<Vec<u8>> = pallet_state().into_keys().collect();
			let heads: BTreeSet<Vec<u8>> = [
				Heads::<Test>::hashed_key_for(PATIENT),
				Heads::<Test>::hashed_key_for(PATIENT_2),
				GlobalHead::<Test>::hashed_key().to_vec(),
			]
			.into_iter()
			.collect();
			assert_eq!(keys, heads);
			// The events carry the whole log, and the head proves it.
			let entries = logged(PATIENT);
			assert_eq!(
				entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
				(0..10).collect::<Vec<_>>()
			);
			assert_eq!(
				verify(&PATIENT, &entries, H256::zero(), &Heads::<Test>::get(PATIENT)),
				Ok(())
			);
		});
	}

	/// An append reads and writes the patient's head and the global head (whitelisted, charged
	/// once a block by `on_initialize`), and writes nothing else of the pallet's: the entry goes
	/// to the offchain index and the event. The reads are not counted here; the benchmarks count
	/// them (`Heads` r:1 w:1 in `weights.rs`).
	#[test]
	fn an_append_writes_the_patients_head_and_the_global_head_only() {
		test(|| {
			append(PATIENT, LogAction::RecordAdded, Subject::Record(7));
			append(PATIENT_2, LogAction::RecordAdded, Subject::Record(9));
			let before = pallet_state();
			append(PATIENT, LogAction::RecordAmended, Subject::Record(7));
			let after = pallet_state();
			let changed: BTreeSet<Vec<u8>> = before
				.keys()
				.chain(after.keys())
				.filter(|k| before.get(*k) != after.get(*k))
				.cloned()
				.collect();
			let written: BTreeSet<Vec<u8>> =
				[Heads::<Test>::hashed_key_for(PATIENT), GlobalHead::<Test>::hashed_key().to_vec()]
					.into_iter()
					.collect();
			assert_eq!(changed, written);
		});
	}
}

/// The node's entry index: every entry is readable from it, walking back from the head, and
/// nothing but the patient's own linked entries is ever returned.
mod index {
	use super::*;
	use crate::{index::walk_back, index_key};
	use codec::Decode;
	use sp_core::offchain::testing::TestPersistentOffchainDB;

	/// Appends `n` entries to `patient`'s log (every third a refusal), then runs `f` with a
	/// lookup in the entries the runtime indexed.
	fn indexed(
		n: u64,
		f: impl FnOnce(&dyn Fn(&H256) -> Option<LogEntry<u64, u64>>, TestPersistentOffchainDB),
	) {
		let mut ext = new_test_ext();
		ext.execute_with(|| {
			for i in 0..n {
				let action =
					if i % 3 == 2 { LogAction::ReadDenied } else { LogAction::RecordAdded };
				append(PATIENT, action, Subject::Record(i));
				append(PATIENT_2, LogAction::RecordAdded, Subject::Record(i));
			}
		});
		ext.persist_offchain_overlay();
		let db = ext.offchain_db();
		let lookup = {
			let db = db.clone();
			move |h: &H256| db.get(&index_key(h)).and_then(|v| LogEntry::decode(&mut &v[..]).ok())
		};
		ext.execute_with(|| f(&lookup, db));
	}

	#[test]
	fn the_whole_log_is_served_from_the_index() {
		indexed(10, |lookup, _| {
			let head = Heads::<Test>::get(PATIENT);
			let walk = walk_back(&PATIENT, &head, None, usize::MAX, u64::MAX, lookup, |_| true);
			let seqs: Vec<u64> = walk.items.iter().map(|(_, e)| e.seq).collect();
			assert_eq!(seqs, (0..10).rev().collect::<Vec<_>>());
			assert_eq!((walk.next, walk.reached, walk.missing), (None, Some(0), None));
			let mut entries: Vec<_> = walk.items.into_iter().map(|(_, e)| e).collect();
			entries.reverse();
			assert_eq!(verify(&PATIENT, &entries, H256::zero(), &head), Ok(()));
		});
	}

	#[test]
	fn pages_and_filters_walk_on_from_where_they_stopped() {
		indexed(10, |lookup, _| {
			let head = Heads::<Test>::get(PATIENT);
			let refusal = |e: &LogEntry<u64, u64>| e.action == LogAction::ReadDenied;
			let first = walk_back(&PATIENT, &head, None, 2, u64::MAX, lookup, refusal);
			let seqs: Vec<u64> = first.items.iter().map(|(_, e)| e.seq).collect();
			assert_eq!(seqs, vec![8, 5]);
			assert_eq!(first.next, Some(5));
			let second = walk_back(&PATIENT, &head, first.next, 2, u64::MAX, lookup, refusal);
			let seqs: Vec<u64> = second.items.iter().map(|(_, e)| e.seq).collect();
			assert_eq!(seqs, vec![2]);
			assert_eq!(second.next, None);
			// A bound on the steps stops a walk early and says where to go on.
			let short = walk_back(&PATIENT, &head, None, usize::MAX, 3, lookup, |_| true);
			assert_eq!(short.items.len(), 3);
			assert_eq!(short.next, Some(7));
		});
	}

	#[test]
	fn a_missing_or_altered_entry_ends_the_walk_there() {
		indexed(6, |lookup, mut db| {
			use sp_core::offchain::OffchainStorage;
			let head = Heads::<Test>::get(PATIENT);
			let all = walk_back(&PATIENT, &head, None, usize::MAX, u64::MAX, lookup, |_| true);
			// Alter entry 3 in the index: the walk refuses it and ends there, with entries 5
			// and 4 (which still link to the head).
			let (h3, mut e3) = all.items[2].clone();
			e3.actor = PATIENT_2;
			db.set(b"", &index_key(&h3), &codec::Encode::encode(&e3));
			let walk = walk_back(&PATIENT, &head, None, usize::MAX, u64::MAX, lookup, |_| true);
			let seqs: Vec<u64> = walk.items.iter().map(|(_, e)| e.seq).collect();
			assert_eq!(seqs, vec![5, 4]);
			assert_eq!((walk.missing, walk.reached), (Some(3), Some(4)));
			// Another patient's entry under this patient's hash is refused too.
			let other = Heads::<Test>::get(PATIENT_2);
			let mixed = walk_back(&PATIENT, &other, None, usize::MAX, u64::MAX, lookup, |_| true);
			assert_eq!((mixed.items.len(), mixed.missing), (0, Some(5)));
		});
	}
}

mod reads {
	use super::*;

	#[test]
	fn the_custodians_gateway_logs_reads_and_refusals() {
		test(|| {
			assert_ok!(AccessLog::log_read(signed(GATEWAY), 7, DOCTOR, Purpose::Treatment, true));
			assert_ok!(AccessLog::log_read(
				signed(GATEWAY),
				7,
				PATIENT_2,
				Purpose::Research,
				false
			));
			let entries = logged(PATIENT);
			assert_eq!(entries[0].action, LogAction::DocumentRead);
			assert_eq!(entries[0].actor, DOCTOR);
			assert_eq!(entries[0].hospital, Some(0));
			assert_eq!(entries[0].source, Some(0));
			assert_eq!(entries[0].subject, Subject::Record(7));
			assert_eq!(entries[0].purpose, Some(Purpose::Treatment));
			assert_eq!(entries[1].action, LogAction::ReadDenied);
			assert_eq!((entries[1].actor, entries[1].hospital), (PATIENT_2, None));
			// Reads, refusals and emergency openings are accesses; a grant is not.
			append(PATIENT, LogAction::ConsentGranted, Subject::Grant(0));
			append(PATIENT, LogAction::EmergencyOpened, Subject::Emergency(0));
			let who: Vec<LogAction> = logged(PATIENT)
				.into_iter()
				.rev()
				.map(|e| e.action)
				.filter(|a| a.is_access())
				.collect();
			assert_eq!(
				who,
				vec![LogAction::EmergencyOpened, LogAction::ReadDenied, LogAction::DocumentRead]
			);
		});
	}

	#[test]
	fn refusals_of_accounts_the_chain_does_not_know_stay_off_chain() {
		test(|| {
			// Fresh key pairs by the thousand cannot bury the patient's entries in noise.
			for stranger in 5000..5010 {
				assert_noop!(
					AccessLog::log_read(signed(GATEWAY), 7, stranger, Purpose::Research, false),
					Error::<Test>::UnknownAccessor
				);
			}
			assert!(logged(PATIENT).is_empty());
			// A delegate of the patient is known, as is staff of any status.
			assert_ok!(Registry::appoint_delegate(signed(PATIENT), 5555));
			assert_ok!(AccessLog::log_read(signed(GATEWAY), 7, 5555, Purpose::Research, false));
			assert_ok!(Registry::set_staff_status(
				signed(20),
				OTHER_GATEWAY,
				StaffStatus::Suspended
			));
			assert_ok!(AccessLog::log_read(
				signed(GATEWAY),
				7,
				OTHER_GATEWAY,
				Purpose::Treatment,
				false
			));
			assert_eq!(logged(PATIENT).len(), 2);
		});
	}

	#[test]
	fn changes_of_who_acts_for_the_patient_are_logged_with_the_party() {
		use ehr_primitives::{DelegationChange, DelegationLog};
		test(|| {
			<AccessLog as DelegationLog<u64>>::delegation_changed(
				&PATIENT,
				&10,
				Some(0),
				DelegationChange::GuardianRecorded,
				&4000,
			);
			<AccessLog as DelegationLog<u64>>::delegation_changed(
				&PATIENT,
				&PATIENT,
				None,
				DelegationChange::GuardianRemoved { by_council: true },
				&4000,
			);
			let entries = logged(PATIENT);
			assert_eq!(entries[0].action, LogAction::GuardianRecorded);
			assert_eq!((entries[0].actor, entries[0].hospital), (10, Some(0)));
			assert_eq!(entries[0].subject, Subject::Party(4000));
			assert_eq!(entries[1].action, LogAction::GuardianRemoved { by_council: true });
			assert!(!entries[1].action.is_access());
		});
	}

	#[test]
	fn a_record_repeating_anothers_commitment_is_neither_served_nor_erased() {
		test(|| {
			assert_noop!(
				AccessLog::log_read(signed(GATEWAY), 11, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::NotTheAnchor
			);
			assert_noop!(AccessLog::log_erasure(signed(GATEWAY), 12), Error::<Test>::NotTheAnchor);
			// A refusal of it is still logged.
			assert_ok!(AccessLog::log_read(signed(GATEWAY), 11, DOCTOR, Purpose::Treatment, false));
		});
	}

	#[test]
	fn only_the_custodians_active_gateway_may_log() {
		test(|| {
			assert_noop!(
				AccessLog::log_read(signed(DOCTOR), 7, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::NotAGateway
			);
			assert_noop!(
				AccessLog::log_read(signed(PATIENT), 7, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::NotAGateway
			);
			assert_noop!(
				AccessLog::log_read(signed(OTHER_GATEWAY), 7, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::NotCustodian
			);
			assert_noop!(
				AccessLog::log_read(signed(GATEWAY), 8, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::NotCustodian
			);
			assert_noop!(
				AccessLog::log_read(signed(GATEWAY), 77, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::RecordNotFound
			);
			assert_ok!(Registry::set_staff_status(signed(10), GATEWAY, StaffStatus::Suspended));
			assert_noop!(
				AccessLog::log_read(signed(GATEWAY), 7, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::NotAGateway
			);
		});
	}
}

mod served {
	use super::*;

	/// The hash of a signed request the gateway served.
	const REQUEST: H256 = H256::repeat_byte(0x5e);

	fn log_served(gateway: u64, record: u64) -> sp_runtime::DispatchResult {
		AccessLog::log_served(signed(gateway), record, DOCTOR, Purpose::Treatment, REQUEST)
	}

	#[test]
	fn a_served_entry_carries_the_request_hash() {
		test(|| {
			assert_ok!(log_served(GATEWAY, 7));
			let entries = logged(PATIENT);
			assert_eq!(entries.len(), 1);
			let e = &entries[0];
			assert_eq!(e.action, LogAction::DocumentServed { request: REQUEST });
			assert_eq!(e.action.request(), Some(REQUEST));
			assert_eq!((e.actor, e.hospital, e.source), (DOCTOR, Some(0), Some(0)));
			assert_eq!(
				(e.subject.clone(), e.purpose),
				(Subject::Record(7), Some(Purpose::Treatment))
			);
			// The request hash is part of the entry, so of its hash: the head proves it.
			let mut altered = e.clone();
			altered.action = LogAction::DocumentServed { request: H256::repeat_byte(1) };
			assert_ne!(altered.hash(), e.hash());
			assert_eq!(
				verify(&PATIENT, &entries, H256::zero(), &Heads::<Test>::get(PATIENT)),
				Ok(())
			);
			// It is an access: "who accessed my records" lists it.
			assert!(e.action.is_access());
			assert_eq!(LogAction::DocumentRead.request(), None);
			// The event carries the whole entry, request included.
			let served = LogAction::DocumentServed { request: REQUEST };
			let last = System::events().pop().unwrap().event;
			assert!(matches!(
				last,
				RuntimeEvent::AccessLog(Event::EntryAppended { ref entry, .. })
					if entry.action == served
			));
		});
	}

	#[test]
	fn a_served_read_is_refused_where_a_served_log_read_is() {
		test(|| {
			// Deleted, not the anchor, kept by the patient, kept by another hospital, unknown.
			for (record, error) in [
				(10, Error::<Test>::RecordDeleted),
				(11, Error::<Test>::NotTheAnchor),
				(8, Error::<Test>::NotCustodian),
				(9, Error::<Test>::NotCustodian),
				(77, Error::<Test>::RecordNotFound),
			] {
				let read =
					AccessLog::log_read(signed(GATEWAY), record, DOCTOR, Purpose::Treatment, true);
				assert_noop!(log_served(GATEWAY, record), error);
				assert_eq!(log_served(GATEWAY, record), read, "record {record}");
			}
			assert_noop!(log_served(OTHER_GATEWAY, 7), Error::<Test>::NotCustodian);
			assert_noop!(
				AccessLog::log_served(
					RuntimeOrigin::none(),
					7,
					DOCTOR,
					Purpose::Treatment,
					REQUEST
				),
				sp_runtime::DispatchError::BadOrigin
			);
			assert!(logged(PATIENT).is_empty());
		});
	}

	#[test]
	fn only_an_active_gateway_logs_a_served_read() {
		test(|| {
			// A doctor, a patient and an account the chain does not know.
			for who in [DOCTOR, PATIENT, 5000] {
				assert_noop!(log_served(who, 7), Error::<Test>::NotAGateway);
			}
			assert_ok!(Registry::set_staff_status(signed(10), GATEWAY, StaffStatus::Suspended));
			assert_noop!(log_served(GATEWAY, 7), Error::<Test>::NotAGateway);
			assert!(logged(PATIENT).is_empty());
		});
	}
}

mod batched {
	use super::*;
	use codec::{Decode, Encode};
	use frame_support::BoundedVec;

	const REQUEST: H256 = H256::repeat_byte(0x5e);

	fn served(record: u64, request: H256) -> ReadLog<u64> {
		ReadLog {
			record,
			accessor: DOCTOR,
			purpose: Purpose::Treatment,
			outcome: ReadOutcome::Served { request },
		}
	}

	fn refused(record: u64, accessor: u64) -> ReadLog<u64> {
		ReadLog { record, accessor, purpose: Purpose::Research, outcome: ReadOutcome::Refused }
	}

	fn log_reads(gateway: u64, entries: Vec<ReadLog<u64>>) -> sp_runtime::DispatchResult {
		let entries: BoundedVec<_, _> = entries.try_into().expect("at most MAX_READS");
		AccessLog::log_reads(signed(gateway), entries)
	}

	/// The `EntryAppended` events deposited so far, in order.
	fn appended() -> Vec<(LogEntry<u64, u64>, H256)> {
		System::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::AccessLog(Event::EntryAppended { entry, hash }) => {
					Some((entry, hash))
				},
				_ => None,
			})
			.collect()
	}

	#[test]
	fn a_batch_logs_every_read_in_order_linked_by_hash() {
		test(|| {
			let before = append(PATIENT, LogAction::RecordAdded, Subject::Record(7));
			let second = H256::repeat_byte(0x77);
			assert_ok!(log_reads(
				GATEWAY,
				vec![served(7, REQUEST), refused(7, PATIENT_2), served(7, second)]
			));
			let entries = logged(PATIENT);
			assert_eq!(entries.len(), 4);
			let reads = &entries[1..];
			assert_eq!(
				reads.iter().map(|e| e.action).collect::<Vec<_>>(),
				vec![
					LogAction::DocumentServed { request: REQUEST },
					LogAction::ReadDenied,
					LogAction::DocumentServed { request: second },
				]
			);
			// Each entry as the single calls make it: accessor, hospital, record, purpose,
			// source.
			assert_eq!(
				(reads[0].actor, reads[0].hospital, reads[0].source),
				(DOCTOR, Some(0), Some(0))
			);
			assert_eq!(
				(reads[0].subject.clone(), reads[0].purpose),
				(Subject::Record(7), Some(Purpose::Treatment))
			);
			assert_eq!((reads[1].actor, reads[1].hospital), (PATIENT_2, None));
			assert_eq!(reads[1].purpose, Some(Purpose::Research));
			// Linked one to the next, from the entry before the batch, up to the head.
			assert_eq!(reads[0].prev, before);
			assert_eq!(reads[1].prev, reads[0].hash());
			assert_eq!(reads[2].prev, reads[1].hash());
			assert_eq!(Heads::<Test>::get(PATIENT), Head { count: 4, last: reads[2].hash() });
			assert_eq!(
				verify(&PATIENT, &entries, H256::zero(), &Heads::<Test>::get(PATIENT)),
				Ok(())
			);
			assert_eq!(GlobalHead::<Test>::get().count, 4);
			// One event an entry, in order, with its hash.
			let events = appended();
			assert_eq!(events.len(), 4);
			for ((entry, hash), kept) in events[1..].iter().zip(reads) {
				assert_eq!((entry, *hash), (kept, kept.hash()));
			}
		});
	}

	#[test]
	fn a_batch_is_the_same_as_the_single_calls() {
		// The same reads, logged one by one and as a batch, make the same log.
		let one_by_one = {
			let mut log = Vec::new();
			test(|| {
				assert_ok!(AccessLog::log_served(
					signed(GATEWAY),
					7,
					DOCTOR,
					Purpose::Treatment,
					REQUEST
				));
				assert_ok!(AccessLog::log_read(
					signed(GATEWAY),
					7,
					PATIENT_2,
					Purpose::Research,
					false
				));
				log = logged(PATIENT);
			});
			log
		};
		test(|| {
			assert_ok!(log_reads(GATEWAY, vec![served(7, REQUEST), refused(7, PATIENT_2)]));
			assert_eq!(logged(PATIENT), one_by_one);
		});
	}

	#[test]
	fn one_bad_entry_refuses_the_whole_batch_and_logs_nothing() {
		test(|| {
			assert_ok!(Registry::appoint_delegate(signed(PATIENT), 5555));
			// The first entry is fine every time; the second fails as its single call would.
			let good = served(7, REQUEST);
			for (bad, error) in [
				// Kept by another hospital, or by the patient.
				(served(9, REQUEST), Error::<Test>::NotCustodian),
				(refused(8, PATIENT_2), Error::<Test>::NotCustodian),
				// Deleted: its document is destroyed.
				(served(10, REQUEST), Error::<Test>::RecordDeleted),
				// Repeats another record's commitment.
				(served(11, REQUEST), Error::<Test>::NotTheAnchor),
				// No such record.
				(refused(77, PATIENT_2), Error::<Test>::RecordNotFound),
				// A refusal of an account the chain does not know.
				(refused(7, 5000), Error::<Test>::UnknownAccessor),
			] {
				let error = sp_runtime::DispatchError::from(error);
				assert_noop!(log_reads(GATEWAY, vec![good.clone(), bad.clone()]), error);
				// The bad entry is refused alone as its single call refuses it.
				assert_noop!(log_reads(GATEWAY, vec![bad]), error);
			}
			// The first bad entry names the error.
			assert_noop!(
				log_reads(GATEWAY, vec![good, served(10, REQUEST), refused(7, 5000)]),
				Error::<Test>::RecordDeleted
			);
			// A refusal of a deleted record and of a delegate is fine.
			assert_ok!(log_reads(GATEWAY, vec![refused(10, 5555)]));
			assert_eq!(logged(PATIENT).len(), 1);
		});
	}

	#[test]
	fn only_the_custodians_active_gateway_logs_a_batch() {
		test(|| {
			let batch = || vec![served(7, REQUEST), refused(7, PATIENT_2)];
			// Another hospital's gateway: not the custodian of record 7.
			assert_noop!(log_reads(OTHER_GATEWAY, batch()), Error::<Test>::NotCustodian);
			// A doctor, a patient and an account the chain does not know.
			for who in [DOCTOR, PATIENT, 5000] {
				assert_noop!(log_reads(who, batch()), Error::<Test>::NotAGateway);
			}
			// A batch mixing records of two custodians is refused by either gateway.
			assert_noop!(
				log_reads(GATEWAY, vec![served(7, REQUEST), served(9, REQUEST)]),
				Error::<Test>::NotCustodian
			);
			assert_noop!(
				log_reads(OTHER_GATEWAY, vec![served(9, REQUEST), served(7, REQUEST)]),
				Error::<Test>::NotCustodian
			);
			let entries: BoundedVec<_, _> = batch().try_into().unwrap();
			assert_noop!(
				AccessLog::log_reads(RuntimeOrigin::none(), entries),
				sp_runtime::DispatchError::BadOrigin
			);
			assert_ok!(Registry::set_staff_status(signed(10), GATEWAY, StaffStatus::Suspended));
			assert_noop!(log_reads(GATEWAY, batch()), Error::<Test>::NotAGateway);
			assert!(logged(PATIENT).is_empty());
		});
	}

	#[test]
	fn an_empty_batch_is_refused() {
		test(|| {
			assert_noop!(log_reads(GATEWAY, vec![]), Error::<Test>::NoReads);
		});
	}

	#[test]
	fn more_reads_than_the_bound_do_not_decode() {
		test(|| {
			let entries = vec![served(7, REQUEST); MAX_READS as usize + 1];
			// Built in code, the bound refuses it...
			assert!(BoundedVec::<_, frame_support::traits::ConstU32<MAX_READS>>::try_from(
				entries.clone()
			)
			.is_err());
			// ...and a call carrying it, encoded as an unbounded list, does not decode.
			let mut call = crate::Call::<Test>::log_reads {
				entries: vec![served(7, REQUEST)].try_into().unwrap(),
			}
			.encode();
			// Same call index, then the over-long list.
			call.truncate(1);
			entries.encode_to(&mut call);
			assert!(crate::Call::<Test>::decode(&mut &call[..]).is_err());
			// At the bound it decodes.
			let mut at_bound = call[..1].to_vec();
			vec![served(7, REQUEST); MAX_READS as usize].encode_to(&mut at_bound);
			assert!(crate::Call::<Test>::decode(&mut &at_bound[..]).is_ok());
			assert!(logged(PATIENT).is_empty());
		});
	}
}

mod erasure {
	use super::*;

	#[test]
	fn the_custodians_gateway_logs_the_erasure_of_a_deleted_record() {
		test(|| {
			assert_ok!(AccessLog::log_erasure(signed(GATEWAY), 10));
			let entries = logged(PATIENT);
			assert_eq!(entries.len(), 1);
			assert_eq!(entries[0].action, LogAction::DocumentErased);
			assert_eq!((entries[0].actor, entries[0].hospital), (GATEWAY, Some(0)));
			assert_eq!(entries[0].source, Some(0));
			assert_eq!(entries[0].subject, Subject::Record(10));
			assert_eq!(entries[0].purpose, None);
			assert!(!LogAction::DocumentErased.is_access());
			// A refused read of a deleted record is still logged; a served one cannot be.
			assert_ok!(AccessLog::log_read(signed(GATEWAY), 10, DOCTOR, Purpose::Treatment, false));
			assert_eq!(logged(PATIENT)[1].action, LogAction::ReadDenied);
		});
	}

	#[test]
	fn erasure_is_refused_unless_deleted_and_by_the_custodians_gateway() {
		test(|| {
			assert_noop!(
				AccessLog::log_erasure(signed(GATEWAY), 7),
				Error::<Test>::RecordNotDeleted
			);
			assert_noop!(
				AccessLog::log_erasure(signed(OTHER_GATEWAY), 10),
				Error::<Test>::NotCustodian
			);
			assert_noop!(AccessLog::log_erasure(signed(DOCTOR), 10), Error::<Test>::NotAGateway);
			assert_noop!(
				AccessLog::log_erasure(signed(GATEWAY), 77),
				Error::<Test>::RecordNotFound
			);
			assert_noop!(
				AccessLog::log_erasure(RuntimeOrigin::none(), 10),
				sp_runtime::DispatchError::BadOrigin
			);
			assert_noop!(
				AccessLog::log_read(signed(GATEWAY), 10, DOCTOR, Purpose::Treatment, true),
				Error::<Test>::RecordDeleted
			);
		});
	}
}

mod verification {
	use super::*;

	/// Six entries of `PATIENT`, from the events.
	fn log_of_six() -> (Vec<LogEntry<u64, u64>>, Head) {
		let mut entries = Vec::new();
		for i in 0..6 {
			System::set_block_number(i + 1);
			append(PATIENT, LogAction::RecordAdded, Subject::Record(i));
			// The whole history, as an indexer reads it from the events.
			if let RuntimeEvent::AccessLog(Event::EntryAppended { entry, .. }) =
				System::events().pop().unwrap().event
			{
				entries.push(entry);
			}
		}
		(entries, Heads::<Test>::get(PATIENT))
	}

	#[test]
	fn the_whole_history_from_events_verifies() {
		test(|| {
			let (entries, head) = log_of_six();
			assert_eq!(verify(&PATIENT, &entries, H256::zero(), &head), Ok(()));
			// A suffix verifies from the hash before it.
			assert_eq!(verify(&PATIENT, &entries[3..], entries[2].hash(), &head), Ok(()));
		});
	}

	#[test]
	fn a_modified_entry_breaks_the_next_link() {
		test(|| {
			let (mut entries, head) = log_of_six();
			entries[2].actor = 4242;
			assert_eq!(
				verify(&PATIENT, &entries, H256::zero(), &head),
				Err(VerifyError::BrokenLink { index: 3, seq: 3 })
			);
			let (mut entries, head) = (entries.clone(), head);
			entries[2].actor = DOCTOR;
			entries[5].action = LogAction::ReadDenied;
			assert!(matches!(
				verify(&PATIENT, &entries, H256::zero(), &head),
				Err(VerifyError::HeadMismatch { .. })
			));
		});
	}

	#[test]
	fn a_removed_reordered_or_inserted_entry_is_found() {
		test(|| {
			let (entries, head) = log_of_six();
			let mut removed = entries.clone();
			removed.remove(2);
			assert_eq!(
				verify(&PATIENT, &removed, H256::zero(), &head),
				Err(VerifyError::OutOfSequence { index: 2, expected: 2, found: 3 })
			);
			let mut reordered = entries.clone();
			reordered.swap(1, 2);
			assert_eq!(
				verify(&PATIENT, &reordered, H256::zero(), &head),
				Err(VerifyError::OutOfSequence { index: 1, expected: 1, found: 2 })
			);
			// A forged entry with the right number and link, slipped in before entry 3.
			let mut inserted = entries.clone();
			let mut forged = entries[3].clone();
			forged.action = LogAction::RecordDeleted;
			inserted.insert(3, forged);
			assert_eq!(
				verify(&PATIENT, &inserted, H256::zero(), &head),
				Err(VerifyError::OutOfSequence { index: 4, expected: 4, found: 3 })
			);
			// A forged entry appended at the end does not match the head.
			let mut appended = entries.clone();
			let mut extra = entries[5].clone();
			extra.seq = 6;
			extra.prev = entries[5].hash();
			appended.push(extra);
			assert!(matches!(
				verify(&PATIENT, &appended, H256::zero(), &head),
				Err(VerifyError::HeadMismatch { computed: Head { count: 7, .. }, .. })
			));
			// Truncating the end is caught too.
			assert!(matches!(
				verify(&PATIENT, &entries[..5], H256::zero(), &head),
				Err(VerifyError::HeadMismatch { .. })
			));
			// Another patient's entry in the list.
			let mut foreign = entries.clone();
			foreign[4].patient = PATIENT_2;
			assert_eq!(
				verify(&PATIENT, &foreign, H256::zero(), &head),
				Err(VerifyError::WrongPatient { index: 4, seq: 4 })
			);
			// A wrong anchor breaks the first link.
			assert_eq!(
				verify(&PATIENT, &entries, H256::repeat_byte(1), &head),
				Err(VerifyError::BrokenLink { index: 0, seq: 0 })
			);
		});
	}
}

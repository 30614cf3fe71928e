//! The gateway's journal of read attempts to log: every document it serves, and every refusal
//! it logs on chain, is written here (and synced) before it answers; a background task logs
//! the journal on chain in `accessLog.logReads` batches and marks entries done once their
//! batch is in a finalized block.
//!
//! One append-only text file, `<store>/journal`, one record a line:
//!
//! ```text
//! E <id> <queued ms> <alone 0|1> <hex SCALE(ReadLog)>   an attempt to log
//! B <xt hash> <nonce> <from> <sent ms> <ids, comma-separated> <hex extrinsic>
//!                                          a batch signed with that nonce, written before
//!                                          the node sees it; `from`: the finalized block then
//! F <xt hash>                              the batch is in a finalized block: its entries done
//! X <xt hash>                              a finalized block used the nonce for another
//!                                          extrinsic: the batch never lands, its entries wait
//!                                          for another batch
//! R <xt hash> <error>                      the chain refused the batch (its dispatch failed):
//!                                          its entries wait, each to go alone
//! C <message>                              the journal is closed for this reason (compaction)
//! ```
//!
//! No entry is logged twice: an entry goes into a new batch only once its last batch is known
//! not to land (`X`, `R`), and a batch lands at most once, since it is one signed extrinsic
//! with one nonce (a batch in flight is resubmitted as the same bytes, never re-signed). On
//! restart the file is replayed: an entry whose batch is finalized is done, one whose batch is
//! still in flight waits for it to settle, any other is batched again.
//!
//! The file is rewritten with the live records only (synced, then renamed over the old one)
//! when no entry is left, when it holds many more lines than live records, and on opening. A
//! line a crash cut short is skipped: its entry's append never returned, so nothing was
//! served on it.
//!
//! **Fail closed**: [`Journal::closed`] says why the gateway must stop serving documents: the
//! chain refused a batch (until the refused entries are logged), more entries wait than a
//! bound, or the oldest waiting entry is older than a bound.

use std::{
	collections::BTreeMap,
	fs,
	io::{self, Write},
	path::{Path, PathBuf},
};

use codec::{Decode, Encode};
use ehr_client::runtime::{AccountId, Nonce};
use pallet_access_log::ReadLog;
use sp_core::H256;

/// A read attempt to log, as the journal keeps it.
pub type Entry = ReadLog<AccountId>;

/// How long entries that the chain refused wait before they are sent again (each alone), in
/// ms: a refusal that the operator or the chain must fix is not retried every block.
pub const RETRY_REFUSED_MS: u64 = 30_000;

/// An entry waiting to be logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
	/// What to log.
	pub entry: Entry,
	/// When it was journaled (ms since the epoch).
	pub queued_ms: u64,
	/// The batch it was last sent in, while that batch may still land.
	pub batch: Option<H256>,
	/// Sent in a batch of its own: a batch holding it was refused by the chain.
	pub alone: bool,
}

/// A batch sent, until it is known to be finalized or never to land.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
	/// The extrinsic's hash.
	pub hash: H256,
	/// Its nonce.
	pub nonce: Nonce,
	/// The finalized block when it was signed: it can only be in a later one.
	pub from: u32,
	/// When it was last submitted (ms since the epoch).
	pub sent_ms: u64,
	/// The journal ids of its entries, in order.
	pub ids: Vec<u64>,
	/// The signed extrinsic (SCALE): what is resubmitted while it is in flight.
	pub xt: Vec<u8>,
}

/// One record of the journal file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Record {
	Entry { id: u64, queued_ms: u64, alone: bool, entry: Entry },
	Sent(Batch),
	Finalized(H256),
	NotIncluded(H256),
	Refused(H256, String),
	Closed(String),
}

impl Record {
	fn line(&self) -> String {
		match self {
			Record::Entry { id, queued_ms, alone, entry } => {
				format!("E {id} {queued_ms} {} {}\n", u8::from(*alone), hex::encode(entry.encode()))
			},
			Record::Sent(b) => {
				let ids: Vec<String> = b.ids.iter().map(u64::to_string).collect();
				format!(
					"B {} {} {} {} {} {}\n",
					hex::encode(b.hash.as_bytes()),
					b.nonce,
					b.from,
					b.sent_ms,
					ids.join(","),
					hex::encode(&b.xt)
				)
			},
			Record::Finalized(h) => format!("F {}\n", hex::encode(h.as_bytes())),
			Record::NotIncluded(h) => format!("X {}\n", hex::encode(h.as_bytes())),
			Record::Refused(h, e) => format!("R {} {}\n", hex::encode(h.as_bytes()), one_line(e)),
			Record::Closed(m) => format!("C {}\n", one_line(m)),
		}
	}

	/// Parses a line; `None` for a damaged one.
	fn parse(line: &str) -> Option<Record> {
		let (kind, rest) = line.split_once(' ')?;
		let mut parts = rest.split(' ');
		let record = match kind {
			"E" => {
				let id = parts.next()?.parse().ok()?;
				let queued_ms = parts.next()?.parse().ok()?;
				let alone = match parts.next()? {
					"0" => false,
					"1" => true,
					_ => return None,
				};
				let bytes = hex::decode(parts.next()?).ok()?;
				let entry = Entry::decode(&mut &bytes[..]).ok()?;
				Record::Entry { id, queued_ms, alone, entry }
			},
			"B" => {
				let hash = parse_hash(parts.next()?)?;
				let nonce = parts.next()?.parse().ok()?;
				let from = parts.next()?.parse().ok()?;
				let sent_ms = parts.next()?.parse().ok()?;
				let ids = parts
					.next()?
					.split(',')
					.map(|i| i.parse().ok())
					.collect::<Option<Vec<u64>>>()?;
				let xt = hex::decode(parts.next()?).ok()?;
				Record::Sent(Batch { hash, nonce, from, sent_ms, ids, xt })
			},
			"F" => Record::Finalized(parse_hash(parts.next()?)?),
			"X" => Record::NotIncluded(parse_hash(parts.next()?)?),
			"R" => {
				let (hash, error) = rest.split_once(' ')?;
				Record::Refused(parse_hash(hash)?, error.to_string())
			},
			"C" => Record::Closed(rest.to_string()),
			_ => return None,
		};
		Some(record)
	}
}

fn parse_hash(s: &str) -> Option<H256> {
	let b = <[u8; 32]>::try_from(hex::decode(s).ok()?).ok()?;
	Some(H256(b))
}

/// `s` on one line, so that it fits a record.
fn one_line(s: &str) -> String {
	s.replace(['\n', '\r'], " ")
}

/// The journal of one gateway.
pub struct Journal {
	path: PathBuf,
	file: fs::File,
	/// The entries not yet logged, by id (in the order they were journaled).
	entries: BTreeMap<u64, Queued>,
	/// The batches in flight, by extrinsic hash.
	batches: BTreeMap<H256, Batch>,
	next_id: u64,
	/// Why the chain refused the last batch refused, until its entries are logged.
	refused: Option<String>,
	/// Refused entries are not sent again before this time (ms; not kept across restarts).
	hold_until: u64,
	/// Lines in the file.
	lines: usize,
}

impl Journal {
	/// Opens (creating if needed) the journal in `dir` and replays it.
	pub fn open(dir: &Path) -> io::Result<Journal> {
		fs::create_dir_all(dir)?;
		let path = dir.join("journal");
		let text = match fs::read(&path) {
			Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
			Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
			Err(e) => return Err(e),
		};
		let file = fs::OpenOptions::new().create(true).append(true).open(&path)?;
		let mut journal = Journal {
			path,
			file,
			entries: BTreeMap::new(),
			batches: BTreeMap::new(),
			next_id: 0,
			refused: None,
			hold_until: 0,
			lines: 0,
		};
		for record in text.lines().filter_map(Record::parse) {
			journal.apply(record, 0);
		}
		// The operator may have removed a refused entry the chain will never take: with no
		// refused entry left, the journal opens.
		if !journal.entries.values().any(|q| q.alone) {
			journal.refused = None;
		}
		journal.compact()?;
		Ok(journal)
	}

	/// Applies `record` to the state; `now_ms` for a refusal's hold.
	fn apply(&mut self, record: Record, now_ms: u64) {
		match record {
			Record::Entry { id, queued_ms, alone, entry } => {
				self.entries.insert(id, Queued { entry, queued_ms, batch: None, alone });
				self.next_id = self.next_id.max(id.saturating_add(1));
			},
			Record::Sent(batch) => {
				for id in &batch.ids {
					if let Some(q) = self.entries.get_mut(id) {
						q.batch = Some(batch.hash);
					}
				}
				self.batches.insert(batch.hash, batch);
			},
			Record::Finalized(hash) => {
				if let Some(batch) = self.batches.remove(&hash) {
					for id in &batch.ids {
						self.entries.remove(id);
					}
				}
				if !self.entries.values().any(|q| q.alone) {
					self.refused = None;
				}
			},
			Record::NotIncluded(hash) => {
				if let Some(batch) = self.batches.remove(&hash) {
					for id in &batch.ids {
						if let Some(q) = self.entries.get_mut(id) {
							q.batch = None;
						}
					}
				}
			},
			Record::Refused(hash, error) => {
				if let Some(batch) = self.batches.remove(&hash) {
					for id in &batch.ids {
						if let Some(q) = self.entries.get_mut(id) {
							q.batch = None;
							q.alone = true;
						}
					}
				}
				self.refused = Some(error);
				self.hold_until = now_ms.saturating_add(RETRY_REFUSED_MS);
			},
			Record::Closed(message) => self.refused = Some(message),
		}
	}

	/// Writes `record` (synced before this returns), then applies it.
	fn write(&mut self, record: Record, now_ms: u64) -> io::Result<()> {
		self.file.write_all(record.line().as_bytes())?;
		self.file.sync_data()?;
		self.lines = self.lines.saturating_add(1);
		self.apply(record, now_ms);
		if self.entries.is_empty() || self.lines > 2 * self.live() + 4096 {
			self.compact()?;
		}
		Ok(())
	}

	/// Records that make up the current state.
	fn live(&self) -> usize {
		self.entries.len() + self.batches.len() + usize::from(self.refused.is_some())
	}

	/// Rewrites the file with the current state only (synced, then renamed over the old
	/// one) and appends to the new file from then on.
	fn compact(&mut self) -> io::Result<()> {
		let mut text = String::new();
		for (id, q) in &self.entries {
			let record = Record::Entry {
				id: *id,
				queued_ms: q.queued_ms,
				alone: q.alone,
				entry: q.entry.clone(),
			};
			text.push_str(&record.line());
		}
		for batch in self.batches.values() {
			text.push_str(&Record::Sent(batch.clone()).line());
		}
		if let Some(message) = &self.refused {
			text.push_str(&Record::Closed(message.clone()).line());
		}
		let tmp = self.path.with_extension("tmp");
		{
			let mut f = fs::File::create(&tmp)?;
			f.write_all(text.as_bytes())?;
			f.sync_all()?;
		}
		fs::rename(&tmp, &self.path)?;
		if let Some(parent) = self.path.parent() {
			fs::File::open(parent)?.sync_all()?;
		}
		self.file = fs::OpenOptions::new().append(true).open(&self.path)?;
		self.lines = self.live();
		// Ids restart once nothing refers to them.
		if self.entries.is_empty() && self.batches.is_empty() {
			self.next_id = 0;
		}
		Ok(())
	}

	/// Journals `entry` (on disk, synced, before this returns); its id.
	pub fn append(&mut self, entry: Entry, now_ms: u64) -> io::Result<u64> {
		let id = self.next_id;
		self.write(Record::Entry { id, queued_ms: now_ms, alone: false, entry }, now_ms)?;
		Ok(id)
	}

	/// The next entries to send, in order, with their ids: the entries in no batch from the
	/// oldest on, at most `max`, stopping before one the chain refused (which goes alone, and
	/// not before [`RETRY_REFUSED_MS`] after the refusal).
	pub fn next_batch(&self, max: usize, now_ms: u64) -> Vec<(u64, Entry)> {
		let mut out = Vec::new();
		for (id, q) in self.entries.iter().filter(|(_, q)| q.batch.is_none()) {
			if out.len() >= max {
				break;
			}
			if q.alone {
				if out.is_empty() && now_ms >= self.hold_until {
					out.push((*id, q.entry.clone()));
				}
				break;
			}
			out.push((*id, q.entry.clone()));
		}
		out
	}

	/// Records that `batch` was signed (synced before this returns): from here on it may
	/// land, so its entries go into no other batch until it settles.
	pub fn sent(&mut self, batch: Batch, now_ms: u64) -> io::Result<()> {
		self.write(Record::Sent(batch), now_ms)
	}

	/// Notes that batch `hash` was submitted again at `now_ms` (not written: on restart every
	/// batch in flight is resubmitted).
	pub fn resent(&mut self, hash: &H256, now_ms: u64) {
		if let Some(b) = self.batches.get_mut(hash) {
			b.sent_ms = now_ms;
		}
	}

	/// Batch `hash` is in a finalized block and its dispatch succeeded: its entries are done.
	pub fn finalized(&mut self, hash: H256, now_ms: u64) -> io::Result<()> {
		self.write(Record::Finalized(hash), now_ms)
	}

	/// A finalized block used batch `hash`'s nonce for another extrinsic: it never lands.
	pub fn not_included(&mut self, hash: H256, now_ms: u64) -> io::Result<()> {
		self.write(Record::NotIncluded(hash), now_ms)
	}

	/// The chain refused batch `hash` (its dispatch failed with `error`): its entries wait,
	/// each to go alone, and the journal is closed until they are logged.
	pub fn refused(&mut self, hash: H256, error: &str, now_ms: u64) -> io::Result<()> {
		self.write(Record::Refused(hash, one_line(error)), now_ms)
	}

	/// The batches in flight, oldest nonce first.
	pub fn in_flight(&self) -> Vec<Batch> {
		let mut v: Vec<Batch> = self.batches.values().cloned().collect();
		v.sort_by_key(|b| b.nonce);
		v
	}

	/// Entries not yet logged.
	pub fn pending(&self) -> usize {
		self.entries.len()
	}

	/// Why no document may be served now, if it may not: the chain refused a batch, more
	/// than `max_pending` entries wait, or the oldest has waited longer than `max_age_ms`.
	pub fn closed(&self, now_ms: u64, max_age_ms: u64, max_pending: usize) -> Option<String> {
		if let Some(error) = &self.refused {
			return Some(format!(
				"the chain refused the gateway's access-log entries ({error}); no document is \
				 served until they are logged"
			));
		}
		if self.entries.len() > max_pending {
			return Some(format!(
				"{} read attempts wait to be logged on chain, more than {max_pending}",
				self.entries.len()
			));
		}
		let oldest = self.entries.values().map(|q| q.queued_ms).min()?;
		let age = now_ms.saturating_sub(oldest);
		(age > max_age_ms).then(|| {
			format!(
				"the oldest read attempt has waited {age} ms to be logged on chain, more than \
				 {max_age_ms} ms"
			)
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_access_log::{Purpose, ReadOutcome};

	fn served(record: u64) -> Entry {
		ReadLog {
			record,
			accessor: AccountId::from([4u8; 32]),
			purpose: Purpose::Treatment,
			outcome: ReadOutcome::Served { request: H256::repeat_byte(record as u8) },
		}
	}

	fn refused(record: u64) -> Entry {
		ReadLog {
			record,
			accessor: AccountId::from([5u8; 32]),
			purpose: Purpose::Research,
			outcome: ReadOutcome::Refused,
		}
	}

	fn batch(j: &Journal, nonce: Nonce, max: usize) -> Batch {
		let ids = j.next_batch(max, 0).into_iter().map(|(id, _)| id).collect();
		Batch {
			hash: H256::from_low_u64_be(u64::from(nonce) + 1),
			nonce,
			from: 10,
			sent_ms: 0,
			ids,
			xt: vec![nonce as u8; 8],
		}
	}

	fn file(dir: &Path) -> String {
		fs::read_to_string(dir.join("journal")).unwrap()
	}

	#[test]
	fn an_entry_is_on_disk_when_append_returns() {
		let dir = tempfile::tempdir().unwrap();
		let mut j = Journal::open(dir.path()).unwrap();
		let id = j.append(served(7), 1_000).unwrap();
		// Read back by another handle, as after a crash: the entry is there, whole.
		let text = file(dir.path());
		assert_eq!(text.lines().count(), 1);
		assert_eq!(
			Record::parse(text.lines().next().unwrap()),
			Some(Record::Entry { id, queued_ms: 1_000, alone: false, entry: served(7) })
		);
		assert_eq!(j.pending(), 1);
	}

	#[test]
	fn a_restart_replays_what_is_not_done_and_logs_nothing_twice() {
		let dir = tempfile::tempdir().unwrap();
		let (first, second);
		{
			let mut j = Journal::open(dir.path()).unwrap();
			for r in 0..5 {
				j.append(if r % 2 == 0 { served(r) } else { refused(r) }, 1_000).unwrap();
			}
			// Two batches: the first lands, the second is in flight at the crash.
			first = batch(&j, 0, 2);
			j.sent(first.clone(), 1_100).unwrap();
			second = batch(&j, 1, 2);
			assert_eq!(second.ids, vec![2, 3], "the next batch takes the next entries");
			j.sent(second.clone(), 1_200).unwrap();
			j.finalized(first.hash, 1_300).unwrap();
		}
		let j = Journal::open(dir.path()).unwrap();
		// The finalized batch's entries are done; the batch in flight is still in flight,
		// with its nonce and bytes, so it is resubmitted as it was, never re-signed.
		assert_eq!(j.pending(), 3);
		assert_eq!(j.in_flight(), vec![second.clone()]);
		// Only the entry in no batch is sent in a new one.
		assert_eq!(j.next_batch(10, 2_000), vec![(4, served(4))]);
		// A line a crash cut short is skipped.
		let mut text = file(dir.path());
		text.push_str("E 9 1000 0 0a0b");
		fs::write(dir.path().join("journal"), text).unwrap();
		drop(j);
		let mut j = Journal::open(dir.path()).unwrap();
		assert_eq!(j.pending(), 3);
		// The batch in flight never lands (its nonce went to another extrinsic): its
		// entries go into a new batch, in order.
		j.not_included(second.hash, 3_000).unwrap();
		assert_eq!(
			j.next_batch(10, 3_000).into_iter().map(|(id, _)| id).collect::<Vec<_>>(),
			vec![2, 3, 4]
		);
	}

	#[test]
	fn the_file_is_compacted_once_everything_is_logged() {
		let dir = tempfile::tempdir().unwrap();
		let mut j = Journal::open(dir.path()).unwrap();
		for r in 0..3 {
			j.append(served(r), 1_000).unwrap();
		}
		let b = batch(&j, 0, 10);
		j.sent(b.clone(), 1_000).unwrap();
		assert_eq!(file(dir.path()).lines().count(), 4);
		j.finalized(b.hash, 2_000).unwrap();
		assert_eq!(j.pending(), 0);
		assert_eq!(file(dir.path()), "", "nothing left to replay");
		// Appends go on into the new file.
		let id = j.append(served(9), 3_000).unwrap();
		assert_eq!(id, 0);
		assert_eq!(file(dir.path()).lines().count(), 1);
		let j = Journal::open(dir.path()).unwrap();
		assert_eq!(j.next_batch(10, 3_000), vec![(0, served(9))]);
	}

	#[test]
	fn a_long_journal_is_compacted_to_its_live_records() {
		let dir = tempfile::tempdir().unwrap();
		let mut j = Journal::open(dir.path()).unwrap();
		// One entry always waits; thousands pass through.
		j.append(served(0), 0).unwrap();
		for n in 0..1_500u32 {
			j.append(served(1), 0).unwrap();
			let ids: Vec<u64> = j.next_batch(10, 0).into_iter().map(|(id, _)| id).skip(1).collect();
			let hash = H256::from_low_u64_be(u64::from(n) + 1);
			let b = Batch { hash, nonce: n, from: 0, sent_ms: 0, ids, xt: vec![] };
			j.sent(b, 0).unwrap();
			j.finalized(hash, 0).unwrap();
		}
		assert_eq!(j.pending(), 1);
		assert!(file(dir.path()).lines().count() <= 2 * 2 + 4096 + 1);
		let j = Journal::open(dir.path()).unwrap();
		assert_eq!(j.pending(), 1);
		assert_eq!(file(dir.path()).lines().count(), 1);
	}

	#[test]
	fn it_closes_when_entries_wait_too_long_or_too_many() {
		let dir = tempfile::tempdir().unwrap();
		let mut j = Journal::open(dir.path()).unwrap();
		assert_eq!(j.closed(100_000, 60_000, 3), None);
		j.append(served(1), 10_000).unwrap();
		j.append(served(2), 20_000).unwrap();
		assert_eq!(j.closed(70_000, 60_000, 3), None);
		// The oldest has waited 60,001 ms.
		let why = j.closed(70_001, 60_000, 3).unwrap();
		assert!(why.contains("60001 ms"), "{why}");
		j.append(served(3), 70_000).unwrap();
		j.append(served(4), 70_000).unwrap();
		let why = j.closed(20_000, 60_000, 3).unwrap();
		assert!(why.contains("4 read attempts"), "{why}");
		// Once logged, it opens again.
		let b = batch(&j, 0, 10);
		j.sent(b.clone(), 70_000).unwrap();
		j.finalized(b.hash, 70_002).unwrap();
		assert_eq!(j.closed(70_002, 60_000, 3), None);
	}

	#[test]
	fn a_refused_batch_closes_it_until_each_entry_is_logged_alone() {
		let dir = tempfile::tempdir().unwrap();
		let mut j = Journal::open(dir.path()).unwrap();
		for r in 0..3 {
			j.append(served(r), 1_000).unwrap();
		}
		let b = batch(&j, 0, 10);
		j.sent(b.clone(), 1_000).unwrap();
		j.refused(b.hash, "Module(RecordDeleted)\nsecond line", 2_000).unwrap();
		let why = j.closed(2_000, 60_000, 100).unwrap();
		assert!(why.contains("RecordDeleted"), "{why}");
		// Nothing goes before the hold, then one entry alone.
		assert!(j.next_batch(10, 2_000 + RETRY_REFUSED_MS - 1).is_empty());
		let later = 2_000 + RETRY_REFUSED_MS;
		assert_eq!(j.next_batch(10, later), vec![(0, served(0))]);
		// Closed across a restart too.
		drop(j);
		let mut j = Journal::open(dir.path()).unwrap();
		assert!(j.closed(later, 60_000, 100).is_some());
		let alone = |j: &Journal, id: u64, nonce: Nonce| {
			let b = Batch {
				hash: H256::from_low_u64_be(100 + id),
				nonce,
				from: 0,
				sent_ms: 0,
				ids: vec![id],
				xt: vec![],
			};
			assert_eq!(j.next_batch(10, later), vec![(id, served(id))]);
			b
		};
		for id in 0..3 {
			let b = alone(&j, id, id as Nonce + 1);
			j.sent(b.clone(), later).unwrap();
			if id < 2 {
				assert!(j.closed(later, 60_000, 100).is_some());
			}
			j.finalized(b.hash, later).unwrap();
		}
		assert_eq!(j.closed(later, 60_000, 100), None);
		assert_eq!(j.pending(), 0);
	}

	#[test]
	fn removing_a_refused_entry_by_hand_opens_it_after_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		{
			let mut j = Journal::open(dir.path()).unwrap();
			j.append(served(0), 0).unwrap();
			j.append(served(1), 0).unwrap();
			let b = Batch {
				hash: H256::repeat_byte(1),
				nonce: 0,
				from: 0,
				sent_ms: 0,
				ids: vec![0],
				xt: vec![],
			};
			j.sent(b.clone(), 0).unwrap();
			j.refused(b.hash, "RecordDeleted", 0).unwrap();
		}
		// The operator deletes the refused entry's line.
		let kept: Vec<String> = file(dir.path())
			.lines()
			.filter(|l| !l.starts_with("E 0 "))
			.map(|l| format!("{l}\n"))
			.collect();
		fs::write(dir.path().join("journal"), kept.concat()).unwrap();
		let j = Journal::open(dir.path()).unwrap();
		assert_eq!(j.closed(0, 60_000, 100), None);
		assert_eq!(j.next_batch(10, 0), vec![(1, served(1))]);
	}

	#[test]
	fn entries_after_a_refused_one_wait_behind_it() {
		let dir = tempfile::tempdir().unwrap();
		let mut j = Journal::open(dir.path()).unwrap();
		j.append(served(0), 0).unwrap();
		let b = batch(&j, 0, 10);
		j.sent(b.clone(), 0).unwrap();
		j.append(served(1), 0).unwrap();
		j.refused(b.hash, "NotAGateway", 0).unwrap();
		// The refused entry goes first, alone; the next one only in a later batch.
		assert_eq!(j.next_batch(10, RETRY_REFUSED_MS), vec![(0, served(0))]);
	}
}

//! What a patient is told: the [`Kind`]s of access-log entry they subscribe to, and the
//! [`Notice`] of one entry (what, who, when, which record, why; no health data, which the chain
//! does not have anyway).

use std::{fmt, str::FromStr};

use codec::{Decode, Encode};
use ehr_runtime::{AccountId, BlockNumber};
use pallet_access_log::{LogAction, LogEntry, Purpose, Subject};
use serde::{Deserialize, Serialize};
use sp_core::H256;

/// An access-log entry as the runtime emits it in `accessLog.EntryAppended`.
pub type Entry = LogEntry<AccountId, BlockNumber>;

/// What a patient can subscribe to.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
	/// A doctor opened emergency (break-glass) access, ended it, or a privacy officer reviewed
	/// it.
	Emergency,
	/// A custodian's gateway served one of the patient's documents.
	Read,
	/// A custodian's gateway refused one of the patient's documents.
	Refusal,
	/// A grant of the patient was given or revoked.
	Grant,
}

impl Kind {
	/// Every kind.
	pub const ALL: [Kind; 4] = [Kind::Emergency, Kind::Read, Kind::Refusal, Kind::Grant];

	/// The kind an entry's action is of; `None`: no patient is told of it (records added,
	/// delegates, guardians, erasures).
	pub fn of(action: &LogAction) -> Option<Kind> {
		match action {
			LogAction::EmergencyOpened
			| LogAction::EmergencyEnded
			| LogAction::EmergencyReviewed { .. } => Some(Kind::Emergency),
			LogAction::DocumentRead | LogAction::DocumentServed { .. } => Some(Kind::Read),
			LogAction::ReadDenied => Some(Kind::Refusal),
			LogAction::ConsentGranted | LogAction::ConsentRevoked => Some(Kind::Grant),
			_ => None,
		}
	}

	/// Its name on the wire and on the command line.
	pub fn name(self) -> &'static str {
		match self {
			Kind::Emergency => "emergency",
			Kind::Read => "read",
			Kind::Refusal => "refusal",
			Kind::Grant => "grant",
		}
	}
}

impl fmt::Display for Kind {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(self.name())
	}
}

impl FromStr for Kind {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		Kind::ALL
			.into_iter()
			.find(|k| k.name() == s)
			.ok_or_else(|| format!("unknown kind {s:?} (emergency, read, refusal, grant)"))
	}
}

/// What a patient is sent about one access-log entry: the webhook's JSON body, and the e-mail's
/// text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
	/// Hash of the log entry (`0x` hex): the same for every delivery of the same entry, so that a
	/// receiver drops a repeated one (delivery is at least once).
	pub id: H256,
	/// The kind subscribed to.
	pub kind: Kind,
	/// The entry's action, as the access log names it (`emergencyOpened`, `documentServed`, ...).
	pub action: LogAction,
	/// What happened, in words.
	pub what: String,
	/// The patient (SS58).
	pub patient: String,
	/// Who acted: the accessor, the doctor who broke the glass, the officer (SS58).
	pub actor: String,
	/// The actor's hospital, if the actor is staff.
	pub hospital: Option<u32>,
	/// The hospital whose gateway served or refused the document.
	pub source: Option<u32>,
	/// The record read or refused, if the entry is about one.
	pub record: Option<u64>,
	/// What the entry refers to (a record, a grant, an emergency access, a party).
	pub subject: Subject<String>,
	/// Why (HL7 v3 purpose of use), where a purpose applies.
	pub purpose: Option<Purpose>,
	/// Finalized block of the entry.
	pub block: BlockNumber,
	/// Hash of that block.
	pub block_hash: H256,
	/// Time of that block, ms since the Unix epoch.
	pub timestamp: u64,
	/// Position of the entry in the patient's log.
	pub seq: u64,
}

impl Notice {
	/// The notice of `entry` (whose hash is `hash`) in finalized block `block_hash`; `None` if no
	/// patient is told of its action.
	pub fn of(entry: &Entry, hash: H256, block_hash: H256) -> Option<Notice> {
		let kind = Kind::of(&entry.action)?;
		let record = match entry.subject {
			Subject::Record(id) => Some(id),
			_ => None,
		};
		Some(Notice {
			id: hash,
			kind,
			action: entry.action,
			what: words(&entry.action).to_string(),
			patient: entry.patient.to_string(),
			actor: entry.actor.to_string(),
			hospital: entry.hospital,
			source: entry.source,
			record,
			subject: entry.subject.clone().map(|a| a.to_string()),
			purpose: entry.purpose,
			block: entry.block,
			block_hash,
			timestamp: entry.timestamp,
			seq: entry.seq,
		})
	}

	/// The e-mail's subject line.
	pub fn subject_line(&self) -> String {
		format!("ehr-chain: {} ({})", self.what, self.kind)
	}

	/// The e-mail's text: one fact a line.
	pub fn text(&self) -> String {
		let mut t = format!("{}.\n\n", capitalised(&self.what));
		t += &format!("Kind:      {}\n", self.kind);
		t += &format!("Patient:   {}\n", self.patient);
		t += &format!("By:        {}\n", self.actor);
		if let Some(h) = self.hospital {
			t += &format!("Hospital:  {h}\n");
		}
		if let Some(s) = self.source {
			t += &format!("Gateway:   hospital {s}\n");
		}
		t += &format!("Subject:   {}\n", subject_words(&self.subject));
		if let Some(p) = self.purpose {
			t += &format!("Purpose:   {} ({p:?})\n", p.code());
		}
		t += &format!("Block:     #{}\n", self.block);
		t += &format!("Time:      {} ms since the Unix epoch (UTC)\n", self.timestamp);
		t += &format!("Log entry: #{}\n", self.seq);
		// Hashes on lines of their own: every line stays within 76 characters, so the e-mail
		// goes as plain 7-bit text, searchable as it is.
		t += &format!("Block hash:\n  {:?}\n", self.block_hash);
		t += &format!("Entry hash (the notice's id):\n  {:?}\n", self.id);
		t += "\nThis message carries no health data.\n";
		t += "Your access log on the chain has the full entry.\n";
		t
	}
}

fn words(action: &LogAction) -> &'static str {
	match action {
		LogAction::EmergencyOpened => "emergency access to your records was opened",
		LogAction::EmergencyEnded => "emergency access to your records was ended",
		LogAction::EmergencyReviewed { justified: true } => {
			"an emergency access to your records was reviewed and found justified"
		},
		LogAction::EmergencyReviewed { justified: false } => {
			"an emergency access to your records was reviewed and found unjustified"
		},
		LogAction::DocumentRead | LogAction::DocumentServed { .. } => {
			"a document of your records was read"
		},
		LogAction::ReadDenied => "a read of a document of your records was refused",
		LogAction::ConsentGranted => "a grant of access to your records was given",
		LogAction::ConsentRevoked => "a grant of access to your records was revoked",
		_ => "your access log has a new entry",
	}
}

fn subject_words(subject: &Subject<String>) -> String {
	match subject {
		Subject::Record(id) => format!("record {id}"),
		Subject::Grant(n) => format!("grant {n}"),
		Subject::Emergency(id) => format!("emergency access {id}"),
		Subject::Party(who) => format!("party {who}"),
	}
}

fn capitalised(s: &str) -> String {
	let mut c = s.chars();
	match c.next() {
		Some(first) => first.to_uppercase().chain(c).collect(),
		None => String::new(),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn kinds_name_round_trip_and_cover_the_access_actions() {
		for k in Kind::ALL {
			assert_eq!(k.name().parse::<Kind>(), Ok(k));
		}
		assert!("everything".parse::<Kind>().is_err());
		assert_eq!(Kind::of(&LogAction::EmergencyOpened), Some(Kind::Emergency));
		assert_eq!(
			Kind::of(&LogAction::DocumentServed { request: H256::zero() }),
			Some(Kind::Read)
		);
		assert_eq!(Kind::of(&LogAction::ReadDenied), Some(Kind::Refusal));
		assert_eq!(Kind::of(&LogAction::RecordAdded), None);
	}

	#[test]
	fn an_emails_lines_fit_plain_text() {
		use sp_core::{sr25519, Pair};
		let who: AccountId = sr25519::Pair::from_string("//P", None).unwrap().public().into();
		let entry = Entry {
			seq: u64::MAX,
			patient: who.clone(),
			actor: who.clone(),
			hospital: Some(u32::MAX),
			action: LogAction::EmergencyReviewed { justified: false },
			subject: Subject::Party(who),
			purpose: Some(Purpose::EmergencyTreatment),
			source: Some(u32::MAX),
			block: u32::MAX,
			timestamp: u64::MAX,
			prev: H256::zero(),
		};
		let notice = Notice::of(&entry, H256::repeat_byte(0xab), H256::repeat_byte(0xcd)).unwrap();
		let text = notice.text();
		assert!(text.lines().all(|l| l.len() <= 76), "{text}");
		assert!(text.contains(&format!("{:?}", H256::repeat_byte(0xab))));
	}
}

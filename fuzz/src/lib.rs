//! Fuzzing the ehr-chain runtime.
//!
//! An input is a byte string that [`Harness::run`] reads as a sequence of actions: signed
//! extrinsics of the ehr-chain pallets (hospital registry, council motions about it, patient
//! records, consent, access log, and balance transfers that change who can pay), each from one of
//! a fixed set of registered actors, and block boundaries and jumps in time. The actions are
//! applied to the real runtime (the native build of `ehr-runtime`) through `Executive`, block by
//! block, exactly as a node applies them: signature, nonce, weight and fee checks included.
//!
//! The first byte of an action, modulo 16, makes it a block boundary (0), a jump in time (1) or
//! an extrinsic from the action tables (any other value): one table per pallet, one line per
//! call. The next two bytes pick the line so that appending a line changes the meaning of a saved
//! input only from its first action that picks the new line (`fuzz/src/actions.rs`).
//!
//! An input fails when
//! - the runtime panics;
//! - an extrinsic of an ehr-chain pallet takes more CPU time than the weight it was charged (native
//!   execution against in-memory state is several times faster than the benchmarked weights,
//!   so a call that runs longer than its weight is grossly under-weighted), or a block's
//!   execution exceeds the block's weight budget;
//! - an invariant of a pallet (`do_try_state`) does not hold after a block.
//!
//! Every extrinsic's outcome (call, and `Ok` or the error it was refused with) is a coverage
//! point; [`fuzz`] keeps the inputs that reach a point no earlier input reached and mutates them
//! (feedback-driven fuzzing, without compiler instrumentation, so that it runs from the
//! workspace's ordinary release build).

use codec::{Decode, Encode};
use ehr_client::{ChainContext, Signer};
use ehr_runtime::{
	AccountId, BuildStorage, Executive, Header, Runtime, RuntimeCall, RuntimeGenesisConfig, System,
	UncheckedExtrinsic, SLOT_DURATION, VERSION,
};
use frame_support::{dispatch::DispatchClass, traits::GetCallMetadata, weights::Weight};
use pallet_collective::Instance1;
use pallet_hospital_registry::StaffRole;
use pallet_patient_records::{cid, ContentInput, EncryptionScheme};
use scale_info::{TypeDef, TypeInfo};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _, Header as _},
	transaction_validity::TransactionValidityError,
	Digest, DigestItem, DispatchError, Storage,
};
use std::collections::{BTreeMap, BTreeSet};

mod actions;
mod driver;
pub use actions::{entries, EntryId};
pub use driver::{fuzz, run_one, tour, Failure, FailureKind, Options, Outcome as FuzzOutcome, Rng};

/// The first slot of every run: 2027-01-15, in slots of `SLOT_DURATION`.
const FIRST_SLOT: u64 = 1_800_000_000_000 / SLOT_DURATION;
/// Most actions one input may carry (longer inputs are cut there).
pub const MAX_ACTIONS: usize = 256;
/// The first byte of an action, modulo 16, that makes it a block boundary.
const NEXT_BLOCK: u8 = 0;
/// The first byte of an action, modulo 16, that makes it a jump in time.
const TIME_JUMP: u8 = 1;
/// A first byte that makes an action one of the action tables' (as every other value does).
const TABLE_ACTION: u8 = 2;
/// Most extrinsics in one block before the harness starts the next block.
const MAX_EXTRINSICS_PER_BLOCK: usize = 24;
/// Funds of the endowed actors.
const ENDOWMENT: u128 = 1 << 60;

/// The runtime's names of ehr-chain's own pallets, whose weights the time check holds to account.
const OWN_PALLETS: [&str; 4] = ["HospitalRegistry", "PatientRecords", "Consent", "AccessLog"];

/// What an actor is at genesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
	/// Admin (and validator) of hospital `n`, a council member.
	Admin(u32),
	/// Staff member of a hospital.
	Staff(u32, StaffRole),
	/// A registered patient; `true` if endowed with funds, else zero balance.
	Patient(bool),
	/// Not registered at all; `true` if endowed.
	Outsider(bool),
}

/// A key the harness signs with.
pub struct Actor {
	/// Secret URI.
	pub uri: &'static str,
	/// Genesis role.
	pub role: Role,
	signer: Signer,
	pair: sr25519::Pair,
	/// Account.
	pub id: AccountId,
}

/// The actors: the local network's four hospitals and their staff, patients and outsiders.
const ACTORS: &[(&str, Role)] = &[
	("//Alice", Role::Admin(0)),
	("//Bob", Role::Admin(1)),
	("//Charlie", Role::Admin(2)),
	("//Dave", Role::Admin(3)),
	("//Doctor0", Role::Staff(0, StaffRole::Doctor)),
	("//Doctor1", Role::Staff(0, StaffRole::Doctor)),
	("//Doctor2", Role::Staff(1, StaffRole::Doctor)),
	("//Doctor3", Role::Staff(2, StaffRole::Doctor)),
	("//Nurse0", Role::Staff(0, StaffRole::Nurse)),
	("//Lab0", Role::Staff(1, StaffRole::Lab)),
	("//Gateway0", Role::Staff(0, StaffRole::Gateway)),
	("//Gateway1", Role::Staff(1, StaffRole::Gateway)),
	("//Privacy0", Role::Staff(0, StaffRole::PrivacyOfficer)),
	("//Privacy1", Role::Staff(1, StaffRole::PrivacyOfficer)),
	("//Clerk0", Role::Staff(1, StaffRole::Administrator)),
	("//Patient0", Role::Patient(false)),
	("//Patient1", Role::Patient(false)),
	("//Patient2", Role::Patient(false)),
	("//Patient3", Role::Patient(true)),
	("//Patient4", Role::Patient(true)),
	("//Patient5", Role::Patient(true)),
	("//Outsider0", Role::Outsider(true)),
	("//Outsider1", Role::Outsider(true)),
	("//Newcomer0", Role::Outsider(false)),
];

/// A reader of fuzz input: every value is taken from the input's next bytes; `None` once it
/// is used up, which ends the run.
pub struct Input<'a> {
	data: &'a [u8],
	len: usize,
}

impl<'a> Input<'a> {
	/// Reads `data`.
	pub fn new(data: &'a [u8]) -> Self {
		Input { data, len: data.len() }
	}

	/// How many bytes have been read.
	fn offset(&self) -> usize {
		self.len.saturating_sub(self.data.len())
	}

	fn byte(&mut self) -> Option<u8> {
		let (b, rest) = self.data.split_first()?;
		self.data = rest;
		Some(*b)
	}

	fn bool(&mut self) -> Option<bool> {
		Some(self.byte()? & 1 == 1)
	}

	fn below(&mut self, n: u64) -> Option<u64> {
		if n == 0 {
			return Some(0);
		}
		let mut v = 0u64;
		for _ in 0..if n <= 256 { 1 } else { 4 } {
			v = (v << 8) | u64::from(self.byte()?);
		}
		Some(v % n)
	}

	fn pick<T: Clone>(&mut self, xs: &[T]) -> Option<T> {
		let i = self.below(xs.len() as u64)? as usize;
		xs.get(i).cloned()
	}

	fn bytes(&mut self, max: usize) -> Option<Vec<u8>> {
		let n = (self.below(max as u64 + 1)? as usize).min(self.data.len());
		let (b, rest) = self.data.split_at(n);
		self.data = rest;
		Some(b.to_vec())
	}

	fn h256(&mut self) -> Option<H256> {
		Some(BlakeTwo256::hash(&[self.byte()?, self.byte()?]))
	}

	/// A variant of a field-less enum, by its index among the enum's variants.
	fn variant<T: Decode + TypeInfo + 'static>(&mut self) -> Option<T> {
		let TypeDef::Variant(def) = T::type_info().type_def else { return None };
		let v = self.pick(&def.variants)?;
		T::decode(&mut &[v.index][..]).ok()
	}

	fn variants<T: Decode + TypeInfo + 'static>(&mut self, max: u64) -> Option<Vec<T>> {
		let n = self.below(max + 1)?;
		(0..n).map(|_| self.variant()).collect()
	}
}

/// What one extrinsic led to, as a coverage point: the call (pallet and call index) and its
/// outcome (`Ok`, the module error, another dispatch error, or the transaction check that
/// refused it).
pub type Point = (u8, u8, String);

/// One action of an input, as the run read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
	/// The entry of the action tables it came from; `None` for a block boundary or a jump in
	/// time.
	pub entry: Option<EntryId>,
	/// The input's offset just past the action.
	pub end: usize,
	/// The outcome of its extrinsic, as in a coverage [`Point`]; `None` if it made none.
	pub outcome: Option<String>,
}

/// What running one input did.
#[derive(Debug, Default)]
pub struct Report {
	/// Coverage points reached.
	pub points: BTreeSet<Point>,
	/// Names (`Pallet.call`) of the calls met, by (pallet index, call index).
	pub names: BTreeMap<(u8, u8), String>,
	/// Extrinsics applied (dispatched, successfully or not).
	pub dispatched: u64,
	/// Extrinsics refused by the transaction checks (not included in a block).
	pub refused: u64,
	/// Blocks executed.
	pub blocks: u64,
	/// Largest ratio of an extrinsic's CPU time to the ref-time weight it was charged.
	pub worst_cpu_to_weight: f64,
	/// The actions read, in order.
	pub steps: Vec<Step>,
}

/// Why an input failed (a panic is caught by the driver).
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
	/// An extrinsic ran longer than the weight it was charged.
	UnderWeighted { call: String, cpu_us: f64, weight_us: f64 },
	/// A block's execution exceeded the block's weight budget.
	BlockOverBudget { block: u32, cpu_us: f64, budget_us: f64 },
	/// A block's normal or operational extrinsics consumed more than their class's limit.
	BlockOverweight { block: u32, weight: Weight },
	/// A pallet's invariant broke.
	Invariant { pallet: &'static str, error: String },
}

impl std::fmt::Display for Violation {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Violation::UnderWeighted { call, cpu_us, weight_us } => write!(
				f,
				"under-weighted: {call} ran {cpu_us:.1} us of CPU but was charged {weight_us:.1} us"
			),
			Violation::BlockOverBudget { block, cpu_us, budget_us } => {
				write!(f, "block {block} ran {cpu_us:.1} us, over its budget of {budget_us:.1} us")
			},
			Violation::BlockOverweight { block, weight } => {
				write!(f, "block {block}: extrinsics consumed {weight:?}, over their class limit")
			},
			Violation::Invariant { pallet, error } => {
				write!(f, "invariant of {pallet} broken: {error}")
			},
		}
	}
}

/// CPU time of this thread, in nanoseconds (not counting time the thread waited for a core).
fn thread_cpu_ns() -> u64 {
	let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
	// SAFETY: `ts` is a valid timespec for the call to write.
	let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
	if rc != 0 {
		return 0;
	}
	(ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

/// A pallet's invariant check.
type InvariantCheck = fn() -> Result<(), DispatchError>;

/// The runtime, its genesis state with the actors, and the checks.
pub struct Harness {
	genesis: Storage,
	/// The actors, in the order of [`ACTORS`].
	pub actors: Vec<Actor>,
	/// Whether to check CPU time against weights (off where timing is meaningless, e.g. under
	/// a sanitizer).
	pub check_time: bool,
	/// How much slower than the machine the weights were measured on this one may be: a call
	/// fails the time check when its CPU time exceeds `time_factor` times its weight (1.0 on the
	/// benchmark machine).
	pub time_factor: f64,
	/// Print every block and extrinsic to stderr (for `--replay`).
	pub trace: bool,
}

impl Harness {
	/// Builds the genesis state: the `local_testnet` preset (four hospitals, their council, no
	/// sudo) plus the actors' staff entries, patient registrations and endowments.
	pub fn new() -> Result<Self, String> {
		let actors: Vec<Actor> = ACTORS
			.iter()
			.map(|(uri, role)| {
				let pair = sr25519::Pair::from_string(uri, None)
					.map_err(|e| format!("secret URI {uri}: {e:?}"))?;
				Ok(Actor {
					uri,
					role: *role,
					signer: Signer::new(pair.clone()),
					id: pair.public().into(),
					pair,
				})
			})
			.collect::<Result<_, String>>()?;
		let patch = ehr_runtime::genesis_config_presets::get_preset(
			&sp_genesis_builder::PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		)
		.ok_or("the local_testnet preset exists")?;
		let mut config =
			serde_json::to_value(RuntimeGenesisConfig::default()).map_err(|e| e.to_string())?;
		merge(&mut config, serde_json::from_slice(&patch).map_err(|e| e.to_string())?);
		for a in &actors {
			let endowed = match a.role {
				Role::Admin(_) => false, // the preset endows the well-known keys
				Role::Staff(..) => true,
				Role::Patient(e) | Role::Outsider(e) => e,
			};
			if endowed {
				push(&mut config, &["balances", "balances"], json(&(a.id.clone(), ENDOWMENT)))?;
			}
			match a.role {
				Role::Staff(h, role) => push(
					&mut config,
					&["hospitalRegistry", "staff"],
					json(&(a.id.clone(), h, role)),
				)?,
				Role::Patient(_) => {
					push(&mut config, &["hospitalRegistry", "patients"], json(&a.id))?
				},
				_ => {},
			}
		}
		let config: RuntimeGenesisConfig =
			serde_json::from_value(config).map_err(|e| format!("genesis config: {e}"))?;
		let genesis = config.build_storage().map_err(|e| format!("genesis: {e}"))?;
		Ok(Harness { genesis, actors, check_time: true, time_factor: 1.0, trace: false })
	}

	/// The genesis state, e.g. for a test to corrupt.
	pub fn genesis_mut(&mut self) -> &mut Storage {
		&mut self.genesis
	}

	/// Runs one input from genesis.
	pub fn run(&self, data: &[u8]) -> Result<Report, Violation> {
		self.run_actions(data, MAX_ACTIONS)
	}

	/// Runs the first `max_actions` actions (at most [`MAX_ACTIONS`]) of one input from genesis.
	pub fn run_actions(&self, data: &[u8], max_actions: usize) -> Result<Report, Violation> {
		let mut ext = sp_io::TestExternalities::new(self.genesis.clone());
		ext.execute_with(|| {
			Run::new(self).execute(&mut Input::new(data), max_actions.min(MAX_ACTIONS))
		})
	}
}

/// JSON of a piece of genesis config.
fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
	serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Merges a preset patch into a full genesis config, as the node does.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	use serde_json::Value;
	match (base, patch) {
		(Value::Object(b), Value::Object(p)) => {
			for (k, v) in p {
				merge(b.entry(k).or_insert(Value::Null), v);
			}
		},
		(b, p) => *b = p,
	}
}

/// Appends `v` to the array at `path` of a genesis config.
fn push(config: &mut serde_json::Value, path: &[&str], v: serde_json::Value) -> Result<(), String> {
	let mut at = config;
	for p in path {
		at = at.get_mut(*p).ok_or_else(|| format!("genesis config has no {p}"))?;
	}
	at.as_array_mut().ok_or_else(|| format!("{path:?} is not a list"))?.push(v);
	Ok(())
}

/// One run: the chain's progress and what it reached.
struct Run<'h> {
	h: &'h Harness,
	ctx: ChainContext,
	number: u32,
	slot: u64,
	parent: H256,
	in_block: usize,
	block_cpu_ns: u64,
	report: Report,
}

impl<'h> Run<'h> {
	fn new(h: &'h Harness) -> Self {
		let genesis = System::block_hash(0);
		Run {
			h,
			ctx: ChainContext {
				genesis,
				spec_version: VERSION.spec_version,
				transaction_version: VERSION.transaction_version,
			},
			number: 0,
			slot: FIRST_SLOT,
			parent: genesis,
			in_block: 0,
			block_cpu_ns: 0,
			report: Report::default(),
		}
	}

	fn execute(mut self, input: &mut Input, max_actions: usize) -> Result<Report, Violation> {
		self.start_block(1);
		for _ in 0..max_actions {
			let Some(op) = input.byte() else { break };
			let (entry, outcome) = match op % 16 {
				NEXT_BLOCK => {
					self.end_block()?;
					self.start_block(1);
					(None, None)
				},
				TIME_JUMP => {
					// A jump in time: a minute to a month of slots without blocks.
					let Some(blocks) = input.pick(&[30u32, 1_800, 43_200, 302_401, 1_296_000])
					else {
						break;
					};
					self.end_block()?;
					self.start_block(blocks);
					(None, None)
				},
				_ => match actions::generate(&self, input) {
					None => break,
					Some((entry, None)) => (Some(entry), None),
					Some((entry, Some((origin, call)))) => (Some(entry), self.apply(origin, call)?),
				},
			};
			self.report.steps.push(Step { entry, end: input.offset(), outcome });
		}
		self.end_block()?;
		Ok(self.report)
	}

	fn now(&self) -> u64 {
		self.slot.saturating_mul(SLOT_DURATION)
	}

	fn start_block(&mut self, advance: u32) {
		// FRAME requires consecutive block numbers: a jump stands for `advance - 1` empty
		// blocks (the ehr-chain pallets have no per-block hooks), then this block.
		if advance > 1 {
			System::set_block_number(self.number.saturating_add(advance - 1));
		}
		self.number = self.number.saturating_add(advance);
		self.slot = self.slot.saturating_add(u64::from(advance));
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(
				sp_consensus_aura::AURA_ENGINE_ID,
				sp_consensus_aura::Slot::from(self.slot).encode(),
			)],
		};
		let header = Header::new(self.number, H256::zero(), H256::zero(), self.parent, digest);
		let start = thread_cpu_ns();
		Executive::initialize_block(&header);
		let now = self.now();
		let inherent =
			UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
				now,
			}));
		// The inherent cannot fail on a consistent slot and time; if it did, the invariants
		// and the next block's checks would show it.
		let _ = Executive::apply_extrinsic(inherent);
		self.block_cpu_ns = thread_cpu_ns().saturating_sub(start);
		self.in_block = 0;
	}

	fn end_block(&mut self) -> Result<(), Violation> {
		let start = thread_cpu_ns();
		let header = Executive::finalize_block();
		self.block_cpu_ns = self.block_cpu_ns.saturating_add(thread_cpu_ns().saturating_sub(start));
		self.parent = header.hash();
		self.report.blocks += 1;
		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		let max = limits.max_block;
		let consumed = frame_system::BlockWeight::<Runtime>::get();
		if self.h.trace {
			eprintln!(
				"block {} (slot {}): {consumed:?}, {:.1} us of CPU",
				self.number,
				self.slot,
				self.block_cpu_ns as f64 / 1e3
			);
		}
		// Mandatory weight may exceed the block (pallet-session charges a whole block when it
		// rotates); what the transaction checks admit may not exceed its class's limit.
		for class in [DispatchClass::Normal, DispatchClass::Operational] {
			let used = *consumed.get(class);
			if limits.get(class).max_total.is_some_and(|limit| used.any_gt(limit)) {
				return Err(Violation::BlockOverweight { block: self.number, weight: used });
			}
		}
		if self.h.check_time
			&& self.block_cpu_ns as f64 * 1e3 > max.ref_time() as f64 * self.h.time_factor
		{
			return Err(Violation::BlockOverBudget {
				block: self.number,
				cpu_us: self.block_cpu_ns as f64 / 1e3,
				budget_us: max.ref_time() as f64 / 1e6,
			});
		}
		let checks: [(&'static str, InvariantCheck); 4] = [
			("hospital-registry", pallet_hospital_registry::Pallet::<Runtime>::do_try_state),
			("patient-records", pallet_patient_records::Pallet::<Runtime>::do_try_state),
			("consent", pallet_consent::Pallet::<Runtime>::do_try_state),
			("access-log", pallet_access_log::Pallet::<Runtime>::do_try_state),
		];
		for (pallet, check) in checks {
			check().map_err(|e| Violation::Invariant { pallet, error: format!("{e:?}") })?;
		}
		Ok(())
	}

	/// Signs `call` by actor `origin` and applies it; its outcome (`None` if there is no such
	/// actor).
	fn apply(&mut self, origin: usize, call: RuntimeCall) -> Result<Option<String>, Violation> {
		if self.in_block >= MAX_EXTRINSICS_PER_BLOCK {
			self.end_block()?;
			self.start_block(1);
		}
		let Some(actor) = self.h.actors.get(origin) else { return Ok(None) };
		let encoded = call.encode();
		let (pallet, index) = (encoded.first().copied(), encoded.get(1).copied());
		let meta = call.get_call_metadata();
		let name = format!("{}.{}", meta.pallet_name, meta.function_name);
		// The time check is for ehr-chain's own weights; upstream pallets' calls (council,
		// balances, sudo) carry polkadot-sdk's weights and count in the block budget only.
		let own = OWN_PALLETS.contains(&meta.pallet_name);
		let nonce = System::account_nonce(&actor.id);
		let xt = actor.signer.sign(call, nonce, &self.ctx);
		let before = frame_system::BlockWeight::<Runtime>::get().total();
		let start = thread_cpu_ns();
		let result = Executive::apply_extrinsic(xt);
		let cpu_ns = thread_cpu_ns().saturating_sub(start);
		self.block_cpu_ns = self.block_cpu_ns.saturating_add(cpu_ns);
		let outcome = match result {
			Err(TransactionValidityError::Invalid(e)) => {
				self.report.refused += 1;
				format!("invalid:{e:?}")
			},
			Err(TransactionValidityError::Unknown(e)) => {
				self.report.refused += 1;
				format!("unknown:{e:?}")
			},
			Ok(dispatched) => {
				self.report.dispatched += 1;
				self.in_block += 1;
				let charged =
					frame_system::BlockWeight::<Runtime>::get().total().saturating_sub(before);
				let ratio = (cpu_ns as f64 * 1e3) / (charged.ref_time().max(1) as f64);
				if ratio > self.report.worst_cpu_to_weight {
					self.report.worst_cpu_to_weight = ratio;
				}
				if self.h.check_time && own && ratio > self.h.time_factor {
					return Err(Violation::UnderWeighted {
						call: name,
						cpu_us: cpu_ns as f64 / 1e3,
						weight_us: charged.ref_time() as f64 / 1e6,
					});
				}
				match dispatched {
					Ok(()) => "ok".into(),
					Err(DispatchError::Module(m)) => format!("module:{}:{:?}", m.index, m.error),
					Err(e) => format!("{e:?}"),
				}
			},
		};
		if self.h.trace {
			eprintln!(
				"  {} by {}: {outcome}, {:.1} us of CPU, block now {:?}",
				name,
				actor.uri,
				cpu_ns as f64 / 1e3,
				frame_system::BlockWeight::<Runtime>::get().total()
			);
		}
		if let (Some(p), Some(i)) = (pallet, index) {
			self.report.names.entry((p, i)).or_insert(name);
			self.report.points.insert((p, i, outcome.clone()));
		}
		Ok(Some(outcome))
	}

	/// Index of an actor: three times in four one of `natural` (the actors a call is meant
	/// for), else any actor.
	fn who(&self, input: &mut Input, natural: fn(Role) -> bool) -> Option<usize> {
		let any = input.byte()? >= 192;
		let pool: Vec<usize> = (0..self.h.actors.len())
			.filter(|i| any || self.h.actors.get(*i).is_some_and(|a| natural(a.role)))
			.collect();
		input.pick(&pool)
	}

	/// Index of an actor: three times in four one of `likely` (e.g. the patient a call is
	/// about, or the author of the record), else as [`Self::who`].
	fn one_of(
		&self,
		input: &mut Input,
		likely: &[AccountId],
		natural: fn(Role) -> bool,
	) -> Option<usize> {
		let known: Vec<usize> =
			likely.iter().filter_map(|id| self.h.actors.iter().position(|a| &a.id == id)).collect();
		if input.byte()? < 192 && !known.is_empty() {
			input.pick(&known)
		} else {
			self.who(input, natural)
		}
	}

	/// The patient and author of a record, and who proposed its pending amendment or
	/// withdrawal.
	fn parties(&self, record: u64) -> Vec<AccountId> {
		let mut v = Vec::new();
		if let Some(r) = pallet_patient_records::Records::<Runtime>::get(record) {
			v.push(r.patient);
			v.push(r.author);
		}
		if let Some(a) = pallet_patient_records::Amendments::<Runtime>::get(record) {
			v.push(a.proposer);
		}
		if let Some(w) = pallet_patient_records::Withdrawals::<Runtime>::get(record) {
			v.push(w.requester);
		}
		v
	}

	fn account(&self, input: &mut Input, natural: fn(Role) -> bool) -> Option<AccountId> {
		let i = self.who(input, natural)?;
		self.h.actors.get(i).map(|a| a.id.clone())
	}

	/// A record id: one in four times a record with a pending amendment or withdrawal (so
	/// that approvals meet what they approve), else any id up to two past the last.
	fn record_id(&self, input: &mut Input) -> Option<u64> {
		let pending: Vec<u64> = pallet_patient_records::Amendments::<Runtime>::iter_keys()
			.chain(pallet_patient_records::Withdrawals::<Runtime>::iter_keys())
			.take(16)
			.collect();
		if input.byte()? < 64 && !pending.is_empty() {
			input.pick(&pending)
		} else {
			input.below(pallet_patient_records::NextRecordId::<Runtime>::get().saturating_add(2))
		}
	}

	fn content(&self, input: &mut Input) -> Option<ContentInput> {
		// The attacker's move: anchor the document of a record already on chain (perhaps
		// another patient's, perhaps deleted) again.
		if input.byte()? < 24 {
			let anchored: Vec<H256> =
				pallet_patient_records::RecordOfCommitment::<Runtime>::iter_keys()
					.take(16)
					.collect();
			if !anchored.is_empty() {
				let commitment = input.pick(&anchored)?;
				return Some(ContentInput {
					commitment,
					cid: cid::raw_sha2_256(&commitment.0).to_vec(),
					scheme: input.variant::<EncryptionScheme>()?,
					size: input.below(1 << 30)?,
				});
			}
		}
		let digest = input.h256()?;
		let (commitment, cid) = match input.byte()? % 8 {
			0 => (input.h256()?, cid::raw_sha2_256(&digest.0).to_vec()),
			1 => (digest, input.bytes(48)?),
			2 => (digest, cid::raw_sha2_256(&digest.0)[..20].to_vec()),
			_ => (digest, cid::raw_sha2_256(&digest.0).to_vec()),
		};
		Some(ContentInput {
			commitment,
			cid,
			scheme: input.variant::<EncryptionScheme>()?,
			size: input.below(1 << 30)?,
		})
	}

	fn moment(&self, input: &mut Input) -> Option<u64> {
		let now = self.now();
		Some(match input.byte()? % 6 {
			0 => now.saturating_sub(60_000),
			1 => now,
			2 => now + 3_600_000,
			3 => now + 86_400_000,
			4 => now + 30 * 86_400_000,
			_ => now + 400 * 86_400_000,
		})
	}

	/// One of the council's open motions: hash, index and proposal (`Some(None)` if none is
	/// open).
	fn open_motion(&self, input: &mut Input) -> Option<Option<(H256, u32, RuntimeCall)>> {
		let open = pallet_collective::Proposals::<Runtime, Instance1>::get();
		if open.is_empty() {
			return Some(None);
		}
		let hash = input.pick(&open)?;
		let votes = pallet_collective::Voting::<Runtime, Instance1>::get(hash);
		let proposal = pallet_collective::ProposalOf::<Runtime, Instance1>::get(hash);
		// The motion's index is the first field of its (private) vote record.
		let index = votes.and_then(|v| u32::decode(&mut &v.encode()[..]).ok());
		Some(index.zip(proposal).map(|(i, p)| (hash, i, p)))
	}
}

//! Fuzzing the ehr-chain runtime.
//!
//! An input is a byte string that [`Harness::run`] reads as a sequence of actions: signed
//! extrinsics of the ehr-chain pallets (hospital registry, council motions about it, patient
//! records, consent, access log, and balance transfers that change who can pay), each from one of
//! a fixed set of registered actors, and block boundaries and jumps in time. The actions are
//! applied to the real runtime (the native build of `ehr-runtime`) through `Executive`, block by
//! block, exactly as a node applies them: signature, nonce, weight and fee checks included.
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
	AccountId, BalancesCall, BuildStorage, Executive, Header, Runtime, RuntimeCall,
	RuntimeGenesisConfig, System, UncheckedExtrinsic, SLOT_DURATION, VERSION,
};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::GetCallMetadata,
	weights::Weight,
};
use pallet_collective::Instance1;
use pallet_hospital_registry::{StaffRole, StaffStatus};
use pallet_patient_records::{cid, Category, ContentInput, EncryptionScheme, NewRecord};
use scale_info::{TypeDef, TypeInfo};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _, Header as _},
	transaction_validity::TransactionValidityError,
	Digest, DigestItem, DispatchError, Storage,
};
use std::collections::{BTreeMap, BTreeSet};

mod driver;
pub use driver::{fuzz, run_one, Failure, FailureKind, Options, Outcome as FuzzOutcome, Rng};

/// The first slot of every run: 2027-01-15, in slots of `SLOT_DURATION`.
const FIRST_SLOT: u64 = 1_800_000_000_000 / SLOT_DURATION;
/// Most actions one input may carry (longer inputs are cut there).
pub const MAX_ACTIONS: usize = 256;
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
}

impl<'a> Input<'a> {
	/// Reads `data`.
	pub fn new(data: &'a [u8]) -> Self {
		Input { data }
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
		let mut ext = sp_io::TestExternalities::new(self.genesis.clone());
		ext.execute_with(|| Run::new(self).execute(&mut Input::new(data)))
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

	fn execute(mut self, input: &mut Input) -> Result<Report, Violation> {
		self.start_block(1);
		for _ in 0..MAX_ACTIONS {
			let Some(op) = input.byte() else { break };
			match op % 16 {
				0 => {
					self.end_block()?;
					self.start_block(1);
				},
				1 => {
					// A jump in time: a minute to a month of slots without blocks.
					let Some(blocks) = input.pick(&[30u32, 1_800, 43_200, 302_401, 1_296_000])
					else {
						break;
					};
					self.end_block()?;
					self.start_block(blocks);
				},
				_ => match self.action(input) {
					None => break,
					Some(None) => {},
					Some(Some((origin, call))) => self.apply(origin, call)?,
				},
			}
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

	fn apply(&mut self, origin: usize, call: RuntimeCall) -> Result<(), Violation> {
		if self.in_block >= MAX_EXTRINSICS_PER_BLOCK {
			self.end_block()?;
			self.start_block(1);
		}
		let Some(actor) = self.h.actors.get(origin) else { return Ok(()) };
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
			self.report.points.insert((p, i, outcome));
		}
		Ok(())
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

	/// Reads one signed action: its origin and call; `Some(None)` if the bytes make no call
	/// (raw bytes that decode to none, a vote with no motion open), `None` once the input is
	/// used up.
	fn action(&self, input: &mut Input) -> Option<Option<(usize, RuntimeCall)>> {
		use pallet_consent::{Action, EmergencyReason, Grantee, Purpose, ReviewOutcome, Scope};
		use pallet_hospital_registry::Call as Reg;
		use pallet_patient_records::{Call as Rec, Withdrawal};
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
		let kind = input.byte()? % 32;
		let call = match kind {
			// Hospital registry, by the hospitals' admins.
			0 => (
				self.who(input, admin)?,
				RuntimeCall::HospitalRegistry(Reg::register_staff {
					staff: self.account(input, |r| staff(r) || outsider(r))?,
					role: input.variant()?,
					licence_commitment: input.h256()?,
					valid_until: if input.bool()? { Some(self.moment(input)?) } else { None },
				}),
			),
			1 => (
				self.who(input, admin)?,
				RuntimeCall::HospitalRegistry(Reg::set_staff_status {
					staff: self.account(input, staff)?,
					status: input.variant::<StaffStatus>()?,
				}),
			),
			2 => (
				self.who(input, |r| outsider(r) || patient(r))?,
				RuntimeCall::HospitalRegistry(Reg::register_patient {}),
			),
			3 => (
				self.who(input, admin)?,
				RuntimeCall::HospitalRegistry(Reg::enrol_patient {
					patient: self.account(input, |r| outsider(r) || patient(r))?,
					commitment: input.h256()?,
				}),
			),
			4 => (
				self.who(input, admin)?,
				RuntimeCall::HospitalRegistry(Reg::verify_patient {
					patient: self.account(input, patient)?,
					commitment: input.h256()?,
				}),
			),
			5 | 6 => {
				use pallet_hospital_registry::{Delegates, Delegation};
				// Removals mostly name an existing delegate or guardian.
				let existing: Vec<(AccountId, AccountId, bool)> = Delegates::<Runtime>::iter()
					.take(32)
					.map(|(p, d, kind)| (p, d, matches!(kind, Delegation::Guardian { .. })))
					.collect();
				let guardian = kind == 6;
				let known: Vec<(AccountId, AccountId)> =
					existing.into_iter().filter(|e| e.2 == guardian).map(|e| (e.0, e.1)).collect();
				let add = input.bool()?;
				let (p, d) = if !add && !known.is_empty() && input.byte()? < 192 {
					input.pick(&known)?
				} else {
					(self.account(input, patient)?, self.account(input, anyone)?)
				};
				match (guardian, add) {
					(false, true) => (
						self.one_of(input, &[p], patient)?,
						RuntimeCall::HospitalRegistry(Reg::appoint_delegate { delegate: d }),
					),
					(false, false) => (
						self.one_of(input, &[p], patient)?,
						RuntimeCall::HospitalRegistry(Reg::remove_delegate { delegate: d }),
					),
					// Guardianship calls by hospital admins, and by every other role a quarter of
					// the time (`who`): only a hospital that verified the patient records one, and
					// the invariants check every guardian is so backed.
					(true, true) => (
						self.who(input, admin)?,
						RuntimeCall::HospitalRegistry(Reg::record_guardian {
							patient: p,
							guardian: d,
						}),
					),
					(true, false) => match input.byte()? % 3 {
						0 => (
							self.who(input, admin)?,
							RuntimeCall::HospitalRegistry(Reg::remove_guardian {
								patient: p,
								guardian: d,
							}),
						),
						1 => (
							self.one_of(input, &[p.clone(), d.clone()], anyone)?,
							RuntimeCall::HospitalRegistry(Reg::contest_guardian {
								patient: p,
								guardian: d,
							}),
						),
						_ => {
							// A review mostly concerns a guardianship under contest.
							use pallet_hospital_registry::GuardianContests;
							let contested: Vec<(AccountId, AccountId)> =
								GuardianContests::<Runtime>::iter_keys().take(16).collect();
							let (p, d) = if !contested.is_empty() && input.byte()? < 224 {
								input.pick(&contested)?
							} else {
								(p, d)
							};
							// Mostly by the recording hospital's privacy officer or admin.
							let recorded_by =
								match pallet_hospital_registry::Delegates::<Runtime>::get(&p, &d) {
									Some(pallet_hospital_registry::Delegation::Guardian {
										hospital,
									}) => Some(hospital),
									_ => None,
								};
							let reviewers: Vec<AccountId> =
								self.h
									.actors
									.iter()
									.filter(|a| match a.role {
										Role::Admin(h)
										| Role::Staff(h, StaffRole::PrivacyOfficer) => Some(h) == recorded_by,
										_ => false,
									})
									.map(|a| a.id.clone())
									.collect();
							(
								self.one_of(input, &reviewers, |r| reviewer(r) || admin(r))?,
								RuntimeCall::HospitalRegistry(Reg::review_guardianship {
									patient: p,
									guardian: d,
									uphold: input.bool()?,
								}),
							)
						},
					},
				}
			},
			7 => (
				self.who(input, admin)?,
				if input.bool()? {
					RuntimeCall::HospitalRegistry(Reg::update_hospital {
						name: if input.bool()? { Some(input.bytes(80)?) } else { None },
						gateway_url: if input.bool()? { Some(input.bytes(300)?) } else { None },
					})
				} else {
					let n = input.below(5)?;
					RuntimeCall::HospitalRegistry(Reg::set_nodes {
						nodes: (0..n).map(|_| input.bytes(60)).collect::<Option<_>>()?,
					})
				},
			),
			// Council motions about the registry.
			8 => (self.who(input, admin)?, self.motion(input)?),
			9 => {
				let Some((hash, index, _)) = self.open_motion(input)? else { return Some(None) };
				(
					self.who(input, admin)?,
					RuntimeCall::Council(pallet_collective::Call::vote {
						proposal: hash,
						index,
						approve: input.byte()? < 200,
					}),
				)
			},
			10 => {
				let Some((hash, index, proposal)) = self.open_motion(input)? else {
					return Some(None);
				};
				(
					self.who(input, admin)?,
					RuntimeCall::Council(pallet_collective::Call::close {
						proposal_hash: hash,
						index,
						proposal_weight_bound: proposal.get_dispatch_info().call_weight,
						length_bound: proposal.encoded_size() as u32,
					}),
				)
			},
			// Patient records.
			11 | 12 => (
				self.who(input, |r| clinician(r) || patient(r))?,
				RuntimeCall::PatientRecords(Rec::add_record {
					patient: self.account(input, patient)?,
					category: input.variant::<Category>()?,
					content: self.content(input)?,
				}),
			),
			13 => {
				let n = match input.byte()? % 8 {
					0 => 101,
					1 => 100,
					k => u64::from(k),
				};
				let mut records = Vec::new();
				for _ in 0..n {
					records.push(NewRecord {
						patient: self.account(input, patient)?,
						category: input.variant::<Category>()?,
						content: self.content(input)?,
					});
				}
				(
					self.who(input, |r| clinician(r) || gateway(r))?,
					RuntimeCall::PatientRecords(Rec::add_records { records }),
				)
			},
			14 => {
				let record = self.record_id(input)?;
				let parties = self.parties(record);
				(
					self.one_of(input, &parties, clinician)?,
					RuntimeCall::PatientRecords(Rec::propose_amendment {
						record,
						content: self.content(input)?,
					}),
				)
			},
			15 => {
				use pallet_patient_records::{Amendments, Withdrawals};
				let sub = input.byte()? % 5;
				// Approvals and cancellations mostly meet something pending.
				let pending: Vec<u64> = match sub {
					0 | 4 => Amendments::<Runtime>::iter_keys().take(16).collect(),
					2 | 3 => Withdrawals::<Runtime>::iter_keys().take(16).collect(),
					_ => Vec::new(),
				};
				let record = if !pending.is_empty() && input.byte()? < 192 {
					input.pick(&pending)?
				} else {
					self.record_id(input)?
				};
				let mut parties = self.parties(record);
				let call = match sub {
					0 => Rec::cancel_amendment { record },
					1 => Rec::request_withdrawal { record, kind: input.variant::<Withdrawal>()? },
					2 => {
						// The other side approves.
						if let Some(w) = Withdrawals::<Runtime>::get(record) {
							parties.retain(|p| *p != w.requester);
						}
						Rec::approve_withdrawal { record }
					},
					3 => Rec::cancel_withdrawal { record },
					_ => {
						if let Some(a) = Amendments::<Runtime>::get(record) {
							parties.retain(|p| *p != a.proposer);
						}
						Rec::approve_amendment { record }
					},
				};
				(
					self.one_of(input, &parties, |r| clinician(r) || patient(r))?,
					RuntimeCall::PatientRecords(call),
				)
			},
			16 => {
				let record = self.record_id(input)?;
				let content = self.content(input)?;
				let signer = self.who(input, patient)?;
				let signed = self.h.actors.get(signer)?;
				let version = pallet_patient_records::Records::<Runtime>::get(record)
					.map(|r| r.version)
					.unwrap_or(1);
				let stored = pallet_patient_records::Content {
					commitment: content.commitment,
					cid: content.cid.clone().try_into().unwrap_or_default(),
					scheme: content.scheme,
					size: content.size,
				};
				let payload = pallet_patient_records::Pallet::<Runtime>::amendment_payload(
					record, version, stored,
				)
				.encode();
				let signature = if input.byte()? < 220 {
					signed.pair.sign(&payload)
				} else {
					signed.pair.sign(&input.bytes(64)?)
				};
				(
					self.who(input, clinician)?,
					RuntimeCall::PatientRecords(Rec::amend_with_signature {
						record,
						content,
						signer: signed.id.clone(),
						signature: signature.into(),
					}),
				)
			},
			17 => (
				self.who(input, patient)?,
				RuntimeCall::PatientRecords(Rec::request_prescription {
					doctor: self.account(input, clinician)?,
					details: input.h256()?,
				}),
			),
			18 => {
				let request = input.below(
					pallet_patient_records::NextRequestId::<Runtime>::get().saturating_add(2),
				)?;
				let call = match input.byte()? % 3 {
					0 => Rec::fulfil_prescription { request, content: self.content(input)? },
					1 => Rec::decline_prescription { request },
					_ => Rec::cancel_prescription_request { request },
				};
				let parties: Vec<AccountId> =
					pallet_patient_records::PrescriptionRequests::<Runtime>::get(request)
						.map(|r| vec![r.patient, r.doctor])
						.unwrap_or_default();
				(
					self.one_of(input, &parties, |r| clinician(r) || patient(r))?,
					RuntimeCall::PatientRecords(call),
				)
			},
			// Consent.
			19..=21 => {
				let patient_id = self.account(input, patient)?;
				let grantee = if input.byte()? < 200 {
					Grantee::Staff(self.account(input, |r| clinician(r) || gateway(r))?)
				} else {
					Grantee::Hospital(input.below(5)? as u32)
				};
				let scope = match input.byte()? % 4 {
					0 => Scope::Categories(
						input.variants::<Category>(12)?.try_into().unwrap_or_default(),
					),
					1 => Scope::Records({
						let n = input.below(40)?;
						(0..n).map(|_| self.record_id(input)).collect::<Option<Vec<_>>>()?
					}),
					_ => Scope::AllRecords,
				};
				(
					self.one_of(input, std::slice::from_ref(&patient_id), patient)?,
					RuntimeCall::Consent(pallet_consent::Call::grant {
						patient: patient_id,
						grantee,
						scope,
						// Bounded in the call: what a signer could send, duplicates included.
						excluded: frame_support::BoundedVec::truncate_from(
							input.variants::<Category>(3)?,
						),
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
						starts: if input.byte()? < 40 { Some(self.moment(input)?) } else { None },
						ends: self.moment(input)?,
					}),
				)
			},
			22 | 23 => {
				let patient_id = self.account(input, patient)?;
				let next = pallet_consent::ConsentAccounts::<Runtime>::get(&patient_id).next_grant;
				let grant = input.below(u64::from(next) + 1)? as u32;
				let origin = self.one_of(input, std::slice::from_ref(&patient_id), patient)?;
				let call = if input.bool()? {
					pallet_consent::Call::revoke { patient: patient_id, grant }
				} else {
					pallet_consent::Call::remove_grant { patient: patient_id, grant }
				};
				(origin, RuntimeCall::Consent(call))
			},
			24 => (
				self.who(input, clinician)?,
				RuntimeCall::Consent(pallet_consent::Call::declare_emergency {
					patient: self.account(input, patient)?,
					reason: input.variant::<EmergencyReason>()?,
					note: input.bytes(300)?,
				}),
			),
			25 => {
				// Mostly an emergency that exists, ended by its doctor or reviewed by a
				// privacy officer.
				let open: Vec<u64> =
					pallet_consent::Emergencies::<Runtime>::iter_keys().take(16).collect();
				let id = if !open.is_empty() && input.byte()? < 192 {
					input.pick(&open)?
				} else {
					input.below(
						pallet_consent::NextEmergencyId::<Runtime>::get().saturating_add(2),
					)?
				};
				let doctor: Vec<AccountId> = pallet_consent::Emergencies::<Runtime>::get(id)
					.map(|e| e.doctor)
					.into_iter()
					.collect();
				if input.bool()? {
					(
						self.one_of(input, &doctor, clinician)?,
						RuntimeCall::Consent(pallet_consent::Call::end_emergency { id }),
					)
				} else {
					(
						self.who(input, reviewer)?,
						RuntimeCall::Consent(pallet_consent::Call::review_emergency {
							id,
							outcome: input.variant::<ReviewOutcome>()?,
						}),
					)
				}
			},
			// Access log: a gateway records a read (naming its request or not), or the erasure of
			// a deleted record.
			26 | 27 => {
				// Deleted records, with the gateways of their custodians.
				let deleted: Vec<(u64, Vec<AccountId>)> =
					pallet_patient_records::Records::<Runtime>::iter()
						.filter(|(_, r)| {
							r.status == pallet_patient_records::RecordStatus::Deleted
								&& r.custodian.is_some()
						})
						.take(16)
						.map(|(id, r)| {
							let custodian = r.custodian.map(|h| Role::Staff(h, StaffRole::Gateway));
							let gateways = self
								.h
								.actors
								.iter()
								.filter(|a| Some(a.role) == custodian)
								.map(|a| a.id.clone())
								.collect();
							(id, gateways)
						})
						.collect();
				if input.byte()? < 160 && !deleted.is_empty() {
					let (record, gateways) = input.pick(&deleted)?;
					(
						self.one_of(input, &gateways, gateway)?,
						RuntimeCall::AccessLog(pallet_access_log::Call::log_erasure { record }),
					)
				} else {
					let who = self.who(input, gateway)?;
					let record = self.record_id(input)?;
					let accessor = self.account(input, |r| clinician(r) || gateway(r))?;
					let purpose = input.variant::<Purpose>()?;
					// A served read naming its request, or one served or refused without.
					let how = input.byte()?;
					let call = if how < 100 {
						pallet_access_log::Call::log_served {
							record,
							accessor,
							purpose,
							request: input.h256()?,
						}
					} else {
						pallet_access_log::Call::log_read {
							record,
							accessor,
							purpose,
							permitted: how < 200,
						}
					};
					(who, RuntimeCall::AccessLog(call))
				}
			},
			// Money moves, so that zero-balance accounts can (or can no longer) pay.
			28 => (
				self.who(input, anyone)?,
				RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
					dest: self.account(input, anyone)?.into(),
					value: input.pick(&[1u128, 1_000_000_000_000, ENDOWMENT / 2])?,
				}),
			),
			// Raw calls of the ehr-chain pallets: whatever the input's bytes decode to.
			_ => {
				let pallet = input.pick(&[4u8, 10, 11, 13])?;
				let mut raw = vec![pallet];
				raw.extend(input.bytes(200)?);
				let Ok(call) = RuntimeCall::decode(&mut &raw[..]) else { return Some(None) };
				(self.who(input, anyone)?, call)
			},
		};
		Some(Some(call))
	}

	/// A council motion on one of the registry's governance calls.
	fn motion(&self, input: &mut Input) -> Option<RuntimeCall> {
		use pallet_hospital_registry::Call as Reg;
		let hospital = input.below(6)? as u32;
		let proposal = match input.byte()? % 7 {
			0 => Reg::admit_hospital {
				name: input.bytes(80)?,
				admin: self.account(input, |r| matches!(r, Role::Outsider(_)))?,
				validator: self.account(input, |r| matches!(r, Role::Outsider(_)))?,
				gateway_url: input.bytes(40)?,
				nodes: Vec::new(),
			},
			1 => Reg::suspend_hospital { hospital },
			2 => Reg::reinstate_hospital { hospital },
			3 => Reg::remove_hospital { hospital },
			4 => Reg::end_guardianship {
				patient: self.account(input, |r| matches!(r, Role::Patient(_)))?,
				guardian: self.account(input, |_| true)?,
			},
			5 => Reg::set_node_permissioning { enforced: input.bool()? },
			_ => Reg::authorize_runtime_upgrade { code_hash: input.h256()? },
		};
		let proposal = RuntimeCall::HospitalRegistry(proposal);
		Some(RuntimeCall::Council(pallet_collective::Call::propose {
			threshold: input.below(4)? as u32 + 1,
			length_bound: proposal.encoded_size() as u32,
			proposal: Box::new(proposal),
		}))
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

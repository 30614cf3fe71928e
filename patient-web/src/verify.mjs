// Checking a node's answers instead of believing them: GRANDPA justifications (which block the
// hospitals' validators finalized, by their signatures) and storage read proofs (what the state
// of that block holds, against the state root in its header). The patient page and the Node
// tests use it; nothing here touches the page.
//
// Trust starts from the chain spec the page is served with: its genesis GRANDPA authority set
// (set 0). Each later set is learned from the block that ends the previous one, whose header names
// the next authorities and whose justification the previous set signed (`grandpa_proveFinality`).
// A node can then refuse to answer, but any answer it gives about finalized state is either
// proven or detected.
import { compactFromU8a, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, ed25519Verify, xxhashAsU8a } from '@polkadot/util-crypto';

/** A proof, a justification or a header that does not check out. */
export class VerificationError extends Error {}

// ---------------------------------------------------------------- storage read proofs

const hex = (u8a) => u8aToHex(u8a);

/** The nibbles (half bytes, high first) of `bytes`, from nibble `offset`. */
function nibblesOf(bytes, offset = 0) {
  const out = [];
  for (let i = offset; i < bytes.length * 2; i++) out.push(i % 2 === 0 ? bytes[i >> 1] >> 4 : bytes[i >> 1] & 0x0f);
  return out;
}

/** A reader over one encoded trie node. */
class Input {
  constructor(bytes) { this.bytes = bytes; this.at = 0; }
  byte() {
    if (this.at >= this.bytes.length) throw new VerificationError('trie node ends early');
    return this.bytes[this.at++];
  }
  take(n) {
    if (this.at + n > this.bytes.length) throw new VerificationError('trie node ends early');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  compact() {
    const [used, value] = compactFromU8a(this.bytes.subarray(this.at));
    this.at += used;
    if (this.at > this.bytes.length) throw new VerificationError('trie node ends early');
    return value.toNumber();
  }
}

/** The size in a node header (sp-trie's `decode_size`): `prefixBits` bits are the node's kind. */
function headerSize(first, input, prefixBits) {
  const max = 0xff >> prefixBits;
  let size = first & max;
  if (size < max) return size;
  size -= 1;
  for (;;) {
    const n = input.byte();
    if (n < 255) return size + n + 1;
    size += 255;
  }
}

/**
 * Decodes a node of Substrate's base-16 trie (sp-trie's `NodeCodec`, layouts V0 and V1):
 * `{ kind: 'empty' }` or `{ kind: 'leaf' | 'branch', partial: nibbles, value?: { inline } |
 * { hash }, children?: 16 × (null | { hash } | { inline }) }`.
 */
export function decodeNode(bytes) {
  const input = new Input(bytes);
  const first = input.byte();
  if (first === 0) return { kind: 'empty' };
  let kind; let valueKind; let size;
  switch (first >> 6) {
    case 0b01: kind = 'leaf'; valueKind = 'inline'; size = headerSize(first, input, 2); break;
    case 0b11: kind = 'branch'; valueKind = 'inline'; size = headerSize(first, input, 2); break;
    case 0b10: kind = 'branch'; valueKind = null; size = headerSize(first, input, 2); break;
    default:
      if ((first >> 5) === 0b001) { kind = 'leaf'; valueKind = 'hash'; size = headerSize(first, input, 3); } else if ((first >> 4) === 0b0001) {
        kind = 'branch'; valueKind = 'hash'; size = headerSize(first, input, 4);
      } else throw new VerificationError(`unknown trie node header 0x${first.toString(16)}`);
  }
  const padded = size % 2 === 1;
  const partialBytes = input.take((size + 1) >> 1);
  if (padded && (partialBytes[0] & 0xf0) !== 0) throw new VerificationError('bad padding in a trie node');
  const partial = nibblesOf(partialBytes, padded ? 1 : 0);
  const node = { kind, partial };
  let bitmap = 0;
  if (kind === 'branch') {
    const b = input.take(2);
    bitmap = b[0] | (b[1] << 8);
  }
  if (valueKind === 'inline') node.value = { inline: input.take(input.compact()) };
  else if (valueKind === 'hash') node.value = { hash: input.take(32) };
  if (kind === 'branch') {
    node.children = [];
    for (let i = 0; i < 16; i++) {
      if (!(bitmap & (1 << i))) { node.children.push(null); continue; }
      const child = input.take(input.compact());
      node.children.push(child.length === 32 ? { hash: child } : { inline: child });
    }
  }
  if (input.at !== bytes.length) throw new VerificationError('trailing bytes in a trie node');
  return node;
}

/** The proof's nodes by their blake2-256 hash. */
export function proofDatabase(proof) {
  const db = new Map();
  for (const node of proof) {
    const bytes = typeof node === 'string' ? hexToU8a(node) : node;
    db.set(hex(blake2AsU8a(bytes, 256)), bytes);
  }
  return db;
}

/**
 * The value under `key` in the trie of root `root`, or null where the proof shows there is none;
 * throws a VerificationError when the proof lacks a node on the key's path (a node that omits or
 * alters anything cannot make it say otherwise).
 */
export function readProof(root, db, key) {
  const want = nibblesOf(key);
  const lookup = (hash) => {
    const node = db.get(hex(hash));
    if (!node) throw new VerificationError(`the proof lacks trie node ${hex(hash)} on the path of ${hex(key)}`);
    return node;
  };
  const valueOf = (value) => (value.inline ? value.inline : lookup(value.hash));
  let encoded = lookup(root);
  let at = 0;
  for (let depth = 0; depth <= want.length + 1; depth++) {
    const node = decodeNode(encoded);
    if (node.kind === 'empty') return null;
    if (node.partial.length > want.length - at) return null;
    for (let i = 0; i < node.partial.length; i++) if (node.partial[i] !== want[at + i]) return null;
    at += node.partial.length;
    if (node.kind === 'leaf') return at === want.length ? valueOf(node.value) : null;
    if (at === want.length) return node.value ? valueOf(node.value) : null;
    const child = node.children[want[at]];
    at += 1;
    if (!child) return null;
    encoded = child.inline ?? lookup(child.hash);
  }
  throw new VerificationError('a trie path longer than its key');
}

// ---------------------------------------------------------------- GRANDPA

/** The authorities of set 0: `Grandpa::Authorities` in a raw chain spec's genesis storage. */
export function genesisAuthorities(chainSpec) {
  const key = hex(u8aConcat(xxhashAsU8a('Grandpa', 128), xxhashAsU8a('Authorities', 128)));
  const value = chainSpec?.genesis?.raw?.top?.[key];
  if (!value) throw new VerificationError('the chain spec is not raw or has no GRANDPA authorities');
  return decodeAuthorityList(hexToU8a(value));
}

/** SCALE `Vec<(ed25519 public key, u64 weight)>` → `[{ id: Uint8Array, weight: bigint }]`. */
function decodeAuthorityList(bytes) {
  const [used, count] = compactFromU8a(bytes);
  const out = [];
  let at = used;
  for (let i = 0; i < count.toNumber(); i++) {
    if (at + 40 > bytes.length) throw new VerificationError('authority list ends early');
    const weight = new DataView(bytes.buffer, bytes.byteOffset + at + 32, 8).getBigUint64(0, true);
    out.push({ id: bytes.slice(at, at + 32), weight });
    at += 40;
  }
  return out;
}

/** What a GRANDPA voter signs for a precommit: `(Message::Precommit(target), round, set_id)`. */
function precommitPayload(targetHash, targetNumber, round, setId) {
  const out = new Uint8Array(1 + 32 + 4 + 8 + 8);
  const view = new DataView(out.buffer);
  out[0] = 1; // Message::Precommit
  out.set(targetHash, 1);
  view.setUint32(33, targetNumber, true);
  view.setBigUint64(37, BigInt(round), true);
  view.setBigUint64(45, BigInt(setId), true);
  return out;
}

/**
 * Checks a GRANDPA justification (SCALE bytes) against an authority set, as a GRANDPA client
 * does: every precommit signed by a member for this round and set, each for the target or a
 * descendant shown in the vote ancestries, every ancestry used, and the distinct signers' weight
 * at least the set's threshold (total - ⌊(total - 1) / 3⌋). Returns `{ hash, number, round,
 * signers }` of the finalized target.
 */
export function verifyJustification(registry, bytes, set) {
  const j = registry.createType('GrandpaJustification', bytes);
  const target = j.commit.targetHash.toU8a();
  const targetNumber = j.commit.targetNumber.toNumber();
  const round = j.round.toBigInt();
  const parents = new Map();
  for (const header of j.votesAncestries) parents.set(header.hash.toHex(), { parent: header.parentHash.toHex(), number: header.number.toNumber() });
  const used = new Set();
  const members = new Map(set.authorities.map((a) => [hex(a.id), a.weight]));
  const total = set.authorities.reduce((s, a) => s + a.weight, 0n);
  if (total <= 0n) throw new VerificationError(`authority set ${set.setId} is empty`);
  const threshold = total - (total - 1n) / 3n;
  const signed = new Map();
  for (const sp of j.commit.precommits) {
    const id = hex(sp.id.toU8a());
    const weight = members.get(id);
    if (weight === undefined) throw new VerificationError(`a precommit by ${id}, who is not in authority set ${set.setId}`);
    const pHash = sp.precommit.targetHash.toU8a();
    const pNumber = sp.precommit.targetNumber.toNumber();
    if (hex(pHash) === hex(target) && pNumber !== targetNumber) throw new VerificationError('a precommit for the target under another number');
    if (!ed25519Verify(precommitPayload(pHash, pNumber, round, set.setId), sp.signature.toU8a(), sp.id.toU8a())) {
      throw new VerificationError(`a bad signature by ${id} (round ${round}, set ${set.setId})`);
    }
    // The precommit's target must be the commit's target or descend from it.
    let cursor = hex(pHash);
    while (cursor !== hex(target)) {
      const step = parents.get(cursor);
      if (!step || step.number <= targetNumber) throw new VerificationError(`a precommit for ${hex(pHash)}, not a descendant of the target`);
      used.add(cursor);
      cursor = step.parent;
    }
    signed.set(id, weight);
  }
  if (used.size !== parents.size) throw new VerificationError('the justification carries vote ancestries no precommit uses');
  const weight = [...signed.values()].reduce((s, w) => s + w, 0n);
  if (weight < threshold) throw new VerificationError(`signed by ${weight} of ${total} authorities; ${threshold} are needed`);
  return { hash: hex(target), number: targetNumber, round, signers: signed.size, of: set.authorities.length };
}

/** The next authority set a header names (a GRANDPA scheduled or forced change), or null. */
export function scheduledChange(header) {
  for (const item of header.digest.logs) {
    if (!item.isConsensus) continue;
    const [engine, data] = item.asConsensus;
    if (engine.toString() !== 'FRNK') continue;
    const bytes = data.toU8a(true);
    // ConsensusLog::ScheduledChange(ScheduledChange { next_authorities, delay }) = 1;
    // ConsensusLog::ForcedChange(median, ScheduledChange) = 2.
    if (bytes[0] === 1) return { authorities: decodeAuthorityList(bytes.subarray(1)), forced: false };
    if (bytes[0] === 2) return { authorities: decodeAuthorityList(bytes.subarray(5)), forced: true };
  }
  return null;
}

/**
 * A block's header by hash, checked: its hash is the hash asked for (so its state root is that
 * block's).
 */
export async function checkedHeader(api, hash) {
  const header = await api.rpc.chain.getHeader(hash);
  if (header.hash.toHex() !== hash) throw new VerificationError(`the node answered another header for block ${hash}`);
  return header;
}

/**
 * Follows the finality of one node's chain by its justifications, checking each: `onVerified`
 * gets `{ hash, number, stateRoot, signers, of, setId }` for each block proven final, in order.
 * `onError` gets a VerificationError for a justification that does not check out (the node
 * lies) or any failure of the node.
 */
export class FinalityFollower {
  constructor(api, authorities, { onVerified, onError } = {}) {
    this.api = api;
    this.set = { setId: 0, authorities, since: 0 };
    this.latest = null;
    this.onVerified = onVerified ?? (() => {});
    this.onError = onError ?? (() => {});
    this.queue = Promise.resolve();
  }

  /** Subscribes to the node's justifications; resolves with the unsubscribe function. */
  async start() {
    await this.catchUp();
    return this.api.rpc.grandpa.subscribeJustifications((bytes) => {
      this.queue = this.queue.then(() => this.accept(bytes.toU8a(true))).catch((e) => this.onError(e));
    });
  }

  /**
   * Learns the authority sets from set 0 up to the current one: each set's last block, its
   * justification (signed by that set) and its header's scheduled change.
   */
  async catchUp() {
    const { api } = this;
    for (let steps = 0; steps < 10_000; steps++) {
      // The node's voter says which set it is in; nothing to learn when it is the one known. (A
      // node that says so falsely only keeps the later justifications from verifying.)
      const round = await api.rpc.grandpa.roundState();
      if (round.setId.toNumber() <= this.set.setId) return;
      const finalized = await checkedHeader(api, (await api.rpc.chain.getFinalizedHead()).toHex());
      if (finalized.number.toNumber() <= this.set.since) return;
      let answer;
      try {
        answer = await api.rpc.grandpa.proveFinality(this.set.since + 1);
      } catch (e) {
        // The node knows of no set change after `since`: the set is the current one. (A node
        // that says so falsely only keeps the later justifications from verifying.)
        if (/not covered by authority set changes/.test(e.message)) return;
        throw e;
      }
      if (answer.isNone) return; // no justification stored after `since`: the set is current
      const encoded = answer.unwrap();
      const [block, justification, unknown] = api.createType('(H256, Bytes, Vec<Header>)', encoded.toU8a(true));
      const proven = verifyJustification(api.registry, justification.toU8a(true), this.set);
      if (proven.hash !== block.toHex()) throw new VerificationError('a finality proof for another block than it names');
      const header = unknown.find((h) => h.hash.toHex() === proven.hash) ?? await checkedHeader(api, proven.hash);
      if (header.number.toNumber() !== proven.number) throw new VerificationError('a finality proof that misnumbers its block');
      const change = scheduledChange(header);
      if (!change) return; // proven within the current set: no later set to learn
      this.set = { setId: this.set.setId + 1, authorities: change.authorities, since: proven.number };
    }
  }

  async accept(bytes) {
    let proven;
    try {
      proven = verifyJustification(this.api.registry, bytes, this.set);
    } catch (e) {
      // Possibly a new authority set: learn it, then check again.
      const before = this.set.setId;
      await this.catchUp();
      if (this.set.setId === before) throw e;
      proven = verifyJustification(this.api.registry, bytes, this.set);
    }
    if (this.latest && proven.number <= this.latest.number) return;
    const header = await checkedHeader(this.api, proven.hash);
    if (header.number.toNumber() !== proven.number) throw new VerificationError('a justification that misnumbers its block');
    const change = scheduledChange(header);
    this.latest = { ...proven, stateRoot: header.stateRoot.toU8a(), setId: this.set.setId };
    if (change) this.set = { setId: this.set.setId + 1, authorities: change.authorities, since: proven.number };
    this.onVerified(this.latest);
  }
}

// ---------------------------------------------------------------- proven storage

// Storage keys and the values the checks rely on are computed and decoded here, from what the
// page knows of the runtime, never from the node's metadata (which the node could alter to make
// an honest proof of the wrong key look like an answer).

/** `twox128(pallet) ++ twox128(item)`: the prefix of a storage item's keys. */
export function storagePrefix(pallet, item) {
  return u8aConcat(xxhashAsU8a(pallet, 128), xxhashAsU8a(item, 128));
}

/** The `Blake2_128Concat` part of a key. */
export const blake2_128Concat = (bytes) => u8aConcat(blake2AsU8a(bytes, 128), bytes);
/** The `Twox64Concat` part of a key. */
export const twox64Concat = (bytes) => u8aConcat(xxhashAsU8a(bytes, 64), bytes);
/** SCALE of a `u32`. */
export const u32le = (n) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };
/** SCALE of a `u64`. */
export const u64le = (n) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };

/** The `u32` at `at` of `bytes` (little endian). */
export function readU32(bytes, at = 0) {
  if (bytes.length < at + 4) throw new VerificationError('a proven value ends early');
  return new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true);
}

/** The `u64` at `at` of `bytes`, as a number (exact below 2^53, which ids and times are). */
export function readU64(bytes, at = 0) {
  if (bytes.length < at + 8) throw new VerificationError('a proven value ends early');
  return Number(new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true));
}

/** SCALE `Vec<u64>` → numbers. */
export function readU64Vec(bytes) {
  const [used, len] = compactFromU8a(bytes);
  return [...Array(len.toNumber()).keys()].map((i) => readU64(bytes, used + 8 * i));
}

/**
 * The values of storage `keys` (Uint8Arrays) in the state of a verified block, proven by one
 * `state_getReadProof`: the bytes, or null where the proof shows there is none. Throws a
 * VerificationError when the proof does not check out.
 */
export async function proveKeys(api, block, keys) {
  const hexKeys = keys.map((k) => hex(k));
  const proof = await api.rpc.state.getReadProof(hexKeys, block.hash);
  if (proof.at.toHex() !== block.hash) throw new VerificationError('a read proof for another block than asked');
  const db = proofDatabase(proof.proof.map((p) => p.toU8a(true)));
  return keys.map((k) => readProof(block.stateRoot, db, k));
}

// ---------------------------------------------------------------- access-log entries

const ENTRY_DOMAIN = stringToU8a('ehr-chain/access-log/entry/v1'); // pallet_access_log::ENTRY_DOMAIN

/** `snake_case` keys → `camelCase`, deeply (the JSON of enum variants' fields keeps Rust's). */
function camelKeys(v) {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), camelKeys(x)]));
  }
  return v;
}

const entryTypes = new WeakMap(); // registry -> the LogEntry type's name

/** The runtime's `LogEntry` type (from the metadata), for encoding entries as the chain does. */
export function logEntryType(api) {
  const known = entryTypes.get(api.registry);
  if (known) return known;
  const found = api.registry.lookup.types.find((t) => t.type.path.length && t.type.path[t.type.path.length - 1].toString() === 'LogEntry');
  if (!found) throw new VerificationError('the runtime metadata has no LogEntry type');
  const type = api.registry.createLookupType(found.id);
  entryTypes.set(api.registry, type);
  return type;
}

/**
 * An entry of the `ehr_*` methods' JSON, encoded with the runtime's `LogEntry` type: `{ bytes,
 * hash }`, the hash as the runtime computes it. Whatever type the metadata gave, bytes whose
 * hash the chain linked are the entry's true bytes.
 */
export function encodeEntry(api, type, json) {
  const { hash: _h, ...fields } = json;
  const bytes = api.createType(type, camelKeys(fields)).toU8a();
  return { bytes, hash: hex(blake2AsU8a(u8aConcat(ENTRY_DOMAIN, bytes), 256)) };
}

/** An entry's hash as the runtime computes it, from the `ehr_*` methods' JSON of the entry. */
export function entryHash(api, type, json) {
  return encodeEntry(api, type, json).hash;
}

/**
 * `LogAction`'s variants in the runtime's order (ehr_primitives::LogAction), as the `ehr_*`
 * methods name them: the page tells reads from other entries by this table, not by the node's
 * metadata.
 */
export const LOG_ACTIONS = ['recordAdded', 'recordAmended', 'recordEnteredInError', 'recordDeleted',
  'consentGranted', 'consentRevoked', 'emergencyOpened', 'emergencyEnded', 'emergencyReviewed',
  'documentRead', 'readDenied', 'documentErased', 'patientVerified', 'delegateAppointed',
  'delegateRemoved', 'guardianRecorded', 'guardianContested', 'guardianUpheld', 'guardianRemoved',
  'documentServed'];

/**
 * The name of an entry's action, read from its SCALE bytes (`seq` u64, `patient` and `actor` 32
 * bytes each, `hospital` an `Option<u32>`, then the action's variant index).
 */
export function entryAction(bytes) {
  const at = 72 + (bytes[72] === 1 ? 5 : 1);
  const name = LOG_ACTIONS[bytes[at]];
  if (bytes.length <= at || !name) throw new VerificationError('an access-log entry with an unknown action');
  return name;
}


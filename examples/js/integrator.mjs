#!/usr/bin/env node
// ehr-chain for hospital EHR integrators: a small command-line tool, written to be read.
//
//   node integrator.mjs [--url ws://127.0.0.1:9944] [--json] <command> [options]
//
// It shows the calls a hospital's EHR system and its document gateway make against ehr-chain,
// with Polkadot.js (@polkadot/api) and no custom type definitions:
//
//   * writes are signed extrinsics (`api.tx.<pallet>.<call>`), whose argument types come from the
//     runtime metadata; failures come back as module errors, decoded here from the metadata too
//     (`section.Name: docs`);
//   * reads are the node's `ehr_*` JSON-RPC methods (docs/rpc.md), sent as plain JSON-RPC over
//     the same WebSocket (`provider.send`), because Polkadot.js does not decorate them.
//
// Nothing personal goes on chain: licence and patient numbers are anchored as salted commitments,
// documents as the hash and content address (CID) of their ciphertext. Keys are secret URIs
// (`--as //Alice`), which suits development chains only: a hospital's real system signs with
// keys from its own key store or HSM (any Polkadot.js `Signer` works where `signAndSend` takes a
// key pair here), and keeps document keys in a key-management system rather than in files.
//
// Run `node integrator.mjs --help` for the commands; README.md has an example session.

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, decodeAddress, encodeAddress } from '@polkadot/util-crypto';

/** The chain's SS58 prefix; the `ehr_*` methods take and print addresses in this form. */
const SS58 = 42;

// The document format `add-record` seals in, ChaCha20-Poly1305 in the STREAM construction: the
// records pallet's `EncryptionScheme::ChaCha20Poly1305Stream`, byte for byte what the Rust
// `ehr_client::document::seal_stream` writes and `open_stream` reads (see `sealStream`).

/** Associated data of every chunk of a streamed document: binds each chunk to this format. */
const STREAM_AAD = Buffer.from('ehr-chain/document/stream/v1');
/** Length of the random nonce prefix that starts a streamed document. */
const STREAM_PREFIX_LEN = 7;
/** Bytes of plaintext in each chunk (the last may hold fewer): 1 MiB. */
const STREAM_CHUNK = 1 << 20;
/** Length of each chunk's Poly1305 tag (and of AES-256-GCM's tag). */
const TAG_LEN = 16;
/** Chunks are numbered with a u32 in the nonce, so a document has at most 2^32 of them. */
const MAX_CHUNKS = 2 ** 32;

/**
 * Documents anchored earlier by this tool are AES-256-GCM (`EncryptionScheme::Aes256Gcm`): one
 * message `nonce (12 bytes) ++ ciphertext ++ tag (16 bytes)` with this associated data. `decrypt`
 * still opens them; nothing is sealed that way any more.
 */
const AES_GCM_AAD = Buffer.from('ehr-chain/document/v1');
const AES_GCM_NONCE_LEN = 12;

// ---------------------------------------------------------------------------------------------
// Errors: everything that goes wrong ends as one `CliError`, printed once, exit code 1.

class CliError extends Error {
  constructor(message, extra = {}) {
    super(message);
    Object.assign(this, extra);
  }
}

/**
 * A dispatch error of an included extrinsic, decoded from the metadata: for a module error
 * `section.Name: docs` (e.g. `hospitalRegistry.NotHospitalAdmin: The caller is not the admin of
 * an active hospital.`), otherwise the error's kind (`BadOrigin`, `Token.FundsUnavailable`, ...).
 */
function dispatchFailure(api, dispatchError, label) {
  if (dispatchError.isModule) {
    const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
    const text = docs.join(' ').replace(/\s+/g, ' ').trim();
    return new CliError(`${section}.${name}: ${text}`, { module: { section, name, docs: text } });
  }
  const kind = dispatchError.isToken ? `Token.${dispatchError.asToken.type}`
    : dispatchError.isArithmetic ? `Arithmetic.${dispatchError.asArithmetic.type}`
      : dispatchError.type;
  return new CliError(`${label} failed: ${kind}`);
}

// ---------------------------------------------------------------------------------------------
// Small helpers: options, addresses, enum names, commitments, CIDs, timeouts.

/** Rejects after `ms` with `message` unless `promise` settles first. */
function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new CliError(message)), ms); }),
  ]);
}

/** An account given as SS58 (any prefix) or 0x hex, in the chain's SS58 form. */
function address(value, option) {
  try {
    return encodeAddress(decodeAddress(value), SS58);
  } catch (e) {
    throw new CliError(`--${option}: not an account address (SS58 or 0x hex): ${e.message}`);
  }
}

/** A non-negative integer option. */
function integer(value, option) {
  if (!/^\d+$/.test(String(value))) throw new CliError(`--${option}: not a non-negative integer: ${value}`);
  return Number(value);
}

/**
 * The variants of a runtime enum, read from the metadata through one of a call's parameters,
 * e.g. `enumVariants(api, api.tx.patientRecords.addRecord, 'category')` gives
 * `['ClinicalNote', 'LabResult', ...]`. `Vec<...>` parameters give their element's variants; with
 * `field`, the enum is that field of a struct parameter (`'content', 'scheme'`).
 */
function enumVariants(api, call, param, field) {
  const arg = call.meta.args.find((a) => a.name.toString() === param);
  if (!arg) throw new Error(`metadata: ${call.section}.${call.method} has no parameter ${param}`);
  const type = arg.type.toString().replace(/^Vec<(.+)>$/, '$1');
  const value = api.createType(type);
  if (field === undefined) return value.defKeys;
  if (!value.get?.(field)) throw new Error(`metadata: ${call.section}.${call.method}'s ${param} has no field ${field}`);
  return value.get(field).defKeys;
}

/**
 * Matches a user's spelling (`ClinicalNote`, `clinicalNote`, `clinical-note`) to a variant.
 * Extrinsics take the Rust name (`ClinicalNote`); the `ehr_*` RPC the camelCase one
 * (`clinicalNote`): see `camel`.
 */
function variant(variants, value, option) {
  const norm = (s) => String(s).toLowerCase().replace(/[^a-z0-9]/g, '');
  const found = variants.find((v) => norm(v) === norm(value));
  if (!found) throw new CliError(`--${option}: ${value} is not one of ${variants.join(', ')}`);
  return found;
}
const camel = (name) => name[0].toLowerCase() + name.slice(1);

/**
 * `blake2_256(salt ++ value)` with a fresh 32-byte salt: how a hospital anchors a licence or
 * patient number. The chain sees only the commitment; the hospital keeps salt and number and
 * can prove the link later by revealing both. A bare hash of a short number would not hide it
 * (anyone can hash every candidate), which is why the salt is random and secret.
 */
function saltedCommitment(value) {
  const salt = randomBytes(32);
  const commitment = blake2AsU8a(u8aConcat(salt, stringToU8a(value)), 256);
  return { salt: u8aToHex(salt), commitment: u8aToHex(commitment) };
}

/** RFC 4648 base32, lower case, no padding: the `b` multibase IPFS prints CIDv1 in. */
function base32(bytes) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Reads into `buf` until it is full or the input ends; the number of bytes read, fewer than
 * `buf.length` only at the end. A plain `readSync` may return less than asked before the end (a
 * pipe, a slow disk), and a short read must not be taken for the last chunk. `position` null
 * reads on from the file's current position (a pipe works); a number reads at that offset, so
 * `decrypt` can read one file twice through one descriptor.
 */
function readFull(fd, buf, position, label) {
  let n = 0;
  while (n < buf.length) {
    let got;
    try {
      got = readSync(fd, buf, n, buf.length - n, position === null ? null : position + n);
    } catch (e) {
      throw new CliError(`${label}: ${e.code ?? e.message}`);
    }
    if (got === 0) break;
    n += got;
  }
  return n;
}

/** Writes all of `bytes` (`writeSync` may write fewer than it is given). */
function writeAll(fd, bytes) {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * The input in pieces of `size` bytes, each with its number and whether it is the last: the
 * pieces a streamed document is sealed from (`size` 1 MiB of plaintext) or opened from (`size` 1
 * MiB + 16 of sealed bytes). A piece is the last when the input ends with it: a short one, or a
 * full one that nothing follows. So a full piece is only handed out once the next one is read
 * (two buffers, swapped), and an input of exactly k MiB is k pieces, not k and an empty one; an
 * empty input is one empty last piece. Each piece is a view of a reused buffer: valid until the
 * next one is asked for. Memory stays at two pieces whatever the size.
 */
function* pieces(fd, size, label, start = null) {
  let position = start;
  const read = (buf) => {
    const n = readFull(fd, buf, position, label);
    if (position !== null) position += n;
    return n;
  };
  let [piece, next] = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let n = read(piece);
  for (let number = 0; ; number += 1) {
    if (number >= MAX_CHUNKS) throw new CliError(`${label}: more than 2^32 chunks of ${size} bytes`);
    const m = n === size ? read(next) : 0;
    yield { number, data: piece.subarray(0, n), last: m === 0 };
    if (m === 0) return;
    [piece, next, n] = [next, piece, m];
  }
}

/**
 * The nonce of chunk `number` of a streamed document: `prefix (7) ++ number (u32, big-endian) ++
 * last (1 byte: 1 for the last chunk, else 0)`. The number puts every chunk in its place (a chunk
 * moved, dropped or copied from another place fails its tag); the flag marks the end (a document
 * cut at a chunk boundary ends with a chunk sealed as not the last, which fails too); the random
 * prefix and the fresh key keep nonces from repeating across documents.
 */
function streamNonce(prefix, number, last) {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(number, STREAM_PREFIX_LEN);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** The CIDv1 of sealed bytes with SHA2-256 `digest`: as bytes (hex) and as IPFS prints it. */
function cidOf(digest) {
  const cid = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest]);
  return { commitment: u8aToHex(digest), cid: u8aToHex(cid), cidString: 'b' + base32(cid) };
}

/**
 * Seals a document for anchoring, as records.md asks, a chunk at a time from the descriptor
 * `input` into the descriptor `output`: a fresh random 256-bit key per document, ChaCha20-Poly1305
 * (RFC 8439; node:crypto has it built in) in the STREAM construction, the records pallet's
 * `EncryptionScheme::ChaCha20Poly1305Stream`:
 *
 *   sealed     = prefix (7 random bytes)
 *                ++ for each 1 MiB chunk of plaintext (the last may be shorter; an empty
 *                   document is one empty chunk): ciphertext ++ tag (16 bytes)
 *   nonce      = prefix ++ chunk number (u32, big-endian) ++ 1 if the last chunk, else 0
 *   aad        = "ehr-chain/document/stream/v1", for every chunk
 *   commitment = sha2-256(sealed)
 *   cid        = CIDv1: 0x01 (version) 0x55 (raw codec) 0x12 (sha2-256) 0x20 (32 bytes) ++ digest
 *
 * Chunks rather than one message so that a document of any size (a scan, a video, several GiB)
 * is sealed, and later opened, holding two chunks in memory, and every chunk is authenticated
 * before its plaintext is used: one AEAD message could be checked only once all of it was read.
 * The sealed bytes are hashed as they are written, so the file is read once. This is what the
 * Rust `ehr_client::document::seal_stream` writes: either side opens what the other sealed.
 *
 * The raw codec makes the CID's digest the hash of the sealed bytes themselves, so the pallet
 * checks that the CID's digest *is* the commitment (`CidMismatch` otherwise), and whoever fetches
 * the bytes by their CID from any IPFS-compatible store can check them against the chain.
 */
function sealStream(input, output, label) {
  const key = randomBytes(32);
  const prefix = randomBytes(STREAM_PREFIX_LEN);
  const hash = createHash('sha256');
  let size = 0;
  const emit = (bytes) => {
    writeAll(output, bytes);
    hash.update(bytes);
    size += bytes.length;
  };
  emit(prefix);
  let plaintextSize = 0;
  let chunks = 0;
  for (const { number, data, last } of pieces(input, STREAM_CHUNK, label)) {
    // One cipher per chunk: each chunk is its own AEAD message under its own nonce.
    const cipher = createCipheriv('chacha20-poly1305', key, streamNonce(prefix, number, last), { authTagLength: TAG_LEN });
    cipher.setAAD(STREAM_AAD);
    emit(cipher.update(data));
    emit(cipher.final());
    emit(cipher.getAuthTag());
    plaintextSize += data.length;
    chunks += 1;
  }
  return { key, size, plaintextSize, chunks, ...cidOf(hash.digest()) };
}

/**
 * Chunk `number` of a streamed document opened: its plaintext, or null if its tag does not check
 * out under this nonce. `update` hands out plaintext before the tag is checked (by `final`), so it
 * is returned only after.
 */
function openChunk(key, prefix, number, last, sealedChunk) {
  const decipher = createDecipheriv('chacha20-poly1305', key, streamNonce(prefix, number, last), { authTagLength: TAG_LEN });
  decipher.setAAD(STREAM_AAD);
  decipher.setAuthTag(sealedChunk.subarray(sealedChunk.length - TAG_LEN));
  const plaintext = decipher.update(sealedChunk.subarray(0, sealedChunk.length - TAG_LEN));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext;
}

/**
 * Why chunk `number` does not open, in words. If it opens with the other last-chunk flag, the
 * chunk itself is sound and the file's length is wrong: cut at a chunk boundary (the chunk now
 * last was sealed to be followed by more), or bytes appended after the real last chunk. Otherwise
 * it is the key (at chunk 0) or the chunk: altered, out of its place, or from another document.
 */
function whyChunkFails(key, prefix, number, last, sealedChunk) {
  if (openChunk(key, prefix, number, !last, sealedChunk) !== null) {
    return last
      ? `the document is cut short: it ends with chunk ${number}, which was sealed to be followed by more chunks`
      : `bytes follow the document's last chunk (chunk ${number}): something was appended to it`;
  }
  return number === 0
    ? 'the document does not decrypt with this key (chunk 0 fails authentication)'
    : `chunk ${number} of the document fails authentication: it is altered or cut, out of its place (chunks `
      + 'dropped or reordered), or from another document';
}

/**
 * Opens a `ChaCha20Poly1305Stream` document from `fd` a chunk at a time (the reverse of
 * `sealStream`), handing each chunk's plaintext to `write` only once its tag has checked out
 * (`write` null: check only). Throws a CliError at the first chunk that does not authenticate,
 * saying why (`whyChunkFails`): the key is not this document's, or the file is cut short, has
 * chunks dropped, reordered or altered, or taken from another document. Returns the plaintext
 * size, the number of chunks and the sha2-256 of the sealed bytes, hashed again on the way.
 */
function openStream(fd, key, label, write) {
  const prefix = Buffer.alloc(STREAM_PREFIX_LEN);
  if (readFull(fd, prefix, 0, label) < STREAM_PREFIX_LEN) throw new CliError('the document is too short to be a sealed document');
  const hash = createHash('sha256').update(prefix);
  let size = 0;
  let chunks = 0;
  for (const { number, data, last } of pieces(fd, STREAM_CHUNK + TAG_LEN, label, STREAM_PREFIX_LEN)) {
    hash.update(data);
    if (data.length < TAG_LEN) throw new CliError(`the document is cut short: it ends inside chunk ${number}'s tag`);
    const plaintext = openChunk(key, prefix, number, last, data);
    if (plaintext === null) throw new CliError(whyChunkFails(key, prefix, number, last, data));
    write?.(plaintext);
    size += plaintext.length;
    chunks += 1;
  }
  return { size, chunks, digest: hash.digest() };
}

/**
 * Opens an `Aes256Gcm` document, as this tool sealed them before the streamed form (one message,
 * `nonce ++ ciphertext ++ tag`, in memory: the tag is checked only at the end of the message, so
 * no plaintext may be used before all of it is read). Throws if the key or the bytes are wrong.
 */
function openAesGcm(sealed, key) {
  if (sealed.length < AES_GCM_NONCE_LEN + TAG_LEN) throw new CliError('the document is too short to be a sealed document');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, AES_GCM_NONCE_LEN));
  decipher.setAAD(AES_GCM_AAD);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LEN));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(AES_GCM_NONCE_LEN, sealed.length - TAG_LEN)), decipher.final()]);
  } catch {
    throw new CliError('the document does not decrypt with this key (authentication failed)');
  }
}

const when = (ms) => new Date(Number(ms)).toISOString();

// ---------------------------------------------------------------------------------------------
// The chain: one WebSocket connection serves the extrinsics and the `ehr_*` JSON-RPC methods.

class Chain {
  constructor(url, timeoutMs, progress) {
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.progress = progress;
  }

  /**
   * Connects and reads the metadata; bounded, so a node that is down is an error, not a hang.
   * Auto-reconnect is off (autoConnectMs 0): a command is short, and a dropped connection
   * should end it with an error rather than retry in the background.
   */
  async connect() {
    this.provider = new WsProvider(this.url, 0, {}, this.timeoutMs);
    try {
      const subs = [];
      await withTimeout(new Promise((resolve, reject) => {
        subs.push(this.provider.on('connected', resolve));
        subs.push(this.provider.on('error', () => reject(new CliError(`cannot connect to ${this.url}: is the node running?`))));
        this.provider.connect().catch(reject);
      }), Math.min(this.timeoutMs, 15_000), `cannot connect to ${this.url}: no answer`).finally(() => subs.forEach((u) => u()));
      this.api = await withTimeout(ApiPromise.create({ provider: this.provider, noInitWarn: true }),
        this.timeoutMs, `${this.url} did not hand out its metadata in time`);
    } catch (e) {
      await this.provider.disconnect().catch(() => {});
      throw e;
    }
    return this;
  }

  async disconnect() {
    await this.api?.disconnect().catch(() => {});
    if (!this.api) await this.provider?.disconnect().catch(() => {});
  }

  /** One `ehr_*` method, positional parameters as docs/rpc.md lists them. */
  async rpc(method, params) {
    try {
      return await this.provider.send(method, params);
    } catch (e) {
      throw new CliError(`${method} failed: ${e.message}`);
    }
  }

  /**
   * Signs `tx` with `signer`, submits it and waits until it is finalized (bounded by --timeout).
   * Resolves with the events of the extrinsic and the block; rejects with the decoded module
   * error if it failed on chain, or with the node's reason if the pool refused it (for example
   * `1010: Invalid Transaction: Inability to pay some fees`).
   */
  submit(tx, signer, label) {
    const { api } = this;
    return new Promise((resolve, reject) => {
      let finished = false;
      let unsubscribe;
      const finish = (fn, value) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        unsubscribe?.();
        fn(value);
      };
      const timer = setTimeout(() => finish(reject,
        new CliError(`${label}: not finalized within ${this.timeoutMs / 1000} s (--timeout)`)), this.timeoutMs);
      this.progress(`${label}: signing as ${signer.address}`);
      tx.signAndSend(signer, ({ status, events, dispatchError, txHash }) => {
        if (status.isReady) this.progress(`${label}: in the transaction pool (${txHash.toHex()})`);
        if (status.isInBlock) this.progress(`${label}: included in block ${status.asInBlock.toHex()}`);
        if (dispatchError) return finish(reject, dispatchFailure(api, dispatchError, label));
        if (status.isFinalized) {
          return finish(resolve, { blockHash: status.asFinalized.toHex(), txHash: txHash.toHex(), events });
        }
        if (status.isInvalid || status.isDropped || status.isUsurped) {
          return finish(reject, new CliError(`${label}: the transaction was ${status.type.toLowerCase()}`));
        }
      }).then((u) => {
        unsubscribe = u;
        if (finished) u();
      }).catch((e) => finish(reject, new CliError(`${label}: refused by the node: ${e.message}`)));
    }).then(async (done) => {
      done.block = (await api.rpc.chain.getHeader(done.blockHash)).number.toNumber();
      this.progress(`${label}: finalized in block #${done.block}`);
      return done;
    });
  }

  /** The data of the first event `kind` (e.g. `api.events.patientRecords.RecordAdded`) in `events`. */
  static event(events, kind) {
    return events.find(({ event }) => kind.is(event))?.event.data;
  }
}

/** The key pair of a secret URI (`//Alice`, a mnemonic, `0x` seed); never echoed back. */
function signer(suri) {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58 });
  try {
    return keyring.addFromUri(suri);
  } catch {
    throw new CliError('--as: not a valid secret URI (e.g. //Alice, a mnemonic, or a 0x seed)');
  }
}

// ---------------------------------------------------------------------------------------------
// The commands. Each returns a result object (what --json prints) and the lines a person reads.

/**
 * Hospital admin registers a staff account with a role. The licence number stays with the
 * hospital; the chain gets `blake2_256(salt ++ licence number)` (see saltedCommitment).
 */
async function registerStaff(chain, o) {
  const { api } = chain;
  const call = api.tx.hospitalRegistry.registerStaff;
  const role = variant(enumVariants(api, call, 'role'), o.role, 'role');
  const staff = address(o.staff, 'staff');
  let validUntil = null;
  if (o['valid-until'] !== undefined) {
    validUntil = /^\d+$/.test(o['valid-until']) ? Number(o['valid-until']) : Date.parse(o['valid-until']);
    if (!Number.isFinite(validUntil)) throw new CliError(`--valid-until: not a date or ms time: ${o['valid-until']}`);
  }
  const { salt, commitment } = saltedCommitment(o.licence);
  const done = await chain.submit(call(staff, role, commitment, validUntil), signer(o.as), 'hospitalRegistry.registerStaff');
  const ev = Chain.event(done.events, api.events.hospitalRegistry.StaffRegistered);
  const result = {
    staff, role, hospital: ev.hospital.toNumber(), licenceCommitment: commitment, salt,
    validUntil, block: done.block, blockHash: done.blockHash,
  };
  return [result, [
    `registered ${staff} as ${role} of hospital ${result.hospital} (block #${done.block})`,
    `licence commitment ${commitment} = blake2_256(salt ++ licence number)`,
    `salt               ${salt}`,
    'keep the salt with the licence number in the hospital\'s own records: the chain holds only the commitment',
  ]];
}

/**
 * Front desk enrols a patient: registers the account (unless it already is a patient; it needs
 * no balance afterwards) and records the hospital's verification as a salted commitment of the
 * hospital's own patient number.
 */
async function enrolPatient(chain, o) {
  const { api } = chain;
  const patient = address(o.patient, 'patient');
  const { salt, commitment } = saltedCommitment(o.number);
  const done = await chain.submit(api.tx.hospitalRegistry.enrolPatient(patient, commitment), signer(o.as), 'hospitalRegistry.enrolPatient');
  const registered = !!Chain.event(done.events, api.events.hospitalRegistry.PatientRegistered);
  const verified = Chain.event(done.events, api.events.hospitalRegistry.PatientVerified);
  const result = {
    patient, newlyRegistered: registered, hospital: verified.hospital.toNumber(), commitment, salt,
    block: done.block, blockHash: done.blockHash,
  };
  return [result, [
    `${registered ? 'enrolled' : 'verified already registered patient'} ${patient} at hospital ${result.hospital} (block #${done.block})`,
    `patient number commitment ${commitment} = blake2_256(salt ++ patient number)`,
    `salt                      ${salt}`,
    'keep the salt with the patient number in the hospital\'s own records: the chain holds only the commitment',
  ]];
}

/**
 * A doctor anchors a document: seal it (`sealStream`) into `<file>.enc`, what the custodian's
 * document store keeps, write the key to `<file>.key` (hex, mode 0600: in real use the hospital's
 * key store), then `patientRecords.addRecord(patient, category, content)`. The file is read and
 * sealed a chunk at a time, so a document of several GiB takes no more memory than a note.
 */
async function addRecord(chain, o) {
  const { api } = chain;
  const call = api.tx.patientRecords.addRecord;
  const category = variant(enumVariants(api, call, 'category'), o.category, 'category');
  const patient = address(o.patient, 'patient');
  // A runtime from before the streamed scheme would refuse the content only once it is encoded.
  if (!enumVariants(api, call, 'content', 'scheme').includes('ChaCha20Poly1305Stream')) {
    throw new CliError(`${chain.url} runs a runtime without EncryptionScheme::ChaCha20Poly1305Stream (before spec_version 110): upgrade it first`);
  }
  let input;
  try {
    input = openSync(o.file, 'r');
  } catch (e) {
    throw new CliError(`--file: cannot read ${o.file}: ${e.code ?? e.message}`);
  }
  const encPath = `${o.file}.enc`;
  const keyPath = `${o.file}.key`;
  // Ciphertext and key are written, and synced to disk, before anchoring, so no record is ever
  // anchored without its document; if sealing or anchoring fails, both files are removed again
  // (they belong to no record).
  const written = [];
  const create = (path, mode) => {
    if (o.force && existsSync(path)) unlinkSync(path);
    const fd = openSync(path, 'wx', mode);
    written.push(path);
    return fd;
  };
  const writeFile = (path, mode, fill) => {
    const fd = create(path, mode);
    try {
      const r = fill(fd);
      fsyncSync(fd);
      return r;
    } finally {
      closeSync(fd);
    }
  };
  let doc;
  let done;
  try {
    for (const p of [encPath, keyPath]) {
      if (existsSync(p) && !o.force) throw new CliError(`${p} exists already (it may belong to an anchored record); --force overwrites it`);
    }
    doc = writeFile(encPath, 0o644, (fd) => sealStream(input, fd, `--file: cannot read ${o.file}`));
    writeFile(keyPath, 0o600, (fd) => writeAll(fd, Buffer.from(doc.key.toString('hex') + '\n')));
    const content = { commitment: doc.commitment, cid: doc.cid, scheme: 'ChaCha20Poly1305Stream', size: doc.size };
    done = await chain.submit(call(patient, category, content), signer(o.as), 'patientRecords.addRecord');
  } catch (e) {
    for (const p of written) unlinkSync(p);
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot write the sealed document: ${e.code ?? e.message}`);
  } finally {
    closeSync(input);
    doc?.key.fill(0);
  }
  const ev = Chain.event(done.events, api.events.patientRecords.RecordAdded);
  const result = {
    record: ev.record.toNumber(), patient, author: ev.author.toString(), category: camel(category),
    custodian: ev.custodian.isSome ? ev.custodian.unwrap().toNumber() : null,
    commitment: doc.commitment, cid: doc.cidString, scheme: 'chaCha20Poly1305Stream', size: doc.size,
    plaintextSize: doc.plaintextSize, chunks: doc.chunks,
    encryptedFile: encPath, keyFile: keyPath, block: done.block, blockHash: done.blockHash,
  };
  return [result, [
    `encrypted ${o.file} (${doc.plaintextSize} bytes) with ChaCha20-Poly1305 in 1 MiB chunks (STREAM) under a fresh key`,
    `  ciphertext  ${encPath} (${doc.size} bytes: 7-byte nonce prefix, then ${doc.chunks === 1 ? '1 chunk:' : `${doc.chunks} chunks, each`} ciphertext ++ 16-byte tag)`,
    '  nonces      prefix ++ chunk number (u32, big-endian) ++ 1 for the last chunk, else 0',
    `  key         ${keyPath} (hex, mode 0600: keep it in the hospital's key store)`,
    `  commitment  ${doc.commitment} (sha2-256 of the ciphertext)`,
    `  cid         ${doc.cidString}`,
    `record ${result.record} anchored for ${patient}: ${result.category}, custodian hospital ${result.custodian}, block #${done.block}`,
  ]];
}

/** The target of a decision: `--record <id>` or `--category <c>`, in ehr_decide's JSON form. */
function target(api, o) {
  if ((o.record === undefined) === (o.category === undefined)) throw new CliError('give one of --record <id> or --category <category>');
  if (o.record !== undefined) return { record: integer(o.record, 'record') };
  const categories = enumVariants(api, api.tx.patientRecords.addRecord, 'category');
  return { category: camel(variant(categories, o.category, 'category')) };
}

/** Purpose and action as the metadata names them (`Treatment`, `Read`). */
function purposeAction(api, o) {
  const purpose = variant(enumVariants(api, api.tx.accessLog.logRead, 'purpose'), o.purpose ?? 'treatment', 'purpose');
  const action = variant(enumVariants(api, api.tx.consent.grant, 'actions'), o.action ?? 'read', 'action');
  return { purpose, action };
}

const describeTarget = (t) => (t.record !== undefined ? `record ${t.record}` : `${t.category} records`);
const describeDecision = (d) => (d.permit
  ? `permit (basis: ${d.basis}${d.grant !== null ? `, grant ${d.grant}` : ''}${d.emergency !== null ? `, emergency ${d.emergency}` : ''})`
  : `deny (reason: ${d.reason}${d.grant !== null ? `, nearest grant ${d.grant}` : ''})`);
/**
 * Why a decision denies, in the node's words for a person (`explanation`: `the patient revoked
 * grant #3 on 2026-11-25 14:00 UTC`), or null for a permit (or a node that gives no words).
 */
const whyDenied = (d) => (!d.permit && d.explanation ? d.explanation : null);

/**
 * The access question, `ehr_decide`: the one decision the consent pallet makes, which every
 * gateway must ask before it serves a document. A deny is an answer, not a failure: exit code 0.
 * A deny prints its reason code and, under it, the node's explanation in words.
 */
async function decide(chain, o) {
  const { api } = chain;
  const accessor = address(o.accessor, 'accessor');
  const patient = address(o.patient, 'patient');
  const t = target(api, o);
  const { purpose, action } = purposeAction(api, o);
  const decision = await chain.rpc('ehr_decide', [accessor, patient, t, camel(purpose), camel(action)]);
  const result = { accessor, patient, target: t, purpose: camel(purpose), action: camel(action), ...decision };
  const why = whyDenied(decision);
  return [result, [
    `${describeDecision(decision)}: may ${accessor} ${camel(action)} ${describeTarget(t)} of ${patient} for ${camel(purpose)}?`,
    ...(why ? [`  why: ${why}`] : []),
  ]];
}

/**
 * What the custodian hospital's document gateway does when someone asks it for a document:
 *
 *   1. look up the record (`ehr_record`): whose it is, and that it still exists;
 *   2. ask the decision (`ehr_decide`) for that accessor, record and purpose, action `read`;
 *   3. serve or refuse, and log which with `accessLog.logRead(record, accessor, purpose,
 *      permitted)`, signed by the gateway's own staff account (role `Gateway`, of the record's
 *      custodian hospital). The entry lands in the patient's hash-linked access log, which the
 *      patient sees on their page.
 *
 * This example does not transfer the document: the document gateway (authenticating the doctor,
 * fetching the ciphertext by its CID, handing over the key) is a separate, later piece. Here
 * step 3 only prints what the gateway would do.
 */
async function serveRead(chain, o) {
  const { api } = chain;
  const record = integer(o.record, 'record');
  const accessor = address(o.accessor, 'accessor');
  const purpose = variant(enumVariants(api, api.tx.accessLog.logRead, 'purpose'), o.purpose ?? 'Treatment', 'purpose');
  const rec = await chain.rpc('ehr_record', [record]);
  if (rec === null) throw new CliError(`record ${record} does not exist on this chain (ehr_record returned null)`);
  const decision = await chain.rpc('ehr_decide', [accessor, rec.patient, { record }, camel(purpose), 'read']);
  const why = whyDenied(decision);
  chain.progress(`decision for ${accessor}, record ${record}, ${camel(purpose)}: ${describeDecision(decision)}${why ? `: ${why}` : ''}`);
  const done = await chain.submit(api.tx.accessLog.logRead(record, accessor, purpose, decision.permit), signer(o.as), 'accessLog.logRead');
  // EntryAppended { entry, hash }: read by position, since `.hash` of any Polkadot.js value is
  // the blake2 hash of its encoding, not the event's `hash` field.
  const [entry, entryHash] = Chain.event(done.events, api.events.accessLog.EntryAppended);
  const result = {
    record, patient: rec.patient, accessor, purpose: camel(purpose), permitted: decision.permit, decision,
    logged: { seq: entry.seq.toNumber(), hash: entryHash.toHex(), action: camel(entry.action.type) },
    block: done.block, blockHash: done.blockHash,
  };
  return [result, [
    `decision: ${describeDecision(decision)}`,
    ...(why ? [`why:      ${why}`] : []),
    `logged:   ${result.logged.action} of record ${record} by ${accessor} for ${result.purpose}, entry seq ${result.logged.seq} ${result.logged.hash} (block #${done.block})`,
    decision.permit
      ? `outcome:  permitted: the gateway would now send ${rec.cid} to ${accessor} (document transfer is not part of this example)`
      : `outcome:  refused: the gateway sends nothing`,
  ]];
}

/** A patient's records (`ehr_records`), newest first: metadata only, never content. */
async function records(chain, o) {
  const patient = address(o.patient, 'patient');
  const page = o.page === undefined ? 0 : integer(o.page, 'page');
  const pageSize = o['page-size'] === undefined ? 64 : integer(o['page-size'], 'page-size');
  const res = await chain.rpc('ehr_records', [patient, page, pageSize]);
  const lines = [`${res.total} record version(s) of ${patient}; page ${res.page}:`];
  for (const r of res.records) {
    lines.push(`  #${r.id} ${r.category} v${r.version} ${r.status} by ${r.author}, custodian ${r.custodian ?? 'the patient'}, `
      + `${when(r.createdAt)} block #${r.createdIn}`);
    lines.push(`      ${r.scheme}, ${r.size} bytes, commitment ${r.commitment}, cid ${r.cid ?? '(deleted)'}`);
  }
  return [res, lines];
}

/**
 * An action as the `ehr_*` methods give it, as text: a string (`documentRead`), or a one-key
 * object for an action that carries data (`{"documentServed": {"request": "0x…"}}`).
 */
function actionText(action) {
  if (typeof action === 'string') return action;
  return Object.entries(action)
    .map(([name, data]) => `${name} (${Object.entries(data).map(([k, v]) => `${k} ${v}`).join(', ')})`).join(' ');
}

/** One access-log entry as a line. */
function entryLine(e) {
  const subject = Object.entries(e.subject).map(([k, v]) => `${k} ${v}`).join(' ');
  return `  seq ${e.seq} ${when(e.timestamp)} block #${e.block}: ${actionText(e.action)} ${subject} by ${e.actor}`
    + `${e.hospital !== null ? ` (hospital ${e.hospital})` : ''}${e.purpose ? ` for ${e.purpose}` : ''}`
    + `${e.source !== null ? `, via the gateway of hospital ${e.source}` : ''}`;
}

/**
 * Who accessed the patient's records (`ehr_whoAccessed`: reads served, emergency accesses); with
 * `--refused` who tried and was refused (`ehr_refusedAccesses`: refused reads); or with `--all`
 * every entry of the log (`ehr_accessLog`); newest first, `--limit` of them (default 50) with
 * `seq` below `--before`. The node serves the whole log from its index of entries, walking back
 * from the patient's head on chain: `next` is the `--before` of the next, older page, and
 * `missing` the entry where a node that synced without the history stops.
 */
async function accessLog(chain, o) {
  const patient = address(o.patient, 'patient');
  if (o.all && o.refused) throw new CliError('access-log: --all lists every entry, refusals included; give --all or --refused, not both');
  const before = o.before === undefined ? null : integer(o.before, 'before');
  const limit = o.limit === undefined ? null : integer(o.limit, 'limit');
  const method = o.all ? 'ehr_accessLog' : o.refused ? 'ehr_refusedAccesses' : 'ehr_whoAccessed';
  const res = await chain.rpc(method, [patient, before, limit]);
  const heading = o.all ? 'every entry' : o.refused ? 'who tried and was refused' : 'who accessed the records';
  const lines = [
    `${patient}'s access log: ${res.head.count} entries, head ${res.head.hash}`,
    `${heading} (${method}), newest first:`,
    ...res.entries.map(entryLine),
  ];
  if (res.entries.length === 0) lines.push('  (none)');
  if (res.next !== null && res.next !== undefined) lines.push(`older entries: --before ${res.next}`);
  if (res.missing !== null && res.missing !== undefined) {
    lines.push(`this node does not hold entry ${res.missing} (it synced without that part of the history): it and the older `
      + 'entries are in the accessLog.EntryAppended events of an archive node, or in a copy, and verify against the head');
  }
  return [res, lines];
}

/**
 * `ehr_verifyAccessLog`: does the log, as far back as the node holds it (all of it when `fromSeq`
 * is 0), link up to the head? Exit 1 if not.
 */
async function verifyLog(chain, o) {
  const patient = address(o.patient, 'patient');
  const res = await chain.rpc('ehr_verifyAccessLog', [patient]);
  const lines = [res.verified
    ? `valid: ${res.entries} entries from seq ${res.fromSeq} link up to the head (count ${res.head.count}, hash ${res.head.hash})`
    : `INVALID: ${res.error}`];
  if (!res.verified) throw new CliError(`the access log of ${patient} does not verify: ${res.error}`, { result: res });
  return [res, lines];
}

/** `ehr_auditEvents`: the log as a FHIR R4 Bundle of AuditEvents; printed as JSON either way. */
async function audit(chain, o) {
  const patient = address(o.patient, 'patient');
  const before = o.before === undefined ? null : integer(o.before, 'before');
  const limit = o.limit === undefined ? null : integer(o.limit, 'limit');
  const bundle = await chain.rpc('ehr_auditEvents', [patient, before, limit]);
  return [bundle, [JSON.stringify(bundle, null, 2)]];
}

/** sha2-256 of the whole file behind `fd`, read 1 MiB at a time. */
function sha256OfFile(fd, label) {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(STREAM_CHUNK);
  for (let position = 0, n; (n = readFull(fd, buf, position, label)) > 0; position += n) hash.update(buf.subarray(0, n));
  return hash.digest();
}

/**
 * Where `decrypt` puts the plaintext: `write` it a piece at a time, then `keep` it, or `discard`
 * it when the document fails half-way (`discarded` says so in the error).
 *
 * --out is written as a temporary file beside it (mode 0600), renamed to --out only once the whole
 * document has opened: a failure leaves neither a partial --out nor damage to an earlier file of
 * that name. (An existing device or pipe, e.g. /dev/stdout, is written directly.) Standard output
 * cannot be taken back, so `checkFirst` asks for a pass that authenticates every chunk before
 * the pass that writes. With --json and no --out the result is the output: the document is
 * opened and checked, not printed.
 */
function plaintextOutput(o) {
  if (!o.out) {
    if (o.json) return { checkFirst: false, write: null, keep() {}, discard() {}, discarded: '' };
    return { checkFirst: true, write: (bytes) => process.stdout.write(bytes), keep() {}, discard() {}, discarded: '' };
  }
  const fail = (e) => new CliError(`--out: cannot write ${o.out}: ${e.code ?? e.message}`);
  let direct = false;
  try {
    direct = !statSync(o.out).isFile();
  } catch {
    // It does not exist yet.
  }
  const path = direct ? o.out : `${o.out}.${randomBytes(6).toString('hex')}.part`;
  let fd;
  try {
    fd = openSync(path, direct ? 'w' : 'wx', 0o600);
  } catch (e) {
    throw fail(e);
  }
  return {
    checkFirst: false,
    write: (bytes) => {
      try { writeAll(fd, bytes); } catch (e) { throw fail(e); }
    },
    keep: () => {
      try {
        closeSync(fd);
        if (!direct) renameSync(path, o.out);
      } catch (e) {
        throw fail(e);
      }
    },
    discard: () => {
      try {
        closeSync(fd);
      } catch {
        // Closed already.
      }
      if (!direct) unlinkSync(path);
    },
    discarded: direct ? '' : `; nothing written to ${o.out}`,
  };
}

/** How `decrypt` opens each scheme, by its name in the `ehr_*` RPC. */
const OPENERS = {
  /** Streamed: a chunk at a time, each authenticated before it is written. */
  chaCha20Poly1305Stream: (fd, key, label, write) => openStream(fd, key, label, write),
  /** Records anchored by this tool before the streamed scheme: one message, in memory. */
  aes256Gcm: (fd, key, label, write) => {
    const sealed = Buffer.allocUnsafe(fstatSync(fd).size);
    const read = sealed.subarray(0, readFull(fd, sealed, 0, label));
    const plaintext = openAesGcm(read, key);
    write?.(plaintext);
    return { size: plaintext.length, chunks: null, digest: createHash('sha256').update(read).digest() };
  },
};

/**
 * Opens a sealed document the way a recipient would, in two passes over the file:
 *
 *   1. its sha2-256, on its own, against the commitment the chain holds for the record: nothing
 *      is decrypted or written for a file that is not the record's document;
 *   2. decryption, by the record's scheme: `chaCha20Poly1305Stream` a chunk at a time, each chunk
 *      authenticated before its plaintext is written (a file cut at a chunk boundary, or with
 *      chunks dropped or reordered, fails at the chunk where it differs, and what was written is
 *      discarded); `aes256Gcm`, the records this tool anchored before, as one message.
 *
 * Writes the plaintext to --out (mode 0600), or to standard output. --file must be a regular
 * file, since it is read twice.
 */
async function decrypt(chain, o) {
  const record = integer(o.record, 'record');
  const label = `--file: cannot read ${o.file}`;
  let fd;
  try {
    fd = openSync(o.file, 'r');
  } catch (e) {
    throw new CliError(`${label}: ${e.code ?? e.message}`);
  }
  let key;
  try {
    if (!fstatSync(fd).isFile()) throw new CliError(`--file: ${o.file} is not a regular file (decrypt reads it twice)`);
    let keyHex;
    try {
      keyHex = readFileSync(o.key).toString('utf8').trim().replace(/^0x/, '');
    } catch (e) {
      throw new CliError(`--key: cannot read ${o.key}: ${e.code ?? e.message}`);
    }
    if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new CliError(`--key: ${o.key} does not hold a 256-bit key in hex`);
    key = Buffer.from(keyHex, 'hex');
    const rec = await chain.rpc('ehr_record', [record]);
    if (rec === null) throw new CliError(`record ${record} does not exist on this chain (ehr_record returned null)`);
    const open = OPENERS[rec.scheme];
    if (!open) throw new CliError(`record ${record} uses ${rec.scheme}; this example opens ${Object.keys(OPENERS).join(' and ')}`);
    // 1. The commitment, before anything is decrypted.
    const digest = u8aToHex(sha256OfFile(fd, label));
    if (digest !== rec.commitment) {
      throw new CliError(`${o.file} is not the document of record ${record}: sha2-256 ${digest}, the chain has ${rec.commitment}`);
    }
    // 2. The plaintext.
    const out = plaintextOutput(o);
    let opened;
    try {
      if (out.checkFirst) open(fd, key, label, null);
      opened = open(fd, key, label, out.write);
      // Pass 2 hashed the file again: had it changed since pass 1, say so.
      if (u8aToHex(opened.digest) !== rec.commitment) {
        throw new CliError(`${o.file} changed while it was being decrypted: it no longer matches record ${record}'s commitment`);
      }
      out.keep();
    } catch (e) {
      out.discard();
      if (e instanceof CliError) throw new CliError(`${e.message}${out.discarded}`);
      throw e;
    }
    const result = { record, scheme: rec.scheme, commitment: rec.commitment, size: opened.size, chunks: opened.chunks, out: o.out ?? null };
    const chunks = opened.chunks === null ? '' : ` (${opened.chunks} chunk${opened.chunks === 1 ? '' : 's'}, each authenticated)`;
    // Without --out the plaintext itself is the output (raw bytes, written above), not a line.
    return [result, [`${o.file} matches record ${record}'s commitment ${rec.commitment}; decrypted ${opened.size} bytes${chunks} to ${o.out}`],
      !o.out];
  } finally {
    closeSync(fd);
    key?.fill(0);
  }
}

/** The addresses of secret URIs (no connection): `address //Bob //Dave`. */
function addresses(suris) {
  if (suris.length === 0) throw new CliError('address: give one or more secret URIs, e.g. address //Bob //Dave');
  const result = suris.map((s) => ({ suri: s.startsWith('//') ? s : '(secret)', address: signer(s).address }));
  return [result, result.map((r) => `${r.suri.padEnd(10)} ${r.address}`)];
}

// ---------------------------------------------------------------------------------------------
// Command line.

const COMMANDS = {
  'register-staff': { run: registerStaff, required: ['as', 'staff', 'role', 'licence'], optional: ['valid-until'],
    usage: '--as <hospital admin> --staff <address> --role Doctor|Nurse|Lab|Administrator|PrivacyOfficer|Gateway --licence <licence number> [--valid-until <date>]' },
  'enrol-patient': { run: enrolPatient, required: ['as', 'patient', 'number'], optional: [],
    usage: '--as <admin or Administrator staff> --patient <address> --number <hospital patient number>' },
  'add-record': { run: addRecord, required: ['as', 'patient', 'category', 'file'], optional: ['force'],
    usage: '--as <doctor or lab> --patient <address> --category ClinicalNote|LabResult|... --file <path> [--force]' },
  decide: { run: decide, required: ['accessor', 'patient'], optional: ['record', 'category', 'purpose', 'action'],
    usage: '--accessor <address> --patient <address> (--record <id> | --category <c>) [--purpose treatment] [--action read]' },
  'serve-read': { run: serveRead, required: ['as', 'record', 'accessor'], optional: ['purpose'],
    usage: '--as <gateway staff> --record <id> --accessor <address> [--purpose Treatment]' },
  records: { run: records, required: ['patient'], optional: ['page', 'page-size'],
    usage: '--patient <address> [--page 0] [--page-size 64]' },
  'access-log': { run: accessLog, required: ['patient'], optional: ['all', 'refused', 'before', 'limit'],
    usage: '--patient <address> [--all | --refused] [--before <seq>] [--limit <n>]' },
  'verify-log': { run: verifyLog, required: ['patient'], optional: [], usage: '--patient <address>' },
  audit: { run: audit, required: ['patient'], optional: ['before', 'limit'], usage: '--patient <address> [--before <seq>] [--limit <n>]' },
  decrypt: { run: decrypt, required: ['record', 'file', 'key'], optional: ['out'],
    usage: '--record <id> --file <file.enc> --key <file.key> [--out <path>]' },
  address: { offline: true, required: [], optional: [], usage: '<secret URI>... (prints the addresses, e.g. address //Bob)' },
};

const FLAGS = new Set(['json', 'help', 'all', 'refused', 'force']);
const OPTIONS = {
  url: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, timeout: { type: 'string' },
  as: { type: 'string' }, staff: { type: 'string' }, role: { type: 'string' }, licence: { type: 'string' },
  'valid-until': { type: 'string' }, patient: { type: 'string' }, number: { type: 'string' },
  category: { type: 'string' }, file: { type: 'string' }, force: { type: 'boolean' }, accessor: { type: 'string' },
  record: { type: 'string' }, purpose: { type: 'string' }, action: { type: 'string' }, page: { type: 'string' },
  'page-size': { type: 'string' }, all: { type: 'boolean' }, refused: { type: 'boolean' }, before: { type: 'string' },
  limit: { type: 'string' },
  key: { type: 'string' }, out: { type: 'string' },
};

function usage() {
  return [
    'usage: node integrator.mjs [--url ws://127.0.0.1:9944] [--json] [--timeout 120] <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name} ${c.usage}`),
    '',
    'Keys are secret URIs (--as //Alice; or the EHR_AS environment variable), for development chains.',
    'Addresses are SS58 (or 0x hex). Progress goes to standard error, results to standard output;',
    '--json prints the result as JSON. Exit code 0 on success (a deny is an answer), 1 on any failure.',
  ].join('\n');
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${e.message} (see --help)`);
  }
  const o = parsed.values;
  const [name, ...rest] = parsed.positionals;
  if (o.help || !name) return { help: true };
  const command = COMMANDS[name];
  if (!command) throw new CliError(`unknown command ${name} (see --help)`);
  if (name !== 'address' && rest.length > 0) throw new CliError(`${name}: unexpected argument ${rest[0]}`);
  if (o.as === undefined && process.env.EHR_AS && command.required.includes('as')) o.as = process.env.EHR_AS;
  const allowed = new Set([...command.required, ...command.optional, 'url', 'json', 'timeout', 'help']);
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) throw new CliError(`${name}: --${k} does not apply (usage: ${name} ${command.usage})`);
  }
  for (const k of command.required) {
    if (o[k] === undefined) throw new CliError(`${name}: --${k} is required (usage: ${name} ${command.usage})`);
  }
  for (const k of Object.keys(o)) {
    if (!FLAGS.has(k) && o[k] === '') throw new CliError(`--${k}: empty value`);
  }
  await cryptoWaitReady();
  if (command.offline) return { name, json: o.json, out: addresses(rest) };

  const timeoutMs = o.timeout === undefined ? 120_000 : integer(o.timeout, 'timeout') * 1000;
  const progress = (line) => process.stderr.write(`${line}\n`);
  const chain = new Chain(o.url ?? process.env.EHR_URL ?? 'ws://127.0.0.1:9944', timeoutMs, progress);
  await chain.connect();
  try {
    return { name, json: o.json, out: await command.run(chain, o) };
  } finally {
    await chain.disconnect();
  }
}

const argv = process.argv.slice(2);
const jsonMode = argv.includes('--json');
let exitCode = 0;
try {
  const r = await main(argv);
  if (r.help) {
    process.stdout.write(`${usage()}\n`);
  } else {
    // `wrote`: the command wrote its output itself (decrypt's plaintext, raw bytes), no lines.
    const [result, lines, wrote] = r.out;
    if (r.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (!wrote) process.stdout.write(`${lines.join('\n')}\n`);
  }
} catch (e) {
  exitCode = 1;
  const message = e instanceof CliError ? e.message : `unexpected error: ${e.stack ?? e}`;
  process.stderr.write(`error: ${message}\n`);
  if (jsonMode) {
    process.stdout.write(`${JSON.stringify({ error: message.split('\n')[0], module: e.module ?? null, result: e.result ?? null }, null, 2)}\n`);
  }
}
// Leave as soon as the output is flushed, without waiting for the WebSocket's closing handshake.
process.stderr.write('', () => process.stdout.write('', () => process.exit(exitCode)));

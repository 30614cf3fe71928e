// The integrator example end to end: `integrator.mjs` runs as a child process, as a hospital's
// scripts would run it, against a real `ehr-node --dev` (hospital 0 "Alice General", Alice its
// admin). Alice registers Bob and Dave as doctors and Eve as the gateway, and enrols Ferdie at
// the front desk; Charlie signs up as a patient (from the test, with @polkadot/api); Bob anchors
// an encrypted document for Charlie; Dave is denied until Charlie grants him access (from the
// test, `consent.grant`), each deny printed with its reason code and the node's explanation in
// words; Eve's gateway logs Dave's read; the access log shows it and verifies, and exports as FHIR
// AuditEvents; a read for a purpose the grant does not allow is refused, with its explanation. The sealed file decrypts to the document and matches the
// on-chain commitment, while the document's text appears nowhere in what the node returns. The
// sealed form is ChaCha20-Poly1305 in 1 MiB chunks (`chaCha20Poly1305Stream`), which the test
// opens on its own, chunk by chunk; a 2.5 MiB document (three chunks) goes through the tool and
// back byte for byte, and the same file cut at a chunk boundary is refused.
// Bad input fails with a clear message and a non-zero exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { startDevNode } from '../../../tests/js/lib/node.mjs';
import { send } from '../../../tests/js/lib/chain.mjs';

const TOOL = join(dirname(dirname(fileURLToPath(import.meta.url))), 'integrator.mjs');
const RUN_MS = 120_000; // bound of one run of the tool
const MiB = 1 << 20;

/**
 * Opens a `chaCha20Poly1305Stream` document, written here from the format (gateway.md, the Rust
 * `ehr_client::document::open_stream`) rather than taken from the tool, so that the test checks
 * the tool's output against the format and not against itself: `prefix (7) ++ (ciphertext ++
 * tag (16))` per 1 MiB chunk of plaintext, each chunk's nonce `prefix ++ its number (u32,
 * big-endian) ++ 1 if it is the last chunk, else 0`, the associated data
 * `ehr-chain/document/stream/v1`. Throws if any chunk fails authentication.
 */
function openSealed(sealed, key) {
  const prefix = sealed.subarray(0, 7);
  const body = sealed.subarray(7);
  const sealedChunk = MiB + 16;
  // Every chunk but the last is full; an empty document is one chunk of just a tag.
  const count = Math.max(1, Math.ceil(body.length / sealedChunk));
  const plain = [];
  for (let i = 0; i < count; i += 1) {
    const chunk = body.subarray(i * sealedChunk, Math.min(body.length, (i + 1) * sealedChunk));
    const nonce = Buffer.concat([prefix, Buffer.from([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255, i === count - 1 ? 1 : 0])]);
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    decipher.setAAD(Buffer.from('ehr-chain/document/stream/v1'));
    decipher.setAuthTag(chunk.subarray(chunk.length - 16));
    plain.push(decipher.update(chunk.subarray(0, chunk.length - 16)));
    decipher.final();
  }
  return Buffer.concat(plain);
}

/** Runs the tool; resolves with {code, stdout, stderr} whatever the exit code. */
function tool(node, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [TOOL, '--url', node.url, ...args], { timeout: RUN_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 'killed') : 0, stdout, stderr, args }));
  });
}

/** Runs the tool, expects success, and returns its `--json` result. */
async function json(node, ...args) {
  const r = await tool(node, ['--json', ...args]);
  assert.equal(r.code, 0, `integrator ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout);
}

/** Runs the tool, expects success, and returns its human-readable output. */
async function human(node, ...args) {
  const r = await tool(node, args);
  assert.equal(r.code, 0, `integrator ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** One `ehr_*` method over HTTP, as any EHR system can call it. */
async function rpc(node, method, params) {
  const res = await fetch(node.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  assert.ok(!body.error, `${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

test('a hospital integrates with ehr-chain through the example tool, end to end', { timeout: 400_000 }, async (t) => {
  const started = Date.now();
  const step = (what) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  const node = await startDevNode();
  const dir = mkdtempSync(join(tmpdir(), 'ehr-integrator-'));
  let api;
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const [bob, charlie, dave, eve, ferdie] = ['//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie']
      .map((u) => keyring.addFromUri(u));
    step('node up');

    // The tool derives the same addresses from the secret URIs.
    const addresses = await json(node, 'address', '//Bob', '//Charlie');
    assert.deepEqual(addresses.map((a) => a.address), [bob.address, charlie.address]);

    // Alice registers Bob (doctor) while Charlie signs up as a patient on his own.
    const [bobReg] = await Promise.all([
      json(node, 'register-staff', '--as', '//Alice', '--staff', bob.address, '--role', 'Doctor', '--licence', 'MD-1001'),
      send(api, api.tx.hospitalRegistry.registerPatient(), charlie, node),
    ]);
    assert.equal(bobReg.staff, bob.address);
    assert.equal(bobReg.role, 'Doctor');
    assert.equal(bobReg.hospital, 0);
    // The chain holds blake2_256(salt ++ licence number), which the printed salt reproduces.
    const expected = u8aToHex(blake2AsU8a(u8aConcat(bobReg.salt, stringToU8a('MD-1001')), 256));
    assert.equal(bobReg.licenceCommitment, expected);
    const bobStatus = await rpc(node, 'ehr_staffStatus', [bob.address]);
    assert.equal(bobStatus.role, 'doctor');
    assert.equal(bobStatus.licenceCommitment, expected);

    // Human-readable output for Dave; JSON for Eve, the gateway.
    const daveOut = await human(node, 'register-staff', '--as', '//Alice', '--staff', dave.address, '--role', 'doctor', '--licence', 'MD-1002');
    assert.match(daveOut, new RegExp(`registered ${dave.address} as Doctor of hospital 0`));
    assert.match(daveOut, /salt +0x[0-9a-f]{64}/);
    const eveReg = await json(node, 'register-staff', '--as', '//Alice', '--staff', eve.address, '--role', 'Gateway', '--licence', 'GW-1');
    assert.equal(eveReg.role, 'Gateway');
    assert.equal((await rpc(node, 'ehr_staffStatus', [eve.address])).role, 'gateway');
    step('staff registered');

    // The front desk enrols Ferdie with a salted commitment of the hospital's patient number.
    const enrol = await json(node, 'enrol-patient', '--as', '//Alice', '--patient', ferdie.address, '--number', 'MRN-0042');
    assert.equal(enrol.newlyRegistered, true);
    assert.equal(enrol.hospital, 0);
    assert.equal(enrol.commitment, u8aToHex(blake2AsU8a(u8aConcat(enrol.salt, stringToU8a('MRN-0042')), 256)));
    assert.equal(await rpc(node, 'ehr_isPatient', [ferdie.address]), true);
    assert.equal(await rpc(node, 'ehr_isPatient', [charlie.address]), true);

    // Bob anchors a clinical note for Charlie from a file.
    const marker = `Fictitious progress note ${Date.now()}: INTEGRATOR-MARKER-7f3a, no real patient.`;
    const file = join(dir, 'note.txt');
    writeFileSync(file, marker);
    const added = await json(node, 'add-record', '--as', '//Bob', '--patient', charlie.address, '--category', 'ClinicalNote', '--file', file);
    const record = added.record;
    assert.equal(typeof record, 'number');
    assert.equal(added.category, 'clinicalNote');
    assert.equal(added.custodian, 0);
    assert.equal(added.author, bob.address);
    assert.equal(added.encryptedFile, `${file}.enc`);
    assert.equal(added.keyFile, `${file}.key`);
    assert.equal(statSync(`${file}.key`).mode & 0o777, 0o600, 'the key file is private');
    step(`record ${record} anchored`);

    // What the chain holds: the commitment and CID of the ciphertext, which is what the file holds.
    const onChain = await rpc(node, 'ehr_record', [record]);
    const sealed = readFileSync(`${file}.enc`);
    const digest = u8aToHex(createHash('sha256').update(sealed).digest());
    assert.equal(onChain.commitment, digest);
    assert.equal(onChain.cid, added.cid);
    assert.match(onChain.cid, /^bafkrei[a-z2-7]+$/);
    assert.equal(onChain.scheme, 'chaCha20Poly1305Stream');
    assert.equal(added.scheme, 'chaCha20Poly1305Stream');
    assert.equal(onChain.size, sealed.length);
    assert.equal(onChain.patient, charlie.address);
    assert.equal(onChain.status, 'current');
    // The sealed file (prefix ++ one chunk: ciphertext ++ tag) decrypts with the key file,
    // independently of the tool.
    const key = Buffer.from(readFileSync(`${file}.key`, 'utf8').trim(), 'hex');
    assert.equal(key.length, 32);
    assert.equal(openSealed(sealed, key).toString('utf8'), marker);
    assert.equal(sealed.length, 7 + Buffer.byteLength(marker) + 16);
    assert.equal(added.chunks, 1);
    // ... and with the tool, which checks it against the chain first.
    const opened = await tool(node, ['decrypt', '--record', String(record), '--file', `${file}.enc`, '--key', `${file}.key`]);
    assert.equal(opened.code, 0, opened.stderr);
    assert.equal(opened.stdout, marker);
    // The document's text is nowhere in what the node answers, nor in the sealed file.
    for (const needle of [marker, 'INTEGRATOR-MARKER-7f3a']) {
      assert.ok(!JSON.stringify(onChain).includes(needle), 'no plaintext in ehr_record');
      assert.ok(!JSON.stringify(await rpc(node, 'ehr_records', [charlie.address])).includes(needle), 'no plaintext in ehr_records');
      assert.ok(!sealed.includes(Buffer.from(needle)), 'no plaintext in the sealed file');
    }
    const records = await human(node, 'records', '--patient', charlie.address);
    assert.match(records, new RegExp(`#${record} clinicalNote v1 current by ${bob.address}`));
    assert.match(records, /chaCha20Poly1305Stream, \d+ bytes, commitment 0x/);

    // A document of three chunks (1 MiB, 1 MiB, 0.5 MiB), for Ferdie: sealed a chunk at a time,
    // anchored, opened here on its own and by the tool to --out, byte for byte.
    const scan = join(dir, 'scan.bin');
    const scanBytes = randomBytes(2.5 * MiB);
    writeFileSync(scan, scanBytes);
    const big = await json(node, 'add-record', '--as', '//Bob', '--patient', ferdie.address, '--category', 'Imaging', '--file', scan);
    const bigSealed = readFileSync(`${scan}.enc`);
    assert.equal(big.scheme, 'chaCha20Poly1305Stream');
    assert.equal(big.chunks, 3);
    assert.equal(big.plaintextSize, scanBytes.length);
    assert.equal(bigSealed.length, 7 + scanBytes.length + 3 * 16);
    const bigOnChain = await rpc(node, 'ehr_record', [big.record]);
    assert.equal(bigOnChain.scheme, 'chaCha20Poly1305Stream');
    assert.equal(bigOnChain.size, bigSealed.length);
    assert.equal(bigOnChain.commitment, u8aToHex(createHash('sha256').update(bigSealed).digest()));
    const bigKey = Buffer.from(readFileSync(`${scan}.key`, 'utf8').trim(), 'hex');
    assert.ok(openSealed(bigSealed, bigKey).equals(scanBytes), 'the three chunks open to the document');
    step(`record ${big.record} anchored (three chunks)`);
    // The same file cut after its second chunk. Against the record, the commitment refuses it
    // before anything is decrypted; anchored as a record of its own (Dave, from the test), it
    // matches, and the chunk that is now last, sealed as not the last, refuses it. Meanwhile the
    // tool opens the whole file to --out.
    const cut = bigSealed.subarray(0, 7 + 2 * (MiB + 16));
    assert.throws(() => openSealed(cut, bigKey), 'the cut file does not open here either');
    writeFileSync(join(dir, 'scan-cut.enc'), cut);
    const cutDigest = createHash('sha256').update(cut).digest();
    const [opened3, cutEvents] = await Promise.all([
      human(node, 'decrypt', '--record', String(big.record), '--file', `${scan}.enc`, '--key', `${scan}.key`, '--out', join(dir, 'scan.out')),
      send(api, api.tx.patientRecords.addRecord(ferdie.address, 'Imaging', {
        commitment: u8aToHex(cutDigest),
        cid: u8aToHex(Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), cutDigest])),
        scheme: 'ChaCha20Poly1305Stream',
        size: cut.length,
      }), dave, node),
    ]);
    assert.match(opened3, new RegExp(`matches record ${big.record}'s commitment 0x[0-9a-f]{64}; decrypted ${scanBytes.length} bytes \\(3 chunks, each authenticated\\)`));
    assert.ok(readFileSync(join(dir, 'scan.out')).equals(scanBytes), 'the tool decrypts the three chunks back byte for byte');
    assert.equal(statSync(join(dir, 'scan.out')).mode & 0o777, 0o600);
    const cutRecord = cutEvents.find(({ event }) => api.events.patientRecords.RecordAdded.is(event)).event.data.record.toNumber();
    const filesBefore = readdirSync(dir).sort();
    const notThisOne = await tool(node, ['decrypt', '--record', String(big.record), '--file', join(dir, 'scan-cut.enc'), '--key', `${scan}.key`,
      '--out', join(dir, 'cut.out')]);
    assert.equal(notThisOne.code, 1);
    assert.match(notThisOne.stderr, new RegExp(`error: .*scan-cut\\.enc is not the document of record ${big.record}: sha2-256 `));
    const cutOpened = await tool(node, ['decrypt', '--record', String(cutRecord), '--file', join(dir, 'scan-cut.enc'), '--key', `${scan}.key`,
      '--out', join(dir, 'cut.out')]);
    assert.equal(cutOpened.code, 1);
    assert.match(cutOpened.stderr, /error: the document is cut short: it ends with chunk 1, which was sealed to be followed by more chunks; nothing written to .*cut\.out/);
    assert.deepEqual(readdirSync(dir).sort(), filesBefore, 'no --out and no partial file of a refused document');
    step('three-chunk document decrypted; the cut file refused');

    // Dave has no grant: deny, as a person reads it and as JSON, with the reason code and, under
    // it, why in words.
    const noGrant = 'the patient has given no grant to the requester or their hospital';
    const denied = await json(node, 'decide', '--accessor', dave.address, '--patient', charlie.address, '--record', String(record));
    assert.deepEqual([denied.permit, denied.basis, denied.reason, denied.explanation], [false, null, 'noGrant', noGrant]);
    assert.equal(await human(node, 'decide', '--accessor', dave.address, '--patient', charlie.address, '--record', String(record)),
      `deny (reason: noGrant): may ${dave.address} read record ${record} of ${charlie.address} for treatment?\n  why: ${noGrant}\n`);

    // Charlie grants Dave treatment reads of all records for a day.
    const now = (await api.query.timestamp.now()).toNumber();
    const events = await send(api, api.tx.consent.grant(charlie.address, { Staff: dave.address }, 'AllRecords', [],
      ['Treatment'], ['Read'], null, now + 86_400_000), charlie, node);
    const grant = events.find(({ event }) => api.events.consent.Granted.is(event)).event.data.grant.toNumber();
    step(`grant ${grant} made`);

    const permitted = await json(node, 'decide', '--accessor', dave.address, '--patient', charlie.address, '--record', String(record),
      '--purpose', 'treatment', '--action', 'read');
    assert.deepEqual([permitted.permit, permitted.basis, permitted.grant], [true, 'grant', grant]);
    assert.equal(permitted.explanation, null);
    // A permit has no "why" line.
    assert.equal(await human(node, 'decide', '--accessor', dave.address, '--patient', charlie.address, '--record', String(record)),
      `permit (basis: grant, grant ${grant}): may ${dave.address} read record ${record} of ${charlie.address} for treatment?\n`);
    // Research was not granted: the deny names the grant, and says what it allows.
    const notResearch = `grant #${grant} does not allow this purpose, only treatment`;
    const research = await json(node, 'decide', '--accessor', dave.address, '--patient', charlie.address, '--category', 'clinicalNote',
      '--purpose', 'Research');
    assert.deepEqual([research.permit, research.reason, research.grant, research.explanation], [false, 'purposeNotGranted', grant, notResearch]);
    assert.match(await human(node, 'decide', '--accessor', dave.address, '--patient', charlie.address, '--category', 'clinicalNote',
      '--purpose', 'Research'), new RegExp(`^deny \\(reason: purposeNotGranted, nearest grant ${grant}\\): .*\n  why: ${notResearch}\n$`));

    // Eve's gateway serves Dave's read: decision, then the logged read.
    const served = await json(node, 'serve-read', '--as', '//Eve', '--record', String(record), '--accessor', dave.address, '--purpose', 'Treatment');
    assert.equal(served.permitted, true);
    assert.equal(served.patient, charlie.address);
    assert.equal(served.logged.action, 'documentRead');
    assert.equal(served.decision.grant, grant);
    step('read served and logged');

    // Who accessed Charlie's records: Dave's read, through Eve's hospital's gateway.
    const who = await json(node, 'access-log', '--patient', charlie.address);
    assert.equal(who.entries.length, 1);
    const [read] = who.entries;
    assert.equal(read.action, 'documentRead');
    assert.equal(read.actor, dave.address);
    assert.deepEqual(read.subject, { record });
    assert.equal(read.purpose, 'treatment');
    assert.equal(read.source, 0);
    assert.equal(read.seq, served.logged.seq);
    assert.equal(read.hash, served.logged.hash);
    assert.match(await human(node, 'access-log', '--patient', charlie.address),
      new RegExp(`documentRead record ${record} by ${dave.address} \\(hospital 0\\) for treatment, via the gateway of hospital 0`));
    // The whole log: record added, consent granted, document read.
    const all = await json(node, 'access-log', '--patient', charlie.address, '--all');
    assert.deepEqual(all.entries.map((e) => e.action), ['documentRead', 'consentGranted', 'recordAdded']);

    const verified = await json(node, 'verify-log', '--patient', charlie.address);
    assert.equal(verified.verified, true);
    assert.equal(verified.entries, 3);
    assert.match(await human(node, 'verify-log', '--patient', charlie.address), /^valid: 3 entries from seq 0 link up to the head/);

    // The FHIR export: a Bundle of AuditEvents, the newest Dave's read.
    const bundle = await json(node, 'audit', '--patient', charlie.address);
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    assert.equal(bundle.entry.length, 3);
    assert.equal(bundle.total, undefined, 'R4 allows total only on a search or history bundle (bdl-1)');
    const event = bundle.entry[0].resource;
    assert.equal(event.resourceType, 'AuditEvent');
    assert.equal(event.action, 'R');
    assert.equal(event.outcome, '0');
    assert.equal(event.outcomeDesc, 'documentRead');
    assert.ok(event.agent.some((a) => a.who.identifier.value === dave.address));
    const human_ = await human(node, 'audit', '--patient', charlie.address, '--limit', '1');
    assert.equal(JSON.parse(human_).entry.length, 1, 'audit prints JSON either way');
    step('log listed, verified and exported');

    // Dave asks Eve's gateway for the record for research: refused and logged, with the reason
    // code and its explanation, as JSON and as a person reads it.
    const refusedRead = await json(node, 'serve-read', '--as', '//Eve', '--record', String(record), '--accessor', dave.address, '--purpose', 'Research');
    assert.equal(refusedRead.permitted, false);
    assert.equal(refusedRead.logged.action, 'readDenied');
    assert.deepEqual([refusedRead.decision.reason, refusedRead.decision.grant, refusedRead.decision.explanation],
      ['purposeNotGranted', grant, notResearch]);
    const refusedLines = (await human(node, 'serve-read', '--as', '//Eve', '--record', String(record), '--accessor', dave.address, '--purpose', 'Research'))
      .split('\n');
    assert.equal(refusedLines[0], `decision: deny (reason: purposeNotGranted, nearest grant ${grant})`);
    assert.equal(refusedLines[1], `why:      ${notResearch}`);
    assert.match(refusedLines[2], new RegExp(`^logged: {3}readDenied of record ${record} by ${dave.address} for research`));
    assert.equal(refusedLines[3], 'outcome:  refused: the gateway sends nothing');
    // A served read has no "why" line.
    assert.equal(served.decision.explanation, null);
    step('refused read explained');

    // Failures: a clear message on standard error, exit code 1.
    const missing = await tool(node, ['serve-read', '--as', '//Eve', '--record', '999', '--accessor', dave.address]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: record 999 does not exist/);
    // A module error of an included extrinsic, decoded from the metadata: `section.Name: docs`.
    const notAdmin = await tool(node, ['register-staff', '--as', '//Bob', '--staff', ferdie.address, '--role', 'Nurse', '--licence', 'RN-1']);
    assert.equal(notAdmin.code, 1);
    assert.match(notAdmin.stderr, /error: hospitalRegistry\.NotHospitalAdmin: The caller is not the admin of an active hospital/);
    // Enrolling takes the admin or `Administrator` staff: a doctor is neither.
    const notAdministrator = await tool(node, ['enrol-patient', '--as', '//Bob', '--patient', dave.address, '--number', 'MRN-1']);
    assert.equal(notAdministrator.code, 1);
    assert.match(notAdministrator.stderr, /error: hospitalRegistry\.NotAdminOrAdministrator: /);
    const notGateway = await tool(node, ['--json', 'serve-read', '--as', '//Bob', '--record', String(record), '--accessor', dave.address]);
    assert.equal(notGateway.code, 1);
    const err = JSON.parse(notGateway.stdout);
    assert.deepEqual([err.module.section, err.module.name], ['accessLog', 'NotAGateway']);
    assert.match(err.error, /^accessLog\.NotAGateway: /);
    // Anchoring that fails leaves no sealed file behind.
    const file2 = join(dir, 'note2.txt');
    writeFileSync(file2, 'Another fictitious note.');
    const byGateway = await tool(node, ['add-record', '--as', '//Eve', '--patient', charlie.address, '--category', 'ClinicalNote', '--file', file2]);
    assert.equal(byGateway.code, 1);
    assert.match(byGateway.stderr, /error: patientRecords\.\w+: /);
    assert.ok(!existsSync(`${file2}.enc`) && !existsSync(`${file2}.key`), 'no files of an unanchored document');
    // Input errors, before anything is signed.
    for (const [args, pattern] of [
      [['decide', '--accessor', 'nobody', '--patient', charlie.address, '--record', '0'], /--accessor: not an account address/],
      [['decide', '--accessor', dave.address, '--patient', charlie.address, '--record', 'x'], /--record: not a non-negative integer/],
      [['add-record', '--as', '//Bob', '--patient', charlie.address, '--category', 'Gossip', '--file', file], /--category: Gossip is not one of ClinicalNote, LabResult/],
      [['add-record', '--as', '//Bob', '--patient', charlie.address, '--category', 'LabResult', '--file', file], /note\.txt\.enc exists already/],
      [['add-record', '--as', '//Bob', '--patient', charlie.address, '--category', 'LabResult', '--file', join(dir, 'none.txt')], /--file: cannot read .*ENOENT/],
      [['records'], /--patient is required/],
      [['frobnicate'], /unknown command frobnicate/],
    ]) {
      const r = await tool(node, args);
      assert.equal(r.code, 1, `${args.join(' ')} should fail`);
      assert.match(r.stderr, pattern);
    }
    const nodeDown = await tool({ url: 'ws://127.0.0.1:1' }, ['records', '--patient', charlie.address]);
    assert.equal(nodeDown.code, 1);
    assert.match(nodeDown.stderr, /cannot connect to ws:\/\/127\.0\.0\.1:1/);
    step('failures checked');
  } finally {
    await api?.disconnect();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

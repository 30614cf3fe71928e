// The page's checks (src/verify.mjs) against a real `ehr-node --dev`: GRANDPA justifications
// from `grandpa_subscribeJustifications` verify against the chain spec's authority set, and fail
// with a flipped signature, another set id or another authority set; storage read proofs give
// the values the node's own storage queries give, prove absence, and fail when a node drops a
// proof node, alters one, or names another state root; the entry hash the page computes from
// the `ehr_*` JSON is the hash the chain linked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';
import { startDevNode } from '../../tests/js/lib/node.mjs';
import { send } from '../../tests/js/lib/chain.mjs';
import {
  FinalityFollower, VerificationError, blake2_128Concat, encodeEntry, entryAction, entryHash, genesisAuthorities,
  logEntryType, proofDatabase, proveKeys, readProof, storagePrefix, verifyJustification,
} from '../src/verify.mjs';
import { devChainSpecFile } from './helpers.mjs';


test('justifications, read proofs and entry hashes check out, and altered ones do not', { timeout: 180_000 }, async () => {
  const node = await startDevNode();
  const work = mkdtempSync(join(tmpdir(), 'ehr-verify-'));
  let api;
  let unsubscribe;
  try {
    const provider = new WsProvider(node.url);
    api = await ApiPromise.create({ provider, noInitWarn: true });
    const authorities = genesisAuthorities(JSON.parse(readFileSync(await devChainSpecFile(join(work, 'chain-spec.json')), 'utf8')));
    assert.equal(authorities.length, 1, 'the dev chain has one GRANDPA authority (Alice)');

    // Justifications, as they come: each verifies and names a header whose hash checks.
    const verified = [];
    const raw = [];
    const follower = new FinalityFollower(api, authorities, { onVerified: (b) => verified.push(b), onError: (e) => { throw e; } });
    unsubscribe = await follower.start();
    const rawUnsub = await api.rpc.grandpa.subscribeJustifications((j) => raw.push(j.toU8a(true)));
    const until = Date.now() + 60_000;
    while ((verified.length < 2 || raw.length < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    rawUnsub();
    assert.ok(verified.length >= 2, `two justifications verified within 60 s (got ${verified.length})`);
    const block = verified[verified.length - 1];
    assert.equal(block.signers, 1);
    const finalizedNumber = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
    assert.ok(block.number <= finalizedNumber, 'a verified block is finalized');

    // A justification fails with one flipped signature byte, another set id, another set.
    const set = { setId: 0, authorities };
    const good = raw[0];
    assert.ok(verifyJustification(api.registry, good, set).number > 0);
    const j = api.createType('GrandpaJustification', good);
    const sigAt = u8aToHex(good).indexOf(j.commit.precommits[0].signature.toHex().slice(2)) / 2 - 1;
    const flipped = good.slice();
    flipped[sigAt] ^= 1;
    assert.throws(() => verifyJustification(api.registry, flipped, set), VerificationError, 'a flipped signature byte');
    assert.throws(() => verifyJustification(api.registry, good, { setId: 1, authorities }), /bad signature/, 'another set id');
    const stranger = new Keyring({ type: 'ed25519' }).addFromUri('//Mallory').publicKey;
    assert.throws(() => verifyJustification(api.registry, good, { setId: 0, authorities: [{ id: stranger, weight: 1n }] }), /not in authority set/, 'another authority set');

    // Read proofs: Alice's account as the node's own query gives it, and a key that is absent.
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const [alice, charlie] = ['//Alice', '//Charlie'].map((u) => keyring.addFromUri(u));
    const nobody = keyring.addFromUri('//Nobody').address;
    const accountKey = (who) => u8aConcat(storagePrefix('System', 'Account'), blake2_128Concat(decodeAddress(who)));
    const [account, none] = await proveKeys(api, block, [accountKey(alice.address), accountKey(nobody)]);
    const queried = await (await api.at(block.hash)).query.system.account(alice.address);
    assert.equal(u8aToHex(accountKey(alice.address)), api.query.system.account.key(alice.address), 'the page computes the key as the metadata says');
    assert.equal(u8aToHex(account), u8aToHex(queried.toU8a()), 'the proven account is the queried one');
    assert.equal(none, null, 'an absent account is proven absent');

    // A node that drops a proof node, alters one, or names another state root is caught.
    const key = api.query.system.account.key(alice.address);
    const proof = (await api.rpc.state.getReadProof([key], block.hash)).proof.map((p) => p.toU8a(true));
    assert.equal(u8aToHex(readProof(block.stateRoot, proofDatabase(proof), hexToU8a(key))), u8aToHex(queried.toU8a()));
    for (let i = 0; i < proof.length; i++) {
      const dropped = proof.filter((_, k) => k !== i);
      assert.throws(() => readProof(block.stateRoot, proofDatabase(dropped), hexToU8a(key)), VerificationError, `proof node ${i} dropped`);
      const altered = proof.map((p, k) => (k === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
      assert.throws(() => readProof(block.stateRoot, proofDatabase(altered), hexToU8a(key)), VerificationError, `proof node ${i} altered`);
    }
    const otherRoot = verified[0].stateRoot;
    if (u8aToHex(otherRoot) !== u8aToHex(block.stateRoot)) {
      assert.throws(() => readProof(otherRoot, proofDatabase(proof), hexToU8a(key)), VerificationError, 'another state root');
    }

    // Entry hashes: Charlie signs up and grants Dave; the hash of the log entry the page
    // computes from the RPC's JSON is the hash the chain linked as Charlie's head.
    await send(api, api.tx.hospitalRegistry.registerPatient(), charlie, node);
    const now = (await api.query.timestamp.now()).toNumber();
    await send(api, api.tx.consent.grant(charlie.address, { Hospital: 0 }, 'AllRecords', ['MentalHealth'], ['Treatment'], ['Read'], null, now + 86_400_000), charlie, node);
    const fin = (await api.rpc.chain.getFinalizedHead()).toHex();
    const call = (method, params) => provider.send(method, params);
    const log = await call('ehr_accessLog', [charlie.address, null, 10, fin]);
    assert.ok(log.entries.length >= 1, 'Charlie has log entries');
    const type = logEntryType(api);
    for (const e of log.entries) {
      assert.equal(entryHash(api, type, e), e.hash, `entry ${e.seq} (${JSON.stringify(e.action)})`);
      assert.equal(entryAction(encodeEntry(api, type, e).bytes), e.action, 'the action the bytes say is the one the JSON names');
    }
    assert.ok(log.entries.some((e) => e.action === 'consentGranted'));
    assert.equal(log.entries[0].hash, log.head.hash);
    const altered = { ...log.entries[0], actor: alice.address };
    assert.notEqual(entryHash(api, type, altered), log.entries[0].hash, 'an altered entry hashes otherwise');
  } finally {
    if (unsubscribe) unsubscribe();
    if (api) await api.disconnect();
    await node.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

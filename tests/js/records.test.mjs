// Patient records from Polkadot.js, with no custom type definitions: a doctor anchors a record,
// the patient lists it through the runtime API, approves an amendment, and signs a second one
// the way a wallet signs raw bytes (`<Bytes>`-wrapped); the history shows all three versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex, u8aWrapBytes } from '@polkadot/util';
import { startDevNode } from './lib/node.mjs';
import { send } from './lib/chain.mjs';

/** Commitment and CIDv1 (raw, sha2-256) of some ciphertext. */
function content(text) {
  const digest = createHash('sha256').update(text).digest();
  return {
    commitment: u8aToHex(digest),
    cid: u8aToHex(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest])),
    scheme: 'XChaCha20Poly1305',
    size: text.length,
  };
}

test('a patient lists, approves and signs amendments of their records from Polkadot.js', { timeout: 300_000 }, async () => {
  const node = await startDevNode();
  let api;
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((u) => keyring.addFromUri(u));

    await send(api, api.tx.hospitalRegistry.registerStaff(bob.address, 'Doctor', '0x' + '11'.repeat(32), null), alice, node);
    await send(api, api.tx.hospitalRegistry.registerPatient(), charlie, node);

    // The doctor anchors a clinical note.
    const events = await send(api, api.tx.patientRecords.addRecord(charlie.address, 'ClinicalNote', content('note v1')), bob, node);
    const added = events.find(({ event }) => api.events.patientRecords.RecordAdded.is(event));
    assert.ok(added, 'a PatientRecords.RecordAdded event');
    const id = added.event.data.record.toNumber();
    assert.equal(added.event.data.patient.toString(), charlie.address);

    // The patient's app lists it through the runtime API.
    const page = await api.call.patientRecordsApi.recordsOf(charlie.address, 0, 10);
    assert.equal(page.total.toNumber(), 1);
    const [recId, rec] = page.records[0];
    assert.equal(recId.toNumber(), id);
    assert.ok(rec.category.isClinicalNote);
    assert.ok(rec.status.isCurrent);
    assert.equal(rec.content.commitment.toHex(), content('note v1').commitment);

    // Amendment by proposal and approval.
    await send(api, api.tx.patientRecords.proposeAmendment(id, content('note v2')), bob, node);
    const pending = await api.call.patientRecordsApi.pendingAmendment(id);
    assert.ok(pending.isSome);
    const amended = await send(api, api.tx.patientRecords.approveAmendment(id), charlie, node);
    const v2 = amended.find(({ event }) => api.events.patientRecords.RecordAmended.is(event)).event.data.record.toNumber();

    // Amendment in one extrinsic: the patient's wallet signs the payload the runtime hands out.
    const v3content = content('note v3');
    const payload = await api.call.patientRecordsApi.amendmentPayload(v2, v3content);
    assert.ok(payload.isSome);
    // The runtime returns the payload as a typed struct (readable in a wallet); its SCALE
    // encoding is what the patient signs.
    assert.equal(payload.unwrap().record.toNumber(), v2);
    const signature = charlie.sign(u8aWrapBytes(payload.unwrap().toU8a()));
    await send(api, api.tx.patientRecords.amendWithSignature(v2, v3content, charlie.address, { Sr25519: signature }), bob, node);

    const history = await api.call.patientRecordsApi.history(id);
    assert.deepEqual(history.map(([, r]) => r.version.toNumber()), [3, 2, 1]);
    assert.deepEqual(history.map(([, r]) => r.status.type), ['Current', 'Superseded', 'Superseded']);

    // A signature over different content is refused with a named error.
    const forged = charlie.sign(u8aWrapBytes(payload.unwrap().toU8a()));
    await assert.rejects(
      send(api, api.tx.patientRecords.amendWithSignature(history[0][0], content('note v4'), charlie.address, { Sr25519: forged }), bob, node),
      /patientRecords\.BadSignature/,
    );
  } finally {
    if (api) await api.disconnect();
    await node.stop();
  }
});

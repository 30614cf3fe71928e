// Consent and the access log from Polkadot.js, with no custom type definitions: a hospital
// enrols a patient whose account holds nothing; the patient grants a doctor access and revokes
// it, paying nothing, and the `ehr_decide` RPC and the `consentApi` runtime API follow each
// step; the hospital's gateway logs a read, and the patient sees who accessed their records
// (`ehr_whoAccessed`) and checks the log against the head `accessLogApi` reads from state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { startDevNode } from './lib/node.mjs';
import { send, decide } from './lib/chain.mjs';

test('a patient with no balance grants and revokes from Polkadot.js, and decisions follow', { timeout: 300_000 }, async () => {
  const node = await startDevNode();
  let api;
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const [alice, bob, ferdie] = ['//Alice', '//Bob', '//Ferdie'].map((u) => keyring.addFromUri(u));
    // A fresh account: never endowed.
    const patient = keyring.addFromUri('//JsZeroBalancePatient');
    const balance = async () => (await api.query.system.account(patient.address)).data.free.toBigInt();
    assert.equal(await balance(), 0n);
    // Not a patient yet: the decision's reason has the name of the pallets' error.
    assert.equal((await decide(node, alice.address, patient.address, { category: 'labResult' })).reason, 'patientNotFound');
    assert.ok(api.errors.consent.PatientNotFound && api.errors.patientRecords.PatientNotFound && api.errors.hospitalRegistry.PatientNotFound);

    await send(api, api.tx.hospitalRegistry.registerStaff(bob.address, 'Doctor', '0x' + '11'.repeat(32), null), alice, node);
    await send(api, api.tx.hospitalRegistry.enrolPatient(patient.address, '0x' + '22'.repeat(32)), alice, node);

    const lab = { category: 'labResult' };
    assert.deepEqual(await decide(node, bob.address, patient.address, lab),
      {
        permit: false, basis: null, reason: 'noGrant', grant: null, emergency: null,
        explanation: 'the patient has given no grant to the requester or their hospital',
      });
    assert.equal((await api.call.consentApi.freeOpsLeft(patient.address)).toNumber(), 20);

    // The patient grants the doctor treatment reads of everything but mental health, for a day.
    const now = (await api.query.timestamp.now()).toNumber();
    const grant = api.tx.consent.grant(
      patient.address, { Staff: bob.address }, 'AllRecords', ['MentalHealth'], ['Treatment'], ['Read'], null, now + 86_400_000,
    );
    const events = await send(api, grant, patient, node);
    const granted = events.find(({ event }) => api.events.consent.Granted.is(event));
    assert.ok(granted, 'a Consent.Granted event');
    assert.equal(granted.event.data.patient.toString(), patient.address);
    assert.ok(events.some(({ event }) => api.events.skipFeelessPayment.FeeSkipped.is(event)), 'the fee was skipped');
    const id = granted.event.data.grant.toNumber();
    assert.equal(await balance(), 0n);

    assert.deepEqual(await decide(node, bob.address, patient.address, lab),
      { permit: true, basis: 'grant', reason: null, grant: id, emergency: null, explanation: null });
    const mental = await decide(node, bob.address, patient.address, { category: 'mentalHealth' });
    assert.equal(mental.reason, 'categoryExcluded');
    assert.equal((await decide(node, bob.address, patient.address, lab, 'research')).reason, 'purposeNotGranted');

    // The runtime API lists the grant, decoded from metadata alone.
    const grants = await api.call.consentApi.grants(patient.address);
    assert.equal(grants.length, 1);
    assert.ok(grants[0].status.isActive);
    assert.equal(grants[0].grantee.asStaff.toString(), bob.address);
    const d = await api.call.consentApi.decide(bob.address, patient.address, { Category: 'LabResult' }, 'Treatment', 'Read', null);
    assert.ok(d.isPermit);
    assert.equal(d.asPermit.asGrant.toNumber(), id);

    // Revocation, free too; decisions deny at once and the listing shows it revoked.
    await send(api, api.tx.consent.revoke(patient.address, id), patient, node);
    const after = await decide(node, bob.address, patient.address, lab);
    assert.equal(after.permit, false);
    assert.equal(after.reason, 'revoked');
    assert.equal(after.grant, id);
    assert.match(after.explanation, new RegExp(`^the patient revoked grant #${id} on \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC$`));
    const listed = await api.call.consentApi.grants(patient.address);
    assert.ok(listed[0].status.isRevoked);
    assert.equal(listed[0].revoked.unwrap().by.toString(), patient.address);
    assert.equal(await balance(), 0n);
    // The patient's own revocation spends no allowance: only the grant counted.
    assert.equal((await api.call.consentApi.freeOpsLeft(patient.address)).toNumber(), 19);

    // Revoking again would fail, so it is not free: a patient without funds cannot send it.
    await assert.rejects(send(api, api.tx.consent.revoke(patient.address, id), patient, node), /Inability to pay|1010/);

    // The hospital's gateway served Bob a document of the patient and logs it; the patient's
    // app shows who accessed their records, decoded from metadata alone.
    await send(api, api.tx.hospitalRegistry.registerStaff(ferdie.address, 'Gateway', '0x' + '33'.repeat(32), null), alice, node);
    const added = await send(api, api.tx.patientRecords.addRecord(patient.address, 'LabResult', {
      commitment: '0x' + 'ab'.repeat(32),
      cid: '0x01551220' + 'ab'.repeat(32),
      scheme: 'XChaCha20Poly1305',
      size: 64,
    }), bob, node);
    const record = added.find(({ event }) => api.events.patientRecords.RecordAdded.is(event)).event.data.record.toNumber();
    await send(api, api.tx.accessLog.logRead(record, bob.address, 'Treatment', true), ferdie, node);
    // State keeps the heads only: the entries come from the node's index, over `ehr_*`.
    const rpc = async (method, params) => {
      const res = await (await fetch(node.httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      })).json();
      assert.ok(res.result !== undefined, `${method}: ${JSON.stringify(res.error)}`);
      return res.result;
    };
    const who = await rpc('ehr_whoAccessed', [patient.address, null, 10]);
    assert.equal(who.entries.length, 1);
    const [read] = who.entries;
    assert.equal(read.action, 'documentRead');
    assert.equal(read.actor, bob.address);
    assert.deepEqual(read.subject, { record });
    assert.equal(read.purpose, 'treatment');
    // Verified at enrolment, granted, revoked, record added, read: five entries, linked by hash
    // up to the head the runtime API reads from state.
    const head = await api.call.accessLogApi.head(patient.address);
    assert.equal(head.count.toNumber(), 5);
    const all = await rpc('ehr_accessLog', [patient.address, null, 10]);
    assert.equal(all.entries.length, 5);
    assert.equal(all.entries[0].hash, head.last.toHex());
    assert.equal(all.entries[0].prev, all.entries[1].hash);
    const verified = await rpc('ehr_verifyAccessLog', [patient.address]);
    assert.equal(verified.verified, true);
  } finally {
    await api?.disconnect();
    await node.stop();
  }
});

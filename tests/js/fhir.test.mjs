// The node's FHIR R4 exports validate: on a development node with records of every status
// (an amendment, a version entered in error, a deleted one, a patient-held one), grants of every
// scope (one revoked) and an access log with every kind of entry a signed call can make,
// `ehr_documentReferences`, `ehr_consentFhir` and `ehr_auditEvents` are checked against the R4
// StructureDefinitions, invariants and required value sets (lib/fhir.mjs), and the AuditEvents
// against the fixed codes of their IHE BALP profiles. The FHIR examples of docs/rpc.md are
// checked the same way, and the validator itself is shown to catch what R4 forbids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { startDevNode } from './lib/node.mjs';
import { send } from './lib/chain.mjs';
import { assertValidFhir, fhirProblems } from './lib/fhir.mjs';

const FHIR_METHODS = ['ehr_documentReferences', 'ehr_consentFhir', 'ehr_auditEvents'];

/** The result each curl example of docs/rpc.md shows, by method (as node/tests/rpc_docs.rs reads them). */
function documentedResults() {
  const page = readFileSync(new URL('../../docs/rpc.md', import.meta.url), 'utf8');
  const blocks = page.split('```').filter((_, i) => i % 2 === 1).map((b) => {
    const nl = b.indexOf('\n');
    return [b.slice(0, nl), b.slice(nl + 1)];
  });
  const results = new Map();
  blocks.forEach(([lang, text], i) => {
    if (lang !== 'sh' || !text.includes('curl')) return;
    const body = text.slice(text.indexOf("-d '") + 4);
    const { method } = JSON.parse(body.slice(0, body.indexOf("'")));
    if (blocks[i + 1]?.[0] === 'json') results.set(method, JSON.parse(blocks[i + 1][1]));
  });
  return results;
}

/** What a problem list must name. */
function assertNames(problems, pattern, what) {
  assert.ok(problems.some((p) => pattern.test(p)), `${what}: expected a problem matching ${pattern}, got ${JSON.stringify(problems)}`);
}

test('the validator refuses what R4 forbids', () => {
  const documented = documentedResults();
  const bundle = documented.get('ehr_auditEvents');
  // A collection bundle with a total: bdl-1 allows one only on a search or history bundle.
  assertNames(fhirProblems({ ...bundle, total: bundle.entry.length }), /bdl-1/, 'a collection bundle with total');
  // An empty array, which FHIR's JSON does not have.
  const event = structuredClone(bundle.entry[0].resource);
  event.agent[0].purposeOfUse = [];
  assertNames(fhirProblems(event), /purposeOfUse: an empty array/, 'an empty purposeOfUse');
  // A code outside a required value set, a code its code system does not have.
  assertNames(fhirProblems({ ...event, outcome: '1' }), /audit-event-outcome/, 'outcome 1');
  assertNames(fhirProblems({ ...event, subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'fetch' }] }),
    /restful-interaction/, 'subtype fetch');
  const doc = documented.get('ehr_documentReferences').entry[0].resource;
  assertNames(fhirProblems({ ...doc, status: 'deleted' }), /document-reference-status/, 'status deleted');
  // A SHA-256 in hex where R4 wants a base64 SHA-1, and a size beyond unsignedInt.
  const content = (attachment) => ({ ...doc, content: [{ attachment: { ...doc.content[0].attachment, ...attachment } }] });
  assertNames(fhirProblems(content({ hash: doc.identifier[0].value })), /base64Binary/, 'a hex hash');
  assertNames(fhirProblems(content({ size: 2 ** 31 })), /32-bit range of unsignedInt/, 'size 2^31');
  assertNames(fhirProblems({ ...doc, relatesTo: [{ code: 'replaces' }] }), /relatesTo\[0\]\.target/, 'relatesTo without target');
  const consent = documented.get('ehr_consentFhir');
  assertNames(fhirProblems({ ...consent, status: 'revoked' }), /consent-state-codes/, 'Consent status revoked');
  const { policyRule, ...withoutPolicy } = consent;
  assert.ok(policyRule);
  assertNames(fhirProblems(withoutPolicy), /ppc-1/, 'Consent without a policy');
});

test('the FHIR examples of docs/rpc.md are valid FHIR R4', () => {
  const documented = documentedResults();
  for (const method of FHIR_METHODS) {
    assert.ok(documented.has(method), `docs/rpc.md has an example of ${method}`);
    assertValidFhir(documented.get(method), `the example of ${method} in docs/rpc.md`);
  }
});

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

/** The IHE BALP profile of each log action, as ehr_auditEvents maps it. */
const BALP_PROFILE = {
  recordAdded: 'PatientCreate', consentGranted: 'PatientCreate', delegateAppointed: 'PatientCreate',
  guardianRecorded: 'PatientCreate', patientVerified: 'PatientCreate',
  recordAmended: 'PatientUpdate', recordEnteredInError: 'PatientUpdate', consentRevoked: 'PatientUpdate',
  emergencyEnded: 'PatientUpdate', emergencyReviewed: 'PatientUpdate', guardianContested: 'PatientUpdate',
  guardianUpheld: 'PatientUpdate',
  delegateRemoved: 'PatientDelete', guardianRemoved: 'PatientDelete', recordDeleted: 'PatientDelete',
  documentErased: 'PatientDelete',
  documentRead: 'PatientRead', documentServed: 'PatientRead', readDenied: 'PatientRead', emergencyOpened: 'PatientRead',
};
/** Each BALP profile's fixed `action` and allowed `subtype` codes. */
const BALP_FIXED = {
  PatientCreate: { action: 'C', subtypes: ['create'] },
  PatientUpdate: { action: 'U', subtypes: ['update'] },
  PatientDelete: { action: 'D', subtypes: ['delete'] },
  PatientRead: { action: 'R', subtypes: ['read', 'vread'] },
};
const BALP = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.';

/** `ehr_*` over plain JSON-RPC. */
async function rpc(node, method, params) {
  const res = await fetch(node.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await res.json();
  assert.ok(!body.error, `${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

test('every FHIR export of a node validates as R4, and the AuditEvents as IHE BALP', { timeout: 600_000 }, async () => {
  const node = await startDevNode();
  let api;
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const [alice, bob, charlie, dave, ferdie] = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Ferdie']
      .map((u) => keyring.addFromUri(u));
    const [delegate, guardian] = ['//JsFhirDelegate', '//JsFhirGuardian'].map((u) => keyring.addFromUri(u));
    const tx = api.tx;
    // Each signer's calls of a step go out at once, with consecutive nonces; the steps follow
    // one another, each call finalized.
    const all = async (signer, calls) => {
      const nonce = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
      return Promise.all(calls.map((call, i) => send(api, call, signer, node, { nonce: nonce + i })));
    };
    const step = (...batches) => Promise.all(batches.map(([signer, calls]) => all(signer, calls)));
    const field = (events, event, name) => events.find(({ event: e }) => event.is(e)).event.data[name].toNumber();

    // Hospital 0: Bob a doctor, Ferdie its gateway, Dave its privacy officer; Charlie enrolled.
    await step([alice, [
      tx.hospitalRegistry.registerStaff(bob.address, 'Doctor', '0x' + '11'.repeat(32), null),
      tx.hospitalRegistry.registerStaff(ferdie.address, 'Gateway', '0x' + '12'.repeat(32), null),
      tx.hospitalRegistry.registerStaff(dave.address, 'PrivacyOfficer', '0x' + '13'.repeat(32), null),
      tx.hospitalRegistry.enrolPatient(charlie.address, '0x' + '22'.repeat(32)),
    ]]);

    // Records of five categories, one patient-held; a delegate, a guardian, a grant, an emergency.
    const now = (await api.query.timestamp.now()).toNumber();
    const [[note, lab, mental, imaging, opened], [own, , granted]] = await step(
      [bob, [
        tx.patientRecords.addRecord(charlie.address, 'ClinicalNote', content('fhir note v1')),
        tx.patientRecords.addRecord(charlie.address, 'LabResult', content('fhir lab')),
        tx.patientRecords.addRecord(charlie.address, 'MentalHealth', content('fhir mental')),
        tx.patientRecords.addRecord(charlie.address, 'Imaging', content('fhir imaging')),
        tx.consent.declareEmergency(charlie.address, 'PatientUnconscious', 'ED bay 2'),
      ]],
      [charlie, [
        tx.patientRecords.addRecord(charlie.address, 'PatientReported', content('fhir diary')),
        tx.hospitalRegistry.appointDelegate(delegate.address),
        tx.consent.grant(charlie.address, { Staff: bob.address }, 'AllRecords', ['MentalHealth'], ['Treatment'], ['Read'], null, now + 3_600_000),
        tx.consent.grant(charlie.address, { Hospital: 0 }, { Categories: ['LabResult', 'Imaging'] }, [], ['Payment'], ['Read'], null, now + 3_600_000),
      ]],
      [alice, [tx.hospitalRegistry.recordGuardian(charlie.address, guardian.address)]],
    );
    const added = (events) => field(events, api.events.patientRecords.RecordAdded, 'record');
    const [noteId, labId, mentalId, imagingId, ownId] = [note, lab, mental, imaging, own].map(added);
    const emergency = field(opened, api.events.consent.EmergencyAccessOpened, 'id');
    const grant = field(granted, api.events.consent.Granted, 'grant');

    // Amendment and withdrawals asked for; reads served, served on a request and refused; the
    // emergency ended; the delegate removed and the guardian contested; a grant of records.
    await step(
      [bob, [
        tx.patientRecords.proposeAmendment(noteId, content('fhir note v2')),
        tx.patientRecords.requestWithdrawal(labId, 'EnteredInError'),
        tx.patientRecords.requestWithdrawal(imagingId, 'Delete'),
        tx.consent.endEmergency(emergency),
      ]],
      [charlie, [
        tx.hospitalRegistry.removeDelegate(delegate.address),
        tx.hospitalRegistry.contestGuardian(charlie.address, guardian.address),
        tx.consent.grant(charlie.address, { Staff: bob.address }, { Records: [mentalId] }, [], ['Treatment'], ['Read', 'ProposeAmendment'], null, now + 3_600_000),
      ]],
      [ferdie, [
        tx.accessLog.logRead(noteId, bob.address, 'Treatment', true),
        tx.accessLog.logRead(noteId, dave.address, 'Research', false),
        tx.accessLog.logServed(mentalId, bob.address, 'Treatment', '0x' + '5e'.repeat(32)),
      ]],
    );
    // The patient agrees; the privacy officer reviews; a grant is revoked.
    const [[amended]] = await step(
      [charlie, [
        tx.patientRecords.approveAmendment(noteId),
        tx.patientRecords.approveWithdrawal(labId),
        tx.patientRecords.approveWithdrawal(imagingId),
        tx.consent.revoke(charlie.address, grant),
      ]],
      [dave, [
        tx.hospitalRegistry.reviewGuardianship(charlie.address, guardian.address, true),
        tx.consent.reviewEmergency(emergency, 'Justified'),
      ]],
    );
    const noteV2 = field(amended, api.events.patientRecords.RecordAmended, 'record');
    // The gateway destroys the deleted document; the hospital ends the guardianship.
    await step(
      [ferdie, [tx.accessLog.logErasure(imagingId)]],
      [alice, [tx.hospitalRegistry.removeGuardian(charlie.address, guardian.address)]],
    );

    // DocumentReferences: the page of ehr_records, one resource a version, valid R4.
    const records = await rpc(node, 'ehr_records', [charlie.address]);
    const docs = await rpc(node, 'ehr_documentReferences', [charlie.address]);
    assertValidFhir(docs, 'ehr_documentReferences');
    assert.equal(docs.type, 'collection');
    assert.equal(docs.total, undefined);
    assert.deepEqual(docs.entry.map((e) => e.resource.id), records.records.map((r) => String(r.id)));
    assert.equal(records.total, 6);
    const doc = (id) => docs.entry.find((e) => e.resource.id === String(id)).resource;
    const tag = (d) => d.meta.tag.find((t) => t.system === 'urn:ehr-chain:record-status').code;
    const expect = [
      [noteV2, 'current', 'amended', 'current'], [noteId, 'superseded', 'final', 'superseded'],
      [labId, 'entered-in-error', 'entered-in-error', 'enteredInError'], [imagingId, 'entered-in-error', undefined, 'deleted'],
      [mentalId, 'current', 'final', 'current'], [ownId, 'current', 'final', 'current'],
    ];
    for (const [id, status, docStatus, own_] of expect) {
      assert.deepEqual([doc(id).status, doc(id).docStatus, tag(doc(id))], [status, docStatus, own_], `record ${id}`);
    }
    assert.deepEqual(doc(noteV2).relatesTo, [{ code: 'replaces', target: { identifier: { system: 'urn:ehr-chain:record', value: String(noteId) } } }]);
    assert.equal(doc(noteV2).type.coding[0].code, '11506-3');
    assert.equal(doc(labId).type.coding[0].code, '11502-2');
    // Deleted: no content address, a description, the commitment kept.
    assert.equal(doc(imagingId).content[0].attachment.url, undefined);
    assert.match(doc(imagingId).description, /^Deleted/);
    assert.equal(doc(imagingId).identifier[0].value, content('fhir imaging').commitment);
    assert.equal(doc(labId).content[0].attachment.url, `ipfs://${records.records.find((r) => r.id === labId).cid}`);
    assert.equal(doc(mentalId).securityLabel[0].coding[0].code, 'R');
    assert.equal(doc(ownId).custodian, undefined);
    assert.deepEqual(doc(ownId).type.coding, [{ system: 'urn:ehr-chain:category', code: 'patientReported' }]);
    assert.equal(doc(noteV2).custodian.identifier.value, '0');
    for (const { resource } of docs.entry) {
      assert.deepEqual(resource.subject, { identifier: { system: 'urn:ehr-chain:account', value: charlie.address } });
      assert.equal(resource.content[0].attachment.contentType, 'application/octet-stream');
      assert.equal(resource.content[0].attachment.hash, undefined, 'R4 Attachment.hash is a SHA-1');
    }
    // A page past the end, and a patient with nothing: bundles without entries, still valid.
    const empty = await rpc(node, 'ehr_documentReferences', [charlie.address, 1, 64]);
    assert.deepEqual(empty, { resourceType: 'Bundle', type: 'collection' });
    assertValidFhir(empty, 'an empty page of ehr_documentReferences');

    // Consents: every grant, active and revoked, of each scope.
    const grants = await rpc(node, 'ehr_grants', [charlie.address]);
    assert.equal(grants.length, 3);
    for (const g of grants) {
      const consent = await rpc(node, 'ehr_consentFhir', [charlie.address, g.id]);
      assertValidFhir(consent, `ehr_consentFhir of grant ${g.id}`);
      assert.equal(consent.status, g.status === 'revoked' ? 'inactive' : 'active');
    }
    assert.equal(await rpc(node, 'ehr_consentFhir', [charlie.address, 99]), null);

    // AuditEvents: the whole log, every kind of entry, valid R4 and true to BALP.
    const log = await rpc(node, 'ehr_accessLog', [charlie.address, null, 100]);
    const audit = await rpc(node, 'ehr_auditEvents', [charlie.address, null, 100]);
    assertValidFhir(audit, 'ehr_auditEvents');
    assert.equal(audit.total, undefined);
    const kind = (action) => (typeof action === 'string' ? action : Object.keys(action)[0]);
    const kinds = new Set(log.entries.map((e) => kind(e.action)));
    // Every action but the council's end of a guardianship, the same `guardianRemoved` kind.
    assert.deepEqual([...kinds].sort(), Object.keys(BALP_PROFILE).sort());
    assert.equal(audit.entry.length, log.entries.length);
    audit.entry.forEach(({ fullUrl, resource: event }, i) => {
      const entry = log.entries[i];
      const profile = BALP_PROFILE[kind(entry.action)];
      const what = `the AuditEvent of entry ${entry.seq} (${kind(entry.action)})`;
      assert.equal(fullUrl, `urn:ehr-chain:audit:${charlie.address}/${entry.seq}`);
      assert.deepEqual(event.meta.profile, [BALP + profile], what);
      assert.equal(event.type.system, 'http://terminology.hl7.org/CodeSystem/audit-event-type', what);
      assert.equal(event.type.code, 'rest', what);
      assert.ok(event.subtype.length > 0, what);
      for (const s of event.subtype) {
        assert.equal(s.system, 'http://hl7.org/fhir/restful-interaction', what);
        assert.ok(BALP_FIXED[profile].subtypes.includes(s.code), `${what}: subtype ${s.code}`);
      }
      assert.equal(event.action, BALP_FIXED[profile].action, what);
      assert.equal(event.outcome, kind(entry.action) === 'readDenied' ? '4' : '0', what);
      // BALP's patient entity: type Person, role Patient.
      assert.ok(event.entity.some((e) => e.what.identifier?.value === charlie.address
        && e.type?.system === 'http://terminology.hl7.org/CodeSystem/audit-entity-type' && e.type.code === '1'
        && e.role?.system === 'http://terminology.hl7.org/CodeSystem/object-role' && e.role.code === '1'), what);
      assert.equal(event.purposeOfEvent !== undefined, entry.purpose !== null, what);
      assert.ok(event.agent.some((a) => a.requestor && a.who.identifier.value === entry.actor), what);
    });
    const nobody = await rpc(node, 'ehr_auditEvents', [keyring.addFromUri('//JsFhirNobody').address]);
    assert.deepEqual(nobody, { resourceType: 'Bundle', type: 'collection' });
  } finally {
    await api?.disconnect();
    await node.stop();
  }
});

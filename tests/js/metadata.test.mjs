// What a Polkadot.js user sees of ehr-chain's own metadata, with no custom types: every call,
// event and error of the four ehr-chain pallets carries a readable first doc line (what
// Polkadot.js Apps shows next to it, and what decoded module errors print); the four runtime
// APIs are there under `api.call` with the functions docs/rpc.md lists, documented too; and the
// chain properties and runtime name are the ones the docs give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { startDevNode } from './lib/node.mjs';

const PALLETS = ['hospitalRegistry', 'patientRecords', 'consent', 'accessLog'];

/** The runtime APIs and functions of docs/rpc.md's "The runtime APIs behind the methods". */
const RUNTIME_APIS = {
  hospitalRegistryApi: ['hospital', 'hospitals', 'staff', 'staffCheck', 'isPatient', 'actsFor', 'validators', 'delegations'],
  patientRecordsApi: ['record', 'recordsOf', 'history', 'pendingAmendment', 'pendingWithdrawal', 'prescriptionRequest', 'amendmentPayload', 'recordOfCommitment'],
  consentApi: ['decide', 'grants', 'grant', 'emergencies', 'reviewQueue', 'freeOpsLeft'],
  accessLogApi: ['head', 'globalHead'],
};

/**
 * Names that once misled, renamed in spec 105: `pallet.Error` now present and the old name gone.
 * A renamed storage item keeps its key, and so its name in the metadata: `pallet.query` present.
 */
const RENAMED_ERRORS = {
  'hospitalRegistry.NotAdminOrAdministrator': 'hospitalRegistry.NotHospitalAdministrator',
  'hospitalRegistry.HospitalAlreadyRemoved': 'hospitalRegistry.HospitalRemoved',
  'patientRecords.PatientNotFound': 'patientRecords.UnknownPatient',
  'consent.PatientNotFound': 'consent.UnknownPatient',
  'consent.GranteeNotFound': 'consent.UnknownGrantee',
};
const KEPT_STORAGE_NAMES = ['consent.openEmergency', 'patientRecords.pendingRequests'];

/**
 * A first doc line a person can read on its own (Polkadot.js Apps shows only that line): at least
 * three words and a dozen letters, and a whole sentence, not one cut where the source wraps.
 */
function readable(docs) {
  const first = docs.length > 0 ? docs[0].toString().trim() : '';
  return first.split(/\s+/).filter(Boolean).length >= 3 && first.replace(/[^A-Za-z]/g, '').length >= 12
    && /[.!?)]$/.test(first);
}

/** A non-empty doc: some words (runtime API docs are short: "One hospital."). */
const documented = (docs) => docs.some((d) => /[A-Za-z]{2,}/.test(d.toString()));

const lowerFirst = (s) => s[0].toLowerCase() + s.slice(1);
const camel = (s) => lowerFirst(s.replace(/_([a-z])/g, (_, c) => c.toUpperCase()));

test('ehr-chain metadata is documented and its runtime APIs and properties are as documented', { timeout: 180_000 }, async () => {
  const node = await startDevNode();
  let api;
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });

    // Calls, events and errors of the four pallets: all offenders listed at once.
    const offenders = [];
    let items = 0;
    for (const pallet of PALLETS) {
      assert.ok(api.tx[pallet], `pallet ${pallet} has calls in the metadata`);
      assert.ok(api.events[pallet], `pallet ${pallet} has events in the metadata`);
      assert.ok(api.errors[pallet], `pallet ${pallet} has errors in the metadata`);
      const kinds = [
        ['call', Object.entries(api.tx[pallet])],
        ['event', Object.entries(api.events[pallet])],
        ['error', Object.entries(api.errors[pallet])],
      ];
      for (const [kind, entries] of kinds) {
        assert.ok(entries.length > 0, `${pallet} has at least one ${kind}`);
        for (const [name, item] of entries) {
          items += 1;
          if (!readable(item.meta.docs)) {
            offenders.push(`${kind} ${pallet}.${name}: ${JSON.stringify(item.meta.docs[0]?.toString() ?? null)}`);
          }
        }
      }
    }
    assert.deepEqual(offenders, [], `items of ${PALLETS.join(', ')} without a readable first doc line:\n  ${offenders.join('\n  ')}`);
    assert.ok(items > 100, `checked ${items} calls, events and errors`);

    // Runtime APIs: present in api.call with the documented functions, and documented in the
    // metadata (the API and each of its functions).
    const metaApis = api.runtimeMetadata.asLatest.apis;
    const undocumented = [];
    for (const [section, functions] of Object.entries(RUNTIME_APIS)) {
      assert.ok(api.call[section], `api.call.${section} exists`);
      for (const fn of functions) {
        assert.equal(typeof api.call[section][fn], 'function', `api.call.${section}.${fn} exists`);
      }
      const meta = metaApis.find((a) => lowerFirst(a.name.toString()) === section);
      assert.ok(meta, `runtime API ${section} is in the metadata`);
      if (!documented(meta.docs)) undocumented.push(`runtime API ${meta.name}`);
      const inMeta = meta.methods.map((m) => camel(m.name.toString()));
      for (const fn of functions) assert.ok(inMeta.includes(fn), `${meta.name}.${fn} is in the metadata (has ${inMeta.join(', ')})`);
      for (const m of meta.methods) {
        if (!documented(m.docs)) undocumented.push(`runtime API function ${meta.name}_${m.name}`);
      }
      // Nothing beyond what rpc.md documents, so the docs stay complete.
      assert.deepEqual(inMeta.slice().sort(), functions.slice().sort(), `${meta.name}: the functions rpc.md lists`);
    }
    assert.deepEqual(undocumented, [], `runtime APIs or functions without docs:\n  ${undocumented.join('\n  ')}`);

    // Renamed errors under their new names only; renamed storage under its kept name.
    const at = (root, path) => path.split('.').reduce((o, k) => o?.[k], root);
    for (const [now, before] of Object.entries(RENAMED_ERRORS)) {
      assert.ok(at(api.errors, now), `error ${now} is in the metadata`);
      assert.equal(at(api.errors, before), undefined, `error ${before} is renamed ${now}`);
    }
    for (const name of KEPT_STORAGE_NAMES) {
      assert.equal(typeof at(api.query, name), 'function', `storage ${name} keeps its name and key`);
    }

    // Chain properties (README "Chains": token symbol EHR, 12 decimals, SS58 prefix 42) as
    // Polkadot.js reads them, and the raw `system_properties` answer.
    assert.equal(api.registry.chainSS58, 42);
    assert.deepEqual(api.registry.chainDecimals, [12]);
    assert.deepEqual(api.registry.chainTokens, ['EHR']);
    // The node answers the chain spec's properties (runtime/src/lib.rs `chain_properties`) as
    // written there: scalars, which Polkadot.js turns into one-element lists.
    const raw = await (await fetch(node.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_properties', params: [] }),
      signal: AbortSignal.timeout(30_000),
    })).json();
    assert.deepEqual(raw.result, { ss58Format: 42, tokenDecimals: 12, tokenSymbol: 'EHR' });
    const props = await api.rpc.system.properties();
    assert.equal(props.ss58Format.unwrap().toNumber(), 42);
    assert.deepEqual(props.tokenDecimals.unwrap().map((d) => d.toNumber()), [12]);
    assert.deepEqual(props.tokenSymbol.unwrap().map((t) => t.toString()), ['EHR']);
    assert.equal(api.runtimeVersion.specName.toString(), 'ehr-chain');
  } finally {
    await api?.disconnect();
    await node.stop();
  }
});

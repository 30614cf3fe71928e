// The patient's page of ehr-chain: records, grants, who can act for the patient, who accessed,
// emergency accesses; grant and revoke consent, remove a delegate, contest a guardian; a notice
// as soon as an emergency access, a read or a refusal of the patient's records is finalized.
// @polkadot/api in the browser with no custom type definitions: every read is at the latest
// finalized block, a runtime API (`api.call.*`) or, for the access log, the node's `ehr_*` JSON-RPC
// methods (plain JSON over the same WebSocket); the notices come from the `accessLog.EntryAppended`
// events of each finalized block; every write is a signed extrinsic. Names of staff come from
// each active hospital's staff directory, fetched from its gateway and believed only as far as
// the chain confirms it (see `loadDirectories`).
import { ApiPromise, WsProvider } from '@polkadot/api';
import { web3Accounts, web3Enable, web3FromSource } from '@polkadot/extension-dapp';
import { Keyring } from '@polkadot/keyring';
import { hexToU8a, stringToU8a, u8aConcat, u8aEq, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, encodeAddress, sr25519Verify } from '@polkadot/util-crypto';
import {
  FinalityFollower, VerificationError, blake2_128Concat, encodeEntry, entryAction, genesisAuthorities, logEntryType,
  proveKeys, readU32, readU64, readU64Vec, storagePrefix, twox64Concat, u32le, u64le,
} from './verify.mjs';

const SS58 = 42;
const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];
const RECORDS_PAGE = 20;
const LOG_LIMIT = 50;
const NOTICE_MAX = 20; // notices kept on the page, per kind (urgent, other)
const NOTICE_WALK = 250; // finalized blocks examined at most after a gap (a node keeps 256 blocks' state)
const DIRECTORY_DOMAIN = 'ehr-chain/staff-directory/v1'; // ehr_client::directory::DIRECTORY_DOMAIN
// SCALE of ehr_client::directory::Directory: hospital, genesis, issued_at, entries (account,
// name, role as the index of the runtime's StaffRole, department).
const DIRECTORY_TYPE = '(u32, H256, u64, Vec<(AccountId32, Text, u8, Option<Text>)>)';
const DIRECTORY_MAX_AGE_MS = 60_000; // directories are fetched again after this
const DIRECTORY_RETRY_MS = 5_000; // ... or after this when one could not be had
const CATEGORIES = ['ClinicalNote', 'LabResult', 'Imaging', 'Prescription', 'DischargeSummary', 'Allergy',
  'Immunization', 'MentalHealth', 'PatientReported', 'DeviceData'];

const $ = (id) => document.getElementById(id);

const state = {
  api: null,
  provider: null, // the WsProvider, for the ehr_* methods (plain JSON-RPC)
  rpc: '',
  accounts: [], // { address, name, source: 'dev' | extension name, pair? }
  patient: '',
  recordsPage: 0,
  busy: false,
  finalized: null, // { number, hash }
  refreshing: null,
  refreshAgain: false,
  shown: {}, // section -> JSON of the data it shows, to re-render only on change
  hospitals: new Map(), // id -> name
  hospitalStatus: new Map(), // id -> 'Active' | 'Suspended' | 'Removed'
  seen: null, // number of the last finalized block whose events were examined for notices
  watching: Promise.resolve(), // the examination of finalized blocks, one after the other
  noticed: new Set(), // hashes of the log entries a notice was shown for
  directory: new Map(), // account -> { name, role, hospital, department }: entries the chain confirms
  directoryNotes: [], // per active hospital, what became of its directory (words)
  directoriesAt: 0, // when the directories were last fetched (ms), 0: never
  directoriesFailed: false, // whether a directory could not be had last time
  directoriesLoading: null,
  verifying: false, // whether the page shows only what it read at proven blocks
  verified: null, // the latest block whose finality the hospitals' signatures prove
  verifiedAt: 0, // when it came (ms)
  checkedEntries: new Map(), // hash -> { seq, prev, action } of the log entries re-hashed so far
};

// ---------------------------------------------------------------- formatting

/** `h('td', { class: 'x' }, 'text', node)`: an element; strings become text nodes (never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'onclick') el.addEventListener('click', v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** 'LabResult' -> 'Lab result'. */
function humanize(name) {
  const words = String(name).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const lowerFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);

function when(ms) {
  const n = typeof ms === 'number' ? ms : Number(ms.toString());
  return new Date(n).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const short = (a) => `${a.slice(0, 6)}…${a.slice(-4)}`;

function accountName(address) {
  return state.accounts.find((a) => a.address === address)?.name;
}

/** An account: its known name (dev or extension account) and its shortened address. */
function who(address, extra) {
  const name = accountName(address);
  return h('span', { class: 'who', title: address, 'data-address': address },
    name ? `${name} ` : '', h('span', { class: 'addr' }, short(address)),
    extra ? h('small', {}, ` (${extra})`) : null);
}

function hospitalName(id) {
  if (id === null || id === undefined) return '—';
  const n = typeof id === 'number' ? id : id.toNumber();
  return state.hospitals.get(n) ?? `hospital #${n}`;
}

function staffText(staff) {
  if (!staff) return 'not staff';
  return `${humanize(staff.role)}, ${hospitalName(staff.hospital)}${staff.status === 'Active' ? '' : `, ${lowerFirst(staff.status)}`}`;
}

function badge(text, kind) {
  return h('span', { class: `badge ${kind}` }, text);
}

function table(caption, headers, rows, attrs = {}) {
  return h('table', attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Actions'))))),
    h('tbody', {}, rows));
}

function replace(id, ...nodes) {
  $(id).replaceChildren(...nodes.flat());
}

/** `pallet.Error: docs` for a dispatch error, or its text. */
function dispatchErrorText(api, dispatchError) {
  if (dispatchError.isModule) {
    try {
      const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
      return `${section}.${name}${docs.length ? `: ${docs.join(' ').trim()}` : ''}`;
    } catch { /* fall through */ }
  }
  return dispatchError.toString();
}

// ---------------------------------------------------------------- extrinsics

/** Shows a transaction's state (`pending`, `finalized`, `failed`; `done` once it is settled). */
function txStatus(stateName, headline, steps, done = false) {
  const box = $('tx-status');
  box.dataset.state = stateName;
  box.dataset.done = String(done);
  box.replaceChildren(h('p', { class: 'headline', 'data-testid': 'tx-headline' }, headline),
    steps.length ? h('ol', {}, steps.map((s) => h('li', {}, s))) : null);
}

function setBusy(busy) {
  state.busy = busy;
  $('grant-submit').disabled = busy || !state.patient;
  for (const b of document.querySelectorAll('button[data-tx]')) b.disabled = busy;
}

/**
 * Signs `tx` as the chosen account and follows it to finality, showing each step; `free` says
 * why the chain skipped the fee, when it did.
 */
async function send(label, tx, free = 'free consent operation') {
  const { api } = state;
  const account = state.accounts.find((a) => a.address === state.patient);
  if (!account) return;
  const steps = [];
  let headline = `${label}: in progress…`;
  let st = 'pending';
  const step = (s, head = headline, stateName = st, done = false) => {
    steps.push(s);
    headline = head;
    st = stateName;
    txStatus(st, headline, steps, done);
  };
  setBusy(true);
  step(`Signing as ${account.name}${account.source === 'dev' ? ' (development key in this page)' : ` (${account.source})`}…`);
  let signer = account.pair;
  let options = {};
  if (!signer) {
    try {
      const injector = await web3FromSource(account.source);
      signer = account.address;
      options = { signer: injector.signer };
    } catch (e) {
      step(`The extension cannot sign: ${e.message}`, `${label} failed: ${e.message}`, 'failed', true);
      setBusy(false);
      return;
    }
  }
  await new Promise((resolve) => {
    let unsub = () => {};
    let failed = false;
    const done = () => { unsub(); setBusy(false); resolve(); };
    tx.signAndSend(signer, options, (result) => {
      const { status, dispatchError } = result;
      if (status.isReady) step('Accepted by the node, waiting in the transaction pool.');
      else if (status.isInBlock) {
        const fee = result.events.some(({ event }) => api.events.skipFeelessPayment?.FeeSkipped?.is(event));
        if (dispatchError) {
          failed = true;
          step(`Included in block ${status.asInBlock.toHex().slice(0, 10)}… but failed.`,
            `${label} failed: ${dispatchErrorText(api, dispatchError)}`, 'failed');
        } else {
          step(`Included in block ${status.asInBlock.toHex().slice(0, 10)}…${fee ? ` (no fee: ${free})` : ''}; waiting for finality.`);
        }
      } else if (status.isFinalized) {
        const hash = status.asFinalized;
        if (failed || dispatchError) {
          step(`Finalized in block ${hash.toHex().slice(0, 10)}…: nothing changed.`,
            `${label} failed: ${dispatchErrorText(api, dispatchError)}`, 'failed');
        } else {
          step(`Finalized in block ${hash.toHex().slice(0, 10)}….`, `${label}: done (finalized).`, 'finalized');
        }
        unsub();
        // Settled once the page shows the state after it.
        refresh(hash).finally(() => {
          txStatus(st, headline, steps, true);
          setBusy(false);
          resolve();
        });
      } else if (status.isDropped || status.isInvalid || status.isUsurped || status.isFinalityTimeout) {
        step(`The node reports it ${lowerFirst(status.type)}.`, `${label} failed: transaction ${lowerFirst(status.type)}.`, 'failed', true);
        done();
      }
    }).then((u) => { unsub = u; }).catch((e) => {
      // Refused before inclusion: bad signature, no fee and not free ("1010: Invalid
      // Transaction: Inability to pay some fees"), user cancelled in the extension, ...
      step(`Refused: ${e.message}`, `${label} failed: ${e.message}`, 'failed', true);
      done();
    });
  });
}

// ---------------------------------------------------------------- reading

/**
 * An `ehr_*` JSON-RPC method of the node, as plain JSON over the page's WebSocket (Polkadot.js
 * has no definitions for them). `at` is a block hash: the answer never changes, so it is cached.
 */
function ehr(method, params) {
  return state.provider.send(method, params, true);
}

/** Reads everything for the chosen patient at `hash` (default: the latest finalized block). */
function refresh(hash) {
  if (state.refreshing) {
    state.refreshAgain = true;
    return state.refreshing;
  }
  state.refreshing = (async () => {
    try {
      do {
        state.refreshAgain = false;
        await load(hash ?? null);
        hash = undefined;
      } while (state.refreshAgain);
    } catch (e) {
      console.error(e);
      $('updated').textContent = `Could not read the chain: ${e.message}`;
    } finally {
      state.refreshing = null;
    }
  })();
  return state.refreshing;
}

async function load(hash) {
  const { api } = state;
  // While the page checks the node, it shows only what it read at the latest block whose
  // finality the hospitals' signatures prove, and checks exactly that.
  const block = state.verifying ? state.verified : null;
  if (state.verifying && !block) return;
  const finalizedHash = block ? api.createType('BlockHash', block.hash) : hash ?? await api.rpc.chain.getFinalizedHead();
  const number = block ? block.number : (await api.rpc.chain.getHeader(finalizedHash)).number.toNumber();
  // Never go back: a refresh for an older block than the one shown reads the newer one.
  if (state.finalized && number < state.finalized.number) return block ? undefined : load(null);
  const at = await api.at(finalizedHash);
  const patient = state.patient;

  const hospitals = await at.call.hospitalRegistryApi.hospitals();
  state.hospitals = new Map(hospitals.map((hs) => [hs.id.toNumber(), hs.name.toUtf8()]));
  state.hospitalStatus = new Map(hospitals.map((hs) => [hs.id.toNumber(), hs.status.type]));
  renderHospitalChoice(hospitals);
  const stale = Date.now() - state.directoriesAt > (state.directoriesFailed ? DIRECTORY_RETRY_MS : DIRECTORY_MAX_AGE_MS);
  if (stale && !state.directoriesLoading) {
    // Not awaited: the page does not wait on the hospitals' gateways.
    state.directoriesLoading = loadDirectories(at, hospitals)
      .catch((e) => { console.warn(`Staff directories: ${e.message}`); })
      .finally(() => { state.directoriesLoading = null; });
  }

  if (patient) {
    // The access log from the node's `ehr_*` methods, at the same block: the patient's whole log,
    // walked back from the on-chain head. Reads served and emergency openings (who saw the
    // records) and refused reads (who tried and was refused) come apart, so that no number of
    // refusals can push a read out of view.
    const blockHash = finalizedHash.toHex();
    const [isPatient, records, grants, delegations, accesses, refusals, emergencies, freeOps] = await Promise.all([
      at.call.hospitalRegistryApi.isPatient(patient),
      at.call.patientRecordsApi.recordsOf(patient, state.recordsPage, RECORDS_PAGE),
      at.call.consentApi.grants(patient),
      at.call.hospitalRegistryApi.delegations(patient),
      ehr('ehr_whoAccessed', [patient, null, LOG_LIMIT, blockHash]),
      ehr('ehr_refusedAccesses', [patient, null, LOG_LIMIT, blockHash]),
      at.call.consentApi.emergencies(patient),
      at.call.consentApi.freeOpsLeft(patient),
    ]);
    if (patient !== state.patient) return; // the account changed meanwhile
    // Staff roles of everyone shown, from the registry.
    const people = new Set();
    for (const [, r] of records.records) people.add(r.author.toString());
    for (const g of grants) if (g.grantee.isStaff) people.add(g.grantee.asStaff.toString());
    for (const d of delegations) people.add(d.who.toString());
    for (const e of [...accesses.entries, ...refusals.entries]) people.add(e.actor);
    for (const e of emergencies) people.add(e.doctor.toString());
    const staff = new Map(await Promise.all([...people].map(async (a) => {
      const s = await at.call.hospitalRegistryApi.staff(a);
      return [a, s.isSome ? { hospital: s.unwrap().hospital.toNumber(), role: s.unwrap().role.type, status: s.unwrap().status.type } : null];
    })));
    if (patient !== state.patient) return;
    let verdict = null;
    if (block) {
      try {
        verdict = await checkAnswers(block, { records, grants, accesses, refusals });
      } catch (e) {
        showCheckFailure(e);
      }
      if (patient !== state.patient) return;
    }
    renderPatient(isPatient.isTrue, freeOps.toNumber());
    renderRecords(records, staff);
    renderGrants(grants, staff);
    renderDelegations(delegations, staff);
    renderAccesses(accesses, staff);
    renderRefusals(refusals, staff);
    renderEmergencies(emergencies, staff);
    if (verdict) showVerdict(block, verdict);
  } else if (block) {
    showVerdict(block, { problems: [], notes: [], time: 0 });
  }
  state.finalized = { number, hash: finalizedHash.toHex() };
  const up = $('updated');
  up.dataset.block = String(state.finalized.number);
  up.textContent = `Shown as of finalized block #${state.finalized.number.toLocaleString()} (updates with every finalized block).`;
}

/** Renders a section only when what it shows changed (keeps focus and clicks stable). */
function changed(section, data) {
  const key = JSON.stringify(data);
  if (state.shown[section] === key) return false;
  state.shown[section] = key;
  return true;
}

function renderHospitalChoice(hospitals) {
  const data = hospitals.map((hs) => [hs.id.toNumber(), hs.name.toUtf8(), hs.status.type]);
  if (!changed('hospital-choice', data)) return;
  const sel = $('grantee-hospital');
  const keep = sel.value;
  sel.replaceChildren(...data.map(([id, name, status]) =>
    h('option', { value: id, disabled: status !== 'Active' }, `#${id} ${name}${status === 'Active' ? '' : ` (${lowerFirst(status)})`}`)));
  if (keep) sel.value = keep;
}

function renderPatient(isPatient, freeOps) {
  if (!changed('patient', [state.patient, isPatient, freeOps])) return;
  const limit = state.api.consts.consent?.freeOpsPerWindow?.toNumber?.();
  const status = $('patient-status');
  status.dataset.patient = String(isPatient);
  if (isPatient) {
    status.replaceChildren('Registered patient: ', who(state.patient));
  } else {
    status.replaceChildren(
      h('strong', {}, 'This account is not a registered patient. '),
      'A hospital can enrol you at the front desk, or you can sign up yourself (this costs a small fee): ',
      h('button', { type: 'button', class: 'secondary', id: 'register-patient', 'data-testid': 'register-patient', 'data-tx': '',
        disabled: state.busy, onclick: () => send('Register as patient', state.api.tx.hospitalRegistry.registerPatient()) },
      'Register as patient'));
  }
  const ops = $('free-ops');
  ops.dataset.left = String(freeOps);
  ops.textContent = isPatient
    ? `Free consent operations left this hour: ${freeOps}${limit ? ` of ${limit}` : ''} (granting costs you nothing within this allowance; revoking your own grants is always free).`
    : '';
}

function recordStatus(r) {
  switch (r.status.type) {
    case 'Current': return badge('current', 'ok');
    case 'Superseded': return badge(r.supersededBy.isSome ? `amended (by #${r.supersededBy.unwrap()})` : 'amended', 'muted');
    case 'EnteredInError': return badge('entered in error', 'warn');
    case 'Deleted': return badge('deleted', 'bad');
    default: return badge(lowerFirst(r.status.type), 'muted');
  }
}

function renderRecords(page, staff) {
  if (!changed('records', [state.patient, state.recordsPage, page.toJSON(), [...staff]])) return;
  const total = page.total.toNumber();
  const from = state.recordsPage * RECORDS_PAGE;
  if (total === 0) {
    replace('records-body', h('p', { class: 'empty', 'data-testid': 'records-empty' }, 'No records yet.'));
    return;
  }
  const rows = page.records.map(([id, r]) => h('tr', {
    'data-testid': 'record-row', 'data-record-id': id.toString(), 'data-category': lowerFirst(r.category.type),
    'data-status': lowerFirst(r.status.type),
  },
  h('td', {}, `#${id}`, r.version.toNumber() > 1 ? h('small', {}, ` v${r.version}`) : null),
  h('td', { 'data-field': 'category' }, humanize(r.category.type)),
  h('td', { 'data-field': 'custodian' }, r.custodian.isSome ? hospitalName(r.custodian.unwrap()) : 'you (patient-held)'),
  h('td', { 'data-field': 'author' }, who(r.author.toString(), staff.get(r.author.toString()) ? staffText(staff.get(r.author.toString())) : null)),
  h('td', { 'data-field': 'time' }, when(r.createdAt.toNumber()), h('small', {}, ` block #${r.createdIn}`)),
  h('td', { 'data-field': 'status' }, recordStatus(r))));
  const nav = [];
  if (total > RECORDS_PAGE) {
    nav.push(h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', disabled: state.recordsPage === 0,
        onclick: () => { state.recordsPage -= 1; refresh(); } }, 'Newer'),
      h('button', { type: 'button', class: 'secondary', disabled: from + RECORDS_PAGE >= total,
        onclick: () => { state.recordsPage += 1; refresh(); } }, 'Older')));
  }
  replace('records-body',
    table(`Records ${from + 1}–${from + page.records.length} of ${total}, newest first. The documents themselves stay encrypted with the custodian hospital.`,
      ['Record', 'Category', 'Custodian', 'Author', 'Anchored', 'Status'], rows, { 'data-testid': 'records-table' }),
    nav);
}

function grantStatus(g) {
  switch (g.status.type) {
    case 'Active': return badge('active', 'ok');
    case 'NotYetValid': return badge('not yet valid', 'warn');
    case 'Expired': return badge('expired', 'muted');
    case 'Revoked': {
      const r = g.revoked.unwrap();
      return h('span', {}, badge('revoked', 'bad'), h('small', {}, ` ${when(r.at.toNumber())} by `), who(r.by.toString()));
    }
    default: return badge(lowerFirst(g.status.type), 'muted');
  }
}

function scopeText(g) {
  let text;
  if (g.scope.isAllRecords) text = 'all records';
  else if (g.scope.isCategories) text = g.scope.asCategories.map((c) => humanize(c.type)).join(', ');
  else text = `records ${g.scope.asRecords.map((r) => `#${r}`).join(', ')} (and their amendments)`;
  if (g.excluded.length) text += `, except ${g.excluded.map((c) => humanize(c.type).toLowerCase()).join(', ')}`;
  return text;
}

function granteeNode(g, staff) {
  if (g.grantee.isHospital) return h('span', {}, `Hospital ${hospitalName(g.grantee.asHospital)}`);
  const a = g.grantee.asStaff.toString();
  const named = state.directory.get(a);
  if (named) return h('span', { class: 'who', title: a, 'data-address': a }, personWords(named));
  return who(a, staffText(staff.get(a)));
}

function renderGrants(grants, staff) {
  if (!changed('grants', [state.patient, grants.map((g) => g.toJSON()), [...staff], [...state.directory]])) return;
  if (grants.length === 0) {
    replace('grants-body', h('p', { class: 'empty', 'data-testid': 'grants-empty' }, 'You have granted no access.'));
    return;
  }
  const rows = grants.map((g) => {
    const id = g.id.toNumber();
    const revocable = g.status.isActive || g.status.isNotYetValid;
    const grantee = g.grantee.isStaff ? g.grantee.asStaff.toString() : `hospital:${g.grantee.asHospital}`;
    return h('tr', { 'data-testid': 'grant-row', 'data-grant-id': id, 'data-status': lowerFirst(g.status.type), 'data-grantee': grantee },
      h('td', {}, `#${id}`),
      h('td', { 'data-field': 'grantee' }, granteeNode(g, staff)),
      h('td', { 'data-field': 'scope' }, scopeText(g)),
      h('td', { 'data-field': 'purposes' }, g.purposes.map((p) => humanize(p.type)).join(', ')),
      h('td', { 'data-field': 'actions' }, g.actions.map((a) => humanize(a.type)).join(', ')),
      h('td', { 'data-field': 'period' }, `${when(g.starts.toNumber())} – ${when(g.ends.toNumber())}`),
      h('td', { 'data-field': 'status' }, grantStatus(g)),
      h('td', {}, revocable ? h('button', {
        type: 'button', class: 'danger', 'data-tx': '', 'data-testid': `revoke-grant-${id}`, disabled: state.busy,
        'aria-label': `Revoke grant #${id} to ${g.grantee.isStaff ? (state.directory.get(grantee)?.name ?? accountName(grantee) ?? grantee) : hospitalName(g.grantee.asHospital)}`,
        onclick: () => send(`Revoke grant #${id}`, state.api.tx.consent.revoke(state.patient, id)),
      }, 'Revoke') : null));
  });
  replace('grants-body', table('Your grants, newest first. A revoked or expired grant permits nothing.',
    ['Grant', 'Grantee', 'Scope', 'Purposes', 'Actions', 'Period', 'Status', ''], rows, { 'data-testid': 'grants-table' }));
}

/**
 * Whether a delegation acts now, and any pending review. A guardian acts only while the hospital
 * that recorded it is active (as `acts_for` decides); a contested guardian keeps acting until the
 * hospital's privacy officer or the council decides.
 */
function delegationStatus(d, hospital) {
  const parts = [];
  const status = hospital === null ? 'Active' : state.hospitalStatus.get(hospital);
  if (status !== 'Active') {
    parts.push(badge('cannot act', 'muted'), h('small', {}, ` (${hospitalName(hospital)} is ${lowerFirst(status ?? 'unknown')})`));
  } else if (d.contestedBy.isNone) {
    parts.push(badge('can act for you', 'ok'));
  }
  if (d.contestedBy.isSome) {
    const by = d.contestedBy.unwrap().toString();
    parts.push(parts.length ? ' ' : null, badge('review pending', 'warn'), ' (contested by ', by === state.patient ? 'you' : who(by), ')');
  }
  return h('span', {}, parts);
}

function renderDelegations(list, staff) {
  if (!changed('delegations', [state.patient, list.map((d) => d.toJSON()), [...staff], [...state.hospitalStatus]])) return;
  if (list.length === 0) {
    replace('delegations-body', h('p', { class: 'empty', 'data-testid': 'delegations-empty' }, 'Nobody can act for you.'));
    return;
  }
  const rows = list.map((d) => {
    const a = d.who.toString();
    const name = accountName(a) ?? short(a);
    const guardian = d.kind.isGuardian;
    const hospital = guardian ? d.kind.asGuardian.hospital.toNumber() : null;
    let button = null;
    if (!guardian) {
      button = h('button', {
        type: 'button', class: 'danger', 'data-tx': '', 'data-testid': `remove-delegate-${a}`, disabled: state.busy,
        'aria-label': `Remove delegate ${name}`,
        onclick: () => send(`Remove delegate ${name}`, state.api.tx.hospitalRegistry.removeDelegate(a), 'free for the patient'),
      }, 'Remove');
    } else if (d.contestedBy.isNone) {
      button = h('button', {
        type: 'button', class: 'secondary', 'data-tx': '', 'data-testid': `contest-guardian-${a}`, disabled: state.busy,
        'aria-label': `Contest the guardianship of ${name}, recorded by ${hospitalName(hospital)}`,
        onclick: () => send(`Contest guardian ${name}`, state.api.tx.hospitalRegistry.contestGuardian(state.patient, a), 'free for the patient'),
      }, 'Contest');
    }
    return h('tr', {
      'data-testid': 'delegation-row', 'data-who': a, 'data-kind': guardian ? 'guardian' : 'delegate',
      'data-hospital': hospital, 'data-contested': String(d.contestedBy.isSome),
    },
    h('td', { 'data-field': 'who' }, who(a, staff.get(a) ? staffText(staff.get(a)) : null)),
    h('td', { 'data-field': 'kind' }, guardian ? `Guardian (recorded by ${hospitalName(hospital)})` : 'Delegate (appointed by you)'),
    h('td', { 'data-field': 'status' }, delegationStatus(d, hospital)),
    h('td', {}, button));
  });
  replace('delegations-body', table(
    'Who can act for you as you would: read your records, grant and revoke access, approve corrections. You can remove a '
    + 'delegate you appointed. A guardian is recorded by a hospital that verified you, for a minor or an incapacitated patient: '
    + "contesting asks that hospital's privacy officer to review it, and the guardian can act until the review or the council ends it.",
    ['Who', 'Role', 'Status', ''], rows, { 'data-testid': 'delegations-table' }));
}

/**
 * The name of a log action in the JSON of the `ehr_*` methods: a string (`"documentRead"`), or the
 * key of a one-key object for an action that carries data (`{"documentServed": {"request": "0x…"}}`).
 */
const actionName = (action) => (typeof action === 'string' ? action : Object.keys(action)[0]);

/** A subject in that JSON (`{"record": 0}`) as `[kind, value]`. */
const subjectOf = (subject) => Object.entries(subject)[0] ?? ['unknown', ''];

/** What a read or emergency opening did, and its outcome: [verb, badge kind, badge text]. */
const ACCESS = {
  documentRead: ['read', 'ok', 'permitted'],
  documentServed: ['read', 'ok', 'permitted'],
  emergencyOpened: ['opened emergency access to', 'warn', 'permitted (emergency)'],
};

/**
 * Whether a served read carries proof that the reader asked. A `documentServed` entry names the
 * hash of the request the reader signed; the gateway keeps that request and hands it to you
 * (`ehr-doc requests` fetches and checks it). A `documentRead` entry names no request: nothing
 * but the gateway's word says the reader asked.
 */
function requestProof(action) {
  const name = actionName(action);
  if (name === 'documentServed') {
    const hash = action.documentServed.request;
    return ['request', h('span', { title: `hash of the signed request: ${hash}` }, badge('signed request', 'ok'), ' ', h('code', {}, short(hash)))];
  }
  if (name === 'documentRead') return ['none', badge('no request named', 'warn')];
  return [null, '—'];
}

/**
 * What a log entry refers to. The reads, refusals and emergency openings the page lists refer to
 * a record or an emergency access; the other subjects of the log are named too, so that a wider
 * view of the log cannot break the page.
 */
function subjectNode(subject) {
  const [kind, value] = subjectOf(subject);
  switch (kind) {
    case 'record': return `record #${value}`;
    case 'emergency': return `all records (emergency #${value})`;
    case 'grant': return `grant #${value}`;
    case 'party': return who(String(value));
    default: return kind;
  }
}

/** The data attributes of a row of the log (`testid`: `access-row` or `refusal-row`). */
function entryAttrs(testid, e) {
  const [kind, value] = subjectOf(e.subject);
  return {
    'data-testid': testid, 'data-seq': e.seq, 'data-action': actionName(e.action), 'data-actor': e.actor,
    'data-subject': `${kind}:${value}`, 'data-hash': e.hash,
  };
}

/** The cells every row of the log has: when, who (with their role), their hospital. */
function entryCells(e, staff) {
  const role = staff.get(e.actor)?.role;
  return [
    h('td', { 'data-field': 'time' }, when(e.timestamp), h('small', {}, ` block #${e.block}`)),
    h('td', { 'data-field': 'who' }, who(e.actor, role ? humanize(role) : null)),
    h('td', { 'data-field': 'hospital' }, e.hospital !== null ? hospitalName(e.hospital) : '—'),
  ];
}

/**
 * Where a page of the log stops. `next`: the page is full, and older entries may follow (the page
 * shows the latest `LOG_LIMIT`). `missing`: the node does not hold that entry of the log, nor any
 * older one (it joined the network without that part of the history); the walk back from the
 * head stopped there.
 */
function pageNotes(page, testid) {
  const notes = [];
  if (page.next !== null && page.next !== undefined) {
    notes.push(h('p', { class: 'note', 'data-testid': `${testid}-more`, 'data-next': page.next },
      `Only the latest ${LOG_LIMIT} are shown.`));
  }
  if (page.missing !== null && page.missing !== undefined) {
    notes.push(h('p', { class: 'note', 'data-testid': `${testid}-missing`, 'data-missing': page.missing },
      `This node does not hold your access log from entry ${page.missing} back: it joined the network without that `
      + 'part of the history, so older entries are not listed here. Other hospitals\' nodes that keep the whole '
      + 'history have them, and your log\'s head on the chain proves each one.'));
  }
  return notes;
}

function renderAccesses(page, staff) {
  if (!changed('accesses', [state.patient, page, [...staff]])) return;
  const notes = pageNotes(page, 'accesses');
  if (page.entries.length === 0) {
    replace('accesses-body', h('p', { class: 'empty', 'data-testid': 'accesses-empty' }, 'Nobody has seen your records.'), notes);
    return;
  }
  const rows = page.entries.map((e) => {
    const name = actionName(e.action);
    const [what, kind, outcome] = ACCESS[name] ?? [humanize(name).toLowerCase(), 'muted', '—'];
    const [proof, proofNode] = requestProof(e.action);
    return h('tr', {
      ...entryAttrs('access-row', e),
      'data-proof': proof,
      'data-request': name === 'documentServed' ? e.action.documentServed.request : null,
    },
    entryCells(e, staff),
    h('td', { 'data-field': 'what' }, what, ' ', subjectNode(e.subject)),
    h('td', { 'data-field': 'purpose' }, e.purpose ? humanize(e.purpose) : '—'),
    h('td', { 'data-field': 'source' }, e.source !== null ? `gateway of ${hospitalName(e.source)}` : 'on chain'),
    h('td', { 'data-field': 'outcome' }, badge(outcome, kind)),
    h('td', { 'data-field': 'proof' }, proofNode));
  });
  replace('accesses-body', table(
    'Who saw your records: the documents that hospitals\' gateways served, and the emergency accesses that doctors opened, '
    + `newest first (your access log holds ${page.head.count} entries in all, of every kind, linked by hash). `
    + 'A read marked "signed request" names the request the reader signed: the gateway keeps it for you, and the ehr-doc requests command checks it.',
    ['When', 'Who', 'Their hospital', 'What', 'Purpose', 'Served by', 'Outcome', 'Proof of request'], rows, { 'data-testid': 'accesses-table' }),
  notes);
}

function renderRefusals(page, staff) {
  if (!changed('refusals', [state.patient, page, [...staff]])) return;
  const notes = pageNotes(page, 'refusals');
  if (page.entries.length === 0) {
    replace('refusals-body', h('p', { class: 'empty', 'data-testid': 'refusals-empty' }, 'Nobody has been refused your records.'), notes);
    return;
  }
  const rows = page.entries.map((e) => h('tr', entryAttrs('refusal-row', e),
    entryCells(e, staff),
    h('td', { 'data-field': 'what' }, 'tried to read ', subjectNode(e.subject)),
    h('td', { 'data-field': 'purpose' }, e.purpose ? humanize(e.purpose) : '—'),
    h('td', { 'data-field': 'source' }, e.source !== null ? `gateway of ${hospitalName(e.source)}` : 'on chain'),
    h('td', { 'data-field': 'outcome' }, badge('refused', 'bad'))));
  replace('refusals-body', table(
    'Who tried to see your records and was refused: the requests that hospitals\' gateways turned down, newest first. '
    + 'Nothing was sent to them. A refusal can mean that a grant had ended or been revoked, that no grant covered that '
    + 'record, purpose or action, that someone asked without your consent, or that the gateway could not send the document; '
    + 'your access log does not record which.',
    ['When', 'Who', 'Their hospital', 'What', 'Purpose', 'Refused by', 'Outcome'], rows, { 'data-testid': 'refusals-table' }),
  notes);
}

function renderEmergencies(list, staff) {
  if (!changed('emergencies', [state.patient, list.map((e) => e.toJSON()), [...staff]])) return;
  if (list.length === 0) {
    replace('emergencies-body', h('p', { class: 'empty', 'data-testid': 'emergencies-empty' }, 'No emergency access is waiting for review.'));
    return;
  }
  const rows = list.map((e) => h('tr', { 'data-testid': 'emergency-row', 'data-emergency-id': e.id.toString(), 'data-open': String(e.open.isTrue) },
    h('td', {}, `#${e.id}`),
    h('td', { 'data-field': 'doctor' }, who(e.doctor.toString())),
    h('td', { 'data-field': 'hospital' }, hospitalName(e.hospital)),
    h('td', { 'data-field': 'reason' }, humanize(e.reason.type)),
    h('td', { 'data-field': 'note' }, e.note.toUtf8() || '—'),
    h('td', { 'data-field': 'period' }, `${when(e.openedAt.toNumber())} – ${when(e.expiresAt.toNumber())}`),
    h('td', { 'data-field': 'state' }, e.open.isTrue ? badge('open now', 'warn') : badge('closed, awaiting review', 'muted'))));
  replace('emergencies-body', table(
    "Doctors who opened emergency (break-glass) access to all your records for 4 hours; each waits for the hospital privacy officer's review. Notes are public.",
    ['Access', 'Doctor', 'Hospital', 'Reason', 'Note (public)', 'Period', 'State'], rows, { 'data-testid': 'emergencies-table' }));
}

// ---------------------------------------------------------------- notices

/**
 * The log actions the page gives notice of, by their name in the runtime's `LogAction` enum (the
 * `type` of the enum as Polkadot.js decodes it from an event): [kind, headline].
 */
const NOTICE = {
  EmergencyOpened: ['emergency', 'Emergency access to your records'],
  DocumentRead: ['read', 'Your record was read'],
  DocumentServed: ['read', 'Your record was read'],
  ReadDenied: ['refusal', 'Someone was refused your record'],
};

/** `hospital #0 (Alice General)`, or `hospital #7` when the page knows no name for it. */
function hospitalWords(id) {
  return state.hospitals.has(id) ? `hospital #${id} (${state.hospitals.get(id)})` : `hospital #${id}`;
}

/** What an entry of an `EntryAppended` event refers to (its `Subject`, a Polkadot.js enum). */
function subjectText(subject) {
  switch (subject.type) {
    case 'Record': return `record #${subject.asRecord}`;
    case 'Emergency': return `all your records (emergency access #${subject.asEmergency})`;
    case 'Grant': return `grant #${subject.asGrant}`;
    case 'Party': return short(subject.asParty.toString());
    default: return lowerFirst(subject.type);
  }
}

/** Clears the notices (another account was chosen: they were the previous patient's). */
function clearNotices() {
  $('notices-urgent').replaceChildren();
  $('notices-other').replaceChildren();
  $('notices-empty').hidden = false;
  $('notices-clear').hidden = true;
  state.noticed.clear();
}

/**
 * Also tells the patient through the browser's notifications, when they allowed them and the
 * page is not in view (in view, the notice on the page says it). Never required: a browser
 * without them, or one that allows them only from a service worker, just shows the page's notice.
 */
function notifyBrowser(headline, body, tag) {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted' || !document.hidden) return;
  try {
    new Notification(headline, { body, tag }); // eslint-disable-line no-new
  } catch { /* notifications only from a service worker here */ }
}

/**
 * Shows a notice of `entry`, the `LogEntry` of an `accessLog.EntryAppended` event as Polkadot.js
 * decodes it (`entry.actor` an AccountId32, `entry.hospital` and `entry.source` `Option<u32>`,
 * `entry.purpose` an `Option` of the `Purpose` enum, `entry.action` and `entry.subject` enums),
 * whose hash is `hash` (hex). An emergency access goes in the urgent region (role "alert"), a
 * read or a refusal in the other (role "log"): both are read out by screen readers as they come.
 */
function showNotice(entry, hash) {
  if (state.noticed.has(hash)) return;
  state.noticed.add(hash);
  const action = entry.action.type;
  const [kind, headline] = NOTICE[action];
  const urgent = kind === 'emergency';
  const actor = entry.actor.toString();
  const hospital = entry.hospital.isSome ? entry.hospital.unwrap().toNumber() : null;
  const source = entry.source.isSome ? entry.source.unwrap().toNumber() : null;
  const purpose = entry.purpose.isSome ? ` for ${humanize(entry.purpose.unwrap().type).toLowerCase()}` : '';
  const gateway = source !== null ? ` by the gateway of ${hospitalName(source)}` : '';
  const what = subjectText(entry.subject);
  const block = entry.block.toNumber();
  let did;
  if (action === 'EmergencyOpened') {
    const ms = state.api.consts.consent?.emergencyDuration?.toNumber?.();
    did = ` opened emergency access to ${what}${purpose}, in block #${block}.${ms ? ` It lasts ${ms / 3_600_000} hours.` : ''} `
      + 'The privacy officer of their hospital reviews it (see "Emergency accesses awaiting review").';
  } else if (action === 'ReadDenied') {
    did = ` asked for ${what}${purpose} and was refused${gateway}, in block #${block}. Nothing was sent to them.`;
  } else {
    did = ` was sent ${what}${purpose}${gateway}${entry.action.isDocumentServed ? ', on a request they signed' : ''}, in block #${block}.`;
  }
  const text = h('p', { 'data-field': 'text' }, who(actor), hospital !== null ? ` of ${hospitalWords(hospital)}` : '', did);
  const notice = h('div', {
    class: `notice ${kind}`, 'data-testid': 'notice', 'data-kind': kind, 'data-action': lowerFirst(action),
    'data-actor': actor, 'data-hospital': hospital, 'data-subject': `${lowerFirst(entry.subject.type)}:${entry.subject.value}`,
    'data-block': block, 'data-seq': entry.seq.toString(), 'data-hash': hash,
  },
  h('p', { class: 'headline' }, h('strong', {}, urgent ? `${headline}!` : headline), ' ', h('small', {}, when(entry.timestamp.toNumber()))),
  text);
  const box = $(urgent ? 'notices-urgent' : 'notices-other');
  box.prepend(notice);
  while (box.children.length > NOTICE_MAX) box.lastElementChild.remove();
  $('notices-empty').hidden = true;
  $('notices-clear').hidden = false;
  notifyBrowser(headline, text.textContent, hash);
}

/**
 * Examines the finalized blocks up to `header` (a head of `chain_subscribeFinalizedHeads`) for
 * entries of the chosen patient's log, after those already examined: one head after the other.
 * Finality can advance several blocks at once, and heads go by unseen while the connection is
 * down, so the walk goes from the block after the last one examined (by number: a finalized
 * number names one block for good), at most `NOTICE_WALK` blocks back. The first head only marks
 * where the page starts: what came before is in the tables.
 */
function watchHead(header) {
  state.watching = state.watching.then(() => examineUpTo(header)).catch((e) => {
    // Tried again from the same block with the next head.
    console.warn(`Could not read the events of a finalized block: ${e.message}`);
  });
  return state.watching;
}

async function examineUpTo(header) {
  const { api } = state;
  const number = header.number.toNumber();
  const box = $('notices');
  if (state.seen === null) {
    state.seen = number;
    box.dataset.seen = String(number);
    return;
  }
  let from = state.seen + 1;
  if (number - from >= NOTICE_WALK) {
    from = number - NOTICE_WALK + 1;
    $('notices-note').textContent = `The page was out of touch with the chain for ${from - state.seen - 1} finalized blocks `
      + `(up to #${from - 1}): accesses in them have no notice here, but they are in the tables below.`;
  }
  for (let n = from; n <= number; n += 1) {
    const hash = n === number ? header.hash : await api.rpc.chain.getBlockHash(n);
    // Decoded with the metadata of that block's runtime.
    const records = await (await api.at(hash)).query.system.events();
    const patient = state.patient;
    for (const { event } of records) {
      if (event.section !== 'accessLog' || event.method !== 'EntryAppended') continue;
      // EntryAppended { entry, hash }, positional: `event.data.hash` is the codec's own hash.
      const [entry, entryHash] = event.data;
      if (patient && NOTICE[entry.action.type] && entry.patient.toString() === patient) showNotice(entry, entryHash.toHex());
    }
    state.seen = n;
    box.dataset.seen = String(n);
  }
}

/** Offers the browser's notifications, where the browser has them and has not been answered. */
function offerBrowserNotifications() {
  const button = $('notices-allow');
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await Notification.requestPermission();
    } catch { /* an old browser's callback form: no answer to wait for */ }
    button.hidden = true;
  });
}

// ---------------------------------------------------------------- staff directories

/** `Dr. Ana Silva — Doctor (Cardiology), Alice General (hospital #0)`. */
function personWords({ name, role, hospital, department }) {
  return `${name} — ${humanize(role)}${department ? ` (${department})` : ''}, ${hospitalName(hospital)} (hospital #${hospital})`;
}

const names = (n) => `${n} ${n === 1 ? 'name' : 'names'}`;

/** POSTs a JSON-RPC call to a gateway; its result, or throws its error. */
async function gatewayCall(url, method) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

/**
 * Checks `signed`, the `SignedDirectory` the gateway of `hs` (a `HospitalInfo` read at `at`)
 * served, against the chain at `at`, as `ehr_client::directory::verify` does: the bytes are one
 * SCALE-encoded directory, signed (sr25519 over the domain and the bytes) by its signer, who is
 * the hospital's admin at `at`; it is for this chain and this hospital. Throws if not: the whole
 * directory is rejected. Then keeps the entries whose account is active staff of the hospital
 * in the role named (the registry's `staffCheck`, the check every pallet makes); resolves with
 * them and how many were dropped.
 */
async function verifyDirectory(at, hs, signed) {
  const { api } = state;
  const id = hs.id.toNumber();
  const bytes = hexToU8a(signed.directory);
  const directory = api.createType(DIRECTORY_TYPE, bytes);
  if (!u8aEq(directory.toU8a(), bytes)) throw new Error('it is not one directory (trailing or malformed bytes)');
  const signer = decodeAddress(signed.signer);
  const signature = hexToU8a(signed.signature);
  if (signature.length !== 64 || !sr25519Verify(u8aConcat(stringToU8a(DIRECTORY_DOMAIN), bytes), signature, signer)) {
    throw new Error(`the signature is not ${short(signed.signer)}'s`);
  }
  const [hospital, genesis, , entries] = directory;
  if (!genesis.eq(api.genesisHash)) throw new Error('it is for another chain');
  if (hospital.toNumber() !== id) throw new Error(`it is hospital #${hospital}'s`);
  if (encodeAddress(signer, SS58) !== hs.admin.toString()) {
    throw new Error(`signed by ${short(encodeAddress(signer, SS58))}, not by the hospital's admin`);
  }
  const confirmed = [];
  for (const [account, name, role, department] of entries) {
    const check = await at.call.hospitalRegistryApi.staffCheck(account);
    // The role in the directory is the index of the runtime's StaffRole, as in the check.
    if (check.isActive && check.asActive.hospital.toNumber() === id && check.asActive.role.index === role.toNumber()) {
      confirmed.push({
        account: account.toString(),
        name: name.toString(),
        role: check.asActive.role.type,
        hospital: id,
        department: department.isSome ? department.unwrap().toString() : null,
      });
    }
  }
  return { confirmed, dropped: entries.length - confirmed.length };
}

/**
 * Fetches the staff directory of each active hospital in `hospitals` (read at `at`) from the
 * gateway URL the registry holds for it, and keeps what the chain confirms (`verifyDirectory`).
 * A hospital whose directory cannot be had, or is rejected, contributes no names; the note under
 * the search box says why.
 */
async function loadDirectories(at, hospitals) {
  const directory = new Map();
  const notes = [];
  let failed = false;
  await Promise.all(hospitals.filter((hs) => hs.status.isActive).map(async (hs) => {
    const name = hs.name.toUtf8();
    let signed;
    try {
      signed = await gatewayCall(hs.gatewayUrl.toUtf8(), 'gateway_staffDirectory');
    } catch (e) {
      failed = true;
      notes.push(`${name}: no staff directory (${e.message}).`);
      return;
    }
    try {
      const { confirmed, dropped } = await verifyDirectory(at, hs, signed);
      for (const e of confirmed) directory.set(e.account, e);
      notes.push(`${name}: ${names(confirmed.length)}${dropped ? `; ${names(dropped)} not confirmed by the chain (not shown)` : ''}.`);
    } catch (e) {
      notes.push(`${name}: directory rejected, ${e.message}.`);
    }
  }));
  state.directory = directory;
  state.directoryNotes = notes.sort();
  state.directoriesAt = Date.now();
  state.directoriesFailed = failed;
  const note = $('directory-note');
  note.textContent = `Names from the hospitals' staff directories, each signed by the hospital's admin and checked against the chain. ${state.directoryNotes.join(' ')}`;
  note.dataset.loaded = 'true';
  renderSearch();
  if (state.patient) refresh(); // the grants, in words
}

/** The search results for what is typed: staff by name, role or department, hospitals by name. */
function renderSearch() {
  const q = $('directory-search').value.trim().toLowerCase();
  if (!q) { replace('directory-results'); return; }
  const people = [...state.directory.values()]
    .filter((e) => [e.name, humanize(e.role), e.role, e.department ?? '', hospitalName(e.hospital)].some((t) => t.toLowerCase().includes(q)))
    .sort((a, b) => a.name.localeCompare(b.name));
  const places = [...state.hospitals]
    .filter(([id, name]) => state.hospitalStatus.get(id) === 'Active' && name.toLowerCase().includes(q));
  const items = [
    ...people.map((e) => h('li', {}, h('button', {
      type: 'button', class: 'secondary', 'data-testid': 'directory-result', 'data-kind': 'staff', 'data-account': e.account,
      onclick: () => chooseGrantee({ staff: e.account }),
    }, personWords(e)))),
    ...places.map(([id, name]) => h('li', {}, h('button', {
      type: 'button', class: 'secondary', 'data-testid': 'directory-result', 'data-kind': 'hospital', 'data-hospital': id,
      onclick: () => chooseGrantee({ hospital: id }),
    }, `${name} (hospital #${id}) — the whole hospital`))),
  ];
  replace('directory-results', items.length ? items : h('li', { class: 'empty', 'data-testid': 'directory-none' }, 'No one by that name or role.'));
}

/** Puts a search result in the grant form: a staff account or a whole hospital. */
function chooseGrantee({ staff, hospital }) {
  if (staff) {
    $('grantee-kind-staff').checked = true;
    $('grantee-staff').value = staff;
  } else {
    $('grantee-kind-hospital').checked = true;
    $('grantee-hospital').value = String(hospital);
  }
  showChosen();
}

/** Says in words to whom the form grants. */
function showChosen() {
  const kind = document.querySelector('input[name="grantee-kind"]:checked')?.value;
  let text = '';
  if (kind === 'hospital') {
    const id = $('grantee-hospital').value;
    if (id !== '') text = `Granting to every clinician of ${hospitalWords(Number(id))}.`;
  } else {
    const a = $('grantee-staff').value.trim();
    const named = state.directory.get(a);
    if (named) text = `Granting to ${personWords(named)}.`;
  }
  $('grantee-chosen').textContent = text;
}

/**
 * The warning before a grant to a whole hospital: who will be able to do what. As the consent
 * pallet decides: a hospital grant covers its doctors, nurses and lab staff, and its
 * administrators for payment only; never its privacy officers or its gateway.
 */
function hospitalGrantWarning(id, purposes, actions, excluded, ends) {
  const roles = purposes.includes('Payment')
    ? 'every doctor, nurse and lab member of the hospital, and for payment its administrators,'
    : 'every doctor, nurse and lab member of the hospital';
  const can = actions.map((a) => (a === 'Read' ? 'read' : 'propose corrections to')).join(' and ');
  const except = excluded.length ? `, except ${excluded.map((c) => humanize(c).toLowerCase()).join(', ')}` : '';
  return `You are granting access to the whole of ${hospitalWords(id)}: ${roles} will be able to ${can} all your records${except}, `
    + `for ${purposes.map((p) => humanize(p).toLowerCase()).join(', ')}, until ${when(ends)}. `
    + 'This includes staff the hospital registers later. Grant access to the whole hospital?';
}

// ---------------------------------------------------------------- the grant form

async function onGrant(ev) {
  ev.preventDefault();
  const err = $('grant-form-error');
  err.textContent = '';
  const { api } = state;
  const form = ev.target;
  const kind = form.querySelector('input[name="grantee-kind"]:checked')?.value;
  let grantee;
  if (kind === 'hospital') {
    const id = $('grantee-hospital').value;
    if (id === '') { err.textContent = 'Choose a hospital.'; return; }
    grantee = { Hospital: Number(id) };
  } else {
    const text = $('grantee-staff').value.trim();
    try {
      grantee = { Staff: encodeAddress(decodeAddress(text), SS58) };
    } catch {
      err.textContent = 'Enter the staff member\'s account address (SS58, starting with 5).';
      $('grantee-staff').focus();
      return;
    }
  }
  const purposes = [...form.querySelectorAll('input[name="purpose"]:checked')].map((i) => i.value);
  const actions = [...form.querySelectorAll('input[name="action"]:checked')].map((i) => i.value);
  const excluded = [...form.querySelectorAll('input[name="excluded"]:checked')].map((i) => i.value);
  if (!purposes.length) { err.textContent = 'Choose at least one purpose.'; return; }
  if (!actions.length) { err.textContent = 'Choose at least one action.'; return; }
  let ends;
  const duration = $('grant-duration').value;
  if (duration === 'until') {
    ends = new Date($('grant-until').value).getTime();
    if (!Number.isFinite(ends)) { err.textContent = 'Enter the date until which the grant is valid.'; return; }
  } else {
    // Counted from the chain's clock, which decides validity.
    const now = (await api.query.timestamp.now()).toNumber();
    ends = now + Number(duration);
  }
  if (grantee.Hospital !== undefined
    && !window.confirm(hospitalGrantWarning(grantee.Hospital, purposes, actions, excluded, ends))) {
    err.textContent = 'Not granted: you cancelled the grant to the whole hospital.';
    return;
  }
  const label = `Grant access to ${grantee.Staff
    ? (state.directory.get(grantee.Staff)?.name ?? accountName(grantee.Staff) ?? short(grantee.Staff))
    : hospitalName(grantee.Hospital)}`;
  await send(label, api.tx.consent.grant(state.patient, grantee, 'AllRecords', excluded, purposes, actions, null, ends));
}

// ---------------------------------------------------------------- checking the node

/** The `ehr_*` JSON of a log action: its variant's name (`"documentRead"`, `{ documentServed: … }`). */
const ACCESS_ACTIONS = new Set(['documentRead', 'documentServed', 'emergencyOpened']); // ehr_whoAccessed
const REFUSAL_ACTIONS = new Set(['readDenied']); // ehr_refusedAccesses
const RECORDS_PER_PAGE = 64; // the runtime's PatientRecords::RecordsPerPage
const VERIFY_LOG_MAX = 1_000; // log entries checked at most, from the head back
const VERIFY_GRANTS_MAX = 512; // grant numbers proven at most
const CHECKED_ENTRIES_MAX = 20_000; // log entries remembered as re-hashed, across blocks
const STALE_MS = 30_000; // no proof of finality for this long: what is shown may be old
const GRANT_STATUS = { Revoked: 'revoked', Expired: 'expired', NotYetValid: 'not yet valid', Active: 'active' };

/** The name of a log action in the `ehr_*` JSON, exactly as sent (`"documentRead"`, `{ documentServed: … }`). */
const actionKey = (action) => (typeof action === 'string' ? action : Object.keys(action ?? {})[0]);

function verifyStatus(s, text, problems = []) {
  const el = $('verify-status');
  el.dataset.state = s;
  if (state.verified) el.dataset.block = String(state.verified.number);
  el.textContent = text;
  replace('verify-problems', problems.map((p) => h('li', { 'data-testid': 'verify-problem' }, p)));
}

/**
 * Checks the node's answers that the page is about to show, all read at `block` (whose
 * finality the hospitals' signatures prove), against that block's state, proven by
 * `state_getReadProof`. Keys and the values checked against are computed and decoded by the page
 * itself, not from the node's metadata. Returns `{ problems, notes, time }`: the disagreements
 * and what could not be checked, in words, and the block's proven time.
 */
async function checkAnswers(block, shown) {
  const { api } = state;
  const patient = state.patient;
  const problems = []; // what the node answered against the chain
  const notes = []; // what could not be checked
  const me = decodeAddress(patient);
  const [now, count, account, head] = await proveKeys(api, block, [
    storagePrefix('Timestamp', 'Now'),
    u8aConcat(storagePrefix('PatientRecords', 'PatientRecordCount'), blake2_128Concat(me)),
    u8aConcat(storagePrefix('Consent', 'ConsentAccounts'), blake2_128Concat(me)),
    u8aConcat(storagePrefix('AccessLog', 'Heads'), blake2_128Concat(me)),
  ]);
  const time = now ? readU64(now) : 0;

  // Records: the count, the index pages of the positions shown and each record shown.
  const { total, records } = shown.records;
  const provenTotal = count ? readU32(count) : 0;
  if (total.toNumber() !== provenTotal) problems.push(`It says you have ${total.toNumber()} record versions; the chain says ${provenTotal}.`);
  const first = Math.max(0, provenTotal - state.recordsPage * RECORDS_PAGE);
  const positions = [];
  for (let pos = first - 1; pos >= Math.max(0, first - RECORDS_PAGE); pos--) positions.push(pos);
  const pageNumbers = [...new Set(positions.map((p) => Math.floor(p / RECORDS_PER_PAGE)))];
  const pages = await proveKeys(api, block, pageNumbers.map((n) =>
    u8aConcat(storagePrefix('PatientRecords', 'PatientRecordPages'), blake2_128Concat(me), twox64Concat(u32le(n)))));
  const pageIds = pages.map((p) => (p ? readU64Vec(p) : []));
  const ids = positions.map((pos) => pageIds[pageNumbers.indexOf(Math.floor(pos / RECORDS_PER_PAGE))][pos % RECORDS_PER_PAGE])
    .filter((id) => id !== undefined);
  const stored = await proveKeys(api, block, ids.map((id) => u8aConcat(storagePrefix('PatientRecords', 'Records'), twox64Concat(u64le(id)))));
  const provenRecords = new Map(ids.map((id, i) => [id, stored[i]]).filter(([, r]) => r));
  const shownIds = new Set(records.map(([id]) => id.toNumber()));
  const hidden = [...provenRecords.keys()].filter((id) => !shownIds.has(id)).map((id) => `#${id}`);
  if (hidden.length) problems.push(`It left out your record${hidden.length > 1 ? 's' : ''} ${hidden.join(', ')}.`);
  for (const [id, r] of records) {
    const proven = provenRecords.get(id.toNumber());
    if (!proven) problems.push(`It showed a record #${id.toNumber()} that is not among yours on the chain.`);
    else if (!u8aEq(proven, r.toU8a())) problems.push(`It altered your record #${id.toNumber()}.`);
  }

  // Grants: every grant number the patient's consent account has given out; each grant's stored
  // fields, and its status as the block's time makes it.
  const next = account ? readU32(account) : 0; // ConsentAccount.next_grant comes first
  if (next > VERIFY_GRANTS_MAX) {
    notes.push(`Your ${next} grant numbers are more than the page checks (${VERIFY_GRANTS_MAX}): your grants are not checked.`);
  } else {
    const numbers = [...Array(next).keys()];
    const grants = await proveKeys(api, block, numbers.map((n) =>
      u8aConcat(storagePrefix('Consent', 'Grants'), blake2_128Concat(me), twox64Concat(u32le(n)))));
    const byId = new Map(shown.grants.map((g) => [g.id.toNumber(), g]));
    numbers.forEach((n, i) => {
      const proven = grants[i];
      const g = byId.get(n);
      if (proven && !g) problems.push(`It left out your grant #${n}.`);
      if (!proven && g) problems.push(`It showed a grant #${n} that the chain does not hold.`);
      if (proven && g) {
        const fields = u8aConcat(g.grantee.toU8a(), g.scope.toU8a(), g.excluded.toU8a(), g.purposes.toU8a(),
          g.actions.toU8a(), g.starts.toU8a(), g.ends.toU8a(), g.grantedBy.toU8a(), g.grantedIn.toU8a(), g.revoked.toU8a());
        if (!u8aEq(fields, proven)) {
          problems.push(`It altered your grant #${n}.`);
        } else {
          const status = g.revoked.isSome ? 'Revoked' : time >= g.ends.toNumber() ? 'Expired' : time < g.starts.toNumber() ? 'NotYetValid' : 'Active';
          if (g.status.type !== status) problems.push(`It showed your grant #${n} as ${GRANT_STATUS[g.status.type] ?? g.status.type}; it is ${GRANT_STATUS[status]}.`);
        }
      }
    });
    for (const id of byId.keys()) if (id >= next) problems.push(`It showed a grant #${id} that the chain does not hold.`);
  }

  // The access log: the head, then every entry from it back to the oldest shown (to the first
  // when a list is shorter than its limit), each re-encoded, re-hashed and its link followed;
  // each kept with its action as its bytes say. Then the reads and refusals shown against them.
  const provenHead = { count: head ? readU64(head) : 0, hash: head ? u8aToHex(head.subarray(8, 40)) : `0x${'00'.repeat(32)}` };
  const lists = { accesses: shown.accesses, refusals: shown.refusals };
  for (const list of Object.values(lists)) {
    if (list.head.count !== provenHead.count || list.head.hash !== provenHead.hash) {
      problems.push(`Its head of your access log (${list.head.count} entries) is not the chain's (${provenHead.count}).`);
    }
  }
  const oldest = Math.min(...Object.values(lists).map((l) => (l.entries.length >= LOG_LIMIT ? l.entries[l.entries.length - 1].seq : 0)));
  const type = logEntryType(api);
  const chain = new Map(); // hash -> action name, for the entries checked
  let expect = provenHead.hash;
  let seq = provenHead.count;
  let before = null;
  let broken = null;
  let lacking = null;
  while (seq > 0 && seq > oldest && chain.size < VERIFY_LOG_MAX && broken === null) {
    // An entry re-hashed at an earlier block needs no second look: its hash binds its number,
    // its link and its action.
    const known = state.checkedEntries.get(expect);
    if (known && known.seq === seq - 1) {
      chain.set(expect, known.action);
      ({ prev: expect, seq } = known);
      before = seq;
      continue;
    }
    const pageOfLog = await ehr('ehr_accessLog', [patient, before, 100, block.hash]);
    if (!pageOfLog.entries.length) { lacking = pageOfLog.missing ?? seq - 1; break; }
    for (const e of pageOfLog.entries) {
      const { bytes, hash } = encodeEntry(api, type, e);
      if (e.hash !== expect || e.seq !== seq - 1 || hash !== e.hash) { broken = seq - 1; break; }
      const action = entryAction(bytes);
      chain.set(e.hash, action);
      if (state.checkedEntries.size >= CHECKED_ENTRIES_MAX) state.checkedEntries.clear();
      state.checkedEntries.set(e.hash, { seq: e.seq, prev: e.prev, action });
      expect = e.prev;
      seq = e.seq;
    }
    if (pageOfLog.missing !== null && pageOfLog.missing !== undefined && seq > 0 && broken === null) { lacking = pageOfLog.missing; break; }
    before = seq;
  }
  if (broken !== null) problems.push(`Your access log's entry #${broken} as it gave it is not the one the chain linked.`);
  if (lacking !== null && lacking >= oldest) notes.push(`This node says it lacks your access log's entries from #${lacking} back: they are not checked. Read through another hospital's node to check them.`);
  else if (broken === null && seq > oldest) notes.push(`Your access log is checked back to entry #${seq}, not further.`);
  for (const [name, list] of Object.entries(lists)) {
    const kinds = name === 'accesses' ? ACCESS_ACTIONS : REFUSAL_ACTIONS;
    const word = name === 'accesses' ? 'access' : 'refused access';
    for (const e of list.entries) {
      if (e.seq < seq && broken === null) continue; // older than what was checked
      const { hash } = encodeEntry(api, type, e);
      if (!chain.has(e.hash) || hash !== e.hash) problems.push(`It showed an ${word} (entry #${e.seq}) that is not in your log on the chain.`);
      else if (actionKey(e.action) !== chain.get(e.hash)) problems.push(`It showed your log's entry #${e.seq} as "${actionKey(e.action)}"; it is "${chain.get(e.hash)}".`);
    }
    const shownHashes = new Set(list.entries.map((e) => e.hash));
    const from = list.entries.length >= LOG_LIMIT ? list.entries[list.entries.length - 1].seq : 0;
    const walked = [...chain.entries()];
    walked.forEach(([hash, action], i) => {
      const entrySeq = provenHead.count - 1 - i;
      if (entrySeq >= from && kinds.has(action) && !shownHashes.has(hash)) {
        problems.push(`It hid an ${word}: entry #${entrySeq} of your log (${action}).`);
      }
    });
  }
  return { problems, notes, time };
}

/** What the status says of a check at `block`, and whether it is old (see `watchStaleness`). */
function showVerdict(block, verdict) {
  const proof = `block #${block.number.toLocaleString()}${verdict.time ? ` (${when(verdict.time)})` : ''}, finalized by ${block.signers} of ${block.of} hospitals' signatures`;
  const other = 'Read through another hospital\'s node:';
  if (verdict.problems.length) {
    verifyStatus('mismatch', `The node at ${state.rpc} answered what the chain contradicts (${proof}). ${other}`, verdict.problems);
  } else if (verdict.notes.length) {
    verifyStatus('unverified', `Checked in part against ${proof}; nothing contradicts it, but:`, verdict.notes);
  } else {
    verifyStatus('verified', state.patient
      ? `Checked: your records, grants and access log as shown match ${proof}.`
      : `Checked: ${proof}. Choose your account to check your records.`);
  }
}

/** A proof that does not check out, or a node that cannot be checked, in the status. */
function showCheckFailure(e) {
  console.error(e);
  verifyStatus(e instanceof VerificationError ? 'mismatch' : 'error', e instanceof VerificationError
    ? `The node at ${state.rpc} gave a proof that does not check out: ${e.message}. Read through another hospital's node:`
    : `Could not check the node's answers: ${e.message}`);
}

/** Says so when the node has sent no proof of finality for STALE_MS: the page shows old data. */
function watchStaleness() {
  setInterval(() => {
    if (!state.verifying || !state.verified) return;
    const age = Date.now() - state.verifiedAt;
    if (age < STALE_MS || $('verify-status').dataset.state === 'stale') return;
    verifyStatus('stale', `The node at ${state.rpc} has sent no proof of finality for ${Math.round(age / 1000)} s: what is shown is as of block #${state.verified.number.toLocaleString()}. Read through another hospital's node:`);
  }, 5_000);
}

/**
 * Starts following finality by the hospitals' signatures, from the chain spec's authorities;
 * resolves once the chain spec is read (the proofs of finality come later).
 */
async function startVerifying(api, specUrl) {
  let authorities;
  try {
    const res = await fetch(specUrl);
    if (!res.ok) throw new Error(`${specUrl}: HTTP ${res.status}`);
    authorities = genesisAuthorities(await res.json());
  } catch (e) {
    verifyStatus('unverified', `Not checked: the page has no chain spec to start from (${e.message}). What it shows is this node's word.`);
    return;
  }
  state.verifying = true;
  watchStaleness();
  const follower = new FinalityFollower(api, authorities, {
    onVerified: (block) => { state.verified = block; state.verifiedAt = Date.now(); refresh(); },
    onError: (e) => {
      console.error(e);
      verifyStatus(e instanceof VerificationError ? 'mismatch' : 'error', e instanceof VerificationError
        ? `The node at ${state.rpc} gave a proof of finality that does not check out: ${e.message}. Read through another hospital's node:`
        : `Could not follow finality: ${e.message}`);
    },
  });
  follower.start().catch((e) => {
    // Finality cannot be followed through this node: show its word, said to be unchecked.
    state.verifying = false;
    follower.onError(e);
    refresh();
  });
}

/** The nodes the patient may read through (`?nodes=`, comma-separated), the current one chosen. */
function buildNodeChoice(nodes) {
  const sel = $('node-choice');
  sel.replaceChildren(...nodes.map((n) => h('option', { value: n, selected: n === state.rpc }, n)));
  sel.disabled = nodes.length < 2;
  sel.addEventListener('change', () => {
    const params = new URLSearchParams(location.search);
    params.set('rpc', sel.value);
    if (state.patient) params.set('account', state.patient);
    location.search = params.toString();
  });
}

// ---------------------------------------------------------------- accounts and start

async function loadAccounts() {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58 });
  const dev = DEV_ACCOUNTS.map((name) => {
    const pair = keyring.addFromUri(`//${name}`, { name });
    return { address: pair.address, name, source: 'dev', pair };
  });
  let ext = [];
  let note = 'Development accounts (//Alice … //Ferdie) sign in this page: use them only on a development or test chain.';
  if (window.injectedWeb3 && Object.keys(window.injectedWeb3).length) {
    try {
      const enabled = await web3Enable('ehr-chain patient page');
      if (enabled.length) {
        ext = (await web3Accounts({ ss58Format: SS58 }))
          .filter((a) => a.type !== 'ethereum')
          .map((a) => ({ address: encodeAddress(decodeAddress(a.address), SS58), name: a.meta.name || short(a.address), source: a.meta.source }));
        note += ` ${ext.length} account(s) from your browser extension (${enabled.map((e) => e.name).join(', ')}).`;
      } else {
        note += ' The browser extension did not allow access to its accounts.';
      }
    } catch (e) {
      note += ` The browser extension could not be used: ${e.message}`;
    }
  }
  state.accounts = [...ext, ...dev];
  const sel = $('account');
  if (ext.length) sel.append(h('optgroup', { label: 'Browser extension' }, ext.map((a) => h('option', { value: a.address }, `${a.name} — ${short(a.address)}`))));
  sel.append(h('optgroup', { label: 'Development accounts' }, dev.map((a) => h('option', { value: a.address }, `${a.name} (dev) — ${short(a.address)}`))));
  $('known-accounts').replaceChildren(...state.accounts.map((a) => h('option', { value: a.address }, a.name)));
  $('accounts-note').textContent = note;
}

function buildForm() {
  $('grant-excluded').replaceChildren(...CATEGORIES.flatMap((c) => [
    h('input', { type: 'checkbox', id: `excluded-${c}`, name: 'excluded', value: c }),
    h('label', { for: `excluded-${c}` }, humanize(c)),
  ]));
  $('grant-form').addEventListener('submit', onGrant);
  $('grantee-staff').addEventListener('focus', () => { $('grantee-kind-staff').checked = true; });
  $('grantee-hospital').addEventListener('focus', () => { $('grantee-kind-hospital').checked = true; });
  $('directory-search').addEventListener('input', renderSearch);
  for (const id of ['grantee-staff', 'grantee-hospital', 'grantee-kind-staff', 'grantee-kind-hospital']) {
    $(id).addEventListener('input', showChosen);
    $(id).addEventListener('change', showChosen);
  }
  $('grant-until').addEventListener('focus', () => { $('grant-duration').value = 'until'; });
}

function chooseAccount(address) {
  state.patient = address;
  state.recordsPage = 0;
  state.shown = {};
  clearNotices();
  const url = new URL(location.href);
  if (address) url.searchParams.set('account', address); else url.searchParams.delete('account');
  history.replaceState(null, '', url);
  setBusy(state.busy);
  if (!address) {
    for (const id of ['records-body', 'grants-body', 'delegations-body', 'accesses-body', 'refusals-body', 'emergencies-body']) replace(id, h('p', { class: 'empty' }, 'Choose your account first.'));
    $('patient-status').textContent = '';
    $('free-ops').textContent = '';
    return;
  }
  for (const id of ['records-body', 'grants-body', 'delegations-body', 'accesses-body', 'refusals-body', 'emergencies-body']) replace(id, h('p', { class: 'empty' }, 'Loading…'));
  refresh();
}

async function main() {
  const params = new URLSearchParams(location.search);
  state.rpc = params.get('rpc') || 'ws://127.0.0.1:9944';
  const nodes = [...new Set([state.rpc, ...(params.get('nodes') || '').split(',').map((n) => n.trim()).filter((n) => /^wss?:\/\//.test(n))])];
  buildNodeChoice(nodes);
  const conn = $('connection');
  const connStatus = (s, text) => { conn.dataset.state = s; conn.textContent = text; };
  buildForm();
  $('notices-clear').addEventListener('click', clearNotices);
  offerBrowserNotifications();
  if (!/^wss?:\/\//.test(state.rpc)) {
    connStatus('error', `The rpc parameter must be a ws:// or wss:// URL, not "${state.rpc}".`);
    return;
  }
  connStatus('connecting', `Connecting to ${state.rpc}…`);
  await loadAccounts();
  const provider = new WsProvider(state.rpc);
  provider.on('disconnected', () => connStatus('disconnected', `Disconnected from ${state.rpc}; reconnecting…`));
  provider.on('error', () => connStatus('disconnected', `Cannot reach ${state.rpc}; retrying…`));
  const api = await ApiPromise.create({ provider, noInitWarn: true });
  state.api = api;
  state.provider = provider;
  const chain = await api.rpc.system.chain();
  const onConnected = () => connStatus('connected', `Connected to ${chain} (${api.runtimeVersion.specName} v${api.runtimeVersion.specVersion}) at ${state.rpc}.`);
  onConnected();
  provider.on('connected', onConnected);

  await startVerifying(api, params.get('spec') || 'chain-spec.json');

  const sel = $('account');
  sel.disabled = false;
  sel.addEventListener('change', () => chooseAccount(sel.value));
  const wanted = params.get('account');
  if (wanted && state.accounts.some((a) => a.address === wanted)) {
    sel.value = wanted;
    chooseAccount(wanted);
  } else {
    refresh();
  }
  // Each finalized head: the sections re-read at it, and its events (and those of any finalized
  // block skipped since the last head) give their notices.
  await api.rpc.chain.subscribeFinalizedHeads((head) => {
    if (!state.verifying) refresh(head.hash);
    watchHead(head);
  });
  window.ehrPage = { state, refresh }; // for debugging from the console
}

main().catch((e) => {
  console.error(e);
  const conn = $('connection');
  conn.dataset.state = 'error';
  conn.textContent = `The page could not start: ${e.message}`;
});

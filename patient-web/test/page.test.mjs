// The patient page end to end, in headless Chromium against a real `ehr-node --dev`: a doctor
// anchors a record for Charlie, whose hospital records a guardian and who appoints a delegate;
// Charlie opens the page, sees the record, the guardian and the delegate, contests the
// guardianship (a review is pending, the guardian still acts) and removes the delegate (who no
// longer acts for Charlie) with the page's buttons; Charlie grants Dave access
// through the page's form, sees the grant active while `ehr_decide` permits Dave; the gateway
// logs Dave's reads, one without and one with the hash of his signed request, and the page shows
// who accessed and which read carries that proof; Charlie revokes with the page's button, sees
// the grant revoked while `ehr_decide` denies Dave; the gateway logs Dave's next, refused, read,
// which the page lists among the refusals and not among the reads; a failing grant shows its
// decoded module error. Each read, the refusal and Bob's emergency access also give Charlie a
// notice within seconds, without a reload; another patient's emergency gives none. Hospital 0's
// gateway serves a staff directory Alice signed with `ehr-doc directory sign`: Ferdie finds Bob
// by name, sees his role and hospital, grants him access and sees the grant by name; the two
// entries the chain does not confirm (an account that is no staff, one in another role) are not
// shown but counted; a grant to the whole hospital warns in words and does nothing when
// cancelled. Saves a full-page screenshot (EHR_SCREENSHOT_DIR, default a temp dir).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { NODE_BIN, freePort, startDevNode } from '../../tests/js/lib/node.mjs';
import { send, decide } from '../../tests/js/lib/chain.mjs';
import { build } from '../build.mjs';
import { devChainSpecFile, launchBrowser, startServer } from './helpers.mjs';

const STEP_MS = 60_000; // bound of any one wait in the page
const NOTICE_MS = 10_000; // bound of the wait for a notice, from the finality of its extrinsic
// The gateway and ehr-doc, built next to ehr-node.
const GATEWAY_BIN = process.env.EHR_GATEWAY_BIN || (NODE_BIN && join(dirname(NODE_BIN), 'ehr-gateway'));
const DOC_BIN = process.env.EHR_DOC_BIN || (NODE_BIN && join(dirname(NODE_BIN), 'ehr-doc'));

/**
 * Starts hospital 0's gateway (account //Alice//stash, its `Gateway` in the dev preset) on a free
 * port, serving the staff directory in `directory`; resolves once it serves it, with its URL and
 * a stop function.
 */
async function startGateway(node, dir, directory) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(GATEWAY_BIN, ['--node-rpc', node.httpUrl, '--listen', `127.0.0.1:${port}`,
    '--store', join(dir, 'store'), '--suri', '//Alice//stash', '--no-publish-key', '--staff-directory', directory], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  };
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'gateway_staffDirectory', params: [] }),
      });
      const body = await res.json();
      if (body.result) return { url, stop, log: () => log };
    } catch { /* not up yet */ }
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      await stop();
      throw new Error(`ehr-gateway did not serve its directory within 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the page's transaction named `label` is settled; resolves with its state. */
async function txSettled(page, label) {
  await page.waitForFunction((l) => {
    const el = document.getElementById('tx-status');
    return el.textContent.includes(l) && el.dataset.done === 'true';
  }, label, { timeout: STEP_MS });
  return page.locator('#tx-status').getAttribute('data-state');
}

/** Waits until the page's transaction named `label` is finalized; fails on its error. */
async function txFinalized(page, label) {
  const outcome = await txSettled(page, label);
  assert.equal(outcome, 'finalized', `"${label}" did not succeed: ${await page.locator('#tx-status').innerText()}`);
}

const text = async (locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim();

/** An account as the page shortens it. */
const short = (a) => `${a.slice(0, 6)}…${a.slice(-4)}`;

/**
 * The entry the chain appended to an access log, from a finalized extrinsic's events:
 * `EntryAppended { entry, hash }`, positional (`data.hash` would be the codec's own hash).
 */
function appendedOf(api, events) {
  const [entry, hash] = events.find(({ event }) => api.events.accessLog.EntryAppended.is(event)).event.data;
  return { entry, hash: hash.toHex(), block: entry.block.toNumber() };
}

/**
 * Waits, at most NOTICE_MS from now (the extrinsic is finalized), for the page's notice of the
 * entry of hash `hash`; resolves with it and how long it took.
 */
async function noticeOf(page, hash) {
  const started = Date.now();
  const notice = page.locator(`[data-testid="notice"][data-hash="${hash}"]`);
  await notice.waitFor({ timeout: NOTICE_MS });
  return { notice, ms: Date.now() - started };
}

test('a patient lists records, grants and revokes access, sees who can act and who accessed, in the page', { timeout: 330_000 }, async (t) => {
  const started = Date.now();
  const node = await startDevNode();
  const work = mkdtempSync(join(tmpdir(), 'ehr-page-gw-'));
  let api;
  let gateway;
  let server;
  let browser;
  let page;
  const shotDir = process.env.EHR_SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'ehr-page-'));
  mkdirSync(shotDir, { recursive: true });
  const browserLog = [];
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const [alice, bob, charlie, dave, eve, ferdie] = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie']
      .map((u) => keyring.addFromUri(u));
    // Charlie's delegate: an account the page has no name for. Not Dave: a delegate is permitted
    // to read (basis `delegate`), which would change the decisions on Dave's grant below.
    const delegate = keyring.addFromUri('//Charlie//delegate');
    // Another patient, whom Alice's hospital enrols: an emergency access to their records gives
    // Charlie no notice.
    const other = keyring.addFromUri('//Charlie//other');

    // Set-up from node: staff of hospital 0 (Alice's three calls in one go, consecutive
    // nonces), Charlie signs up, the bundle builds meanwhile; then, in one go, Bob anchors a
    // record, Alice's hospital verifies Charlie and records Ferdie as Charlie's guardian (a
    // hospital records a guardian only for a patient it verified; consecutive nonces keep the
    // order), and Charlie appoints a delegate (a paid call; Charlie has the dev balance).
    const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    const staff = [[bob, 'Doctor', '11'], [dave, 'Doctor', '22'], [eve, 'Gateway', '33']];
    await Promise.all([
      ...staff.map(([who, role, byte], i) => send(api,
        api.tx.hospitalRegistry.registerStaff(who.address, role, '0x' + byte.repeat(32), null), alice, node, { nonce: nonce + i })),
      send(api, api.tx.hospitalRegistry.registerPatient(), charlie, node),
      build(),
    ]);
    const [added] = await Promise.all([
      send(api, api.tx.patientRecords.addRecord(charlie.address, 'ClinicalNote', {
        commitment: '0x' + 'ab'.repeat(32),
        cid: '0x01551220' + 'ab'.repeat(32),
        scheme: 'XChaCha20Poly1305',
        size: 2048,
      }), bob, node),
      send(api, api.tx.hospitalRegistry.verifyPatient(charlie.address, '0x' + 'cd'.repeat(32)), alice, node, { nonce: nonce + 3 }),
      send(api, api.tx.hospitalRegistry.recordGuardian(charlie.address, ferdie.address), alice, node, { nonce: nonce + 4 }),
      send(api, api.tx.hospitalRegistry.appointDelegate(delegate.address), charlie, node),
      send(api, api.tx.hospitalRegistry.enrolPatient(other.address, '0x' + 'ef'.repeat(32)), alice, node, { nonce: nonce + 5 }),
    ]);
    const record = added.find(({ event }) => api.events.patientRecords.RecordAdded.is(event)).event.data.record.toNumber();

    // Alice, hospital 0's admin, signs its staff directory: Bob, an active doctor; Ferdie, who is
    // no staff; Eve, listed as a doctor but the hospital's gateway on chain. Its gateway serves
    // it, at the URL Alice registers for it.
    const list = join(work, 'staff.json');
    const directoryFile = join(work, 'directory.json');
    writeFileSync(list, JSON.stringify([
      { account: bob.address, name: 'Dr. Ana Silva', role: 'Doctor' },
      { account: ferdie.address, name: 'Dr. Frank Ferdinand', role: 'Doctor' },
      { account: eve.address, name: 'Dr. Eve Mallory', role: 'Doctor', department: 'Radiology' },
    ]));
    const { stdout } = await promisify(execFile)(DOC_BIN, ['--rpc', node.httpUrl, 'directory', 'sign',
      '--suri', '//Alice', '--list', list, '--out', directoryFile]);
    const signedOut = JSON.parse(stdout);
    assert.equal(signedOut.hospital, 0);
    assert.equal(signedOut.confirmed, 1);
    assert.deepEqual(signedOut.unconfirmed.map((e) => e.name), ['Dr. Frank Ferdinand', 'Dr. Eve Mallory']);
    gateway = await startGateway(node, work, directoryFile);
    await send(api, api.tx.hospitalRegistry.updateHospital(null, gateway.url), alice, node);
    t.diagnostic(`set-up done in ${((Date.now() - started) / 1000).toFixed(1)} s (record #${record})`);

    server = await startServer(node.url, await devChainSpecFile(join(work, 'chain-spec.json')));
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (m) => browserLog.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => browserLog.push(`pageerror: ${e.message}`));
    await page.goto(`${server.url}?rpc=${encodeURIComponent(node.url)}`);
    await page.locator('#connection[data-state="connected"]').waitFor();

    // Charlie chooses their account: the record is listed, as the chain has it.
    await page.selectOption('#account', charlie.address);
    await page.locator('#patient-status[data-patient="true"]').waitFor();
    const row = page.locator(`[data-testid="record-row"][data-record-id="${record}"]`);
    await row.waitFor();
    assert.equal(await text(row.locator('[data-field="category"]')), 'Clinical note');
    assert.equal(await text(row.locator('[data-field="status"]')), 'current');
    assert.equal(await text(row.locator('[data-field="custodian"]')), 'Alice General');
    assert.match(await text(row.locator('[data-field="author"]')), /^Bob 5FHneW…94ty \(Doctor, Alice General\)$/);
    assert.equal(await page.locator('[data-testid="record-row"]').count(), 1);
    assert.equal(await page.locator('#free-ops').getAttribute('data-left'), '20');
    await page.locator('[data-testid="grants-empty"]').waitFor();
    // The delegation changes are in Charlie's access log, but they are neither reads nor
    // refusals.
    await page.locator('[data-testid="accesses-empty"]').waitFor();
    await page.locator('[data-testid="refusals-empty"]').waitFor();
    await page.locator('[data-testid="emergencies-empty"]').waitFor();
    // No notice yet: what came before the page opened is in the tables only. A mark in the
    // page's window shows at the end that the page was never reloaded.
    assert.equal(await page.locator('[data-testid="notice"]').count(), 0);
    await page.locator('#notices-empty').waitFor();
    await page.evaluate(() => { window.ehrTestMark = 'not reloaded'; });

    // Who can act for Charlie: the guardian Alice General recorded and the delegate Charlie
    // appointed, each with its button.
    const guardianRow = page.locator(`[data-testid="delegation-row"][data-who="${ferdie.address}"]`);
    const delegateRow = page.locator(`[data-testid="delegation-row"][data-who="${delegate.address}"]`);
    await guardianRow.waitFor();
    await delegateRow.waitFor();
    assert.equal(await page.locator('[data-testid="delegation-row"]').count(), 2);
    assert.equal(await guardianRow.getAttribute('data-kind'), 'guardian');
    assert.equal(await guardianRow.getAttribute('data-hospital'), '0');
    assert.equal(await guardianRow.getAttribute('data-contested'), 'false');
    assert.equal(await text(guardianRow.locator('[data-field="who"]')), 'Ferdie 5CiPPs…2DjL');
    assert.equal(await text(guardianRow.locator('[data-field="kind"]')), 'Guardian (recorded by Alice General)');
    assert.equal(await text(guardianRow.locator('[data-field="status"]')), 'can act for you');
    assert.equal(await delegateRow.getAttribute('data-kind'), 'delegate');
    assert.equal(await text(delegateRow.locator('[data-field="who"]')), short(delegate.address));
    assert.equal(await text(delegateRow.locator('[data-field="kind"]')), 'Delegate (appointed by you)');
    assert.equal(await text(delegateRow.locator('[data-field="status"]')), 'can act for you');
    const contestButton = page.locator(`[data-testid="contest-guardian-${ferdie.address}"]`);
    const removeButton = page.locator(`[data-testid="remove-delegate-${delegate.address}"]`);
    assert.equal(await contestButton.getAttribute('aria-label'), 'Contest the guardianship of Ferdie, recorded by Alice General');
    assert.equal(await removeButton.getAttribute('aria-label'), `Remove delegate ${short(delegate.address)}`);
    assert.equal(await page.locator(`[data-testid="remove-delegate-${ferdie.address}"]`).count(), 0);
    assert.equal(await page.locator(`[data-testid="contest-guardian-${delegate.address}"]`).count(), 0);

    // Contest the guardianship: free for Charlie; a review is pending, and the guardian acts
    // until the hospital's privacy officer (or the council) decides.
    await contestButton.click();
    await txFinalized(page, 'Contest guardian Ferdie');
    assert.match(await text(page.locator('#tx-status')), /\(no fee: free for the patient\)/);
    await page.locator(`[data-testid="delegation-row"][data-who="${ferdie.address}"][data-contested="true"]`).waitFor();
    assert.equal(await text(guardianRow.locator('[data-field="status"]')), 'review pending (contested by you)');
    assert.equal(await contestButton.count(), 0);
    const contested = (await api.call.hospitalRegistryApi.delegations(charlie.address))
      .find((d) => d.who.toString() === ferdie.address);
    assert.ok(contested, 'the guardian is still listed on chain');
    assert.ok(contested.kind.isGuardian);
    assert.equal(contested.kind.asGuardian.hospital.toNumber(), 0);
    assert.equal(contested.contestedBy.unwrap().toString(), charlie.address);
    assert.ok((await api.call.hospitalRegistryApi.actsFor(ferdie.address, charlie.address)).isTrue);

    // Remove the delegate: free for Charlie; the row goes, and the delegate no longer acts.
    await removeButton.click();
    await txFinalized(page, `Remove delegate ${short(delegate.address)}`);
    assert.match(await text(page.locator('#tx-status')), /\(no fee: free for the patient\)/);
    await delegateRow.waitFor({ state: 'detached' });
    assert.equal(await page.locator('[data-testid="delegation-row"]').count(), 1);
    assert.ok((await api.call.hospitalRegistryApi.actsFor(delegate.address, charlie.address)).isFalse);
    assert.deepEqual((await api.call.hospitalRegistryApi.delegations(charlie.address)).map((d) => d.who.toString()),
      [ferdie.address]);
    // Neither call spent Charlie's free consent operations.
    assert.equal(await page.locator('#free-ops').getAttribute('data-left'), '20');

    // Grant Dave treatment reads of all records for a day, through the page's form.
    await page.check('#grantee-kind-staff');
    await page.fill('#grantee-staff', dave.address);
    await page.check('#purpose-Treatment');
    await page.check('#action-Read');
    await page.selectOption('#grant-duration', '86400000');
    await page.click('#grant-submit');
    await txFinalized(page, 'Grant access to Dave');
    const grantRow = page.locator(`[data-testid="grant-row"][data-grantee="${dave.address}"]`);
    await page.locator(`[data-testid="grant-row"][data-grantee="${dave.address}"][data-status="active"]`).waitFor();
    const grant = Number(await grantRow.getAttribute('data-grant-id'));
    assert.match(await text(grantRow.locator('[data-field="grantee"]')), /^Dave 5DAAnr…TXFy \(Doctor, Alice General\)$/);
    assert.equal(await text(grantRow.locator('[data-field="scope"]')), 'all records');
    assert.equal(await text(grantRow.locator('[data-field="purposes"]')), 'Treatment');
    assert.equal(await text(grantRow.locator('[data-field="actions"]')), 'Read');
    assert.equal(await text(grantRow.locator('[data-field="status"]')), 'active');
    await page.locator('#free-ops[data-left="19"]').waitFor();
    // What the page shows is what the chain holds, and the decision follows.
    const onChain = await api.call.consentApi.grants(charlie.address);
    assert.equal(onChain.length, 1);
    assert.equal(onChain[0].id.toNumber(), grant);
    assert.ok(onChain[0].status.isActive);
    assert.equal(onChain[0].grantee.asStaff.toString(), dave.address);
    assert.equal(onChain[0].grantedBy.toString(), charlie.address);
    assert.deepEqual(await decide(node, dave.address, charlie.address, { record }),
      { permit: true, basis: 'grant', reason: null, grant, emergency: null, explanation: null });

    // The gateway (Eve) serves Dave the document and logs it; the page shows who accessed.
    const read = appendedOf(api, await send(api, api.tx.accessLog.logRead(record, dave.address, 'Treatment', true), eve, node));
    // A notice says it within seconds: who (with their hospital), which record, what for, and the
    // block. It is the only notice: the contest, the removal and the grant above gave none.
    const readNotice = await noticeOf(page, read.hash);
    t.diagnostic(`notice of the read ${readNotice.ms} ms after its finality`);
    assert.equal(await readNotice.notice.getAttribute('data-kind'), 'read');
    assert.equal(await readNotice.notice.getAttribute('data-action'), 'documentRead');
    assert.equal(await readNotice.notice.getAttribute('data-actor'), dave.address);
    assert.equal(await readNotice.notice.getAttribute('data-hospital'), '0');
    assert.equal(await readNotice.notice.getAttribute('data-subject'), `record:${record}`);
    assert.equal(await readNotice.notice.getAttribute('data-block'), String(read.block));
    assert.match(await text(readNotice.notice.locator('.headline')), /^Your record was read /);
    assert.equal(await text(readNotice.notice.locator('[data-field="text"]')),
      `Dave 5DAAnr…TXFy of hospital #0 (Alice General) was sent record #${record} for treatment by the gateway of Alice General, in block #${read.block}.`);
    assert.equal(await page.locator('#notices-other[role="log"] [data-testid="notice"]').count(), 1);
    assert.equal(await page.locator('[data-testid="notice"]').count(), 1);
    assert.ok(await page.locator('#notices-empty').isHidden());
    const access = page.locator(`[data-testid="access-row"][data-action="documentRead"][data-actor="${dave.address}"][data-subject="record:${record}"]`);
    await access.waitFor();
    assert.match(await text(access.locator('[data-field="who"]')), /^Dave 5DAAnr…TXFy \(Doctor\)$/);
    assert.equal(await text(access.locator('[data-field="hospital"]')), 'Alice General');
    assert.equal(await text(access.locator('[data-field="what"]')), `read record #${record}`);
    assert.equal(await text(access.locator('[data-field="purpose"]')), 'Treatment');
    assert.equal(await text(access.locator('[data-field="source"]')), 'gateway of Alice General');
    assert.equal(await text(access.locator('[data-field="outcome"]')), 'permitted');
    // Logged without its request: nothing shows that Dave asked.
    assert.equal(await access.getAttribute('data-proof'), 'none');
    assert.equal(await text(access.locator('[data-field="proof"]')), 'no request named');
    assert.equal(await page.locator('[data-testid="access-row"]').count(), 1);

    // A read logged with the hash of the request Dave signed: marked as carrying that proof.
    const request = `0x${'5e'.repeat(32)}`;
    const servedRead = appendedOf(api, await send(api, api.tx.accessLog.logServed(record, dave.address, 'Treatment', request), eve, node));
    const servedNotice = await noticeOf(page, servedRead.hash);
    assert.equal(await servedNotice.notice.getAttribute('data-action'), 'documentServed');
    assert.equal(await text(servedNotice.notice.locator('[data-field="text"]')),
      `Dave 5DAAnr…TXFy of hospital #0 (Alice General) was sent record #${record} for treatment by the gateway of Alice General, on a request they signed, in block #${servedRead.block}.`);
    // Newest first.
    assert.deepEqual(await page.locator('[data-testid="notice"]').evaluateAll((ns) => ns.map((n) => n.dataset.hash)),
      [servedRead.hash, read.hash]);
    const served = page.locator(`[data-testid="access-row"][data-action="documentServed"][data-actor="${dave.address}"][data-subject="record:${record}"]`);
    await served.waitFor();
    assert.equal(await text(served.locator('[data-field="what"]')), `read record #${record}`);
    assert.equal(await text(served.locator('[data-field="outcome"]')), 'permitted');
    assert.equal(await served.getAttribute('data-proof'), 'request');
    assert.equal(await served.getAttribute('data-request'), request);
    assert.equal(await text(served.locator('[data-field="proof"]')), 'signed request 0x5e5e…5e5e');
    assert.equal(await page.locator('[data-testid="access-row"]').count(), 2);

    // Revoke with the page's button: the grant shows revoked and the decision denies Dave.
    await page.click(`[data-testid="revoke-grant-${grant}"]`);
    await txFinalized(page, `Revoke grant #${grant}`);
    await page.locator(`[data-testid="grant-row"][data-grant-id="${grant}"][data-status="revoked"]`).waitFor();
    assert.match(await text(grantRow.locator('[data-field="status"]')), /^revoked .* by Charlie 5FLSig…S59Y$/);
    assert.equal(await page.locator(`[data-testid="revoke-grant-${grant}"]`).count(), 0);
    // The patient's own revocation spends no free operation.
    assert.equal(await page.locator('#free-ops').getAttribute('data-left'), '19');
    const denied = await decide(node, dave.address, charlie.address, { record });
    assert.equal(denied.permit, false);
    assert.equal(denied.reason, 'revoked');
    assert.equal(denied.grant, grant);
    assert.ok((await api.call.consentApi.grants(charlie.address))[0].status.isRevoked);

    // Dave asks again and the gateway refuses, and logs the refusal: the page lists it among
    // those who tried and were refused, apart from the reads, which stay as they were.
    const refused = await send(api, api.tx.accessLog.logRead(record, dave.address, 'Treatment', false), eve, node);
    // EntryAppended { entry, hash } (positional: `data.hash` would be the codec's own hash).
    const [, appended] = refused.find(({ event }) => api.events.accessLog.EntryAppended.is(event)).event.data;
    const refusedHash = appended.toHex();
    // A notice of the refusal, within seconds.
    const refusedNotice = await noticeOf(page, refusedHash);
    t.diagnostic(`notice of the refusal ${refusedNotice.ms} ms after its finality`);
    const refusedBlock = appendedOf(api, refused).block;
    assert.equal(await refusedNotice.notice.getAttribute('data-kind'), 'refusal');
    assert.equal(await refusedNotice.notice.getAttribute('data-action'), 'readDenied');
    assert.match(await text(refusedNotice.notice.locator('.headline')), /^Someone was refused your record /);
    assert.equal(await text(refusedNotice.notice.locator('[data-field="text"]')),
      `Dave 5DAAnr…TXFy of hospital #0 (Alice General) asked for record #${record} for treatment and was refused by the gateway of Alice General, in block #${refusedBlock}. Nothing was sent to them.`);
    assert.equal(await page.locator('[data-testid="notice"]').count(), 3);
    const refusal = page.locator(`[data-testid="refusal-row"][data-action="readDenied"][data-actor="${dave.address}"][data-subject="record:${record}"]`);
    await refusal.waitFor();
    assert.match(await text(refusal.locator('[data-field="who"]')), /^Dave 5DAAnr…TXFy \(Doctor\)$/);
    assert.equal(await text(refusal.locator('[data-field="hospital"]')), 'Alice General');
    assert.equal(await text(refusal.locator('[data-field="what"]')), `tried to read record #${record}`);
    assert.equal(await text(refusal.locator('[data-field="purpose"]')), 'Treatment');
    assert.equal(await text(refusal.locator('[data-field="source"]')), 'gateway of Alice General');
    assert.equal(await text(refusal.locator('[data-field="outcome"]')), 'refused');
    assert.equal(await page.locator('[data-testid="refusals-table"] [data-testid="refusal-row"]').count(), 1);
    assert.equal(await page.locator('[data-testid="refusals-empty"]').count(), 0);
    // Not among the reads: still the two served ones, the newest first.
    assert.equal(await page.locator('[data-testid="access-row"][data-action="readDenied"]').count(), 0);
    assert.equal(await page.locator('[data-testid="accesses-table"] [data-testid="refusal-row"]').count(), 0);
    assert.deepEqual(await page.locator('[data-testid="access-row"]').evaluateAll((rows) => rows.map((r) => r.dataset.action)),
      ['documentServed', 'documentRead']);
    // The row is the entry the chain appended.
    assert.equal(await refusal.getAttribute('data-hash'), refusedHash);

    // A grant the chain refuses (Ferdie is not staff) shows the decoded module error.
    await page.fill('#grantee-staff', ferdie.address);
    await page.click('#grant-submit');
    assert.equal(await txSettled(page, 'Grant access to Ferdie'), 'failed');
    assert.match(await text(page.locator('[data-testid="tx-headline"]')), /^Grant access to Ferdie failed: consent\.GranteeNotFound/);
    assert.equal(await page.locator('[data-testid="grant-row"]').count(), 1);

    // Dave breaks the glass for another patient: Charlie's page, once it has examined that
    // block, shows no notice of it.
    const elsewhere = appendedOf(api, await send(api, api.tx.consent.declareEmergency(other.address, 'PatientUnconscious', 'ER bay 1'), dave, node));
    assert.equal(elsewhere.entry.patient.toString(), other.address);
    await page.waitForFunction((n) => Number(document.getElementById('notices').dataset.seen) >= n, elsewhere.block, { timeout: NOTICE_MS });
    assert.equal(await page.locator(`[data-testid="notice"][data-hash="${elsewhere.hash}"]`).count(), 0);
    assert.equal(await page.locator('[data-testid="notice"][data-kind="emergency"]').count(), 0);
    assert.equal(await page.locator('[data-testid="notice"]').count(), 3);

    // Bob breaks the glass for Charlie: an urgent notice (role "alert") within seconds; the page
    // lists the emergency access awaiting review, and it is in "who accessed" too.
    const opening = appendedOf(api, await send(api, api.tx.consent.declareEmergency(charlie.address, 'PatientUnconscious', 'ER bay 3'), bob, node));
    const urgent = await noticeOf(page, opening.hash);
    t.diagnostic(`notice of the emergency access ${urgent.ms} ms after its finality`);
    const emergencyId = opening.entry.subject.asEmergency.toNumber();
    assert.equal(await urgent.notice.getAttribute('data-kind'), 'emergency');
    assert.equal(await urgent.notice.getAttribute('data-actor'), bob.address);
    assert.equal(await urgent.notice.getAttribute('data-subject'), `emergency:${emergencyId}`);
    assert.equal(await page.locator(`#notices-urgent[role="alert"] [data-hash="${opening.hash}"]`).count(), 1);
    assert.match(await text(urgent.notice.locator('.headline')), /^Emergency access to your records! /);
    assert.equal(await text(urgent.notice.locator('[data-field="text"]')),
      `Bob 5FHneW…94ty of hospital #0 (Alice General) opened emergency access to all your records (emergency access #${emergencyId}) `
      + `for emergency treatment, in block #${opening.block}. It lasts 4 hours. `
      + 'The privacy officer of their hospital reviews it (see "Emergency accesses awaiting review").');
    assert.equal(await page.locator('[data-testid="notice"]').count(), 4);
    const emergency = page.locator('[data-testid="emergency-row"]');
    await emergency.waitFor();
    assert.match(await text(emergency.locator('[data-field="doctor"]')), /^Bob 5FHneW…94ty$/);
    assert.equal(await text(emergency.locator('[data-field="hospital"]')), 'Alice General');
    assert.equal(await text(emergency.locator('[data-field="reason"]')), 'Patient unconscious');
    assert.equal(await text(emergency.locator('[data-field="note"]')), 'ER bay 3');
    assert.equal(await text(emergency.locator('[data-field="state"]')), 'open now');
    const opened = page.locator(`[data-testid="access-row"][data-action="emergencyOpened"][data-actor="${bob.address}"]`);
    await opened.waitFor();
    assert.equal(await text(opened.locator('[data-field="purpose"]')), 'Emergency treatment');
    assert.equal(await page.locator('[data-testid="access-row"]').count(), 3);
    assert.equal(await page.locator('[data-testid="refusal-row"]').count(), 1);
    // All of it without a reload.
    assert.equal(await page.evaluate(() => window.ehrTestMark), 'not reloaded');

    const shot = join(shotDir, 'patient-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    const size = statSync(shot).size;
    t.diagnostic(`screenshot: ${shot} (${size} bytes)`);
    assert.ok(size > 20_000, `screenshot of ${size} bytes`);
    // Another account: Ferdie is no patient yet, and signs up with the page's button.
    await page.selectOption('#account', ferdie.address);
    await page.locator('#patient-status[data-patient="false"]').waitFor();
    // Charlie's notices went with Charlie.
    assert.equal(await page.locator('[data-testid="notice"]').count(), 0);
    await page.locator('[data-testid="records-empty"]').waitFor();
    // Ferdie is Charlie's guardian, but nobody acts for Ferdie.
    await page.locator('[data-testid="delegations-empty"]').waitFor();
    await page.click('#register-patient');
    await txFinalized(page, 'Register as patient');
    await page.locator('#patient-status[data-patient="true"]').waitFor();
    assert.ok((await api.call.hospitalRegistryApi.isPatient(ferdie.address)).isTrue);
    assert.equal(await page.locator('#free-ops').getAttribute('data-left'), '20');

    // Ferdie looks for a doctor by name in the hospitals' staff directories: only what the chain
    // confirms shows, and the note counts the rest.
    const note = page.locator('#directory-note[data-loaded="true"]');
    await note.waitFor();
    assert.match(await text(note), /Alice General: 1 name; 2 names not confirmed by the chain \(not shown\)\./);
    await page.fill('#directory-search', 'silva');
    const found = page.locator(`[data-testid="directory-result"][data-kind="staff"][data-account="${bob.address}"]`);
    await found.waitFor();
    assert.equal(await text(found), 'Dr. Ana Silva — Doctor, Alice General (hospital #0)');
    assert.equal(await page.locator('[data-testid="directory-result"]').count(), 1);
    // Listed in the directory, but no staff (Ferdie) or in another role (Eve): not found.
    for (const q of ['Ferdinand', 'Mallory', 'Radiology']) {
      await page.fill('#directory-search', q);
      await page.locator('[data-testid="directory-none"]').waitFor();
      assert.equal(await page.locator('[data-testid="directory-result"]').count(), 0, q);
    }
    // By role: the one confirmed doctor.
    await page.fill('#directory-search', 'doctor');
    await found.waitFor();
    assert.equal(await page.locator('[data-testid="directory-result"][data-kind="staff"]').count(), 1);
    // Chosen, it fills the form; the grant goes to Bob's account and is listed by name.
    await found.click();
    assert.equal(await page.inputValue('#grantee-staff'), bob.address);
    assert.ok(await page.isChecked('#grantee-kind-staff'));
    assert.equal(await text(page.locator('#grantee-chosen')), 'Granting to Dr. Ana Silva — Doctor, Alice General (hospital #0).');
    await page.click('#grant-submit');
    await txFinalized(page, 'Grant access to Dr. Ana Silva');
    const named = page.locator(`[data-testid="grant-row"][data-grantee="${bob.address}"][data-status="active"]`);
    await named.waitFor();
    assert.equal(await text(named.locator('[data-field="grantee"]')), 'Dr. Ana Silva — Doctor, Alice General (hospital #0)');
    const ferdieGrants = await api.call.consentApi.grants(ferdie.address);
    assert.equal(ferdieGrants.length, 1);
    assert.equal(ferdieGrants[0].grantee.asStaff.toString(), bob.address);

    // The whole hospital: a warning in words first; cancelled, nothing is sent.
    await page.fill('#directory-search', 'Alice General');
    const wholeHospital = page.locator('[data-testid="directory-result"][data-kind="hospital"][data-hospital="0"]');
    await wholeHospital.waitFor();
    assert.equal(await text(wholeHospital), 'Alice General (hospital #0) — the whole hospital');
    await wholeHospital.click();
    assert.ok(await page.isChecked('#grantee-kind-hospital'));
    assert.equal(await text(page.locator('#grantee-chosen')), 'Granting to every clinician of hospital #0 (Alice General).');
    const warned = new Promise((resolve) => {
      page.once('dialog', async (dialog) => {
        const message = dialog.message();
        await dialog.dismiss();
        resolve({ type: dialog.type(), message });
      });
    });
    await page.click('#grant-submit');
    const warning = await warned;
    assert.equal(warning.type, 'confirm');
    assert.match(warning.message, /^You are granting access to the whole of hospital #0 \(Alice General\): every doctor, nurse and lab member of the hospital will be able to read all your records, for treatment, until /);
    assert.match(warning.message, /This includes staff the hospital registers later\./);
    await page.locator('#grant-form-error', { hasText: 'Not granted: you cancelled the grant to the whole hospital.' }).waitFor();
    assert.match(await text(page.locator('[data-testid="tx-headline"]')), /^Grant access to Dr\. Ana Silva: done/);
    assert.equal(await page.locator('[data-testid="grant-row"]').count(), 1);
    assert.equal((await api.call.consentApi.grants(ferdie.address)).length, 1);

    assert.deepEqual(browserLog.filter((l) => l.startsWith('pageerror') || l.startsWith('console.error')), []);
    if (process.env.EHR_PAGE_DEBUG) t.diagnostic(`browser log:\n${browserLog.join('\n')}`);
    t.diagnostic(`page test done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    if (page) {
      const shot = join(shotDir, 'patient-page-failure.png');
      await page.screenshot({ path: shot, fullPage: true }).then(() => console.error(`failure screenshot: ${shot}`), () => {});
    }
    console.error(`browser log:\n${browserLog.join('\n')}\nnode log:\n${node.logTail(20)}\ngateway log:\n${gateway?.log() ?? ''}`);
    throw e;
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await gateway?.stop().catch(() => {});
    await api?.disconnect().catch(() => {});
    await node.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

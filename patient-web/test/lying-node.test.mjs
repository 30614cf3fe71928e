// The patient page against a node that lies, in headless Chromium: Bob breaks the glass for
// Charlie on a real `ehr-node --dev`; Charlie opens the page through a proxy that stands for a
// modified hospital node. Read straight from the node, the page says its answers are checked.
// When the proxy drops the emergency access from `ehr_whoAccessed`, the page names the node and
// the hidden access (the entry and its action), also when the proxy respells the entry's action
// in the log so that it hashes the same but reads otherwise; switching to the honest node clears
// it. When the proxy alters a storage read proof, the page says the proof does not check out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { WebSocket, WebSocketServer } from 'ws';
import { freePort, startDevNode } from '../../tests/js/lib/node.mjs';
import { send } from '../../tests/js/lib/chain.mjs';
import { build } from '../build.mjs';
import { devChainSpecFile, launchBrowser, startServer } from './helpers.mjs';

const STEP_MS = 60_000;

/**
 * A WebSocket JSON-RPC proxy in front of `upstream` that lies as `lie.mode` says: 'none' passes
 * everything; 'hide-emergency' drops emergency openings from `ehr_whoAccessed`; 'bad-proof'
 * flips a byte of every node of every `state_getReadProof` answer.
 */
async function lyingProxy(upstream, lie) {
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  wss.on('connection', (client) => {
    const node = new WebSocket(upstream);
    const methods = new Map(); // request id -> method
    const pending = [];
    node.on('open', () => { for (const m of pending.splice(0)) node.send(m); });
    client.on('message', (data) => {
      const text = data.toString();
      try {
        const req = JSON.parse(text);
        for (const r of Array.isArray(req) ? req : [req]) methods.set(r.id, r.method);
      } catch { /* passed on as it is */ }
      if (node.readyState === WebSocket.OPEN) node.send(text); else pending.push(text);
    });
    node.on('message', (data) => {
      let text = data.toString();
      try {
        const res = JSON.parse(text);
        const method = methods.get(res.id);
        if (method === 'ehr_whoAccessed' && lie.mode.startsWith('hide-') && res.result) {
          res.result.entries = res.result.entries.filter((e) => e.action !== 'emergencyOpened');
          lie.told += 1;
          text = JSON.stringify(res);
        } else if (method === 'ehr_accessLog' && lie.mode === 'hide-recased' && res.result) {
          // The same entry under another spelling of its action, which encodes (and hashes) the same.
          for (const e of res.result.entries) if (e.action === 'emergencyOpened') e.action = 'EmergencyOpened';
          text = JSON.stringify(res);
        } else if (method === 'state_getReadProof' && lie.mode === 'bad-proof' && res.result) {
          res.result.proof = res.result.proof.map((p) => `${p.slice(0, -2)}${(parseInt(p.slice(-2), 16) ^ 1).toString(16).padStart(2, '0')}`);
          lie.told += 1;
          text = JSON.stringify(res);
        }
      } catch { /* passed on as it is */ }
      if (client.readyState === WebSocket.OPEN) client.send(text);
    });
    const close = () => { client.close(); node.close(); };
    client.on('close', close);
    node.on('close', close);
    node.on('error', close);
  });
  return { url: `ws://127.0.0.1:${port}`, close: () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(r); }) };
}

test('the page checks the node it reads through, names a node that hides an access or forges a proof, and switches to another', { timeout: 240_000 }, async (t) => {
  const node = await startDevNode();
  const work = mkdtempSync(join(tmpdir(), 'ehr-lying-'));
  let api;
  let proxy;
  let server;
  let browser;
  const browserLog = [];
  try {
    api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((u) => keyring.addFromUri(u));
    await Promise.all([
      send(api, api.tx.hospitalRegistry.registerStaff(bob.address, 'Doctor', `0x${'11'.repeat(32)}`, null), alice, node),
      send(api, api.tx.hospitalRegistry.registerPatient(), charlie, node),
      build(),
    ]);
    const events = await send(api, api.tx.consent.declareEmergency(charlie.address, 'PatientUnconscious', 'ER bay 3'), bob, node);
    const [entry, hash] = events.find(({ event }) => api.events.accessLog.EntryAppended.is(event)).event.data;

    const lie = { mode: 'none', told: 0 };
    proxy = await lyingProxy(node.url, lie);
    server = await startServer(node.url, await devChainSpecFile(join(work, 'chain-spec.json')));
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (m) => browserLog.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => browserLog.push(`pageerror: ${e.message}`));
    const status = page.locator('#verify-status');
    const open = (rpc) => page.goto(`${server.url}?rpc=${rpc}&nodes=${proxy.url},${node.url}&account=${charlie.address}`);
    const settled = (s) => page.waitForFunction((want) => document.getElementById('verify-status').dataset.state === want, s, { timeout: STEP_MS });

    // Through the proxy while it tells the truth: checked, and the emergency access is shown.
    await open(proxy.url);
    await settled('verified');
    assert.match(await status.innerText(), /Checked: your records, grants and access log as shown match block #\d+ \([^)]+\), finalized by 1 of 1 hospitals/);
    await page.locator(`[data-testid="accesses"] [data-hash="${hash.toHex()}"]`).waitFor();

    // It hides the emergency access: the page no longer lists it, and says who hid what.
    lie.mode = 'hide-emergency';
    await open(proxy.url);
    await settled('mismatch');
    assert.ok(lie.told > 0, 'the proxy altered an answer');
    assert.match(await status.innerText(), new RegExp(`The node at ${proxy.url} answered what the chain contradicts`));
    const problems = await page.locator('[data-testid="verify-problem"]').allInnerTexts();
    assert.ok(problems.some((p) => p.includes(`It hid an access: entry #${entry.seq.toNumber()} of your log (emergencyOpened)`)), problems.join('\n'));
    assert.equal(await page.locator(`[data-testid="accesses"] [data-hash="${hash.toHex()}"]`).count(), 0, 'the lie reached the view; the check is what catches it');
    await page.screenshot({ path: join(work, 'lying-node.png'), fullPage: true });

    // It hides it again and respells it in the log it walks, so that it hashes the same but
    // does not read as an access: the page goes by the entry's bytes, not the spelling.
    lie.mode = 'hide-recased';
    await open(proxy.url);
    await settled('mismatch');
    const recased = await page.locator('[data-testid="verify-problem"]').allInnerTexts();
    assert.ok(recased.some((p) => p.includes(`It hid an access: entry #${entry.seq.toNumber()} of your log (emergencyOpened)`)), recased.join('\n'));

    // The patient switches to the honest node: checked again, the access shown.
    await Promise.all([page.waitForURL((u) => u.searchParams.get('rpc') === node.url), page.selectOption('#node-choice', node.url)]);
    await settled('verified');
    assert.equal(await page.locator('[data-testid="verify-problem"]').count(), 0);
    await page.locator(`[data-testid="accesses"] [data-hash="${hash.toHex()}"]`).waitFor();

    // A node that forges a read proof is caught by the proof itself.
    lie.mode = 'bad-proof';
    lie.told = 0;
    await open(proxy.url);
    await settled('mismatch');
    assert.ok(lie.told > 0, 'the proxy altered a proof');
    assert.match(await status.innerText(), new RegExp(`The node at ${proxy.url} gave a proof that does not check out`));
  } catch (e) {
    t.diagnostic(`browser log:\n${browserLog.slice(-40).join('\n')}`);
    throw e;
  } finally {
    if (browser) await browser.close();
    if (server) await server.stop();
    if (proxy) await proxy.close();
    if (api) await api.disconnect();
    await node.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

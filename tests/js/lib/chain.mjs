// Helpers the JavaScript end-to-end tests share (tests/js, examples/js, patient-web): sending
// a signed extrinsic until it is finalized, and asking the access decision over JSON-RPC.
import assert from 'node:assert/strict';

/**
 * Signs and sends `tx` as `signer` (with `options`, e.g. `{ nonce }`), resolving with its events
 * once finalized; rejects with `section.Name` on a dispatch error, or after 60 s with the node's
 * last log lines.
 */
export function send(api, tx, signer, node, options = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not finalized within 60 s; log:\n${node.logTail()}`)), 60_000);
    tx.signAndSend(signer, options, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        clearTimeout(timer);
        const msg = dispatchError.isModule
          ? (({ section, name }) => `${section}.${name}`)(api.registry.findMetaError(dispatchError.asModule))
          : dispatchError.toString();
        reject(new Error(msg));
      }
      if (status.isFinalized) { clearTimeout(timer); resolve(events); }
    }).catch((e) => { clearTimeout(timer); reject(e); });
  });
}

/** `ehr_decide` over plain JSON-RPC, as a hospital's EHR system or gateway calls it. */
export async function decide(node, accessor, patient, target, purpose = 'treatment', action = 'read') {
  const res = await fetch(node.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ehr_decide', params: [accessor, patient, target, purpose, action] }),
  });
  const body = await res.json();
  assert.ok(!body.error, JSON.stringify(body.error));
  return body.result;
}

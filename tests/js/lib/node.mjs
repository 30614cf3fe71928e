// Starts a real ehr-node (--dev) on free local ports for a test and stops it afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NODE_BIN = process.env.EHR_NODE_BIN;

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `ehr-node --dev`; resolves once it answers JSON-RPC. */
export async function startDevNode({ timeoutMs = 60_000 } = {}) {
  if (!NODE_BIN) throw new Error('EHR_NODE_BIN must name the ehr-node binary (scripts/test.sh sets it)');
  const base = mkdtempSync(join(tmpdir(), 'ehr-js-'));
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const logPath = join(base, 'node.log');
  const log = openSync(logPath, 'a');
  const child = spawn(NODE_BIN, [
    '--dev', '--base-path', join(base, 'data'),
    '--rpc-port', String(rpcPort),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
    '--no-prometheus', '--no-telemetry', '--no-mdns',
  ], { stdio: ['ignore', log, log] });
  const node = {
    url: `ws://127.0.0.1:${rpcPort}`,
    httpUrl: `http://127.0.0.1:${rpcPort}`,
    logTail: (n = 30) => readFileSync(logPath, 'utf8').split('\n').slice(-n).join('\n'),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
  const start = Date.now();
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${rpcPort}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'chain_getBlockHash', params: [0] }),
      });
      if (res.ok) return node;
    } catch { /* not up yet */ }
    if (child.exitCode !== null || Date.now() - start > timeoutMs) {
      const tail = node.logTail();
      await node.stop();
      throw new Error(`ehr-node did not answer RPC within ${timeoutMs} ms; log:\n${tail}`);
    }
    await sleep(250);
  }
}

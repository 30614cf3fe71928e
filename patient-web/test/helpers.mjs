// What the page's browser tests share: the page's server with a chain spec, headless Chromium,
// the dev chain's raw spec.
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { NODE_BIN } from '../../tests/js/lib/node.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const CHROMIUM = process.env.EHR_CHROMIUM || '/usr/bin/chromium';

/** Writes the dev chain's raw spec (`ehr-node export-chain-spec --chain dev --raw`) to `file`. */
export async function devChainSpecFile(file) {
  const { stdout } = await promisify(execFile)(NODE_BIN, ['export-chain-spec', '--chain', 'dev', '--raw'], { maxBuffer: 64 << 20 });
  writeFileSync(file, stdout);
  return file;
}

/**
 * Starts `serve.mjs` on a free port (--port 0) pointing at `rpc`, serving `chainSpec` as the
 * page's chain spec; resolves with its URL and a stop function.
 */
export function startServer(rpc, chainSpec) {
  const child = spawn(process.execPath, [join(ROOT, 'serve.mjs'), '--port', '0', '--rpc', rpc, '--chain-spec', chainSpec], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`serve.mjs printed no URL within 10 s: ${out}`)); }, 10_000);
    const onData = (d) => {
      out += d;
      const m = /patient page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ url: m[1], stop }); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve.mjs exited (${code}): ${out}`)); });
  });
}

/** Headless Chromium (Debian's, or EHR_CHROMIUM). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
    timeout: 60_000,
  });
}

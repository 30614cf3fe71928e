// A tiny static file server for the patient page: index.html, dist/ and the chain spec, on
// 127.0.0.1 only.
//   node serve.mjs [--port N] [--host H] [--rpc ws://…] [--nodes ws://…,ws://…] [--chain-spec FILE]
// --port (or PORT): default 8080, 0 picks a free port; --rpc (or EHR_RPC): the node the printed
// link points the page at, default ws://127.0.0.1:9944; --nodes (or EHR_NODES): the other
// hospitals' nodes the page offers to read through; --chain-spec (or EHR_CHAIN_SPEC): the raw
// chain spec the page checks finality from, served as /chain-spec.json. Prints the page's URL
// once listening, each line after the local time (2025-01-31 14:05:09.123). No dependencies:
// node:http.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Maps a request path to a file that may be served: index.html, dist/*, and the chain spec
 * (`chainSpec`, a raw chain spec file) as chain-spec.json.
 */
function resolve(urlPath, chainSpec) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (path === '/' || path === '/index.html') return join(ROOT, 'index.html');
  if (path === '/chain-spec.json') return chainSpec ?? null;
  if (!path.startsWith('/dist/') || path.includes('\0')) return null;
  const file = normalize(join(ROOT, path));
  return file.startsWith(join(ROOT, 'dist') + sep) ? file : null;
}

/**
 * Starts the server; resolves with `{ server, url }` once it listens. `chainSpec`: the raw chain
 * spec the page starts its checks from (its genesis GRANDPA authorities), served as
 * chain-spec.json.
 */
export function serve({ port = 8080, host = '127.0.0.1', chainSpec } = {}) {
  const server = createServer((req, res) => {
    const send = (code, text) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    const file = resolve(req.url, chainSpec);
    let stat;
    try {
      stat = file && statSync(file);
    } catch { /* missing */ }
    if (!stat || !stat.isFile()) {
      return send(404, file?.includes(`${sep}dist${sep}`) ? 'not found (run `npm run build` first?)\n' : 'not found\n');
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolveListen({ server, url: `http://${host}:${actual}/` });
    });
  });
}

/** The local time to the millisecond, `2025-01-31 14:05:09.123`, as each printed line begins. */
function stamp(d = new Date()) {
  const p = (n, width = 2) => String(n).padStart(width, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} `
    + `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(arg('port') ?? process.env.PORT ?? 8080);
  const host = arg('host') ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${stamp()} bad port: ${arg('port') ?? process.env.PORT}`);
    process.exit(2);
  }
  try {
    const chainSpec = arg('chain-spec') ?? process.env.EHR_CHAIN_SPEC;
    const { server, url } = await serve({ port, host, chainSpec });
    const rpc = arg('rpc') ?? process.env.EHR_RPC ?? 'ws://127.0.0.1:9944';
    const nodes = arg('nodes') ?? process.env.EHR_NODES;
    console.log(`${stamp()} patient page: ${url}?rpc=${rpc}${nodes ? `&nodes=${nodes}` : ''}`);
    const stop = () => {
      console.log(`${stamp()} stopping`);
      server.close(() => process.exit(0));
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (e) {
    console.error(`${stamp()} cannot serve on ${host}:${port}: ${e.message}`);
    process.exit(1);
  }
}

// Bundles the page (src/app.mjs with @polkadot/api, src/style.css) into dist/ with esbuild.
//   node build.mjs            one build
//   node build.mjs --watch    rebuild on change
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = dirname(fileURLToPath(import.meta.url));
export const DIST = join(ROOT, 'dist');

const options = {
  absWorkingDir: ROOT,
  entryPoints: ['src/app.mjs', 'src/style.css'],
  outdir: 'dist',
  entryNames: '[name]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

/** Builds dist/ from scratch; resolves with esbuild's result. */
export async function build() {
  rmSync(DIST, { recursive: true, force: true });
  return esbuild.build(options);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--watch')) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    console.log(`watching src/, writing ${DIST}`);
  } else {
    const started = Date.now();
    await build();
    console.log(`built ${DIST} in ${Date.now() - started} ms`);
  }
}

// Bundle Lock's CommonJS npm package into one browser file with esbuild:
//   node bundles/build-lock.mjs [OUTFILE]      (default static/vendor/auth0-lock.min.js)
// The banner names the versions package-lock.json pins; tests/test_lock_bundle.py
// rebuilds into a temporary file and requires the committed bundle to match it byte
// for byte.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = process.argv[2] || join(root, 'static', 'vendor', 'auth0-lock.min.js');
const pinned = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
const version = (name) => pinned[`node_modules/${name}`].version;

await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['bundles/auth0-lock.js'],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2017'],
  platform: 'browser',
  define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
  legalComments: 'eof',
  charset: 'utf8',
  banner: {
    js:
      `/* auth0-lock ${version('auth0-lock')} (MIT, Auth0 Inc.) with auth0-js ` +
      `${version('auth0-js')}, react ${version('react')} and their dependencies, bundled ` +
      `by esbuild ${version('esbuild')} from bundles/auth0-lock.js: make lock-bundle */`,
  },
  logLevel: 'warning',
});

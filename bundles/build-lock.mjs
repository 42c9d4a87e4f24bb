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

// Lock requires auth0-js's UMD Cordova plugin by path. auth0-js is "type": "module", so
// esbuild would read that file as an ES module, in which `module.exports` is nothing:
// loaded outside the file namespace, it is read as the CommonJS it is.
const umdFiles = {
  name: 'umd-files',
  setup(build) {
    build.onResolve({ filter: /^auth0-js\/dist\/cordova-auth0-plugin\.min\.js$/ }, () => ({
      path: join(root, 'node_modules', 'auth0-js', 'dist', 'cordova-auth0-plugin.min.js'),
      namespace: 'umd',
    }));
    build.onLoad({ filter: /.*/, namespace: 'umd' }, (args) => ({
      contents: readFileSync(args.path, 'utf8'),
      loader: 'js',
    }));
  },
};

await esbuild.build({
  plugins: [umdFiles],
  absWorkingDir: root,
  entryPoints: ['bundles/auth0-lock.js'],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2017'],
  platform: 'browser',
  // auth0-js is "type": "module": its ES build, not its UMD file (which esbuild would
  // read as a module and which would then export nothing to Lock's require()).
  mainFields: ['browser', 'module', 'main'],
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

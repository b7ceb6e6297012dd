'use strict';
// Starts the strata CLI (bin/strata execs this).
//
// `strata COMMAND ...` runs dist/bundle/fast/COMMAND.cjs: main and that one command in a single CommonJS
// file (packages/cli/bundle.mjs), compiled through V8's code cache, which Node 20 offers to scripts but not to
// ES modules. Compiling the bundle was a quarter of a cached build's time. The cache is written beside the
// bundle after the first run (temp file, then rename: concurrent first runs cannot leave a torn file; V8
// rejects a cache that does not match the source or the V8 version, and a rejected one is rewritten).
// Anything else (help, an unknown command) runs the ES module bundle, dist/bundle/bin.js.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const bundle = path.join(__dirname, '..', 'dist', 'bundle');
const argv = process.argv.slice(2);
let i = 0;
while (i < argv.length && ['--debug', '--verbose', '-v'].includes(argv[i])) i++;
const name = argv[i];
const file = name !== undefined && /^[a-z][a-z-]*$/.test(name) ? path.join(bundle, 'fast', `${name}.cjs`) : undefined;

if (file !== undefined && fs.existsSync(file)) {
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = fs.readFileSync(file, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // After the run, so the cache also holds the functions this command compiled lazily.
    process.once('beforeExit', () => {
      const tmp = `${cacheFile}.tmp-${process.pid}`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // A read-only install only loses the speed-up.
        fs.rmSync(tmp, { force: true });
      }
    });
  }
  mod.exports.run(argv).then((code) => {
    process.exitCode = code;
  });
} else {
  import(pathToFileURL(path.join(bundle, 'bin.js')).href);
}

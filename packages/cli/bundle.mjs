// Bundles the compiled CLI (dist/src) into dist/bundle: the entry and one file per command (so `strata X`
// still loads only X's code), with the shared code split into chunks. A cached build's time is mostly Node
// resolving, reading and compiling a few hundred small ES modules; one bundle cuts that to a few files.
//
// Packages with native addons or optional native parts stay external and load from node_modules as before
// (better-sqlite3 is only loaded, by createRequire, to take over an older store's state.db).
// Every bundled module keeps its own `import.meta.url` (rewritten to the original file's URL), because the
// packages find their native binaries and worker scripts relative to themselves. The CLI's own modules keep
// the bundle's URL, so main.ts finds the bundled commands beside it.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'dist', 'src');
// dist/bundle is a symlink to one complete build under dist/bundles/, swapped atomically: strata processes
// running while the CLI is rebundled (tests, benchmarks, a second shell) keep reading a whole bundle.
const link = path.join(here, 'dist', 'bundle');
const versions = path.join(here, 'dist', 'bundles');
const id = `${Date.now()}-${process.pid}`;
const out = path.join(versions, id);
const external = ['zstd-napi', 'ssh2', 'ssh2-sftp-client', 'cpu-features'];

const keepOwnUrl = (cliToo) => ({
  name: 'keep-own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if ((!cliToo && args.path.startsWith(src + path.sep)) || !text.includes('import.meta.url')) return undefined;
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
});

/** Newest mtime (ms) of the compiled JavaScript the bundle is made from. */
function newestInput() {
  const repo = path.resolve(here, '..', '..');
  const roots = [
    ...readdirSync(path.join(repo, 'packages')).map((p) => path.join(repo, 'packages', p, 'dist', 'src')),
    path.join(repo, 'native-overlay', 'dist', 'lib'),
  ];
  let newest = 0;
  const walk = (dir) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const r of roots) if (existsSync(r)) walk(r);
  return newest;
}

// `--if-stale`: only when some compiled input is newer than the bundle (benchmarks and tests call this after
// a plain `tsc -b`, which does not bundle).
const marker = path.join(link, 'bin.js');
if (process.argv.includes('--if-stale') && existsSync(marker) && statSync(marker).mtimeMs >= newestInput()) process.exit(0);

const { build } = await import('esbuild');
// CommonJS output imports a Node built-in through __toESM, which copies every property of the module at every
// import site (91 sites, 57 of them node:path, in the build command). Imports of the most used built-ins go
// through one facade each instead: a plain require() and named exports, evaluated once.
/** esbuild's onResolve filter for exactly these module names. */
const only = (names) => new RegExp(`^(${names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
const facadeFor = ['node:path', 'node:fs', 'node:os'];
const builtinFacade = {
  name: 'builtin-facade',
  setup(b) {
    b.onResolve({ filter: only(facadeFor) }, (args) => (args.namespace === 'facade' ? undefined : { path: args.path, namespace: 'facade' }));
    b.onLoad({ filter: /.*/, namespace: 'facade' }, async (args) => {
      const mod = await import(args.path);
      const names = Object.keys(mod).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
      // node:fs makes some members getters that load a module on first read (ReadStream and its kin load the
      // whole streams stack, 8 ms; Dir and opendir theirs; `promises` fs/promises, 2.5 ms): reading them here
      // would load them at start. Functions are exported as forwarding wrappers instead, objects as proxies.
      // (Named too, not only found as getters: some replace themselves with their value once read, and this
      // process's own ESM import of node:fs reads them all.)
      const loadOnRead = ['ReadStream', 'WriteStream', 'FileReadStream', 'FileWriteStream', 'Dir', 'opendir', 'opendirSync', 'promises'];
      const getters = Object.entries(Object.getOwnPropertyDescriptors(mod.default))
        .filter(([n, d]) => (d.get !== undefined || loadOnRead.includes(n)) && names.includes(n)).map(([n]) => n);
      const plain = names.filter((n) => !getters.includes(n));
      return {
        contents: [
          `const m = require(${JSON.stringify(args.path)});`,
          'export default m;',
          `export const { ${plain.join(', ')} } = m;`,
          ...getters.map((n) => (typeof mod[n] === 'function'
            ? `export function ${n}(...a) { return new.target ? Reflect.construct(m.${n}, a) : m.${n}.apply(this, a); }`
            : `export const ${n} = new Proxy({}, { get: (_, k) => m.${n}[k], has: (_, k) => k in m.${n} });`)),
          '',
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

// Built-ins most commands never touch (a cached build opens no socket, spawns nothing, compresses nothing)
// load on first use: their facade exports a wrapper per function and, as the default export, a proxy.
// Importing one of their non-function members by name fails the bundling ("No matching export"), so no
// binding is ever silently wrong.
const lazy = ['node:child_process', 'node:http', 'node:https', 'node:tls', 'node:zlib', 'node:worker_threads', 'node:readline', 'node:fs/promises'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: only(lazy) }, (args) => (args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, async (args) => {
      const mod = await import(args.path);
      const fns = Object.keys(mod).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n) && typeof mod[n] === 'function');
      const id = JSON.stringify(args.path);
      return {
        contents: [
          `let m;\nconst load = () => (m ??= require(${id}));`,
          'export default new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });',
          // `new` gives an instance of the real class (Reflect.construct), called plainly it forwards `this`.
          ...fns.map((n) => `export function ${n}(...a) { return new.target ? Reflect.construct(load().${n}, a) : load().${n}.apply(this, a); }`),
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

// What both bundles share.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  // Minified: V8 scans every byte of a module before running it (20 ms of a cached build). `--debug` turns
  // source maps on, so its stack traces still name the TypeScript files.
  minify: process.env.STRATA_BUNDLE_MINIFY !== '0',
  sourcemap: 'linked',
  logLevel: 'warning',
};

mkdirSync(out, { recursive: true });
const commands = readdirSync(path.join(src, 'commands')).filter((f) => f.endsWith('.js'));
await build({
  entryPoints: [path.join(src, 'bin.js'), ...commands.map((f) => path.join(src, 'commands', f))],
  outbase: src,
  outdir: out,
  ...common,
  splitting: true,
  format: 'esm',
  plugins: [keepOwnUrl(false)],
  // CommonJS dependencies bundled into ESM call require() for Node built-ins.
  banner: { js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);" },
});

// The launcher's fast path (bin/launch.cjs): per command, one CommonJS file holding main and that command,
// which V8 can compile from a code cache (ES modules get none on Node 20): a cached build starts 20 ms sooner.
const fast = path.join(out, 'fast');
await Promise.all(commands.map((f) => build({
  stdin: {
    contents: `import { main } from './main.js';\nimport { command } from './commands/${f}';\nexport const run = (argv) => main(argv, command);\n`,
    resolveDir: src,
    sourcefile: `fast-${f}`,
    loader: 'js',
  },
  outfile: path.join(fast, f.replace(/\.js$/, '.cjs')),
  ...common,
  format: 'cjs',
  // main.ts's own URL too: its `here` must be dist/src (the package.json above it; the ES module commands).
  plugins: [keepOwnUrl(true), builtinFacade, lazyBuiltins],
})));

// Swap the link; a bundle dir of an older layout moves aside first. Older builds stay a while for processes
// that started on them, then go.
const tmpLink = `${link}.tmp-${process.pid}`;
symlinkSync(path.join('bundles', id), tmpLink);
if (existsSync(link) && !lstatSync(link).isSymbolicLink()) renameSync(link, path.join(versions, `old-${id}`));
renameSync(tmpLink, link);
for (const v of readdirSync(versions)) {
  const dir = path.join(versions, v);
  if (v !== id && Date.now() - statSync(dir).mtimeMs > 10 * 60 * 1000) rmSync(dir, { recursive: true, force: true });
}

import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// DESIGN §2 / ARCHITECTURE.md: which strata packages (and which outside libraries) each package may import.
// This table is the map; change it only together with ARCHITECTURE.md.
const ALLOWED: Record<string, string[]> = {
  dockerfile: ['dockerfile-ast'],
  oci: ['tar-stream', 'zstd-napi', 'better-sqlite3'],
  registry: ['@strata/oci'],
  context: ['xxhash-wasm'],
  snapshot: ['@strata/oci', '@strata/native-overlay'],
  executor: [],
  planner: ['@strata/dockerfile', '@strata/oci', 'p-queue'],
  cache: ['@strata/oci', '@strata/registry', 'ssh2-sftp-client'],
  builder: ['@strata/dockerfile', '@strata/oci', '@strata/registry', '@strata/context', '@strata/snapshot',
    '@strata/executor', '@strata/planner', '@strata/cache'],
  inspect: ['@strata/oci', '@strata/registry'],
  cli: ['@strata/builder', '@strata/inspect'],
  'native-overlay': [],
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Bare module specifiers imported by a TypeScript file (static, dynamic and re-exports). */
export function importsOf(text: string): string[] {
  const specs = new Set<string>();
  // Static imports and re-exports start a statement; dynamic import() and require() may stand anywhere.
  const patterns = [
    /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.add(m[1]!);
  return [...specs].filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
}

function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function srcDirOf(pkg: string): string {
  return pkg === 'native-overlay' ? path.join(root, 'native-overlay', 'lib') : path.join(root, 'packages', pkg, 'src');
}

describe('architecture: imports between packages (DESIGN §2)', () => {
  it('finds every import form', () => {
    const text = `import a from 'x';\nimport type { B } from "@strata/oci/sub";\nexport * from '@strata/planner';\nconst m = await import('y');\nimport './local.js';\nimport { z } from 'node:fs';\nimport {\n  c,\n  d,\n} from 'w';\nconst s = 'strata import';\nconst t = "see import 'q'";`;
    assert.deepEqual(importsOf(text).map(packageOf).sort(), ['@strata/oci', '@strata/planner', 'w', 'x', 'y']);
  });

  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    it(`${pkg} imports only what it may`, () => {
      const bad: string[] = [];
      for (const file of sourceFiles(srcDirOf(pkg))) {
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          const name = packageOf(spec);
          if (!allowed.includes(name)) bad.push(`${path.relative(root, file)} imports ${spec}`);
        }
      }
      assert.deepEqual(bad, [], `imports DESIGN §2 does not allow:\n${bad.join('\n')}`);
    });
  }

  it('every package in the tree is in the table', () => {
    const pkgs = readdirSync(path.join(root, 'packages')).filter((d) => statSync(path.join(root, 'packages', d)).isDirectory());
    assert.deepEqual(pkgs.filter((p) => !(p in ALLOWED)), []);
  });
});

import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileError, parse, toStages } from '../src/index.js';

/** fixtures/dockerfiles/bad: each X.Dockerfile must fail with exactly the one line in X.error. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/dockerfiles/bad');

function firstError(text: string, name: string): DockerfileError {
  try {
    toStages(parse(text, { filename: name }), { platform: 'linux/amd64', buildPlatform: 'linux/amd64' });
  } catch (e) {
    if (e instanceof DockerfileError) return e;
    throw new Error(`${name}: threw ${(e as Error)?.constructor?.name}, not DockerfileError: ${(e as Error).message}`);
  }
  throw new Error(`${name}: accepted, expected an error`);
}

describe('negative cases (one-line error with position)', () => {
  const files = readdirSync(root).filter((f) => f.endsWith('.Dockerfile')).sort();
  it('has cases', () => assert.ok(files.length >= 30));
  for (const f of files) {
    it(f.replace(/\.Dockerfile$/, ''), () => {
      const e = firstError(readFileSync(path.join(root, f), 'utf8'), f);
      assert.doesNotMatch(e.message, /\n/);
      const expectedPath = path.join(root, f.replace(/\.Dockerfile$/, '.error'));
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(expectedPath, e.message + '\n');
      assert.equal(e.message, readFileSync(expectedPath, 'utf8').trimEnd());
    });
  }
});

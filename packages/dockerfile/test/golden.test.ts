import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from './render.js';

/** fixtures/dockerfiles/good: each X.Dockerfile against X.golden (set UPDATE_GOLDEN=1 to rewrite, then review). */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/dockerfiles/good');

describe('golden corpus (parse + toStages + lint)', () => {
  const files = readdirSync(root).filter((f) => f.endsWith('.Dockerfile')).sort();
  it('has a corpus', () => assert.ok(files.length >= 10, `only ${files.length} Dockerfiles in ${root}`));
  for (const f of files) {
    it(f, () => {
      const text = readFileSync(path.join(root, f), 'utf8');
      const got = render(text, f);
      const goldenPath = path.join(root, f.replace(/\.Dockerfile$/, '.golden'));
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath, got);
      assert.equal(got, readFileSync(goldenPath, 'utf8'));
    });
  }
});

import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadIgnoreFile, parseIgnoreFile } from '../src/index.js';

describe('context: .dockerignore files', () => {
  it('parses like BuildKit: comments, blanks, leading slash, cleaning, exceptions, BOM', () => {
    const text = '\uFEFFtest1\n/test2\n/a/file/here\n\nlastfile\n# comment\n  # not a comment\n! /inverted/abs/path\n' +
      'dir/\nfoo/../bar\n./x//y\r\n   spaced   \n';
    assert.deepEqual(parseIgnoreFile(text), [
      'test1', 'test2', 'a/file/here', 'lastfile', '# not a comment', '!inverted/abs/path', 'dir', 'bar', 'x/y', 'spaced',
    ]);
  });

  it('prefers <Dockerfile>.dockerignore over the context .dockerignore', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'strata-ctx-'));
    try {
      await writeFile(path.join(dir, '.dockerignore'), 'from-context\n');
      assert.deepEqual((await loadIgnoreFile(dir, 'build/app.Dockerfile')).patterns, ['from-context']);
      await mkdir(path.join(dir, 'build'));
      await writeFile(path.join(dir, 'build', 'app.Dockerfile.dockerignore'), 'from-dockerfile\n');
      const f = await loadIgnoreFile(dir, 'build/app.Dockerfile');
      assert.deepEqual(f.patterns, ['from-dockerfile']);
      assert.equal(f.file, path.join(dir, 'build', 'app.Dockerfile.dockerignore'));
      assert.deepEqual(await loadIgnoreFile(path.join(dir, 'build')), { patterns: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('falls back to .containerignore (buildah, podman) only when there is no .dockerignore', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'strata-ctx-'));
    try {
      await writeFile(path.join(dir, '.containerignore'), 'from-containerignore\n');
      assert.deepEqual((await loadIgnoreFile(dir)).patterns, ['from-containerignore']);
      await writeFile(path.join(dir, '.dockerignore'), 'from-dockerignore\n');
      assert.deepEqual((await loadIgnoreFile(dir)).patterns, ['from-dockerignore']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

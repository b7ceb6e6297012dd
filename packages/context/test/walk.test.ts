import { strict as assert } from 'node:assert';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { BuildContext } from '../src/index.js';
import { makeTree, tempDir } from './helpers.js';

async function paths(dir: string, ignore: string): Promise<string[]> {
  await makeTree(dir, { '.dockerignore': ignore });
  const ctx = await BuildContext.open(dir);
  return [...ctx.entries.keys()].filter((p) => p !== '.').sort();
}

describe('context: walk with .dockerignore', () => {
  let dir = '';
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    [dir, cleanup] = await tempDir('strata-walk-');
    await makeTree(dir, {
      'Dockerfile': 'FROM x', 'src/app.js': 'a', 'src/lib/util.js': 'u', 'src/lib/util.test.js': 't',
      'docs/README.md': 'r', 'docs/guide.md': 'g', 'node_modules/x/index.js': 'x', 'secret.env': 's', 'empty/': '',
    });
    await symlink('src/app.js', path.join(dir, 'link'));
  });
  afterEach(() => cleanup());

  it('includes everything without ignore patterns, symlinks as links', async () => {
    const ctx = await BuildContext.open(dir, { ignorePatterns: [] });
    assert.deepEqual([...ctx.entries.keys()].filter((p) => p !== '.').sort(), [
      'Dockerfile', 'docs', 'docs/README.md', 'docs/guide.md', 'empty', 'link', 'node_modules', 'node_modules/x',
      'node_modules/x/index.js', 'secret.env', 'src', 'src/app.js', 'src/lib', 'src/lib/util.js', 'src/lib/util.test.js',
    ]);
    assert.equal(ctx.entries.get('link')!.type, 'symlink');
    assert.equal(ctx.entries.get('link')!.link, 'src/app.js');
    assert.deepEqual(ctx.entries.get('src')!.children, ['app.js', 'lib']);
  });

  it('drops a directory and everything below it', async () => {
    const got = await paths(dir, 'node_modules\n*.env\n');
    assert.ok(!got.some((p) => p.startsWith('node_modules')));
    assert.ok(!got.includes('secret.env'));
    assert.ok(got.includes('src/lib/util.js'));
  });

  it('re-includes an exception inside an excluded directory, with that directory', async () => {
    const got = await paths(dir, 'docs\n!docs/README.md\n');
    assert.ok(got.includes('docs'));
    assert.ok(got.includes('docs/README.md'));
    assert.ok(!got.includes('docs/guide.md'));
  });

  it('applies ** and wildcard exceptions at any depth', async () => {
    const got = await paths(dir, '**/*.js\n!**/util.js\n');
    assert.ok(!got.includes('src/app.js'));
    assert.ok(!got.includes('src/lib/util.test.js'));
    assert.ok(got.includes('src/lib/util.js'));
    assert.ok(!got.includes('node_modules/x/index.js'));
  });

  it('treats a leading slash and a trailing slash as the same path', async () => {
    const got = await paths(dir, '/src/lib/\n');
    assert.ok(got.includes('src/app.js'));
    assert.ok(!got.includes('src/lib'));
  });

  it('can exclude the ignore file and the Dockerfile themselves', async () => {
    const got = await paths(dir, '.dockerignore\nDockerfile\n');
    assert.ok(!got.includes('.dockerignore'));
    assert.ok(!got.includes('Dockerfile'));
  });

  it('everything excluded but one file keeps just that file and its parents', async () => {
    const got = await paths(dir, '*\n!src/lib/util.js\n');
    assert.deepEqual(got, ['src', 'src/lib', 'src/lib/util.js']);
  });
});

describe('context: open errors', () => {
  it('names a missing or non-directory context in one line', async () => {
    const { ContextError } = await import('../src/index.js');
    await assert.rejects(BuildContext.open('/nonexistent/ctx'), (e: Error) =>
      e instanceof ContextError && e.message === 'build context /nonexistent/ctx: no such directory');
    await assert.rejects(BuildContext.open('/etc/hostname'), (e: Error) =>
      e instanceof ContextError && e.message === 'build context /etc/hostname: not a directory');
  });
});

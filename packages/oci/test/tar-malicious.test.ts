import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { applyLayerEntries, extractLayer, type ExtractOptions, type LayerEntry } from '../src/index.js';
import { craft, dirEntry, fileEntry, type Raw } from './tar-helpers.js';

/**
 * Hostile archives: each must either fail or land inside the target; the directory beside the target
 * (`outside`, holding `victim`) must never change.
 */
describe('extracting hostile layers', () => {
  let tmp: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-evil-'));
    root = path.join(tmp, 'root');
    outside = path.join(tmp, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'victim'), 'precious');
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  function untouched(): void {
    assert.deepEqual(readdirSync(outside), ['victim']);
    assert.equal(readFileSync(path.join(outside, 'victim'), 'utf8'), 'precious');
    assert.deepEqual(readdirSync(tmp).sort(), ['outside', 'root']);
  }
  const run = (raws: Raw[], opts: ExtractOptions = {}) => extractLayer(Readable.from([craft(raws)]), root, opts);
  // Paths relative to the extraction root that reach `outside`.
  const up = '../outside';

  const mustFail: Array<[string, Raw[], RegExp]> = [
    ['../ in a file name', [{ name: `${up}/victim`, data: 'pwned' }], /climbs out/],
    ['.. hidden in the middle', [{ name: `a/../../outside/victim`, data: 'pwned' }], /climbs out/],
    ['a bare ..', [{ name: '..', type: '5' }], /climbs out/],
    ['PAX path override with ..', [{ name: 'harmless', data: 'pwned', pax: [['path', `${up}/victim`]] }], /climbs out/],
    ['GNU long name with ..', [{ name: 'harmless', data: 'pwned', longName: `${up}/${'x'.repeat(100)}` }], /climbs out/],
    ['hardlink target with ..', [{ name: 'h', type: '1', linkname: `${up}/victim` }], /climbs out/],
    ['PAX linkpath with ..', [{ name: 'h', type: '1', linkname: 'ok', pax: [['linkpath', `${up}/victim`]] }], /climbs out/],
    ['whiteout with ..', [{ name: `${up}/.wh.victim` }], /climbs out/],
    ['NUL byte in a PAX path', [{ name: 'x', data: 'pwned', pax: [['path', 'a\0/../../outside/victim']] }], /NUL/],
    ['hardlink to a directory', [{ name: 'd', type: '5' }, { name: 'h', type: '1', linkname: 'd' }], /directory/],
    ['device where devices are rejected', [{ name: 'dev/sda', type: '4', devmajor: 8, devminor: 0 }], /not permitted/],
    ['unknown entry type (GNU sparse)', [{ name: 'sparse', type: 'S' }], /unsupported tar entry type/],
    ['truncated content', [], /unexpected end|end-of-archive/],
  ];
  for (const [what, raws, re] of mustFail) {
    it(`rejects ${what}`, async () => {
      const buf = raws.length ? craft(raws) : craft([{ name: 'f', data: 'x'.repeat(5000) }]).subarray(0, 2048);
      await assert.rejects(extractLayer(Readable.from([buf]), root, { devices: 'reject' }), re);
      untouched();
    });
  }

  it('strips a leading / instead of writing to the host path', async () => {
    const abs = path.join(outside, 'victim');
    await run([{ name: abs, data: 'pwned' }]);
    untouched();
    assert.equal(readFileSync(path.join(root, abs), 'utf8'), 'pwned');
  });

  it('a file through a symlink to an absolute outside dir stays inside', async () => {
    await run([{ name: 'link', type: '2', linkname: outside }, { name: 'link/victim', data: 'pwned' }]);
    untouched();
    assert.equal(readFileSync(path.join(root, outside, 'victim'), 'utf8'), 'pwned');
  });

  it('a file through a relative symlink climbing out stays inside', async () => {
    await run([{ name: 'link', type: '2', linkname: '../../../../outside' }, { name: 'link/victim', data: 'pwned' }]);
    untouched();
    assert.equal(readFileSync(path.join(root, 'outside', 'victim'), 'utf8'), 'pwned');
  });

  it('a chain of symlinks cannot leave the root', async () => {
    await run([
      { name: 'a', type: '2', linkname: 'b' },
      { name: 'b', type: '2', linkname: '../..' + outside },
      { name: 'a/victim', data: 'pwned' },
    ]);
    untouched();
  });

  it('a symlink loop is an error, not a hang', async () => {
    await assert.rejects(run([{ name: 'a', type: '2', linkname: 'b' }, { name: 'b', type: '2', linkname: 'a' }, { name: 'a/x', data: '1' }]), /too many levels/);
    untouched();
  });

  it('a regular file replaces a symlink instead of writing through it', async () => {
    await run([{ name: 'link', type: '2', linkname: path.join(outside, 'victim') }, { name: 'link', data: 'pwned' }]);
    untouched();
    assert.ok(lstatSync(path.join(root, 'link')).isFile());
  });

  it('a symlink planted in the target before extraction is not followed', async () => {
    symlinkSync(outside, path.join(root, 'planted'));
    symlinkSync(path.join(outside, 'victim'), path.join(root, 'file'));
    await run([{ name: 'planted/victim', data: 'pwned' }, { name: 'file', data: 'pwned' }]);
    untouched();
  });

  it('a directory replaced by a symlink to outside is not written through by later entries', async () => {
    // The extractor remembers resolved parent dirs; replacing one must not leave a stale host path behind.
    await run([{ name: 'd/x', data: 'ok' }, { name: 'd', type: '2', linkname: outside }, { name: 'd/victim', data: 'pwned' }]);
    untouched();
    assert.equal(readFileSync(path.join(root, outside, 'victim'), 'utf8'), 'pwned');
    assert.ok(lstatSync(path.join(root, 'd')).isSymbolicLink());
  });

  it('a directory entry replaces a symlink to outside', async () => {
    await run([{ name: 'd', type: '2', linkname: outside }, { name: 'd', type: '5', mode: 0o755 }, { name: 'd/victim', data: 'pwned' }]);
    untouched();
    assert.ok(lstatSync(path.join(root, 'd')).isDirectory());
  });

  it('a hardlink to an absolute host path resolves inside the root (and fails there)', async () => {
    await assert.rejects(run([{ name: 'h', type: '1', linkname: path.join(outside, 'victim') }]), /does not exist/);
    untouched();
  });

  it('a hardlink through a symlinked dir resolves inside the root', async () => {
    await assert.rejects(run([{ name: 'l', type: '2', linkname: outside }, { name: 'h', type: '1', linkname: 'l/victim' }]), /does not exist/);
    untouched();
  });

  it('writing to a hardlink of a symlink does not write through the symlink', async () => {
    await run([
      { name: 's', type: '2', linkname: path.join(outside, 'victim') },
      { name: 'h', type: '1', linkname: 's' },
      { name: 'h', data: 'pwned' },
    ]);
    untouched();
  });

  it('a whiteout through a symlink removes nothing outside', async () => {
    await run([{ name: 'l', type: '2', linkname: outside }, { name: 'l/.wh.victim' }]);
    untouched();
  });

  it('an opaque marker through a symlink clears nothing outside', async () => {
    await run([{ name: 'l', type: '2', linkname: '../outside' }, { name: 'l/.wh..wh..opq' }]);
    untouched();
  });

  it('devices are skipped where skipping is asked for', async () => {
    const st = await run([{ name: 'dev/mem', type: '3', devmajor: 1, devminor: 1 }], { devices: 'skip' });
    assert.equal(st.skippedDevices, 1);
    assert.equal(existsSync(path.join(root, 'dev', 'mem')), false);
    untouched();
  });

  it('setuid bits from the archive are kept only on what it creates inside', async () => {
    await run([{ name: 'suid', data: '#!/bin/sh', mode: 0o4755 }]);
    assert.equal(lstatSync(path.join(root, 'suid')).mode & 0o7777, 0o4755);
    untouched();
  });

  it('change sets handed over directly are checked the same way', async () => {
    const evil: LayerEntry[] = [dirEntry('ok'), fileEntry('ok/../../outside/victim', 'pwned')];
    await assert.rejects(applyLayerEntries(evil, root), /climbs out/);
    const viaLink: LayerEntry[] = [
      { path: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtimeNs: 0n, linkname: outside },
      fileEntry('l/victim', 'pwned'),
    ];
    await applyLayerEntries(viaLink, root);
    untouched();
  });
});

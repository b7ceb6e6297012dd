import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { extractLayer, readLayerTar, writeLayerTar, type LayerEntry } from '../src/index.js';
import { collect, craft, dirEntry, fileEntry } from './tar-helpers.js';

async function readAll(buf: Buffer): Promise<Array<LayerEntry & { content?: Buffer }>> {
  const out: Array<LayerEntry & { content?: Buffer }> = [];
  for await (const e of readLayerTar(Readable.from([buf]))) {
    const x: LayerEntry & { content?: Buffer } = { ...e };
    if (e.open) x.content = await collect(e.open());
    delete x.open;
    out.push(x);
  }
  return out;
}

const binary = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x00, 0x80, 0x0a, 0x3d, 0x20]);
const longName = 'd/' + 'x'.repeat(150) + '/' + 'y'.repeat(120);

function sample(): LayerEntry[] {
  return [
    { path: 'a', type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
    dirEntry('bin'),
    fileEntry('bin/ping', 'PING', { mode: 0o4755, xattrs: { 'security.capability': binary, 'user.text': Buffer.from('héllo') } }),
    { path: 'bin/ping2', type: 'hardlink', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 0n, linkname: 'bin/ping' },
    { path: 'bin/sh', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtimeNs: 0n, linkname: '/bin/busybox' },
    dirEntry('d'),
    fileEntry(longName, Buffer.alloc(70000, 'z'), { uid: 3000000, gid: 1000, uname: 'someone', gname: 'staff' }),
    { path: 'dev/null', type: 'char', mode: 0o666, uid: 0, gid: 0, size: 0, mtimeNs: 0n, devmajor: 1, devminor: 3 },
    { path: 'dev/sda', type: 'block', mode: 0o660, uid: 0, gid: 6, size: 0, mtimeNs: 0n, devmajor: 8, devminor: 0 },
    { path: 'etc/gone', type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
    { path: 'fifo', type: 'fifo', mode: 0o600, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
    dirEntry('opq'),
    { path: 'opq', type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
  ];
}

describe('layer tar', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-tar-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('round-trips every entry kind, binary xattrs, long names and big ids', async () => {
    const tar = await collect(writeLayerTar(sample()));
    assert.equal(tar.length % 512, 0);
    const back = await readAll(tar);
    const byPath = (p: string, t?: string) => back.find((e) => e.path === p && (!t || e.type === t))!;
    assert.equal(back.length, sample().length);
    assert.deepEqual(byPath('bin/ping').xattrs!['security.capability'], binary);
    assert.equal(byPath('bin/ping').xattrs!['user.text']!.toString(), 'héllo');
    assert.equal(byPath('bin/ping').mode, 0o4755);
    assert.equal(byPath('bin/ping').content!.toString(), 'PING');
    assert.equal(byPath('bin/ping2').type, 'hardlink');
    assert.equal(byPath('bin/ping2').linkname, 'bin/ping');
    assert.equal(byPath('bin/sh').linkname, '/bin/busybox');
    const big = byPath(longName);
    assert.equal(big.uid, 3000000);
    assert.equal(big.uname, 'someone');
    assert.equal(big.content!.length, 70000);
    assert.equal(byPath('dev/null').devmajor, 1);
    assert.equal(byPath('dev/null').devminor, 3);
    assert.equal(byPath('dev/sda').type, 'block');
    assert.equal(byPath('etc/gone').type, 'whiteout');
    assert.equal(byPath('fifo').type, 'fifo');
    assert.equal(byPath('opq', 'opaque').type, 'opaque');
    assert.equal(byPath('a', 'opaque').type, 'opaque');
    assert.equal(byPath('bin/ping').mtimeNs, 1_700_000_000_000_000_000n);
  });

  it('is deterministic and readable by GNU tar with the expected names', async () => {
    const a = await collect(writeLayerTar(sample()));
    const b = await collect(writeLayerTar(sample()));
    assert.deepEqual(a, b);
    writeFileSync(path.join(tmp, 'l.tar'), a);
    const names = execFileSync('tar', ['-tf', path.join(tmp, 'l.tar')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(names, ['a/.wh..wh..opq', 'bin/', 'bin/ping', 'bin/ping2', 'bin/sh', 'd/', longName, 'dev/null', 'dev/sda', 'etc/.wh.gone', 'fifo', 'opq/', 'opq/.wh..wh..opq']);
    const verbose = execFileSync('tar', ['-tvf', path.join(tmp, 'l.tar'), 'bin/sh'], { encoding: 'utf8' });
    assert.match(verbose, /^lrwxrwxrwx 0\/0 .* bin\/sh -> \/bin\/busybox/);
  });

  it('refuses unsorted entries', async () => {
    await assert.rejects(collect(writeLayerTar([fileEntry('b', 'x'), fileEntry('a', 'y')])), /not sorted/);
  });

  it('refuses content whose length differs from its size', async () => {
    await assert.rejects(collect(writeLayerTar([fileEntry('a', 'xyz', { size: 5 })])), /header says 5/);
  });

  it('writes content read with readSync exactly as streamed content, and checks its length', async () => {
    const synced: LayerEntry[] = [];
    for (const e of sample()) {
      if (e.type !== 'file') { synced.push(e); continue; }
      const content = await collect(e.open!());
      synced.push({ ...e, readSync: () => content, open: () => { throw new Error('open() used despite readSync'); } });
    }
    assert.deepEqual(await collect(writeLayerTar(synced)), await collect(writeLayerTar(sample())));
    const grown = { ...fileEntry('a', 'xyz'), readSync: () => Buffer.from('xyzw') };
    await assert.rejects(collect(writeLayerTar([grown])), /content is 4 bytes, header says 3 \(changed while read\?\)/);
  });

  it('reads a GNU tar archive (long names via GNU headers, ./ prefixes)', async () => {
    const src = path.join(tmp, 'src');
    execFileSync('mkdir', ['-p', path.join(src, 'sub', 'z'.repeat(120))]);
    writeFileSync(path.join(src, 'sub', 'z'.repeat(120), 'f'), 'data');
    execFileSync('ln', ['-s', 'sub', path.join(src, 'link')]);
    execFileSync('tar', ['--format=gnu', '-C', src, '-cf', path.join(tmp, 'g.tar'), '.']);
    const back = await readAll(readFileSync(path.join(tmp, 'g.tar')));
    const f = back.find((e) => e.path === `sub/${'z'.repeat(120)}/f`)!;
    assert.equal(f.content!.toString(), 'data');
    assert.equal(back.find((e) => e.path === 'link')!.linkname, 'sub');
    assert.ok(!back.some((e) => e.path === '' || e.path.startsWith('.')));
  });

  it('extracts a written layer with modes, links and whiteouts applied', async () => {
    const dir = path.join(tmp, 'root');
    execFileSync('mkdir', ['-p', path.join(dir, 'etc'), path.join(dir, 'opq', 'old')]);
    writeFileSync(path.join(dir, 'etc', 'gone'), 'x');
    writeFileSync(path.join(dir, 'opq', 'old', 'f'), 'x');
    const entries = sample().filter((e) => e.path !== 'a');
    entries.push(fileEntry('opq/new', 'n'));
    await extractLayer(writeLayerTar(entries), dir, { devices: 'create' });
    assert.equal(lstatSync(path.join(dir, 'bin', 'ping')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(path.join(dir, 'bin', 'ping')).ino, lstatSync(path.join(dir, 'bin', 'ping2')).ino);
    assert.equal(readlinkSync(path.join(dir, 'bin', 'sh')), '/bin/busybox');
    assert.ok(lstatSync(path.join(dir, 'dev', 'null')).isCharacterDevice());
    assert.ok(lstatSync(path.join(dir, 'fifo')).isFIFO());
    assert.throws(() => lstatSync(path.join(dir, 'etc', 'gone')));
    assert.throws(() => lstatSync(path.join(dir, 'opq', 'old')));
    assert.equal(readFileSync(path.join(dir, 'opq', 'new'), 'utf8'), 'n');
    assert.equal(lstatSync(path.join(dir, longName)).uid, 3000000);
    assert.equal(Math.floor(lstatSync(path.join(dir, 'bin')).mtimeMs / 1000), 1_700_000_000);
  });

  it('rejects truncated archives and bad checksums', async () => {
    const good = craft([{ name: 'f', data: 'x'.repeat(2000) }]);
    await assert.rejects(readAll(good.subarray(0, 1000)), /unexpected end/);
    await assert.rejects(readAll(good.subarray(0, 512 * 5)), /end-of-archive/);
    const bad = Buffer.from(good);
    bad[10] = 0x41;
    await assert.rejects(readAll(bad), /checksum/);
  });
});

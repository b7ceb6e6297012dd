import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { compress } from '@strata/oci';
import { isTarHeader, sniffArchive } from '../src/add-sources.js';

// ADD unpacks a local file when Docker would: its content, decompressed where its first bytes name a
// compression, starts with a valid tar header. Everything else is copied as it is.
describe('ADD: which local files are archives', function () {
  let work: string;
  let tar: Buffer;
  const file = (name: string, data: Buffer) => {
    fs.writeFileSync(path.join(work, name), data);
    return path.join(work, name);
  };

  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sniff-'));
    fs.mkdirSync(path.join(work, 'src'));
    fs.writeFileSync(path.join(work, 'src', 'x.txt'), 'x\n');
    assert.equal(spawnSync('tar', ['-cf', path.join(work, 'made.tar'), '-C', path.join(work, 'src'), 'x.txt']).status, 0);
    tar = fs.readFileSync(path.join(work, 'made.tar'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('takes a tar, plain or compressed by any of gzip, bzip2, xz and zstd', async () => {
    assert.equal(await sniffArchive(file('a.tar', tar)), 'tar');
    assert.equal(await sniffArchive(file('a.tgz', gzipSync(tar))), 'gzip');
    const zst = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      compress(Readable.from([tar]), 'zstd').on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
    });
    assert.equal(await sniffArchive(file('a.tar.zst', zst)), 'zstd');
    for (const [tool, kind] of [['bzip2', 'bzip2'], ['xz', 'xz']] as const) {
      const out = spawnSync(tool, ['-c'], { input: tar });
      assert.equal(out.status, 0);
      assert.equal(await sniffArchive(file(`a.tar.${tool}`, out.stdout)), kind, tool);
    }
  });

  it('names no archive by its file name alone, and takes an old V7 tar that has no "ustar" magic', async () => {
    assert.equal(await sniffArchive(file('renamed.bin', gzipSync(tar))), 'gzip');
    const v7 = Buffer.from(tar);
    v7.fill(0, 257, 265); // magic and version gone: a V7 header
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : v7[i]!;
    v7.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.equal(isTarHeader(v7), true);
    assert.equal(await sniffArchive(file('v7.tar', v7)), 'tar');
  });

  it('copies as they are: compressed text, an empty tar, a bad checksum, a corrupt or short stream', async () => {
    assert.equal(await sniffArchive(file('text.gz', gzipSync('just text\n'))), undefined);
    const xzText = spawnSync('xz', ['-c'], { input: 'just text\n' }).stdout;
    assert.equal(await sniffArchive(file('text.xz', xzText)), undefined);
    assert.equal(await sniffArchive(file('empty.tar', Buffer.alloc(10240))), undefined);
    const bad = Buffer.from(tar);
    bad[0] = bad[0]! + 1;
    assert.equal(await sniffArchive(file('bad.tar', bad)), undefined);
    const gz = gzipSync(tar);
    assert.equal(await sniffArchive(file('cut.tgz', gz.subarray(0, 20))), undefined);
    assert.equal(await sniffArchive(file('short.tar', tar.subarray(0, 300))), undefined);
    assert.equal(await sniffArchive(file('nothing', Buffer.alloc(0))), undefined);
    const bz = spawnSync('bzip2', ['-c'], { input: tar }).stdout;
    assert.equal(await sniffArchive(file('cut.tar.bz2', bz.subarray(0, 30))), undefined);
  });
});

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry, type RegistryServer } from '../support/registry-server.js';
import { fixtures, sourceWriters } from './support.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'dist', 'src', 'bin.js');
const { wasteImage } = await fixtures();
const { pushTo, saveLocal, writeDockerArchive, writeLayout } = await sourceWriters();

describe('strata inspect commands on bad input: one line, non-zero exit, nothing on stdout', function () {
  this.timeout(120000);
  let tmp: string;
  const root = () => path.join(tmp, 'root');
  const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: root() } });
  /** Runs every layer-reading command and the metadata ones; each must fail the same clean way. */
  const failsCleanly = (args: string[], re: RegExp) => {
    const r = strata(...args);
    assert.equal(r.status, 1, `strata ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '', 'no partial answer on stdout');
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-inspect-bad-'));
    const img = await wasteImage();
    await saveLocal(root(), img, 'good:v1');
    await writeLayout(path.join(tmp, 'layout'), img, 'v1');
    await writeDockerArchive(path.join(tmp, 'archive.tar'), img, 'waste:v1', 'legacy');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a missing image, layer or path', () => {
    for (const cmd of ['history', 'inspect', 'ls', 'analyze']) failsCleanly([cmd, 'nope:1'], /^strata: nope:1: no such image in the local store/);
    failsCleanly(['diff', 'good:v1', 'nope:2'], /^strata: nope:2: no such image/);
    failsCleanly(['ls', `oci:${tmp}/layout:v9`], /no image named v9/);
    failsCleanly(['ls', `oci:${tmp}/nowhere`], /not an OCI layout/);
    failsCleanly(['ls', `docker-archive:${tmp}/missing.tar`], /missing\.tar/);
    failsCleanly(['ls', '--layer', '7', 'good:v1'], /^strata: good:v1: no layer 7 \(the image has 3 layers, 0\.\.2\)$/m);
    failsCleanly(['ls', 'good:v1', '/no/such/dir'], /^strata: good:v1: no such path \/no\/such\/dir$/m);
    failsCleanly(['analyze', '--html', path.join(tmp, 'no', 'dir', 'r.html'), 'good:v1'], /^strata: cannot write .*r\.html: ENOENT$/m);
  });

  it('a corrupted layer blob in the local store', () => {
    const blobs = path.join(root(), 'blobs', 'sha256');
    const dir = readdirSync(blobs, { recursive: true }).map(String).filter((f) => statSync(path.join(blobs, f)).isFile());
    // the largest blob is the base layer: flip a byte in its middle
    const big = dir.map((f) => path.join(blobs, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const saved = readFileSync(big);
    const bad = Buffer.from(saved);
    bad[bad.length >> 1] ^= 0x55;
    writeFileSync(big, bad);
    try {
      for (const cmd of [['analyze'], ['ls'], ['diff', 'good:v1']]) failsCleanly([...cmd, 'good:v1'], /^strata: .*(layer 0|sha256:[0-9a-f]{64}).*(digest|mismatch|hash|invalid|incorrect|check)/i);
      assert.equal(strata('history', 'good:v1').status, 0, 'history reads no layer');
    } finally {
      writeFileSync(big, saved);
    }
  });

  it('a truncated docker-archive', () => {
    const file = path.join(tmp, 'archive.tar');
    const cut = path.join(tmp, 'cut.tar');
    writeFileSync(cut, readFileSync(file));
    truncateSync(cut, statSync(file).size - 20000);
    failsCleanly(['analyze', `docker-archive:${cut}`], /^strata: .*cut\.tar.*truncated/);
  });

  it('a malformed manifest in an OCI layout', () => {
    const layout = path.join(tmp, 'layout');
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'));
    const mpath = path.join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7));
    const good = readFileSync(mpath);
    try {
      writeFileSync(mpath, Buffer.from('{"schemaVersion":2,"layers":"nope"}'));
      failsCleanly(['inspect', `oci:${layout}:v1`], /^strata: oci:.*(digest|manifest|mismatch)/i);
      failsCleanly(['analyze', `oci:${layout}:v1`], /^strata: oci:.*(digest|manifest|mismatch)/i);
    } finally {
      writeFileSync(mpath, good);
    }
  });

  describe('a registry that refuses', () => {
    let reg: RegistryServer;
    before(async () => {
      reg = await startRegistry({ auth: { username: 'u', password: 'p' } });
    });
    after(async () => reg?.stop());

    it('without credentials, for an unknown repository, and when it is gone', async () => {
      failsCleanly(['history', `${reg.host}/inspect/waste:v1`], /^strata: .*(401|auth|unauthorized|denied|credentials)/i);
      const open = await startRegistry();
      try {
        await pushTo(open.host, await wasteImage(), 'inspect/waste:v1');
        failsCleanly(['analyze', `${open.host}/inspect/other:v1`], /^strata: .*(not found|unknown|404)/i);
      } finally {
        await open.stop();
      }
      failsCleanly(['ls', `${open.host}/inspect/waste:v1`], /^strata: .*(ECONNREFUSED|connect|refused|unreachable)/i);
    });
  });
});

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry, type RegistryServer } from '../support/registry-server.js';
import { fixtures, sourceWriters } from './support.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'dist', 'src', 'bin.js');
const { BASE_BYTES, DOC, L1_BYTES, L2_BYTES, PASSWD, rebuildImage, wasteImage } = await fixtures();
const { pushTo, saveLocal, writeDockerArchive, writeLayout } = await sourceWriters();

/** One source of the two fixture images: how to name v1 (the waste image) and v2 (its rebuild). */
interface Source { name: string; v1: string; v2: string }

describe('strata history / inspect / ls / diff / analyze from every source', function () {
  this.timeout(120000);
  let tmp: string;
  let reg: RegistryServer;
  const sources: Source[] = [];
  const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: path.join(tmp, 'root') } });
  const ok = (...args: string[]) => {
    const r = strata(...args);
    assert.equal(r.status, 0, `strata ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  };

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-inspect-src-'));
    const [v1, v2] = [await wasteImage(), await rebuildImage()];
    await saveLocal(path.join(tmp, 'root'), v1, 'waste:v1');
    await saveLocal(path.join(tmp, 'root'), v2, 'waste:v2');
    sources.push({ name: 'local store', v1: 'waste:v1', v2: 'waste:v2' });
    await writeLayout(path.join(tmp, 'layout1'), v1, 'v1');
    await writeLayout(path.join(tmp, 'layout2'), v2, 'v2');
    sources.push({ name: 'OCI layout', v1: `oci:${tmp}/layout1:v1`, v2: `oci:${tmp}/layout2` });
    for (const form of ['legacy', 'oci'] as const) {
      await writeDockerArchive(path.join(tmp, `${form}1.tar`), v1, 'waste:v1', form);
      await writeDockerArchive(path.join(tmp, `${form}2.tar`), v2, 'waste:v2', form);
      sources.push({ name: `docker-archive (${form} docker save)`, v1: `docker-archive:${tmp}/${form}1.tar`, v2: `docker-archive:${tmp}/${form}2.tar` });
    }
    reg = await startRegistry();
    sources.push({ name: 'registry', v1: await pushTo(reg.host, v1, 'inspect/waste:v1'), v2: await pushTo(reg.host, v2, 'inspect/waste:v2') });
  });
  after(async () => {
    await reg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const each = (title: string, fn: (s: Source) => void) => {
    for (const kind of ['local store', 'OCI layout', 'docker-archive (legacy docker save)', 'docker-archive (oci docker save)', 'registry']) {
      it(`${title} — ${kind}`, () => fn(sources.find((s) => s.name === kind)!));
    }
  };

  each('history lists every step with its layer', (s) => {
    const rows = JSON.parse(ok('history', '--json', s.v1)) as { index: number; createdBy: string; emptyLayer: boolean; layer?: { index: number } }[];
    assert.deepEqual(rows.map((r) => [r.index, r.emptyLayer, r.layer?.index]), [[0, false, 0], [1, true, undefined], [2, false, 1], [3, false, 2], [4, true, undefined]]);
    assert.equal(rows[3]!.createdBy, 'COPY app /app # buildkit');
  });

  each('inspect shows config and layers', (s) => {
    const doc = JSON.parse(ok('inspect', '--format', 'json', s.v1)) as { layers: { diffId: string }[]; config: { config: { Cmd: string[] } } };
    assert.equal(doc.layers.length, 3);
    assert.deepEqual(doc.config.config.Cmd, ['/bin/sh']);
    const cfg = JSON.parse(ok('inspect', '--config', s.v1)) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(cfg.rootfs.diff_ids, doc.layers.map((l) => l.diffId));
    assert.match(ok('inspect', s.v1), /\nLayers: +3 \(/);
  });

  each('ls lists the merged tree and one layer', (s) => {
    assert.equal(ok('ls', s.v1, '/usr/share'), '/usr/share/\n/usr/share/doc/\n/usr/share/doc/a.txt\n/usr/share/doc/b.txt\n');
    assert.equal(ok('ls', '--layer', '1', s.v1, '/var'), 'D /var/cache/apt\n');
    const rows = JSON.parse(ok('ls', '--json', s.v1, '/etc/passwd')) as { size: number; sha256: string; mode: string }[];
    assert.deepEqual(rows.map((r) => [r.size, r.mode]), [[PASSWD.length, '0644']]);
  });

  each('analyze reports the known waste and dive efficiency', (s) => {
    const a = JSON.parse(ok('analyze', '--json', s.v1)) as {
      totalBytes: number; waste: { overwrittenBytes: number; deletedBytes: number; duplicateBytes: number }; efficiency: { score: number; wastedBytes: number };
    };
    assert.equal(a.totalBytes, BASE_BYTES + L1_BYTES + L2_BYTES);
    assert.deepEqual([a.waste.overwrittenBytes, a.waste.deletedBytes, a.waste.duplicateBytes], [1003, 14800, DOC.length + 5000]);
    assert.equal(a.efficiency.score, (PASSWD.length + 28903) / (PASSWD.length + 40106));
    assert.equal(a.efficiency.wastedBytes, 12206);
    const gate = strata('analyze', '--max-wasted-bytes', '10kB', s.v1);
    assert.equal(gate.status, 1);
    assert.equal(gate.stderr, 'strata: analyze: wasted bytes 21453 (21.5 kB) exceed --max-wasted-bytes 10000\n');
    assert.match(gate.stdout, /^Image: /, 'the report is still printed');
  });

  each('diff finds the known changes, attributed to their steps', (s) => {
    const d = JSON.parse(ok('diff', '--json', s.v1, s.v2)) as { changes: { path: string; kind: string; aspects: string[]; by: { side: string; layer: number } }[]; summary: object };
    assert.deepEqual(d.summary, { added: 2, removed: 2, changed: 7, mtimeOnlyHidden: 1 });
    assert.deepEqual(d.changes.map((c) => `${c.kind} ${c.path} ${c.aspects.join(',')} ${c.by.side}${c.by.layer}`), [
      'changed /app/main content b3', 'added /app/new  b3', 'removed /app/tool-copy  b3', 'changed /bin/sh link b2',
      'changed /etc/config content b1', 'added /etc/extra  b2', 'changed /etc/mode-only mode b1', 'changed /etc/owner-only owner b1',
      'changed /usr/bin/tool xattrs b1', 'removed /usr/lib/libx.so  b2', 'changed /usr/share/doc/a.txt type b2']);
    const layers = JSON.parse(ok('diff', '--json', `${s.v1}#1`, `${s.v2}#1`)) as { changes: { path: string }[] };
    assert.deepEqual(layers.changes.map((c) => c.path), ['/etc/config', '/etc/mode-only', '/etc/owner-only', '/usr/bin/tool']);
  });

  it('diffs two builds of one tag: the old build by digest after the tag moved', async () => {
    const root = path.join(tmp, 'root');
    const oldDigest = (JSON.parse(ok('inspect', '--format', 'json', 'waste:v1')) as { digest: string }).digest;
    await saveLocal(root, await rebuildImage(), 'waste:v1');
    assert.notEqual((JSON.parse(ok('inspect', '--format', 'json', 'waste:v1')) as { digest: string }).digest, oldDigest, 'the tag moved');
    const d = JSON.parse(ok('diff', '--json', `waste:v1@${oldDigest}`, 'waste:v1')) as { summary: object };
    assert.deepEqual(d.summary, { added: 2, removed: 2, changed: 7, mtimeOnlyHidden: 1 });
    await saveLocal(root, await wasteImage(), 'waste:v1');
  });

  it('writes the HTML reports whole', () => {
    const s = sources[0]!;
    ok('analyze', '--html', path.join(tmp, 'a.html'), s.v1);
    ok('diff', '--html', path.join(tmp, 'd.html'), s.v1, s.v2);
    for (const f of ['a.html', 'd.html']) {
      const html = readFileSync(path.join(tmp, f), 'utf8');
      assert.match(html, /^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
      assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'nothing loaded from elsewhere');
    }
    assert.equal(existsSync(path.join(tmp, '.a.html.' + process.pid + '.tmp')), false);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSnapshotter } from '@strata/snapshot';
import { reapStale, scratchName } from '../src/stale.js';

describe('reapStale', function () {
  let root: string;

  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-stale-'));
  });
  afterEach(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('removes a dead process\'s executor scratch and stdin context with their files, and keeps a live one\'s', async function () {
    const dead = spawnSync('true').pid!;
    const tmp = path.join(root, 'tmp');
    const deadExec = path.join(tmp, `exec-${dead}-abc123`);
    const liveExec = path.join(tmp, `${scratchName('exec')}def456`);
    const deadStep = path.join(tmp, `step-${dead}-ghi789`);
    const deadStdin = path.join(tmp, `stdin-${dead}-mno345`);
    for (const d of [deadExec, liveExec, deadStep, path.join(deadStdin, 'context', 'src')]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(deadStdin, 'context', 'src', 'a.txt'), 'a');
    for (const d of [deadExec, liveExec]) {
      fs.writeFileSync(path.join(d, 'hosts'), '127.0.0.1 localhost\n');
      fs.writeFileSync(path.join(d, 'resolv.conf'), '');
    }
    const snap = await openSnapshotter({ root });
    assert.equal(await reapStale(root, snap), 3);
    assert.equal(fs.existsSync(deadExec), false);
    assert.equal(fs.existsSync(deadStdin), false, 'a context unpacked from stdin goes with its files');
    assert.equal(fs.existsSync(deadStep), false);
    assert.deepEqual(fs.readdirSync(liveExec).sort(), ['hosts', 'resolv.conf']);
  });

  it('leaves a dead process\'s step dir that still holds files (it may be a mount seen through)', async function () {
    const dead = spawnSync('true').pid!;
    const step = path.join(root, 'tmp', `step-${dead}-jkl012`);
    fs.mkdirSync(step, { recursive: true });
    fs.writeFileSync(path.join(step, 'f'), 'x');
    const snap = await openSnapshotter({ root });
    assert.equal(await reapStale(root, snap), 0);
    assert.equal(fs.readFileSync(path.join(step, 'f'), 'utf8'), 'x');
  });

  it('reads the snapshot records when a dead process left scratch, or every few minutes, not on every build', async function () {
    const dead = spawnSync('true').pid!;
    const snap = await openSnapshotter({ root });
    const keys = async () => (await snap.list()).map((i) => i.key).sort();
    await snap.prepare(`step-${dead}-first`);
    assert.equal(await reapStale(root, snap), 1, 'no scan recorded yet: the records are read');
    assert.deepEqual(await keys(), []);
    await snap.prepare(`step-${dead}-second`);
    assert.equal(await reapStale(root, snap), 0, 'scanned a moment ago and no dead scratch: the records are not read');
    assert.deepEqual(await keys(), [`step-${dead}-second`]);
    fs.mkdirSync(path.join(root, 'tmp', `step-${dead}-scratch`));
    assert.equal(await reapStale(root, snap), 2, 'dead scratch found: its snapshot goes too');
    assert.deepEqual(await keys(), []);
    await snap.prepare(`step-${dead}-third`);
    const old = new Date(Date.now() - 10 * 60 * 1000);
    fs.utimesSync(path.join(root, 'snapshots', '.reaped'), old, old);
    assert.equal(await reapStale(root, snap), 1, 'the last scan is old: the records are read again');
  });
});

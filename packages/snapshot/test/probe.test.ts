import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native } from '@strata/native-overlay';
import { chooseDriver, DriverUnavailableError } from '../src/index.js';
import { removeTestDir } from './support/cleanup.js';

describe('driver choice', function () {
  let work: string;
  let overlayRoot: string;
  let release: (() => void) | undefined;

  before(function () {
    // A state root on an overlay mount: the kernel refuses overlayfs as an upper filesystem, so the probe fails
    // for a real reason and the fallbacks get exercised.
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapprobe-'));
    for (const d of ['lo1', 'lo2', 'up', 'wk', 'mnt']) fs.mkdirSync(path.join(work, d));
    native().mountOverlay(path.join(work, 'mnt'), [path.join(work, 'lo1'), path.join(work, 'lo2')], path.join(work, 'up'), path.join(work, 'wk'), []);
    overlayRoot = path.join(work, 'mnt', 'root');
    fs.mkdirSync(overlayRoot);
    release = () => native().unmount(path.join(work, 'mnt'), 0);
  });
  after(function () {
    release?.();
    removeTestDir(work);
  });

  it('picks overlay where a kernel overlay mount works', async function () {
    const c = await chooseDriver(path.join(work, 'plain'));
    assert.equal(c.name, 'overlay');
  });

  it('falls back to unionfs when overlay cannot mount there, naming the reason', async function () {
    const c = await chooseDriver(overlayRoot, { unionfsBinary: '/usr/bin/fuse-overlayfs' });
    assert.equal(c.name, 'unionfs');
    assert.match(c.reason, /^unionfs: kernel overlay failed \(.+\); \/dev\/fuse usable, using \/usr\/bin\/fuse-overlayfs$/);
  });

  it('falls back to copy when neither union works', async function () {
    const c = await chooseDriver(overlayRoot, { unionfsBinary: path.join(work, 'no-such-unionfs') });
    assert.equal(c.name, 'copy');
    assert.match(c.reason, /^copy: kernel overlay failed \(.+\); unionfs unavailable \(.*no-such-unionfs is not built\)$/);
  });

  it('remembers a probe that worked, trusting it only for the same kernel, filesystem, user and mount namespace', async function () {
    const root = path.join(work, 'remember');
    assert.equal((await chooseDriver(root)).name, 'overlay');
    const record = path.join(root, 'snapshots', 'overlay-probe');
    const identity = JSON.parse(fs.readFileSync(record, 'utf8')) as Record<string, unknown>;
    assert.equal(identity.kernel, os.release());
    assert.equal(identity.mntns, fs.readlinkSync('/proc/self/ns/mnt'));
    // The record is what is trusted: copied to a root where overlay cannot mount, with the same identity
    // (tmp/ on the same filesystem), it stands; with another kernel named in it, the probe runs again.
    const elsewhere = path.join(overlayRoot, 'remembered');
    fs.mkdirSync(path.join(elsewhere, 'snapshots'), { recursive: true });
    fs.mkdirSync(path.join(elsewhere, 'tmp'), { recursive: true });
    const there = { ...identity, dev: fs.statSync(path.join(elsewhere, 'tmp')).dev };
    fs.writeFileSync(path.join(elsewhere, 'snapshots', 'overlay-probe'), JSON.stringify(there));
    assert.equal((await chooseDriver(elsewhere, { unionfsBinary: path.join(work, 'none') })).name, 'overlay');
    fs.writeFileSync(path.join(elsewhere, 'snapshots', 'overlay-probe'), JSON.stringify({ ...there, kernel: 'other' }));
    assert.equal((await chooseDriver(elsewhere, { unionfsBinary: path.join(work, 'none') })).name, 'copy');
    assert.match(fs.readFileSync(path.join(elsewhere, 'snapshots', 'overlay-probe'), 'utf8'), /"kernel":"other"/, 'a failed probe is not recorded');
  });

  it('refuses a forced driver that cannot work', async function () {
    await assert.rejects(chooseDriver(overlayRoot, { driver: 'overlay' }), DriverUnavailableError);
    assert.equal((await chooseDriver(overlayRoot, { driver: 'copy' })).name, 'copy');
  });
});

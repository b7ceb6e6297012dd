// Copy-up shortcuts: a chmod of a lower file builds the copy with the new mode (and answers with the copy's
// stat), and an open for writing keeps the copy-up's descriptor as its own. These check that the result is
// the same as the long way round: owner, set-id bits, xattrs and times of the copy, and every operation on the
// open descriptor (write, append, truncate, fsync, fstat) landing in the upper file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { native } from '../lib/index.js';
import { Union } from './union-fixture.js';

for (const variant of ['release', 'ASan/UBSan', 'no passthrough'] as const) describe(`strata-unionfs copy-up shortcuts (${variant})`, function () {
  let u: Union;
  beforeEach(async () => {
    u = new Union(1);
    u.sanitized = variant === 'ASan/UBSan';
    for (const n of ['mine', 'theirs', 'setid', 'open', 'append']) fs.writeFileSync(u.l(0, n), `lower ${n}`);
    fs.chownSync(u.l(0, 'theirs'), 1234, 5678);
    fs.chmodSync(u.l(0, 'setid'), 0o755);
    native().setXattr(u.l(0, 'mine'), 'user.k', Buffer.from('v'), 0);
    for (const n of ['mine', 'theirs', 'setid']) native().lutimesNs(u.l(0, n), 1_500_000_000_000_000_000n, 1_600_000_000_000_000_000n);
    await u.mountUnionfs(variant === 'no passthrough' ? ['nopassthrough'] : []);
  });
  afterEach(async () => {
    await u.dispose();
    assert.doesNotMatch(u.stderr, /AddressSanitizer|runtime error|LeakSanitizer|exit status/, u.stderr);
  });

  it('chmod copies up with the new mode, keeping owner, xattrs, times and data', () => {
    const before = fs.statSync(u.m('mine'));
    fs.chmodSync(u.m('mine'), 0o604);
    const merged = fs.statSync(u.m('mine'));
    assert.equal(merged.mode & 0o7777, 0o604);
    assert.equal(merged.ino, before.ino);
    assert.ok(merged.ctimeMs >= before.ctimeMs);
    const up = native().lstatNs(u.u('mine'));
    assert.equal(up.mode & 0o7777, 0o604);
    assert.equal(up.mtimeNs, 1_600_000_000_000_000_000n);
    assert.deepEqual(native().getXattr(u.u('mine'), 'user.k'), Buffer.from('v'));
    assert.equal(fs.readFileSync(u.u('mine'), 'utf8'), 'lower mine');
    assert.deepEqual(fs.readdirSync(u.work), [], 'nothing left in the work dir');
  });

  it('chmod of another owner\'s file and to set-id modes keeps the owner and the bits', () => {
    fs.chmodSync(u.m('theirs'), 0o600);
    const t = fs.statSync(u.u('theirs'));
    assert.deepEqual([t.uid, t.gid, t.mode & 0o7777], [1234, 5678, 0o600]);
    assert.equal(fs.statSync(u.m('theirs')).mode & 0o7777, 0o600);
    fs.chmodSync(u.m('setid'), 0o6755);
    assert.equal(fs.statSync(u.u('setid')).mode & 0o7777, 0o6755);
    assert.equal(fs.statSync(u.m('setid')).mode & 0o7777, 0o6755);
  });

  it('an open that copied the file up writes, truncates, syncs and stats the upper file', () => {
    const fd = fs.openSync(u.m('open'), 'r+');
    try {
      fs.writeSync(fd, 'UPPER', 0);
      assert.equal(fs.fstatSync(fd).size, 'lower open'.length);
      fs.ftruncateSync(fd, 3);
      assert.equal(fs.fstatSync(fd).size, 3);
      fs.fsyncSync(fd);
      const buf = Buffer.alloc(16);
      assert.equal(buf.subarray(0, fs.readSync(fd, buf, 0, 16, 0)).toString(), 'UPP');
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(fs.readFileSync(u.u('open'), 'utf8'), 'UPP');
    assert.equal(fs.readFileSync(u.l(0, 'open'), 'utf8'), 'lower open', 'the lower is untouched');
    const a = fs.openSync(u.m('append'), 'a');
    try {
      fs.writeSync(a, '+1', 0); // O_APPEND: the position is ignored
      fs.writeSync(a, '+2');
    } finally {
      fs.closeSync(a);
    }
    assert.equal(fs.readFileSync(u.m('append'), 'utf8'), 'lower append+1+2');
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withLock } from '../src/lock.js';

describe('snapshot metadata lock', function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs this process\'s holders one at a time, in arrival order, and releases after a throw', async function () {
    const lock = path.join(dir, '.lock');
    let inside = 0;
    const order: number[] = [];
    const work = Array.from({ length: 20 }, (_, i) => withLock(lock, async () => {
      inside++;
      assert.equal(inside, 1, 'two holders at once');
      assert.equal(fs.readFileSync(path.join(lock, 'pid'), 'utf8'), String(process.pid));
      await new Promise((r) => setTimeout(r, 1));
      order.push(i);
      inside--;
      if (i === 5) throw new Error('holder 5 failed');
    }));
    const results = await Promise.allSettled(work);
    assert.deepEqual(order, [...Array(20).keys()]);
    assert.deepEqual(results.map((r) => r.status === 'rejected'), results.map((_, i) => i === 5));
    assert.equal(fs.existsSync(lock), false, 'the lock dir outlived its last holder');
  });
});

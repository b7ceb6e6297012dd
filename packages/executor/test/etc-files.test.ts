import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { etcMounts, parseAddHost } from '../src/etc-files.js';

describe('--add-host and the generated /etc/hosts', function () {
  it('takes docker\'s HOST:IP and HOST=IP forms, IPv6 with its colons or in brackets, and refuses the rest', () => {
    assert.equal(parseAddHost('db:10.0.0.5'), 'db 10.0.0.5');
    assert.equal(parseAddHost('db=10.0.0.5'), 'db 10.0.0.5');
    assert.equal(parseAddHost('v6:::1'), 'v6 ::1');
    assert.equal(parseAddHost('v6=[fe80::2]'), 'v6 fe80::2');
    assert.equal(parseAddHost('my-host.example.com:192.168.1.1'), 'my-host.example.com 192.168.1.1');
    for (const bad of ['db', ':1.2.3.4', 'db:', 'db:host-gateway', 'db:300.1.1.1', 'bad_name:1.2.3.4', 'a b:1.2.3.4', '-x:1.2.3.4']) {
      assert.equal(parseAddHost(bad), undefined, bad);
    }
  });

  it('appends the entries, address first, after the usual lines under both networks', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-etc-'));
    try {
      for (const network of ['none', 'host'] as const) {
        await etcMounts(dir, 'box', network, false, ['db 10.0.0.5', 'v6 ::1']);
        const lines = fs.readFileSync(path.join(dir, 'hosts'), 'utf8').split('\n');
        assert.deepEqual(lines.slice(-3), ['10.0.0.5\tdb', '::1\tv6', ''], network);
        if (network === 'none') assert.ok(lines.includes('127.0.0.1\tlocalhost'));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

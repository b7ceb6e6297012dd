import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostPattern, knownHostKeys } from '../src/index.js';

describe('known_hosts', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'strata-kh-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names hosts as OpenSSH does: bare on port 22, [host]:port otherwise', () => {
    assert.equal(hostPattern('example.org', 22), 'example.org');
    assert.equal(hostPattern('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  it('finds plain and hashed entries for the right host and port only', () => {
    const k1 = randomBytes(51);
    const k2 = randomBytes(51);
    const k3 = randomBytes(51);
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.5]:2200').digest('base64')}`;
    const file = path.join(dir, 'known_hosts');
    writeFileSync(file, [
      '# comment', '',
      `[127.0.0.1]:2222,other ssh-ed25519 ${k1.toString('base64')}`,
      `127.0.0.1 ssh-ed25519 ${k2.toString('base64')}`,
      `${hashed} ssh-rsa ${k3.toString('base64')}`,
      `@revoked [127.0.0.1]:2222 ssh-ed25519 ${k2.toString('base64')}`,
    ].join('\n'));
    assert.deepEqual(knownHostKeys(file, '127.0.0.1', 2222), [k1]);
    assert.deepEqual(knownHostKeys(file, '127.0.0.1', 22), [k2]);
    assert.deepEqual(knownHostKeys(file, '10.0.0.5', 2200), [k3]);
    assert.deepEqual(knownHostKeys(file, '10.0.0.5', 22), []);
    assert.deepEqual(knownHostKeys(path.join(dir, 'absent'), '127.0.0.1', 22), []);
  });
});

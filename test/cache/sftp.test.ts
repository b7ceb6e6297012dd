import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSshd, type SshdServer } from '../support/sshd-server.js';
import { backendScenarios } from './scenarios.js';
import { PROJECT, Runner } from './support.js';

describe('remote cache: type=sftp (OpenSSH sshd on 127.0.0.1)', function () {
  this.timeout(120000);
  let sshd: SshdServer;
  let n = 0;
  let dir = '';
  before(async () => { sshd = await startSshd(); });
  after(async () => { await sshd?.stop(); });
  beforeEach(() => { dir = `${sshd.dataDir}/cache${++n}`; });
  const url = () => `sftp://${sshd.user}@127.0.0.1:${sshd.port}${dir}`;
  const keyOpts = () => `key=${sshd.clientKey},known_hosts=${sshd.knownHosts}`;

  describe('scenarios (key auth, host key checked)', () => {
    backendScenarios(() => ({
      to: (mode = 'max') => `type=sftp,url=${url()},${keyOpts()},mode=${mode}`,
      from: () => `type=sftp,url=${url()},${keyOpts()}`,
    }));
  });

  describe('authentication and host keys', () => {
    let runners: Runner[] = [];
    const runner = () => { const r = new Runner(); runners.push(r); return r; };
    afterEach(() => { for (const r of runners) r.cleanup(); runners = []; });

    it('password auth ($STRATA_SFTP_PASSWORD) exports and imports', async () => {
      const A = runner();
      const spec = `type=sftp,url=${url()},known_hosts=${sshd.knownHosts}`;
      const env = { STRATA_SFTP_PASSWORD: sshd.password, HOME: A.work, SSH_AUTH_SOCK: '' };
      const a = await A.mustBuild(A.context('proj', PROJECT), ['--cache-to', `${spec},mode=max`], env);
      assert.deepEqual(a.warnings, []);
      assert.equal(a.meta.remote!.exported[0]!.entriesWritten, 5);
      const B = runner();
      const b = await B.mustBuild(B.context('proj', PROJECT), ['--cache-from', spec], { ...env, HOME: B.work });
      assert.equal(b.meta.ran, 0, b.log);
    });

    it('a wrong password: one warning, the build goes on; --cache-required fails', async () => {
      const B = runner();
      const spec = `type=sftp,url=${url()},known_hosts=${sshd.knownHosts}`;
      const env = { STRATA_SFTP_PASSWORD: 'wrong', HOME: B.work, SSH_AUTH_SOCK: '' };
      const ctx = B.context('proj', PROJECT);
      const got = await B.mustBuild(ctx, ['--cache-from', spec], env);
      assert.equal(got.warnings.length, 1, got.log);
      assert.match(got.warnings[0]!, /cache source sftp:\/\/.* unusable, building without it: authentication failed for user strata-sftp-test/);
      const strict = await B.buildWith(ctx, ['--cache-from', spec, '--cache-required'], env);
      assert.notEqual(strict.status, 0);
      assert.match(strict.log, /authentication failed/);
    });

    it('an unknown host key is refused by default (one warning); host_key_check=false accepts it', async () => {
      const B = runner();
      const empty = path.join(B.work, 'known_hosts');
      writeFileSync(empty, '');
      const ctx = B.context('proj', PROJECT);
      const got = await B.mustBuild(ctx, ['--cache-to', `type=sftp,url=${url()},key=${sshd.clientKey},known_hosts=${empty}`]);
      assert.equal(got.warnings.length, 1, got.log);
      assert.match(got.warnings[0]!, /unknown host key for \[127\.0\.0\.1\]:\d+ \(not in .*known_hosts\)/);
      assert.equal(got.meta.remote?.exported.length ?? 0, 0);
      const loose = await B.mustBuild(ctx, ['--cache-to', `type=sftp,url=${url()},key=${sshd.clientKey},known_hosts=${empty},host_key_check=false`]);
      assert.deepEqual(loose.warnings, []);
      assert.equal(loose.meta.remote!.exported[0]!.entriesWritten, 4);
    });
  });
});

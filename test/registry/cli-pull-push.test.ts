import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContentStore, LocalStore, type Descriptor } from '@strata/oci';
import { startRegistry, type RegistryServer } from '../support/registry-server.js';
import { makeImage } from './make-image.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'dist', 'src', 'bin.js');

describe('strata pull / push / login against a real docker-registry with htpasswd', () => {
  let reg: RegistryServer;
  let tmp: string;
  let image: Descriptor;
  const user = { username: 'cli', password: 'secret' };
  const creds = `${user.username}:${user.password}`;
  const strata = (root: string, args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8', input, env: { ...process.env, STRATA_ROOT: root, DOCKER_CONFIG: path.join(tmp, 'docker') },
  });
  const oneLineError = (r: ReturnType<typeof strata>, re: RegExp) => {
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  };

  before(async () => {
    reg = await startRegistry({ auth: user });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-reg-'));
    const root = path.join(tmp, 'src');
    image = await makeImage(new ContentStore(root), { layers: 2 });
    const local = new LocalStore(root);
    local.names.set(`${reg.host}/cli/app:v1`, image);
    local.close();
  });
  after(async () => {
    await reg.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('push prints the digest; a push to another repository mounts', () => {
    const root = path.join(tmp, 'src');
    const r = strata(root, ['push', '--insecure', '--creds', creds, `${reg.host}/cli/app:v1`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`: Pushed\\n[\\s\\S]*v1: digest: ${image.digest} size: ${image.size}\\n$`));
    const m = strata(root, ['push', '--insecure', '--creds', creds, `${reg.host}/cli/app:v1`, `${reg.host}/cli/copy:v2`]);
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /Mounted from cli\/app/);
    assert.match(m.stdout, new RegExp(`v2: digest: ${image.digest}`));
  });

  it('pull stores the blobs and records the name; a second pull fetches nothing', () => {
    const root = path.join(tmp, 'pulled');
    const r = strata(root, ['pull', '--insecure', '--creds', creds, `${reg.host}/cli/copy:v2`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${image.digest}\\nStatus: Downloaded newer image for ${reg.host}/cli/copy:v2\\n${reg.host}/cli/copy:v2\\n$`));
    const local = new LocalStore(root);
    assert.equal(local.names.get(`${reg.host}/cli/copy:v2`)?.digest, image.digest);
    local.close();
    assert.equal(readdirSync(path.join(root, 'blobs', 'sha256')).length, 4);
    const again = strata(root, ['pull', '--insecure', '--creds', creds, `${reg.host}/cli/copy:v2`]);
    assert.match(again.stdout, /Already exists[\s\S]*Image is up to date/);
  });

  it('push mounts from repositories the local store knows hold the blobs (names on the same registry)', () => {
    const root = path.join(tmp, 'pulled');
    const local = new LocalStore(root);
    local.names.set(`${reg.host}/cli/third:v1`, image);
    local.close();
    const r = strata(root, ['push', '--insecure', '--creds', creds, `${reg.host}/cli/third:v1`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stdout.match(/Mounted from cli\/copy\n/g) ?? []).length, 3, r.stdout);
  });

  it('errors are one line, exit 1, and leave no name behind', () => {
    const root = path.join(tmp, 'errors');
    oneLineError(strata(root, ['pull', '--insecure', `${reg.host}/cli/app:v1`]), new RegExp(`^strata: ${reg.host}/cli/app:v1: fetch manifest: ${reg.host}: authentication required \\(use --creds or strata login\\)`));
    oneLineError(strata(root, ['pull', '--insecure', '--creds', 'cli:wrong', `${reg.host}/cli/app:v1`]), /credentials rejected \(401\)/);
    oneLineError(strata(root, ['pull', '--insecure', '--creds', creds, `${reg.host}/cli/app:nope`]), new RegExp(`^strata: ${reg.host}/cli/app:nope: fetch manifest nope: 404 not found: MANIFEST_UNKNOWN`));
    oneLineError(strata(root, ['push', '--insecure', '--creds', creds, `${reg.host}/cli/absent:v1`]), /cli\/absent:v1: no such image in /);
    oneLineError(strata(root, ['pull', '--creds', creds, `${reg.host}/cli/app:v1`]), new RegExp(`^strata: ${reg.host}/cli/app:v1: fetch manifest: GET ${reg.host}/v2/cli/app/manifests/v1: TLS failed \\(EPROTO\\); for plain http or a self-signed certificate use --insecure\n$`));
    const local = new LocalStore(root);
    assert.deepEqual(local.names.list(), []);
    local.close();
  });

  it('login checks and saves credentials that pull then uses', () => {
    const root = path.join(tmp, 'login');
    oneLineError(strata(root, ['login', '--insecure', '-u', 'cli', '--password-stdin', reg.host], 'bad\n'), /login refused \(401\)|credentials rejected/);
    const ok = strata(root, ['login', '--insecure', '-u', 'cli', '--password-stdin', reg.host], `${user.password}\n`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'Login Succeeded\n');
    const cfg = JSON.parse(readFileSync(path.join(tmp, 'docker', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(cfg.auths[reg.host]!.auth, 'base64').toString(), creds);
    const r = strata(root, ['pull', '--insecure', '-q', `${reg.host}/cli/app:v1`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${reg.host}/cli/app:v1\n`);
  });
});

/**
 * A real OpenSSH server for tests: Debian's /usr/sbin/sshd on 127.0.0.1 on a free port, with its own host
 * key, config, and a test user that logs in with a key (authorized_keys in the temp dir) or a password.
 * Only internal-sftp runs (ForceCommand), and the user's shell is nologin. Stopped by PID. The user and its
 * password are shared by every test process on the machine (created once, never removed), so concurrent
 * suites do not pull the account from under each other.
 *
 *   const s = await startSshd();
 *   // sftp://${s.user}@127.0.0.1:${s.port}${s.dataDir}  key=s.clientKey  known_hosts=s.knownHosts
 *   await s.stop();
 */
import { spawn, execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './registry-server.js';

/** Path of the sshd binary; override with $STRATA_TEST_SSHD_BIN. */
export const SSHD_BIN = process.env.STRATA_TEST_SSHD_BIN ?? '/usr/sbin/sshd';
/** The Unix user the tests log in as. */
export const SSHD_USER = 'strata-sftp-test';

/** A running sshd. */
export interface SshdServer {
  port: number;
  user: string;
  password: string;
  /** Private key the user may log in with (OpenSSH format, no passphrase). */
  clientKey: string;
  /** A known_hosts file naming this server's host key as [127.0.0.1]:PORT. */
  knownHosts: string;
  /** A directory the user owns, for cache data. */
  dataDir: string;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

function userExists(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}

/** Where the shared password lives (root only; /run is cleared at boot, and then a new one is set). */
const PASSWORD_FILE = '/run/strata-test-sftp-password';

/** The test user's password: made once (temp file, then link(2) so concurrent makers agree), then read. */
function sharedPassword(): string {
  try {
    return readFileSync(PASSWORD_FILE, 'utf8').trim();
  } catch { /* make it */ }
  const tmp = `${PASSWORD_FILE}.${process.pid}`;
  writeFileSync(tmp, randomBytes(12).toString('base64url'), { mode: 0o600 });
  try {
    linkSync(tmp, PASSWORD_FILE);
  } catch { /* another process made it first: theirs wins */ }
  rmSync(tmp, { force: true });
  return readFileSync(PASSWORD_FILE, 'utf8').trim();
}

function waitPort(port: number, deadline: number, exited: () => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const attempt = () => {
      if (exited() || Date.now() > deadline) return resolve(false);
      const s = net.connect(port, '127.0.0.1');
      s.once('data', () => { s.destroy(); resolve(true); });
      s.once('error', () => { s.destroy(); setTimeout(attempt, 50); });
    };
    attempt();
  });
}

/** Starts sshd and resolves once it sends its SSH banner. */
export async function startSshd(): Promise<SshdServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-sshd-'));
  chmodSync(dir, 0o755);
  if (!userExists(SSHD_USER)) {
    spawnSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', SSHD_USER]);
    if (!userExists(SSHD_USER)) throw new Error(`cannot create the test user ${SSHD_USER}`);
  }
  const password = sharedPassword();
  execFileSync('chpasswd', [], { input: `${SSHD_USER}:${password}\n` });
  const uid = Number(execFileSync('id', ['-u', SSHD_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', SSHD_USER], { encoding: 'utf8' }).trim());
  const hostKey = path.join(dir, 'host_key');
  const clientKey = path.join(dir, 'client_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  const authorized = path.join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${clientKey}.pub`));
  chmodSync(authorized, 0o644);
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  chownSync(dataDir, uid, gid);
  mkdirSync('/run/sshd', { recursive: true });
  const logPath = path.join(dir, 'sshd.log');
  const log = () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } };
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    writeFileSync(config, [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`, 'StrictModes no', 'PubkeyAuthentication yes', 'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no', 'UsePAM no', 'PermitRootLogin no', `AllowUsers ${SSHD_USER}`,
      'Subsystem sftp internal-sftp', 'ForceCommand internal-sftp', 'LogLevel VERBOSE', 'MaxStartups 100', 'MaxSessions 100', '',
    ].join('\n'));
    const fd = openSync(logPath, 'w');
    const child: ChildProcess = spawn(SSHD_BIN, ['-D', '-e', '-f', config], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let exited = false;
    child.once('exit', () => { exited = true; });
    if (await waitPort(port, Date.now() + 10000, () => exited)) {
      const knownHosts = path.join(dir, 'known_hosts');
      const pub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}\n`);
      const cleanup = () => rmSync(dir, { recursive: true, force: true });
      const onExit = () => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } cleanup(); };
      process.once('exit', onExit);
      return {
        port, user: SSHD_USER, password, clientKey, knownHosts, dataDir, pid: child.pid!, log,
        stop: async () => {
          process.removeListener('exit', onExit);
          if (child.exitCode === null && child.signalCode === null) {
            const gone = new Promise<void>((r) => child.once('exit', () => r()));
            try { process.kill(child.pid!, 'SIGTERM'); } catch { /* gone */ }
            await gone;
          }
          cleanup();
        },
      };
    }
    try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    if (attempt >= 3) {
      const why = log().trim().split('\n').pop() ?? '';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${why}`);
    }
  }
}

/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8) started on 127.0.0.1 on a free port,
 * with its own temp config and storage dir, optionally behind htpasswd basic auth.
 *
 *   const reg = await startRegistry({ auth: { username: 'u', password: 'p' } });
 *   // reg.host is "127.0.0.1:PORT"; push to `${reg.host}/repo:tag` with --insecure
 *   await reg.stop();
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

/** Path of the registry binary; override with $STRATA_TEST_REGISTRY_BIN. */
export const REGISTRY_BIN = process.env.STRATA_TEST_REGISTRY_BIN ?? '/usr/bin/docker-registry';

/** Options of startRegistry. */
export interface RegistryOptions {
  /** Require basic auth with this one user (htpasswd -B). */
  auth?: { username: string; password: string };
  /** How long to wait for the registry to answer /v2/ (default 15 s). */
  startTimeoutMs?: number;
}

/** A running registry. */
export interface RegistryServer {
  /** "127.0.0.1:PORT", the registry part of image references. */
  host: string;
  port: number;
  /** "http://127.0.0.1:PORT". */
  url: string;
  /** The registry's storage directory (its filesystem driver root). */
  storageDir: string;
  /** The user, when started with auth. */
  auth?: { username: string; password: string };
  pid: number;
  /** The registry's log so far (stderr and stdout). */
  log(): string;
  /** Stops the process (by PID) and removes the temp dir. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released; the registry binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}

function configYaml(storageDir: string, port: number, htpasswdPath?: string): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (htpasswdPath) lines.push('auth:', '  htpasswd:', '    realm: strata-test', `    path: ${htpasswdPath}`);
  return lines.join('\n') + '\n';
}

/** Starts docker-registry and resolves once GET /v2/ answers (200, or 401 with auth). */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-registry-'));
  const storageDir = path.join(dir, 'storage');
  let htpasswdPath: string | undefined;
  if (opts.auth) {
    htpasswdPath = path.join(dir, 'htpasswd');
    const line = execFileSync('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password], { encoding: 'utf8' });
    writeFileSync(htpasswdPath, line.trim() + '\n');
  }
  const logPath = path.join(dir, 'registry.log');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const configPath = path.join(dir, 'config.yml');
    writeFileSync(configPath, configYaml(storageDir, port, htpasswdPath));
    const logFd = openSync(logPath, 'w');
    const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    let exited = false;
    child.once('exit', () => { exited = true; });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 15000);
    let status = 0;
    while (!exited && Date.now() < deadline) {
      status = await probe(`${url}/v2/`);
      if (status === 200 || status === 401) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const log = () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } };
    if (status === 200 || status === 401) {
      // A test process that dies (or forgets stop()) must not leave a registry behind: kill it by PID on exit.
      const onExit = () => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } rmSync(dir, { recursive: true, force: true }); };
      process.once('exit', onExit);
      return {
        host: `127.0.0.1:${port}`, port, url, storageDir, auth: opts.auth, pid: child.pid!, log,
        stop: async () => { process.removeListener('exit', onExit); await stopChild(child, dir); },
      };
    }
    await stopChild(child, dir, false);
    // The port may have been taken between freePort() and bind: try a new one a few times.
    if (attempt >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start on ${url}: ${log().trim().split('\n').pop() ?? ''}`);
    }
  }
}

async function stopChild(child: ChildProcess, dir: string, removeDir = true): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid) {
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try { process.kill(child.pid, 'SIGTERM'); } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    await gone;
    clearTimeout(timer);
  }
  if (removeDir) rmSync(dir, { recursive: true, force: true });
}

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type SftpClient from 'ssh2-sftp-client';
import { RemoteCacheError } from './errors.js';
import type { FileOps } from './file-backend.js';
import { hostPattern, knownHostKeys } from './known-hosts.js';

/** How to reach an SFTP cache: `sftp://user[:password]@host[:port]/path` plus key and host-key options. */
export interface SftpOptions {
  url: string;
  /** Private key file; default ~/.ssh/id_ed25519, id_ecdsa, id_rsa (the first present), and $SSH_AUTH_SOCK. */
  key?: string;
  /** known_hosts file; default ~/.ssh/known_hosts. */
  knownHosts?: string;
  /** Host key checking (on by default; off only when the user says host_key_check=false). */
  hostKeyCheck: boolean;
  /** Password when the URL has none; default $STRATA_SFTP_PASSWORD. */
  password?: string;
}

function parseUrl(url: string): { user: string; password?: string; host: string; port: number; dir: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RemoteCacheError(`${url}: not a valid sftp:// URL`);
  }
  const dir = decodeURIComponent(u.pathname) || '/';
  return {
    user: decodeURIComponent(u.username) || os.userInfo().username, host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 22, dir, ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

const code = (e: unknown): string | undefined => (e as { code?: string }).code;

/** The directory layout over SFTP (ssh2-sftp-client), one connection per backend, opened on first use. */
export class SftpOps implements FileOps {
  readonly label: string;
  private readonly target: ReturnType<typeof parseUrl>;
  private client?: Promise<SftpClient>;
  private hostKeyRejected = false;

  constructor(private readonly o: SftpOptions) {
    this.target = parseUrl(o.url);
    this.label = `sftp://${this.target.user}@${hostPattern(this.target.host, this.target.port).replace(/^\[(.*)\]:/, '$1:')}${this.target.dir}`;
  }

  private p(rel: string): string {
    return path.posix.join(this.target.dir, rel);
  }

  private connect(): Promise<SftpClient> {
    return (this.client ??= this.open().catch((e: unknown) => {
      this.client = undefined;
      throw e;
    }));
  }

  private async open(): Promise<SftpClient> {
    const t = this.target;
    const knownHosts = this.o.knownHosts ?? path.join(os.homedir(), '.ssh', 'known_hosts');
    const keyFile = this.o.key ?? ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(os.homedir(), '.ssh', n)).find((f) => existsSync(f));
    let privateKey: Buffer | undefined;
    if (keyFile !== undefined) {
      try {
        privateKey = readFileSync(keyFile);
      } catch (e) {
        throw new RemoteCacheError(`${this.label}: cannot read key ${keyFile}: ${code(e) ?? String(e)}`);
      }
    }
    const password = t.password ?? this.o.password ?? process.env.STRATA_SFTP_PASSWORD;
    const known = this.o.hostKeyCheck ? knownHostKeys(knownHosts, t.host, t.port) : [];
    // Loaded on first use: ssh2 takes ~200 ms to load, which every strata command would pay otherwise.
    // require, not import(): the CLI's per-command CommonJS bundles run without an ES module loader.
    const Client = createRequire(import.meta.url)('ssh2-sftp-client') as typeof SftpClient;
    const client = new Client('strata-cache');
    try {
      await client.connect({
        host: t.host, port: t.port, username: t.user, readyTimeout: 10000,
        ...(privateKey ? { privateKey } : {}), ...(password ? { password } : {}),
        ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
        hostVerifier: (key: Buffer) => {
          if (!this.o.hostKeyCheck) return true;
          const ok = known.some((k) => k.equals(key));
          if (!ok) this.hostKeyRejected = true;
          return ok;
        },
      });
    } catch (e) {
      await client.end().catch(() => {});
      const msg = (e as Error).message ?? String(e);
      if (this.hostKeyRejected) throw new RemoteCacheError(`${this.label}: unknown host key for ${hostPattern(t.host, t.port)} (not in ${knownHosts})`);
      if (/authentication/i.test(msg)) throw new RemoteCacheError(`${this.label}: authentication failed for user ${t.user}`);
      if (/ECONNREFUSED/.test(msg)) throw new RemoteCacheError(`${this.label}: connection refused`);
      throw new RemoteCacheError(`${this.label}: cannot connect: ${msg.replace(/^connect: /, '').split('\n')[0]}`);
    }
    return client;
  }

  private fail(what: string, rel: string, e: unknown): never {
    if (e instanceof RemoteCacheError) throw e;
    const m = ((e as Error).message ?? String(e)).split('\n')[0]!.replace(/^[a-zA-Z_]+: /, '');
    throw new RemoteCacheError(`${this.label}: cannot ${what} ${rel}: ${m}`);
  }

  async read(rel: string): Promise<Buffer | undefined> {
    const c = await this.connect();
    try {
      return (await c.get(this.p(rel))) as Buffer;
    } catch (e) {
      if (code(e) === 'ENOENT' || /No such file/i.test((e as Error).message)) return undefined;
      return this.fail('read', rel, e);
    }
  }

  async openRead(rel: string): Promise<Readable> {
    const c = await this.connect();
    if (!(await c.exists(this.p(rel)).catch(() => false))) throw new RemoteCacheError(`${this.label}: ${rel} is missing`);
    const s = c.createReadStream(this.p(rel)) as unknown as Readable;
    // The consumer sees errors through its reads; this only keeps an early one from being uncaught.
    s.on('error', () => {});
    return s;
  }

  async exists(rel: string): Promise<boolean> {
    const c = await this.connect();
    return (await c.exists(this.p(rel)).catch((e) => this.fail('stat', rel, e))) !== false;
  }

  async list(relDir: string): Promise<string[]> {
    const c = await this.connect();
    try {
      return (await c.list(this.p(relDir))).map((f) => f.name);
    } catch (e) {
      if (code(e) === 'ENOENT' || /No such file/i.test((e as Error).message)) return [];
      return this.fail('list', relDir, e);
    }
  }

  async remove(rel: string): Promise<boolean> {
    const c = await this.connect();
    return c.delete(this.p(rel), true).then(() => true, () => false);
  }

  async write(rel: string, data: Buffer | (() => Promise<Readable>), replace: boolean): Promise<boolean> {
    const c = await this.connect();
    const file = this.p(rel);
    const tmp = this.p(`tmp/${path.posix.basename(rel)}.${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await c.mkdir(path.posix.dirname(tmp), true).catch(() => {});
      await c.mkdir(path.posix.dirname(file), true).catch(() => {});
      let src: Buffer | Readable;
      if (Buffer.isBuffer(data)) src = data;
      else {
        src = await data();
        // A failed upload may leave the source erroring after put() gave up on it: never uncaught.
        src.on('error', () => {});
      }
      await c.put(src, tmp);
      if (replace) {
        await c.posixRename(tmp, file);
        return true;
      }
      try {
        // SFTP's plain rename refuses an existing target (OpenSSH links then unlinks): no entry is replaced.
        await c.rename(tmp, file);
        return true;
      } catch (e) {
        if (await c.exists(file).catch(() => false)) return false;
        throw e;
      }
    } catch (e) {
      await c.delete(tmp, true).catch(() => {});
      return this.fail('write', rel, e);
    }
  }

  async check(write: boolean): Promise<void> {
    const c = await this.connect();
    const dir = this.target.dir;
    if (write) await c.mkdir(dir, true).catch(() => {});
    const t = await c.exists(dir).catch((e) => this.fail('stat', dir, e));
    if (t !== 'd') throw new RemoteCacheError(`${this.label}: ${dir} is not a directory on the server`);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await (await c.catch(() => undefined))?.end().catch(() => {});
  }
}

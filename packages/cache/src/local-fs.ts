import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { RemoteCacheError } from './errors.js';
import type { FileOps } from './file-backend.js';

const why = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}${err.code === 'ENOSPC' ? ' (disk full)' : ''}` : (err.message ?? String(e)).split('\n')[0]!;
};

/** The directory layout on a local filesystem (`type=local`): a shared mount or a CI cache folder. */
export class LocalDirOps implements FileOps {
  readonly label: string;
  constructor(private readonly dir: string) {
    this.label = `cache directory ${dir}`;
  }

  private p(rel: string): string {
    return path.join(this.dir, rel);
  }

  async read(rel: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.p(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RemoteCacheError(`${this.label}: cannot read ${rel}: ${why(e)}`);
    }
  }

  async openRead(rel: string): Promise<Readable> {
    const file = this.p(rel);
    await access(file).catch((e) => { throw new RemoteCacheError(`${this.label}: cannot read ${rel}: ${why(e)}`); });
    const s = createReadStream(file);
    s.on('error', () => {});
    return s;
  }

  exists(rel: string): Promise<boolean> {
    return stat(this.p(rel)).then(() => true, () => false);
  }

  async list(relDir: string): Promise<string[]> {
    return readdir(this.p(relDir)).catch(() => []);
  }

  async remove(rel: string): Promise<boolean> {
    return unlink(this.p(rel)).then(() => true, () => false);
  }

  async write(rel: string, data: Buffer | (() => Promise<Readable>), replace: boolean): Promise<boolean> {
    const file = this.p(rel);
    const tmp = path.join(this.dir, 'tmp', `${path.basename(rel)}.${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(path.dirname(tmp), { recursive: true });
      await mkdir(path.dirname(file), { recursive: true });
      if (Buffer.isBuffer(data)) {
        const fh = await open(tmp, 'wx', 0o644);
        try {
          await fh.writeFile(data);
          await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        await pipeline(await data(), createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
        const fh = await open(tmp, 'r');
        await fh.sync().finally(() => fh.close());
      }
      if (replace) {
        await rename(tmp, file);
        return true;
      }
      try {
        // link(2) fails when the name exists: an entry someone else wrote is never replaced.
        await link(tmp, file);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        // A filesystem without hard links (some shared mounts): check, then rename; a lost race only means
        // two writers' equivalent entries for one key, the later one kept.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
        if (await this.exists(rel)) return false;
        await rename(tmp, file);
        return true;
      }
    } catch (e) {
      if (e instanceof RemoteCacheError) throw e;
      throw new RemoteCacheError(`${this.label}: cannot write ${rel}: ${why(e)}`);
    } finally {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }

  async check(write: boolean): Promise<void> {
    if (write) {
      await mkdir(this.dir, { recursive: true }).catch((e) => { throw new RemoteCacheError(`${this.label}: ${why(e)}`); });
      await access(this.dir, constants.W_OK).catch((e) => { throw new RemoteCacheError(`${this.label}: not writable (${why(e)})`); });
    } else {
      const st = await stat(this.dir).catch((e) => { throw new RemoteCacheError(`${this.label}: ${why(e)}`); });
      if (!st.isDirectory()) throw new RemoteCacheError(`${this.label}: not a directory`);
    }
  }

  async close(): Promise<void> {}
}

import { mkdirSync, openSync, fsyncSync, closeSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Descriptor } from '@strata/oci';

/**
 * Where pull records names and push finds them: name → manifest descriptor. @strata/oci's local store
 * (state.db) is the real home; until it lands this small JSON file under the state root stands in
 * (`<root>/names.json`, written temp → fsync → rename) so that pull and push work end to end.
 */
export interface ImageNames {
  get(name: string): Promise<Descriptor | undefined>;
  set(name: string, manifest: Descriptor): Promise<void>;
}

/** The interim file-backed ImageNames (see ImageNames). Last writer wins between processes. */
export class JsonImageNames implements ImageNames {
  readonly file: string;
  constructor(readonly root: string) {
    this.file = path.join(root, 'names.json');
  }

  private read(): Record<string, Descriptor> {
    try { return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, Descriptor>; } catch { return {}; }
  }

  async get(name: string): Promise<Descriptor | undefined> {
    return this.read()[name];
  }

  async set(name: string, manifest: Descriptor): Promise<void> {
    const all = this.read();
    all[name] = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
    mkdirSync(path.join(this.root, 'tmp'), { recursive: true });
    const tmp = path.join(this.root, 'tmp', `names-${process.pid}-${randomBytes(6).toString('hex')}`);
    writeFileSync(tmp, JSON.stringify(all, null, 1));
    const fd = openSync(tmp, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, this.file);
  }
}

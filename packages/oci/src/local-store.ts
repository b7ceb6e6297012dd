import { ContentStore, type FsckProblem } from './content-store.js';
import type { Descriptor, Platform } from './descriptor.js';
import type { Digest } from './digest.js';
import { NotFoundError } from './errors.js';
import type { Image } from './image.js';
import { putImage } from './image-builder.js';
import { ImageIndex, type ImageRecord } from './image-index-db.js';
import { normaliseImageName, splitImageName } from './image-names.js';
import { defaultStateRoot } from './state-root.js';
import { openStoreImage, type StoreImage } from './store-image.js';

/** One line of `strata images`. */
export interface ImageSummary {
  name: string;
  repository: string;
  tag: string;
  digest: Digest;
  /** The config digest: Docker's "IMAGE ID". */
  id: Digest;
  created?: string;
  /** Sum of the compressed layer sizes. */
  size: number;
}

/** What `LocalStore.remove` did. */
export interface RemoveResult {
  untagged: string;
  deleted: Digest[];
}

/**
 * The local image store: a ContentStore for blobs and an ImageIndex (state.db) for names, both under one
 * state root. An image source (`image(name)`) and sink (`save(image, names)`) like the OCI layout and archive.
 */
export class LocalStore {
  readonly content: ContentStore;
  readonly names: ImageIndex;
  constructor(readonly root: string = defaultStateRoot()) {
    this.content = new ContentStore(root);
    this.names = new ImageIndex(root);
  }

  /** Writes every blob of `img`, then points each name at it (names last: a name never points at a partial image). */
  async save(img: Image, names: string[] = []): Promise<Descriptor> {
    const desc = await putImage(this.content, img);
    for (const n of names) this.names.set(normaliseImageName(n), desc);
    return desc;
  }

  /** Finds the record for a name, a manifest digest, or a (prefix of a) config or manifest id as docker shows. */
  async lookup(ref: string): Promise<ImageRecord> {
    const byName = /^[a-f0-9]{4,64}$/.test(ref) || ref.startsWith('sha256:') ? undefined : this.names.get(normaliseImageName(ref));
    if (byName) return byName;
    const hex = ref.replace(/^sha256:/, '');
    if (/^[a-f0-9]{4,64}$/.test(hex)) {
      const hits = new Map<string, ImageRecord>();
      for (const r of this.names.list()) {
        if (r.digest.slice(7).startsWith(hex)) hits.set(r.digest, r);
        else {
          const id = await this.configDigest(r).catch(() => undefined);
          if (id?.slice(7).startsWith(hex)) hits.set(r.digest, r);
        }
      }
      if (hits.size === 1) return [...hits.values()][0]!;
      if (hits.size > 1) throw new NotFoundError(`${ref}: ambiguous image id (${hits.size} images match)`);
    }
    throw new NotFoundError(`${ref}: no such image in ${this.root}`);
  }

  private async configDigest(r: ImageRecord): Promise<Digest> {
    return (await (await openStoreImage(this.content, r, r.name)).manifest()).config.digest;
  }

  /** The image a name or id refers to (an index resolves to `platform`, default the host's). */
  async image(ref: string, platform?: Platform): Promise<StoreImage> {
    const r = await this.lookup(ref);
    return openStoreImage(this.content, r, ref, platform);
  }

  /** Gives an existing image another name. */
  async tag(src: string, dest: string): Promise<string> {
    const r = await this.lookup(src);
    const name = normaliseImageName(dest);
    this.names.set(name, r);
    return name;
  }

  /** Every named image, sorted by name. */
  async list(): Promise<ImageSummary[]> {
    const out: ImageSummary[] = [];
    for (const r of this.names.list()) {
      const { repository, tag } = splitImageName(r.name);
      try {
        const img = await openStoreImage(this.content, r, r.name);
        const m = await img.manifest();
        const c = await img.config();
        const s: ImageSummary = { name: r.name, repository, tag, digest: r.digest, id: m.config.digest, size: m.layers.reduce((a, l) => a + l.size, 0) };
        if (c.created) s.created = c.created;
        out.push(s);
      } catch {
        out.push({ name: r.name, repository, tag, digest: r.digest, id: r.digest, size: 0 });
      }
    }
    return out;
  }

  /**
   * Removes a name. When no other name refers to the image, its manifest, config and the layers no other
   * named image uses are deleted from the content store as well (as `docker rmi` frees space).
   */
  async remove(ref: string): Promise<RemoveResult> {
    const r = await this.lookup(ref);
    this.names.delete(r.name);
    const deleted: Digest[] = [];
    if (this.names.namesOf(r.digest).length > 0) return { untagged: r.name, deleted };
    const keep = new Set<string>();
    for (const other of this.names.list()) {
      keep.add(other.digest);
      try {
        const img = await openStoreImage(this.content, other, other.name);
        keep.add(await img.digest());
        const m = await img.manifest();
        keep.add(m.config.digest);
        for (const l of m.layers) keep.add(l.digest);
      } catch {
        // a broken image keeps nothing alive; fsck reports it
      }
    }
    const candidates: Digest[] = [r.digest];
    try {
      const img = await openStoreImage(this.content, r, r.name);
      candidates.push(await img.digest());
      const m = await img.manifest();
      candidates.push(m.config.digest, ...m.layers.map((l) => l.digest));
    } catch {
      // only the manifest blob is known
    }
    for (const d of new Set(candidates)) if (!keep.has(d) && (await this.content.delete(d))) deleted.push(d);
    return { untagged: r.name, deleted };
  }

  /** Re-hashes every blob and checks every named image has its manifest, config and layers. */
  async fsck(opts: { repair?: boolean } = {}): Promise<{ checked: number; problems: FsckProblem[]; images: number }> {
    const rep = await this.content.fsck(opts);
    let images = 0;
    for (const r of this.names.list()) {
      images++;
      try {
        const img = await openStoreImage(this.content, r, r.name);
        const m = await img.manifest();
        await img.config();
        for (const l of m.layers) {
          if (!(await this.content.has(l.digest))) rep.problems.push({ path: this.content.pathOf(l.digest), digest: l.digest, problem: `layer of ${r.name} is missing` });
        }
      } catch (e) {
        rep.problems.push({ path: this.content.pathOf(r.digest), digest: r.digest, problem: `image ${r.name}: ${(e as Error).message}` });
      }
    }
    return { checked: rep.checked, problems: rep.problems, images };
  }

  /** Closes the database handle (the store is unusable after). */
  close(): void {
    this.names.close();
  }
}

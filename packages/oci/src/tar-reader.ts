import { Readable } from 'node:stream';
import { OciError } from './errors.js';
import type { LayerEntry, LayerEntryType } from './layer-entry.js';
import { normaliseLayerPath, OPAQUE_MARKER, WHITEOUT_PREFIX } from './layer-path.js';
import { decodeHeader, decodePax, isZeroBlock, paxNumber, paxTime, TAR_ENTRY_KIND, TarType } from './tar-header.js';

/** Reads exact byte counts from a chunked async source. */
class ByteReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private done = false;
  /** Bytes consumed so far (for error messages). */
  offset = 0;
  constructor(private readonly it: AsyncIterator<Buffer | Uint8Array>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.have < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) {
        const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        this.chunks.push(b);
        this.have += b.length;
      }
    }
    return this.have >= n;
  }

  /** Up to `max` bytes that are ready (at least one), or null at end of input. */
  async some(max: number): Promise<Buffer | null> {
    if (!(await this.fill(1))) return null;
    const first = this.chunks[0]!;
    const take = Math.min(max, first.length);
    const out = first.subarray(0, take);
    if (take === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(take);
    this.have -= take;
    this.offset += take;
    return out;
  }

  /** Exactly `n` bytes, or null when the input ends first. */
  async exact(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) return null;
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const b = (await this.some(need))!;
      parts.push(b);
      need -= b.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      const b = await this.some(n);
      if (!b) return false;
      n -= b.length;
    }
    return true;
  }
}




/** Options of readLayerTar. */
export interface ReadLayerOptions {
  /** Names the archive in errors (a path or a digest). */
  source?: string;
  /** Keep `.wh.` names as plain files instead of converting them (for inspecting a tar as-is). */
  rawWhiteouts?: boolean;
}

/**
 * Reads an (uncompressed) layer tar as LayerEntry values. Each file entry's `open()` streams its content and
 * must be consumed before the next entry is asked for; unread content is skipped. Whiteout files come back
 * as 'whiteout'/'opaque' entries; paths are normalised and any that climb out of the root are rejected.
 */
export async function* readLayerTar(input: AsyncIterable<Buffer | Uint8Array>, opts: ReadLayerOptions = {}): AsyncGenerator<LayerEntry> {
  const src = opts.source ?? 'layer tar';
  const r = new ByteReader(input[Symbol.asyncIterator]());
  let global = new Map<string, Buffer>();
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let pendingSkip = 0;
  let generation = 0;
  for (;;) {
    if (pendingSkip > 0 && !(await r.skip(pendingSkip))) throw new OciError(`${src}: unexpected end of archive inside an entry`);
    pendingSkip = 0;
    generation++;
    const where = `${src} at byte ${r.offset}`;
    const block = await r.exact(512);
    if (!block) {
      if (r.offset === 0) throw new OciError(`${src}: empty archive`);
      throw new OciError(`${src}: archive ends without its end-of-archive blocks at byte ${r.offset}`);
    }
    if (isZeroBlock(block)) return;
    const h = decodeHeader(block, where);
    const padded = Math.ceil(h.size / 512) * 512;
    if ([TarType.paxHeader, TarType.paxGlobal, TarType.gnuLongName, TarType.gnuLongLink].includes(h.typeflag as 'x')) {
      if (h.size > 1 << 24) throw new OciError(`${where}: extended header of ${h.size} bytes is too large`);
      const body = await r.exact(padded);
      if (!body) throw new OciError(`${where}: unexpected end of archive in an extended header`);
      const data = body.subarray(0, h.size);
      if (h.typeflag === TarType.paxHeader) pax = new Map([...pax, ...decodePax(data, where)]);
      else if (h.typeflag === TarType.paxGlobal) global = new Map([...global, ...decodePax(data, where)]);
      else if (h.typeflag === TarType.gnuLongName) longName = data.toString('utf8').replace(/\0.*$/s, '');
      else longLink = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    // Most entries have no extended headers at all: no merged copy then (the maps are replaced, never mutated).
    const x = global.size === 0 ? pax : pax.size === 0 ? global : new Map([...global, ...pax]);
    if (pax.size > 0) pax = new Map();
    const rawName = x.get('path')?.toString('utf8') ?? longName ?? (h.prefix ? h.prefix + '/' + h.name : h.name);
    const rawLink = x.get('linkpath')?.toString('utf8') ?? longLink ?? h.linkname;
    longName = longLink = undefined;
    const kind = TAR_ENTRY_KIND[h.typeflag];
    if (!kind) throw new OciError(`${where}: unsupported tar entry type ${JSON.stringify(h.typeflag)} for ${JSON.stringify(rawName)}`);
    const size = kind === 'file' ? paxNumber(x.get('size'), h.size, where) : 0;
    pendingSkip = Math.ceil(paxNumber(x.get('size'), h.size, where) / 512) * 512;
    let path = normaliseLayerPath(rawName, `${src}: entry ${JSON.stringify(rawName)}`);
    if (path === '') continue; // the root directory's own entry: layers never change the root's metadata
    const xattrs: Record<string, Buffer> = {};
    for (const [k, v] of x) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice('SCHILY.xattr.'.length)] = Buffer.from(v);
    const slash = path.lastIndexOf('/');
    const base = path.slice(slash + 1);
    const dir = slash < 0 ? '' : path.slice(0, slash);
    let type: LayerEntryType = kind;
    if (!opts.rawWhiteouts && base.startsWith(WHITEOUT_PREFIX)) {
      if (base === OPAQUE_MARKER) {
        type = 'opaque';
        path = dir;
      } else if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) {
        continue; // other AUFS metadata (.wh..wh.plnk etc.) carries no change
      } else {
        type = 'whiteout';
        path = (dir ? dir + '/' : '') + base.slice(WHITEOUT_PREFIX.length);
      }
    }
    const entry: LayerEntry = {
      path, type,
      mode: h.mode & 0o7777,
      uid: paxNumber(x.get('uid'), h.uid, where),
      gid: paxNumber(x.get('gid'), h.gid, where),
      size: type === 'file' ? size : 0,
      mtimeNs: paxTime(x.get('mtime'), h.mtime, where),
    };
    const uname = x.get('uname')?.toString('utf8') ?? h.uname;
    const gname = x.get('gname')?.toString('utf8') ?? h.gname;
    if (uname) entry.uname = uname;
    if (gname) entry.gname = gname;
    if (Object.keys(xattrs).length) entry.xattrs = xattrs;
    if (type === 'symlink') entry.linkname = rawLink;
    if (type === 'hardlink') entry.linkname = normaliseLayerPath(rawLink, `${src}: hardlink ${JSON.stringify(rawName)}`);
    if (type === 'char' || type === 'block') {
      entry.devmajor = h.devmajor;
      entry.devminor = h.devminor;
    }
    if (type === 'file' && size > 0) {
      const gen = generation;
      let opened = false;
      const pad = pendingSkip - size;
      entry.open = () => {
        if (opened) throw new OciError(`${src}: content of ${path} can be read once`);
        opened = true;
        return Readable.from((async function* () {
          let left = size;
          while (left > 0) {
            if (gen !== generation) throw new OciError(`${src}: content of ${path} read after moving to the next entry`);
            const b = await r.some(left);
            if (!b) throw new OciError(`${src}: unexpected end of archive inside ${path}`);
            left -= b.length;
            pendingSkip -= b.length;
            yield b;
          }
          if (pad > 0 && pendingSkip === pad) {
            if (!(await r.skip(pad))) throw new OciError(`${src}: unexpected end of archive after ${path}`);
            pendingSkip = 0;
          }
        })(), { objectMode: false });
      };
    }
    yield entry;
  }
}

import { Readable } from 'node:stream';
import { OciError } from './errors.js';
import type { LayerEntry } from './layer-entry.js';
import { comparePaths, normaliseLayerPath, OPAQUE_MARKER, WHITEOUT_PREFIX } from './layer-path.js';
import { encodeHeader, encodePax, octalMax, TarType, type RawHeader } from './tar-header.js';

const FLUSH_AT = 256 * 1024;
const DIRECT_AT = 64 * 1024;
const ZEROS = Buffer.alloc(1024);

const TYPEFLAG: Record<string, string> = {
  file: TarType.file, dir: TarType.dir, symlink: TarType.symlink, hardlink: TarType.hardlink,
  char: TarType.char, block: TarType.block, fifo: TarType.fifo, whiteout: TarType.file, opaque: TarType.file,
};

/** The name an entry has inside the tar: whiteouts become `.wh.` files, directories end in '/'. */
function tarName(e: LayerEntry, path: string): string {
  if (e.type === 'whiteout' || e.type === 'opaque') {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash + 1);
    if (e.type === 'opaque') return (path === '' ? '' : path + '/') + OPAQUE_MARKER;
    return dir + WHITEOUT_PREFIX + path.slice(slash + 1);
  }
  return e.type === 'dir' ? path + '/' : path;
}

/** Splits a long name into ustar prefix/name when it fits, else undefined (then PAX carries it). */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') {
      if (Buffer.byteLength(prefix) > 155) break;
      return { name: rest, prefix };
    }
  }
  return undefined;
}

/** Header block(s) for one entry: an optional PAX header, then the ustar header. Exported for tests. */
export function entryHeaders(e: LayerEntry, path: string): Buffer[] {
  const name = tarName(e, path);
  const pax: Array<[string, Buffer | string]> = [];
  const isWh = e.type === 'whiteout' || e.type === 'opaque';
  const size = e.type === 'file' ? e.size : 0;
  const h: RawHeader = {
    name: '', prefix: '', typeflag: TYPEFLAG[e.type]!, linkname: '',
    mode: isWh ? 0 : e.mode & 0o7777, uid: isWh ? 0 : e.uid, gid: isWh ? 0 : e.gid, size,
    // Seconds only, as docker and BuildKit write: sub-second times would need a PAX header per file.
    mtime: Number(e.mtimeNs / 1_000_000_000n),
    uname: isWh ? '' : e.uname ?? '', gname: isWh ? '' : e.gname ?? '',
    devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0,
  };
  if (h.mtime < 0) h.mtime = 0;
  const split = splitName(name);
  if (split) Object.assign(h, split);
  else {
    pax.push(['path', name]);
    h.name = Buffer.from(name).subarray(0, 99).toString('utf8').replace(/\uFFFD$/, '');
  }
  if (e.type === 'symlink' || e.type === 'hardlink') {
    if (e.linkname === undefined) throw new OciError(`layer entry ${path}: ${e.type} without a link target`);
    const link = e.type === 'hardlink' ? normaliseLayerPath(e.linkname, `layer entry ${path} link`) : e.linkname;
    if (Buffer.byteLength(link) <= 100) h.linkname = link;
    else pax.push(['linkpath', link]);
  }
  for (const k of ['uid', 'gid'] as const) {
    if (h[k] > octalMax(8)) {
      pax.push([k, String(h[k])]);
      h[k] = 0;
    }
  }
  if (h.size > octalMax(12)) {
    pax.push(['size', String(h.size)]);
    h.size = 0;
  }
  for (const k of ['uname', 'gname'] as const) {
    if (Buffer.byteLength(h[k]) > 32) {
      pax.push([k, h[k]]);
      h[k] = '';
    }
  }
  if (e.xattrs && !isWh) {
    for (const key of Object.keys(e.xattrs).sort()) pax.push([`SCHILY.xattr.${key}`, e.xattrs[key]!]);
  }
  if (pax.length === 0) return [encodeHeader(h)];
  pax.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const body = encodePax(pax);
  const base = name.replace(/\/$/, '').split('/').pop()!;
  const paxHeader = encodeHeader({
    name: Buffer.from('PaxHeaders/' + base).subarray(0, 99).toString('utf8').replace(/\uFFFD$/, ''),
    prefix: '', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, typeflag: TarType.paxHeader,
    linkname: '', uname: '', gname: '', devmajor: 0, devminor: 0,
  });
  return [paxHeader, body, padding(body.length), encodeHeader(h)];
}

function padding(n: number): Buffer {
  const r = n % 512;
  // A view of shared zeros: pieces are only ever copied out of, never written.
  return ZEROS.subarray(0, r === 0 ? 0 : 512 - r);
}

/** Same path twice is allowed only as a directory followed by its opaque marker. */
function checkOrder(prev: LayerEntry | undefined, prevPath: string, e: LayerEntry, path: string): void {
  if (!prev) return;
  const c = comparePaths(prevPath, path);
  if (c < 0) return;
  if (c === 0 && prev.type === 'dir' && e.type === 'opaque') return;
  throw new OciError(`layer entries not sorted: ${JSON.stringify(path)} after ${JSON.stringify(prevPath)}`);
}

/** A file's content left for the tar's consumer to read (layerTarSegments): `size` bytes of the file at `path`. */
export interface FileRef {
  path: string;
  size: number;
}

async function* generate(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, recordSize: number, refsFrom = Infinity): AsyncGenerator<Buffer | FileRef> {
  let written = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const push = (b: Buffer) => {
    pending.push(b);
    pendingLen += b.length;
  };
  const take = () => {
    const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen);
    written += out.length;
    pending = [];
    pendingLen = 0;
    return out;
  };
  // Large content chunks go out as they are (after what is pending): copying them into a batch would cost
  // a pass over every byte; small pieces (headers, small files) are batched to keep the chunk count low.
  function* emit(c: Buffer): Generator<Buffer> {
    if (c.length < DIRECT_AT) {
      push(c);
      if (pendingLen >= FLUSH_AT) yield take();
      return;
    }
    if (pendingLen) yield take();
    written += c.length;
    yield c;
  }
  let prev: LayerEntry | undefined;
  let prevPath = '';
  for await (const e of entries) {
    const path = normaliseLayerPath(e.path, 'layer entry');
    if (path === '' && e.type !== 'opaque') throw new OciError('layer entry: the root itself cannot be an entry');
    checkOrder(prev, prevPath, e, path);
    prev = e;
    prevPath = path;
    for (const b of entryHeaders(e, path)) push(b);
    if (e.type === 'file' && e.contentPath !== undefined && e.data === undefined && e.size >= refsFrom) {
      if (pendingLen) yield take();
      written += e.size;
      yield { path: e.contentPath, size: e.size };
      push(padding(e.size));
      continue;
    }
    const data = e.type === 'file' && e.size > 0 ? e.data ?? e.readSync?.() : undefined;
    if (data) {
      if (data.length !== e.size) throw new OciError(`layer entry ${path}: content is ${data.length} bytes, header says ${e.size}${e.data ? '' : ' (changed while read?)'}`);
      yield* emit(data);
      push(padding(e.size));
    } else if (e.type === 'file' && e.size > 0) {
      if (!e.open) throw new OciError(`layer entry ${path}: file without content`);
      let n = 0;
      for await (const chunk of e.open()) {
        const c = chunk as Buffer;
        n += c.length;
        if (n > e.size) throw new OciError(`layer entry ${path}: content longer than its size ${e.size} (changed while read?)`);
        yield* emit(c);
      }
      if (n !== e.size) throw new OciError(`layer entry ${path}: content is ${n} bytes, header says ${e.size} (changed while read?)`);
      push(padding(e.size));
    }
    if (pendingLen >= FLUSH_AT) yield take();
  }
  push(ZEROS);
  const total = written + pendingLen;
  if (recordSize > 0 && total % recordSize) push(Buffer.alloc(recordSize - (total % recordSize)));
  yield take();
}

/** Options of writeLayerTar. */
export interface WriteTarOptions {
  /**
   * Pad the archive to a multiple of this many bytes, as GNU tar does (10240); tools that edit archives in
   * place (`tar --delete`) need it. Default 0: no padding, as docker and BuildKit write layers.
   */
  recordSize?: number;
}

/**
 * Writes a deterministic OCI layer tar from entries sorted by path (enforced): no atime/ctime, seconds-only
 * mtimes, empty uname/gname unless set, PAX only when needed (long names, big ids, xattrs with binary values),
 * whiteouts as `.wh.` entries and opaque dirs as `.wh..wh..opq`.
 */
export function writeLayerTar(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, opts: WriteTarOptions = {}): Readable {
  return Readable.from(generate(entries, opts.recordSize ?? 0) as AsyncGenerator<Buffer>, { objectMode: false, highWaterMark: 1 << 20 });
}

/**
 * The same tar as writeLayerTar, as pieces: bytes, and for each 'file' entry of at least `refsFrom` bytes
 * that has a contentPath (and no data), a FileRef to its content in place of the content itself, for a
 * consumer that reads such files on another thread (storeLayerSegments).
 */
export function layerTarSegments(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, refsFrom: number, opts: WriteTarOptions = {}): AsyncGenerator<Buffer | FileRef> {
  return generate(entries, opts.recordSize ?? 0, refsFrom);
}

import { createHash, type Hash } from 'node:crypto';
import {
  decodeHeader, decodePax, isZeroBlock, normaliseLayerPath, OciError, OPAQUE_MARKER, paxNumber, paxTime, TAR_ENTRY_KIND, TarType, WHITEOUT_PREFIX, type LayerEntryType, type RawHeader,
} from '@strata/oci';
import type { FileFacts } from './facts.js';
import type { LayerScan } from './scan.js';

const EXTENDED = new Set<string>([TarType.paxHeader, TarType.paxGlobal, TarType.gnuLongName, TarType.gnuLongLink]);



type State = 'header' | 'extended' | 'data' | 'skip' | 'end';

/** An octal header field, or -1 when it is not plain octal (base-256, junk): the full decoder decides then. */
function octal(b: Buffer, off: number, width: number): number {
  let n = 0;
  let digits = false;
  for (let i = off; i < off + width; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) {
      if (digits) break;
      continue;
    }
    if (c < 0x30 || c > 0x37) return -1;
    n = n * 8 + (c - 0x30);
    digits = true;
  }
  return n;
}

function field(b: Buffer, off: number, width: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + width ? off + width : end);
}

/**
 * The common case of a ustar header decoded with byte loops instead of @strata/oci's decodeHeader (which
 * builds strings and runs regular expressions per field); undefined sends the block to decodeHeader, which
 * also produces the error for a bad checksum.
 */
function quickHeader(b: Buffer): RawHeader | undefined {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  if (octal(b, 148, 8) !== sum) return undefined;
  const mode = octal(b, 100, 8), uid = octal(b, 108, 8), gid = octal(b, 116, 8), size = octal(b, 124, 12), mtime = octal(b, 136, 12);
  if (mode < 0 || uid < 0 || gid < 0 || size < 0 || mtime < 0) return undefined;
  const ustar = b[257] === 0x75 && b[258] === 0x73 && b[259] === 0x74 && b[260] === 0x61 && b[261] === 0x72;
  const posix = ustar && b[262] === 0;
  const devmajor = ustar ? octal(b, 329, 8) : 0, devminor = ustar ? octal(b, 337, 8) : 0;
  if (devmajor < 0 || devminor < 0) return undefined;
  return {
    name: field(b, 0, 100), mode, uid, gid, size, mtime, typeflag: b[156] === 0 ? '0' : String.fromCharCode(b[156]!),
    linkname: b[157] === 0 ? '' : field(b, 157, 100), uname: '', gname: '', devmajor, devminor, prefix: posix && b[345] !== 0 ? field(b, 345, 155) : '',
  };
}

/** Matches anything normaliseLayerPath would change besides one trailing slash. */
const NEEDS_NORMALISING = /^\/|\/\/|(^|\/)\.\.?(\/|$)|\0/;

/** normaliseLayerPath, skipped for the usual already-clean path. */
function normalise(p: string, where: string): string {
  if (NEEDS_NORMALISING.test(p)) return normaliseLayerPath(p, where);
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * A push parser of layer tars that produces inspect's FileFacts directly, hashing each file's content from
 * the chunks as they pass. It decodes headers with @strata/oci's codec and applies the same rules as
 * readLayerTar (path normalisation, whiteout and opaque conversion, PAX and GNU long names, root entry
 * skipped), but makes no stream, promise or entry object per file: on images of 100,000 files those cost
 * more than the decompression (see benchmarks/inspect). test/tar-scan.test.ts checks it against readLayerTar.
 */
export class TarScanner {
  private state: State = 'header';
  private need = 512;
  private parts: Buffer[] = [];
  private have = 0;
  private offset = 0;
  private headerAt = 0;
  private extType = '';
  private pax = new Map<string, Buffer>();
  private global = new Map<string, Buffer>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private current: FileFacts | undefined;
  private hash: Hash | undefined;
  private readonly out: FileFacts[] = [];
  private storedBytes = 0;
  private files = 0;

  /** `source` names the archive in errors. */
  constructor(private readonly source: string) {}

  /** Feeds the next chunk of the uncompressed tar. */
  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && this.state !== 'end') {
      if (this.state === 'data' || this.state === 'skip') {
        const take = Math.min(this.need, chunk.length - off);
        if (this.state === 'data') this.hash!.update(take === chunk.length ? chunk : chunk.subarray(off, off + take));
        off += take;
        this.offset += take;
        this.need -= take;
        if (this.need === 0) this.finishBody();
        continue;
      }
      const take = Math.min(this.need - this.have, chunk.length - off);
      this.parts.push(chunk.subarray(off, off + take));
      this.have += take;
      off += take;
      this.offset += take;
      if (this.have < this.need) continue;
      const block = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.have);
      this.parts = [];
      this.have = 0;
      if (this.state === 'header') this.onHeader(block);
      else this.onExtended(block);
    }
  }

  /** Ends the input; throws if the tar stopped before its end-of-archive block. */
  end(): LayerScan {
    if (this.state !== 'end') {
      if (this.offset === 0) throw new OciError(`${this.source}: empty archive`);
      throw new OciError(`${this.source}: unexpected end of archive at byte ${this.offset}${this.current ? ` inside ${this.current.path}` : ''}`);
    }
    return { entries: this.out, storedBytes: this.storedBytes, files: this.files };
  }

  private onHeader(block: Buffer): void {
    this.headerAt = this.offset - 512;
    if (isZeroBlock(block)) {
      this.state = 'end';
      return;
    }
    const where = `${this.source} at byte ${this.headerAt}`;
    const h = quickHeader(block) ?? decodeHeader(block, where);
    if (EXTENDED.has(h.typeflag)) {
      if (h.size > 1 << 24) throw new OciError(`${where}: extended header of ${h.size} bytes is too large`);
      this.extType = h.typeflag;
      this.state = 'extended';
      this.need = Math.ceil(h.size / 512) * 512;
      this.extSize = h.size;
      if (this.need === 0) this.onExtended(Buffer.alloc(0));
      return;
    }
    const x = this.global.size ? new Map([...this.global, ...this.pax]) : this.pax;
    this.pax = new Map();
    const rawName = x.get('path')?.toString('utf8') ?? this.longName ?? (h.prefix ? h.prefix + '/' + h.name : h.name);
    const rawLink = x.get('linkpath')?.toString('utf8') ?? this.longLink ?? h.linkname;
    this.longName = this.longLink = undefined;
    const kind = TAR_ENTRY_KIND[h.typeflag];
    if (!kind) throw new OciError(`${where}: unsupported tar entry type ${JSON.stringify(h.typeflag)} for ${JSON.stringify(rawName)}`);
    const bodySize = paxNumber(x.get('size'), h.size, where);
    let path = normalise(rawName, `${this.source}: entry ${JSON.stringify(rawName)}`);
    let type: LayerEntryType = kind;
    let keep = path !== ''; // the root's own entry: layers never change the root's metadata
    const slash = path.lastIndexOf('/');
    const base = path.slice(slash + 1);
    if (keep && base.startsWith(WHITEOUT_PREFIX)) {
      const dir = slash < 0 ? '' : path.slice(0, slash);
      if (base === OPAQUE_MARKER) { type = 'opaque'; path = dir; } else if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) keep = false;
      else { type = 'whiteout'; path = (dir ? dir + '/' : '') + base.slice(WHITEOUT_PREFIX.length); }
    }
    this.current = undefined;
    if (keep) {
      const f: FileFacts = {
        path, type, mode: h.mode & 0o7777, uid: paxNumber(x.get('uid'), h.uid, where), gid: paxNumber(x.get('gid'), h.gid, where),
        size: type === 'file' ? bodySize : 0, mtimeNs: paxTime(x.get('mtime'), h.mtime, where),
      };
      if (type === 'symlink') f.linkname = rawLink;
      if (type === 'hardlink') f.linkname = normalise(rawLink, `${this.source}: hardlink ${JSON.stringify(rawName)}`);
      if (type === 'char' || type === 'block') { f.devmajor = h.devmajor; f.devminor = h.devminor; }
      if (x.size) {
        const keys = [...x.keys()].filter((k) => k.startsWith('SCHILY.xattr.')).sort();
        if (keys.length) {
          f.xattrs = {};
          for (const k of keys) f.xattrs[k.slice('SCHILY.xattr.'.length)] = x.get(k)!.toString('base64');
        }
      }
      if (type === 'file') {
        this.files++;
        this.storedBytes += bodySize;
      }
      this.out.push(f);
      this.current = f;
    }
    this.padTo = Math.ceil(bodySize / 512) * 512;
    if (keep && type === 'file') {
      this.hash = createHash('sha256');
      this.state = 'data';
      this.need = bodySize;
      this.padTo -= bodySize;
      if (this.need === 0) this.finishBody();
    } else this.skip(this.padTo);
  }

  private extSize = 0;
  private padTo = 0;

  private finishBody(): void {
    if (this.state === 'data') {
      this.current!.hash = this.hash!.digest('hex');
      this.hash = undefined;
      this.skip(this.padTo);
      return;
    }
    this.current = undefined;
    this.state = 'header';
    this.need = 512;
  }

  private skip(n: number): void {
    if (n === 0) {
      this.current = undefined;
      this.state = 'header';
      this.need = 512;
    } else {
      this.state = 'skip';
      this.need = n;
    }
  }

  private onExtended(body: Buffer): void {
    const data = body.subarray(0, this.extSize);
    const where = `${this.source} at byte ${this.headerAt}`;
    if (this.extType === TarType.paxHeader) this.pax = new Map([...this.pax, ...decodePax(data, where)]);
    else if (this.extType === TarType.paxGlobal) this.global = new Map([...this.global, ...decodePax(data, where)]);
    else if (this.extType === TarType.gnuLongName) this.longName = data.toString('utf8').replace(/\0.*$/s, '');
    else this.longLink = data.toString('utf8').replace(/\0.*$/s, '');
    this.state = 'header';
    this.need = 512;
  }
}

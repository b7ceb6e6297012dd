import { OciError } from './errors.js';
import type { LayerEntryType } from './layer-entry.js';

/**
 * Low-level ustar/PAX header encoding and decoding. Written here rather than taken from tar-stream because
 * tar-stream decodes PAX records as UTF-8 strings, which corrupts binary xattr values (security.capability),
 * and because layer determinism needs exact control of every header byte.
 */

/** Tar typeflags used by layers. */
export const TarType = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
  contiguous: '7',
  paxHeader: 'x',
  paxGlobal: 'g',
  gnuLongName: 'L',
  gnuLongLink: 'K',
} as const;

/** The fields of one header block (names already split or long names moved to PAX by the caller). */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  prefix: string;
}

/** Largest value an octal field of `width` bytes holds (one byte is the terminator). */
export function octalMax(width: number): number {
  return 8 ** (width - 1) - 1;
}

/**
 * Writes `s` as UTF-8 at `off` (the rest of the field stays NUL) and returns the sum of the bytes written, for
 * the header's checksum; longer than `width` bytes is an error.
 */
function putString(buf: Buffer, off: number, width: number, s: string): number {
  if (s === '') return 0;
  // ASCII (nearly every name) byte by byte: a Buffer.write and a byteLength per field cost more than the bytes.
  if (s.length <= width) {
    let sum = 0;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[off + i] = c;
      sum += c;
    }
    if (i === s.length) return sum;
  }
  if (Buffer.byteLength(s, 'utf8') > width) throw new OciError(`tar header: ${JSON.stringify(s)} longer than ${width} bytes`);
  const n = buf.write(s, off, width, 'utf8');
  let sum = 0;
  for (let i = off; i < off + n; i++) sum += buf[i]!;
  return sum;
}

/** Writes `n` as width-1 zero-padded octal digits and a NUL; returns the sum of the bytes written. */
function putOctal(buf: Buffer, off: number, width: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > octalMax(width)) throw new OciError(`tar header: number ${n} does not fit ${width} bytes`);
  buf[off + width - 1] = 0;
  let sum = 0;
  for (let i = off + width - 2; i >= off; i--) {
    const d = 0x30 + (n % 8);
    buf[i] = d;
    sum += d;
    n = Math.floor(n / 8);
  }
  return sum;
}

/** What every header starts as: NUL fields, the checksum field as spaces, the POSIX magic "ustar\0" and "00". */
const HEADER_TEMPLATE = (() => {
  const b = Buffer.alloc(512);
  b.fill(0x20, 148, 156);
  b.write('ustar\x0000', 257, 8, 'binary');
  return b;
})();
const TEMPLATE_SUM = HEADER_TEMPLATE.reduce((a, c) => a + c, 0);

/** Encodes one 512-byte ustar header block (POSIX magic "ustar\0" "00"). */
export function encodeHeader(h: RawHeader): Buffer {
  // From Node's buffer pool: a separately allocated 512 bytes per entry costs far more.
  const b = Buffer.allocUnsafe(512);
  HEADER_TEMPLATE.copy(b);
  b[156] = h.typeflag === '' ? 0 : h.typeflag.charCodeAt(0) & 0xff;
  // The checksum is the sum of every byte with its own field as spaces: the template's, plus what each field adds.
  const sum = TEMPLATE_SUM + b[156]! + putString(b, 0, 100, h.name) + putOctal(b, 100, 8, h.mode) + putOctal(b, 108, 8, h.uid)
    + putOctal(b, 116, 8, h.gid) + putOctal(b, 124, 12, h.size) + putOctal(b, 136, 12, h.mtime) + putString(b, 157, 100, h.linkname)
    + putString(b, 265, 32, h.uname) + putString(b, 297, 32, h.gname) + putOctal(b, 329, 8, h.devmajor) + putOctal(b, 337, 8, h.devminor)
    + putString(b, 345, 155, h.prefix);
  // Six octal digits, NUL, space.
  putOctal(b, 148, 7, sum);
  b[155] = 0x20;
  return b;
}

/** Encodes PAX records `len key=value\n`; values are raw bytes so binary xattrs survive. */
export function encodePax(records: Array<[string, Buffer | string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const rest = Buffer.byteLength(key) + v.length + 3; // ' ' '=' '\n'
    let len = rest + String(rest).length;
    if (String(len).length !== String(rest).length) len = rest + String(len).length;
    parts.push(Buffer.from(`${len} ${key}=`, 'utf8'), v, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Decodes PAX records; values stay Buffers. Throws on malformed records. */
export function decodePax(buf: Buffer, where: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0) break;
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) throw new OciError(`${where}: malformed PAX record`);
    const len = Number(buf.toString('ascii', off, sp));
    if (!Number.isInteger(len) || len <= sp - off || off + len > buf.length || buf[off + len - 1] !== 0x0a) {
      throw new OciError(`${where}: malformed PAX record length`);
    }
    const eq = buf.indexOf(0x3d, sp);
    if (eq < 0 || eq >= off + len) throw new OciError(`${where}: PAX record without '='`);
    out.set(buf.toString('utf8', sp + 1, eq), buf.subarray(eq + 1, off + len - 1));
    off += len;
  }
  return out;
}

function getString(b: Buffer, off: number, width: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + width ? off + width : end);
}

function getNumber(b: Buffer, off: number, width: number, where: string): number {
  if (b[off]! & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as marker.
    let n = 0;
    for (let i = 1; i < width; i++) n = n * 256 + b[off + i]!;
    if (!Number.isSafeInteger(n)) throw new OciError(`${where}: number field out of range`);
    return n;
  }
  const s = b.toString('ascii', off, off + width).replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new OciError(`${where}: invalid octal field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

/** True for a block of 512 zero bytes (end of archive). */
export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < 512; i++) if (b[i] !== 0) return false;
  return true;
}

/** Decodes and checksums one header block; `where` names the archive and offset in errors. */
export function decodeHeader(b: Buffer, where: string): RawHeader {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  const want = getNumber(b, 148, 8, where);
  if (want !== unsigned && want !== signed) throw new OciError(`${where}: tar header checksum mismatch`);
  const magic = b.toString('binary', 257, 263);
  const posix = magic === 'ustar\0';
  return {
    name: getString(b, 0, 100),
    mode: getNumber(b, 100, 8, where),
    uid: getNumber(b, 108, 8, where),
    gid: getNumber(b, 116, 8, where),
    size: getNumber(b, 124, 12, where),
    mtime: getNumber(b, 136, 12, where),
    typeflag: b[156] === 0 ? '0' : String.fromCharCode(b[156]!),
    linkname: getString(b, 157, 100),
    uname: getString(b, 265, 32),
    gname: getString(b, 297, 32),
    devmajor: magic.startsWith('ustar') ? getNumber(b, 329, 8, where) : 0,
    devminor: magic.startsWith('ustar') ? getNumber(b, 337, 8, where) : 0,
    prefix: posix ? getString(b, 345, 155) : '',
  };
}

/** The in-system entry kind of each tar typeflag that denotes a file (extended headers have none). */
export const TAR_ENTRY_KIND: Readonly<Record<string, LayerEntryType>> = {
  [TarType.file]: 'file', [TarType.contiguous]: 'file', [TarType.hardlink]: 'hardlink',
  [TarType.symlink]: 'symlink', [TarType.char]: 'char', [TarType.block]: 'block',
  [TarType.dir]: 'dir', [TarType.fifo]: 'fifo',
};

/** A PAX decimal record (size, uid, gid…), or `fallback` when absent; OciError naming `where` when malformed. */
export function paxNumber(v: Buffer | undefined, fallback: number, where: string): number {
  if (!v) return fallback;
  const s = v.toString('ascii');
  if (!/^\d+$/.test(s)) throw new OciError(`${where}: invalid PAX number ${JSON.stringify(s)}`);
  return Number(s);
}

/** A PAX time record (`sec[.frac]`) in nanoseconds, or `fallbackSec` when absent. */
export function paxTime(v: Buffer | undefined, fallbackSec: number, where: string): bigint {
  if (!v) return BigInt(fallbackSec) * 1_000_000_000n;
  const m = /^(-?\d+)(?:\.(\d+))?$/.exec(v.toString('ascii'));
  if (!m) throw new OciError(`${where}: invalid PAX mtime`);
  const frac = BigInt((m[2] ?? '').slice(0, 9).padEnd(9, '0'));
  return BigInt(m[1]!) * 1_000_000_000n + (m[1]!.startsWith('-') ? -frac : frac);
}

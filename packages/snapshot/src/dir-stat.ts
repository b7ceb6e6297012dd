import type { BigIntStats } from 'node:fs';
import { DIR_STAT_FIELDS } from '@strata/native-overlay';

/** The parts of an lstat the differs read: BigIntStats has them, and so does one entry of a directory scan. */
export type EntryStat = Pick<BigIntStats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isCharacterDevice' | 'isBlockDevice'
  | 'isFIFO' | 'isSocket' | 'mode' | 'uid' | 'gid' | 'size' | 'dev' | 'ino' | 'rdev' | 'mtimeNs' | 'nlink'>;

const WIDTH = DIR_STAT_FIELDS.length;
const at = (f: (typeof DIR_STAT_FIELDS)[number]) => DIR_STAT_FIELDS.indexOf(f);
const [MODE, UID, GID, SIZE, DEV, INO, RDEV, MTIME, NLINK] = (['mode', 'uid', 'gid', 'size', 'dev', 'ino', 'rdev', 'mtimeNs', 'nlink'] as const).map(at) as
  [number, number, number, number, number, number, number, number, number];
const S_IFMT = 0o170000;

/** Which 32-bit half of a 64-bit field holds its low bits: 0 on a little-endian machine, 1 on a big-endian one. */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/** 32-bit views of scan arrays, made once per array (a scan's entries share theirs). */
const wordViews = new WeakMap<BigInt64Array, Uint32Array>();
function wordsOf(v: BigInt64Array): Uint32Array {
  let w = wordViews.get(v);
  if (w === undefined) wordViews.set(v, (w = new Uint32Array(v.buffer, v.byteOffset, v.length * 2)));
  return w;
}

/**
 * Entry `i` of native-overlay's lstatDir (fstatat relative to the directory: no path walk from the root, no
 * Stats object with its Date fields per file) as an EntryStat. Values are read from the scan's array.
 */
export class ScannedStat implements EntryStat {
  private readonly o: number;
  /** st_mode, read as the low word of its field: the type checks make no BigInts. */
  private readonly modeBits: number;
  constructor(private readonly v: BigInt64Array, i: number) {
    this.o = i * WIDTH;
    this.modeBits = wordsOf(v)[2 * (this.o + MODE) + LOW_WORD]!;
  }
  private type(): number {
    return this.modeBits & S_IFMT;
  }
  isFile(): boolean { return this.type() === 0o100000; }
  isDirectory(): boolean { return this.type() === 0o040000; }
  isSymbolicLink(): boolean { return this.type() === 0o120000; }
  isCharacterDevice(): boolean { return this.type() === 0o020000; }
  isBlockDevice(): boolean { return this.type() === 0o060000; }
  isFIFO(): boolean { return this.type() === 0o010000; }
  isSocket(): boolean { return this.type() === 0o140000; }
  get mode(): bigint { return this.v[this.o + MODE]!; }
  get uid(): bigint { return this.v[this.o + UID]!; }
  get gid(): bigint { return this.v[this.o + GID]!; }
  get size(): bigint { return this.v[this.o + SIZE]!; }
  get dev(): bigint { return BigInt.asUintN(64, this.v[this.o + DEV]!); }
  get ino(): bigint { return BigInt.asUintN(64, this.v[this.o + INO]!); }
  get rdev(): bigint { return BigInt.asUintN(64, this.v[this.o + RDEV]!); }
  get mtimeNs(): bigint { return this.v[this.o + MTIME]!; }
  get nlink(): bigint { return this.v[this.o + NLINK]!; }
}

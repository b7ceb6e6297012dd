import type { BigIntStats } from 'node:fs';
import { DIR_STAT_FIELDS } from '@strata/native-overlay';

/** The parts of an lstat the differs read: BigIntStats has them, and so does one entry of a directory scan. */
export type EntryStat = Pick<BigIntStats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isCharacterDevice' | 'isBlockDevice'
  | 'isFIFO' | 'isSocket' | 'mode' | 'uid' | 'gid' | 'size' | 'dev' | 'ino' | 'rdev' | 'mtimeNs' | 'nlink'>;

const WIDTH = DIR_STAT_FIELDS.length;
const at = (f: (typeof DIR_STAT_FIELDS)[number]) => DIR_STAT_FIELDS.indexOf(f);
const [MODE, UID, GID, SIZE, DEV, INO, RDEV, MTIME, NLINK] = (['mode', 'uid', 'gid', 'size', 'dev', 'ino', 'rdev', 'mtimeNs', 'nlink'] as const).map(at) as
  [number, number, number, number, number, number, number, number, number];
const S_IFMT = 0o170000n;

/**
 * Entry `i` of native-overlay's lstatDir (fstatat relative to the directory: no path walk from the root, no
 * Stats object with its Date fields per file) as an EntryStat. Values are read from the scan's array.
 */
export class ScannedStat implements EntryStat {
  private readonly o: number;
  constructor(private readonly v: BigInt64Array, i: number) {
    this.o = i * WIDTH;
  }
  private type(): bigint {
    return this.v[this.o + MODE]! & S_IFMT;
  }
  isFile(): boolean { return this.type() === 0o100000n; }
  isDirectory(): boolean { return this.type() === 0o040000n; }
  isSymbolicLink(): boolean { return this.type() === 0o120000n; }
  isCharacterDevice(): boolean { return this.type() === 0o020000n; }
  isBlockDevice(): boolean { return this.type() === 0o060000n; }
  isFIFO(): boolean { return this.type() === 0o010000n; }
  isSocket(): boolean { return this.type() === 0o140000n; }
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

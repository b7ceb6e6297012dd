import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errCode } from './errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random short name; 10 characters of 36 give about 3.6e15 names. */
export function shortName(): string {
  const b = randomBytes(10);
  return [...b].map((x) => ALPHABET[x % ALPHABET.length]).join('');
}

/**
 * Creates `links/<short> → target` (relative, so the root may move) under a fresh short name; symlink(2)
 * never replaces, so concurrent processes cannot take the same name.
 */
export function createShortLink(links: string, target: string): string {
  fs.mkdirSync(links, { recursive: true });
  for (;;) {
    const short = shortName();
    try {
      fs.symlinkSync(path.relative(links, target), path.join(links, short));
      return short;
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
    }
  }
}

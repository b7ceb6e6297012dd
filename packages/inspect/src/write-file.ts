import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InspectError, oneLine } from './errors.js';

/** Writes a report file whole or not at all: temp file beside it, fsync, rename. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  try {
    writeWhole(file, data);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InspectError(`cannot write ${file}: ${err.code ?? oneLine(e)}`);
  }
}

function writeWhole(file: string, data: string | Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

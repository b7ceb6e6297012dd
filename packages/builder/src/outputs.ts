import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extractLayer, treeEntries, writeImageArchive, writeLayerTar, writeOciLayout, type Image, type LocalStore } from '@strata/oci';
import { BuildError } from './errors.js';
import { scratchName } from './stale.js';
import { viaScratchFile } from './scratch-files.js';

/** One `--output type=…,dest=…` (buildx's spelling); dest `-` is standard output (tar, oci and docker). */
export interface OutputSpec {
  type: 'oci' | 'docker' | 'local' | 'tar';
  dest: string;
}

/** Parses `type=oci,dest=out.tar`; a bare path means type=local and a bare `-` a tar on stdout (as buildx does). */
export function parseOutput(text: string): OutputSpec {
  if (text === '-') return { type: 'tar', dest: '-' };
  if (!text.includes('=')) return { type: 'local', dest: text };
  const kv = new Map(text.split(',').map((p) => {
    const i = p.indexOf('=');
    return [i < 0 ? p : p.slice(0, i), i < 0 ? '' : p.slice(i + 1)] as [string, string];
  }));
  const type = kv.get('type');
  const dest = kv.get('dest');
  if (!type || !['oci', 'docker', 'local', 'tar'].includes(type)) throw new BuildError(`--output ${text}: type must be oci, docker, local or tar`);
  if (!dest) throw new BuildError(`--output ${text}: dest= is required`);
  if (dest === '-' && type === 'local') throw new BuildError(`--output ${text}: a local output is a directory, it cannot go to standard output`);
  for (const k of kv.keys()) if (!['type', 'dest', 'name'].includes(k)) throw new BuildError(`--output ${text}: unknown key "${k}"`);
  return { type: type as OutputSpec['type'], dest };
}

/** Applies an image's layers in order, whiteouts applied: its root filesystem as a directory. */
async function unpackTo(image: Image, dir: string): Promise<void> {
  for (const [i, l] of (await image.layers()).entries()) {
    await extractLayer(await l.uncompressed(), dir, { whiteouts: 'apply', source: `layer ${i}` });
  }
}

/**
 * Writes each requested output of a built image; one with dest `-` is made in a scratch file first and then
 * copied to `stdout`, so a failure never leaves half an archive in a pipe that looks complete.
 */
export async function writeOutputs(store: LocalStore, image: Image, outputs: OutputSpec[], names: string[], stdout?: Writable): Promise<void> {
  for (const o of outputs) {
    if (o.dest === '-') {
      if (stdout === undefined) throw new BuildError(`--output type=${o.type},dest=-: no standard output to write to`);
      await viaScratchFile(store.content.tmpDir, (file) => writeOutputs(store, image, [{ type: o.type, dest: file }], names), stdout);
      continue;
    }
    const dest = path.resolve(o.dest);
    if (o.type === 'oci' && !dest.endsWith('.tar')) {
      await writeOciLayout(dest, [{ image, ...(names[0] ? { ref: names[0].split(':').pop()!, name: names[0] } : {}) }]);
    } else if (o.type === 'oci' || o.type === 'docker') {
      await writeImageArchive(dest, [{ image, names }], o.type === 'oci' ? 'oci' : 'docker', store.content.tmpDir);
    } else if (o.type === 'local') {
      await mkdir(dest, { recursive: true });
      await unpackTo(image, dest);
    } else {
      const tmp = await mkdtemp(path.join(store.content.tmpDir, scratchName('output')));
      try {
        await unpackTo(image, tmp);
        const part = `${dest}.part-${process.pid}`;
        await pipeline(writeLayerTar(treeEntries(tmp)), createWriteStream(part));
        await rename(part, dest);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
  }
}

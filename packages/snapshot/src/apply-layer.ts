import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { applyLayerEntries, normaliseLayerPath, readLayerTar, type ExtractStats, type LayerEntry } from '@strata/oci';
import { NativeExtractFs } from './native-extract-fs.js';
import { sys } from './sys.js';
import { isPrivateXattr } from './xattrs.js';

/**
 * How whiteouts land: 'overlay' writes a layer dir for use as a lower (0/0 devices, opaque xattr); 'apply'
 * writes onto a full tree (whiteouts delete) — the copy driver, export and flatten.
 */
export type WhiteoutMode = 'overlay' | 'apply';

/**
 * The applier: @strata/oci's safe extractor with the native ExtractFs. One addition: a directory entry that
 * lands on an existing directory drops the xattrs the entry no longer has, which the extractor leaves (it only
 * sets xattrs) — without it a layer that clears a directory's xattrs would not apply faithfully.
 */
export async function applyLayer(
  entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>, dir: string, whiteouts: WhiteoutMode, source = 'layer',
): Promise<ExtractStats> {
  return applyLayerEntries(dropStaleXattrs(entries, dir, source), dir, { fs: new NativeExtractFs(), whiteouts, devices: 'create', source });
}

/** Reads an uncompressed OCI layer tar and applies it (see applyLayer). */
export async function applyLayerTar(tar: Readable | AsyncIterable<Buffer>, dir: string, whiteouts: WhiteoutMode, source = 'layer'): Promise<ExtractStats> {
  return applyLayer(readLayerTar(tar, { source }), dir, whiteouts, source);
}

/** Runs just before the extractor sees each entry, so earlier entries are already on disk. */
async function* dropStaleXattrs(entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>, dir: string, source: string): AsyncGenerator<LayerEntry> {
  for await (const e of entries) {
    if (e.type === 'dir') {
      const target = realDirInside(dir, normaliseLayerPath(e.path, `${source}: entry ${JSON.stringify(e.path)}`));
      if (target) {
        const s = sys();
        for (const n of s.listXattr(target)) if (!isPrivateXattr(n) && !(e.xattrs && n in e.xattrs)) s.removeXattr(target, n);
      }
    }
    yield e;
  }
}

/** The host path of rel when every component is a real directory (no symlinks); else undefined. */
function realDirInside(dir: string, rel: string): string | undefined {
  if (rel === '') return undefined;
  let cur = dir;
  for (const part of rel.split('/')) {
    cur = path.join(cur, part);
    try {
      if (!fs.lstatSync(cur).isDirectory()) return undefined;
    } catch {
      return undefined;
    }
  }
  return cur;
}

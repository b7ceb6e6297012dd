import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { LayerEntry } from '@strata/oci';
import { sys } from './sys.js';
import { errCode, UnsafeEntryError } from './errors.js';
import { isPrivateXattr, OPAQUE_XATTRS } from './xattrs.js';

/**
 * 'layer': write an overlay-format layer dir (whiteouts become 0/0 devices, opaque dirs get the xattr), the
 * form lower dirs need. 'tree': apply onto a full tree (whiteouts delete, opaque clears what lower layers put
 * there), the form the copy driver needs.
 */
export type ApplyFormat = 'layer' | 'tree';

/** A LayerEntry that may name the file its content can be reflinked from. */
export type ApplyEntry = LayerEntry & { sourcePath?: string };

const TYPE_BITS = { char: 0o020000, block: 0o060000, fifo: 0o010000 } as const;

/** Rejects absolute paths, '..' and empty components: nothing may land outside `dir`. */
export function checkRelPath(p: string, what = 'path'): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  if (p.startsWith('/') || parts.length === 0 || parts.some((x) => x === '..')) {
    throw new UnsafeEntryError(`unsafe ${what} in layer: ${JSON.stringify(p)}`);
  }
  return parts.join('/');
}

/** Makes the parents of `rel` inside `dir`, refusing to pass through anything but real directories. */
function ensureParents(dir: string, rel: string): void {
  let cur = dir;
  for (const part of rel.split('/').slice(0, -1)) {
    cur = path.join(cur, part);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(cur);
    } catch (e) {
      if (errCode(e) !== 'ENOENT') throw e;
    }
    if (!st) fs.mkdirSync(cur, 0o755);
    else if (!st.isDirectory()) throw new UnsafeEntryError(`layer entry ${JSON.stringify(rel)} passes through non-directory ${JSON.stringify(path.relative(dir, cur))}`);
  }
}

/**
 * Applies a change set from our own trees to `dir` (materializing a chain, storing the copy driver's diff).
 * Untrusted layers go through @strata/oci's extractor instead (apply-layer.ts); this one exists because it
 * can reflink file content from `sourcePath`, which a stream-based extractor cannot. Entries come sorted.
 */
export async function applyEntries(
  entries: AsyncIterable<ApplyEntry> | Iterable<ApplyEntry>, dir: string, format: ApplyFormat,
): Promise<void> {
  const s = sys();
  const written = new Set<string>();
  const dirTimes: Array<[string, bigint]> = [];
  for await (const e of entries) {
    const rel = checkRelPath(e.path);
    const target = path.join(dir, rel);
    ensureParents(dir, rel);
    const existing = lstatOrUndefined(target);
    switch (e.type) {
      case 'whiteout':
        if (format === 'tree' && written.has(rel)) break;
        if (existing) fs.rmSync(target, { recursive: true, force: true });
        if (format === 'layer') s.mkWhiteout(target);
        break;
      case 'opaque':
        if (format === 'layer') s.setXattr(target, OPAQUE_XATTRS[0]!, Buffer.from('y'), 0);
        else clearUnwritten(target, rel, written);
        break;
      case 'dir':
        if (existing && !existing.isDirectory()) fs.rmSync(target, { recursive: true, force: true });
        if (!existing || !existing.isDirectory()) fs.mkdirSync(target, 0o700);
        setMeta(target, e, format === 'tree' && !!existing?.isDirectory());
        dirTimes.push([target, e.mtimeNs]);
        break;
      case 'hardlink': {
        const src = path.join(dir, checkRelPath(e.linkname ?? '', 'hardlink target'));
        const st = lstatOrUndefined(src);
        if (!st || st.isDirectory()) throw new UnsafeEntryError(`hardlink ${JSON.stringify(rel)} points at missing or directory ${JSON.stringify(e.linkname)}`);
        if (existing) fs.rmSync(target, { recursive: true, force: true });
        fs.linkSync(src, target);
        break;
      }
      default:
        if (existing) fs.rmSync(target, { recursive: true, force: true });
        await createObject(target, e);
        setMeta(target, e, false);
        s.lutimesNs(target, e.mtimeNs, e.mtimeNs);
    }
    written.add(rel);
  }
  // Directory times last, deepest first: creating children moved them.
  for (const [d, t] of dirTimes.reverse()) s.lutimesNs(d, t, t);
}

async function createObject(target: string, e: ApplyEntry): Promise<void> {
  const s = sys();
  switch (e.type) {
    case 'file':
      if (e.sourcePath && cloneOrCopy(e.sourcePath, target)) return;
      if (!e.open) throw new UnsafeEntryError(`file entry ${JSON.stringify(e.path)} has no content`);
      await pipeline(e.open(), fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      return;
    case 'symlink':
      fs.symlinkSync(e.linkname ?? '', target);
      return;
    case 'char': case 'block': case 'fifo':
      s.mknod(target, TYPE_BITS[e.type] | (e.mode & 0o777), e.devmajor ?? 0, e.devminor ?? 0);
      return;
    default:
      throw new UnsafeEntryError(`unsupported layer entry type ${e.type} at ${JSON.stringify(e.path)}`);
  }
}

/** Reflink when the filesystem can (FICLONE through the binding), else a plain copy. */
function cloneOrCopy(src: string, dst: string): boolean {
  if (!sys().cloneFile(src, dst)) fs.copyFileSync(src, dst, fs.constants.COPYFILE_EXCL);
  return true;
}

/** Owner, then mode (chown clears set-id bits), then xattrs; `replaceXattrs` drops ones the entry lacks. */
function setMeta(target: string, e: LayerEntry, replaceXattrs: boolean): void {
  const s = sys();
  s.lchown(target, e.uid, e.gid);
  if (e.type !== 'symlink') fs.chmodSync(target, e.mode & 0o7777);
  const want = e.xattrs ?? {};
  if (replaceXattrs) {
    for (const n of s.listXattr(target)) if (!isPrivateXattr(n) && !(n in want)) s.removeXattr(target, n);
  }
  for (const [n, v] of Object.entries(want)) s.setXattr(target, n, v, 0);
}

/** 'tree' format opaque: drop what lower layers left in the dir; keep what this layer wrote. */
function clearUnwritten(dirAbs: string, rel: string, written: Set<string>): void {
  for (const name of fs.readdirSync(dirAbs)) {
    if (!written.has(`${rel}/${name}`)) fs.rmSync(path.join(dirAbs, name), { recursive: true, force: true });
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

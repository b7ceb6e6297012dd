import { lstat, writeFile, chmod, lchown, utimes } from 'node:fs/promises';
import path from 'node:path';
import { PatternMatcher, hasWildcard, type BuildContext } from '@strata/context';
import { resolveInRoot, resolveUser } from '@strata/executor';
import type { CopyAction, FileOp, MkdirAction } from '@strata/planner';
import type { LayerChain } from '@strata/cache';
import { nativeSmallFileCopier } from '@strata/snapshot';
import { isUrl, placeDownload, sniffArchive, unpackArchive, urlFileName, type ArchiveKind, type Downloads } from './add-sources.js';
import { parseChmod } from './chmod-spec.js';
import { copyDirContents, copyEntry, mkdirOwned, modeOf, type CopyAttrs } from './copy-files.js';
import { BuildError } from './errors.js';
import { contextTree, dirTree, matchSourceNamed, type SourceTree } from './source-tree.js';
import { layerStep, withChainView, type DeferToUpper, type StepOutcome, type StepServices } from './step-layer.js';

/** The native small-file copy for COPYs into the upper dir (it loads the addon on its first call). */
const copySmallFiles = nativeSmallFileCopier();

/** What COPY/ADD/WORKDIR get from the build besides the op. */
export interface FileInputs {
  /** The build's context, or a named one (`--build-context NAME=DIR`). */
  context(name?: string): Promise<BuildContext>;
  downloads: Downloads;
  parent: LayerChain | null;
  deps: ReadonlyMap<string, LayerChain | null>;
}

/**
 * --chown as BuildKit reads it: names from the destination's /etc/passwd and /etc/group; a lone user name takes
 * its primary group from /etc/passwd, a lone numeric uid gives gid = uid.
 */
async function owner(rootfs: string, chown: string): Promise<{ uid: number; gid: number }> {
  const u = await resolveUser(rootfs, chown);
  if (chown.includes(':') || !/^\d+$/.test(chown)) return { uid: u.uid, gid: u.gid };
  return { uid: u.uid, gid: u.uid };
}

/** COPY/ADD/WORKDIR as one filesystem step over the parent. */
export async function runFileOp(svc: StepServices, op: FileOp, inp: FileInputs): Promise<StepOutcome> {
  const a = op.action;
  if (a.type === 'mkdir') return layerStep(svc, inp.parent, (rootfs) => mkdirAction(rootfs, a));
  if (a.from.kind === 'context') {
    const tree = contextTree(await inp.context(a.from.name));
    return layerStep(svc, inp.parent, (rootfs, defer) => copyAction(svc, rootfs, a, tree, true, inp.downloads, defer));
  }
  const dep = a.from.op === null ? null : inp.deps.get(a.from.op) ?? null;
  return withChainView(svc, dep, (view) => layerStep(svc, inp.parent, (rootfs, defer) => copyAction(svc, rootfs, a, dirTree(view), false, inp.downloads, defer)));
}

async function mkdirAction(rootfs: string, a: MkdirAction): Promise<void> {
  const { uid, gid } = a.user ? await resolveUser(rootfs, a.user) : { uid: 0, gid: 0 };
  await mkdirOwned(rootfs, a.path, uid, gid, a.mode);
}

async function copyAction(svc: StepServices, rootfs: string, a: CopyAction, tree: SourceTree, fromContext: boolean, downloads: Downloads, defer: DeferToUpper): Promise<void> {
  const own = a.chown ? await owner(rootfs, a.chown) : fromContext ? { uid: 0, gid: 0 } : undefined;
  const attrs: CopyAttrs = { ...own };
  if (a.chmod) attrs.mode = parseChmod(a.chmod);
  if (svc.epochNs !== undefined) attrs.epoch = Number(svc.epochNs / 1_000_000_000n);
  const ownerIds = { uid: own?.uid ?? 0, gid: own?.gid ?? 0 };
  const exclude = a.exclude.length > 0 ? new PatternMatcher(a.exclude, '--exclude') : undefined;
  const count = { files: 0, bytes: 0 };
  const destHost = await mkdirOwnedParent(rootfs, a.dest, ownerIds);
  const many = a.sources.length + a.inline.length > 1 || a.sources.some((s) => !isUrl(s) && hasWildcard(s));
  const destIsDir = a.dest.endsWith('/') || (await lstat(destHost).then((s) => s.isDirectory(), () => false));
  const intoDir = async () => {
    if (!destIsDir && many) throw new BuildError('When using COPY with more than one source file, the destination must be a directory and end with a /');
    return mkdirOwned(rootfs, a.dest, ownerIds.uid, ownerIds.gid);
  };
  for (const doc of a.inline) {
    const file = destIsDir || many ? path.join(await intoDir(), doc.name) : destHost;
    await writeFile(file, doc.data);
    await chmod(file, modeOf(attrs, 0o644, false));
    await lchown(file, ownerIds.uid, ownerIds.gid);
    if (attrs.epoch !== undefined) await utimes(file, attrs.epoch, attrs.epoch);
  }
  for (const source of a.sources) {
    if (isUrl(source)) {
      if (!a.add) throw new BuildError(`COPY cannot read URL ${source}: use ADD`);
      const file = destIsDir || many ? path.join(await intoDir(), urlFileName(source)) : destHost;
      await placeDownload(source, await downloads.get(source), file, a.checksum, ownerIds.uid, ownerIds.gid, modeOf(attrs, 0o600, false));
      continue;
    }
    const matches = await matchSourceNamed(tree, source);
    if (matches.length === 0) {
      if (hasWildcard(source)) continue;
      throw new BuildError(`${a.add ? 'ADD' : 'COPY'} failed: "${source}" not found in ${fromContext ? 'the build context (or excluded by .dockerignore)' : 'the source stage'}`);
    }
    if (matches.length > 1 && !destIsDir) await intoDir();
    for (const { path: m, name } of matches) {
      const st = (await tree.stat(m))!;
      let archive: ArchiveKind | undefined;
      if (a.parents) {
        const target = path.join(await intoDir(), m);
        await mkdirOwned(rootfs, path.posix.join(a.dest, path.posix.dirname(m)), ownerIds.uid, ownerIds.gid);
        await copyEntry(tree, m, target, attrs, count, exclude);
      } else if (st.isDirectory()) {
        // The directory's contents are copied, not the directory: a new destination is made 0755 (or
        // --chmod), owned by --chown or root; an existing one keeps its owner and mode (BuildKit).
        const existed = await lstat(await resolveInRoot(rootfs, a.dest)).then((s) => s.isDirectory(), () => false);
        const dir = await mkdirOwned(rootfs, a.dest, ownerIds.uid, ownerIds.gid, modeOf(attrs, 0o755, true));
        if (!existed && defer && a.sources.length === 1 && a.inline.length === 0 && matches.length === 1) {
          // The mount just made this directory, and nothing after this copy touches it: its entries go
          // straight into the upper dir after the unmount, without the overlay's per-file work, and small
          // files' bytes go on to the layer writer (10,000 small files: copy 530 → 430 ms, layer 650 → 475).
          const rel = path.relative(rootfs, dir);
          defer((upper) => copyDirContents(tree, m, path.join(upper.dir, rel), attrs, Object.assign(count, { keep: upper.remember, coming: upper.coming, copier: copySmallFiles }), exclude, true));
        } else {
          await copyDirContents(tree, m, dir, attrs, count, exclude, !existed);
        }
      } else if (a.add && a.unpack !== false && fromContext && (archive = await sniffArchive(tree.abs(m)))) {
        await unpackArchive(tree.abs(m), archive, await mkdirOwned(rootfs, a.dest, ownerIds.uid, ownerIds.gid));
      } else {
        // A link named as a source is followed, but the copy keeps the link's name (BuildKit).
        const target = destIsDir || matches.length > 1 || many ? path.join(await intoDir(), name) : destHost;
        await copyEntry(tree, m, target, attrs, count);
      }
    }
  }
}

/** Host path of the destination with its parent directory created (the destination itself may not exist yet). */
async function mkdirOwnedParent(rootfs: string, dest: string, o: { uid: number; gid: number }): Promise<string> {
  const clean = path.posix.normalize(dest.endsWith('/') ? dest.slice(0, -1) || '/' : dest);
  await mkdirOwned(rootfs, path.posix.dirname(clean), o.uid, o.gid);
  return resolveInRoot(rootfs, clean);
}

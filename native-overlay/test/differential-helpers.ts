// Random lower layers and operations, shared by the differential test (kernel overlay vs strata-unionfs).
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../lib/index.js';
import type { Union } from './union-fixture.js';

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'c', 'd'];

/** Builds the same random lower layers (files, dirs, symlinks, whiteouts, opaque dirs) for a seed. */
export function makeLowers(u: Union, seed: number): void {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  // bottom layer first, so a whiteout goes only where a lower dir below can hold something to hide (the
  // kernel lists whiteouts of a directory that merges nothing, a quirk we need not copy)
  [...u.lowers].reverse().forEach((lower, ri) => {
    const li = u.lowers.length - 1 - ri;
    const below = u.lowers.slice(li + 1);
    // whether a dir of this layer merges with one below: the nearest lower layer holding the path has a dir
    const nearestBelowIsDir = (rel: string): boolean => {
      for (const b of below) {
        try { return fs.lstatSync(path.join(b, rel)).isDirectory(); } catch { /* absent here: look further down */ }
      }
      return false;
    };
    const fill = (dir: string, depth: number, merged: boolean) => {
      for (const name of NAMES) {
        const p = path.join(dir, name);
        const x = r();
        if (x < 0.3) fs.writeFileSync(p, `${li}:${p.slice(lower.length)}\n`.repeat(1 + Math.floor(r() * 3)));
        else if (x < 0.5 && depth < 3) {
          fs.mkdirSync(p);
          const opaque = r() < 0.2;
          if (opaque) native().setXattr(p, 'trusted.overlay.opaque', Buffer.from('y'), 0);
          fill(p, depth + 1, merged && !opaque && nearestBelowIsDir(path.relative(lower, p)));
        }
        else if (x < 0.58) fs.symlinkSync(pick(NAMES), p);
        else if (x < 0.66 && merged) native().mkWhiteout(p);
      }
    };
    fill(lower, 0, below.length > 0);
  });
}

/** One operation on a mount root; desc says what it does (for failure messages). */
export type Op = ((m: string) => void) & { desc?: string };

/** A random operation on merged paths; the same seed yields the same sequence. */
export function randomOps(seed: number, n: number): Op[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const rel = () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(NAMES)).join('/');
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const [p, q, k] = [rel(), rel(), Math.floor(r() * 13)];
    const tag = `op${i}`;
    const KINDS = ['write', 'append', 'truncate', 'chmod', 'unlink', 'mkdir', 'rmdir', 'rename', 'link', 'symlink', 'setxattr', 'rm -r', 'utimes'];
    const op: Op = (m) => {
      const P = path.join(m, p), Q = path.join(m, q);
      switch (k) {
        case 0: fs.writeFileSync(P, `${tag}\n`); break;
        case 1: fs.appendFileSync(P, `${tag}\n`); break;
        case 2: fs.truncateSync(P, 3); break;
        case 3: fs.chmodSync(P, 0o640); break;
        case 4: fs.unlinkSync(P); break;
        case 5: fs.mkdirSync(P); break;
        case 6: fs.rmdirSync(P); break;
        case 7: fs.renameSync(P, Q); break;
        case 8: fs.linkSync(P, Q); break;
        case 9: fs.symlinkSync(tag, P); break;
        case 10: native().setXattr(P, 'user.t', Buffer.from(tag), 0); break;
        case 11: fs.rmSync(P, { recursive: true }); break;
        default: fs.utimesSync(P, 1000 + i, 2000 + i);
      }
    };
    op.desc = `${tag}: ${KINDS[k]} ${p}${k === 7 || k === 8 ? ` ${q}` : ''}`;
    ops.push(op);
  }
  return ops;
}

/** Applies ops, recording each result ('ok' or the errno code). */
export function run(m: string, ops: Op[]): string[] {
  return ops.map((op) => {
    try { op(m); return 'ok'; } catch (e) { return (e as NodeJS.ErrnoException).code ?? String(e); }
  });
}

/** The merged view as lines: path, type, mode, size/content or link target, user xattrs. */
export function snapshot(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, r);
      const st = fs.lstatSync(abs);
      const x = native().listXattr(abs).filter((n) => n.startsWith('user.')).sort()
        .map((n) => `${n}=${native().getXattr(abs, n)!.toString()}`).join(',');
      const body = st.isFile() ? JSON.stringify(fs.readFileSync(abs, 'utf8')) : st.isSymbolicLink() ? fs.readlinkSync(abs) : '';
      // times set by utimes compare exactly; 'now' differs between the two runs
      const mtime = st.isFile() && st.mtimeMs < 1e8 ? Math.floor(st.mtimeMs / 1000) : '';
      out.push(`${r} ${(st.mode & fs.constants.S_IFMT).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.nlink} ${body} ${x} ${mtime}`);
      if (st.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}


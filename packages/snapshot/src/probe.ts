import fs from 'node:fs/promises';
import { constants, existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unionfsBinary } from '@strata/native-overlay';
import { OverlayDriver } from './drivers/overlay.js';
import { DriverUnavailableError } from './errors.js';
import type { DriverName } from './types.js';

/** The driver chosen and the one-line reason shown in verbose output. */
export interface DriverChoice {
  name: DriverName;
  reason: string;
}

/** What the probe may use; tests and benchmarks point `unionfsBinary` at fuse-overlayfs to compare. */
export interface ProbeOptions {
  /** Force a driver instead of probing ('auto' or undefined probes). */
  driver?: DriverName | 'auto';
  unionfsBinary?: string;
}

/** Can the kernel overlay be mounted on this root's filesystem? Tries a tiny mount under tmp/. */
export async function probeOverlay(tmpDir: string): Promise<string | undefined> {
  await fs.mkdir(tmpDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(tmpDir, 'probe-overlay-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((n) => path.join(dir, n)) as [string, string, string, string];
  try {
    for (const d of [lower, upper, work, merged]) await fs.mkdir(d);
    await fs.writeFile(path.join(lower, 'f'), 'x');
    const release = await new OverlayDriver().mountUnion(merged, [lower], { upper, work, volatile: true });
    try {
      await fs.writeFile(path.join(merged, 'f'), 'y');
    } finally {
      await release();
    }
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * probeOverlay, remembered: a probe that worked is recorded in snapshots/overlay-probe (temp → rename) with
 * what it depended on — the kernel, the filesystem under tmp/, the user and the mount namespace — and
 * trusted while all four are the same. The probe is a mount and an unmount, a tenth of a small step's
 * time; a failed probe is never recorded, so it runs again next time.
 */
async function probeOverlayCached(root: string, tmpDir: string): Promise<string | undefined> {
  const file = path.join(root, 'snapshots', 'overlay-probe');
  let identity: string;
  try {
    await fs.mkdir(tmpDir, { recursive: true });
    identity = JSON.stringify({ kernel: os.release(), dev: statSync(tmpDir).dev, uid: process.getuid?.() ?? -1, mntns: readlinkSync('/proc/self/ns/mnt') });
  } catch {
    return probeOverlay(tmpDir);
  }
  if (readFileOr(file) === identity) return undefined;
  const why = await probeOverlay(tmpDir);
  if (why === undefined) {
    const tmp = `${file}.tmp-${process.pid}`;
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, identity).then(() => fs.rename(tmp, file)).catch(() => fs.rm(tmp, { force: true }));
  }
  return why;
}

function readFileOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Can strata-unionfs run? It must be built and /dev/fuse must open read-write. */
export async function probeUnionfs(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return `${binary} is not built`;
  try {
    await fs.access(binary, constants.X_OK);
    const fh = await fs.open('/dev/fuse', 'r+');
    await fh.close();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Picks overlay → unionfs → copy by probing, or honours a forced driver after checking it can work. */
export async function chooseDriver(root: string, opts: ProbeOptions = {}): Promise<DriverChoice> {
  const tmp = path.join(root, 'tmp');
  const binary = opts.unionfsBinary ?? unionfsBinary();
  const forced = opts.driver && opts.driver !== 'auto' ? opts.driver : undefined;
  if (forced === 'copy') return { name: 'copy', reason: 'copy: chosen by option' };
  if (forced === 'unionfs') {
    const why = await probeUnionfs(binary);
    if (why) throw new DriverUnavailableError(`snapshot driver unionfs unavailable: ${why}`);
    return { name: 'unionfs', reason: `unionfs: chosen by option (${binary})` };
  }
  const overlayWhy = await probeOverlayCached(root, tmp);
  if (forced === 'overlay') {
    if (overlayWhy) throw new DriverUnavailableError(`snapshot driver overlay unavailable under ${root}: ${overlayWhy}`);
    return { name: 'overlay', reason: 'overlay: chosen by option' };
  }
  if (!overlayWhy) return { name: 'overlay', reason: `overlay: a kernel overlay mount works under ${root}` };
  const unionWhy = await probeUnionfs(binary);
  if (!unionWhy) return { name: 'unionfs', reason: `unionfs: kernel overlay failed (${overlayWhy}); /dev/fuse usable, using ${binary}` };
  return { name: 'copy', reason: `copy: kernel overlay failed (${overlayWhy}); unionfs unavailable (${unionWhy})` };
}

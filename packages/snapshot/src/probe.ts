import fs from 'node:fs/promises';
import { constants, existsSync } from 'node:fs';
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
  const overlayWhy = await probeOverlay(tmp);
  if (forced === 'overlay') {
    if (overlayWhy) throw new DriverUnavailableError(`snapshot driver overlay unavailable under ${root}: ${overlayWhy}`);
    return { name: 'overlay', reason: 'overlay: chosen by option' };
  }
  if (!overlayWhy) return { name: 'overlay', reason: `overlay: a kernel overlay mount works under ${root}` };
  const unionWhy = await probeUnionfs(binary);
  if (!unionWhy) return { name: 'unionfs', reason: `unionfs: kernel overlay failed (${overlayWhy}); /dev/fuse usable, using ${binary}` };
  return { name: 'copy', reason: `copy: kernel overlay failed (${overlayWhy}); unionfs unavailable (${unionWhy})` };
}

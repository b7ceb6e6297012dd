import fs from 'node:fs/promises';
import path from 'node:path';

/** One line of /proc/self/mountinfo, the fields this package needs. */
export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount table of this process's mount namespace. */
export async function readMounts(): Promise<MountInfo[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    return { mountPoint: unescape(f[4]!), fsType: f[sep + 1]!, source: unescape(f[sep + 2] ?? '') };
  });
}

/** The topmost mount at `target`, if any. */
export async function mountAt(target: string): Promise<MountInfo | undefined> {
  const abs = path.resolve(target);
  const all = await readMounts();
  for (let i = all.length - 1; i >= 0; i--) if (all[i]!.mountPoint === abs) return all[i];
  return undefined;
}

/** How many mounts are stacked at `target` (a new mount on top raises it by one). */
export async function mountCountAt(target: string): Promise<number> {
  const abs = path.resolve(target);
  return (await readMounts()).filter((m) => m.mountPoint === abs).length;
}

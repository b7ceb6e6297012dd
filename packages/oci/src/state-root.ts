import os from 'node:os';
import path from 'node:path';

/** DESIGN §4: `$STRATA_ROOT`, else /var/lib/strata for root, else `$XDG_DATA_HOME/strata`. */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STRATA_ROOT) return path.resolve(env.STRATA_ROOT);
  if (process.getuid?.() === 0) return '/var/lib/strata';
  const xdg = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(xdg, 'strata');
}

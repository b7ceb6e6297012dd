import { readFileSync } from 'node:fs';
import { UnknownUserError } from './errors.js';
import { resolveInRoot } from './in-root.js';

/** The numeric identity a step runs as. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups (including the primary gid), as Docker sets them. */
  groups: number[];
  home: string;
}

async function readTable(rootfs: string, file: string): Promise<string[][]> {
  const host = await resolveInRoot(rootfs, file);
  let text = '';
  try {
    text = readFileSync(host, 'utf8');
  } catch {
    // No such table: nothing resolves by name.
  }
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

const numeric = (s: string): number | undefined => (/^\d+$/.test(s) && Number(s) < 2 ** 32 - 1 ? Number(s) : undefined);

/**
 * Resolves USER (`name`, `uid`, `name:group`, `uid:gid`) against the rootfs's /etc/passwd and /etc/group,
 * like runc: a numeric uid need not exist; a name must. Supplementary groups are the groups listing the
 * user as a member, set only when no group was given. Errors name the tables as the container sees them
 * (`/etc/passwd`), never the host path of a scratch mount.
 */
export async function resolveUser(rootfs: string, user: string | undefined): Promise<ResolvedUser> {
  const spec = user && user.length ? user : 'root';
  const [userPart, groupPart] = spec.includes(':') ? [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)] : [spec, undefined];
  const passwd = await readTable(rootfs, '/etc/passwd');
  const groupTable = await readTable(rootfs, '/etc/group');
  const uidNum = numeric(userPart);
  const entry = passwd.find((f) => (uidNum !== undefined ? numeric(f[2] ?? '') === uidNum : f[0] === userPart));
  if (!entry && uidNum === undefined) throw new UnknownUserError(`unknown user "${userPart}": not in /etc/passwd`);
  const uid = uidNum ?? numeric(entry![2] ?? '') ?? 0;
  let gid = entry ? numeric(entry[3] ?? '') ?? 0 : 0;
  const home = entry?.[5] || '/';
  const name = entry?.[0];
  if (groupPart !== undefined && groupPart !== '') {
    const g = numeric(groupPart);
    const ge = groupTable.find((f) => (g !== undefined ? numeric(f[2] ?? '') === g : f[0] === groupPart));
    if (!ge && g === undefined) throw new UnknownUserError(`unknown group "${groupPart}": not in /etc/group`);
    gid = g ?? numeric(ge![2] ?? '') ?? 0;
    return { uid, gid, groups: [gid], home };
  }
  const groups = new Set<number>([gid]);
  if (name) {
    for (const f of groupTable) {
      const members = (f[3] ?? '').split(',').map((m) => m.trim());
      const n = numeric(f[2] ?? '');
      if (n !== undefined && members.includes(name)) groups.add(n);
    }
  }
  return { uid, gid, groups: [...groups], home };
}

import { BuildError } from './errors.js';

/** A `--chmod` as a function of an entry's own mode (permission and special bits) and whether it is a directory. */
export type ModeFn = (mode: number, isDir: boolean) => number;

/** Each class's bits an `=` clears (rwx and its special bit), and where its rwx sits. */
const CLASS = { u: 0o4700, g: 0o2070, o: 0o1007 } as const;
const SHIFT = { u: 6, g: 3, o: 0 } as const;
type Who = keyof typeof SHIFT;

/**
 * `--chmod` as BuildKit takes it (Dockerfile 1.14): octal, an absolute mode, or chmod(1)'s symbolic clauses
 * (`+x`, `g=u`, `u=rwX,go=rX`), applied to each copied entry's own mode: `X` is execute for directories and
 * for files that already have an execute bit; `u`/`g`/`o` as permissions copy that class's bits; no class
 * means all three (no umask, as BuildKit parses it). Written here because no npm package does this without
 * the process umask and filesystem calls.
 */
export function parseChmod(text: string): ModeFn {
  if (/^[0-7]{1,4}$/.test(text)) {
    const m = Number.parseInt(text, 8);
    return () => m;
  }
  const clauses = text.split(',').map((c) => {
    const m = /^([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)$/.exec(c);
    if (!m) throw new BuildError(`invalid --chmod=${text}: want an octal mode such as 0755 or chmod symbols such as u=rwX,go=rX`);
    const all = m[1] === '' || m[1]!.includes('a');
    const who = [...(all ? 'ugo' : m[1]!)] as Who[];
    const ops = [...m[2]!.matchAll(/([-+=])([ugo]|[rwxXst]*)/g)].map((o) => ({ op: o[1]!, perms: o[2]! }));
    return { who, ops, all };
  });
  return (original, isDir) => {
    let mode = original & 0o7777;
    for (const { who, ops, all } of clauses) {
      for (const { op, perms } of ops) {
        let bits = 0;
        if (perms === 'u' || perms === 'g' || perms === 'o') {
          // The named class's rwx, copied into each chosen class.
          const rwx = (mode >> SHIFT[perms]) & 7;
          for (const w of who) bits |= rwx << SHIFT[w];
        } else {
          let rwx = 0;
          if (perms.includes('r')) rwx |= 4;
          if (perms.includes('w')) rwx |= 2;
          if (perms.includes('x') || (perms.includes('X') && (isDir || (original & 0o111) !== 0))) rwx |= 1;
          for (const w of who) bits |= rwx << SHIFT[w];
          if (perms.includes('s')) bits |= (who.includes('u') ? 0o4000 : 0) | (who.includes('g') ? 0o2000 : 0);
          if (perms.includes('t') && (all || who.includes('o'))) bits |= 0o1000;
        }
        if (op === '+') mode |= bits;
        else if (op === '-') mode &= ~bits;
        else {
          let clear = 0;
          for (const w of who) clear |= CLASS[w] & (w === 'o' && !all ? 0o7 : 0o7777);
          mode = (mode & ~clear) | bits;
        }
      }
    }
    return mode;
  };
}

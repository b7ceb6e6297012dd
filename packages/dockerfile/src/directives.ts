/**
 * Parser directives (`# syntax=`, `# escape=`, `# check=`): only in the leading run of `#key=value` comment
 * lines, each at most once; the first other line (even an empty one) ends the block, as in BuildKit.
 */
import { trimLeftSpace } from './chars.js';

const RE_DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const VALID = new Set(['syntax', 'escape', 'check']);

/** Tracks the directive block while lines are read. */
export class DirectiveScanner {
  private done = false;
  private seen = new Set<string>();

  /** Looks at one line (leading space already trimmed); returns the directive or null. Throws on repeats. */
  scan(line: string): { name: string; value: string } | null {
    if (this.done) return null;
    if (!line.startsWith('#')) {
      this.done = true;
      return null;
    }
    const m = RE_DIRECTIVE.exec(trimLeftSpace(line.slice(1)));
    if (!m) {
      this.done = true;
      return null;
    }
    const name = m[1]!.toLowerCase();
    if (!VALID.has(name)) {
      this.done = true;
      return null;
    }
    if (this.seen.has(name)) throw new Error(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name, value: m[2]! };
  }
}

/** What `# check=` asks for. */
export interface CheckDirective {
  /** Rule names to skip; `all` skips every rule. */
  skip: string[];
  /** Turn lint warnings into build errors. */
  error: boolean;
  /** Experimental rules to enable. */
  experimental: string[];
}

/** Parses `skip=A,B;error=true;experimental=C`. Throws a plain Error with the reason on bad input. */
export function parseCheckDirective(value: string): CheckDirective {
  const out: CheckDirective = { skip: [], error: false, experimental: [] };
  for (const part of value.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) throw new Error(`invalid check directive "${p}": expected key=value`);
    const key = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim();
    const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (key === 'skip') out.skip.push(...list);
    else if (key === 'experimental') out.experimental.push(...list);
    else if (key === 'error') {
      const b = v.toLowerCase();
      if (!['true', 'false', '1', '0'].includes(b)) throw new Error(`invalid check directive "${p}": error must be true or false`);
      out.error = b === 'true' || b === '1';
    } else throw new Error(`invalid check directive "${p}": unknown key ${key}`);
  }
  return out;
}

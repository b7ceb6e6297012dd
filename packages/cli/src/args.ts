import { UsageError } from './command.js';

/** The shape of one option: a boolean switch, a string, or a repeatable string. */
export interface OptionSpec {
  type: 'boolean' | 'string' | 'multi';
  short?: string;
}

/** Parsed options and positionals. */
export interface ParsedArgs {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses `--name value`, `--name=value`, `-s value` and switches. With `stopAtPositional`, everything from
 * the first positional on is positional (for `strata run IMAGE CMD...`). `--` ends options.
 * Written here rather than node:util parseArgs because that one cannot stop at the first positional.
 */
export function parseArgs(argv: string[], spec: Record<string, OptionSpec>, stopAtPositional = false): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else if (a.startsWith('-') && a.length > 1) {
      name = byShort.get(a.slice(1, 2));
      if (!name) throw new UsageError(`unknown option ${a}`);
      inline = a.length > 2 ? a.slice(2).replace(/^=/, '') : undefined;
    } else {
      positionals.push(a);
      if (stopAtPositional) { positionals.push(...argv.slice(i + 1)); break; }
      continue;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === 'boolean') {
      if (inline !== undefined && !['true', 'false'].includes(inline)) throw new UsageError(`--${name} takes no value`);
      options[name] = inline === undefined ? true : inline === 'true';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    if (s.type === 'multi') {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(value);
      options[name] = list;
    } else options[name] = value;
  }
  return { options, positionals };
}

/** A string option or undefined. */
export function str(p: ParsedArgs, name: string): string | undefined {
  const v = p.options[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable option's values, empty when absent. */
export function multi(p: ParsedArgs, name: string): string[] {
  const v = p.options[name];
  return Array.isArray(v) ? v : [];
}

/** A switch's value. */
export function flag(p: ParsedArgs, name: string): boolean {
  return p.options[name] === true;
}

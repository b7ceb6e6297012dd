/**
 * Instruction flag validation, as BuildKit's BFlags: each instruction declares its flags (bool, string or
 * repeatable string); unknown, duplicate and value-less flags are errors at the flag's position.
 */
import { DockerfileError } from './errors.js';
import type { Flag, InstructionNode } from './syntax.js';

/** The kind of value a flag takes. */
export type FlagKind = 'bool' | 'string' | 'strings';

/** Parsed flag values of one instruction. */
export class FlagValues {
  private values = new Map<string, string[]>();
  private flags = new Map<string, Flag>();

  constructor(node: InstructionNode, spec: Record<string, FlagKind>, filename: string) {
    for (const f of node.flags) {
      const fail = (msg: string): never => {
        throw new DockerfileError(msg, f.range.start.line, f.range.start.column, filename);
      };
      const kind = Object.hasOwn(spec, f.name) ? spec[f.name] : undefined;
      if (!kind) fail(`unknown flag: --${f.name}`);
      if (this.values.has(f.name) && kind !== 'strings') fail(`duplicate flag specified: --${f.name}`);
      let v: string;
      if (kind === 'bool') {
        if (f.value === '') fail(`missing a value on flag: --${f.name}`);
        const low = (f.value ?? 'true').toLowerCase();
        if (low !== 'true' && low !== 'false') fail(`expecting boolean value for flag --${f.name}, not: ${f.value}`);
        v = low;
      } else {
        if (f.value === null) fail(`missing a value on flag: --${f.name}`);
        v = f.value!;
      }
      const list = this.values.get(f.name) ?? [];
      list.push(v);
      this.values.set(f.name, list);
      this.flags.set(f.name, f);
    }
  }

  /** A string flag's value, or null when absent. */
  string(name: string): string | null {
    return this.values.get(name)?.[0] ?? null;
  }

  /** A bool flag: true/false when given, null when absent. */
  bool(name: string): boolean | null {
    const v = this.values.get(name)?.[0];
    return v === undefined ? null : v === 'true';
  }

  /** All values of a repeatable flag. */
  strings(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  /** The flag as written (for error positions), if given. */
  flag(name: string): Flag | undefined {
    return this.flags.get(name);
  }
}

/** Flags each instruction accepts (instructions missing here accept none). */
export const FLAG_SPECS: Readonly<Record<string, Record<string, FlagKind>>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'strings', network: 'string', security: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  ADD: {
    chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', exclude: 'strings',
    unpack: 'bool',
  },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

/** Instructions whose flags BuildKit never parses (so anything is accepted and ignored). */
export const FLAGS_IGNORED: ReadonlySet<string> = new Set(['ARG', 'STOPSIGNAL']);

import { expandWithMatches } from '@strata/dockerfile';

/**
 * The variables one stage sees while it is compiled: its declared ARGs and the image's ENV. ENV wins over an
 * ARG of the same name (Dockerfile reference). Each expansion records which names it used, so a COPY's key
 * carries exactly the ARG/ENV values it depends on.
 */
export class Scope {
  /** Declared ARGs in declaration order; undefined = declared without any value. */
  readonly args = new Map<string, string | undefined>();
  /** ENV as `K=V` list order, mirrored from the config. */
  readonly env = new Map<string, string>();
  /** Names used by expansions since the last `takeUsed`. */
  private used = new Set<string>();

  constructor(private readonly escape: string, private readonly filename: string) {}

  /** Load ENV from an image config's `K=V` list. */
  loadEnv(list: readonly string[] | undefined): void {
    this.env.clear();
    for (const kv of list ?? []) {
      const eq = kv.indexOf('=');
      if (eq > 0) this.env.set(kv.slice(0, eq), kv.slice(eq + 1));
      else if (kv !== '') this.env.set(kv, '');
    }
  }

  /** The ENV as a config `Env` list. */
  envList(): string[] {
    return [...this.env].map(([k, v]) => `${k}=${v}`);
  }

  /** Variables visible to expansion: ARGs with a value, overridden by ENV. */
  vars(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of this.env) m.set(k, v);
    return m;
  }

  /** Expand one word (BuildKit ProcessWord). */
  expand(word: string, line: number): string {
    const r = expandWithMatches(word, this.vars(), { escape: this.escape, line, filename: this.filename });
    for (const n of r.matched) this.used.add(n);
    return r.result;
  }

  /** Expand a word into fields (BuildKit ProcessWords). */
  expandWords(word: string, line: number): string[] {
    const r = expandWithMatches(word, this.vars(), { escape: this.escape, line, filename: this.filename });
    for (const n of r.matched) this.used.add(n);
    return r.words;
  }

  /** Expand an optional word. */
  expandOpt(word: string | null, line: number): string | null {
    return word === null ? null : this.expand(word, line);
  }

  /** The ARG and ENV values used by expansions since the last call, split by where they came from. */
  takeUsed(): { args: Record<string, string>; env: Record<string, string> } {
    const args: Record<string, string> = {};
    const env: Record<string, string> = {};
    for (const n of [...this.used].sort()) {
      if (this.env.has(n)) env[n] = this.env.get(n)!;
      else if (this.args.get(n) !== undefined) args[n] = this.args.get(n)!;
    }
    this.used = new Set();
    return { args, env };
  }

  /** Every ARG with a value that ENV does not shadow, in declaration order (what RUN sees as env). */
  visibleArgs(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [k, v] of this.args) if (v !== undefined && !this.env.has(k)) out.push([k, v]);
    return out;
  }
}

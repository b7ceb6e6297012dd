import { expandWithMatches } from '@strata/dockerfile';

/**
 * The variables one stage sees while it is compiled, modelled on BuildKit's dispatch state: ENV and ARG
 * values both go into one ordered environment (the last of them to set a name wins, as `state.AddEnv` does),
 * which expansions and RUN use; the image config's Env holds ENV only. Each expansion records which names it
 * used, so a COPY's key carries exactly the ARG/ENV values it depends on.
 */
export class Scope {
  /** Declared ARGs in declaration order; undefined = declared without any value. */
  readonly args = new Map<string, string | undefined>();
  /** The image config's ENV, in order. */
  readonly env = new Map<string, string>();
  /** What expansions and processes see: ENV and valued ARGs, in first-set order. */
  private readonly state = new Map<string, { value: string; from: 'env' | 'arg' }>();
  /** Names used by expansions since the last `takeUsed`. */
  private used = new Set<string>();

  constructor(private readonly escape: string, private readonly filename: string) {}

  /** Load ENV from an image config's `K=V` list. */
  loadEnv(list: readonly string[] | undefined): void {
    for (const kv of list ?? []) {
      const eq = kv.indexOf('=');
      if (eq > 0) this.setEnv(kv.slice(0, eq), kv.slice(eq + 1));
      else if (kv !== '') this.setEnv(kv, '');
    }
  }

  /** ENV NAME=value. */
  setEnv(name: string, value: string): void {
    this.env.set(name, value);
    this.state.set(name, { value, from: 'env' });
  }

  /** ARG NAME[=value]: declared, and visible to what follows when it has a value. */
  declareArg(name: string, value: string | undefined): void {
    this.args.set(name, value);
    if (value !== undefined) this.state.set(name, { value, from: 'arg' });
  }

  /** The ENV as a config `Env` list. */
  envList(): string[] {
    return [...this.env].map(([k, v]) => `${k}=${v}`);
  }

  /** The process environment of a RUN, `K=V`, ENV and ARG values interleaved as they were set. */
  processEnv(): string[] {
    return [...this.state].map(([k, v]) => `${k}=${v.value}`);
  }

  /** Variables visible to expansion. */
  vars(): Map<string, string> {
    return new Map([...this.state].map(([k, v]) => [k, v.value]));
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

  /** The values used by expansions since the last call, split by whether ARG or ENV set them last. */
  takeUsed(): { args: Record<string, string>; env: Record<string, string> } {
    const args: Record<string, string> = {};
    const env: Record<string, string> = {};
    for (const n of [...this.used].sort()) {
      const v = this.state.get(n);
      if (v !== undefined) (v.from === 'env' ? env : args)[n] = v.value;
    }
    this.used = new Set();
    return { args, env };
  }

  /** Everything a RUN sees, split by whether ARG or ENV set it last. */
  visible(): { args: Record<string, string>; env: Record<string, string> } {
    const args: Record<string, string> = {};
    const env: Record<string, string> = {};
    for (const [k, v] of this.state) (v.from === 'env' ? env : args)[k] = v.value;
    return { args, env };
  }

  /**
   * The `K=V` list BuildKit prefixes to a RUN's history entry (`RUN |2 A=1 B= …`): every declared ARG in
   * declaration order, with the value the process sees (empty when it has none).
   */
  historyArgs(): string[] {
    return [...this.args].map(([k, v]) => `${k}=${this.state.get(k)?.value ?? v ?? ''}`);
  }
}

/**
 * ARG/ENV scoping inside one stage, as BuildKit's dispatcher applies it, for the planner to expand words with:
 * a stage starts with its base's ENV (image config or parent stage) and no ARGs; `ARG NAME` brings a value in
 * from a build arg, else its default (expanded), else a global ARG / predefined ARG of that name; ENV always
 * wins over an ARG of the same name; every instruction is expanded with the variables as they stood before it.
 */
import { PROXY_ARGS } from './platform.js';
import { expand, expandWords, type LexOptions } from './shell-lex.js';
import type { Instruction, Stages } from './types.js';

/** Options of a stage scope. */
export interface ScopeOptions {
  /** `--build-arg` values (the same object given to toStages). */
  buildArgs?: Record<string, string>;
  /** ENV the stage starts with: the base image's config, or the parent stage's final `env`. */
  baseEnv?: Record<string, string> | ReadonlyMap<string, string>;
}

/** The variables of one stage as its instructions are applied in order. */
export class StageScope {
  /** ENV of the image being built, in definition order (what goes into the config). */
  readonly env: Map<string, string>;
  /** ARGs declared so far in this stage that have a value (visible to RUN, not stored in the image). */
  readonly args = new Map<string, string>();
  /** ARG names declared in the stage, with or without value. */
  readonly declared = new Set<string>();
  private readonly buildArgs: Record<string, string>;

  constructor(private readonly stages: Stages, options: ScopeOptions = {}) {
    this.buildArgs = options.buildArgs ?? {};
    const b = options.baseEnv;
    this.env = new Map(b instanceof Map ? b : Object.entries((b ?? {}) as Record<string, string>));
  }

  /** The variables an instruction is expanded with now: ARGs, with ENV over them. */
  vars(): Map<string, string> {
    if (this.args.size === 0) return this.env;
    const m = new Map(this.args);
    for (const [k, v] of this.env) m.set(k, v);
    return m;
  }

  /**
   * Environment of a RUN now: ARGs with ENV over them, plus proxy build args (HTTP_PROXY…), which BuildKit
   * passes to RUN without an ARG declaration and keeps out of the image.
   */
  runEnv(): Map<string, string> {
    const m = new Map<string, string>();
    for (const k of PROXY_ARGS) {
      const v = this.buildArgs[k];
      if (v !== undefined) m.set(k, v);
    }
    for (const [k, v] of this.vars()) m.set(k, v);
    return m;
  }

  /** Expands one word with the current variables (BuildKit ProcessWord). */
  expand(word: string, options: LexOptions = {}): string {
    return expand(word, this.vars(), { escape: this.stages.escape, ...options });
  }

  /** Expands to fields with the current variables (BuildKit ProcessWords). */
  expandWords(word: string, options: LexOptions = {}): string[] {
    return expandWords(word, this.vars(), { escape: this.stages.escape, ...options });
  }

  /** Applies an ARG or ENV instruction (others change no variables). Throws DockerfileError on bad syntax. */
  apply(ins: Instruction): void {
    const at = { line: ins.range.start.line, column: ins.range.start.column };
    if (ins.kind === 'ENV') {
      const vars = this.vars();
      const pairs = ins.pairs.map((p) => [expand(p.key, vars, { escape: this.stages.escape, ...at }),
        expand(p.value, vars, { escape: this.stages.escape, ...at })] as const);
      for (const [k, v] of pairs) {
        this.env.delete(k); // re-set keys move to the end, as in the image config
        this.env.set(k, v);
      }
    } else if (ins.kind === 'ARG') {
      for (const a of ins.args) {
        const vars = this.vars();
        const name = expand(a.name, vars, { escape: this.stages.escape, ...at });
        this.declared.add(name);
        let value: string | undefined;
        if (Object.prototype.hasOwnProperty.call(this.buildArgs, name)) value = this.buildArgs[name];
        else if (a.default !== null) value = expand(a.default, vars, { escape: this.stages.escape, ...at });
        else if (Object.hasOwn(this.stages.globalArgValues, name)) value = this.stages.globalArgValues[name];
        if (value !== undefined) this.args.set(name, value);
      }
    }
  }
}

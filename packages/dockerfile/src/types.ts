/**
 * The typed model `toStages` returns. Words inside instructions are kept RAW (unexpanded): expansion depends
 * on the environment of the base image, which only the planner knows (BuildKit expands at dispatch, too).
 * The planner calls `expand`/`expandWords` on exactly the fields `EXPANDED_FIELDS` lists. What is knowable
 * from the text alone — FROM's image and platform, stage names, `--from` references — is resolved here.
 */
import type { Directive, Range } from './syntax.js';

/** Where an instruction came from: its range (lines first..last) and source text. */
export interface Located {
  range: Range;
  original: string;
}

/** A command line: exec form (JSON array) or shell form (one string, run by the stage's SHELL). */
export type CommandLine =
  | { form: 'exec'; argv: string[] }
  | { form: 'shell'; script: string };

/** A heredoc turned into an inline file (RUN script or COPY/ADD source). */
export interface InlineFile {
  /** The delimiter word: the file name for COPY/ADD, the script name for RUN. */
  name: string;
  /** Body as written (tabs NOT stripped: use `inlineFileData` for COPY/ADD content). Unexpanded. */
  data: string;
  /** Body is subject to variable expansion (unquoted delimiter). Only COPY/ADD expand it. */
  expand: boolean;
  chomp: boolean;
}

/** One `KEY=value` pair of ENV or LABEL (both raw). */
export interface KeyValue {
  key: string;
  value: string;
}

/** One name declared by ARG, with its raw default or null. */
export interface ArgDecl {
  name: string;
  default: string | null;
}

/** One `RUN --mount=…`, keys validated, values raw (BuildKit expands them at dispatch). */
export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  /** Mount point (`target`/`dst`/`destination`); for secret/ssh may be null (defaults apply). */
  target: string | null;
  source: string | null;
  /** `from=`: a stage (resolved) or an image/context name; null = build context (bind) or scratch (cache). */
  from: StageRef | null;
  readonly: boolean;
  /** cache/secret/ssh `id`. */
  id: string | null;
  sharing: 'shared' | 'private' | 'locked' | null;
  mode: string | null;
  uid: string | null;
  gid: string | null;
  required: boolean;
  /** tmpfs `size=` as written. */
  size: string | null;
  /** secret `env=`. */
  env: string | null;
  /** The raw key=value pairs as written. */
  raw: Record<string, string>;
}

/** A reference to another stage (resolved by name or number) or to an image / named context. */
export type StageRef =
  | { kind: 'stage'; index: number; name: string | null; raw: string }
  | { kind: 'image'; ref: string };

/** RUN. */
export interface RunInstruction extends Located {
  kind: 'RUN';
  command: CommandLine;
  mounts: RunMount[];
  network: 'default' | 'none' | 'host';
  security: 'sandbox' | 'insecure';
  /** Heredocs of the line; see `runHeredocCommand` for how BuildKit turns them into the command. */
  heredocs: InlineFile[];
}

/** Fields shared by COPY and ADD. */
interface CopyLike extends Located {
  /** Source words, raw; heredoc sources appear in `heredocs` instead. */
  sources: string[];
  dest: string;
  /** Heredoc sources: each becomes a file named after its delimiter. */
  heredocs: InlineFile[];
  from: StageRef | null;
  chown: string | null;
  chmod: string | null;
  link: boolean;
  parents: boolean;
  exclude: string[];
  /** Sources/dest were written as a JSON array. */
  json: boolean;
}

/** COPY. */
export interface CopyInstruction extends CopyLike {
  kind: 'COPY';
}

/** ADD. */
export interface AddInstruction extends CopyLike {
  kind: 'ADD';
  checksum: string | null;
  keepGitDir: boolean;
  /** `--unpack` / `--unpack=false`; null when absent (default: unpack local archives, not URLs). */
  unpack: boolean | null;
}

/** ENV. */
export interface EnvInstruction extends Located {
  kind: 'ENV';
  pairs: KeyValue[];
  legacy: boolean;
}

/** LABEL. */
export interface LabelInstruction extends Located {
  kind: 'LABEL';
  pairs: KeyValue[];
  legacy: boolean;
}

/** ARG. */
export interface ArgInstruction extends Located {
  kind: 'ARG';
  args: ArgDecl[];
}

/** CMD. */
export interface CmdInstruction extends Located {
  kind: 'CMD';
  command: CommandLine;
}

/** ENTRYPOINT. */
export interface EntrypointInstruction extends Located {
  kind: 'ENTRYPOINT';
  command: CommandLine;
}

/** SHELL (exec form only). */
export interface ShellInstruction extends Located {
  kind: 'SHELL';
  argv: string[];
}

/** HEALTHCHECK: `NONE` disables; durations in nanoseconds as BuildKit stores them, null = not given. */
export interface HealthcheckInstruction extends Located {
  kind: 'HEALTHCHECK';
  test: { type: 'NONE' } | { type: 'CMD'; command: CommandLine };
  interval: number | null;
  timeout: number | null;
  startPeriod: number | null;
  startInterval: number | null;
  retries: number | null;
}

/** ONBUILD: the trigger's text is stored in the image, not run here. */
export interface OnbuildInstruction extends Located {
  kind: 'ONBUILD';
  /** The inner instruction's text as written (what goes into the image config's OnBuild list). */
  expression: string;
  /** The inner instruction, typed (never FROM, ONBUILD or MAINTAINER). */
  inner: Instruction;
}

/** EXPOSE. */
export interface ExposeInstruction extends Located {
  kind: 'EXPOSE';
  ports: string[];
}

/** VOLUME. */
export interface VolumeInstruction extends Located {
  kind: 'VOLUME';
  paths: string[];
}

/** USER. */
export interface UserInstruction extends Located {
  kind: 'USER';
  user: string;
}

/** WORKDIR. */
export interface WorkdirInstruction extends Located {
  kind: 'WORKDIR';
  path: string;
}

/** STOPSIGNAL. */
export interface StopsignalInstruction extends Located {
  kind: 'STOPSIGNAL';
  signal: string;
}

/** MAINTAINER (deprecated; sets the Author field). */
export interface MaintainerInstruction extends Located {
  kind: 'MAINTAINER';
  name: string;
}

/** Every instruction that may appear inside a stage (FROM starts the stage itself). */
export type Instruction =
  | RunInstruction | CopyInstruction | AddInstruction | EnvInstruction | LabelInstruction | ArgInstruction
  | CmdInstruction | EntrypointInstruction | ShellInstruction | HealthcheckInstruction | OnbuildInstruction
  | ExposeInstruction | VolumeInstruction | UserInstruction | WorkdirInstruction | StopsignalInstruction
  | MaintainerInstruction;

/** An instruction's kind. */
export type InstructionKind = Instruction['kind'];

/** What a stage is built on. */
export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'stage'; index: number }
  | { kind: 'image'; ref: string };

/** One build stage, `FROM … [AS name]` up to the next FROM. */
export interface Stage extends Located {
  index: number;
  /** Lower-cased stage name, or null when unnamed. */
  name: string | null;
  /** The name as written (for StageNameCasing). */
  nameAsWritten: string | null;
  /** FROM's image word as written. */
  imageRaw: string;
  /** FROM's image word expanded with global ARGs, build args and the predefined platform ARGs. */
  image: string;
  base: StageBase;
  /** `--platform` as written, or null. */
  platformRaw: string | null;
  /** `--platform` expanded (e.g. `$BUILDPLATFORM` → `linux/amd64`), or null. */
  platform: string | null;
  instructions: Instruction[];
}

/** What `toStages` returns. */
export interface Stages {
  directives: Directive[];
  escape: '\\' | '`';
  /** ARG instructions before the first FROM. */
  globalArgs: ArgInstruction[];
  /**
   * Values of global ARGs as FROM sees them: defaults (expanded in order) overridden by build args, plus
   * the predefined platform ARGs. Undeclared build args are absent.
   */
  globalArgValues: Record<string, string>;
  /** The predefined ARGs (TARGET*, BUILD*) computed from the options. */
  platformArgs: PlatformArgs;
  stages: Stage[];
}

/** Options of `toStages`. */
export interface ToStagesOptions {
  /** `--build-arg` values; they override ARG defaults (global and per stage). */
  buildArgs?: Record<string, string>;
  /** Target platform, `os/arch[/variant]`; default: the build platform. */
  platform?: string;
  /** Build platform; default: this machine (`linux/<node arch>`). */
  buildPlatform?: string;
}

/** The predefined platform ARGs BuildKit provides (global scope; a stage sees them after `ARG NAME`). */
export interface PlatformArgs {
  TARGETPLATFORM: string;
  TARGETOS: string;
  TARGETARCH: string;
  TARGETVARIANT: string;
  BUILDPLATFORM: string;
  BUILDOS: string;
  BUILDARCH: string;
  BUILDVARIANT: string;
}

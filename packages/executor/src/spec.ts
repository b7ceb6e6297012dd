import type { Writable } from 'node:stream';

/** A mount the launcher makes inside the container before pivoting into the rootfs. */
export type ExecMount =
  | { type: 'bind'; source: string; target: string; readonly?: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number }
  /** A writable view of directory `source` whose writes go to a scratch dir and never reach the source. */
  | { type: 'overlay'; source: string; target: string };

/** cgroup limits for one step (root only). */
export interface Limits {
  memoryBytes?: number;
  pids?: number;
  /** CPUs as a fraction: 0.5 is half of one CPU. */
  cpus?: number;
}

/** Where a stream of the step goes: the launcher's own, nowhere, a stream, or a callback per line. */
export type OutputSink = 'inherit' | 'ignore' | Writable | ((line: string) => void);

/** What to run and how (DESIGN §3). */
export interface RunSpec {
  /** An already-mounted root filesystem directory. */
  rootfs: string;
  argv: string[];
  /** `KEY=value` strings. PATH and HOME are added when missing. */
  env?: string[];
  /** Absolute working directory inside the rootfs; created when missing. Default `/`. */
  cwd?: string;
  /** `name`, `uid`, `name:group` or `uid:gid`, resolved from the rootfs's /etc/passwd and /etc/group. */
  user?: string;
  /** Default: random hex under network none, the host's name under host. */
  hostname?: string;
  /** Bind a generated /etc/hostname (docker run does; a build step, as in BuildKit, does not). Default true. */
  etcHostname?: boolean;
  network?: 'none' | 'host';
  /** Lines `host ip` added to the generated /etc/hosts (`--add-host`). */
  extraHosts?: string[];
  mounts?: ExecMount[];
  limits?: Limits;
  /** Kills the step after this many milliseconds; the result then has `timedOut`. */
  timeoutMs?: number;
  stdin?: 'inherit' | 'ignore' | string | Buffer;
  stdout?: OutputSink;
  stderr?: OutputSink;
}

/** Resource use of a finished step. */
export interface Usage {
  cpuNs: number;
  memoryPeakBytes: number;
  wallNs: number;
}

/** How a step ended. `exitCode` is 128+n when it died of signal n. */
export interface RunResult {
  exitCode: number;
  signal?: NodeJS.Signals;
  usage: Usage;
  oomKilled: boolean;
  pidsLimitHit: boolean;
  timedOut: boolean;
}

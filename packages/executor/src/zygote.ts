import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { ExecutorError } from './errors.js';
import { nativeBinary } from './native-binary.js';

/** The zygote binary: $STRATA_ZYGOTE if set (tests point it at the ASan build), else the release build. */
export function zygotePath(variant: 'release' | 'asan' = 'release'): string {
  return nativeBinary('zygote', 'strata-zygote', 'STRATA_ZYGOTE', variant);
}

/** How a launcher started by the zygote ended: its exit code, or the signal that ended it. */
export interface LauncherEnd {
  code: number | null;
  signal: number | null;
}

/** One launcher started through the zygote. */
export interface ZygoteRun {
  stdout: Readable;
  stderr: Readable;
  /** The launcher's result lines (its --result-fd). */
  result: Readable;
  /** Asks the launcher to kill the step (its control byte 'k'). */
  kill(): void;
  /** Settles once the launcher is reaped and all of its output was delivered. */
  ended: Promise<LauncherEnd>;
}

interface Pending {
  streams: Record<'O' | 'E' | 'Q', PassThrough>;
  resolve(end: LauncherEnd): void;
  reject(e: Error): void;
}

type Handle = { ref(): void; unref(): void };

/**
 * A small native process that forks launchers on request (native/zygote.c): forking it costs a fraction of
 * forking Node, whose page tables grow with the heap, and that fork would block the event loop. It
 * multiplexes every launcher's stdout, stderr and result back as frames. It holds Node's process open only
 * while a launcher runs; when Node exits, its end of file makes every launcher kill its step.
 */
export class Zygote {
  private static readonly shared = new Map<string, Zygote>();
  private child: ChildProcess | undefined;
  private readonly runs = new Map<number, Pending>();
  private next = 1;
  private buf: Buffer = Buffer.alloc(0);

  private constructor(private readonly binary: string, private readonly launcher: string) {}

  /** The process-wide zygote for this binary and launcher, started on first use. */
  static for(binary: string, launcher: string): Zygote {
    const key = `${binary}\0${launcher}`;
    let z = Zygote.shared.get(key);
    if (!z) Zygote.shared.set(key, (z = new Zygote(binary, launcher)));
    return z;
  }

  /** Starts a launcher reading `framed` ("<length>\n<spec>") on its spec fd. */
  start(framed: Buffer): ZygoteRun {
    const child = this.ensure();
    const id = this.next++;
    const streams = { O: new PassThrough(), E: new PassThrough(), Q: new PassThrough() };
    let pending!: Pending;
    const ended = new Promise<LauncherEnd>((resolve, reject) => {
      pending = { streams, resolve, reject };
    });
    this.runs.set(id, pending);
    this.hold(true);
    child.stdin!.write(`R ${id} ${framed.length}\n`);
    child.stdin!.write(framed);
    const kill = () => {
      if (this.runs.has(id) && this.child === child) child.stdin!.write(`K ${id}\n`);
    };
    return { stdout: streams.O, stderr: streams.E, result: streams.Q, kill, ended };
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(this.binary, [this.launcher], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.buf = Buffer.alloc(0);
    child.stdin!.on('error', () => {});
    child.stdout!.on('data', (c: Buffer) => this.onData(c));
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      const lost = [...this.runs.values()];
      this.runs.clear();
      for (const p of lost) this.finish(p, new ExecutorError(`the launcher service ${path.basename(this.binary)} ${why}`));
    };
    child.on('error', (e) => gone(`could not start: ${e.message}`));
    child.on('exit', (code, sig) => gone(`ended unexpectedly (${sig ?? `exit ${code}`})`));
    return child;
  }

  /** Keeps Node alive while launchers run; lets it exit when idle. */
  private hold(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const h of [c, c.stdin as unknown as Handle, c.stdout as unknown as Handle]) {
      if (on) h.ref();
      else h.unref();
    }
  }

  private finish(p: Pending, end: LauncherEnd | Error): void {
    for (const s of Object.values(p.streams)) s.end();
    if (end instanceof Error) p.reject(end);
    else p.resolve(end);
    if (this.runs.size === 0) this.hold(false);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const nl = this.buf.indexOf(10, at);
      if (nl < 0) break;
      const head = this.buf.toString('latin1', at, nl).split(' ');
      const tag = head[0]!;
      const id = Number(head[1]);
      if (tag === 'O' || tag === 'E' || tag === 'Q') {
        const len = Number(head[2]);
        if (this.buf.length < nl + 1 + len) break;
        this.runs.get(id)?.streams[tag].write(this.buf.subarray(nl + 1, nl + 1 + len));
        at = nl + 1 + len;
        continue;
      }
      at = nl + 1;
      const p = this.runs.get(id);
      if (!p) continue;
      this.runs.delete(id);
      if (tag === 'X') {
        const code = Number(head[2]);
        const sig = Number(head[3]);
        this.finish(p, { code: code >= 0 ? code : null, signal: sig > 0 ? sig : null });
      } else {
        this.finish(p, new ExecutorError(`cannot start the launcher: ${head.slice(2).join(' ')}`));
      }
    }
    // Keep only the unparsed tail (a copy: the rest of the chunk may be large and is done with).
    this.buf = at >= this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(at));
  }
}

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomicSync } from '@strata/cache';
import type { SolveEvent } from '@strata/planner';

/** One step of a finished (or failed) build as `strata cache explain` shows it. */
export interface StepRecord {
  line: number;
  text: string;
  stage: string | null;
  cached: boolean;
  key?: string;
  /** Why the step missed the cache (absent on a hit). */
  reason?: string;
  durationMs?: number;
  error?: string;
}

/** What a build leaves behind for explanations after the fact (`<root>/cache/builds/<time>-<pid>.json`). */
export interface BuildRecord {
  started: string;
  dockerfile: string;
  tags: string[];
  id?: string;
  steps: StepRecord[];
}

/** Collects solve events into a BuildRecord. */
export class BuildRecorder {
  readonly record: BuildRecord;
  private readonly byOp = new Map<string, StepRecord>();
  constructor(dockerfile: string, tags: string[]) {
    this.record = { started: new Date().toISOString(), dockerfile, tags, steps: [] };
  }

  /** Feed every solve event here. */
  on(e: SolveEvent): void {
    let s = this.byOp.get(e.op);
    if (!s) {
      s = { line: e.line, text: e.text.split('\n')[0]!, stage: e.stage, cached: false };
      this.byOp.set(e.op, s);
      this.record.steps.push(s);
    }
    if (e.type === 'cached') Object.assign(s, { cached: true, key: e.key });
    else if (e.type === 'miss') Object.assign(s, { key: e.key, reason: e.reason });
    else if (e.type === 'end') s.durationMs = e.durationMs;
    else if (e.type === 'error') s.error = e.message;
  }

  /** Writes the record (temp → fsync → rename; synchronously: the build is over, nothing else waits). */
  async save(root: string, id?: string): Promise<void> {
    if (id) this.record.id = id;
    const stamp = this.record.started.replace(/[:.]/g, '-');
    writeFileAtomicSync(path.join(root, 'cache', 'builds', `${stamp}-${process.pid}.json`), JSON.stringify(this.record, null, 1));
  }
}

/** The newest build record, or the newest one that tagged `name` / produced image id `name`. */
export async function lastBuild(root: string, name?: string): Promise<BuildRecord | undefined> {
  const dir = path.join(root, 'cache', 'builds');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort().reverse();
  for (const f of files) {
    const r = JSON.parse(await readFile(path.join(dir, f), 'utf8').catch(() => 'null')) as BuildRecord | null;
    if (!r) continue;
    if (name === undefined || r.tags.some((t) => t === name || t.split(':')[0] === name) || (r.id && r.id.includes(name))) return r;
  }
  return undefined;
}

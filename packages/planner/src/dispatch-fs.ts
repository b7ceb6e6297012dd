import path from 'node:path/posix';
import { PROXY_ARGS, inlineFileData, runScript } from '@strata/dockerfile';
import type { AddInstruction, CopyInstruction, RunInstruction, WorkdirInstruction } from '@strata/dockerfile';
import type { CompilerContext, StageState } from './compile-state.js';
import type { CopyAction, ExecMount, ExecOp, FileOp } from './graph.js';
import { historyEntry } from './history.js';
import { commandArgv, lineOf } from './step-util.js';

/** The PATH BuildKit gives a process when the image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function common(st: StageState, line: number, text: string, meta = false) {
  if (meta) st.metaOrdinal++;
  else st.ordinal++;
  return {
    stage: st.stage.index,
    stageName: st.stage.name,
    line,
    text,
    slot: meta ? `${st.stage.name ?? st.stage.index}/meta${st.metaOrdinal}` : `${st.stage.name ?? st.stage.index}/${st.ordinal}`,
    parent: st.head,
  };
}

/** RUN → an exec op on the current root filesystem. */
export async function dispatchRun(cx: CompilerContext, st: StageState, ins: RunInstruction): Promise<void> {
  const line = lineOf(st, ins.range);
  const script = runScript(ins);
  const argv = commandArgv(script.command, st.config.Shell ?? ['/bin/sh', '-c']);
  const files = script.files.map((f) => ({ path: f.path, data: f.data, mode: f.mode }));
  const deps: string[] = [];
  const mounts: ExecMount[] = [];
  for (const m of ins.mounts) {
    const x = (v: string | null) => st.scope.expandOpt(v, line);
    let from: ExecMount['from'] = null;
    const named = m.from !== null ? cx.named(m.from) : undefined;
    if (named?.kind === 'dir') {
      from = { kind: 'context', name: named.name };
    } else if (m.from !== null) {
      const op = await cx.refHead(m.from, st, line);
      from = { kind: 'op', op };
      if (op !== null) deps.push(op);
    } else if (m.type === 'bind') {
      from = { kind: 'context' };
    }
    mounts.push({
      type: m.type, target: x(m.target), source: x(m.source), from, readonly: m.readonly, id: x(m.id),
      sharing: m.sharing, mode: x(m.mode), uid: x(m.uid), gid: x(m.gid), required: m.required, size: x(m.size), env: x(m.env),
    });
  }
  st.scope.takeUsed();
  const { args, env } = st.scope.visible();
  const envList = st.scope.processEnv();
  if (!envList.some((kv) => kv.startsWith('PATH='))) envList.push(`PATH=${DEFAULT_PATH}`);
  const proxyEnv = PROXY_ARGS.filter((n) => cx.buildArgs[n] !== undefined && !st.scope.args.has(n))
    .map((n) => `${n}=${cx.buildArgs[n]}`);
  const shown = st.scope.historyArgs();
  const prefix = shown.length > 0 ? `|${shown.length} ${shown.join(' ')} ` : '';
  const op: Omit<ExecOp, 'id'> = {
    kind: 'exec',
    ...common(st, line, ins.original),
    deps,
    args,
    env,
    argv, envList, proxyEnv, files,
    cwd: st.config.WorkingDir || '/',
    user: st.config.User ?? '',
    network: ins.network === 'default' ? cx.network : ins.network,
    extraHosts: cx.extraHosts,
    security: ins.security,
    mounts,
    platform: st.platform,
  };
  const id = cx.addOp(op);
  st.head = id;
  st.plan.steps.push({ op: id, history: historyEntry(`RUN ${prefix}${argv.join(' ')}`, true) });
}

/** A destination as BuildKit resolves it: against WORKDIR, keeping "into a directory" (`.` or trailing /). */
export function resolveDest(workdir: string, dest: string): string {
  let out = path.resolve('/', workdir || '/', dest);
  if ((dest === '.' || dest === '' || dest.endsWith('/')) && !out.endsWith('/')) out += '/';
  return out;
}

/** COPY/ADD → a file op. */
export async function dispatchCopy(cx: CompilerContext, st: StageState, ins: CopyInstruction | AddInstruction): Promise<void> {
  const line = lineOf(st, ins.range);
  const x = (v: string) => st.scope.expand(v, line);
  const sources = ins.sources.map(x);
  const inline = ins.heredocs.map((h) => ({ name: h.name, data: h.expand ? x(inlineFileData(h)) : inlineFileData(h) }));
  const destWritten = x(ins.dest);
  const dest = resolveDest(st.config.WorkingDir ?? '/', destWritten);
  const chown = st.scope.expandOpt(ins.chown, line);
  const chmod = st.scope.expandOpt(ins.chmod, line);
  const exclude = ins.exclude.map(x);
  const checksum = ins.kind === 'ADD' ? st.scope.expandOpt(ins.checksum, line) : null;
  let from: CopyAction['from'] = { kind: 'context' };
  const deps: string[] = [];
  const named = ins.from !== null ? cx.named(ins.from) : undefined;
  if (named?.kind === 'dir') {
    from = { kind: 'context', name: named.name };
  } else if (ins.from !== null) {
    const op = await cx.refHead(ins.from, st, line);
    if (op !== null) deps.push(op);
    from = { kind: 'op', op };
  }
  const used = st.scope.takeUsed();
  const action: CopyAction = {
    type: 'copy', add: ins.kind === 'ADD', from, sources, inline, dest, chown, chmod, link: ins.link,
    parents: ins.parents, exclude, checksum,
    unpack: ins.kind === 'ADD' ? ins.unpack : null,
    keepGitDir: ins.kind === 'ADD' ? ins.keepGitDir : false,
  };
  const op: Omit<FileOp, 'id'> = {
    kind: 'file', ...common(st, line, ins.original), deps, args: used.args, env: used.env, action, platform: st.platform,
  };
  const id = cx.addOp(op);
  st.head = id;
  // BuildKit's message: only --parents/--chown/--chmod, the sources, heredoc names, dest as written.
  const flags = [ins.parents ? '--parents' : '', chown !== null ? `--chown=${chown}` : '', chmod !== null ? `--chmod=${chmod}` : '']
    .filter((f) => f !== '');
  const what = [...flags, ...sources, ...inline.map((f) => `<<${f.name}`), destWritten].join(' ');
  st.plan.steps.push({ op: id, history: historyEntry(`${ins.kind} ${what}`, true) });
}

/**
 * The first step of a stage whose image is a directory context (`FROM NAME`, `--build-context NAME=DIR`): all
 * of its files copied onto scratch, as BuildKit makes such a stage.
 */
export function seedFromContext(cx: CompilerContext, st: StageState, name: string): void {
  const line = lineOf(st, st.stage.range);
  const action: CopyAction = {
    type: 'copy', add: false, from: { kind: 'context', name }, sources: ['.'], inline: [], dest: '/', chown: null, chmod: null,
    link: false, parents: false, exclude: [], checksum: null, unpack: null, keepGitDir: false,
  };
  const id = cx.addOp({ kind: 'file', ...common(st, line, `FROM ${name}`), deps: [], args: {}, env: {}, action, platform: st.platform });
  st.head = id;
  st.plan.steps.push({ op: id, history: historyEntry(`COPY --from=${name} . /`, true) });
}

/** WORKDIR → config change plus a mkdir op (the runner makes it a no-op when the directory exists). */
export function dispatchWorkdir(cx: CompilerContext, st: StageState, ins: WorkdirInstruction): void {
  const line = lineOf(st, ins.range);
  const wd = path.resolve('/', st.config.WorkingDir || '/', st.scope.expand(ins.path, line));
  const used = st.scope.takeUsed();
  st.config.WorkingDir = wd;
  if (wd === '/') {
    const id = cx.addOp({
      kind: 'config', ...common(st, line, ins.original, true), deps: [], args: used.args, env: used.env, change: { WorkingDir: wd },
    });
    st.plan.steps.push({ op: id, history: historyEntry(`WORKDIR ${wd}`, false) });
    return;
  }
  const op: Omit<FileOp, 'id'> = {
    kind: 'file', ...common(st, line, ins.original), deps: [], args: used.args, env: used.env,
    action: { type: 'mkdir', path: wd, mode: 0o755, user: st.config.User ?? '' }, platform: st.platform,
  };
  const id = cx.addOp(op);
  st.head = id;
  st.plan.steps.push({ op: id, history: historyEntry(`WORKDIR ${wd}`, true, false) });
}

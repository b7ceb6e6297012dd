import type { Instruction } from '@strata/dockerfile';
import type { ContainerConfig } from '@strata/oci';
import type { CompilerContext, StageState } from './compile-state.js';
import { commandArgv, lineOf } from './step-util.js';
import { PlannerError } from './errors.js';
import { goHealthcheck, goList, goMap, goQuoteList, historyEntry } from './history.js';

type MetaKind = 'ENV' | 'LABEL' | 'ARG' | 'CMD' | 'ENTRYPOINT' | 'USER' | 'EXPOSE' | 'VOLUME' | 'STOPSIGNAL'
  | 'HEALTHCHECK' | 'SHELL' | 'ONBUILD' | 'MAINTAINER';

/** The instructions that only change the image config (and the variables in scope). */
export type MetaInstruction = Extract<Instruction, { kind: MetaKind }>;

/** Apply one metadata instruction: update scope and config, add its config op and history entry. */
export function dispatchMeta(cx: CompilerContext, st: StageState, ins: MetaInstruction): void {
  const line = lineOf(st, ins.range);
  const x = (w: string) => st.scope.expand(w, line);
  const cfg = st.config;
  const shell = cfg.Shell ?? ['/bin/sh', '-c'];
  const change: ContainerConfig = {};
  let createdBy: string | null;
  switch (ins.kind) {
    case 'ENV': {
      // Every pair is expanded against the environment before this instruction (BuildKit expands the whole
      // instruction first), so `ENV A=1 B=$A` gives B the old A.
      const pairs = ins.pairs.map((p) => [x(p.key), x(p.value)] as const);
      for (const [k, v] of pairs) st.scope.setEnv(k, v);
      cfg.Env = change.Env = st.scope.envList();
      createdBy = `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
      break;
    }
    case 'LABEL': {
      const pairs = ins.pairs.map((p) => [x(p.key), x(p.value)] as const);
      cfg.Labels = { ...(cfg.Labels ?? {}) };
      for (const [k, v] of pairs) cfg.Labels[k] = v;
      change.Labels = Object.fromEntries(pairs);
      createdBy = `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
      break;
    }
    case 'ARG': {
      const shown: string[] = [];
      for (const decl of ins.args) {
        const name = x(decl.name);
        let value: string | undefined = cx.buildArgs[name];
        if (value === undefined && decl.default !== null) value = x(decl.default);
        if (value === undefined) value = cx.stages.globalArgValues[name];
        st.scope.declareArg(name, value);
        shown.push(value === undefined ? name : `${name}=${value}`);
      }
      createdBy = `ARG ${shown.join(' ')}`;
      break;
    }
    case 'CMD':
      cfg.Cmd = change.Cmd = commandArgv(ins.command, shell);
      // BuildKit keeps setting the deprecated Docker field for compatibility; conformance compares it.
      cfg.ArgsEscaped = change.ArgsEscaped = true;
      st.cmdSet = true;
      createdBy = `CMD ${goQuoteList(cfg.Cmd)}`;
      break;
    case 'ENTRYPOINT':
      cfg.Entrypoint = change.Entrypoint = commandArgv(ins.command, shell);
      // A CMD inherited from the base makes no sense with a new ENTRYPOINT; one set in this stage stays.
      if (!st.cmdSet) cfg.Cmd = change.Cmd = null;
      createdBy = `ENTRYPOINT ${goQuoteList(cfg.Entrypoint)}`;
      break;
    case 'USER':
      cfg.User = change.User = x(ins.user);
      createdBy = `USER ${cfg.User}`;
      break;
    case 'EXPOSE': {
      const ports = ins.ports.flatMap((p) => st.scope.expandWords(p, line)).flatMap((p) => exposedPorts(p, cx, line));
      cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of ports) cfg.ExposedPorts[p] = {};
      change.ExposedPorts = Object.fromEntries(ports.map((p) => [p, {}]));
      createdBy = `EXPOSE ${goMap(ports)}`;
      break;
    }
    case 'VOLUME': {
      const paths = ins.paths.map(x);
      if (paths.some((p) => p.trim() === '')) throw new PlannerError('VOLUME specified can not be an empty string', line, cx.filename);
      cfg.Volumes = { ...(cfg.Volumes ?? {}) };
      for (const p of paths) cfg.Volumes[p] = {};
      change.Volumes = Object.fromEntries(paths.map((p) => [p, {}]));
      createdBy = `VOLUME ${goList(paths)}`;
      break;
    }
    case 'STOPSIGNAL': {
      const sig = x(ins.signal);
      if (!/^(SIG)?[A-Z][A-Z0-9+-]*$|^[0-9]+$/.test(sig)) throw new PlannerError(`invalid STOPSIGNAL ${JSON.stringify(sig)}`, line, cx.filename);
      cfg.StopSignal = change.StopSignal = sig;
      createdBy = `STOPSIGNAL ${sig}`;
      break;
    }
    case 'HEALTHCHECK': {
      const t = ins.test;
      const test = t.type === 'NONE' ? ['NONE']
        : t.command.form === 'exec' ? ['CMD', ...t.command.argv] : ['CMD-SHELL', t.command.script];
      const hc: NonNullable<ContainerConfig['Healthcheck']> = { Test: test };
      if (ins.interval !== null) hc.Interval = ins.interval;
      if (ins.timeout !== null) hc.Timeout = ins.timeout;
      if (ins.startPeriod !== null) hc.StartPeriod = ins.startPeriod;
      if (ins.startInterval !== null) hc.StartInterval = ins.startInterval;
      if (ins.retries !== null) hc.Retries = ins.retries;
      cfg.Healthcheck = change.Healthcheck = hc;
      createdBy = `HEALTHCHECK ${goHealthcheck(hc)}`;
      break;
    }
    case 'SHELL':
      cfg.Shell = change.Shell = [...ins.argv];
      createdBy = `SHELL ${goList(ins.argv)}`;
      break;
    case 'ONBUILD':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), ins.expression];
      change.OnBuild = [ins.expression];
      createdBy = null; // BuildKit writes no history entry for ONBUILD

      break;
    case 'MAINTAINER':
      st.plan.config.author = ins.name;
      createdBy = `MAINTAINER ${ins.name}`;
      break;
  }
  const used = st.scope.takeUsed();
  st.metaOrdinal++;
  const id = cx.addOp({
    kind: 'config', stage: st.stage.index, stageName: st.stage.name, line, text: ins.original,
    slot: `${st.stage.name ?? st.stage.index}/meta${st.metaOrdinal}`, parent: st.head, deps: [], args: used.args, env: used.env, change,
  });
  if (createdBy !== null) st.plan.steps.push({ op: id, history: historyEntry(createdBy, false) });
}

/** EXPOSE port specs as nat.ParsePortSpecs reads them: `80`, `80/udp`, `8000-8002/tcp` (one key per port). */
function exposedPorts(spec: string, cx: CompilerContext, line: number): string[] {
  const m = /^(?:.*:)?(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/.exec(spec);
  if (m === null) throw new PlannerError(`invalid EXPOSE port ${JSON.stringify(spec)}`, line, cx.filename);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (hi < lo || hi > 65535) throw new PlannerError(`invalid EXPOSE port range ${JSON.stringify(spec)}`, line, cx.filename);
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

/**
 * Syntax node → typed instruction (BuildKit's instructions.ParseInstruction): argument counts, flags and
 * their values validated; words kept raw (see types.ts for why). `--from` names are resolved by stages.ts.
 */
import { DockerfileError } from './errors.js';
import { FlagValues, FLAG_SPECS, FLAGS_IGNORED } from './flags.js';
import { parseHeredocWord } from './heredoc.js';
import { parseGoDuration } from './duration.js';
import { parseRunMount } from './run-mount.js';
import type { InstructionNode } from './syntax.js';
import type { ArgDecl, CommandLine, InlineFile, Instruction, KeyValue } from './types.js';
import { trimSpace } from './chars.js';

/** What typed conversion needs besides the node. */
export interface ConvertContext {
  filename: string;
  escape: string;
}

const MIN_DURATION_NS = 1e6;

// toStages and lint both convert every node; a tree is immutable once parsed, so convert each node once.
const converted = new WeakMap<InstructionNode, Instruction>();

/** Converts one non-FROM node (once per node); throws DockerfileError at the node (or flag) position. */
export function toInstruction(node: InstructionNode, ctx: ConvertContext): Instruction {
  let ins = converted.get(node);
  if (!ins) {
    ins = convert(node, ctx);
    converted.set(node, ins);
  }
  return ins;
}

function convert(node: InstructionNode, ctx: ConvertContext): Instruction {
  const at = node.range.start;
  const fail = (msg: string): never => {
    throw new DockerfileError(msg, at.line, at.column, ctx.filename);
  };
  const K = node.keyword;
  const spec = FLAG_SPECS[K] ?? {};
  const flags = FLAGS_IGNORED.has(K) ? null : new FlagValues(node, spec, ctx.filename);
  const args = node.args.map((a) => a.value);
  const base = { range: node.range, original: node.original };
  const command = (): CommandLine =>
    node.json ? { form: 'exec', argv: args } : { form: 'shell', script: args.join(' ') };
  const flagFail = (name: string, msg: string): never => {
    const f = flags?.flag(name);
    throw new DockerfileError(msg, f?.range.start.line ?? at.line, f?.range.start.column ?? at.column, ctx.filename);
  };
  const one = (): string => (args.length === 1 ? args[0]! : fail(`${K} requires exactly one argument`));
  const atLeastOne = () => { if (args.length === 0) fail(`${K} requires at least one argument`); };

  switch (K) {
    case 'RUN': {
      const mounts = flags!.strings('mount').map((v) => {
        try {
          return parseRunMount(v, ctx.escape);
        } catch (e) {
          return flagFail('mount', (e as Error).message);
        }
      });
      const network = flags!.string('network') ?? 'default';
      if (!['default', 'none', 'host'].includes(network)) flagFail('network', `unsupported network mode "${network}"`);
      const security = flags!.string('security') ?? 'sandbox';
      if (!['sandbox', 'insecure'].includes(security)) flagFail('security', `unsupported security mode "${security}"`);
      if (args.length === 0 && node.heredocs.length === 0) fail('RUN requires at least one argument');
      return {
        ...base, kind: 'RUN', command: command(), mounts, network: network as 'default', security: security as 'sandbox',
        heredocs: node.heredocs.map(inline),
      };
    }
    case 'CMD':
      return { ...base, kind: 'CMD', command: command() };
    case 'ENTRYPOINT':
      return { ...base, kind: 'ENTRYPOINT', command: command() };
    case 'SHELL':
      atLeastOne();
      if (!node.json) fail(`SHELL requires the arguments to be in JSON form`);
      return { ...base, kind: 'SHELL', argv: args };
    case 'COPY': case 'ADD':
      return copyLike(node, K, args, flags!, fail, flagFail, base);
    case 'ENV': case 'LABEL': {
      atLeastOne();
      const pairs: KeyValue[] = [];
      for (let i = 0; i + 1 < args.length; i += 2) {
        if (args[i] === '') fail(`${K} names can not be blank`);
        pairs.push({ key: args[i]!, value: args[i + 1]! });
      }
      return K === 'ENV'
        ? { ...base, kind: 'ENV', pairs, legacy: node.legacyKeyValue }
        : { ...base, kind: 'LABEL', pairs, legacy: node.legacyKeyValue };
    }
    case 'ARG': {
      atLeastOne();
      const decls: ArgDecl[] = args.map((a) => {
        const eq = a.indexOf('=');
        if (eq === 0) fail('ARG names can not be blank');
        return eq < 0 ? { name: a, default: null } : { name: a.slice(0, eq), default: a.slice(eq + 1) };
      });
      return { ...base, kind: 'ARG', args: decls };
    }
    case 'HEALTHCHECK':
      return healthcheck(node, args, flags!, fail, flagFail, base, command);
    case 'ONBUILD': {
      atLeastOne();
      const inner = node.inner!;
      if (inner.keyword === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (inner.keyword === 'MAINTAINER' || inner.keyword === 'FROM') fail(`${inner.keyword} isn't allowed as an ONBUILD trigger`);
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of node.heredocs) expression += '\n' + h.content + h.name;
      const innerNode: InstructionNode = { ...inner, heredocs: node.heredocs };
      return { ...base, kind: 'ONBUILD', expression, inner: toInstruction(innerNode, ctx) };
    }
    case 'EXPOSE':
      atLeastOne();
      return { ...base, kind: 'EXPOSE', ports: [...args].sort() };
    case 'VOLUME': {
      atLeastOne();
      const paths = args.map((v) => trimSpace(v));
      if (paths.some((p) => p === '')) fail('VOLUME specified can not be an empty string');
      return { ...base, kind: 'VOLUME', paths };
    }
    case 'USER':
      return { ...base, kind: 'USER', user: one() };
    case 'WORKDIR':
      return { ...base, kind: 'WORKDIR', path: one() };
    case 'STOPSIGNAL':
      return { ...base, kind: 'STOPSIGNAL', signal: one() };
    case 'MAINTAINER':
      return { ...base, kind: 'MAINTAINER', name: one() };
    default:
      return fail(`unknown instruction: ${node.keywordAsWritten}`);
  }
}

function inline(h: { name: string; content: string; expand: boolean; chomp: boolean }): InlineFile {
  return { name: h.name, data: h.content, expand: h.expand, chomp: h.chomp };
}

type Fail = (msg: string) => never;
type FlagFail = (name: string, msg: string) => never;
type Base = { range: InstructionNode['range']; original: string };

function copyLike(node: InstructionNode, K: 'COPY' | 'ADD', args: string[], flags: FlagValues, fail: Fail, flagFail: FlagFail, base: Base): Instruction {
  if (args.length < 2) fail(`${K} requires at least two arguments, but only one was provided. Destination could not be determined`);
  const dest = args[args.length - 1]!;
  if (!node.json && parseHeredocWord(dest)) fail(`${K} cannot accept a heredoc as a destination`);
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const heredocs: InlineFile[] = [];
  for (const s of args.slice(0, -1)) {
    const h = node.json ? null : parseHeredocWord(s);
    if (h) {
      const body = byName.get(h.name);
      heredocs.push({ name: h.name, data: body?.content ?? '', expand: h.expand, chomp: h.chomp });
    } else sources.push(s);
  }
  const chmod = flags.string('chmod');
  if (chmod !== null && !chmod.includes('$') && !/^([0-7]{1,4}|[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+(?:,[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+)*)$/.test(chmod)) {
    flagFail('chmod', `invalid chmod parameter: ${chmod}`);
  }
  const common = {
    ...base, sources, dest, heredocs, from: null, chown: flags.string('chown'), chmod,
    link: flags.bool('link') ?? false, parents: false, exclude: flags.strings('exclude'), json: node.json,
  };
  if (K === 'COPY') {
    const from = flags.string('from');
    if (from === '') flagFail('from', 'COPY --from requires a stage name, index or image');
    return { ...common, kind: 'COPY', from: from === null ? null : { kind: 'image', ref: from }, parents: flags.bool('parents') ?? false };
  }
  const checksum = flags.string('checksum');
  if (checksum !== null && !checksum.includes('$') && !/^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/.test(checksum)) {
    flagFail('checksum', `invalid checksum digest format: ${checksum}`);
  }
  return {
    ...common, kind: 'ADD', checksum, keepGitDir: flags.bool('keep-git-dir') ?? false,
    unpack: flags.bool('unpack'),
  };
}

function healthcheck(node: InstructionNode, args: string[], flags: FlagValues, fail: Fail, flagFail: FlagFail, base: Base,
  command: () => CommandLine): Instruction {
  if (args.length === 0) fail('HEALTHCHECK requires at least one argument');
  const typ = args[0]!.toUpperCase();
  const rest = args.slice(1);
  const empty = { interval: null, timeout: null, startPeriod: null, startInterval: null, retries: null };
  if (typ === 'NONE') {
    if (rest.length !== 0) fail('HEALTHCHECK NONE takes no arguments');
    return { ...base, kind: 'HEALTHCHECK', test: { type: 'NONE' }, ...empty };
  }
  if (typ !== 'CMD') fail(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  if (rest.length === 0) fail('Missing command after HEALTHCHECK CMD');
  const dur = (name: string): number | null => {
    const v = flags.string(name);
    if (v === null || v === '') return null;
    const ns = parseGoDuration(v);
    if (ns === null) return flagFail(name, `time: invalid duration "${v}"`);
    if (ns === 0) return null;
    if (ns < MIN_DURATION_NS) return flagFail(name, `Interval "${name}" cannot be less than 1ms`);
    return ns;
  };
  let retries: number | null = null;
  const r = flags.string('retries');
  if (r !== null && r !== '') {
    if (!/^[-+]?\d+$/.test(r) || Math.abs(Number(r)) > 2147483647) flagFail('retries', `invalid value for --retries: "${r}"`);
    if (Number(r) < 0) flagFail('retries', `--retries cannot be negative (${Number(r)})`);
    retries = Number(r);
  }
  const cmd = command();
  const test: CommandLine = cmd.form === 'exec' ? { form: 'exec', argv: cmd.argv.slice(1) } : { form: 'shell', script: rest.join(' ') };
  return {
    ...base, kind: 'HEALTHCHECK', test: { type: 'CMD', command: test }, interval: dur('interval'), timeout: dur('timeout'),
    startPeriod: dur('start-period'), startInterval: dur('start-interval'), retries,
  };
}

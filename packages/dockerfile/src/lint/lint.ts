/**
 * `lint(tree, options)`: the checks `docker build --check` runs, with its rule names and wording, honouring
 * `# check=skip=…;error=true`. Things only the build knows (base image env and platform, .dockerignore) come
 * in through options, because this package does no I/O.
 */
import { parseCheckDirective } from '../directives.js';
import { DockerfileError } from '../errors.js';
import { toInstruction } from '../instructions.js';
import { platformArgs } from '../platform.js';
import { expandWithMatches } from '../shell-lex.js';
import type { DockerfileTree, InstructionNode, Range } from '../syntax.js';
import type { Instruction, PlatformArgs } from '../types.js';
import { expandableWords } from './words.js';
import { ignoreMatcher } from './ignore-match.js';
import { ALWAYS_ERROR, looksSecret, ruleUrl, suggest, validImageRef, type Diagnostic, type RuleName } from './rules.js';

/** Options of `lint`. */
export interface LintOptions {
  /** Rules to skip in addition to `# check=skip=`; `all` skips every rule. */
  skip?: string[];
  /** Report every finding as an error (as `# check=error=true`). */
  error?: boolean;
  /** Target platform for the predefined ARGs and InvalidBaseImagePlatform. */
  platform?: string;
  buildPlatform?: string;
  /** Lines of the .dockerignore file; enables CopyIgnoredFile. */
  dockerignore?: readonly string[];
  /** Environment of a base image (for UndefinedVar); default: only PATH is known. */
  imageEnv?: (image: string) => Record<string, string> | undefined;
  /** Platform a base image was resolved to (for InvalidBaseImagePlatform). */
  imagePlatform?: (image: string) => string | undefined;
}

interface StageState {
  name: string | null;
  /** Names defined so far in the stage (values do not matter to the checks, so they are all ''). */
  vars: Map<string, string>;
}

const MODIFIED = (name: string) => new RegExp(`\\$\\{${name.replace(/[^\w]/g, '\\$&')}:?[-+?=]`);

/** Runs every enabled check; throws DockerfileError only for instructions BuildKit itself would reject. */
export function lint(tree: DockerfileTree, options: LintOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const checkDirective = tree.directives.find((d) => d.name === 'check');
  let check = { skip: [] as string[], error: false };
  if (checkDirective) {
    try {
      check = parseCheckDirective(checkDirective.value);
    } catch (e) {
      const p = checkDirective.range.start;
      throw new DockerfileError((e as Error).message, p.line, p.column, tree.filename);
    }
  }
  const skip = new Set([...check.skip, ...(options.skip ?? [])].map((s) => s.toLowerCase()));
  const asError = options.error ?? check.error;
  const report = (rule: RuleName, message: string, range: Range) => {
    if (skip.has('all') || skip.has(rule.toLowerCase())) return;
    const severity = asError || ALWAYS_ERROR.has(rule) ? 'error' : 'warning';
    out.push({ rule, severity, message, range, url: ruleUrl(rule) });
  };
  const ctx = { filename: tree.filename, escape: tree.escape };
  const pargs = platformArgs(options.platform, options.buildPlatform);
  const isIgnored = options.dockerignore ? ignoreMatcher(options.dockerignore) : null;

  for (const w of tree.warnings) report('NoEmptyContinuation', 'Empty continuation line', w.range);
  casing(tree.instructions, report);

  const globalDeclared = new Map<string, string | undefined>(Object.entries(pargs));
  const stages = new Map<string, StageState>();
  let cur: StageState | null = null;
  let shellSet = false;
  let workdirSet = false;
  const lastOf = new Map<string, InstructionNode>();

  for (const node of tree.instructions) {
    if (node.keyword === 'FROM') {
      lastOf.clear();
      cur = fromChecks(node, stages, globalDeclared, pargs, options, report);
      if (cur.name !== null && !stages.has(cur.name)) stages.set(cur.name, cur);
      shellSet = false;
      workdirSet = false;
      continue;
    }
    const ins = toInstruction(node, ctx);
    if (!cur) {
      if (ins.kind === 'ARG') {
        for (const a of ins.args) {
          secretCheck('ARG', a.name, node, report);
          const v = a.default === null ? undefined : safeExpand(a.default, globalDeclared, tree.escape);
          globalDeclared.set(a.name, v);
        }
      }
      continue;
    }
    undefinedVars(ins, cur, tree.escape, node, report);
    switch (ins.kind) {
      case 'ARG': for (const a of ins.args) { secretCheck('ARG', a.name, node, report); cur.vars.set(a.name, ''); } break;
      case 'ENV':
        if (ins.legacy) report('LegacyKeyValueFormat', '"ENV key=value" should be used instead of legacy "ENV key value" format', node.range);
        for (const p of ins.pairs) { secretCheck('ENV', p.key, node, report); cur.vars.set(p.key, ''); }
        break;
      case 'LABEL':
        if (ins.legacy) report('LegacyKeyValueFormat', '"LABEL key=value" should be used instead of legacy "LABEL key value" format', node.range);
        break;
      case 'MAINTAINER': report('MaintainerDeprecated', 'Maintainer instruction is deprecated in favor of using label', node.range); break;
      case 'SHELL': shellSet = true; break;
      case 'WORKDIR':
        if (!workdirSet && !ins.path.startsWith('/') && !ins.path.startsWith('$')) {
          report('WorkdirRelativePath', `Relative workdir ${JSON.stringify(ins.path)} can have unexpected results if the base image changes`, node.range);
        }
        workdirSet = true;
        break;
      case 'CMD': case 'ENTRYPOINT': case 'HEALTHCHECK': {
        const prev = lastOf.get(ins.kind);
        if (prev) report('MultipleInstructionsDisallowed', `Multiple ${ins.kind} instructions should not be used in the same stage because only the last one will be used`, prev.range);
        lastOf.set(ins.kind, node);
        if (ins.kind !== 'HEALTHCHECK' && ins.command.form === 'shell' && !shellSet) {
          report('JSONArgsRecommended', `JSON arguments recommended for ${ins.kind} to prevent unintended behavior related to OS signals`, node.range);
        }
        break;
      }
      case 'COPY': case 'ADD':
        if (isIgnored && !ins.from) {
          for (const s of ins.sources) {
            if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('git@')) continue;
            if (isIgnored(s)) report('CopyIgnoredFile', `Attempting to ${ins.kind === 'COPY' ? 'Copy' : 'Add'} file ${JSON.stringify(s)} that is excluded by .dockerignore`, node.range);
          }
        }
        break;
    }
  }
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
}

type Report = (rule: RuleName, message: string, range: Range) => void;

function safeExpand(word: string, env: Map<string, string | undefined>, escape: string): string | undefined {
  const m = new Map<string, string>();
  for (const [k, v] of env) if (v !== undefined) m.set(k, v);
  try {
    return expandWithMatches(word, m, { escape }).result;
  } catch {
    return undefined;
  }
}

function casing(nodes: InstructionNode[], report: Report): void {
  let upper = 0;
  let lower = 0;
  for (const n of nodes) {
    if (n.keywordAsWritten === n.keywordAsWritten.toUpperCase()) upper++;
    else if (n.keywordAsWritten === n.keywordAsWritten.toLowerCase()) lower++;
  }
  const majority = lower > upper ? 'lowercase' : 'uppercase';
  for (const n of nodes) {
    const w = n.keywordAsWritten;
    const isUp = w === w.toUpperCase();
    const isLow = w === w.toLowerCase();
    if (!isUp && !isLow) report('ConsistentInstructionCasing', `Command '${w}' should be consistently cased`, n.range);
    else if ((majority === 'uppercase') !== isUp) report('ConsistentInstructionCasing', `Command '${w}' should match the case of the command majority (${majority})`, n.range);
  }
}

function secretCheck(kind: 'ARG' | 'ENV', name: string, node: InstructionNode, report: Report): void {
  if (looksSecret(name)) report('SecretsUsedInArgOrEnv', `Do not use ARG or ENV instructions for sensitive data (${kind} ${JSON.stringify(name)})`, node.range);
}

function fromChecks(node: InstructionNode, stages: ReadonlyMap<string, StageState>, globals: Map<string, string | undefined>,
  pargs: PlatformArgs, options: LintOptions, report: Report): StageState {
  const args = node.args.map((a) => a.value);
  const imageRaw = args[0] ?? '';
  const nameAsWritten = args.length === 3 ? args[2]! : null;
  const name = nameAsWritten?.toLowerCase() ?? null;
  if (nameAsWritten !== null) {
    if (nameAsWritten !== name) report('StageNameCasing', `Stage name '${nameAsWritten}' should be lowercase`, node.range);
    const as = args[1]!;
    const fromLow = node.keywordAsWritten === node.keywordAsWritten.toLowerCase();
    const asLow = as === as.toLowerCase();
    const fromUp = node.keywordAsWritten === node.keywordAsWritten.toUpperCase();
    const asUp = as === as.toUpperCase();
    if ((fromLow && !asLow) || (fromUp && !asUp)) report('FromAsCasing', `'${as}' and '${node.keywordAsWritten}' keywords' casing do not match`, node.range);
    if (stages.has(name!)) report('DuplicateStageName', `Duplicate stage name '${nameAsWritten}', stage names should be unique`, node.range);
    if (name === 'scratch' || name === 'context') report('ReservedStageName', `Stage name should not use the same name as reserved stage '${name}'`, node.range);
  }
  const platformFlag = node.flags.find((f) => f.name === 'platform');
  const declaredNames = new Map<string, string>();
  for (const k of globals.keys()) declaredNames.set(k, '');
  for (const word of [imageRaw, platformFlag?.value ?? '']) {
    let res;
    try { res = expandWithMatches(word, declaredNames, {}); } catch { continue; }
    for (const v of res.unmatched) {
      if (MODIFIED(v).test(word)) continue;
      const s = suggest(v, declaredNames.keys());
      report('UndefinedArgInFrom', `FROM argument '${v}' is not declared${s ? ` (did you mean ${s}?)` : ''}`, node.range);
    }
  }
  if (imageRaw.includes('$')) {
    const v = safeExpand(imageRaw, globals, '\\');
    if (v !== undefined && (v === '' || !validImageRef(v))) report('InvalidDefaultArgInFrom', `Default value for ARG ${imageRaw} results in empty or invalid base image name`, node.range);
  }
  const pv = platformFlag?.value;
  if (pv === '$TARGETPLATFORM' || pv === '${TARGETPLATFORM}') {
    report('RedundantTargetPlatform', 'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior', node.range);
  }
  const image = safeExpand(imageRaw, globals, '\\') ?? imageRaw;
  const parent = stages.get(image.toLowerCase());
  const vars = new Map<string, string>(parent ? parent.vars
    : ['PATH', ...Object.keys(options.imageEnv?.(image) ?? {})].map((k) => [k, '']));
  if (!parent && image.toLowerCase() !== 'scratch' && options.imagePlatform) {
    const got = options.imagePlatform(image);
    const want = pv ? safeExpand(pv, globals, '\\') ?? pv : pargs.TARGETPLATFORM;
    if (got && want && got !== want) report('InvalidBaseImagePlatform', `Base image ${image} was pulled with platform ${JSON.stringify(got)}, expected ${JSON.stringify(want)} for current build`, node.range);
  }
  return { name, vars };
}

function undefinedVars(ins: Instruction, st: StageState, escape: string, node: InstructionNode, report: Report): void {
  for (const w of expandableWords(ins)) {
    if (!w.includes('$')) continue;
    let res;
    try { res = expandWithMatches(w, st.vars, { escape }); } catch { continue; }
    for (const v of res.unmatched) {
      if (MODIFIED(v).test(w)) continue;
      const s = suggest(v, st.vars.keys());
      report('UndefinedVar', `Usage of undefined variable '$${v}'${s ? ` (did you mean $${s}?)` : ''}`, node.range);
    }
  }
}


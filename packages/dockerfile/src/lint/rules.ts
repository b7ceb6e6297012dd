/** The lint rules, named and worded as `docker build --check` reports them. */
import type { Range } from '../syntax.js';

/** One finding. */
export interface Diagnostic {
  rule: RuleName;
  severity: 'warning' | 'error';
  message: string;
  range: Range;
  /** Documentation page of the rule. */
  url: string;
}

/** Every rule this package checks. */
export const RULES = [
  'StageNameCasing', 'FromAsCasing', 'NoEmptyContinuation', 'ConsistentInstructionCasing', 'DuplicateStageName',
  'ReservedStageName', 'JSONArgsRecommended', 'MaintainerDeprecated', 'UndefinedArgInFrom', 'WorkdirRelativePath',
  'UndefinedVar', 'MultipleInstructionsDisallowed', 'LegacyKeyValueFormat', 'InvalidDefaultArgInFrom',
  'RedundantTargetPlatform', 'SecretsUsedInArgOrEnv', 'InvalidBaseImagePlatform', 'CopyIgnoredFile',
] as const;

/** A rule's name. */
export type RuleName = (typeof RULES)[number];

/** The documentation address BuildKit prints for a rule. */
export function ruleUrl(rule: RuleName): string {
  const slug = rule.replace(/([a-z])([A-Z])/g, '$1-$2').replace(/JSONArgs/, 'json-args').toLowerCase();
  return `https://docs.docker.com/go/dockerfile/rule/${slug}/`;
}

/** Rules that describe something BuildKit also refuses to build: always errors. */
export const ALWAYS_ERROR: ReadonlySet<RuleName> = new Set(['DuplicateStageName']);

const SECRET = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const ALLOW = /(?:_|^)public(?:_|$)/i;

/** BuildKit's test for names that look like secrets (SecretsUsedInArgOrEnv). */
export function looksSecret(name: string): boolean {
  return SECRET.test(name) && !ALLOW.test(name);
}

/** A plausible image reference (name[:tag][@digest]); used by InvalidDefaultArgInFrom. */
export function validImageRef(ref: string): boolean {
  return /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$/.test(ref);
}

/** Closest name within edit distance 2 (for "did you mean"), or ''. */
export function suggest(word: string, candidates: Iterable<string>): string {
  let best = '';
  let bestD = 3;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = t;
    }
  }
  return row[b.length]!;
}

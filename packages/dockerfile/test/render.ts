/** Renders parse + toStages + lint of a Dockerfile as the stable text the golden files hold. */
import { expandableWords, lint, parse, StageScope, toStages, type InstructionNode, type Range, type Stages } from '../src/index.js';

const r = (x: Range) => `${x.start.line}:${x.start.column}-${x.end.line}:${x.end.column}`;

function node(n: InstructionNode, indent = ''): string[] {
  const flags = n.flags.map((f) => ` --${f.name}${f.value === null ? '' : '=' + JSON.stringify(f.value)}`).join('');
  const out = [`${indent}${r(n.range)} ${n.keyword}${flags}${n.json ? ' json' : ''}${n.legacyKeyValue ? ' legacy' : ''} ${JSON.stringify(n.args.map((a) => a.value))}`];
  if (n.inner) out.push(...node(n.inner, indent + '  inner '));
  for (const h of n.heredocs) out.push(`${indent}  heredoc ${JSON.stringify({ ...h, range: r(h.range) })}`);
  return out;
}

/** Golden text for one Dockerfile (an error becomes one `error:` line in its section). */
export function render(text: string, name: string): string {
  const lines: string[] = ['# tree'];
  let tree;
  try {
    tree = parse(text, { filename: name });
  } catch (e) {
    return `error: ${(e as Error).message}\n`;
  }
  for (const d of tree.directives) lines.push(`directive ${d.name}=${JSON.stringify(d.value)} ${r(d.range)}`);
  lines.push(`escape ${JSON.stringify(tree.escape)}`);
  for (const n of tree.instructions) lines.push(...node(n));
  for (const w of tree.warnings) lines.push(`warning ${r(w.range)} ${w.message}`);
  lines.push('# stages');
  try {
    const st = toStages(tree, { platform: 'linux/arm64/v8', buildPlatform: 'linux/amd64', buildArgs: { VARIANT: '3.19' } });
    lines.push(`globals ${JSON.stringify(st.globalArgValues)}`);
    lines.push(...scopes(st));
    for (const s of st.stages) {
      lines.push(`stage ${s.index} name=${s.name} image=${JSON.stringify(s.image)} base=${JSON.stringify(s.base)} platform=${JSON.stringify(s.platform)} ${r(s.range)}`);
      for (const ins of s.instructions) {
        const { range, original, ...rest } = ins;
        void original;
        lines.push(`  ${range.start.line}-${range.end.line} ${JSON.stringify(rest)}`);
      }
    }
  } catch (e) {
    lines.push(`error: ${(e as Error).message}`);
  }
  lines.push('# lint');
  try {
    for (const d of lint(tree, { platform: 'linux/arm64', buildPlatform: 'linux/amd64', dockerignore: ['*.md', 'secret*'] })) {
      lines.push(`${d.range.start.line}: ${d.severity} ${d.rule}: ${d.message}`);
    }
  } catch (e) {
    lines.push(`error: ${(e as Error).message}`);
  }
  return lines.join('\n') + '\n';
}

/** Each stage's expandable words as the planner would expand them (StageScope, parent stage ENV inherited). */
function scopes(st: Stages): string[] {
  const out = ['# expansion'];
  const finalEnv: Array<Map<string, string>> = [];
  const buildArgs = { VARIANT: '3.19' };
  for (const s of st.stages) {
    const baseEnv = s.base.kind === 'stage' ? finalEnv[s.base.index] : new Map([['PATH', '/usr/bin:/bin']]);
    const scope = new StageScope(st, { buildArgs, baseEnv });
    for (const ins of s.instructions) {
      const words = expandableWords(ins);
      if (words.length > 0) {
        let shown: string;
        try {
          shown = JSON.stringify(ins.kind === 'EXPOSE' ? words.flatMap((w) => scope.expandWords(w)) : words.map((w) => scope.expand(w)));
        } catch (e) {
          shown = `error: ${(e as Error).message}`;
        }
        out.push(`  ${ins.range.start.line} ${ins.kind} ${shown}`);
      }
      try {
        scope.apply(ins);
      } catch (e) {
        out.push(`  ${ins.range.start.line} apply error: ${(e as Error).message}`);
      }
    }
    finalEnv[s.index] = scope.env;
  }
  return out;
}

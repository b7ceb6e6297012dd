import { parse, toStages } from '@strata/dockerfile';
import type { ImageConfig } from '@strata/oci';
import { compile, type CompileOptions, type Graph, type Op, type ResolvedImage } from '../src/index.js';

/** A fake registry: image ref → config (partial container config) for the resolver. */
export type FakeImages = Record<string, { config?: ImageConfig['config']; history?: ImageConfig['history']; digest?: string }>;

export const DIGEST = (c: string): string => `sha256:${c.repeat(64).slice(0, 64)}`;

/** A resolver over fake images; records every call. */
export function fakeResolver(images: FakeImages, calls: string[] = []): CompileOptions['resolveImage'] {
  return async (ref: string, platform: string): Promise<ResolvedImage> => {
    calls.push(`${ref}@${platform}`);
    const img = images[ref];
    if (img === undefined) throw new Error(`${ref}: not found`);
    return {
      digest: img.digest ?? DIGEST('a'),
      config: {
        architecture: 'amd64', os: 'linux', config: structuredClone(img.config ?? {}),
        rootfs: { type: 'layers', diff_ids: [] }, history: structuredClone(img.history ?? []),
      },
    };
  };
}

/** Dockerfile text → graph with fake images. */
export async function plan(
  text: string,
  images: FakeImages = { alpine: { config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] } } },
  opts: { target?: string; buildArgs?: Record<string, string>; platform?: string; calls?: string[] } = {},
): Promise<Graph> {
  const stages = toStages(parse(text), {
    buildArgs: opts.buildArgs ?? {}, platform: opts.platform ?? 'linux/amd64', buildPlatform: 'linux/amd64',
  });
  return compile(stages, {
    resolveImage: fakeResolver(images, opts.calls), buildArgs: opts.buildArgs ?? {},
    ...(opts.target !== undefined ? { target: opts.target } : {}),
  });
}

/** Ops of a graph in order, optionally of one kind. */
export function opsOf<K extends Op['kind']>(g: Graph, kind?: K): Array<Extract<Op, { kind: K }>> {
  return [...g.ops.values()].filter((o) => kind === undefined || o.kind === kind) as Array<Extract<Op, { kind: K }>>;
}

/** The op compiled for a Dockerfile line. */
export function opAt(g: Graph, line: number): Op {
  const op = [...g.ops.values()].find((o) => o.line === line && o.kind !== 'source');
  if (op === undefined) throw new Error(`no op at line ${line}`);
  return op;
}

/** The env of an exec op as a map. */
export function envOf(op: Op): Record<string, string> {
  if (op.kind !== 'exec') throw new Error('not an exec op');
  return Object.fromEntries(op.envList.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

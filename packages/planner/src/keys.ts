import { canonicalJson, digestJson } from './canonical.js';
import type { Op, OpKind } from './graph.js';

/**
 * Version of the cache key scheme: bump it whenever what goes into a pre-image changes, or what an op makes
 * from the same pre-image, so keys written by an older scheme can never be taken for keys of this one.
 * v3: a COPY of a directory no longer gives the destination directory the source directory's owner and mode;
 * ADD unpacks exactly the files whose decompressed content starts with a valid tar header; ADD --chmod of a URL
 * applies.
 */
export const KEY_VERSION = 3;

/** A content checksum of the context paths an op reads, as the injected sourceChecksum returns it. */
export interface SourceDigest {
  /** `sha256:` Merkle digest of exactly the paths read. */
  digest: string;
  /** Every path read → `<content>:<meta>` short hashes (the part before `:` changes with content). */
  files: Record<string, string>;
}

/** What the key of an op is the sha256 of (stored beside the cache record to explain later misses). */
export interface PreImage {
  v: number;
  kind: OpKind;
  /** The expanded instruction: every field of the op that changes its result. */
  op: Record<string, unknown>;
  /** ARG values the op can see (RUN) or used (others). */
  args: Record<string, string>;
  /** ENV values the op can see (RUN) or used (others). */
  env: Record<string, string>;
  /** Key of the op whose filesystem it starts from; null for an empty rootfs and for COPY --link. */
  parent: string | null;
  /** Keys of the ops it reads from (COPY --from, RUN --mount from=), in order. */
  deps: string[];
  /** Context content it reads: COPY/ADD sources, RUN bind mounts of the context; keyed by role. */
  sources: Record<string, SourceDigest>;
}

/** The part of an op that defines its result (meta fields like line and text must not cause misses). */
export function opDefinition(op: Op): Record<string, unknown> {
  switch (op.kind) {
    case 'source':
      // The tag is only a name; the digest is what the result depends on.
      return { digest: op.digest, platform: op.platform };
    case 'exec': {
      // envList is derived from args/env (kept separately to explain misses); proxyEnv is deliberately out:
      // a proxy setting does not change what a step produces (BuildKit keeps it out of the key too).
      const { argv, cwd, user, network, security, files, platform } = op;
      const mounts = op.mounts.map((m) => ({ ...m, from: m.from?.kind === 'op' ? 'op' : m.from?.kind ?? null }));
      // Present only when given, so the keys of builds without --add-host stay as they were.
      return { argv, cwd, user, network, security, files, platform, mounts, ...(op.extraHosts.length > 0 ? { extraHosts: op.extraHosts } : {}) };
    }
    case 'file': {
      const a = op.action;
      if (a.type === 'mkdir') return { ...a, platform: op.platform };
      return { ...a, from: a.from.kind, platform: op.platform };
    }
    case 'config':
      return { change: op.change };
  }
}

/** Build an op's pre-image from its parent's and deps' keys and the context digests it reads. */
export function preImageOf(op: Op, parentKey: string | null, depKeys: string[], sources: Record<string, SourceDigest>): PreImage {
  // COPY --link builds its layer on an empty tree, so the steps before it cannot change its result — unless
  // --chown names a user or group, which is looked up in the files those steps produced.
  const link = op.kind === 'file' && op.action.type === 'copy' && op.action.link
    && (op.action.chown === null || /^\d+(:\d+)?$/.test(op.action.chown));
  return {
    v: KEY_VERSION,
    kind: op.kind,
    op: JSON.parse(canonicalJson(opDefinition(op))) as Record<string, unknown>,
    args: op.args,
    env: op.env,
    parent: link ? null : parentKey,
    deps: depKeys,
    sources,
  };
}

/**
 * `sha256:<hex>` of the canonical JSON of a pre-image, each context source by its digest alone: the digest
 * already covers every file, and the per-file list (kept for explanations) made a 10,000-file COPY's key cost
 * 20 ms of canonical JSON on every build.
 */
export function cacheKey(pre: PreImage): string {
  const sources = Object.fromEntries(Object.entries(pre.sources).map(([role, s]) => [role, s.digest]));
  return digestJson({ ...pre, sources });
}

import { cache, cacheList, cachePrune, lastBuild, oci, parseDuration, pruneRemoteCache } from '@strata/builder';
import { flag, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';

const human = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} kB` : `${(n / (1 << 20)).toFixed(1)} MB`);

export const command: Command = {
  name: 'cache',
  summary: 'list, explain and prune the build cache',
  usage: `Usage: strata cache ls [--json]
       strata cache explain [NAME] [--json]   why each step of the last build (of NAME) hit or missed
       strata cache prune [--older-than DURATION]   remove entries unused for DURATION (e.g. 7d); all without it
       strata cache prune --remote type=registry,ref=…|type=sftp,url=…|type=local,dest=DIR [--older-than DURATION]
                                              the same on a remote cache (entries not hit for DURATION, their blobs)`,
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    const root = oci.defaultStateRoot();
    if (sub === 'ls') {
      const p = parseArgs(rest, { json: { type: 'boolean' } });
      const list = await cacheList(root);
      if (flag(p, 'json')) ctx.out(JSON.stringify(list, null, 2) + '\n');
      else {
        ctx.out(`${'KEY'.padEnd(14)}${'STEP'.padEnd(24)}${'LAYERS'.padEnd(8)}${'SIZE'.padEnd(10)}LAST USED\n`);
        for (const e of list) ctx.out(`${e.key.slice(7, 19).padEnd(14)}${e.slot.slice(0, 22).padEnd(24)}${String(e.layers).padEnd(8)}${(e.emptyLayer ? '-' : human(e.size)).padEnd(10)}${e.lastUsed ?? e.created}\n`);
      }
      return 0;
    }
    if (sub === 'explain') {
      const p = parseArgs(rest, { json: { type: 'boolean' } });
      const rec = await lastBuild(root, p.positionals[0]);
      if (!rec) throw new UsageError(p.positionals[0] ? `no recorded build of ${p.positionals[0]}` : 'no build recorded in this state root');
      if (flag(p, 'json')) {
        ctx.out(JSON.stringify(rec, null, 2) + '\n');
        return 0;
      }
      ctx.out(`build of ${rec.dockerfile} at ${rec.started}${rec.tags.length ? ` (${rec.tags.join(', ')})` : ''}${rec.id ? ` → ${rec.id.slice(0, 19)}` : ' (failed)'}\n`);
      for (const s of rec.steps) {
        const what = s.error ? `ERROR: ${s.error}` : s.cached ? 'CACHED' : s.reason ?? 'run';
        ctx.out(`  ${s.stage ? `[${s.stage}] ` : ''}line ${s.line}: ${s.text.slice(0, 60)}\n      ${what}\n`);
      }
      return 0;
    }
    if (sub === 'prune') {
      const p = parseArgs(rest, { 'older-than': { type: 'string' }, force: { type: 'boolean', short: 'f' }, remote: { type: 'string' } });
      const older = str(p, 'older-than');
      let ms: number | undefined;
      try {
        ms = older === undefined ? undefined : parseDuration(older);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const remote = str(p, 'remote');
      if (remote !== undefined) {
        let spec;
        try {
          spec = cache.parseCacheSpec(remote, '--remote');
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const rr = await pruneRemoteCache(spec, ms);
        ctx.out(`removed ${rr.entries} cache entries (${rr.kept} kept) and ${rr.blobs} blobs (${human(rr.bytes)}) from ${rr.from}\n`);
        return 0;
      }
      const r = await cachePrune(root, ms);
      ctx.out(`removed ${r.entries} cache entries and ${r.blobs} blobs (${human(r.bytes)})\n`);
      return 0;
    }
    throw new UsageError(sub ? `unknown cache subcommand "${sub}"` : 'cache needs a subcommand: ls, explain or prune');
  },
};

/** The words of a typed instruction that BuildKit expands (EXPANDED_FIELDS, flattened) — for UndefinedVar. */
import type { Instruction } from '../types.js';

/** Every raw word the builder would expand for this instruction. */
export function expandableWords(ins: Instruction): string[] {
  switch (ins.kind) {
    case 'RUN': return ins.mounts.flatMap((m) => Object.entries(m.raw).filter(([k]) => k !== 'type').map(([, v]) => v));
    case 'COPY': case 'ADD': {
      const w = [...ins.sources, ins.dest, ...ins.exclude, ...ins.heredocs.filter((h) => h.expand).map((h) => h.data)];
      if (ins.chown !== null) w.push(ins.chown);
      if (ins.chmod !== null) w.push(ins.chmod);
      if (ins.kind === 'ADD' && ins.checksum !== null) w.push(ins.checksum);
      return w;
    }
    case 'ENV': case 'LABEL': return ins.pairs.flatMap((p) => [p.key, p.value]);
    case 'ARG': return ins.args.flatMap((a) => (a.default === null ? [a.name] : [a.name, a.default]));
    case 'WORKDIR': return [ins.path];
    case 'USER': return [ins.user];
    case 'VOLUME': return ins.paths;
    case 'STOPSIGNAL': return [ins.signal];
    case 'EXPOSE': return ins.ports;
    default: return [];
  }
}

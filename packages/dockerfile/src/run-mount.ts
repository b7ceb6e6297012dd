/**
 * `RUN --mount=…` values, as BuildKit's commands_runmount.go: CSV fields of `key=value` (or bare `ro`,
 * `rw`, `required`), keys validated, values kept raw because BuildKit expands them at dispatch. A value that
 * expansion could change (it holds `$`, quotes or the escape) is validated by the planner after expanding.
 */
import { parseCsvRecord } from './csv.js';
import type { RunMount } from './types.js';

const TYPES = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] as const;
const SHARING = ['shared', 'private', 'locked'] as const;
const KEYS = new Set([
  'type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'readwrite', 'rw', 'required',
  'size', 'id', 'sharing', 'mode', 'uid', 'gid', 'env',
]);

/** Parses one mount value; throws a plain Error with BuildKit's reason. */
export function parseRunMount(value: string, escape: string): RunMount {
  if (value === '') throw new Error('failed to parse csv mounts: EOF');
  let fields: string[];
  try {
    fields = parseCsvRecord(value);
  } catch (e) {
    throw new Error(`failed to parse csv mounts: ${(e as Error).message}`);
  }
  const m: RunMount = {
    type: 'bind', target: null, source: null, from: null, readonly: false, id: null, sharing: null, mode: null,
    uid: null, gid: null, required: false, size: null, env: null, raw: {},
  };
  let roAuto = true;
  const literal = (v: string) => !v.includes('$') && !v.includes('"') && !v.includes("'") && !v.includes(escape);
  const bool = (k: string, v: string): boolean => {
    const b = parseGoBool(v);
    if (b === null) throw new Error(`invalid value for ${k}: ${v}`);
    return b;
  };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') { m.readonly = true; roAuto = false; }
      else if (key === 'readwrite' || key === 'rw') { m.readonly = false; roAuto = false; }
      else if (key === 'required') {
        if (m.type !== 'secret' && m.type !== 'ssh') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = true;
      } else throw new Error(`invalid field '${field}' must be a key=value pair`);
      m.raw[key] = '';
      continue;
    }
    const v = field.slice(eq + 1);
    if (!KEYS.has(key)) throw new Error(`unexpected key '${key}' in '${field}'`);
    m.raw[key] = v;
    if (key === 'from' && /\$./.test(v)) throw new Error("'from' doesn't support variable expansion, define alias stage instead");
    const lit = literal(v);
    switch (key) {
      case 'type': {
        const t = v.toLowerCase();
        if (!lit) break;
        if (!(TYPES as readonly string[]).includes(t)) throw new Error(`unsupported mount type "${v}"`);
        m.type = t as RunMount['type'];
        break;
      }
      case 'from': m.from = { kind: 'image', ref: v }; break;
      case 'source': case 'src': m.source = v; break;
      case 'target': case 'dst': case 'destination': m.target = v; break;
      case 'readonly': case 'ro': if (lit) m.readonly = bool(key, v); roAuto = false; break;
      case 'readwrite': case 'rw': if (lit) m.readonly = !bool(key, v); roAuto = false; break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        if (lit) m.required = bool(key, v);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        if (lit && !/^\d+(\.\d+)?\s*([kmgtp]i?b?|b)?$/i.test(v)) throw new Error(`invalid value for ${key}: ${v}`);
        m.size = v;
        break;
      case 'id': m.id = v; break;
      case 'env': m.env = v; break;
      case 'sharing': {
        const s = v.toLowerCase();
        if (lit && !(SHARING as readonly string[]).includes(s)) throw new Error(`unsupported sharing value "${v}"`);
        m.sharing = s as RunMount['sharing'];
        break;
      }
      case 'mode':
        if (lit && !/^[0-7]+$/.test(v)) throw new Error(`invalid value ${v} for mode`);
        m.mode = v;
        break;
      case 'uid': case 'gid':
        if (lit && !/^\d+$/.test(v)) throw new Error(`invalid value ${v} for ${key}`);
        m[key] = v;
        break;
    }
  }
  validate(m, roAuto);
  return m;
}

function parseGoBool(v: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

function validate(m: RunMount, roAuto: boolean): void {
  const fileInfo = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfo) {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== null) throw new Error(`${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readonly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== null) throw new Error('secret mount should not have a from');
    if (m.sharing !== null) throw new Error('secret mount should not define sharing');
    if (m.source === null && m.target === null && m.id === null && m.env === null) {
      throw new Error('invalid secret mount. one of source, target required');
    }
    if (m.source !== null && m.id !== null) throw new Error("both source and id can't be set");
  }
  if (m.sharing !== null && m.type !== 'cache') throw new Error(`invalid cache sharing set for ${m.type} mount`);
  if (m.env !== null && m.type !== 'secret') throw new Error(`unexpected key 'env' for mount type '${m.type}'`);
  if (m.target === null && (m.type === 'bind' || m.type === 'cache' || m.type === 'tmpfs')) {
    throw new Error(`mount type ${m.type} requires a target`);
  }
}

import { humanBytes, table } from '../format.js';
import type { ImageMeta } from '../image-meta.js';

/** The JSON document `strata inspect --format json` prints. */
export function inspectDoc(meta: ImageMeta): object {
  return {
    ref: meta.ref,
    digest: meta.digest,
    mediaType: meta.descriptor.mediaType,
    size: meta.descriptor.size,
    manifest: meta.manifest,
    config: meta.config,
    layers: meta.layers.map((l) => ({ index: l.index, digest: l.digest, diffId: l.diffId, mediaType: l.mediaType, size: l.size, createdBy: l.history?.createdBy })),
  };
}

/** `strata inspect` for people: identity, platform, run settings, and the layer list. */
export function inspectText(meta: ImageMeta): string {
  const c = meta.config;
  const cc = c.config ?? {};
  const kv: [string, string | undefined][] = [
    ['Image', meta.ref],
    ['Digest', meta.digest],
    ['Media type', meta.descriptor.mediaType],
    ['Platform', [c.os, c.architecture, c.variant].filter(Boolean).join('/')],
    ['Created', c.created],
    ['Config', `${meta.manifest.config.digest} (${meta.manifest.config.size} bytes)`],
    ['User', cc.User],
    ['Working dir', cc.WorkingDir],
    ['Entrypoint', cc.Entrypoint ? JSON.stringify(cc.Entrypoint) : undefined],
    ['Cmd', cc.Cmd ? JSON.stringify(cc.Cmd) : undefined],
    ['Env', cc.Env?.join('\n' + ' '.repeat(13))],
    ['Ports', cc.ExposedPorts ? Object.keys(cc.ExposedPorts).join(' ') : undefined],
    ['Volumes', cc.Volumes ? Object.keys(cc.Volumes).join(' ') : undefined],
    ['Labels', cc.Labels ? Object.entries(cc.Labels).map(([k, v]) => `${k}=${v}`).join('\n' + ' '.repeat(13)) : undefined],
  ];
  const head = kv.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${(k + ':').padEnd(12)} ${v}`).join('\n');
  const total = meta.layers.reduce((s, l) => s + l.size, 0);
  const layers = table(['#', 'DIGEST', 'SIZE', 'MEDIA TYPE', 'DIFF ID'],
    meta.layers.map((l) => [String(l.index), l.digest, humanBytes(l.size), l.mediaType, l.diffId]), ['right', 'left', 'right']);
  return `${head}\nLayers:      ${meta.layers.length} (${humanBytes(total)} compressed)\n${layers}`;
}

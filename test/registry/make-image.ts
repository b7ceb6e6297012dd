import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MediaType, type ContentStore, type Descriptor, type Digest } from '@strata/oci';

function sha(b: Buffer): Digest {
  return ('sha256:' + createHash('sha256').update(b).digest('hex')) as Digest;
}

/**
 * Writes a small real image into `store` (gzip tar layers made by GNU tar, an OCI config with matching
 * diff_ids, an OCI manifest) and returns the manifest's descriptor. `layerBytes` sizes each layer's one file.
 */
export async function makeImage(store: ContentStore, opts: { layers?: number; layerBytes?: number; arch?: string; seed?: string } = {}): Promise<Descriptor> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-mkimg-'));
  try {
    const layers: Descriptor[] = [];
    const diffIds: Digest[] = [];
    for (let i = 0; i < (opts.layers ?? 2); i++) {
      const dir = path.join(tmp, `l${i}`);
      mkdirSync(path.join(dir, 'etc'), { recursive: true });
      writeFileSync(path.join(dir, 'etc', `file${i}`), `${opts.seed ?? ''} layer ${i}\n`);
      writeFileSync(path.join(dir, `data${i}.bin`), randomBytes(opts.layerBytes ?? 4096));
      const tgz = path.join(tmp, `l${i}.tgz`);
      execFileSync('tar', ['-C', dir, '--sort=name', '--owner=0', '--group=0', '--mtime=@0', '-czf', tgz, '.']);
      const gz = readFileSync(tgz);
      const info = await store.put(gz);
      layers.push({ mediaType: MediaType.ociLayerGzip, digest: info.digest, size: info.size });
      diffIds.push(sha(gunzipSync(gz)));
    }
    const config = Buffer.from(JSON.stringify({
      architecture: opts.arch ?? 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map((_, i) => ({ created_by: `layer ${i}` })),
    }));
    const cinfo = await store.put(config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: cinfo.digest, size: cinfo.size }, layers,
    }));
    const minfo = await store.put(manifest);
    return { mediaType: MediaType.ociManifest, digest: minfo.digest, size: minfo.size };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

import {
  MemoryImage, compressionOfMediaType, jsonBytes, layerMediaType, storeLayerTar,
  type Compression, type ContentStore, type Image, type Layer, type Manifest,
} from '@strata/oci';

/**
 * The image with every uncompressed layer compressed into the store (as `docker push` compresses the
 * uncompressed layers of its local store). The config bytes — and so the image id — stay the same; the
 * manifest names the compressed blobs. Returns the image itself when nothing needs compressing.
 */
export async function withCompressedLayers(cs: ContentStore, img: Image, c: Compression = 'gzip'): Promise<Image> {
  const m = await img.manifest();
  const layers = await img.layers();
  if (c === 'none' || !m.layers.some((d) => compressionOfMediaType(d.mediaType) === 'none')) return img;
  const docker = m.mediaType === 'application/vnd.docker.distribution.manifest.v2+json';
  const outLayers: Layer[] = [];
  const descs: Manifest['layers'] = [];
  for (const [i, d] of m.layers.entries()) {
    if (compressionOfMediaType(d.mediaType) !== 'none') {
      outLayers.push(layers[i]!);
      descs.push(d);
      continue;
    }
    const stored = await storeLayerTar(cs, await layers[i]!.uncompressed(), c, { docker });
    outLayers.push(stored.layer);
    descs.push({ ...stored.descriptor, mediaType: layerMediaType(c, docker) });
  }
  const manifest: Manifest = { ...m, layers: descs };
  return new MemoryImage(jsonBytes(manifest), await img.rawConfig(), outLayers);
}

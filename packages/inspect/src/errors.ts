/** Any failure to inspect an image: a bad reference, an unreadable or corrupt layer. One line, naming the image. */
export class InspectError extends Error {
  override name = 'InspectError';
}

/** An image reference that names no image, or one written in a form no source accepts. */
export class ImageRefError extends InspectError {
  override name = 'ImageRefError';
}

/** A layer whose bytes cannot be read to the end or do not match the image config. */
export class LayerReadError extends InspectError {
  override name = 'LayerReadError';
}

/** One line from any thrown value, for wrapping a lower error with where it happened. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

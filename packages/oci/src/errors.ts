/** Any error about image formats, blobs or stores. Its message is one line saying what and where. */
export class OciError extends Error {
  override name = 'OciError';
}

/** A blob's bytes do not hash to the digest they were asked for under. */
export class DigestMismatchError extends OciError {
  override name = 'DigestMismatchError';
}

/** A blob, manifest or image name that is not present. */
export class NotFoundError extends OciError {
  override name = 'NotFoundError';
}

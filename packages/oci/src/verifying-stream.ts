import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Digest } from './digest.js';
import { DigestMismatchError } from './errors.js';

/**
 * Hashes what passes through and fails at end of stream when the bytes do not match `digest`/`size`;
 * the consumer sees every byte before the verdict, as with a network read.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private seen = 0;
  /** `what` names the blob in the error (a reference or a path). */
  constructor(private readonly digest: Digest, private readonly size?: number, private readonly what: string = digest) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.seen += chunk.length;
    if (this.size !== undefined && this.seen > this.size) {
      cb(new DigestMismatchError(`${this.what}: more than the expected ${this.size} bytes`));
      return;
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.size !== undefined && this.seen !== this.size) {
      cb(new DigestMismatchError(`${this.what}: size ${this.seen}, expected ${this.size}`));
      return;
    }
    const got = 'sha256:' + this.hash.digest('hex');
    if (got !== this.digest) cb(new DigestMismatchError(`${this.what}: content hashes to ${got}, expected ${this.digest}`));
    else cb();
  }
}

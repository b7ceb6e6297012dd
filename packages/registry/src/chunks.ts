import { Readable } from 'node:stream';

/**
 * Cuts one stream into consecutive sub-streams of given lengths without buffering more than one source
 * chunk: each chunked-upload PATCH body is the next `n` bytes of the blob.
 */
export class ChunkReader {
  private readonly it: AsyncIterator<Buffer>;
  private rest: Buffer | undefined;

  constructor(source: Readable) {
    this.it = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** The next `n` bytes as a stream; it errors if the source ends early. */
  next(n: number): Readable {
    let left = n;
    const self = this;
    return Readable.from((async function* () {
      while (left > 0) {
        let buf = self.rest;
        self.rest = undefined;
        if (!buf) {
          const r = await self.it.next();
          if (r.done) throw new Error(`blob ended ${left} bytes early`);
          buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        }
        if (buf.length > left) {
          self.rest = buf.subarray(left);
          buf = buf.subarray(0, left);
        }
        left -= buf.length;
        yield buf;
      }
    })(), { objectMode: false });
  }

  /** Stops reading the source. */
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

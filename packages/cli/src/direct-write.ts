import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * A writer for fd 1 or 2 that calls write(2) directly. process.stdout/stderr are streams made on first use,
 * and for a pipe (CI logs, a caller capturing output) making one loads net and the stream stack: 7–14 ms of a
 * 120 ms cached build here. A fd that is non-blocking and full (EAGAIN), or any other error, hands this and
 * every later write to the stream, so output stays in order and errors behave as they did.
 */
export function directWriter(fd: 1 | 2): (text: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  const viaStream = (data: string | Buffer): void => {
    stream ??= fd === 1 ? process.stdout : process.stderr;
    stream.write(data);
  };
  return (text) => {
    if (stream !== undefined) return viaStream(text);
    let buf = Buffer.from(text);
    try {
      while (buf.length > 0) buf = buf.subarray(writeSync(fd, buf));
    } catch {
      // The bytes not yet written, as bytes: a write may have stopped inside a character.
      viaStream(buf);
    }
  };
}

/**
 * Whether fd is a terminal, without making process.stdout/stderr. node:tty (which loads net) is required only
 * for a character device, the only kind of file a terminal can be.
 */
export function isTerminal(fd: 1 | 2): boolean {
  try {
    return fstatSync(fd).isCharacterDevice() && (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);
  } catch {
    return false;
  }
}

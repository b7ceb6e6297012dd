import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const module = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'direct-write.js')).href;

/** A child process that writes `lines` numbered lines through directWriter(fd), in chunks of 1,000. */
const script = (fd: 1 | 2, lines: number) => `
  const { directWriter, isTerminal } = await import(${JSON.stringify(module)});
  const w = directWriter(${fd});
  for (let i = 0; i < ${lines}; i += 1000) w(Array.from({ length: Math.min(1000, ${lines} - i) }, (_, j) => 'line ' + (i + j) + '\\n').join(''));
  w('terminal: ' + isTerminal(${fd}) + '\\n');
  // Nothing may have made the stream (for a pipe, that loads net): the point of writing directly.
  w('net loaded: ' + process.moduleLoadList.includes('NativeModule net') + '\\n');
`;

describe('direct writes to stdout and stderr', () => {
  it('writes everything, in order, through a pipe a slow reader drains (write(2) blocks, nothing is lost)', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script(1, 200_000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.pause();
    // Read slowly at first, so the pipe fills and the writer must wait.
    await new Promise((r) => setTimeout(r, 300));
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stdout.resume();
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0);
    const lines = Buffer.concat(chunks).toString().split('\n');
    assert.equal(lines.length, 200_003);
    for (let i = 0; i < 200_000; i += 9973) assert.equal(lines[i], `line ${i}`);
    assert.equal(lines[199_999], 'line 199999');
    assert.equal(lines[200_000], 'terminal: false');
  });

  it('writes to stderr, and a file or pipe is not a terminal', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(2, 3)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, 'line 0\nline 1\nline 2\nterminal: false\nnet loaded: false\n');
  });
});

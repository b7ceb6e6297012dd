import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Executor, ExecutorError, UnknownUserError, type RunSpec } from '../src/index.js';
import { listTree, makeBusyboxRootfs, mountsUnder, processesIn, removeTree } from './fixture.js';

describe('executor bad input', () => {
  let rootfs: string;
  let noShell: string;
  let tmp: string;
  let ex: Executor;
  before(() => {
    rootfs = makeBusyboxRootfs();
    noShell = makeBusyboxRootfs();
    rmSync(path.join(noShell, 'bin/sh'));
    tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-exec-bad-'));
    ex = new Executor({ tmpDir: tmp });
  });
  after(() => { removeTree(rootfs); removeTree(noShell); removeTree(tmp); });

  async function failsWith(spec: Partial<RunSpec>, cls: typeof ExecutorError, message: RegExp) {
    const root = spec.rootfs ?? rootfs;
    const before = listTree(root);
    await assert.rejects(ex.run({ rootfs, argv: ['true'], stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', ...spec }), (e: Error) => {
      assert.ok(e instanceof cls, `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'), 'message is one line');
      return true;
    });
    assert.deepEqual(processesIn(root), [], 'a process was left behind');
    assert.deepEqual(mountsUnder(root), [], 'a mount was left behind');
    assert.deepEqual(readdirSync(tmp), [], 'a temp dir was left behind');
    assert.deepEqual(listTree(root), before, 'the rootfs changed');
  }

  it('a missing command', () => failsWith({ argv: [] }, ExecutorError, /^no command to run$/));
  it('an empty command', () => failsWith({ argv: [''] }, ExecutorError, /^no command to run$/));
  it('a rootfs without /bin/sh for a shell-form command', () =>
    failsWith({ rootfs: noShell, argv: ['/bin/sh', '-c', 'echo hi'] }, ExecutorError, /^cannot run \/bin\/sh: no such file in rootfs .*strata-exec-rootfs-/));
  it('a command not on PATH', () => failsWith({ argv: ['no-such-tool'] }, ExecutorError, /^cannot run no-such-tool: executable file not found in \$PATH$/));
  it('an unknown user', () => failsWith({ user: 'ghost' }, UnknownUserError, /^unknown user "ghost": not in \/etc\/passwd$/));
  it('an unknown group', () => failsWith({ user: 'tester:ghosts' }, UnknownUserError, /^unknown group "ghosts"/));
  it('a mount source that does not exist', () =>
    failsWith({ mounts: [{ type: 'bind', source: '/nonexistent/src', target: '/src' }] }, ExecutorError, /^mount source \/nonexistent\/src does not exist \(target \/src\)$/));
  it('a rootfs that does not exist', async () => {
    await assert.rejects(ex.run({ rootfs: '/nonexistent/rootfs', argv: ['true'] }), /^ExecutorError: rootfs \/nonexistent\/rootfs is not a directory$/);
    assert.deepEqual(readdirSync(tmp), []);
  });
  it('a relative working directory', () => failsWith({ cwd: 'rel' }, ExecutorError, /^working directory rel is not absolute$/));
  it('a working directory the user cannot enter', () =>
    failsWith({ user: 'nobody', cwd: '/root' }, ExecutorError, /^cannot enter working directory \/root: Permission denied$/));
  it('a NUL byte in an argument', () => failsWith({ argv: ['echo', 'a\0b'] }, ExecutorError, /^arg contains a NUL byte$/));
});

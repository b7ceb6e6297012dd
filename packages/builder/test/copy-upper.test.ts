import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildContext } from '@strata/context';
import { ContentStore } from '@strata/oci';
import type { CopyAction, FileOp } from '@strata/planner';
import { openSnapshotter, type Mountable, type Snapshotter } from '@strata/snapshot';
import { runFileOp } from '../src/copy-step.js';
import type { StepServices } from '../src/step-layer.js';

// A COPY into a directory it creates fills that directory through the snapshot's upper dir after the
// unmount, with small files' bytes handed to the layer writer. The layer must be byte for byte the one a
// copy through the mount writes.
describe('COPY into a new directory through the upper dir', function () {
  let work: string;
  let ctxDir: string;

  beforeEach(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-copyupper-'));
    ctxDir = path.join(work, 'ctx');
    const file = (rel: string, data: string | Buffer, mode = 0o644) => {
      fs.mkdirSync(path.dirname(path.join(ctxDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(ctxDir, rel), data);
      fs.chmodSync(path.join(ctxDir, rel), mode);
    };
    file('src/a.txt', 'a\n');
    file('src/empty', '');
    file('src/run.sh', '#!/bin/sh\n', 0o755);
    file('src/setuid', 's', 0o4755);
    file('src/shared.txt', 'group and others write\n', 0o666);
    file('src/sub/deep/x.txt', 'x'.repeat(1000));
    file('src/at-limit.bin', Buffer.alloc(256 * 1024, 7));
    file('src/big.bin', Buffer.alloc(300 * 1024, 9));
    file('src/hard1', 'linked\n');
    fs.linkSync(path.join(ctxDir, 'src/hard1'), path.join(ctxDir, 'src/hard2'));
    fs.symlinkSync('a.txt', path.join(ctxDir, 'src/link'));
    fs.mkdirSync(path.join(ctxDir, 'src/private'), { mode: 0o700 });
    fs.chmodSync(path.join(ctxDir, 'src/private'), 0o700);
    for (const [i, rel] of ['src/a.txt', 'src/sub/deep', 'src/sub', 'src/private', 'src'].entries()) {
      fs.utimesSync(path.join(ctxDir, rel), 1_600_000_000 + i, 1_600_000_000 + i);
    }
  });
  afterEach(function () {
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** The snapshotter with `upper` hidden from every prepared snapshot: the copy then goes through the mount. */
  function withoutUpper(snap: Snapshotter): Snapshotter {
    return new Proxy(snap, {
      get(target, prop) {
        if (prop === 'prepare') {
          return async (key: string, parent?: string): Promise<Mountable> => {
            const m = await target.prepare(key, parent);
            return { key: m.key, readonly: m.readonly, driver: m.driver, mount: (dir) => m.mount(dir) };
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /**
   * The snapshotter counting how many entries the step's destination held when the mount was released: none
   * when the copy was left for the upper dir.
   */
  function watchingRelease(snap: Snapshotter, dest: string, seen: number[]): Snapshotter {
    return new Proxy(snap, {
      get(target, prop) {
        if (prop === 'prepare') {
          return async (key: string, parent?: string): Promise<Mountable> => {
            const m = await target.prepare(key, parent);
            return {
              key: m.key, readonly: m.readonly, driver: m.driver, upper: m.upper,
              mount: async (dir) => {
                const release = await m.mount(dir);
                return async () => {
                  seen.push(fs.readdirSync(path.join(dir, dest)).length);
                  await release();
                };
              },
            };
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  async function copyLayer(name: string, driver: 'overlay' | 'copy', action: Partial<CopyAction>, wrap: (s: Snapshotter) => Snapshotter): Promise<string> {
    const root = path.join(work, name);
    const snap = wrap(await openSnapshotter({ root, driver }));
    // SOURCE_DATE_EPOCH clamps the directories made now (a nested destination's parents) to one time.
    const svc: StepServices = { root, now: () => '2024-01-01T00:00:00Z', snap, cs: new ContentStore(root), epochNs: 1_700_000_000_000_000_000n };
    const a: CopyAction = {
      type: 'copy', add: false, from: { kind: 'context' }, sources: ['src'], inline: [], dest: '/app', chown: null, chmod: null,
      link: false, parents: false, exclude: [], checksum: null, unpack: null, keepGitDir: false, ...action,
    };
    const op = { kind: 'file', id: name, stage: 0, stageName: null, line: 2, text: 'COPY', platform: 'linux/amd64', action: a } as unknown as FileOp;
    const ctx = await BuildContext.open(ctxDir, { stateRoot: root });
    const out = await runFileOp(svc, op, { context: async () => ctx, downloads: undefined as never, parent: null, deps: new Map() });
    assert.equal(out.emptyLayer, false);
    return out.state.layers.at(-1)!.diffId;
  }

  it('a file of 32 MB and more: the layer writer thread started during the copy writes the same layer', async function () {
    fs.writeFileSync(path.join(ctxDir, 'src/huge.bin'), Buffer.alloc(33 << 20, 5));
    const seen: number[] = [];
    const direct = await copyLayer('direct', 'overlay', {}, (s) => watchingRelease(s, '/app', seen));
    assert.deepEqual(seen, [0]);
    const through = await copyLayer('through', 'overlay', {}, withoutUpper);
    assert.equal(direct, through);
    for (const root of ['direct', 'through']) assert.deepEqual(fs.readdirSync(path.join(work, root, 'tmp')), [], 'no temp file is left');
  });

  const cases: Array<[string, Partial<CopyAction>]> = [
    ['plain', {}],
    ['--chown', { chown: '1234:5678' }],
    ['--chmod', { chmod: '0640' }],
    ['--exclude', { exclude: ['**/*.bin'] }],
    ['nested destination', { dest: '/opt/app/' }],
  ];
  for (const driver of ['overlay', 'copy'] as const) {
    for (const [what, action] of cases) {
      it(`${driver}, ${what}: the same layer as a copy through the mount`, async function () {
        const seen: number[] = [];
        const dest = action.dest ?? '/app';
        const direct = await copyLayer('direct', driver, action, (s) => watchingRelease(s, dest, seen));
        assert.deepEqual(seen, [0], 'the files were written after the unmount');
        const through = await copyLayer('through', driver, action, withoutUpper);
        assert.equal(direct, through);
      });
    }
  }
});

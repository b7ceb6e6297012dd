import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtures, sourceWriters } from './support.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'dist', 'src', 'bin.js');
const { wasteImage, rebuildImage } = await fixtures();
const { writeLayout } = await sourceWriters();

/** One line per path of an unpacked root filesystem: type, mode, owner, and content hash or link target. */
function describeRootfs(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    const abs = path.join(root, rel);
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(root, r));
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      const what = type === 'file' ? createHash('sha256').update(readFileSync(path.join(root, r))).digest('hex')
        : type === 'symlink' ? readlinkSync(path.join(root, r)) : '';
      out.push(`/${r} ${type} ${type === 'symlink' ? '' : mode} ${st.uid}:${st.gid} ${what}`);
      if (type === 'dir') visit(r);
    }
  };
  visit('');
  return out;
}

describe('strata ls agrees with umoci unpack (an independent applier of whiteouts and opaque dirs)', function () {
  this.timeout(120000);
  let tmp: string;
  before(function () {
    assert.ok(existsSync('/usr/bin/umoci'), '/usr/bin/umoci is missing (apt-get install umoci)');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-inspect-umoci-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const [name, make] of [['the waste image', wasteImage], ['its rebuild', rebuildImage]] as const) {
    it(name, async () => {
      const layout = path.join(tmp, name.replace(/\W/g, '_'));
      await writeLayout(layout, await make(), 'v1');
      const bundle = `${layout}-bundle`;
      execFileSync('umoci', ['unpack', '--image', `${layout}:v1`, bundle], { stdio: 'pipe' });
      const want = describeRootfs(path.join(bundle, 'rootfs'));
      const r = spawnSync(process.execPath, [bin, 'ls', '--json', `oci:${layout}:v1`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as { path: string; type: string; mode: string; uid: number; gid: number; sha256?: string; linkname?: string }[];
      const got = rows.map((x) => {
        const type = x.type === 'hardlink' ? 'file' : x.type;
        return `${x.path} ${type} ${type === 'symlink' ? '' : x.mode} ${x.uid}:${x.gid} ${type === 'file' ? x.sha256 : type === 'symlink' ? x.linkname : ''}`;
      });
      assert.deepEqual(got, want);
    });
  }
});

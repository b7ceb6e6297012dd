/**
 * Child process for the shared-root test: argv = root, tag, count. Prepares and commits `count` snapshots of
 * its own, then races for the key "contested"; prints one JSON line with what it got.
 */
import { openSnapshotter, SnapshotExistsError } from '../../src/index.js';

const [root, tag, count] = process.argv.slice(2) as [string, string, string];
const snap = await openSnapshotter({ root, driver: 'overlay' });
let parent: string | undefined;
for (let i = 0; i < Number(count); i++) {
  await snap.prepare(`${tag}-a${i}`, parent);
  await snap.commit(`${tag}-c${i}`, `${tag}-a${i}`);
  parent = `${tag}-c${i}`;
}
let won = false;
try {
  await snap.prepare('contested', 'base');
  won = true;
} catch (e) {
  if (!(e instanceof SnapshotExistsError)) throw e;
}
process.stdout.write(JSON.stringify({ tag, won }) + '\n');

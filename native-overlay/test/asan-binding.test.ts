import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('native-overlay binding under ASan/UBSan', () => {
  it('runs every call, including the error paths and bad arguments, without a sanitizer report', function () {
    this.timeout(60000);
    const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
    const addon = path.join(packageRoot, 'build', 'asan', 'Release', 'strata_native.node');
    const r = spawnSync(process.execPath, [path.join(here, 'asan-workload.js'), addon], {
      encoding: 'utf8',
      // node itself is not instrumented: only the addon's own memory errors and leaks matter here
      env: { ...process.env, LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0:halt_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /workload ok/);
    assert.doesNotMatch(r.stderr, /AddressSanitizer|runtime error/);
  });
});

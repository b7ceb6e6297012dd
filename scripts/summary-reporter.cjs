// Mocha reporter: the spec reporter's output, then the one closing line CI reads:
// `N passed, N failed, N skipped`. When STRATA_TEST_SUMMARY names a file, the counts are also written
// there as JSON so scripts/test.sh can add up several mocha runs.
'use strict';
const Mocha = require('mocha');
const fs = require('node:fs');
const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const n = { passed: 0, failed: 0, skipped: 0 };
    runner.on(EVENT_TEST_PASS, () => n.passed++);
    runner.on(EVENT_TEST_FAIL, () => n.failed++);
    runner.on(EVENT_TEST_PENDING, () => n.skipped++);
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.STRATA_TEST_SUMMARY;
      if (file) fs.writeFileSync(file, JSON.stringify(n));
      else process.stdout.write(`${n.passed} passed, ${n.failed} failed, ${n.skipped} skipped\n`);
    });
  }
}
module.exports = SummaryReporter;

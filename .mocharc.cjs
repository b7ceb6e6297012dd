// One mocha run over every suite: each package's unit tests and the top-level integration tests.
module.exports = {
  spec: ['packages/*/dist/test/**/*.test.js', 'native-overlay/dist/test/**/*.test.js', 'test/dist/**/*.test.js'],
  reporter: 'scripts/summary-reporter.cjs',
  timeout: 60000,
  exit: true,
};

// Shared mocha settings. scripts/test.sh names every suite; `npx mocha 'packages/X/dist/test/**/*.test.js'`
// runs one package's.
module.exports = {
  reporter: 'scripts/summary-reporter.cjs',
  timeout: 60000,
  exit: true,
};

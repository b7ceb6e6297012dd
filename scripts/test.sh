#!/usr/bin/env bash
# Runs every test suite once (after a build) and ends with one line: `N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || { echo "build failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
summary=$(mktemp)
suites=('packages/*/dist/test/**/*.test.js' 'native-overlay/dist/test/**/*.test.js' 'test/dist/**/*.test.js')
STRATA_TEST_SUMMARY="$summary" npx mocha "${suites[@]}" "$@"
rc=$?
if [ -s "$summary" ]; then
  node -e 'const n=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`${n.passed} passed, ${n.failed} failed, ${n.skipped} skipped`)' "$summary"
else
  echo "0 passed, 1 failed, 0 skipped"
  rc=1
fi
rm -f "$summary"
exit $rc

// Adds up jest's JSON results of every tier into the closing line "N passed, N failed".
// A tier whose JSON is missing (it crashed before writing) counts as one failure, and a
// suite that failed to run (syntax error, setup failure) counts as one failure per suite.
const { readFileSync, existsSync } = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
let passed = 0;
let failed = 0;
for (const tier of ['unit', 'deploy', 'integration', 'e2e', 'browser', 'faults']) {
  const file = path.join(dir, `${tier}.json`);
  if (!existsSync(file)) {
    console.log(`${tier}: no results (the tier did not run to completion)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const brokenSuites = r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
  console.log(`${tier}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${brokenSuites} suites failed to run`);
  passed += r.numPassedTests;
  failed += r.numFailedTests + brokenSuites;
}
console.log(`${passed} passed, ${failed} failed`);

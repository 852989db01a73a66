// Sums jest's JSON results of the levels just run into `N passed, N failed[, N skipped]`.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0;
for (const level of process.argv.slice(2)) {
  const file = `.local/jest-${level}.json`;
  if (!existsSync(file)) { failed += 1; console.error(`${level}: no results (jest did not finish)`); continue; }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  skipped += r.numPendingTests + r.numTodoTests;
  console.error(`${level}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numRuntimeErrorTestSuites} suites errored`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

'use strict';
// Prints the plain closing line CI tools read ("N passed, N failed[, N skipped]") as
// the very last line, after jest's own summary (hence at exit; stderr is synchronous).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;

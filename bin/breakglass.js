#!/usr/bin/env node
'use strict';
// The CLI lives in dist/ after `npm run build`.
let main;
try {
  require('../dist/src/core/v8-tuning.js').tuneV8(); // before anything else: see src/core/v8-tuning.ts
  main = require('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]src[\\/]cli[\\/]main/.test(String(err.message))) {
    process.stderr.write('breakglass: not built yet; run `npm run build` first\n');
    process.exit(2);
  }
  throw err;
}
main.run(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`breakglass: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);

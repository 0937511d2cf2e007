#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/lib/cli/main');
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  console.error('mnist20k: the compiled library is missing; run `npm install` (or `npm run build`) in the project first');
  process.exit(1);
}
cli.main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

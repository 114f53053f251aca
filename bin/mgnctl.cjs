#!/usr/bin/env node
// Runs the TypeScript CLI straight from source through tsx, so `npm ci` is the only install step.
require('tsx/cjs/api').register();
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    console.error(`mgnctl: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  });

#!/usr/bin/env node
// Runs the TypeScript CLI straight from source through tsx, so `npm ci` is the only install step.
// The SDK warns on Node 20 that releases from 2027 need Node 22; the Lambda runtime is Node 22 and
// this CLI pins the SDK through package-lock, so the warning only adds noise to operator output.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (String((warning && warning.message) || warning).startsWith('NodeVersionSupportWarning')) return;
  return emitWarning.call(process, warning, ...rest);
};
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

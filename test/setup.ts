import '../simulator/polyfills';

// The SDK warns on Node 20 that its 2027 releases need Node 22 (the Lambda runtime is 22); keep test output readable.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(typeof warning === 'string' ? warning : warning?.message).startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

/**
 * Where the stack's SSM document contents come from: the installer builder in
 * functions/lib/installer.ts (`precheckDocument()`, `installDocument(os)`), the same code the
 * simulator's emulator interprets, so the deployed documents and the tested ones never drift.
 *
 * Loaded with require so this file names the one place the builder is wired, and a checkout
 * without the builder fails the synth with a message saying what is missing.
 */
import type { MigrationDocumentContents, DocumentContent } from './constructs/migration-documents';
import { MissingSourceError } from './lambda-bundles';

interface InstallerDocumentBuilder {
  precheckDocument(): DocumentContent;
  installDocument(os: 'linux' | 'windows'): DocumentContent;
}

export function loadMigrationDocumentContents(): MigrationDocumentContents {
  let builder: InstallerDocumentBuilder;
  try {
    builder = require('../functions/lib/installer') as InstallerDocumentBuilder;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /functions\/lib\/installer/.test((err as Error).message))
      throw new MissingSourceError(
        'functions/lib/installer.ts is missing: the stack builds its SSM documents with its precheckDocument() and installDocument(os)',
      );
    throw err;
  }
  for (const fn of ['precheckDocument', 'installDocument'] as const)
    if (typeof builder[fn] !== 'function') throw new MissingSourceError(`functions/lib/installer.ts does not export ${fn}()`);
  return {
    precheck: builder.precheckDocument(),
    linuxInstall: builder.installDocument('linux'),
    windowsInstall: builder.installDocument('windows'),
  };
}

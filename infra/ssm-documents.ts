/**
 * Where the stack's SSM document contents come from: the installer builder in
 * functions/lib/installer.ts, the same code the CLI prints and the emulator interprets, so the
 * deployed documents and the tested ones never drift.
 */
import { installDocument, precheckDocument } from '../functions/lib/installer';
import type { DocumentContent, MigrationDocumentContents } from './constructs/migration-documents';

export function loadMigrationDocumentContents(): MigrationDocumentContents {
  return {
    precheck: precheckDocument() as unknown as DocumentContent,
    linuxInstall: installDocument('linux') as unknown as DocumentContent,
    windowsInstall: installDocument('windows') as unknown as DocumentContent,
  };
}

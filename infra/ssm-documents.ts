/**
 * Where the stack's SSM documents come from: the installer builder in functions/lib/installer.ts,
 * the same code the CLI prints and the emulator interprets, so the deployed documents and the
 * tested ones never drift. Also which regions hold them and their names there.
 *
 * SSM documents are regional: SendCommand to a source managed by SSM in another region names a
 * document of that region ("InvalidDocument" otherwise), and IAM grants each region's document ARN.
 */
import {
  documentNamesFor,
  installDocument,
  precheckDocument,
  type DocumentNames,
  type SsmDocumentContent,
} from '../functions/lib/installer';
import type { DocumentContent, MigrationDocumentContents } from './constructs/migration-documents';

export type { DocumentNames };
export { documentNamesFor };

/** The documents install-agents sends, by role. */
export type MigrationDocumentRole = keyof DocumentNames;

export const MIGRATION_DOCUMENT_ROLES: readonly MigrationDocumentRole[] = ['precheck', 'linuxInstall', 'windowsInstall'];

/** Each document's content, by role. */
export function migrationDocumentContents(): Record<MigrationDocumentRole, SsmDocumentContent> {
  return {
    precheck: precheckDocument(),
    linuxInstall: installDocument('linux'),
    windowsInstall: installDocument('windows'),
  };
}

export function loadMigrationDocumentContents(): MigrationDocumentContents {
  const contents = migrationDocumentContents();
  return {
    precheck: contents.precheck as unknown as DocumentContent,
    linuxInstall: contents.linuxInstall as unknown as DocumentContent,
    windowsInstall: contents.windowsInstall as unknown as DocumentContent,
  };
}

/**
 * The regions that hold the documents: the target region (on-premises sources are managed by SSM
 * there; the main stack creates them) and every source region of cross-region EC2 sources (one
 * documents stack each).
 */
export function documentRegions(targetRegion: string, sourceRegions: readonly string[]): string[] {
  return [...new Set([targetRegion, ...sourceRegions])];
}

/** The ARN of every document in every region that holds it (what ssm:SendCommand is granted on). */
export function documentArns(
  partition: string,
  account: string,
  regions: readonly string[],
  names: DocumentNames,
): string[] {
  return regions.flatMap((region) =>
    MIGRATION_DOCUMENT_ROLES.map((role) => `arn:${partition}:ssm:${region}:${account}:document/${names[role]}`),
  );
}

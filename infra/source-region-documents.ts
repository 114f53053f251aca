/**
 * One small stack per source region of cross-region EC2 sources: the same Run Command documents as
 * the main stack (same code, same names), because SSM documents are regional and SendCommand for a
 * source goes to SSM in the source's own region ("InvalidDocument" when the document is not there).
 * They belong to the same CDK app, so `cdk deploy --all` deploys them, and the main stack depends on
 * them, so `cdk deploy <stackName>` deploys them first.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { documentNamesFor } from '../functions/lib/installer';
import type { DeployConfig } from './config';
import { InstallerCredentialsKey } from './constructs/installer-credentials-key';
import { MigrationDocuments, type MigrationDocumentContents } from './constructs/migration-documents';

export interface SourceRegionDocumentsStackProps extends StackProps {
  /** The deploy config: its stackName names the documents, its account is the stack's. */
  readonly config: DeployConfig;
  /** The source region this stack is deployed to (one of config.sourceRegions). */
  readonly sourceRegion: string;
  /** Contents built by functions/lib/installer.ts (infra/ssm-documents.ts), as the main stack's. */
  readonly documents: MigrationDocumentContents;
}

/** The stack name of a source region's documents stack: `<stackName>-Documents-<region>`. */
export const sourceRegionStackName = (stackName: string, region: string): string => `${stackName}-Documents-${region}`;

/** The migration documents in one source region, named as in the main stack. */
export class SourceRegionDocumentsStack extends Stack {
  public readonly documents: MigrationDocuments;
  /** The region's installer-credentials key: hosts managed by SSM here read their staged credentials here. */
  public readonly installerCredentialsKey: InstallerCredentialsKey;

  constructor(scope: Construct, id: string, props: SourceRegionDocumentsStackProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: props.sourceRegion } });
    this.documents = new MigrationDocuments(this, 'Documents', {
      contents: props.documents,
      names: documentNamesFor(props.config.stackName),
    });
    this.installerCredentialsKey = new InstallerCredentialsKey(this, 'InstallerCredentialsKey', { stackName: props.config.stackName });
  }
}

/**
 * Adds a documents stack for every source region of the config to the app; `dependent` (the main
 * stack) is deployed after them.
 */
export function addSourceRegionDocumentStacks(
  app: Construct,
  config: DeployConfig,
  documents: MigrationDocumentContents,
  dependent?: Stack,
): SourceRegionDocumentsStack[] {
  return config.sourceRegions.map(({ region }) => {
    const name = sourceRegionStackName(config.stackName, region);
    const stack = new SourceRegionDocumentsStack(app, name, {
      config,
      sourceRegion: region,
      documents,
      stackName: name,
      description: `MGN isolated-network orchestrator: Run Command documents for sources in ${region} (stack ${config.stackName})`,
    });
    dependent?.addStackDependency(stack, `install-agents sends these documents to sources in ${region}`);
    return stack;
  });
}

import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** SSM document content: a JSON object, or its JSON text. */
export type DocumentContent = Record<string, unknown> | string;

export interface MigrationDocumentContents {
  /** Host prechecks (DNS, TCP 443, disk space), one document for Linux and Windows. */
  readonly precheck: DocumentContent;
  /** Agent install with aws:runShellScript. */
  readonly linuxInstall: DocumentContent;
  /** Agent install with aws:runPowerShellScript. */
  readonly windowsInstall: DocumentContent;
}

export interface MigrationDocumentsProps {
  /** Contents built by functions/lib/installer.ts (see infra/ssm-documents.ts). */
  readonly contents: MigrationDocumentContents;
  /**
   * The documents' names (documentNamesFor(stackName)): the same in every region that holds them,
   * because SendCommand to a source in another region names the document, not the region.
   */
  readonly names: { readonly precheck: string; readonly linuxInstall: string; readonly windowsInstall: string };
}

/**
 * The Run Command documents the install-agents step sends: precheck, Linux install, Windows install,
 * with fixed names; the names reach the step through SSM_*_DOCUMENT.
 */
export class MigrationDocuments extends Construct {
  public readonly precheck: ssm.CfnDocument;
  public readonly linuxInstall: ssm.CfnDocument;
  public readonly windowsInstall: ssm.CfnDocument;

  constructor(scope: Construct, id: string, props: MigrationDocumentsProps) {
    super(scope, id);
    this.precheck = commandDocument(this, 'Precheck', props.names.precheck, props.contents.precheck);
    this.linuxInstall = commandDocument(this, 'LinuxInstall', props.names.linuxInstall, props.contents.linuxInstall);
    this.windowsInstall = commandDocument(this, 'WindowsInstall', props.names.windowsInstall, props.contents.windowsInstall);
  }

  /** Document names (Ref of AWS::SSM::Document). */
  public get names(): { precheck: string; linuxInstall: string; windowsInstall: string } {
    return { precheck: this.precheck.ref, linuxInstall: this.linuxInstall.ref, windowsInstall: this.windowsInstall.ref };
  }
}

/** SSM document names: 3-128 letters, digits, _ - .; never starting with aws, amazon or amzn (SSM CreateDocument). */
const DOCUMENT_NAME = /^[a-zA-Z0-9_\-.]{3,128}$/;
const RESERVED_PREFIX = /^(aws|amazon|amzn)/i;

function commandDocument(scope: Construct, id: string, name: string, content: DocumentContent): ssm.CfnDocument {
  if (!DOCUMENT_NAME.test(name) || RESERVED_PREFIX.test(name))
    throw new Error(`SSM document ${id}: ${JSON.stringify(name)} is not a document name (3-128 letters, digits, _ - ., not starting with aws, amazon or amzn)`);
  // CloudFormation takes the content as an object; YAML text would need a parser we do not ship.
  let parsed: Record<string, unknown>;
  if (typeof content === 'string') {
    try {
      parsed = JSON.parse(content) as Record<string, unknown>;
    } catch {
      throw new Error(`SSM document ${id}: content must be a JSON object or its JSON text`);
    }
  } else parsed = content;
  if (parsed.schemaVersion !== '2.2')
    throw new Error(`SSM document ${id}: expected a Command document with schemaVersion "2.2", got ${JSON.stringify(parsed.schemaVersion)}`);
  return new ssm.CfnDocument(scope, id, {
    name,
    documentType: 'Command',
    documentFormat: 'JSON',
    content: parsed,
    updateMethod: 'NewVersion',
  });
}

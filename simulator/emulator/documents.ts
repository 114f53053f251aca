/**
 * Which SSM documents exist in which region, and the parameters each one accepts. SSM documents are
 * regional: SendCommand naming a document the region does not hold is refused with InvalidDocument.
 *
 * The orchestrator's documents come from the same code that defines the stack's documents
 * (infra/ssm-documents.ts, built by functions/lib/installer.ts): their parameters, required ones
 * (no `default`) and allowedPatterns are read from the content the stack deploys, so a parameter the
 * flow sends that the document does not define is refused here as SSM refuses it. They exist in the
 * target region and each source region of the deployment (the main stack and one documents stack per
 * source region); AWS's own shell documents exist everywhere.
 */
import type { SsmDocumentContent } from '../../functions/lib/installer';
import { documentRegions, migrationDocumentContents, type DocumentNames, type MigrationDocumentRole } from '../../infra/ssm-documents';

export type DocumentKind = 'precheck' | 'install-linux' | 'install-windows' | 'shell' | 'powershell';

export interface ParameterRule {
  readonly required: boolean;
  readonly pattern: RegExp;
  /** StringList: any number of values; String: exactly one */
  readonly list?: boolean;
}

export interface RegisteredDocument {
  readonly name: string;
  readonly kind: DocumentKind;
  readonly parameters: Readonly<Record<string, ParameterRule>>;
}

const ANY = /^[\s\S]*$/;
/** AWS-RunShellScript / AWS-RunPowerShellScript: commands (StringList), workingDirectory, executionTimeout (seconds, ≤ 172800). */
const AWS_SCRIPT_PARAMETERS: Record<string, ParameterRule> = {
  commands: { required: true, pattern: ANY, list: true },
  workingDirectory: { required: false, pattern: ANY },
  executionTimeout: { required: false, pattern: /^([1-9][0-9]{0,4}|1[0-6][0-9]{4}|17[0-1][0-9]{3}|172[0-7][0-9]{2}|172800)$/ },
};

/** AWS-owned documents: present in every region. */
const AWS_DOCUMENTS: readonly RegisteredDocument[] = [
  { name: 'AWS-RunShellScript', kind: 'shell', parameters: AWS_SCRIPT_PARAMETERS },
  { name: 'AWS-RunPowerShellScript', kind: 'powershell', parameters: AWS_SCRIPT_PARAMETERS },
];

const KIND_OF_ROLE: Record<MigrationDocumentRole, DocumentKind> = {
  precheck: 'precheck',
  linuxInstall: 'install-linux',
  windowsInstall: 'install-windows',
};

/** The parameter rules SSM applies to a document's content: required without a default, allowedPattern when given. */
export function parameterRules(content: SsmDocumentContent): Record<string, ParameterRule> {
  const rules: Record<string, ParameterRule> = {};
  for (const [name, p] of Object.entries(content.parameters)) {
    const type = (p as { type: string }).type;
    rules[name] = {
      required: p.default === undefined,
      // SSM reads allowedPattern as a Java regex; \p{L} and \p{N} need the u flag in JS.
      pattern: p.allowedPattern ? new RegExp(p.allowedPattern, 'u') : ANY,
      ...(type === 'StringList' ? { list: true } : {}),
    };
  }
  return rules;
}

/** The orchestrator's documents, named as the stack names them, with their parameter rules. */
export function migrationDocuments(names: DocumentNames): RegisteredDocument[] {
  const contents = migrationDocumentContents();
  return (Object.keys(KIND_OF_ROLE) as MigrationDocumentRole[]).map((role) => ({
    name: names[role],
    kind: KIND_OF_ROLE[role],
    parameters: parameterRules(contents[role]),
  }));
}

/** The documents of each region: the stack's documents in the regions it deployed them to, AWS's everywhere. */
export class DocumentRegistry {
  private readonly ours: readonly RegisteredDocument[];
  private readonly deployed = new Set<string>();

  constructor(names: DocumentNames, regions: readonly string[] = []) {
    this.ours = migrationDocuments(names);
    for (const r of regions) this.deployed.add(r);
  }

  /** The stack's documents now exist in `region` (a documents stack was deployed there). */
  deployTo(region: string): void {
    this.deployed.add(region);
  }

  /** Regions holding the stack's documents. */
  regions(): string[] {
    return [...this.deployed];
  }

  /** The document `name` as `region` holds it, or undefined when the region has no such document. */
  find(region: string, name: string): RegisteredDocument | undefined {
    const aws = AWS_DOCUMENTS.find((d) => d.name === name);
    if (aws) return aws;
    return this.deployed.has(region) ? this.ours.find((d) => d.name === name) : undefined;
  }
}

/**
 * The registry of a deployment: the stack's documents in the target region and in every source
 * region its deploy config lists (infra/ssm-documents.ts documentRegions, as the CDK app deploys them).
 */
export function documentRegistry(names: DocumentNames, targetRegion: string, sourceRegions: readonly string[]): DocumentRegistry {
  return new DocumentRegistry(names, documentRegions(targetRegion, sourceRegions));
}

/**
 * Run Command documents in every region the flow sends them to: the main stack holds them in the
 * target region, and one documents stack per configured source region holds the same documents
 * (same code, same names); the install-agents role may send each region's documents.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { join } from 'node:path';
import { documentNamesFor } from '../../functions/lib/installer';
import { parseDeployConfig, loadDeployConfig } from '../../infra/config';
import { addNagChecks } from '../../infra/nag';
import { addSourceRegionDocumentStacks, sourceRegionStackName } from '../../infra/source-region-documents';
import { loadMigrationDocumentContents, migrationDocumentContents } from '../../infra/ssm-documents';
import { OrchestratorStack } from '../../infra/stack';
import { fixtureDefinition, fixtures, repoRoot, synthExample, type Synthesised } from './synth';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Resolves the Fn::Join / Ref of an ARN to text, with the pseudo parameters of one account. */
function resolve(value: unknown, account = '111122223333'): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::AccountId') return account;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(p, account)).join(sep);
  }
  return JSON.stringify(value);
}

const documentsOf = (template: Template) =>
  Object.values(template.toJSON().Resources as Resources)
    .filter((r) => r.Type === 'AWS::SSM::Document')
    .map((r) => r.Properties!)
    .sort((a, b) => String(a.Name).localeCompare(String(b.Name)));

const sendCommandResources = (s: Synthesised): string[] => {
  const policy = s.json.Resources[s.stack.getLogicalId(s.stack.functions.node.findChild('InstallAgentsPolicy').node.defaultChild as never)];
  const statements = (policy.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
  const send = statements.find((st) => ([] as string[]).concat(st.Action).includes('ssm:SendCommand'))!;
  return ([] as unknown[]).concat(send.Resource).map((r) => resolve(r));
};

describe('documents in every region the flow sends them to (cross-region config)', () => {
  let s: Synthesised;
  beforeAll(() => {
    s = synthExample('cross-region');
  });

  it('adds one documents stack per source region, deployed to that region, before the main stack', () => {
    expect(s.config.sourceRegions.map((r) => r.region)).toEqual(['ap-southeast-1']);
    expect(s.sourceRegionStacks.map(({ stack }) => [stack.stackName, stack.region])).toEqual([
      [sourceRegionStackName('MgnOrchestrator', 'ap-southeast-1'), 'ap-southeast-1'],
    ]);
    expect(s.stack.region).toBe('ap-south-1');
    expect(s.stack.dependencies.map((d) => d.stackName)).toContain('MgnOrchestrator-Documents-ap-southeast-1');
  });

  it('creates the same three documents, by name and content, as the main stack', () => {
    const main = documentsOf(s.template);
    expect(main.map((d) => d.Name)).toEqual(['MgnOrchestrator-InstallLinux', 'MgnOrchestrator-InstallWindows', 'MgnOrchestrator-Precheck']);
    for (const { template } of s.sourceRegionStacks) expect(documentsOf(template)).toEqual(main);
    // and nothing else but the region's installer-credentials key: a documents stack holds no roles, functions or network
    for (const { template } of s.sourceRegionStacks)
      expect(new Set(Object.values(template.toJSON().Resources as Resources).map((r) => r.Type))).toEqual(
        new Set(['AWS::SSM::Document', 'AWS::KMS::Key', 'AWS::KMS::Alias']),
      );
  });

  it('passes the documents names to install-agents and grants SendCommand on them in the target and every source region', () => {
    const resources = sendCommandResources(s);
    const names = documentNamesFor('MgnOrchestrator');
    for (const region of ['ap-south-1', 'ap-southeast-1'])
      for (const name of Object.values(names)) expect(resources).toContain(`arn:aws:ssm:${region}:111122223333:document/${name}`);
    // the stack's own documents only: no document wildcard
    expect(resources.filter((r) => r.includes(':document/') && !r.includes('::document/AWS-Run'))).toHaveLength(6);
    const vars = (s.json.Resources[s.stack.getLogicalId(s.stack.functions.functions['install-agents'].node.defaultChild as never)].Properties!.Environment as {
      Variables: Record<string, unknown>;
    }).Variables;
    const nameOf = (ref: unknown) => s.json.Resources[(ref as { Ref: string }).Ref].Properties!.Name;
    expect([vars.SSM_PRECHECK_DOCUMENT, vars.SSM_LINUX_INSTALL_DOCUMENT, vars.SSM_WINDOWS_INSTALL_DOCUMENT].map(nameOf)).toEqual([
      names.precheck,
      names.linuxInstall,
      names.windowsInstall,
    ]);
  });
});

describe('documents with the on-premises config (no source regions)', () => {
  it('adds no documents stack and grants the documents in the target region only', () => {
    const s = synthExample('on-premises');
    expect(s.sourceRegionStacks).toEqual([]);
    const docs = sendCommandResources(s).filter((r) => r.includes(':document/') && !r.includes('::document/AWS-Run'));
    expect(docs.sort()).toEqual(
      Object.values(documentNamesFor('MgnOrchestratorOnPrem'))
        .map((n) => `arn:aws:ssm:eu-west-1:111122223333:document/${n}`)
        .sort(),
    );
  });
});

describe('the app as infra/app.ts builds it, with the real documents', () => {
  it('gives each of two source regions the documents functions/lib/installer.ts builds', () => {
    const base = loadDeployConfig(join(repoRoot, 'examples', 'deploy', 'cross-region.json'));
    const config = parseDeployConfig({
      ...JSON.parse(JSON.stringify({ ...base, sourceRegions: undefined })),
      stackName: 'Mig',
      sourceRegions: [
        { region: 'ap-southeast-1', ssmEndpointDns: 'vpce-0123456789abcdef0-a1b2c3d4.ssm.ap-southeast-1.vpce.amazonaws.com', ssmEndpointCidr: '10.10.200.0/24' },
        { region: 'eu-central-1', ssmEndpointDns: 'vpce-0123456789abcdef1-a1b2c3d4.ssm.eu-central-1.vpce.amazonaws.com', ssmEndpointCidr: '10.11.200.0/24' },
      ],
    });
    const app = new App();
    const documents = loadMigrationDocumentContents();
    const main = new OrchestratorStack(app, config.stackName, { config, definition: fixtureDefinition, documents, code: () => lambda.Code.fromAsset(join(fixtures, 'bundle')) });
    const stacks = addSourceRegionDocumentStacks(app, config, documents, main);
    addNagChecks(app);
    const assembly = app.synth();
    expect(stacks.map((st) => st.region)).toEqual(['ap-southeast-1', 'eu-central-1']);
    const built = migrationDocumentContents();
    for (const st of stacks) {
      const docs = documentsOf(Template.fromJSON(assembly.getStackByName(st.stackName).template));
      expect(docs.map((d) => [d.Name, d.Content])).toEqual([
        ['Mig-InstallLinux', built.linuxInstall],
        ['Mig-InstallWindows', built.windowsInstall],
        ['Mig-Precheck', built.precheck],
      ]);
    }
  });
});

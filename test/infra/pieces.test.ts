import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { STEPS, type StepSpec } from '../../functions/lib/steps';
import { MigrationDocuments } from '../../infra/constructs/migration-documents';
import { Notifications } from '../../infra/constructs/notifications';
import { aslPlaceholders, WaveStateMachine } from '../../infra/constructs/wave-state-machine';
import { buildStepBundles, missingHandlers, MissingSourceError } from '../../infra/lambda-bundles';
import { acknowledge, nagText } from '../../infra/nag';
import { stepStatements, UNSCOPED_ACTIONS, type ScopeContext } from '../../infra/step-permissions';
import { fixtureDefinition, fixtures, repoRoot } from './synth';

const ctx: ScopeContext = {
  partition: 'aws',
  region: 'eu-west-1',
  account: '111122223333',
  sourceRegions: ['eu-central-1'],
  waveBucketArn: 'arn:aws:s3:::waves',
  topicArn: 'arn:aws:sns:eu-west-1:111122223333:topic',
  installerRoleArn: 'arn:aws:iam::111122223333:role/installer',
  documentArns: ['arn:aws:ssm:eu-west-1:111122223333:document/Precheck'],
  launchedInstanceRoleArn: 'arn:aws:iam::111122223333:role/launched',
};

describe('step permissions', () => {
  it('scopes every action of every step, with "*" only for actions without resource-level permissions', () => {
    for (const step of STEPS) {
      const statements = stepStatements(step, ctx);
      // an action may have several grants (different resources or conditions, as in a managed policy)
      expect([...new Set(statements.flatMap((st) => st.actions))].sort()).toEqual([...new Set(step.actions)].sort());
      for (const st of statements) {
        if (st.resources.includes('*')) {
          expect(st.resources).toEqual(['*']);
          for (const action of st.actions) expect(Object.keys(UNSCOPED_ACTIONS)).toContain(action);
        }
        expect(st.reason.length).toBeGreaterThan(10);
      }
    }
  });

  it('carries conditions: launch-template writes only on templates MGN tagged, EC2 work of launches only through MGN, PassRole only to EC2', () => {
    const launch = stepStatements(STEPS.find((s) => s.name === 'launch-test')!, ctx);
    const grantsOf = (action: string) => launch.filter((st) => st.actions.includes(action)).map(({ resources, conditions }) => ({ resources, conditions }));
    expect(grantsOf('ec2:CreateLaunchTemplateVersion')).toEqual([
      {
        resources: ['arn:aws:ec2:eu-west-1:111122223333:launch-template/*'],
        conditions: { Null: { 'aws:ResourceTag/AWSApplicationMigrationServiceManaged': 'false' } },
      },
    ]);
    expect(grantsOf('ec2:RunInstances')).toEqual([
      {
        resources: ['arn:aws:ec2:eu-west-1:111122223333:instance/*'],
        conditions: { Null: { 'aws:RequestTag/AWSApplicationMigrationServiceManaged': 'false' }, Bool: { 'aws:ViaAWSService': 'true' } },
      },
      {
        resources: [
          'arn:aws:ec2:eu-west-1:111122223333:security-group/*',
          'arn:aws:ec2:eu-west-1:111122223333:volume/*',
          'arn:aws:ec2:eu-west-1:111122223333:subnet/*',
          'arn:aws:ec2:eu-west-1::image/*',
          'arn:aws:ec2:eu-west-1:111122223333:network-interface/*',
          'arn:aws:ec2:eu-west-1:111122223333:launch-template/*',
        ],
        conditions: { Bool: { 'aws:ViaAWSService': 'true' } },
      },
    ]);
    expect(grantsOf('iam:PassRole')).toEqual([
      {
        resources: ['arn:aws:iam::111122223333:role/service-role/AWSApplicationMigrationConversionServerRole', ctx.launchedInstanceRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ]);
    // an unconditional grant has no conditions key at all
    expect(launch.find((st) => st.actions.includes('mgn:StartTest'))).not.toHaveProperty('conditions');
  });

  it('grants mgn:CreateReplicationConfigurationTemplate on "*": it has no resource type (Service Authorization Reference)', () => {
    const preflight = stepStatements(STEPS.find((s) => s.name === 'preflight')!, ctx);
    expect(preflight.find((st) => st.actions.includes('mgn:CreateReplicationConfigurationTemplate'))!.resources).toEqual(['*']);
    expect(preflight.find((st) => st.actions.includes('mgn:UpdateReplicationConfigurationTemplate'))!.resources).toEqual([
      'arn:aws:mgn:eu-west-1:111122223333:replication-configuration-template/*',
    ]);
  });

  it('sends commands to the stack documents and AWS shell documents, and only to instances carrying the allowed tag', () => {
    const install = stepStatements(STEPS.find((s) => s.name === 'install-agents')!, ctx);
    const send = install.filter((st) => st.actions.includes('ssm:SendCommand'));
    expect(send).toEqual([
      expect.objectContaining({
        resources: [
          'arn:aws:ssm:eu-west-1:111122223333:document/Precheck',
          'arn:aws:ssm:eu-west-1::document/AWS-RunShellScript',
          'arn:aws:ssm:eu-west-1::document/AWS-RunPowerShellScript',
          'arn:aws:ssm:eu-central-1::document/AWS-RunShellScript',
          'arn:aws:ssm:eu-central-1::document/AWS-RunPowerShellScript',
        ],
      }),
      expect.objectContaining({
        resources: [
          'arn:aws:ec2:eu-west-1:111122223333:instance/*',
          'arn:aws:ec2:eu-central-1:111122223333:instance/*',
          'arn:aws:ssm:eu-west-1:111122223333:managed-instance/*',
        ],
        // issue 12 item 3: SendCommand reaches only instances with the deploy config's tag
        conditions: { StringEquals: { 'ssm:resourceTag/mgn-orchestrator:allowed': 'true' } },
      }),
    ]);
    expect(send[0].conditions).toBeUndefined();
    const custom = stepStatements(STEPS.find((s) => s.name === 'verify-test')!, { ...ctx, allowedTag: { key: 'migrate', value: 'yes' } });
    expect(custom.find((st) => st.actions.includes('ssm:SendCommand') && st.conditions)!.conditions).toEqual({
      StringEquals: { 'ssm:resourceTag/migrate': 'yes' },
    });
    expect(install).toContainEqual(expect.objectContaining({ actions: ['sts:AssumeRole'], resources: [ctx.installerRoleArn] }));
    expect(install).toContainEqual(expect.objectContaining({ actions: ['s3:PutObject'], resources: ['arn:aws:s3:::waves/waves/*'] }));
  });

  it('refuses an action it has no scope for instead of granting it on "*"', () => {
    const step: StepSpec = { ...STEPS[0], name: 'rogue', actions: ['mgn:DeleteSourceServer'] };
    expect(() => stepStatements(step, ctx)).toThrow(/step rogue: no resource scope is defined for mgn:DeleteSourceServer/);
  });
});

describe('wave state machine substitutions', () => {
  const build = (definition: string) => {
    const stack = new Stack(new App(), 'Flow', { env: { region: 'eu-west-1', account: '111122223333' } });
    const functions = Object.fromEntries(
      STEPS.map((step) => [
        step.name,
        new lambda.Function(stack, step.name, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(join(fixtures, 'bundle')) }),
      ]),
    );
    return new WaveStateMachine(stack, 'Flow', {
      definition,
      functions,
      waveBucket: new s3.Bucket(stack, 'Bucket'),
      notifications: new Notifications(stack, 'Notifications'),
    });
  };

  it('finds each placeholder once', () => {
    expect(aslPlaceholders('{"a": "${X}", "b": "${Y}", "c": "${X}", "d": "$.path"}')).toEqual(['X', 'Y']);
  });

  it('refuses a placeholder the stack cannot fill, naming it', () => {
    expect(() => build('{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${TypoFunctionArn}", "End": true}}}')).toThrow(
      /placeholders the stack cannot fill: \$\{TypoFunctionArn\}/,
    );
  });

  it('substitutes only what the definition uses and grants invoke only on those functions', () => {
    const flow = build('{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${ReportFunctionArn}", "End": true}}}');
    expect(Object.keys(flow.substitutions)).toEqual(['ReportFunctionArn']);
    const template = Template.fromStack(flow.stateMachine.stack);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    const invoke = statements.filter((st) => st.Action === 'lambda:InvokeFunction');
    expect(invoke).toHaveLength(1);
    expect(JSON.stringify(invoke[0].Resource)).toContain('report');
    expect(statements.some((st) => JSON.stringify(st.Action).includes('sns:Publish'))).toBe(false);
  });

  // The flow helper owns statemachine/wave.asl.json; until it lands, the infra fixture stands in.
  const aslFile = existsSync(join(repoRoot, 'statemachine', 'wave.asl.json'))
    ? join(repoRoot, 'statemachine', 'wave.asl.json')
    : join(fixtures, 'wave.asl.json');
  it(`has a substitution for every placeholder of ${aslFile.replace(repoRoot + '/', '')} and uses every step`, () => {
    const used = aslPlaceholders(readFileSync(aslFile, 'utf8'));
    const fillable = [...STEPS.map((s) => s.placeholder), 'WaveBucketName', 'NotificationTopicArn'];
    expect(used.filter((p) => !fillable.includes(p))).toEqual([]);
    expect(STEPS.map((s) => s.placeholder).filter((p) => !used.includes(p))).toEqual([]);
  });

  it('keeps the test fixture in step with the catalogue', () => {
    expect(aslPlaceholders(fixtureDefinition).sort()).toEqual([...STEPS.map((s) => s.placeholder), 'WaveBucketName', 'NotificationTopicArn'].sort());
  });
});

describe('migration documents', () => {
  const stack = () => new Stack(new App(), 'Docs');
  const doc = { schemaVersion: '2.2', description: 'x', mainSteps: [] };
  const names = { precheck: 'Mig-Precheck', linuxInstall: 'Mig-InstallLinux', windowsInstall: 'Mig-InstallWindows' };

  it('creates Command documents from objects and JSON text, with the names given', () => {
    const s = stack();
    new MigrationDocuments(s, 'Docs', { names, contents: { precheck: doc, linuxInstall: JSON.stringify(doc), windowsInstall: doc } });
    const docs = Object.values(Template.fromStack(s).findResources('AWS::SSM::Document')).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
    expect(docs).toHaveLength(3);
    expect(docs.map((d) => d.Name).sort()).toEqual(Object.values(names).sort());
    for (const d of docs) expect(d).toEqual({ Name: expect.any(String), DocumentType: 'Command', DocumentFormat: 'JSON', Content: doc, UpdateMethod: 'NewVersion' });
  });

  it.each(['AWSMig-Precheck', 'amazon-x', 'ab', 'has space'])('refuses the document name %s (SSM CreateDocument rules)', (bad) => {
    expect(() => new MigrationDocuments(stack(), 'Docs', { names: { ...names, precheck: bad }, contents: { precheck: doc, linuxInstall: doc, windowsInstall: doc } })).toThrow(
      /SSM document Precheck: .* is not a document name/,
    );
  });

  it('refuses text that is not JSON', () => {
    expect(() => new MigrationDocuments(stack(), 'Docs', { names, contents: { precheck: 'schemaVersion: "2.2"', linuxInstall: doc, windowsInstall: doc } })).toThrow(
      /SSM document Precheck: content must be a JSON object or its JSON text/,
    );
  });

  it('refuses a document that is not schema 2.2', () => {
    expect(() => new MigrationDocuments(stack(), 'Docs', { names, contents: { precheck: { schemaVersion: '1.2' }, linuxInstall: doc, windowsInstall: doc } })).toThrow(
      /SSM document Precheck: expected a Command document with schemaVersion "2.2", got "1.2"/,
    );
  });
});

describe('lambda bundles', () => {
  it('names every step whose handler is missing, before building anything', () => {
    const root = mkdtempSync(join(tmpdir(), 'bundles-'));
    mkdirSync(join(root, 'functions', 'report'), { recursive: true });
    writeFileSync(join(root, 'functions', 'report', 'handler.ts'), 'export const handler = async () => ({});\n');
    const missing = missingHandlers(root, STEPS);
    expect(missing).toHaveLength(STEPS.length - 1);
    expect(missing).toContain('functions/validate-wave/handler.ts');
    expect(missing).not.toContain('functions/report/handler.ts');
    expect(() => buildStepBundles(root, STEPS)).toThrow(MissingSourceError);
    expect(() => buildStepBundles(root, STEPS)).toThrow(/missing: functions\/validate-wave\/handler\.ts, functions\/preflight\/handler\.ts/);
  });
});

describe('cdk-nag helpers', () => {
  it('renders tokens the way cdk-nag names findings', () => {
    const s = new Stack(new App(), 'Nag', { env: { region: 'eu-west-1' } });
    const bucket = new s3.Bucket(s, 'Bucket');
    expect(nagText(s, `${bucket.bucketArn}/waves/*`)).toMatch(/^<Bucket[0-9A-F]{8}\.Arn>\/waves\/\*$/);
    expect(nagText(s, `arn:${s.partition}:ec2:eu-west-1:${s.account}:instance/*`)).toBe('arn:<AWS::Partition>:ec2:eu-west-1:<AWS::AccountId>:instance/*');
  });

  it('refuses an acknowledgement without a reason', () => {
    const s = new Stack(new App(), 'Nag');
    expect(() => acknowledge(new iam.Role(s, 'R', { assumedBy: new iam.AccountRootPrincipal() }), 'AwsSolutions-IAM4', '  ')).toThrow(/needs a reason/);
  });
});

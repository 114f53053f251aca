/**
 * Issue 12 item 2: the installer credentials are encrypted with a stack-owned key per region whose
 * policy lets only hosts (managed-instance or EC2 instance credentials) decrypt, only through SSM,
 * only for the staged credentials parameters (encryption context PARAMETER_ARN), and lets no IAM
 * policy widen that; install-agents passes the key and may encrypt only through SSM for those parameters.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { INSTALLER_PARAMETER_ROOT } from '../../functions/lib/installer-credentials';
import { logicalId, synthExample, type Synthesised } from './synth';

type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

let s: Synthesised;
beforeAll(() => {
  s = synthExample('cross-region');
});

const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const keyOf = (template: Template) => {
  const keys = Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: { KeyPolicy: { Statement: Statement[] }; EnableKeyRotation?: boolean } }>).filter(
    (r) => r.Type === 'AWS::KMS::Key' && JSON.stringify(r.Properties.KeyPolicy).includes('PARAMETER_ARN'),
  );
  expect(keys).toHaveLength(1);
  return keys[0].Properties;
};
const aliasesOf = (template: Template) =>
  Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: { AliasName: string } }>)
    .filter((r) => r.Type === 'AWS::KMS::Alias')
    .map((r) => r.Properties.AliasName);
const USE_ACTIONS = /^kms:(\*|Decrypt|Encrypt|ReEncrypt|GenerateDataKey|CreateGrant|Create\*|ReEncrypt\*|GenerateDataKey\*)/;

describe.each([
  ['the main stack (ap-south-1)', 'ap-south-1', () => s.template],
  ['the source region documents stack (ap-southeast-1)', 'ap-southeast-1', () => s.sourceRegionStacks[0].template],
])('installer-credentials key of %s', (_name, region, templateOf) => {
  it('is rotated and named by the alias install-agents passes', () => {
    const key = keyOf(templateOf());
    expect(key.EnableKeyRotation).toBe(true);
    expect(aliasesOf(templateOf())).toContain('alias/MgnOrchestrator/installer-credentials');
  });

  it('lets only host credentials decrypt, only through SSM in its region, only the staged credentials parameters', () => {
    const statements = keyOf(templateOf()).KeyPolicy.Statement;
    const decrypt = statements.filter((st) => actionsOf(st).some((a) => a === 'kms:Decrypt' || a === 'kms:*'));
    expect(decrypt.map((st) => st.Sid).sort()).toEqual(['Ec2InstancesReadInstallerCredentials', 'ManagedInstancesReadInstallerCredentials']);
    for (const st of decrypt) {
      expect(actionsOf(st)).toEqual(['kms:Decrypt']);
      expect(st.Condition!.StringEquals['kms:ViaService']).toBe(`ssm.${region}.amazonaws.com`);
      expect(st.Condition!.StringEquals['kms:CallerAccount']).toBeDefined();
      expect(JSON.stringify(st.Condition!.StringLike['kms:EncryptionContext:PARAMETER_ARN'])).toContain(`:ssm:${region}:`);
      expect(JSON.stringify(st.Condition!.StringLike['kms:EncryptionContext:PARAMETER_ARN'])).toContain(`:parameter${INSTALLER_PARAMETER_ROOT}/*`);
      const host = Object.keys(st.Condition!.ArnLike);
      expect(host).toHaveLength(1);
      expect(['ssm:SourceInstanceARN', 'ec2:SourceInstanceARN']).toContain(host[0]);
    }
  });

  it('delegates no use of the key to IAM except Encrypt through SSM for the staged credentials', () => {
    const statements = keyOf(templateOf()).KeyPolicy.Statement;
    for (const st of statements.filter((x) => JSON.stringify(x.Principal).includes(':root'))) {
      const uses = actionsOf(st).filter((a) => USE_ACTIONS.test(a));
      if (uses.length === 0) continue;
      expect({ sid: st.Sid, uses }).toEqual({ sid: 'StageInstallerCredentialsThroughSsm', uses: ['kms:Encrypt'] });
      expect(st.Condition!.StringEquals['kms:ViaService']).toBe(`ssm.${region}.amazonaws.com`);
      expect(JSON.stringify(st.Condition!.StringLike['kms:EncryptionContext:PARAMETER_ARN'])).toContain(`:parameter${INSTALLER_PARAMETER_ROOT}/*`);
    }
    expect(statements.some((st) => st.Effect === 'Allow' && actionsOf(st).includes('kms:*'))).toBe(false);
  });
});

describe('install-agents and the key', () => {
  it('passes the alias as INSTALLER_CREDENTIALS_KEY and may encrypt only through SSM for the staged credentials', () => {
    const fn = s.json.Resources[logicalId(s.stack, s.stack.functions.functions['install-agents'])].Properties!;
    expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.INSTALLER_CREDENTIALS_KEY).toBe('alias/MgnOrchestrator/installer-credentials');
    const policy = Object.values(s.json.Resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!.Roles).includes(logicalId(s.stack, s.stack.functions.roles['install-agents'])),
    );
    const encrypt = policy.flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement).filter((st) => actionsOf(st).includes('kms:Encrypt'));
    expect(encrypt).toHaveLength(1);
    expect(actionsOf(encrypt[0])).toEqual(['kms:Encrypt']);
    expect(encrypt[0].Condition!.StringEquals['kms:ViaService']).toEqual(['ssm.ap-south-1.amazonaws.com', 'ssm.ap-southeast-1.amazonaws.com']);
    expect(JSON.stringify(encrypt[0].Condition!.StringLike['kms:EncryptionContext:PARAMETER_ARN'])).toContain(`:parameter${INSTALLER_PARAMETER_ROOT}/*`);
    // and no other step may encrypt or decrypt with it
    for (const [name, role] of Object.entries(s.stack.functions.roles)) {
      if (name === 'install-agents') continue;
      const others = Object.values(s.json.Resources).filter(
        (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!.Roles).includes(logicalId(s.stack, role)),
      );
      expect({ name, encrypts: JSON.stringify(others).includes('kms:Encrypt') }).toEqual({ name, encrypts: false });
    }
  });
});

/**
 * Issue 12 items 2 and 3, the pure pieces: the allowedTag of the deploy config and its environment
 * form, the installer-credentials parameter name (unguessable, per run), and Run Command's answer
 * when IAM refuses a batch.
 */
import { parseDeployConfig } from '../../infra/config';
import { carriesAllowedTag, DEFAULT_ALLOWED_TAG, formatAllowedTag, parseAllowedTag, untaggedReason } from '../../functions/lib/allowed-tag';
import { CommandNotAuthorizedError } from '../../functions/lib/errors';
import { INSTALLER_PARAMETER_ROOT, installerCredentialsKeyAlias, newCredentialsParameterName } from '../../functions/lib/installer-credentials';
import type { SsmPort } from '../../functions/lib/ports';
import { sendToOnlineHosts } from '../../functions/lib/run-command';
import { InvalidInputError } from '../../functions/lib/validation';

const minimal = {
  region: 'ap-south-1',
  network: { mode: 'new', cidr: '10.40.0.0/16', availabilityZones: ['ap-south-1a'] },
  sourceCidrs: ['10.10.0.0/16'],
  s3PrefixListId: 'pl-78a54011',
  approvers: ['arn:aws:iam::111122223333:role/MigrationApprover'],
};

describe('deploy config allowedTag', () => {
  it('defaults to mgn-orchestrator:allowed = true and takes another key and value', () => {
    expect(parseDeployConfig(minimal).allowedTag).toEqual({ key: 'mgn-orchestrator:allowed', value: 'true' });
    expect(parseDeployConfig({ ...minimal, allowedTag: { key: 'migration/wave', value: 'approved' } }).allowedTag).toEqual({ key: 'migration/wave', value: 'approved' });
  });

  it('refuses an aws: key, an empty value and unknown fields, naming the field', () => {
    const problems = (allowedTag: unknown) => {
      try {
        parseDeployConfig({ ...minimal, allowedTag });
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidInputError);
        return (err as InvalidInputError).problems.join('\n');
      }
      throw new Error('expected a refusal');
    };
    expect(problems({ key: 'aws:allowed', value: 'true' })).toMatch(/allowedTag\.key.*"aws:"/);
    expect(problems({ key: 'allowed', value: '' })).toMatch(/allowedTag\.value.*empty/);
    expect(problems({ key: 'allowed', value: 'yes', extra: 1 })).toMatch(/allowedTag/);
  });
});

describe('ALLOWED_TAG', () => {
  it('round-trips key=value, splitting at the first "=" and defaulting when unset', () => {
    expect(parseAllowedTag(formatAllowedTag({ key: 'a:b', value: 'x=y' }))).toEqual({ key: 'a:b', value: 'x=y' });
    expect(parseAllowedTag(undefined)).toEqual(DEFAULT_ALLOWED_TAG);
    expect(() => parseAllowedTag('novalue')).toThrow(/key=value/);
  });

  it('holds only the exact value, and the set-aside reason names the tag and the command that adds it', () => {
    expect(carriesAllowedTag({ 'mgn-orchestrator:allowed': 'true' }, DEFAULT_ALLOWED_TAG)).toBe(true);
    expect(carriesAllowedTag({ 'mgn-orchestrator:allowed': 'True' }, DEFAULT_ALLOWED_TAG)).toBe(false);
    expect(carriesAllowedTag(undefined, DEFAULT_ALLOWED_TAG)).toBe(false);
    expect(untaggedReason('i-0123456789abcdef0', 'ap-southeast-1', DEFAULT_ALLOWED_TAG, 'ec2')).toContain(
      'aws ec2 create-tags --region ap-southeast-1 --resources i-0123456789abcdef0 --tags Key=mgn-orchestrator:allowed,Value=true',
    );
    expect(untaggedReason('mi-0123456789abcdef0', 'eu-west-1', DEFAULT_ALLOWED_TAG, 'managed-instance')).toContain('--resource-type ManagedInstance');
  });
});

describe('installer credentials parameter name', () => {
  it('lives under the installer root with 128 random bits: a new name for every run', () => {
    const names = new Set(Array.from({ length: 50 }, () => newCredentialsParameterName('wave-1')));
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(new RegExp(`^${INSTALLER_PARAMETER_ROOT}/wave-1/[0-9a-f]{32}$`));
    expect(() => newCredentialsParameterName('wave-1', 'run-1')).toThrow(/32 hex/);
    expect(installerCredentialsKeyAlias('MgnOrchestrator')).toBe('alias/MgnOrchestrator/installer-credentials');
  });
});

describe('Run Command refused by IAM', () => {
  it('sets aside the batch with the reason and sends nothing: IAM denied the whole call', async () => {
    const asked: string[][] = [];
    const ssm = {
      sendCommand: async (request: { instanceIds: readonly string[] }) => {
        asked.push([...request.instanceIds]);
        throw new CommandNotAuthorizedError('SendCommand doc: AccessDeniedException: not authorized');
      },
      describeInstanceInformation: async () => {
        throw new Error('IAM refusals are not about SSM ping status');
      },
    } as unknown as SsmPort;
    const outcome = await sendToOnlineHosts(ssm, 'eu-west-1', { documentName: 'doc', instanceIds: ['mi-00000000000000001', 'i-00000000000000001'], parameters: {}, comment: '', timeoutSeconds: 60 });
    expect(asked).toHaveLength(1);
    expect(outcome.sentTo).toEqual([]);
    expect(outcome.setAside.map((h) => h.instanceId)).toEqual(['mi-00000000000000001', 'i-00000000000000001']);
    expect(outcome.setAside[0].reason).toMatch(/allowedTag/);
  });
});

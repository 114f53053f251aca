import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployConfig, parseDeployConfig } from '../../infra/config';
import { InvalidInputError } from '../../functions/lib/validation';
import { repoRoot } from './synth';

const example = (name: string) => loadDeployConfig(join(repoRoot, 'examples', 'deploy', `${name}.json`));

const problemsOf = (input: unknown): string[] => {
  try {
    parseDeployConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).problems;
  }
  throw new Error('expected the config to be refused');
};

const APPROVER = 'arn:aws:iam::111122223333:role/MigrationApprover';

const minimal = {
  region: 'ap-south-1',
  network: { mode: 'new', cidr: '10.40.0.0/16', availabilityZones: ['ap-south-1a'] },
  sourceCidrs: ['10.10.0.0/16'],
  approvers: [APPROVER],
  s3PrefixListId: 'pl-78a54011',
};

describe('deploy config', () => {
  it('parses both examples, with defaults filled in', () => {
    const cross = example('cross-region');
    expect(cross.network.mode).toBe('new');
    expect(cross.sourceRegions[0].region).toBe('ap-southeast-1');
    const onprem = example('on-premises');
    expect(onprem.network.mode).toBe('existing');
    expect(onprem.onPremises?.resolverInboundEndpoint).toBe(true);
    const defaults = parseDeployConfig(minimal);
    expect(defaults).toMatchObject({
      stackName: 'MgnOrchestrator',
      api: { enabled: true, endpointType: 'PRIVATE' },
      triggers: { eventBridge: true, schedules: [] },
      logRetentionDays: 90,
      connectivity: { peering: [] },
    });
  });

  it('names every bad field in one pass', () => {
    const problems = problemsOf({
      ...minimal,
      region: 'mars-1',
      network: { mode: 'new', cidr: '10.40.0.0/33', availabilityZones: ['ap-south-1a'] },
      sourceCidrs: ['10.10.0.0/16', 'everywhere'],
      api: { endpointTyp: 'PRIVATE' },
      logRetentionDays: 42,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^region: "mars-1" is not an AWS region code/),
        expect.stringMatching(/^network\.cidr: "10\.40\.0\.0\/33" is not an IPv4 CIDR block/),
        expect.stringMatching(/^sourceCidrs\[1\]: "everywhere" is not an IPv4 CIDR block/),
        'api.endpointTyp: unknown field; remove it or fix its spelling',
        expect.stringMatching(/^logRetentionDays: 42 is not a CloudWatch Logs retention/),
      ]),
    );
  });

  it('refuses an unknown network mode and a missing field by name', () => {
    expect(problemsOf({ ...minimal, network: { mode: 'lookup', vpcId: 'vpc-12345678' } })).toEqual([
      'network.mode: must be "new" or "existing", got "lookup"',
    ]);
    const { sourceCidrs: _unused, ...withoutSources } = minimal;
    expect(problemsOf(withoutSources)).toEqual(['sourceCidrs: is required (an array)']);
  });

  it('refuses zones outside the region, a source region equal to the target and a mismatched SSM endpoint', () => {
    const problems = problemsOf({
      ...minimal,
      network: { mode: 'new', cidr: '10.40.0.0/16', availabilityZones: ['eu-west-1a'] },
      sourceRegions: [
        { region: 'ap-south-1', ssmEndpointDns: 'vpce-0123456789abcdef0-a1b2c3d4.ssm.ap-south-1.vpce.amazonaws.com', ssmEndpointCidr: '10.10.0.0/24' },
        { region: 'eu-west-1', ssmEndpointDns: 'vpce-0123456789abcdef0-a1b2c3d4.ssm.us-east-1.vpce.amazonaws.com', ssmEndpointCidr: '10.11.0.0/24' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'network.availabilityZones[0]: "eu-west-1a" is not in region ap-south-1',
        'sourceRegions[0].region: ap-south-1 is the target region; list only other source regions',
        'sourceRegions[1].ssmEndpointDns: endpoint is in us-east-1 but region is eu-west-1; use the ssm endpoint of the source region',
      ]),
    );
  });

  it('refuses two endpoint subnets in one zone of an existing VPC', () => {
    const subnet = (n: string, az: string) => ({ subnetId: `subnet-0000000${n}`, availabilityZone: az, routeTableId: 'rtb-00000001', cidr: '10.0.0.0/24' });
    const problems = problemsOf({
      ...minimal,
      network: {
        mode: 'existing',
        vpcId: 'vpc-00000001',
        vpcCidr: '10.0.0.0/16',
        orchestratorSubnets: [subnet('1', 'ap-south-1a')],
        stagingSubnets: [subnet('2', 'ap-south-1a')],
        endpointSubnets: [subnet('3', 'ap-south-1a'), subnet('4', 'ap-south-1a')],
        targetSubnets: { test: [subnet('5', 'ap-south-1a')], cutover: [subnet('6', 'ap-south-1a')] },
      },
    });
    expect(problems).toEqual([
      'network.endpointSubnets[1].availabilityZone: ap-south-1a already has endpointSubnets[0]; give one endpoint subnet per availability zone',
    ]);
  });

  const existingNetwork = (extra: Record<string, unknown> = {}) => {
    const subnet = (n: string, az: string, cidr: string) => ({ subnetId: `subnet-0000000${n}`, availabilityZone: az, routeTableId: 'rtb-00000001', cidr });
    return {
      mode: 'existing',
      vpcId: 'vpc-00000001',
      vpcCidr: '10.0.0.0/16',
      orchestratorSubnets: [subnet('1', 'ap-south-1a', '10.0.1.0/24')],
      stagingSubnets: [subnet('2', 'ap-south-1a', '10.0.2.0/24')],
      endpointSubnets: [subnet('3', 'ap-south-1a', '10.0.3.0/26')],
      targetSubnets: { test: [subnet('4', 'ap-south-1a', '10.0.4.0/24')], cutover: [subnet('5', 'ap-south-1a', '10.0.5.0/24')] },
      ...extra,
    };
  };

  it('requires targetSubnets in an existing VPC, saying what to give, alongside every other problem', () => {
    const { targetSubnets: _unused, ...withoutTargets } = existingNetwork();
    const problems = problemsOf({ ...minimal, region: 'mars-1', network: withoutTargets });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^region: "mars-1" is not an AWS region code/),
        expect.stringMatching(
          /^network\.targetSubnets: is required in mode "existing": give \{ "test": \[subnet…\], "cutover": \[subnet…\] \}, each subnet \{ subnetId, availabilityZone, routeTableId, cidr \}/,
        ),
      ]),
    );
    expect(parseDeployConfig({ ...minimal, network: existingNetwork() }).network).toMatchObject({
      targetSubnets: { test: [{ subnetId: 'subnet-00000004' }], cutover: [{ subnetId: 'subnet-00000005' }] },
    });
  });

  it('checks each target subnet like the other tiers: fields, zone in the region, each subnet once, at least one per tier', () => {
    const good = existingNetwork().targetSubnets;
    const problems = problemsOf({
      ...minimal,
      network: existingNetwork({
        targetSubnets: {
          test: [good.test[0], { ...good.test[0] }, { ...good.test[0], subnetId: 'subnet-00000009', availabilityZone: 'eu-west-1a', routeTableId: 'rt-1' }],
          cutover: [],
          standby: [],
        },
      }),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'network.targetSubnets.standby: unknown field; remove it or fix its spelling',
        expect.stringMatching(/^network\.targetSubnets\.test\[2\]\.routeTableId: "rt-1" is not a route table id/),
        'network.targetSubnets.cutover: give at least one cutover subnet (where MGN launches cutover instances)',
      ]),
    );
    const located = problemsOf({
      ...minimal,
      network: existingNetwork({
        targetSubnets: { test: [good.test[0], { ...good.test[0] }], cutover: [{ ...good.cutover[0], availabilityZone: 'eu-west-1a' }] },
      }),
    });
    expect(located).toEqual([
      'network.targetSubnets.cutover[0].availabilityZone: "eu-west-1a" is not in region ap-south-1',
      'network.targetSubnets.test[1].subnetId: subnet-00000004 is already targetSubnets.test[0]; list each subnet once',
    ]);
  });

  it('refuses a new VPC CIDR that AWS refuses or that cannot hold every subnet tier, with the fix', () => {
    const newVpc = (cidr: string, availabilityZones = ['ap-south-1a', 'ap-south-1b']) => ({ ...minimal, network: { mode: 'new', cidr, availabilityZones } });
    expect(problemsOf(newVpc('10.0.0.0/8'))).toEqual(['network.cidr: a VPC CIDR block must be /16 to /28 (AWS limit), got /8']);
    expect(problemsOf(newVpc('10.40.3.0/20'))).toEqual(['network.cidr: 10.40.3.0/20 has host bits set; use 10.40.0.0/20']);
    expect(problemsOf(newVpc('10.40.0.0/21', ['ap-south-1a', 'ap-south-1b', 'ap-south-1c']))).toEqual([
      'network.cidr: 10.40.0.0/21 is too small for 3 availability zone(s): the orchestrator, staging, endpoint, test and cutover subnets need a /19 or larger',
    ]);
    expect(() => parseDeployConfig(newVpc('10.40.0.0/19', ['ap-south-1a', 'ap-south-1b', 'ap-south-1c']))).not.toThrow();
  });

  it('says which file is unreadable or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "region": ');
    expect(() => loadDeployConfig(broken)).toThrow(/broken\.json is invalid[\s\S]*\(file\): is not valid JSON/);
    expect(() => loadDeployConfig(join(dir, 'missing.json'))).toThrow(/missing\.json is invalid[\s\S]*\(file\): cannot be read/);
  });
});

describe('deploy config: launchInstanceProfiles (instance profiles of your own that waves may name)', () => {
  it('defaults to none, and takes each profile with the role it holds', () => {
    expect(parseDeployConfig(minimal).launchInstanceProfiles).toEqual([]);
    const profiles = [{ name: 'AppServerProfile', roleArn: 'arn:aws:iam::111122223333:role/apps/AppServerRole' }];
    expect(parseDeployConfig({ ...minimal, launchInstanceProfiles: profiles }).launchInstanceProfiles).toEqual(profiles);
  });

  it('refuses a bad name, a role that is no role ARN and a missing role, naming each field', () => {
    const problems = problemsOf({
      ...minimal,
      launchInstanceProfiles: [
        { name: 'bad name', roleArn: 'arn:aws:iam::111122223333:role/AppServerRole' },
        { name: 'AppServerProfile', roleArn: 'arn:aws:iam::111122223333:instance-profile/AppServerProfile' },
        { name: 'NoRole' },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^launchInstanceProfiles\[0\]\.name: .*an IAM instance profile name/),
      expect.stringMatching(/^launchInstanceProfiles\[1\]\.roleArn: .* is not an IAM role ARN .*aws iam get-instance-profile/),
      expect.stringMatching(/^launchInstanceProfiles\[2\]\.roleArn: /),
    ]);
  });

  it('refuses a profile listed twice and a role of another account than the stack\'s', () => {
    const problems = problemsOf({
      ...minimal,
      account: '111122223333',
      launchInstanceProfiles: [
        { name: 'AppServerProfile', roleArn: 'arn:aws:iam::111122223333:role/AppServerRole' },
        { name: 'AppServerProfile', roleArn: 'arn:aws:iam::111122223333:role/AppServerRole' },
        { name: 'Other', roleArn: 'arn:aws:iam::444455556666:role/AppServerRole' },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^launchInstanceProfiles\[1\]\.name: "AppServerProfile" is already launchInstanceProfiles\[0\]/),
      expect.stringMatching(/^launchInstanceProfiles\[2\]\.roleArn: .* is in account 444455556666, not 111122223333/),
    ]);
  });
});

describe('deploy config: approvers and API access (issue 12 items 1 and 4)', () => {
  const regional = (allowedSourceCidrs?: string[]) => ({ ...minimal, api: { enabled: true, endpointType: 'REGIONAL', ...(allowedSourceCidrs ? { allowedSourceCidrs } : {}) } });

  it('requires approvers while the API is enabled, naming the field and the fix', () => {
    const { approvers: _unused, ...withoutApprovers } = minimal;
    expect(problemsOf(withoutApprovers)).toEqual([expect.stringMatching(/^approvers: is required while the API is enabled .*role\/MigrationApprover.*api\.enabled to false/)]);
    expect(parseDeployConfig({ ...withoutApprovers, api: { enabled: false } }).approvers).toBeUndefined();
    expect(problemsOf({ ...minimal, approvers: [] })).toEqual([expect.stringMatching(/^approvers: give at least one approver/)]);
  });

  it('takes IAM role (with path) and user ARNs, and refuses sessions, wildcards, duplicates and other accounts', () => {
    const arns = ['arn:aws:iam::111122223333:role/ops/ChangeManager', 'arn:aws:iam::111122223333:user/alice', 'arn:aws-us-gov:iam::111122223333:role/Approver'];
    expect(parseDeployConfig({ ...minimal, approvers: arns }).approvers).toEqual(arns);
    const problems = problemsOf({
      ...minimal,
      account: '111122223333',
      approvers: [
        'arn:aws:sts::111122223333:assumed-role/MigrationApprover/alice',
        'arn:aws:iam::111122223333:role/*',
        'alice@example.com',
        APPROVER,
        APPROVER,
        'arn:aws:iam::444455556666:role/MigrationApprover',
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^approvers\[0\]: .* is one session of role MigrationApprover; give the role's ARN/),
      expect.stringMatching(/^approvers\[1\]: .* is not an IAM role or user ARN .*no wildcards/),
      expect.stringMatching(/^approvers\[2\]: "alice@example.com" is not an IAM role or user ARN/),
      expect.stringMatching(/^approvers\[4\]: .* is already approvers\[3\]/),
      expect.stringMatching(/^approvers\[5\]: .* is in account 444455556666; the API admits only principals of the stack's account \(111122223333\)/),
    ]);
  });

  it('requires the callers\' public address ranges for a REGIONAL API, and refuses ranges it would never see', () => {
    expect(problemsOf(regional())).toEqual([expect.stringMatching(/^api\.allowedSourceCidrs: is required for a REGIONAL API, which is reachable from the internet: .*endpointType "PRIVATE"/)]);
    expect(parseDeployConfig(regional(['203.0.113.0/24', '198.51.100.7/32'])).api.allowedSourceCidrs).toEqual(['203.0.113.0/24', '198.51.100.7/32']);
    expect(problemsOf(regional(['10.1.0.0/16', '172.20.0.0/16', '192.168.1.0/24', '0.0.0.0/0', '203.0.113.0/24', 'anywhere']))).toEqual([
      expect.stringMatching(/^api\.allowedSourceCidrs\[5\]: "anywhere" is not an IPv4 CIDR block/),
      expect.stringMatching(/^api\.allowedSourceCidrs\[0\]: "10\.1\.0\.0\/16" is a private range, and a REGIONAL API sees the public address/),
      expect.stringMatching(/^api\.allowedSourceCidrs\[1\]: "172\.20\.0\.0\/16" is a private range/),
      expect.stringMatching(/^api\.allowedSourceCidrs\[2\]: "192\.168\.1\.0\/24" is a private range/),
      expect.stringMatching(/^api\.allowedSourceCidrs\[3\]: "0\.0\.0\.0\/0" is the whole internet/),
    ]);
    // a PRIVATE API may narrow its callers by their private addresses (aws:VpcSourceIp)
    expect(parseDeployConfig({ ...minimal, api: { enabled: true, endpointType: 'PRIVATE', allowedSourceCidrs: ['10.10.0.0/16'] } }).api.allowedSourceCidrs).toEqual(['10.10.0.0/16']);
  });

  it('reports approver problems together with the other problems of the file', () => {
    const { approvers: _unused, ...withoutApprovers } = minimal;
    const problems = problemsOf({ ...withoutApprovers, region: 'mars-1' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^region: /), expect.stringMatching(/^approvers: is required/)]));
  });
});

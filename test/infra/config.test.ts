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

const minimal = {
  region: 'ap-south-1',
  network: { mode: 'new', cidr: '10.40.0.0/16', availabilityZones: ['ap-south-1a'] },
  sourceCidrs: ['10.10.0.0/16'],
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
      },
    });
    expect(problems).toEqual([
      'network.endpointSubnets[1].availabilityZone: ap-south-1a already has endpointSubnets[0]; give one endpoint subnet per availability zone',
    ]);
  });

  it('says which file is unreadable or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "region": ');
    expect(() => loadDeployConfig(broken)).toThrow(/broken\.json is invalid[\s\S]*\(file\): is not valid JSON/);
    expect(() => loadDeployConfig(join(dir, 'missing.json'))).toThrow(/missing\.json is invalid[\s\S]*\(file\): cannot be read/);
  });
});

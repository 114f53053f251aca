import { join } from 'node:path';
import { loadDeployConfig, parseDeployConfig } from '../../infra/config';
import { SUBNET_TIERS, subnetLayout } from '../../infra/subnet-layout';
import { repoRoot } from './synth';

const example = (name: string) => loadDeployConfig(join(repoRoot, 'examples', 'deploy', `${name}.json`));

describe('subnetLayout', () => {
  it('lays a new VPC out tier by tier, one subnet per AZ, the test and cutover tiers after the original three', () => {
    expect(subnetLayout(example('cross-region'))).toEqual({
      // where CDK put the first three tiers before test/cutover existed: a deployed stack keeps its subnets
      orchestrator: [
        { availabilityZone: 'ap-south-1a', cidr: '10.40.0.0/24' },
        { availabilityZone: 'ap-south-1b', cidr: '10.40.1.0/24' },
      ],
      staging: [
        { availabilityZone: 'ap-south-1a', cidr: '10.40.2.0/24' },
        { availabilityZone: 'ap-south-1b', cidr: '10.40.3.0/24' },
      ],
      endpoints: [
        { availabilityZone: 'ap-south-1a', cidr: '10.40.4.0/26' },
        { availabilityZone: 'ap-south-1b', cidr: '10.40.4.64/26' },
      ],
      test: [
        { availabilityZone: 'ap-south-1a', cidr: '10.40.8.0/22' },
        { availabilityZone: 'ap-south-1b', cidr: '10.40.12.0/22' },
      ],
      cutover: [
        { availabilityZone: 'ap-south-1a', cidr: '10.40.16.0/22' },
        { availabilityZone: 'ap-south-1b', cidr: '10.40.20.0/22' },
      ],
    });
  });

  it('aligns each block to its size and keeps the AZ order of the config', () => {
    const layout = subnetLayout(
      parseDeployConfig({
        region: 'eu-west-1',
        network: { mode: 'new', cidr: '172.20.64.0/18', availabilityZones: ['eu-west-1c', 'eu-west-1a', 'eu-west-1b'] },
        sourceCidrs: ['10.0.0.0/8'],
        approvers: ['arn:aws:iam::111122223333:role/MigrationApprover'],
        s3PrefixListId: 'pl-6da54004',
      }),
    );
    expect(layout.endpoints).toEqual([
      { availabilityZone: 'eu-west-1c', cidr: '172.20.70.0/26' },
      { availabilityZone: 'eu-west-1a', cidr: '172.20.70.64/26' },
      { availabilityZone: 'eu-west-1b', cidr: '172.20.70.128/26' },
    ]);
    // launch tiers are /22, aligned: 172.20.71.0 is skipped to start on a /22 boundary
    expect(layout.test.map((s) => s.cidr)).toEqual(['172.20.72.0/22', '172.20.76.0/22', '172.20.80.0/22']);
    expect(layout.cutover.map((s) => s.cidr)).toEqual(['172.20.84.0/22', '172.20.88.0/22', '172.20.92.0/22']);
  });

  it('gives the subnets of an existing VPC as configured, ids included', () => {
    const config = example('on-premises');
    const layout = subnetLayout(config);
    expect(Object.keys(layout)).toEqual([...SUBNET_TIERS]);
    if (config.network.mode !== 'existing') throw new Error('on-premises example is an existing VPC');
    expect(layout.test).toEqual(config.network.targetSubnets.test);
    expect(layout.cutover).toEqual(config.network.targetSubnets.cutover);
    expect(layout.orchestrator).toEqual(config.network.orchestratorSubnets);
  });
});

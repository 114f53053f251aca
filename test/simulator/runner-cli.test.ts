import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/commands/simulate';
import { defaultDeployConfig, moveDeployConfig } from '../../simulator/network';

const good = {
  waveId: 'wave-1',
  targetRegion: 'eu-west-1',
  endpoints: {
    mgn: 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.eu-west-1.vpce.amazonaws.com',
    s3: 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com',
  },
  servers: [{ name: 'web-1', os: 'linux', source: { type: 'ec2', instanceId: 'i-0123456789abcdef0', region: 'ap-southeast-1' } }],
};

describe('mgnctl simulate: input checks', () => {
  let dir: string;
  let errors: string[];
  let logs: string[];
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    errors = [];
    logs = [];
    jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints help and exits 0', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(logs.join('\n')).toMatch(/usage: mgnctl simulate <manifest>\.\.\. \[--scenario FILE\] \[--deploy-config FILE\] \[--seed N\] \[--out DIR\]/);
  });

  it('exits 2 without a manifest', async () => {
    expect(await run([])).toBe(2);
    expect(errors.join('\n')).toMatch(/give at least one wave manifest/);
  });

  it('exits 2 naming every problem of every manifest and of the scenario', async () => {
    const bad = file('bad.json', { ...good, waveId: 'bad wave', servers: [{ ...good.servers[0], os: 'solaris' }], colour: 'blue' });
    const notJson = file('broken.json', '{ "waveId": ');
    const scenario = file('scenario.json', { servers: { 'web-1': { fault: 'melts' } }, throttle: { rate: 2 } });
    const code = await run([bad, notJson, '--scenario', scenario, '--seed', 'x', '--colour']);
    expect(code).toBe(2);
    const text = errors.join('\n');
    expect(text).toContain(`${bad}: waveId:`);
    expect(text).toContain(`${bad}: servers[0].os: "solaris" is not an OS`);
    expect(text).toContain(`${bad}: colour: unknown field`);
    expect(text).toMatch(new RegExp(`${notJson.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON at line 1, column \\d+`));
    expect(text).toContain(`${scenario}: servers.web-1.fault: "melts" is not a fault`);
    expect(text).toContain(`${scenario}: throttle.rate: rate must be 0..1`);
    expect(text).toContain('--seed: "x" is not an integer');
    expect(text).toContain('--colour: unknown option');
  });

  it('exits 2 when the scenario names a server that is in no manifest', async () => {
    const m = file('wave.json', good);
    const scenario = file('scenario.json', { servers: { 'web-9': { fault: 'install-fails' } } });
    expect(await run([m, '--scenario', scenario])).toBe(2);
    expect(errors.join('\n')).toContain(`${scenario}: servers.web-9: no manifest has a server named "web-9"`);
  });

  it('exits 2 for two manifests with one waveId, or a missing file', async () => {
    const a = file('a.json', good);
    const b = file('b.json', good);
    expect(await run([a, b])).toBe(2);
    expect(errors.join('\n')).toMatch(/waveId "wave-1" is also the waveId of manifest 1/);
    errors.length = 0;
    expect(await run([join(dir, 'missing.json')])).toBe(2);
    expect(errors.join('\n')).toMatch(/cannot read manifest \S*missing\.json: no such file/);
  });

  it('exits 2 naming every problem of a bad --deploy-config', async () => {
    const m = file('wave.json', good);
    const config = file('deploy.json', { region: 'eu-west-1', network: { mode: 'existing', vpcId: 'vpc-1' }, sourceCidrs: ['10.0.0.0/8'], logRetentionDays: 2 });
    expect(await run([m, '--deploy-config', config])).toBe(2);
    const text = errors.join('\n');
    expect(text).toContain(`${config}: network.vpcId: "vpc-1" is not a VPC id`);
    expect(text).toContain(`${config}: network.vpcCidr: is required`);
    expect(text).toContain(`${config}: network.orchestratorSubnets: is required`);
    expect(text).toContain(`${config}: logRetentionDays: 2 is not a CloudWatch Logs retention`);
    errors.length = 0;
    expect(await run([m, '--deploy-config', join(dir, 'missing.json')])).toBe(2);
    expect(errors.join('\n')).toMatch(/missing\.json: \(file\): cannot be read/);
  });

  it('exits 2 when the deploy config deploys to another region than the manifests target, naming both', async () => {
    const m = file('wave.json', good);
    expect(await run([m])).toBe(2);
    expect(errors.join('\n')).toMatch(/the default deploy config \(\S+cross-region\.json\): deploys to ap-south-1 but the manifests target eu-west-1; give --deploy-config FILE with "region": "eu-west-1"/);
  });

  it('exits 2 when the scenario\'s network additions do not fit the deploy config\'s network', async () => {
    const m = file('wave.json', good);
    const config = file('deploy.json', moveDeployConfig(defaultDeployConfig(), 'eu-west-1'));
    const scenario = file('scenario.json', { network: { subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '10.40.9.0/24', availabilityZone: 'eu-west-1a' }] } });
    expect(await run([m, '--deploy-config', config, '--scenario', scenario])).toBe(2);
    expect(errors.join('\n')).toMatch(new RegExp(`${scenario.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: network\\.subnets\\[0\\]\\.cidr: 10\\.40\\.9\\.0/24 overlaps subnet subnet-[0-9a-f]{17}`));
  });
});

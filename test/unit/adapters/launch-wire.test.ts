/**
 * The launch-settings and network requests as they leave the real SDK clients, on the wire, held to
 * the official botocore models (the emulator holds its answers to the same models): every query key
 * and JSON member must be one the model defines, so adapter and emulator meet exactly.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client } from '@aws-sdk/client-ec2';
import { MgnClient } from '@aws-sdk/client-mgn';
import { SdkEc2Port } from '../../../functions/lib/adapters/ec2';
import { SdkMgnPort } from '../../../functions/lib/adapters/mgn';
import type { LaunchTemplateChange } from '../../../functions/lib/ports';
import { checkJson, loadModel, type Model } from '../../simulator/aws-model';

const CUTOVER_CHANGE: LaunchTemplateChange = {
  networkInterface: { subnetId: 'subnet-0c0000000000000c2', groups: ['sg-0a1b2c3d4e5f60001', 'sg-0b0000000000000b2'], privateIpAddress: '10.20.12.40' },
  instanceType: 'm6i.xlarge',
  instanceProfileName: 'MgnOrchestratorLaunchedInstance',
  tagSpecifications: [
    { resourceType: 'instance', tags: { Project: 'atlas' } },
    { resourceType: 'volume', tags: { Project: 'atlas' } },
  ],
  description: 'mgn-orchestrator: cutover launch of wave wave-7',
};

interface Recorded {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

async function recordingServer(answer: (req: Recorded) => { type: string; body: string }): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const recorded = { path: req.url ?? '', headers: req.headers, body };
      requests.push(recorded);
      const reply = answer(recorded);
      res.writeHead(200, { 'content-type': reply.type });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };

/**
 * The problems of an EC2 query request (Action=…&Version=…&a.b.1.c=…) against the operation's input
 * shape in the model: every key must name a member (queryName, else capitalised locationName, else
 * the member name; lists as Name.N), and required members must be there.
 */
function checkEc2Query(model: Model, body: string): string[] {
  const params = new URLSearchParams(body);
  const action = params.get('Action')!;
  const op = model.operations[action];
  if (!op) return [`no operation ${action}`];
  const problems: string[] = [];
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const wireName = (name: string, m: { queryName?: string; locationName?: string }) => m.queryName ?? (m.locationName ? cap(m.locationName) : name);
  const seen = new Set<string>();
  for (const [key] of params) {
    if (key === 'Action' || key === 'Version') continue;
    let shape = model.shapes[op.input!.shape] as Model['shapes'][string] & { member?: { shape: string } };
    const segments = key.split('.');
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (shape.type === 'list') {
        if (!/^[1-9][0-9]*$/.test(seg)) problems.push(`${key}: list index expected at ${seg}`);
        shape = model.shapes[shape.member!.shape];
        continue;
      }
      const entry = Object.entries(shape.members ?? {}).find(([name, m]) => wireName(name, m as never) === seg);
      if (!entry) {
        problems.push(`${key}: ${seg} is not a member`);
        break;
      }
      if (i === 0) seen.add(entry[0]);
      shape = model.shapes[entry[1].shape];
    }
  }
  for (const req of model.shapes[op.input!.shape].required ?? []) if (!seen.has(req)) problems.push(`${action}: required ${req} missing`);
  return problems;
}

describe('on the wire, held to the botocore models', () => {
  const EC2_XML = (action: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId>${inner}</${action}Response>`;

  it('EC2: CreateLaunchTemplateVersion, ModifyLaunchTemplate (SetDefaultVersion), DescribeLaunchTemplateVersions, DescribeSubnets', async () => {
    const ec2Model = loadModel('ec2-2016-11-15');
    const { url, requests, server } = await recordingServer((req) => {
      const action = new URLSearchParams(req.body).get('Action')!;
      const inner =
        action === 'CreateLaunchTemplateVersion'
          ? '<launchTemplateVersion><launchTemplateId>lt-0123456789abcdef0</launchTemplateId><versionNumber>4</versionNumber></launchTemplateVersion>'
          : action === 'DescribeLaunchTemplateVersions'
            ? '<launchTemplateVersionSet><item><launchTemplateId>lt-0123456789abcdef0</launchTemplateId><versionNumber>3</versionNumber><defaultVersion>true</defaultVersion><launchTemplateData><instanceType>c5.large</instanceType></launchTemplateData></item></launchTemplateVersionSet>'
            : action === 'DescribeSubnets'
              ? '<subnetSet/>'
              : '<launchTemplate/>';
      return { type: 'text/xml', body: EC2_XML(action, inner) };
    });
    try {
      const port = new SdkEc2Port(new EC2Client({ region: 'eu-west-1', endpoint: url, credentials, maxAttempts: 1 }));
      expect(await port.describeDefaultLaunchTemplateVersion('lt-0123456789abcdef0')).toMatchObject({ versionNumber: 3, instanceType: 'c5.large' });
      expect(await port.createLaunchTemplateVersion('lt-0123456789abcdef0', 3, CUTOVER_CHANGE)).toBe(4);
      await port.setDefaultLaunchTemplateVersion('lt-0123456789abcdef0', 4);
      await port.describeSubnets(['subnet-0c0000000000000c2']);
    } finally {
      server.close();
    }
    const bodies = requests.map((r) => new URLSearchParams(r.body));
    expect(bodies.map((b) => b.get('Action'))).toEqual(['DescribeLaunchTemplateVersions', 'CreateLaunchTemplateVersion', 'ModifyLaunchTemplate', 'DescribeSubnets']);
    for (const r of requests) expect(checkEc2Query(ec2Model, r.body)).toEqual([]);
    // the check itself can fail: the member is DefaultVersion, its wire name SetDefaultVersion
    expect(checkEc2Query(ec2Model, 'Action=ModifyLaunchTemplate&Version=2016-11-15&DefaultVersion=4')).toEqual(['DefaultVersion: DefaultVersion is not a member']);
    expect(checkEc2Query(ec2Model, 'Action=CreateLaunchTemplateVersion&Version=2016-11-15&LaunchTemplateId=lt-1')).toEqual(['CreateLaunchTemplateVersion: required LaunchTemplateData missing']);
    expect(bodies[0].get('LaunchTemplateVersion.1')).toBe('$Default');
    expect(Object.fromEntries([...bodies[1]].filter(([k]) => k.startsWith('LaunchTemplateData.NetworkInterface.1.')))).toEqual({
      'LaunchTemplateData.NetworkInterface.1.DeviceIndex': '0',
      'LaunchTemplateData.NetworkInterface.1.SubnetId': 'subnet-0c0000000000000c2',
      'LaunchTemplateData.NetworkInterface.1.SecurityGroupId.1': 'sg-0a1b2c3d4e5f60001',
      'LaunchTemplateData.NetworkInterface.1.SecurityGroupId.2': 'sg-0b0000000000000b2',
      'LaunchTemplateData.NetworkInterface.1.PrivateIpAddress': '10.20.12.40',
      'LaunchTemplateData.NetworkInterface.1.AssociatePublicIpAddress': 'false',
      'LaunchTemplateData.NetworkInterface.1.DeleteOnTermination': 'true',
    });
    expect([...bodies[1].keys()].some((k) => /^LaunchTemplateData\.(KeyName|SecurityGroupId|SecurityGroup)\b/.test(k))).toBe(false);
    expect(bodies[2].get('SetDefaultVersion')).toBe('4');
    expect(bodies[3].get('Filter.1.Name')).toBe('subnet-id');
  });

  it('MGN: UpdateLaunchConfiguration and GetLaunchConfiguration bodies are members of the model (restJson1)', async () => {
    const mgnModel = loadModel('mgn-2020-02-26');
    const { url, requests, server } = await recordingServer(() => ({ type: 'application/json', body: JSON.stringify({ sourceServerID: 's-0123456789abcdef0', ec2LaunchTemplateID: 'lt-0123456789abcdef0' }) }));
    try {
      const port = new SdkMgnPort(new MgnClient({ region: 'eu-west-1', endpoint: url, credentials, maxAttempts: 1 }));
      await port.getLaunchConfiguration('s-0123456789abcdef0');
      await port.updateLaunchConfiguration('s-0123456789abcdef0', {
        launchDisposition: 'STARTED',
        rightSizing: 'BASIC',
        copyPrivateIp: true,
        copyTags: true,
        bootMode: 'USE_SOURCE',
        postLaunchActions: { deployment: 'TEST_AND_CUTOVER' },
      });
    } finally {
      server.close();
    }
    expect(requests.map((r) => r.path)).toEqual(['/GetLaunchConfiguration', '/UpdateLaunchConfiguration']);
    expect(checkJson(mgnModel, 'GetLaunchConfigurationRequest', JSON.parse(requests[0].body))).toEqual([]);
    const update = JSON.parse(requests[1].body);
    expect(checkJson(mgnModel, 'UpdateLaunchConfigurationRequest', update)).toEqual([]);
    expect(update).toEqual({
      sourceServerID: 's-0123456789abcdef0',
      launchDisposition: 'STARTED',
      targetInstanceTypeRightSizingMethod: 'BASIC',
      copyPrivateIp: true,
      copyTags: true,
      bootMode: 'USE_SOURCE',
      postLaunchActions: { deployment: 'TEST_AND_CUTOVER' },
    });
  });
});

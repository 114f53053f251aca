/**
 * The isolated network's boundary at the endpoints (issue 12 items 5-7), on both example configs:
 * - endpoint policies refuse resources of other accounts (aws:ResourceAccount), with the documented
 *   exceptions only, and a credential of this account cannot publish to, assume a role in or write
 *   to another account through them (evaluated with iam-simulate, as test/iam does);
 * - the endpoints sit in three security groups: the source servers reach only the agent's and Run
 *   Command's endpoints, the orchestrator's AWS APIs admit only the orchestrator subnets;
 * - replication servers send TCP 443 only to the endpoints and the S3 prefix list, and a deploy
 *   config without s3PrefixListId is refused, naming the field and how to find the value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeployConfig } from '../../infra/config';
import { ENDPOINT_GROUPS, endpointGroupOf, type EndpointGroupName, type EndpointServiceName } from '../../infra/constructs/service-endpoints';
import { InvalidInputError } from '../../functions/lib/validation';
import { evaluate as evaluateRequest } from '../iam/evaluate';
import type { PolicyDocument } from '../iam/stack-policies';
import { evaluate as deployTime } from './intrinsics';
import { logicalId, repoRoot, synthExample, type Synthesised } from './synth';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const OTHER_ACCOUNT = '999988887777';

describe.each(['cross-region', 'on-premises'] as const)('%s: endpoint policies and groups', (config) => {
  let s: Synthesised;
  beforeAll(() => {
    s = synthExample(config);
  });
  const account = () => (config === 'on-premises' ? '111122223333' : { Ref: 'AWS::AccountId' });
  const endpoints = () =>
    Object.entries(s.json.Resources)
      .filter(([, r]) => r.Type === 'AWS::EC2::VPCEndpoint')
      .map(([id, r]) => ({
        id,
        service: (r.Properties!.VpcEndpointType === 'Gateway' ? 's3' : String(r.Properties!.ServiceName).split('.').pop()!) as EndpointServiceName,
        type: r.Properties!.VpcEndpointType as string,
        statements: (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement,
        groups: r.Properties!.SecurityGroupIds as unknown[],
      }));

  it('pins every statement of this account to resources of this account, except the documented ones', () => {
    const exceptions: string[] = [];
    for (const e of endpoints())
      for (const st of e.statements) {
        const cond = st.Condition?.StringEquals ?? {};
        if (cond['aws:ResourceAccount'] !== undefined) {
          expect(cond['aws:ResourceAccount']).toEqual(account());
          expect(cond['aws:PrincipalAccount']).toEqual(account());
          continue;
        }
        exceptions.push(`${e.type === 'Gateway' ? 's3-gateway' : e.service} ${st.Sid} ${list(st.Action).join(',')} ${JSON.stringify(st.Resource)}`);
      }
    const documented = (line: string) =>
      // mgn, ssmmessages, ec2messages: service-owned resources, no resource policies (service-endpoints.ts)
      /^mgn MgnFromThisAccount mgn:\* "\*"$/.test(line) ||
      /^mgn AgentSession execute-api:Invoke "arn:aws:execute-api:[a-z0-9-]+:\*:\*\/POST\/CreateSessionForMgn"$/.test(line) ||
      /^(ssmmessages|ec2messages) ThisAccountOnly (ssmmessages|ec2messages):\* "\*"$/.test(line) ||
      // xray: PutTraceSegments/PutTelemetryRecords have no resource type and write to the caller's own account
      /^xray ThisAccountOnly xray:\* "\*"$/.test(line) ||
      // AWS-owned SSM documents and public parameters (no account in their ARNs)
      /^ssm AwsOwnedDocumentsAndPublicParameters \S+ \["arn:aws:ssm:[a-z0-9-]+::document\/\*","arn:aws:ssm:[a-z0-9-]+::parameter\/aws\/\*"\]$/.test(line) ||
      // the EC2 actions IAM documents without aws:ResourceAccount
      /^ec2 ActionsWithoutResourceAccount ec2:CreateVolume,ec2:CopySnapshot,ec2:CopyImage "\*"$/.test(line) ||
      // the AWS-owned MGN (and AL2023) buckets, read only
      /^(s3|s3-gateway) (MgnBuckets|MgnAndAl2023Buckets) s3:GetObject \[("arn:aws:s3:::(aws-application-migration-service|aws-mgn-|al2023-repos-)[^"]+\/\*",?)+\]$/.test(line);
    expect(exceptions.filter((line) => !documented(line))).toEqual([]);
    // the pinned services really are pinned
    const pinned = endpoints().filter((e) => e.statements.every((st) => st.Condition?.StringEquals?.['aws:ResourceAccount'] !== undefined));
    expect(pinned.map((e) => e.service).sort()).toEqual(
      (['events', 'kms', 'logs', 'servicequotas', 'sns', 'states', 'sts', ...(config === 'cross-region' ? ['execute-api'] : [])] as string[]).sort(),
    );
  });

  describe('a credential of this account, allowed everything by its own policies, through the endpoints', () => {
    const sampleValues = {
      ref: (name: string) => (name === 'AWS::AccountId' ? '111122223333' : name === 'AWS::Partition' ? 'aws' : name === 'AWS::Region' ? s.config.region : `${name.toLowerCase()}-ref`),
      getAtt: (resource: string, attribute: string) =>
        attribute === 'Arn' && resource === logicalId(s.stack, s.stack.store.bucket) ? 'arn:aws:s3:::wave-bucket' : `${resource}.${attribute}`,
    };
    const policyOf = (service: string, type = 'Interface'): PolicyDocument => {
      const e = endpoints().find((x) => x.service === service && x.type === type)!;
      const doc = deployTime({ Version: '2012-10-17', Statement: e.statements }, sampleValues) as PolicyDocument;
      for (const st of doc.Statement as { Principal?: unknown }[]) if (JSON.stringify(st.Principal) === '{"AWS":"*"}') st.Principal = '*';
      return doc;
    };
    const decide = (service: string, action: string, resource: string, resourceAccount: string, type = 'Interface', resourcePolicy?: PolicyDocument) =>
      evaluateRequest(
        { action, resource, resourceAccount, context: {} },
        {
          principal: 'arn:aws:sts::111122223333:assumed-role/step-role/session',
          principalAccount: '111122223333',
          policies: [{ name: 'everything', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } as PolicyDocument }],
          endpointPolicy: { name: `${service}-endpoint`, document: policyOf(service, type) },
          ...(resourcePolicy ? { resourcePolicy } : {}),
        },
      ).then((d) => d.allowed);
    const region = () => s.config.region;
    const admitAnyone = (action: string, resource: string) =>
      ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: action, Resource: resource }] }) as unknown as PolicyDocument;

    it.each([
      ['sns', 'sns:Publish', (r: string, a: string) => `arn:aws:sns:${r}:${a}:exfiltrate`],
      ['sts', 'sts:AssumeRole', (_r: string, a: string) => `arn:aws:iam::${a}:role/foreign`],
      ['states', 'states:DescribeExecution', (r: string, a: string) => `arn:aws:states:${r}:${a}:execution:flow:run-1`],
      ['events', 'events:PutEvents', (r: string, a: string) => `arn:aws:events:${r}:${a}:event-bus/foreign`],
      ['logs', 'logs:PutLogEvents', (r: string, a: string) => `arn:aws:logs:${r}:${a}:log-group:foreign:log-stream:x`],
      ['ssm', 'ssm:PutParameter', (r: string, a: string) => `arn:aws:ssm:${r}:${a}:parameter/shared`],
    ] as const)('cannot reach another account through the %s endpoint (%s), but can reach its own', async (service, action, arn) => {
      // the other account is the attacker's: its resource policy admits anyone, so only the endpoint can refuse
      const foreign = arn(region(), OTHER_ACCOUNT);
      await expect(decide(service, action, foreign, OTHER_ACCOUNT, 'Interface', admitAnyone(action, foreign))).resolves.toBe(false);
      await expect(decide(service, action, arn(region(), '111122223333'), '111122223333')).resolves.toBe(true);
    });

    it.each(['Interface', 'Gateway'])('cannot write to another account\'s bucket through the S3 %s endpoint, can read the AWS-owned installer', async (type) => {
      await expect(decide('s3', 's3:PutObject', 'arn:aws:s3:::foreign-bucket/loot', OTHER_ACCOUNT, type, admitAnyone('s3:PutObject', 'arn:aws:s3:::foreign-bucket/*'))).resolves.toBe(false);
      await expect(decide('s3', 's3:PutObject', 'arn:aws:s3:::wave-bucket/waves/w/run.json', '111122223333', type)).resolves.toBe(true);
      const installer = `arn:aws:s3:::aws-application-migration-service-${region()}/latest/linux/aws-replication-installer-init`;
      // the MGN bucket is AWS's, readable by anyone (its own bucket policy)
      const publicRead = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${installer.split('/')[0]}/*` }] } as unknown as PolicyDocument;
      await expect(decide('s3', 's3:GetObject', installer, '000000000000', type, publicRead)).resolves.toBe(true);
    });

    it('can still run an AWS-owned SSM document', async () => {
      await expect(decide('ssm', 'ssm:SendCommand', `arn:aws:ssm:${region()}::document/AWS-RunShellScript`, '111122223333')).resolves.toBe(true);
    });
  });

  describe('security groups of the endpoints', () => {
    const groupId = (g: EndpointGroupName) => logicalId(s.stack, s.stack.endpoints.securityGroups[g]);
    const cidrIngress = (g: EndpointGroupName) =>
      (s.json.Resources[groupId(g)].Properties!.SecurityGroupIngress as { CidrIp: string; FromPort: number; ToPort: number }[]).map((r) => r.CidrIp).sort();
    const groupIngress = (g: EndpointGroupName) =>
      Object.values(s.json.Resources)
        .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify(r.Properties!.GroupId) === JSON.stringify({ 'Fn::GetAtt': [groupId(g), 'GroupId'] }))
        .map((r) => (r.Properties!.SourceSecurityGroupId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0])
        .sort();

    it('puts each endpoint behind the group of its users', () => {
      for (const e of endpoints().filter((x) => x.type === 'Interface'))
        expect({ service: e.service, groups: e.groups }).toEqual({ service: e.service, groups: [{ 'Fn::GetAtt': [groupId(endpointGroupOf(e.service)), 'GroupId'] }] });
      expect([...ENDPOINT_GROUPS.hosts]).toEqual(['mgn', 's3', 'ssm', 'ssmmessages', 'ec2messages', 'execute-api']);
    });

    it('opens the orchestrator-only endpoints to the orchestrator subnets and the Lambdas alone', () => {
      expect(cidrIngress('orchestrator')).toEqual([...s.stack.network.orchestrator.cidrs].sort());
      expect(groupIngress('orchestrator')).toEqual([logicalId(s.stack, s.stack.functions.securityGroup)]);
    });

    it('opens the EC2 endpoint to the staging and orchestrator subnets (replication servers and Lambdas) alone', () => {
      expect(cidrIngress('ec2')).toEqual([...s.stack.network.staging.cidrs, ...s.stack.network.orchestrator.cidrs].sort());
      expect(groupIngress('ec2')).toEqual([logicalId(s.stack, s.stack.functions.securityGroup), logicalId(s.stack, s.stack.replication.securityGroup)].sort());
    });

    it('lets the source CIDRs reach the hosts group only', () => {
      for (const cidr of s.config.sourceCidrs) {
        expect(cidrIngress('hosts')).toContain(cidr);
        expect(cidrIngress('ec2')).not.toContain(cidr);
        expect(cidrIngress('orchestrator')).not.toContain(cidr);
      }
    });
  });

  it('lets replication servers send TCP 443 only to the endpoints and the S3 prefix list, never to an address range', () => {
    const sgId = logicalId(s.stack, s.stack.replication.securityGroup);
    const egress = Object.values(s.json.Resources)
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties!.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }))
      .map((r) => r.Properties!);
    expect(s.json.Resources[sgId].Properties!.SecurityGroupEgress).toBeUndefined();
    expect(egress.filter((r) => r.CidrIp !== undefined || r.CidrIpv6 !== undefined)).toEqual([]);
    expect(egress.filter((r) => r.DestinationPrefixListId !== undefined)).toEqual([
      expect.objectContaining({ DestinationPrefixListId: s.config.s3PrefixListId, FromPort: 443, ToPort: 443 }),
    ]);
  });
});

describe('deploy config: s3PrefixListId', () => {
  const example = JSON.parse(readFileSync(join(repoRoot, 'examples', 'deploy', 'cross-region.json'), 'utf8')) as Record<string, unknown>;
  const problemsOf = (input: unknown): string[] => {
    try {
      parseDeployConfig(input);
      return [];
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return error.problems;
    }
  };

  it('is required, and the error names the field and how to find the prefix list', () => {
    const { s3PrefixListId: _drop, ...without } = example;
    const problems = problemsOf(without);
    expect(problems).toEqual([expect.stringMatching(/^s3PrefixListId: is required: the S3 managed prefix list .*describe-managed-prefix-lists .*com\.amazonaws\.<region>\.s3/)]);
  });

  it('must be a prefix list id', () => {
    expect(problemsOf({ ...example, s3PrefixListId: 'sg-0123456789abcdef0' })).toEqual([expect.stringMatching(/^s3PrefixListId: "sg-0123456789abcdef0" is not a managed prefix list id/)]);
  });
});

/**
 * Where launched (test and cutover) instances go, read from the synthesised templates of both example
 * deploy configs: the isolated test and cutover subnets and their route tables, the target security
 * group, the launched-instance role and profile, the outputs and Lambda environment that hand them to
 * the operator and the flow, and the IAM grants of the steps that write launch settings and launch.
 * Each synth also runs cdk-nag (AwsSolutions, Serverless) and throws on any finding left.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV, LAUNCH_CALLER_ACTIONS, STEPS } from '../../functions/lib/steps';
import { INSTALLER_PARAMETER_PREFIX, SSM_AGENT_CORE_ACTIONS, SSM_AGENT_MESSAGE_ACTIONS, SSM_AGENT_PARAMETER_ACTIONS } from '../../infra/constructs/launch-targets';
import { subnetLayout } from '../../infra/subnet-layout';
import { evaluate, sampleDnsEntries } from './intrinsics';
import { fixtures, logicalId, synthExample, type Synthesised } from './synth';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const LAUNCH_ENV = [ENV.testSubnetIds, ENV.cutoverSubnetIds, ENV.targetSecurityGroupId, ENV.launchedInstanceProfileName, ENV.launchInstanceProfiles];
const LAUNCHING_CALLS = ['mgn:StartTest', 'mgn:StartCutover', 'mgn:TerminateTargetInstances'];
/**
 * The one statement of AWSApplicationMigrationEC2Access without a via-MGN condition on launch
 * templates: a user editing MGN's templates, not MGN acting for the caller (functions/lib/steps.ts).
 */
const USER_TEMPLATE_EDITS = ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate', 'ec2:DeleteLaunchTemplateVersions'];
const ACCOUNT = '123456789012';

describe.each(['cross-region', 'on-premises'] as const)('launch targets (%s config)', (name) => {
  let s: Synthesised;
  beforeAll(() => {
    s = synthExample(name);
  });

  const resourcesOf = (type: string) => Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);
  const idOf = (construct: { node: { defaultChild?: unknown } }) => logicalId(s.stack, construct);
  /**
   * Renders tokens the way a reader of the deployed stack sees them: pseudo parameters and endpoint DNS
   * entries filled in with samples, other resources as <LogicalId> / <LogicalId.Attr>.
   */
  const render = (value: unknown) =>
    evaluate(s.stack.resolve(value), {
      ref: (n) => ({ 'AWS::Partition': 'aws', 'AWS::AccountId': ACCOUNT, 'AWS::Region': s.config.region, 'AWS::URLSuffix': 'amazonaws.com' })[n] ?? `<${n}>`,
      getAtt: (r, a) =>
        a === 'DnsEntries' ? sampleDnsEntries(String(s.json.Resources[r].Properties!.ServiceName), s.config.region) : `<${r}.${a}>`,
    });
  const account = () => s.config.account ?? ACCOUNT;
  const templateOutput = (key: string) => render((s.json as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs[key]?.Value);
  const environmentOf = (step: string) =>
    render((s.json.Resources[idOf(s.stack.functions.functions[step])].Properties!.Environment as { Variables: Record<string, unknown> }).Variables) as Record<
      string,
      string
    >;
  const policyOf = (step: string): Statement[] =>
    list((render(s.json.Resources[idOf(s.stack.functions.node.findChild(`${pascal(step)}Policy`) as never)].Properties!.PolicyDocument) as { Statement: Statement[] }).Statement);

  describe('subnets', () => {
    it('puts the test and cutover tiers where subnetLayout() says: one subnet per AZ, created for a new VPC, taken as given for an existing one', () => {
      const layout = subnetLayout(s.config);
      const subnetIds = (tier: 'test' | 'cutover') => s.stack.network[tier].subnets.map((subnet) => render(subnet.subnetId));
      if (s.config.network.mode === 'existing') {
        expect(resourcesOf('AWS::EC2::Subnet')).toEqual([]);
        expect(subnetIds('test')).toEqual(['subnet-0a0000000000000a4', 'subnet-0a0000000000000b4']);
        expect(subnetIds('cutover')).toEqual(['subnet-0a0000000000000a5', 'subnet-0a0000000000000b5']);
        expect(s.stack.network.test.cidrs).toEqual(['10.50.30.0/24', '10.50.31.0/24']);
        return;
      }
      // every subnet of the new VPC, all five tiers, sits exactly where the layout (and so the simulator) puts it
      const created = resourcesOf('AWS::EC2::Subnet').map(([, r]) => ({
        availabilityZone: r.Properties!.AvailabilityZone,
        cidr: r.Properties!.CidrBlock,
        public: r.Properties!.MapPublicIpOnLaunch,
      }));
      const planned = Object.values(layout).flatMap((tier) => tier.map((subnet) => ({ ...subnet, public: false })));
      expect(created.sort(byCidr)).toEqual(planned.sort(byCidr));
      for (const tier of ['test', 'cutover'] as const) {
        const subnets = s.stack.network[tier].subnets.map((subnet) => s.json.Resources[idOf(subnet)].Properties!);
        expect(subnets.map((p) => ({ availabilityZone: p.AvailabilityZone, cidr: p.CidrBlock }))).toEqual(layout[tier]);
      }
      expect(layout.test.map((subnet) => subnet.cidr)).toEqual(['10.40.8.0/22', '10.40.12.0/22']);
      expect(layout.cutover.map((subnet) => subnet.cidr)).toEqual(['10.40.16.0/22', '10.40.20.0/22']);
    });

    it('gives them no route to an internet gateway or NAT: test tables no route at all, cutover tables only the sources', () => {
      const routes = resourcesOf('AWS::EC2::Route').map(([, r]) => render(r.Properties) as Record<string, unknown>);
      for (const route of routes) {
        expect(route.DestinationCidrBlock).not.toBe('0.0.0.0/0');
        for (const target of ['GatewayId', 'NatGatewayId', 'EgressOnlyInternetGatewayId', 'InstanceId', 'NetworkInterfaceId', 'CarrierGatewayId'])
          expect(route[target]).toBeUndefined();
      }
      const tablesOf = (tier: 'test' | 'cutover') => [...new Set(s.stack.network[tier].subnets.map((subnet) => render(subnet.routeTable.routeTableId)))];
      const routesOf = (tables: unknown[]) => routes.filter((route) => tables.includes(route.RouteTableId));
      expect(routesOf(tablesOf('test'))).toEqual([]);
      if (s.config.network.mode === 'existing') {
        // the operator's route tables: the stack adds nothing to them
        expect(routesOf(tablesOf('cutover'))).toEqual([]);
        return;
      }
      // a cutover instance replaces its source and serves the same clients
      expect(routesOf(tablesOf('cutover')).map((route) => [route.RouteTableId, route.DestinationCidrBlock, route.VpcPeeringConnectionId])).toEqual(
        tablesOf('cutover').map((table) => [table, '10.10.0.0/16', 'pcx-0a1b2c3d4e5f60718']),
      );
      // the new tiers' route tables exist and are the VPC's own (not shared with another tier)
      expect(tablesOf('test')).toHaveLength(2);
      expect(tablesOf('cutover')).toHaveLength(2);
    });
  });

  describe('security groups', () => {
    const rulesOf = (type: 'AWS::EC2::SecurityGroupIngress' | 'AWS::EC2::SecurityGroupEgress', groupId: string) =>
      resourcesOf(type)
        .map(([, r]) => render(r.Properties) as Record<string, unknown>)
        .filter((rule) => rule.GroupId === `<${groupId}.GroupId>`)
        .map(({ Description: _d, GroupId: _g, ...rule }) => rule);

    it('target group: out only TCP 443 to the endpoints; in only the verify steps\' smoke checks', () => {
      const target = idOf(s.stack.launchTargets.securityGroup);
      const inline = s.json.Resources[target].Properties!;
      expect(inline.SecurityGroupIngress).toBeUndefined();
      expect(inline.SecurityGroupEgress).toBeUndefined(); // the standalone rule below replaces the default allow-all
      expect(rulesOf('AWS::EC2::SecurityGroupEgress', target)).toEqual([
        { DestinationSecurityGroupId: `<${idOf(s.stack.endpoints.securityGroups.hosts)}.GroupId>`, IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
      ]);
      expect(rulesOf('AWS::EC2::SecurityGroupIngress', target)).toEqual([
        { SourceSecurityGroupId: `<${idOf(s.stack.functions.probeSecurityGroup)}.GroupId>`, IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 },
      ]);
    });

    it('endpoints admit the test and cutover subnets on TCP 443, whatever groups a wave gives its instances', () => {
      const ingress = s.json.Resources[idOf(s.stack.endpoints.securityGroups.hosts)].Properties!.SecurityGroupIngress as Record<string, unknown>[];
      for (const cidr of [...s.stack.network.test.cidrs, ...s.stack.network.cutover.cidrs])
        expect(ingress).toContainEqual(expect.objectContaining({ CidrIp: cidr, IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }));
    });

    it('probe group (verify steps only): any TCP port to the test and cutover subnets, nothing else', () => {
      const probe = idOf(s.stack.functions.probeSecurityGroup);
      const egress = (s.json.Resources[probe].Properties!.SecurityGroupEgress as Record<string, unknown>[]).map(({ Description: _d, ...rule }) => rule);
      expect(egress).toEqual(
        [...s.stack.network.test.cidrs, ...s.stack.network.cutover.cidrs].map((cidr) => ({ CidrIp: cidr, IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 })),
      );
      expect(s.json.Resources[probe].Properties!.SecurityGroupIngress).toBeUndefined();
      expect(rulesOf('AWS::EC2::SecurityGroupIngress', probe)).toEqual([]);
      const holders = STEPS.filter((step) =>
        JSON.stringify(s.json.Resources[idOf(s.stack.functions.functions[step.name])].Properties!.VpcConfig).includes(`"${probe}"`),
      ).map((step) => step.name);
      expect(holders).toEqual(['verify-test', 'verify-cutover']);
    });
  });

  describe('launched-instance role and instance profile', () => {
    it('is assumable by EC2 only and holds the SSM agent actions of AmazonSSMManagedInstanceCore, nothing more; installer credentials denied', () => {
      const roleId = idOf(s.stack.launchTargets.role);
      const role = s.json.Resources[roleId].Properties!;
      expect(role.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }],
      });
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toBeUndefined();
      const attached = resourcesOf('AWS::IAM::Policy').filter(([, r]) => JSON.stringify(r.Properties!.Roles).includes(`"${roleId}"`));
      expect(attached.map(([id]) => id)).toEqual([idOf(s.stack.node.findChild('LaunchTargets').node.findChild('SsmAgentPolicy') as never)]);
      const statements = (render(attached[0][1].Properties!.PolicyDocument) as { Statement: Statement[] }).Statement;
      expect(statements).toEqual([
        { Sid: 'SsmAgentCore', Effect: 'Allow', Action: [...SSM_AGENT_CORE_ACTIONS], Resource: '*' },
        { Sid: 'SsmAgentParameters', Effect: 'Allow', Action: [...SSM_AGENT_PARAMETER_ACTIONS], Resource: `arn:aws:ssm:${s.config.region}:${account()}:parameter/*` },
        { Sid: 'SsmAgentMessages', Effect: 'Allow', Action: [...SSM_AGENT_MESSAGE_ACTIONS], Resource: '*' },
        {
          Sid: 'NoInstallerCredentials',
          Effect: 'Deny',
          Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'],
          Resource: `arn:aws:ssm:*:${account()}:parameter/${INSTALLER_PARAMETER_PREFIX}/*`,
        },
      ]);
      // exactly the action list of AmazonSSMManagedInstanceCore (v2)
      expect([...SSM_AGENT_CORE_ACTIONS, ...SSM_AGENT_PARAMETER_ACTIONS, ...SSM_AGENT_MESSAGE_ACTIONS].sort()).toEqual(MANAGED_INSTANCE_CORE_V2.sort());
      expect(s.json.Resources[idOf(s.stack.launchTargets.instanceProfile)].Properties).toEqual({ Roles: [{ Ref: roleId }] });
    });
  });

  describe('outputs and Lambda environment', () => {
    it('outputs TestSubnetIds, CutoverSubnetIds, TargetSecurityGroupId and LaunchedInstanceProfileName', () => {
      const ids = (tier: 'test' | 'cutover') => s.stack.network[tier].subnets.map((subnet) => render(subnet.subnetId)).join(',');
      expect({
        TestSubnetIds: templateOutput('TestSubnetIds'),
        CutoverSubnetIds: templateOutput('CutoverSubnetIds'),
        TargetSecurityGroupId: templateOutput('TargetSecurityGroupId'),
        LaunchedInstanceProfileName: templateOutput('LaunchedInstanceProfileName'),
      }).toEqual({
        TestSubnetIds: ids('test'),
        CutoverSubnetIds: ids('cutover'),
        TargetSecurityGroupId: `<${idOf(s.stack.launchTargets.securityGroup)}.GroupId>`,
        LaunchedInstanceProfileName: `<${idOf(s.stack.launchTargets.instanceProfile)}>`,
      });
      if (s.config.network.mode === 'existing') expect(templateOutput('TestSubnetIds')).toBe('subnet-0a0000000000000a4,subnet-0a0000000000000b4');
    });

    it('gives preflight, launch-test and launch-cutover the launch defaults (the same values as the outputs), and no other step', () => {
      const expected = {
        [ENV.testSubnetIds]: templateOutput('TestSubnetIds'),
        [ENV.cutoverSubnetIds]: templateOutput('CutoverSubnetIds'),
        [ENV.targetSecurityGroupId]: templateOutput('TargetSecurityGroupId'),
        [ENV.launchedInstanceProfileName]: templateOutput('LaunchedInstanceProfileName'),
        // the deploy config's own profiles a wave may name (on-premises.json lists one)
        [ENV.launchInstanceProfiles]: s.config.launchInstanceProfiles.map((p) => p.name).join(','),
      };
      const holders = STEPS.filter((step) => LAUNCH_ENV.some((v) => environmentOf(step.name)[v] !== undefined)).map((step) => step.name);
      expect(holders).toEqual(['preflight', 'launch-test', 'launch-cutover']);
      for (const step of holders) expect(environmentOf(step)).toMatchObject(expected);
    });
  });

  describe('IAM of the launch steps', () => {
    const grantsOf = (step: string, action: string) =>
      policyOf(step)
        .filter((st) => list(st.Action).includes(action))
        .map((st) => ({ Resource: st.Resource, Condition: st.Condition }));

    it('preflight describes subnets, groups and route tables, and creates the replication template, on "*": none of them has a resource type', () => {
      for (const action of ['ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeRouteTables', 'mgn:CreateReplicationConfigurationTemplate'])
        expect({ action, grants: grantsOf('preflight', action) }).toEqual({ action, grants: [{ Resource: '*', Condition: undefined }] });
      // the template it updates is still named by type: that action has a resource type
      expect(grantsOf('preflight', 'mgn:UpdateReplicationConfigurationTemplate')).toEqual([
        { Resource: `arn:aws:mgn:${s.config.region}:${account()}:replication-configuration-template/*`, Condition: undefined },
      ]);
    });

    it.each(['launch-test', 'launch-cutover'])(
      '%s reads and writes MGN launch settings on source servers, and writes launch templates only when MGN tagged them',
      (step) => {
        for (const action of ['mgn:GetLaunchConfiguration', 'mgn:UpdateLaunchConfiguration'])
          expect(grantsOf(step, action)).toEqual([{ Resource: `arn:aws:mgn:${s.config.region}:${account()}:source-server/*`, Condition: undefined }]);
        expect(grantsOf(step, 'ec2:DescribeLaunchTemplateVersions')).toEqual([{ Resource: '*', Condition: undefined }]);
        for (const action of ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'])
          expect(grantsOf(step, action)).toEqual([
            {
              Resource: `arn:aws:ec2:${s.config.region}:${account()}:launch-template/*`,
              // no aws:ViaAWSService: the step calls these itself; the tag is what limits them to MGN's templates
              Condition: { Null: { 'aws:ResourceTag/AWSApplicationMigrationServiceManaged': 'false' } },
            },
          ]);
      },
    );

    it.each(['verify-test', 'verify-cutover'])('%s reads launched instances (ec2:DescribeInstances has no resource type)', (step) => {
      expect(grantsOf(step, 'ec2:DescribeInstances')).toEqual([{ Resource: '*', Condition: undefined }]);
    });

    it('every step that starts or terminates launches holds AWSApplicationMigrationEC2Access, statement by statement, and no other step holds any of it', () => {
      const launching = STEPS.filter((step) => step.actions.some((a) => LAUNCHING_CALLS.includes(a))).map((step) => step.name);
      expect(launching).toEqual(['launch-test', 'verify-test', 'discard-test', 'prepare-cutover', 'launch-cutover', 'verify-cutover', 'revert-cutover']);
      const managed = managedTriples(s.config.region, account(), `<${idOf(s.stack.launchTargets.role)}.Arn>`, s.config.launchInstanceProfiles.map((p) => p.roleArn));
      // Held: every statement but the one for users editing MGN's templates themselves (no via-MGN condition).
      const expected = managed.filter((t) => !USER_TEMPLATE_EDITS.includes(t.split('|')[0]));
      expect(managed.filter((t) => USER_TEMPLATE_EDITS.includes(t.split('|')[0])).map((t) => t.split('|').slice(1).join('|'))).toEqual(
        USER_TEMPLATE_EDITS.map(() => `arn:aws:ec2:${s.config.region}:${account()}:launch-template/*|{"Null":{"aws:ResourceTag/AWSApplicationMigrationServiceManaged":"false"}}`),
      );
      expect([...LAUNCH_CALLER_ACTIONS].filter((a) => USER_TEMPLATE_EDITS.includes(a))).toEqual([]);
      for (const step of STEPS) {
        const held = triplesOf(policyOf(step.name)).filter((t) => (LAUNCH_CALLER_ACTIONS as readonly string[]).includes(t.split('|')[0]));
        expect({ step: step.name, grants: [...new Set(held)].sort() }).toEqual({ step: step.name, grants: launching.includes(step.name) ? expected : [] });
        // template edits only where the step writes launch settings itself; template versions deleted nowhere
        const edits = [...new Set(triplesOf(policyOf(step.name)).map((t) => t.split('|')[0]).filter((a) => USER_TEMPLATE_EDITS.includes(a)))].sort();
        expect({ step: step.name, edits }).toEqual({
          step: step.name,
          edits: ['launch-test', 'launch-cutover'].includes(step.name) ? ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'] : [],
        });
      }
    });

    it("passes only the conversion server role, the launched-instance role and the deploy config's launchInstanceProfiles roles, only to EC2", () => {
      const own = s.config.launchInstanceProfiles.map((p) => p.roleArn);
      expect(own).toEqual(name === 'on-premises' ? ['arn:aws:iam::111122223333:role/AppServerRole'] : []);
      for (const step of ['launch-test', 'launch-cutover', 'verify-test', 'verify-cutover', 'discard-test', 'prepare-cutover', 'revert-cutover'])
        expect(grantsOf(step, 'iam:PassRole')).toEqual([
          {
            Resource: [`arn:aws:iam::${account()}:role/service-role/AWSApplicationMigrationConversionServerRole`, `<${idOf(s.stack.launchTargets.role)}.Arn>`, ...own],
            Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          },
        ]);
    });
  });
});

const pascal = (name: string) =>
  name
    .split('-')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
const byCidr = (a: { cidr: unknown }, b: { cidr: unknown }) => String(a.cidr).localeCompare(String(b.cidr));

/** `action|resource|conditions` for every action and resource a statement grants. */
function triplesOf(statements: Statement[]): string[] {
  return statements
    .filter((st) => st.Effect === 'Allow')
    .flatMap((st) => list(st.Action).flatMap((action) => list(st.Resource).map((resource) => `${action}|${String(resource)}|${canonical(st.Condition)}`)));
}
const canonical = (value: unknown): string =>
  value === undefined
    ? '-'
    : JSON.stringify(value, (_k, v: unknown) =>
        v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
      );

/**
 * The triples of AWSApplicationMigrationEC2Access v10 (test/fixtures/infra, verbatim), narrowed as the
 * stack documents it: `arn:aws:ec2:*:*:` to this region and account (images and snapshots keep the
 * empty account of their ARN), the conversion server role to this account, plus the launched-instance role and the
 * deploy config's launchInstanceProfiles roles for PassRole.
 */
function managedTriples(region: string, account: string, launchedRoleArn: string, ownRoleArns: readonly string[] = []): string[] {
  const policy = JSON.parse(readFileSync(join(fixtures, 'AWSApplicationMigrationEC2Access.v10.json'), 'utf8')) as { Document: { Statement: Statement[] } };
  const narrowed = policy.Document.Statement.map((st) => ({
    ...st,
    Resource: list(st.Resource as string | string[]).flatMap((resource) => {
      if (resource.endsWith(':role/service-role/AWSApplicationMigrationConversionServerRole'))
        return [resource.replace('arn:aws:iam::*:', `arn:aws:iam::${account}:`), launchedRoleArn, ...ownRoleArns];
      // images and snapshots have no account in their ARN (Service Authorization Reference, Amazon EC2)
      if (resource === 'arn:aws:ec2:*:*:image/*') return [`arn:aws:ec2:${region}::image/*`];
      if (resource === 'arn:aws:ec2:*:*:snapshot/*') return [`arn:aws:ec2:${region}::snapshot/*`];
      return [resource.replace('arn:aws:ec2:*:*:', `arn:aws:ec2:${region}:${account}:`)];
    }),
  }));
  return [...new Set(triplesOf(narrowed))].sort();
}

/** The actions of AmazonSSMManagedInstanceCore, policy version v2 (AWS Managed Policy Reference). */
const MANAGED_INSTANCE_CORE_V2 = [
  'ssm:DescribeAssociation',
  'ssm:GetDeployablePatchSnapshotForInstance',
  'ssm:GetDocument',
  'ssm:DescribeDocument',
  'ssm:GetManifest',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:ListAssociations',
  'ssm:ListInstanceAssociations',
  'ssm:PutInventory',
  'ssm:PutComplianceItems',
  'ssm:PutConfigurePackageResult',
  'ssm:UpdateAssociationStatus',
  'ssm:UpdateInstanceAssociationStatus',
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
];

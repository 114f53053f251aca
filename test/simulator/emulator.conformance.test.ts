/**
 * Conformance: every operation the project uses, driven through the real SDK v3 clients in happy and
 * error cases, with each answer as sent on the wire held to the official botocore model (output
 * shape: required members, no unknown members, enums, types, lengths, patterns) and each error code
 * held to the errors the model lists for the operation, plus each service's documented common errors.
 */
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  ModifyLaunchTemplateCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  ArchiveApplicationCommand,
  ArchiveWaveCommand,
  AssociateApplicationsCommand,
  AssociateSourceServersCommand,
  ChangeServerLifeCycleStateCommand,
  CreateApplicationCommand,
  CreateWaveCommand,
  ListApplicationsCommand,
  ListWavesCommand,
  CreateReplicationConfigurationTemplateCommand,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeReplicationConfigurationTemplatesCommand,
  DescribeSourceServersCommand,
  DisconnectFromServiceCommand,
  FinalizeCutoverCommand,
  GetLaunchConfigurationCommand,
  GetReplicationConfigurationCommand,
  UpdateReplicationConfigurationCommand,
  InitializeServiceCommand,
  MarkAsArchivedCommand,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  UpdateLaunchConfigurationCommand,
  UpdateReplicationConfigurationTemplateCommand,
} from '@aws-sdk/client-mgn';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { PublishCommand } from '@aws-sdk/client-sns';
import {
  DeleteParameterCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { INSTALLER_PARAMETER_ROOT } from '../../functions/lib/installer-credentials';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { EC2_ERROR_CODES, startEmulator, type Emulator, type WireAnswer } from '../../simulator/emulator';
import { checkHeaders, checkJson, checkXmlOutput, loadModel, modelErrorCodes, parseXml, type Model } from './aws-model';
import { clients, destroyClients, installAll, manifest, runUntil, SOURCE_REGION, TARGET } from './emulator-fixtures';

type Service = WireAnswer['service'];

const MODELS: Record<Service, string> = {
  mgn: 'mgn-2020-02-26',
  ssm: 'ssm-2014-11-06',
  ec2: 'ec2-2016-11-15',
  sts: 'sts-2011-06-15',
  s3: 's3-2006-03-01',
  sns: 'sns-2010-03-31',
  states: 'stepfunctions-2016-11-23',
  servicequotas: 'service-quotas-2019-06-24',
};

/**
 * Errors a service answers for any operation that botocore does not list per operation:
 * MGN's service-level errors (its Smithy model attaches them to the service), the AWS common
 * errors of JSON and query services, S3's common error codes, and EC2's documented error codes
 * (EC2's model lists no errors at all). ServiceQuotaExceededException on job operations is the
 * "200 servers across active jobs" quota of DESIGN section 4; its shape is in the MGN model.
 */
const COMMON_ERRORS: Record<Service, readonly string[]> = {
  mgn: ['ThrottlingException', 'InternalServerException', 'AccessDeniedException'],
  // AccessDeniedException: IAM's refusal, which every AWS API answers and no operation's error list names
  ssm: ['ValidationException', 'ThrottlingException', 'InternalServerError', 'AccessDeniedException'],
  ec2: EC2_ERROR_CODES,
  sts: ['ValidationError', 'Throttling', 'InternalFailure', 'MalformedInput', 'MissingParameter', 'InvalidAction'],
  sns: ['ValidationError', 'Throttling', 'InternalFailure', 'InvalidAction'],
  s3: ['NoSuchBucket', 'SlowDown', 'InternalError', 'NotImplemented', 'AccessDenied'],
  states: ['ValidationException', 'ThrottlingException', 'InternalFailure'],
  servicequotas: [],
};
const MGN_JOB_QUOTA_OPS = ['StartTest', 'StartCutover', 'TerminateTargetInstances'];

const allowedErrors = (service: Service, operation: string): string[] => [
  ...modelErrorCodes(loadModel(MODELS[service]), operation),
  ...COMMON_ERRORS[service],
  ...(service === 'mgn' && MGN_JOB_QUOTA_OPS.includes(operation) ? ['ServiceQuotaExceededException'] : []),
];

function checkSuccess(a: WireAnswer): string[] {
  const model: Model = loadModel(MODELS[a.service]);
  const op = model.operations[a.operation];
  const expectedStatus = op.http.responseCode ?? 200;
  if (a.status !== expectedStatus) return [`status ${a.status}, the model says ${expectedStatus}`];
  switch (a.service) {
    case 'mgn':
      if (a.status === 204) return a.body === '' ? [] : ['204 with a body'];
      return checkJson(model, op.output!.shape, JSON.parse(a.body), '$', 'iso');
    case 'ssm':
    case 'states':
    case 'servicequotas':
      return checkJson(model, op.output!.shape, JSON.parse(a.body), '$', 'epoch');
    case 'ec2':
    case 'sts':
    case 'sns':
      return checkXmlOutput(model, a.operation, a.body);
    case 's3':
      return checkHeaders(model, a.operation, a.headers);
  }
}

/** The SDK names a query-protocol error after its shape (InvalidParameter -> InvalidParameterException). */
function sdkErrorName(service: Service, code: string): string {
  const model = loadModel(MODELS[service]);
  const shape = Object.entries(model.shapes).find(([, s]) => s.error?.code === code);
  return shape ? shape[0] : code;
}

/** The error code as it travels on the wire, in each protocol's place for it. */
function wireErrorCode(a: WireAnswer): string {
  switch (a.service) {
    case 'mgn':
      return a.headers['x-amzn-errortype'];
    case 'ssm':
    case 'states':
    case 'servicequotas':
      return (JSON.parse(a.body) as { __type: string }).__type;
    case 'ec2':
    case 'sts':
    case 'sns':
    case 's3': {
      const doc = parseXml(a.body);
      const find = (n: typeof doc): string | undefined => (n.name === 'Code' ? n.text : n.children.map(find).find(Boolean));
      return find(doc) ?? '';
    }
  }
}

describe('emulator conformance with the AWS service models', () => {
  let em: Emulator;
  const answers: WireAnswer[] = [];
  const wave = manifest('conf', 4);
  const covered = new Map<string, Set<'ok' | 'error'>>();
  const mark = (a: WireAnswer, kind: 'ok' | 'error') => {
    const key = `${a.service}:${a.operation}`;
    covered.set(key, new Set([...(covered.get(key) ?? []), kind]));
  };

  beforeAll(async () => {
    em = await startEmulator({ manifests: [wave], onResponse: (a) => answers.push(a), scenario: { defaults: { diskGiB: 20, bandwidthMbps: 1000 } } });
  });
  afterAll(async () => {
    await em.close();
    destroyClients();
  });

  /** Runs an SDK call that must succeed; its wire answer must match the model. */
  async function ok<T>(service: Service, operation: string, call: Promise<T>): Promise<T> {
    const before = answers.length;
    const out = await call;
    const a = answers[answers.length - 1];
    expect(answers.length).toBe(before + 1);
    expect([a.service, a.operation]).toEqual([service, operation]);
    expect(checkSuccess(a)).toEqual([]);
    mark(a, 'ok');
    return out;
  }

  /** Runs an SDK call that must fail with `code`; the code must be one the model allows and the SDK must see it. */
  async function fails(service: Service, operation: string, call: Promise<unknown>, code: string): Promise<{ message: string }> {
    let err: { name: string; message: string } | undefined;
    try {
      await call;
    } catch (e) {
      err = e as { name: string; message: string };
    }
    expect(err).toBeDefined();
    const a = answers[answers.length - 1];
    expect([a.service, a.operation]).toEqual([service, operation]);
    const wire = a.service === 's3' && a.body === '' ? code : wireErrorCode(a);
    expect(wire).toBe(code);
    expect(allowedErrors(service, operation)).toContain(code);
    if (!(service === 's3' && a.body === '')) expect(err!.name).toBe(sdkErrorName(service, code));
    // JSON error bodies carry the members of the model's error shape and nothing else
    const model = loadModel(MODELS[service]);
    if ((service === 'mgn' || service === 'ssm') && model.shapes[code]) expect(checkJson(model, code, JSON.parse(a.body))).toEqual([]);
    mark(a, 'error');
    return err!;
  }

  /**
   * What the orchestrator writes before a test launch, each call held to the model, with the invalid
   * inputs of each operation refused as AWS refuses them: launch configuration (right-sizing off, boot
   * mode, post-launch actions) and a new default template version with subnet, group, IP, type and profile.
   */
  async function writeLaunchSettingsConformingly(servers: string[], ipOf: (i: number) => string): Promise<void> {
    const { mgn, ec2 } = clients(em.url, TARGET);
    const first = servers[0];
    const config = await ok('mgn', 'GetLaunchConfiguration', mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: first })));
    expect(config).toMatchObject({ sourceServerID: first, ec2LaunchTemplateID: expect.stringMatching(/^lt-[0-9a-f]{17}$/), targetInstanceTypeRightSizingMethod: 'BASIC', launchDisposition: 'STARTED', bootMode: 'USE_SOURCE' });
    await fails('mgn', 'UpdateLaunchConfiguration', mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: 's-00000000000000000', copyTags: true })), 'ResourceNotFoundException');
    const inAws = await fails('mgn', 'UpdateLaunchConfiguration', mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: first, targetInstanceTypeRightSizingMethod: 'IN_AWS' as never })), 'ValidationException');
    expect(inAws.message).toContain("'targetInstanceTypeRightSizingMethod'");
    const useSource = await fails('mgn', 'UpdateLaunchConfiguration', mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: first, bootMode: 'USE_SOURCE' as never })), 'ValidationException');
    expect(useSource.message).toContain("'bootMode'");
    await fails('mgn', 'UpdateLaunchConfiguration', mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: first, postLaunchActions: { deployment: 'ALWAYS' as never } })), 'ValidationException');
    const noDocument = await fails('mgn', 'UpdateLaunchConfiguration', mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: first, postLaunchActions: { ssmDocuments: [{ actionName: 'x' } as never] } })), 'ValidationException');
    expect(noDocument.message).toContain("'postLaunchActions.ssmDocuments.0.ssmDocumentName'");

    const lt = config.ec2LaunchTemplateID!;
    const [v1] = (await ok('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt, Versions: ['$Default'] })))).LaunchTemplateVersions!;
    expect(v1).toMatchObject({ VersionNumber: 1, DefaultVersion: true, LaunchTemplateName: `created-and-used-by-application-migration-service-${first}` });
    expect(v1.LaunchTemplateData!.NetworkInterfaces![0].SubnetId).toBeUndefined();
    expect(v1.LaunchTemplateData!.InstanceType).toBe('m5.large');
    await fails('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-00000000000000000' })), 'InvalidLaunchTemplateId.NotFound');
    await fails('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-1' })), 'InvalidLaunchTemplateId.Malformed');
    await fails('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt, Versions: ['7'] })), 'InvalidLaunchTemplateId.VersionNotFound');
    await fails('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'no-such-template' })), 'InvalidLaunchTemplateName.NotFoundException');
    await fails('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ Versions: ['1'] })), 'MissingParameter');
    await fails('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt, Filters: [{ Name: 'colour', Values: ['blue'] }] })), 'InvalidParameterValue');
    const defaults = await ok('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ Versions: ['$Default'], Filters: [{ Name: 'is-default-version', Values: ['true'] }] })));
    expect(defaults.LaunchTemplateVersions).toHaveLength(4);

    const warned = await ok(
      'ec2',
      'CreateLaunchTemplateVersion',
      ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, SourceVersion: '1', LaunchTemplateData: { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0000000000000dead' }] } })),
    );
    expect(warned.Warning!.Errors!.map((e) => e.Code)).toEqual(['InvalidSubnetID.NotFound']);
    await fails('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt } as never)), 'MissingParameter');
    await fails('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, SourceVersion: '99', LaunchTemplateData: { InstanceType: 'm5.large' } })), 'InvalidLaunchTemplateId.VersionNotFound');
    await fails('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, SourceVersion: '$Default', LaunchTemplateData: { InstanceType: 'm5.large' } })), 'InvalidParameterValue');
    await fails('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, LaunchTemplateName: v1.LaunchTemplateName, LaunchTemplateData: { InstanceType: 'm5.large' } })), 'InvalidParameterCombination');
    await fails('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateData: { InstanceType: 'm5.large' } })), 'MissingParameter');
    await fails('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, LaunchTemplateData: { NetworkInterfaces: [{ DeviceIndex: 99 }] } })), 'InvalidParameterValue');
    // a retried request (same ClientToken, same parameters) creates nothing new; another request with that token is refused
    const once = await ok('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, ClientToken: 'conf-token-1', LaunchTemplateData: { InstanceType: 't3.micro' } })));
    const again = await ok('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, ClientToken: 'conf-token-1', LaunchTemplateData: { InstanceType: 't3.micro' } })));
    expect(again.LaunchTemplateVersion!.VersionNumber).toBe(once.LaunchTemplateVersion!.VersionNumber);
    await fails('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt, ClientToken: 'conf-token-1', LaunchTemplateData: { InstanceType: 't3.large' } })), 'IdempotentParameterMismatch');
    await fails('ec2', 'ModifyLaunchTemplate', ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: lt, DefaultVersion: '42' })), 'InvalidLaunchTemplateId.VersionNotFound');
    await fails('ec2', 'ModifyLaunchTemplate', ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: 'lt-00000000000000000', DefaultVersion: '1' })), 'InvalidLaunchTemplateId.NotFound');

    for (const [i, id] of servers.entries()) {
      await ok('mgn', 'UpdateLaunchConfiguration', mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: id, targetInstanceTypeRightSizingMethod: 'NONE', launchDisposition: 'STARTED', bootMode: 'UEFI', copyTags: true, licensing: { osByol: false }, postLaunchActions: { deployment: 'TEST_AND_CUTOVER' } })));
      const templateId = (await ok('mgn', 'GetLaunchConfiguration', mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: id })))).ec2LaunchTemplateID!;
      const [current] = (await ok('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] })))).LaunchTemplateVersions!;
      const created = await ok(
        'ec2',
        'CreateLaunchTemplateVersion',
        ec2.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: templateId,
            SourceVersion: String(current.VersionNumber),
            VersionDescription: 'test launch',
            LaunchTemplateData: {
              InstanceType: 'm6i.large',
              NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: em.stack.subnetIds.test[0], Groups: [em.stack.securityGroupIds.target], PrivateIpAddress: ipOf(i), AssociatePublicIpAddress: false }],
              IamInstanceProfile: { Name: em.stack.launchedInstanceProfileName },
              TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Wave', Value: 'conf' }] }],
            },
          }),
        ),
      );
      // the new data replaced the network interfaces and kept the disks of the source version
      expect(created.LaunchTemplateVersion!.LaunchTemplateData!.NetworkInterfaces).toEqual([expect.objectContaining({ SubnetId: em.stack.subnetIds.test[0], Groups: [em.stack.securityGroupIds.target] })]);
      expect(created.LaunchTemplateVersion!.LaunchTemplateData!.BlockDeviceMappings).toEqual(current.LaunchTemplateData!.BlockDeviceMappings);
      const modified = await ok('ec2', 'ModifyLaunchTemplate', ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: String(created.LaunchTemplateVersion!.VersionNumber) })));
      expect(modified.LaunchTemplate!.DefaultVersionNumber).toBe(created.LaunchTemplateVersion!.VersionNumber);
      expect(modified.LaunchTemplate!.Tags).toEqual(expect.arrayContaining([{ Key: 'AWSApplicationMigrationServiceManaged', Value: 'mgn.amazonaws.com' }]));
    }
  }

  it('EC2: the deploy config\'s network (VPC, subnets, route tables, endpoints, groups), no default VPC, filters refused by name', async () => {
    const { ec2 } = clients(em.url, TARGET);
    const stack = em.stack;
    const vpcs = await ok('ec2', 'DescribeVpcs', ec2.send(new DescribeVpcsCommand({})));
    expect(vpcs.Vpcs!.map((v) => [v.VpcId, v.CidrBlock, v.IsDefault])).toEqual([[stack.vpcId, '10.40.0.0/16', false]]);
    expect((await ok('ec2', 'DescribeVpcs', ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] })))).Vpcs).toEqual([]);
    await fails('ec2', 'DescribeVpcs', ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] })), 'InvalidVpcID.NotFound');
    await fails('ec2', 'DescribeVpcs', ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-x'] })), 'InvalidVpcID.Malformed');

    const tests = await ok('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...stack.subnetIds.test] })));
    expect(tests.Subnets!.map((s) => [s.CidrBlock, s.AvailabilityZone, s.VpcId, s.DefaultForAz])).toEqual([
      ['10.40.8.0/22', `${TARGET}a`, stack.vpcId, false],
      ['10.40.12.0/22', `${TARGET}b`, stack.vpcId, false],
    ]);
    const all = await ok('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [stack.vpcId] }], MaxResults: 5 })));
    expect(all.Subnets).toHaveLength(5);
    expect((await ok('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] })))).Subnets).toEqual([]);
    await fails('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })), 'InvalidSubnetID.NotFound');
    await fails('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-xyz'] })), 'InvalidSubnetID.Malformed');
    // an unknown filter name is refused even where nothing would match
    await fails('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })), 'InvalidParameterValue');
    await fails('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ MaxResults: 4 })), 'InvalidParameterValue');

    const groups = await ok('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: Object.values(stack.securityGroupIds) })));
    expect(groups.SecurityGroups!.map((g) => g.VpcId)).toEqual(Object.values(stack.securityGroupIds).map(() => stack.vpcId));
    const target = groups.SecurityGroups!.find((g) => g.GroupId === stack.securityGroupIds.target)!;
    expect(target.IpPermissionsEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [expect.objectContaining({ GroupId: stack.securityGroupIds.endpoints })] })]);
    await ok('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [stack.vpcId] }, { Name: 'ip-permission.from-port', Values: ['443'] }] })));
    await fails('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })), 'InvalidGroup.NotFound');
    await fails('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['group-1'] })), 'InvalidGroupId.Malformed');
    // group names are looked up in the default VPC, and there is none
    await fails('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] })), 'VPCIdNotSpecified');
    await fails('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [stack.securityGroupIds.target], MaxResults: 5 })), 'InvalidParameterCombination');
    await fails('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })), 'InvalidParameterValue');

    const tables = await ok('ec2', 'DescribeRouteTables', ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [...stack.subnetIds.cutover, stack.stagingSubnetId] }] })));
    expect(tables.RouteTables).toHaveLength(3);
    for (const t of tables.RouteTables!) {
      expect(t.Routes!.some((r) => r.GatewayId?.startsWith('igw-') || r.NatGatewayId)).toBe(false);
      expect(t.Routes).toEqual(expect.arrayContaining([expect.objectContaining({ DestinationCidrBlock: '10.40.0.0/16', GatewayId: 'local' }), expect.objectContaining({ DestinationCidrBlock: '10.10.0.0/16', VpcPeeringConnectionId: 'pcx-0a1b2c3d4e5f60718' })]));
    }
    const staging = tables.RouteTables!.find((t) => t.Associations!.some((a) => a.SubnetId === stack.stagingSubnetId))!;
    expect(staging.Routes).toEqual(expect.arrayContaining([expect.objectContaining({ DestinationPrefixListId: expect.stringMatching(/^pl-/), GatewayId: stack.vpcEndpointIds['s3-gateway'] })]));
    await fails('ec2', 'DescribeRouteTables', ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0123456789abcdef0'] })), 'InvalidRouteTableID.NotFound');
    await fails('ec2', 'DescribeRouteTables', ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['table-1'] })), 'InvalidRouteTableId.Malformed');
    await fails('ec2', 'DescribeRouteTables', ec2.send(new DescribeRouteTablesCommand({ MaxResults: 101 })), 'InvalidParameterValue');
    await fails('ec2', 'DescribeRouteTables', ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.colour', Values: ['blue'] }] })), 'InvalidParameterValue');

    const ssm = await ok(
      'ec2',
      'DescribeVpcEndpoints',
      ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [stack.vpcId] }, { Name: 'vpc-endpoint-type', Values: ['Interface'] }, { Name: 'service-name', Values: ['com.amazonaws.*.ssm*', `com.amazonaws.${TARGET}.ec2messages`] }] })),
    );
    expect(ssm.VpcEndpoints!.map((e) => e.ServiceName).sort()).toEqual([`com.amazonaws.${TARGET}.ec2messages`, `com.amazonaws.${TARGET}.ssm`, `com.amazonaws.${TARGET}.ssmmessages`]);
    const gateway = await ok('ec2', 'DescribeVpcEndpoints', ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [stack.vpcEndpointIds['s3-gateway']] })));
    expect(gateway.VpcEndpoints![0]).toMatchObject({ VpcEndpointType: 'Gateway', ServiceName: `com.amazonaws.${TARGET}.s3` });
    await fails('ec2', 'DescribeVpcEndpoints', ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0123456789abcdef0'] })), 'InvalidVpcEndpointId.NotFound');
    await fails('ec2', 'DescribeVpcEndpoints', ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['endpoint-1'] })), 'InvalidVpcEndpointId.Malformed');
    await fails('ec2', 'DescribeVpcEndpoints', ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })), 'InvalidParameterValue');
  });

  it('MGN account and replication template operations', async () => {
    const { mgn } = clients(em.url, TARGET);
    await ok('mgn', 'InitializeService', mgn.send(new InitializeServiceCommand({})));
    expect((await ok('mgn', 'DescribeReplicationConfigurationTemplates', mgn.send(new DescribeReplicationConfigurationTemplatesCommand({})))).items).toEqual([]);
    const created = await ok(
      'mgn',
      'CreateReplicationConfigurationTemplate',
      mgn.send(
        new CreateReplicationConfigurationTemplateCommand({
          stagingAreaSubnetId: em.stack.stagingSubnetId,
          associateDefaultSecurityGroup: false,
          replicationServersSecurityGroupsIDs: [em.stack.securityGroupIds.replication],
          replicationServerInstanceType: 't3.small',
          useDedicatedReplicationServer: false,
          defaultLargeStagingDiskType: 'GP3',
          ebsEncryption: 'DEFAULT',
          bandwidthThrottling: 0,
          dataPlaneRouting: 'PRIVATE_IP',
          createPublicIP: false,
          stagingAreaTags: { Purpose: 'staging' },
        }),
      ),
    );
    const id = created.replicationConfigurationTemplateID!;
    const updated = await ok('mgn', 'UpdateReplicationConfigurationTemplate', mgn.send(new UpdateReplicationConfigurationTemplateCommand({ replicationConfigurationTemplateID: id, createPublicIP: false, bandwidthThrottling: 100 })));
    expect(updated.bandwidthThrottling).toBe(100);
    expect(updated.dataPlaneRouting).toBe('PRIVATE_IP');
    await ok('mgn', 'DescribeReplicationConfigurationTemplates', mgn.send(new DescribeReplicationConfigurationTemplatesCommand({ replicationConfigurationTemplateIDs: [id] })));
    await fails('mgn', 'UpdateReplicationConfigurationTemplate', mgn.send(new UpdateReplicationConfigurationTemplateCommand({ replicationConfigurationTemplateID: 'rct-00000000000000000' })), 'ResourceNotFoundException');
    const missing = await fails(
      'mgn',
      'CreateReplicationConfigurationTemplate',
      mgn.send(new CreateReplicationConfigurationTemplateCommand({ stagingAreaSubnetId: em.stack.stagingSubnetId } as never)),
      'ValidationException',
    );
    expect(missing.message).toContain("'associateDefaultSecurityGroup'");
    await fails('mgn', 'DescribeReplicationConfigurationTemplates', mgn.send(new DescribeReplicationConfigurationTemplatesCommand({ replicationConfigurationTemplateIDs: ['rct-00000000000000000'] })), 'ResourceNotFoundException');
  });

  it('SSM instance information, Run Command and parameters', async () => {
    const { ssm } = clients(em.url, TARGET);
    const src = clients(em.url, SOURCE_REGION).ssm;
    await ok('ssm', 'DescribeInstanceInformation', ssm.send(new DescribeInstanceInformationCommand({})));
    const paged = await ok('ssm', 'DescribeInstanceInformation', src.send(new DescribeInstanceInformationCommand({ MaxResults: 5, InstanceInformationFilterList: [{ key: 'InstanceIds', valueSet: ['i-00000000000000001'] }] })));
    expect(paged.InstanceInformationList!.map((i) => i.InstanceId)).toEqual(['i-00000000000000001']);
    await fails('ssm', 'DescribeInstanceInformation', ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'Colour', Values: ['blue'] }] })), 'InvalidFilterKey');

    const pre = await ok(
      'ssm',
      'SendCommand',
      ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: ['mi-00000000000000002', 'mi-00000000000000004'], Parameters: { region: [TARGET], mgnEndpoint: [wave.endpoints.mgn], s3Endpoint: [wave.endpoints.s3] }, Comment: 'precheck' })),
    );
    const commandId = pre.Command!.CommandId!;
    await ok('ssm', 'GetCommandInvocation', ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: 'mi-00000000000000002' })));
    em.clock.advanceBy(30);
    const inv = await ok('ssm', 'GetCommandInvocation', ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: 'mi-00000000000000002' })));
    expect(inv.Status).toBe('Success');
    await ok('ssm', 'ListCommands', ssm.send(new ListCommandsCommand({ CommandId: commandId })));
    const list = await ok('ssm', 'ListCommandInvocations', ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true })));
    expect(list.CommandInvocations!.map((i) => i.CommandPlugins![0].Output)).toEqual([expect.stringContaining('PASS'), expect.stringContaining('PASS')]);
    await ok('ssm', 'ListCommandInvocations', ssm.send(new ListCommandInvocationsCommand({ InstanceId: 'mi-00000000000000002', Filters: [{ key: 'Status', value: 'Success' }] })));

    await fails('ssm', 'SendCommand', ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: Array.from({ length: 51 }, (_, i) => `mi-${String(i).padStart(17, '0')}`), Parameters: { commands: ['true'] } })), 'ValidationException');
    await fails('ssm', 'SendCommand', ssm.send(new SendCommandCommand({ DocumentName: 'No-Such-Document', InstanceIds: ['mi-00000000000000002'] })), 'InvalidDocument');
    await fails('ssm', 'SendCommand', ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['mi-0000000000000dead'], Parameters: { commands: ['true'] } })), 'InvalidInstanceId');
    const badParam = await fails(
      'ssm',
      'SendCommand',
      ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-InstallLinux', InstanceIds: ['mi-00000000000000002'], Parameters: { region: [TARGET], mgnEndpoint: [wave.endpoints.mgn], s3Endpoint: [wave.endpoints.s3], tags: ['a=b;rm -rf /'] } })),
      'InvalidParameters',
    );
    expect(badParam.message).toContain('"tags"');
    await fails('ssm', 'GetCommandInvocation', ssm.send(new GetCommandInvocationCommand({ CommandId: '00000000-0000-4000-8000-000000000000', InstanceId: 'mi-00000000000000002' })), 'InvocationDoesNotExist');
    await fails('ssm', 'ListCommands', ssm.send(new ListCommandsCommand({ CommandId: '00000000-0000-4000-8000-000000000000' })), 'InvalidCommandId');
    await fails('ssm', 'ListCommandInvocations', ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Filters: [{ key: 'Colour' as never, value: 'blue' }] })), 'InvalidFilterKey');

    await ok('ssm', 'PutParameter', ssm.send(new PutParameterCommand({ Name: '/mgn/installer', Value: 'secret-value', Type: 'SecureString' })));
    await fails('ssm', 'PutParameter', ssm.send(new PutParameterCommand({ Name: '/mgn/installer', Value: 'again', Type: 'SecureString' })), 'ParameterAlreadyExists');
    const got = await ok('ssm', 'GetParameter', ssm.send(new GetParameterCommand({ Name: '/mgn/installer', WithDecryption: true })));
    expect(got.Parameter!.Value).toBe('secret-value');
    await ok('ssm', 'DeleteParameter', ssm.send(new DeleteParameterCommand({ Name: '/mgn/installer' })));
    await fails('ssm', 'GetParameter', ssm.send(new GetParameterCommand({ Name: '/mgn/installer' })), 'ParameterNotFound');
    await fails('ssm', 'DeleteParameter', ssm.send(new DeleteParameterCommand({ Name: '/mgn/installer' })), 'ParameterNotFound');
    // the trace never holds a parameter value
    expect(JSON.stringify(em.trace.entries)).not.toContain('secret-value');

    // issue 12: a SecureString under the stack's installer-credentials key (its alias exists where the stack deploys)
    const staged = `${INSTALLER_PARAMETER_ROOT}/conf/0123456789abcdef0123456789abcdef`;
    await ok('ssm', 'PutParameter', ssm.send(new PutParameterCommand({ Name: staged, Value: 'secret-value', Type: 'SecureString', KeyId: 'alias/MgnOrchestrator/installer-credentials' })));
    // a key that does not exist in the region: SSM answers InvalidKeyId (PutParameter errors)
    await fails('ssm', 'PutParameter', ssm.send(new PutParameterCommand({ Name: '/mgn/other', Value: 'v', Type: 'SecureString', KeyId: 'alias/no-such-key' })), 'InvalidKeyId');
    // a key is regional: the stack's alias does not exist where the stack is not deployed
    const elsewhere = clients(em.url, 'eu-north-1').ssm;
    await fails('ssm', 'PutParameter', elsewhere.send(new PutParameterCommand({ Name: staged, Value: 'v', Type: 'SecureString', KeyId: 'alias/MgnOrchestrator/installer-credentials' })), 'InvalidKeyId');
    // the key's policy lets only host credentials decrypt: the orchestrator's roles and operators are refused
    await fails('ssm', 'GetParameter', ssm.send(new GetParameterCommand({ Name: staged, WithDecryption: true })), 'AccessDeniedException');
    const sealed = await ok('ssm', 'GetParameter', ssm.send(new GetParameterCommand({ Name: staged })));
    expect(sealed.Parameter!.Value).not.toBe('secret-value');
    await ok('ssm', 'DeleteParameter', ssm.send(new DeleteParameterCommand({ Name: staged })));

    // managed instances' tags (ResourceType ManagedInstance, by mi- id): the fleet's sources carry the allowed tag
    const tags = await ok('ssm', 'ListTagsForResource', ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: 'mi-00000000000000002' })));
    expect(tags.TagList).toEqual([{ Key: 'mgn-orchestrator:allowed', Value: 'true' }]);
    await fails('ssm', 'ListTagsForResource', ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: 'mi-0000000000000dead' })), 'InvalidResourceId');
    await fails('ssm', 'ListTagsForResource', ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: 'i-00000000000000001' })), 'InvalidResourceId');
  });

  it('SSM Run Command under IAM\'s allowed-tag condition (scenario hostTags.enforced): an untagged target refuses the whole call', async () => {
    const e = await startEmulator({
      manifests: [wave],
      scenario: { hostTags: { enforced: true, sources: { 'conf-srv1': { owner: 'someone' } } } },
      onResponse: (a) => answers.push(a),
    });
    try {
      const { ssm } = clients(e.url, TARGET);
      const untagged = await ok('ssm', 'ListTagsForResource', ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: 'mi-00000000000000002' })));
      expect(untagged.TagList).toEqual([{ Key: 'owner', Value: 'someone' }]);
      const params = { region: [TARGET], mgnEndpoint: [wave.endpoints.mgn], s3Endpoint: [wave.endpoints.s3] };
      const denied = await fails(
        'ssm',
        'SendCommand',
        ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: ['mi-00000000000000004', 'mi-00000000000000002'], Parameters: params })),
        'AccessDeniedException',
      );
      expect(denied.message).toContain('managed-instance/mi-00000000000000002');
      // nothing ran anywhere; the tagged host alone is accepted
      await ok('ssm', 'SendCommand', ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: ['mi-00000000000000004'], Parameters: params })));
      const list = await ok('ssm', 'ListCommands', ssm.send(new ListCommandsCommand({})));
      expect(list.Commands!.map((c) => c.InstanceIds)).toEqual([['mi-00000000000000004']]);
    } finally {
      await e.close();
    }
  });

  it('MGN source servers through replication, jobs and the lifecycle, and EC2 for the launched instances', async () => {
    const { mgn, ec2 } = clients(em.url, TARGET);
    await installAll(em, wave);
    await runUntil(em, () => [...em.fleet.sourceServers.values()].some((s) => s.replication.state === 'INITIAL_SYNC'));
    em.clock.advanceBy(10);
    // mid-replication answers carry initiation steps, byte progress and an ETA
    const mid = await ok('mgn', 'DescribeSourceServers', mgn.send(new DescribeSourceServersCommand({ filters: { lifeCycleStates: ['NOT_READY'], isArchived: false, replicationTypes: ['AGENT_BASED'] }, maxResults: 2 })));
    expect(mid.items!.length).toBe(2);
    expect(mid.nextToken).toBeDefined();
    await ok('mgn', 'DescribeSourceServers', mgn.send(new DescribeSourceServersCommand({ filters: { lifeCycleStates: ['NOT_READY'] }, maxResults: 2, nextToken: mid.nextToken })));
    await runUntil(em, () => [...em.fleet.sourceServers.values()].every((s) => s.lifeCycle === 'READY_FOR_TEST'));
    const ready = await ok('mgn', 'DescribeSourceServers', mgn.send(new DescribeSourceServersCommand({})));
    const ids = ready.items!.map((s) => s.sourceServerID!);
    expect(ids).toHaveLength(4);
    await fails('mgn', 'GetLaunchConfiguration', mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: 's-00000000000000000' })), 'ResourceNotFoundException');
    const launchIp = (i: number) => em.targetNetwork.subnets.find((s) => s.subnetId === em.stack.subnetIds.test[0])!.cidrBlock.replace(/\.0\/\d+$/, `.${20 + i}`);
    await writeLaunchSettingsConformingly(ids.slice(0, 3), launchIp);
    // a server's own replication settings: read, written to the isolated ones, refused as the model says
    const repl = await ok('mgn', 'GetReplicationConfiguration', mgn.send(new GetReplicationConfigurationCommand({ sourceServerID: ids[0] })));
    expect(repl).toMatchObject({ sourceServerID: ids[0], replicatedDisks: expect.any(Array) });
    await fails('mgn', 'GetReplicationConfiguration', mgn.send(new GetReplicationConfigurationCommand({ sourceServerID: 's-00000000000000000' })), 'ResourceNotFoundException');
    const isolated = {
      stagingAreaSubnetId: em.stack.stagingSubnetId,
      dataPlaneRouting: 'PRIVATE_IP' as const,
      createPublicIP: false,
      replicationServersSecurityGroupsIDs: [em.stack.securityGroupIds.replication],
      associateDefaultSecurityGroup: false,
    };
    const written = await ok('mgn', 'UpdateReplicationConfiguration', mgn.send(new UpdateReplicationConfigurationCommand({ sourceServerID: ids[0], ...isolated })));
    expect(written).toMatchObject({ sourceServerID: ids[0], ...isolated, replicatedDisks: repl.replicatedDisks });
    await fails('mgn', 'UpdateReplicationConfiguration', mgn.send(new UpdateReplicationConfigurationCommand({ sourceServerID: 's-00000000000000000', createPublicIP: false })), 'ResourceNotFoundException');
    await fails('mgn', 'UpdateReplicationConfiguration', mgn.send(new UpdateReplicationConfigurationCommand({ sourceServerID: ids[0], stagingAreaSubnetId: 'subnet-0123456789abcdef0' })), 'ValidationException');
    await fails('mgn', 'UpdateReplicationConfiguration', mgn.send(new UpdateReplicationConfigurationCommand({ sourceServerID: ids[0], dataPlaneRouting: 'VPN' as never })), 'ValidationException');
    await fails('mgn', 'UpdateReplicationConfiguration', mgn.send(new UpdateReplicationConfigurationCommand({ sourceServerID: ids[0], replicatedDisks: [{ deviceName: '/dev/not-a-disk' }] })), 'ValidationException');
    await fails('mgn', 'DescribeSourceServers', mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: Array.from({ length: 201 }, () => ids[0]) } })), 'ValidationException');
    await fails('mgn', 'DescribeSourceServers', mgn.send(new DescribeSourceServersCommand({ maxResults: 1001 })), 'ValidationException');
    await fails('mgn', 'MarkAsArchived', mgn.send(new MarkAsArchivedCommand({ sourceServerID: ids[0] })), 'ConflictException');
    await fails('mgn', 'FinalizeCutover', mgn.send(new FinalizeCutoverCommand({ sourceServerID: ids[0] })), 'ConflictException');
    await fails('mgn', 'StartCutover', mgn.send(new StartCutoverCommand({ sourceServerIDs: ['s-00000000000000000'] })), 'ValidationException');

    const test = await ok('mgn', 'StartTest', mgn.send(new StartTestCommand({ sourceServerIDs: ids.slice(0, 3), tags: { Wave: 'conf' } })));
    await fails('mgn', 'StartTest', mgn.send(new StartTestCommand({ sourceServerIDs: ids.slice(0, 1) })), 'ConflictException');
    await fails('mgn', 'StartTest', mgn.send(new StartTestCommand({ sourceServerIDs: Array.from({ length: 201 }, () => ids[3]) })), 'ValidationException');
    await ok('mgn', 'DescribeJobs', mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [test.job!.jobID!] } })));
    await runUntil(em, () => em.fleet.activeJobs().length === 0);
    em.clock.advanceBy(200);
    const jobs = await ok('mgn', 'DescribeJobs', mgn.send(new DescribeJobsCommand({ filters: { fromDate: '2026-01-01T00:00:00Z', toDate: '2027-01-01T00:00:00Z' }, maxResults: 10 })));
    expect(jobs.items![0].status).toBe('COMPLETED');
    await fails('mgn', 'DescribeJobs', mgn.send(new DescribeJobsCommand({ filters: { jobIDs: Array.from({ length: 1001 }, () => test.job!.jobID!) } })), 'ValidationException');
    const logs = await ok('mgn', 'DescribeJobLogItems', mgn.send(new DescribeJobLogItemsCommand({ jobID: test.job!.jobID! })));
    expect(logs.items!.map((l) => l.event)).toEqual(expect.arrayContaining(['JOB_START', 'LAUNCH_START', 'JOB_END']));
    await fails('mgn', 'DescribeJobLogItems', mgn.send(new DescribeJobLogItemsCommand({ jobID: 'not-a-job' })), 'ValidationException');

    const launched = test.job!.participatingServers!.map((p) => p.sourceServerID!);
    const instanceIds = (await ok('mgn', 'DescribeSourceServers', mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: launched } })))).items!.map((s) => s.launchedInstance!.ec2InstanceID!);
    await ok('ec2', 'DescribeInstances', ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds })));
    await ok('ec2', 'DescribeInstances', ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }], MaxResults: 5 })));
    await ok('ec2', 'DescribeInstanceStatus', ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: instanceIds, IncludeAllInstances: true })));
    await fails('ec2', 'DescribeInstanceStatus', ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound');
    await fails('ec2', 'DescribeInstanceStatus', ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ['instance-1'] })), 'InvalidInstanceID.Malformed');
    await fails('ec2', 'DescribeInstances', ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound');
    await fails('ec2', 'DescribeInstances', ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })), 'InvalidParameterValue');
    const shown = await ok('ec2', 'DescribeInstances', ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'subnet-id', Values: [...em.stack.subnetIds.test] }, { Name: 'tag:AWSApplicationMigrationServiceManaged', Values: ['mgn.amazonaws.com'] }] })));
    expect(shown.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId)).sort()).toEqual([...instanceIds].sort());
    expect(shown.Reservations![0].Instances![0].IamInstanceProfile!.Arn).toMatch(/instance-profile\/MgnOrchestrator-LaunchedInstanceProfile$/);

    // lifecycle: test finalised, test instances terminated, cutover, finalise, archive, disconnect
    await fails('mgn', 'TerminateTargetInstances', mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [launched[0]] })), 'ConflictException');
    await fails('mgn', 'ChangeServerLifeCycleState', mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: ids[3], lifeCycle: { state: 'CUTOVER' } })), 'ConflictException');
    await fails('mgn', 'ChangeServerLifeCycleState', mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: 's-00000000000000000', lifeCycle: { state: 'READY_FOR_CUTOVER' } })), 'ResourceNotFoundException');
    for (const id of launched) await ok('mgn', 'ChangeServerLifeCycleState', mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } })));
    await ok('mgn', 'TerminateTargetInstances', mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: launched.slice(1) })));
    const terminated = await ok('ec2', 'TerminateInstances', ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceIds[0]] })));
    expect(terminated.TerminatingInstances![0].CurrentState!.Name).toBe('shutting-down');
    await fails('ec2', 'TerminateInstances', ec2.send(new TerminateInstancesCommand({ InstanceIds: [] })), 'MissingParameter');
    await runUntil(em, () => em.fleet.activeJobs().length === 0);
    const cut = await ok('mgn', 'StartCutover', mgn.send(new StartCutoverCommand({ sourceServerIDs: launched })));
    expect(cut.job!.initiatedBy).toBe('START_CUTOVER');
    await runUntil(em, () => em.fleet.activeJobs().length === 0);
    const final = await ok('mgn', 'FinalizeCutover', mgn.send(new FinalizeCutoverCommand({ sourceServerID: launched[0] })));
    expect(final.lifeCycle!.state).toBe('CUTOVER');
    // "Revert to ready for cutover" (MGN user guide, "Reverting a cutover"): an unfinalized cutover goes
    // back to READY_FOR_CUTOVER, still replicating, its cutover instance kept until terminated; a
    // finalized one (replication gone, not launchable) cannot be reverted, a reverted one not finalized.
    await fails('mgn', 'ChangeServerLifeCycleState', mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: launched[0], lifeCycle: { state: 'READY_FOR_CUTOVER' } })), 'ConflictException');
    const reverted = await ok('mgn', 'ChangeServerLifeCycleState', mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: launched[2], lifeCycle: { state: 'READY_FOR_CUTOVER' } })));
    expect(reverted.lifeCycle!.state).toBe('READY_FOR_CUTOVER');
    expect(reverted.lifeCycle!.lastCutover!.reverted!.apiCallDateTime).toMatch(/Z$/);
    expect(reverted.lifeCycle!.lastCutover!.finalized).toBeUndefined();
    expect(reverted.dataReplicationInfo!.dataReplicationState).toBe('CONTINUOUS');
    expect(reverted.launchedInstance!.ec2InstanceID).toMatch(/^i-/);
    await fails('mgn', 'FinalizeCutover', mgn.send(new FinalizeCutoverCommand({ sourceServerID: launched[2] })), 'ConflictException');
    await ok('mgn', 'TerminateTargetInstances', mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [launched[2]] })));
    await runUntil(em, () => em.fleet.activeJobs().length === 0);
    await ok('mgn', 'MarkAsArchived', mgn.send(new MarkAsArchivedCommand({ sourceServerID: launched[0] })));
    await fails('mgn', 'DisconnectFromService', mgn.send(new DisconnectFromServiceCommand({ sourceServerID: launched[1] })), 'ConflictException');
    const disconnected = await ok('mgn', 'DisconnectFromService', mgn.send(new DisconnectFromServiceCommand({ sourceServerID: ids[3] })));
    expect(disconnected.lifeCycle!.state).toBe('DISCONNECTED');
    await fails('mgn', 'MarkAsArchived', mgn.send(new MarkAsArchivedCommand({ sourceServerID: 's-00000000000000000' })), 'ResourceNotFoundException');
    await fails('mgn', 'FinalizeCutover', mgn.send(new FinalizeCutoverCommand({ sourceServerID: 's-00000000000000000' })), 'ResourceNotFoundException');
    await fails('mgn', 'DisconnectFromService', mgn.send(new DisconnectFromServiceCommand({ sourceServerID: 's-00000000000000000' })), 'ResourceNotFoundException');
  });

  // The model lists no ValidationException for the wave and application operations: their invalid
  // inputs (names, ids, more than 50 ids per call) are refused in emulator.wire.test.ts.
  it('MGN waves and applications: created once by name, associated, archived', async () => {
    const { mgn } = clients(em.url, TARGET);
    const servers = [...em.fleet.sourceServers.values()].filter((s) => s.region === TARGET);
    const live = servers.filter((s) => !s.isArchived).map((s) => s.sourceServerID);
    const archived = servers.filter((s) => s.isArchived).map((s) => s.sourceServerID);
    expect(live.length).toBeGreaterThanOrEqual(2);
    expect(archived.length).toBeGreaterThanOrEqual(1);

    const wave = await ok('mgn', 'CreateWave', mgn.send(new CreateWaveCommand({ name: 'conf-wave', description: 'conformance', tags: { Wave: 'conf' } })));
    expect(wave).toMatchObject({ waveID: expect.stringMatching(/^wave-[0-9a-zA-Z]{17}$/), name: 'conf-wave', isArchived: false, waveAggregatedStatus: { totalApplications: 0 } });
    // names are unique per account and region, case-insensitively
    await fails('mgn', 'CreateWave', mgn.send(new CreateWaveCommand({ name: 'CONF-WAVE' })), 'ConflictException');
    const app = await ok('mgn', 'CreateApplication', mgn.send(new CreateApplicationCommand({ name: 'conf-app' })));
    const other = await ok('mgn', 'CreateApplication', mgn.send(new CreateApplicationCommand({ name: 'conf-other' })));
    await fails('mgn', 'CreateApplication', mgn.send(new CreateApplicationCommand({ name: 'Conf-App' })), 'ConflictException');

    await ok('mgn', 'AssociateApplications', mgn.send(new AssociateApplicationsCommand({ waveID: wave.waveID!, applicationIDs: [app.applicationID!] })));
    await fails('mgn', 'AssociateApplications', mgn.send(new AssociateApplicationsCommand({ waveID: 'wave-00000000000000000', applicationIDs: [app.applicationID!] })), 'ResourceNotFoundException');

    await ok('mgn', 'AssociateSourceServers', mgn.send(new AssociateSourceServersCommand({ applicationID: app.applicationID!, sourceServerIDs: [live[0]] })));
    // again: nothing changes
    await ok('mgn', 'AssociateSourceServers', mgn.send(new AssociateSourceServersCommand({ applicationID: app.applicationID!, sourceServerIDs: [live[0]] })));
    // a source server belongs to one application at a time; an archived one to none
    await fails('mgn', 'AssociateSourceServers', mgn.send(new AssociateSourceServersCommand({ applicationID: other.applicationID!, sourceServerIDs: [live[0]] })), 'ConflictException');
    await fails('mgn', 'AssociateSourceServers', mgn.send(new AssociateSourceServersCommand({ applicationID: app.applicationID!, sourceServerIDs: [archived[0]] })), 'ConflictException');
    await fails('mgn', 'AssociateSourceServers', mgn.send(new AssociateSourceServersCommand({ applicationID: app.applicationID!, sourceServerIDs: ['s-00000000000000000'] })), 'ResourceNotFoundException');
    const inApp = await ok('mgn', 'DescribeSourceServers', mgn.send(new DescribeSourceServersCommand({ filters: { applicationIDs: [app.applicationID!] } })));
    expect(inApp.items!.map((s) => [s.sourceServerID, s.applicationID])).toEqual([[live[0], app.applicationID]]);

    const listed = await ok('mgn', 'ListApplications', mgn.send(new ListApplicationsCommand({ filters: { waveIDs: [wave.waveID!] } })));
    expect(listed.items!.map((a) => [a.name, a.waveID, a.applicationAggregatedStatus!.totalSourceServers])).toEqual([['conf-app', wave.waveID, 1]]);
    const waves = await ok('mgn', 'ListWaves', mgn.send(new ListWavesCommand({ filters: { isArchived: false } })));
    expect(waves.items!.map((w) => [w.name, w.waveAggregatedStatus!.totalApplications])).toEqual([['conf-wave', 1]]);

    const archivedApp = await ok('mgn', 'ArchiveApplication', mgn.send(new ArchiveApplicationCommand({ applicationID: app.applicationID! })));
    expect(archivedApp.isArchived).toBe(true);
    await fails('mgn', 'ArchiveApplication', mgn.send(new ArchiveApplicationCommand({ applicationID: app.applicationID! })), 'ConflictException');
    await fails('mgn', 'ArchiveApplication', mgn.send(new ArchiveApplicationCommand({ applicationID: 'app-00000000000000000' })), 'ResourceNotFoundException');
    await fails('mgn', 'AssociateSourceServers', mgn.send(new AssociateSourceServersCommand({ applicationID: app.applicationID!, sourceServerIDs: [live[1]] })), 'ConflictException');
    const archivedWave = await ok('mgn', 'ArchiveWave', mgn.send(new ArchiveWaveCommand({ waveID: wave.waveID! })));
    expect(archivedWave.isArchived).toBe(true);
    await fails('mgn', 'ArchiveWave', mgn.send(new ArchiveWaveCommand({ waveID: wave.waveID! })), 'ConflictException');
    await fails('mgn', 'ArchiveWave', mgn.send(new ArchiveWaveCommand({ waveID: 'wave-00000000000000000' })), 'ResourceNotFoundException');
    await fails('mgn', 'AssociateApplications', mgn.send(new AssociateApplicationsCommand({ waveID: wave.waveID!, applicationIDs: [other.applicationID!] })), 'ConflictException');
    // an archived wave keeps its name
    await fails('mgn', 'CreateWave', mgn.send(new CreateWaveCommand({ name: 'conf-wave' })), 'ConflictException');
  });

  it('MGN refuses a 201st active wave or application and a 201st server in an application (ServiceQuotaExceededException)', async () => {
    const { mgn } = clients(em.url, TARGET);
    const active = (await mgn.send(new ListWavesCommand({ filters: { isArchived: false } }))).items!.length;
    for (let i = active; i < 200; i += 1) await mgn.send(new CreateWaveCommand({ name: `quota-wave-${i}` }));
    await fails('mgn', 'CreateWave', mgn.send(new CreateWaveCommand({ name: 'quota-wave-201' })), 'ServiceQuotaExceededException');
    const apps = (await mgn.send(new ListApplicationsCommand({ filters: { isArchived: false } }))).items!.length;
    for (let i = apps; i < 200; i += 1) await mgn.send(new CreateApplicationCommand({ name: `quota-app-${i}` }));
    await fails('mgn', 'CreateApplication', mgn.send(new CreateApplicationCommand({ name: 'quota-app-201' })), 'ServiceQuotaExceededException');
  });

  it('STS, S3 and SNS', async () => {
    const { sts, s3, sns } = clients(em.url, TARGET);
    const role = await ok('sts', 'AssumeRole', sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/MgnInstaller', RoleSessionName: 'wave-conf', DurationSeconds: 900 })));
    expect(role.Credentials!.AccessKeyId).toMatch(/^ASIA/);
    expect(role.AssumedRoleUser!.Arn).toBe('arn:aws:sts::111122223333:assumed-role/MgnInstaller/wave-conf');
    await fails('sts', 'AssumeRole', sts.send(new AssumeRoleCommand({ RoleArn: 'not-an-arn', RoleSessionName: 'x1' })), 'ValidationError');
    const who = await ok('sts', 'GetCallerIdentity', sts.send(new GetCallerIdentityCommand({})));
    expect(who.Account).toBe('111122223333');
    // credentials handed out never reach the trace
    expect(JSON.stringify(em.trace.entries)).not.toContain(role.Credentials!.SecretAccessKey!);

    await ok('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket: 'wave-bucket', Key: 'waves/conf/manifest.json', Body: '{"waveId":"conf"}', ContentType: 'application/json' })));
    const got = await ok('s3', 'GetObject', s3.send(new GetObjectCommand({ Bucket: 'wave-bucket', Key: 'waves/conf/manifest.json' })));
    expect(await got.Body!.transformToString()).toBe('{"waveId":"conf"}');
    const head = await ok('s3', 'HeadObject', s3.send(new HeadObjectCommand({ Bucket: 'wave-bucket', Key: 'waves/conf/manifest.json' })));
    expect(head.ContentLength).toBe(17);
    expect(head.ContentType).toBe('application/json');
    await fails('s3', 'GetObject', s3.send(new GetObjectCommand({ Bucket: 'wave-bucket', Key: 'missing.json' })), 'NoSuchKey');
    await fails('s3', 'GetObject', s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x.json' })), 'NoSuchBucket');
    await fails('s3', 'HeadObject', s3.send(new HeadObjectCommand({ Bucket: 'wave-bucket', Key: 'missing.json' })), 'NoSuchKey');
    expect(answers[answers.length - 1].status).toBe(404);

    const topic = `arn:aws:sns:${TARGET}:111122223333:wave-events`;
    const published = await ok('sns', 'Publish', sns.send(new PublishCommand({ TopicArn: topic, Subject: 'Wave conf', Message: 'approval needed' })));
    expect(em.published.map((m) => [m.messageId, m.message])).toEqual([[published.MessageId, 'approval needed']]);
    await fails('sns', 'Publish', sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:nowhere', Message: 'x' })), 'InvalidParameter');
  });

  it('Service Quotas: the replicating-servers quota (mgn/L-9A599620), 150 on a fresh account, the scenario\'s after an increase', async () => {
    const { quotas } = clients(em.url, TARGET);
    const got = await ok('servicequotas', 'GetServiceQuota', quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-9A599620' })));
    expect(got.Quota).toMatchObject({ ServiceCode: 'mgn', QuotaCode: 'L-9A599620', Value: 150, Adjustable: true, QuotaArn: `arn:aws:servicequotas:${TARGET}:111122223333:mgn/L-9A599620` });
    await fails('servicequotas', 'GetServiceQuota', quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-00000000' })), 'NoSuchResourceException');
    await fails('servicequotas', 'GetServiceQuota', quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-9A599620' })), 'NoSuchResourceException');
    await fails('servicequotas', 'GetServiceQuota', quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: '9A599620' })), 'IllegalArgumentException');
    const raised = await startEmulator({ manifests: [wave], scenario: { quotas: { replicatingServers: 1000 } }, onResponse: (a) => answers.push(a) });
    try {
      const after = await ok('servicequotas', 'GetServiceQuota', clients(raised.url, TARGET).quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-9A599620' })));
      expect(after.Quota?.Value).toBe(1000);
    } finally {
      await raised.close();
    }
  });

  it('throttling and internal errors in each service are codes the service documents', async () => {
    for (const [scenario, kind] of [
      [{ throttle: { rate: 1 } }, 'throttle'],
      [{ chaos: { internalErrorRate: 1 } }, 'internal'],
    ] as const) {
      const seen: WireAnswer[] = [];
      const e = await startEmulator({ manifests: [wave], scenario, onResponse: (a) => seen.push(a) });
      const c = clients(e.url, TARGET);
      const calls: [Service, string, () => Promise<unknown>][] = [
        ['mgn', 'DescribeSourceServers', () => c.mgn.send(new DescribeSourceServersCommand({}))],
        ['ssm', 'DescribeInstanceInformation', () => c.ssm.send(new DescribeInstanceInformationCommand({}))],
        ['ec2', 'DescribeInstances', () => c.ec2.send(new DescribeInstancesCommand({}))],
        ['sts', 'GetCallerIdentity', () => c.sts.send(new GetCallerIdentityCommand({}))],
        ['s3', 'GetObject', () => c.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))],
        ['sns', 'Publish', () => c.sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:${TARGET}:111122223333:t`, Message: 'm' }))],
        ['servicequotas', 'GetServiceQuota', () => c.quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-9A599620' }))],
      ];
      for (const [service, operation, call] of calls) {
        const err = await call().then(
          () => undefined,
          (x: { name: string }) => x,
        );
        const a = seen.find((x) => x.service === service)!;
        expect([a.operation, a.status >= 400]).toEqual([operation, true]);
        const code = wireErrorCode(a);
        expect(allowedErrors(service, operation)).toContain(code);
        expect(err?.name).toBe(sdkErrorName(service, code));
        expect(kind === 'throttle' ? a.status === 429 || a.status === 503 || a.status === 400 : a.status === 500).toBe(true);
      }
      await e.close();
    }
  });

  it('covered every operation the project uses, each in a happy and an error case', () => {
    const expected = {
      mgn: ['CreateWave', 'ArchiveWave', 'CreateApplication', 'ArchiveApplication', 'AssociateApplications', 'AssociateSourceServers', 'DescribeSourceServers', 'DescribeReplicationConfigurationTemplates', 'CreateReplicationConfigurationTemplate', 'UpdateReplicationConfigurationTemplate', 'StartTest', 'StartCutover', 'DescribeJobs', 'DescribeJobLogItems', 'ChangeServerLifeCycleState', 'TerminateTargetInstances', 'FinalizeCutover', 'MarkAsArchived', 'DisconnectFromService', 'GetLaunchConfiguration', 'UpdateLaunchConfiguration', 'GetReplicationConfiguration', 'UpdateReplicationConfiguration'],
      ssm: ['SendCommand', 'ListCommandInvocations', 'GetCommandInvocation', 'ListCommands', 'DescribeInstanceInformation', 'PutParameter', 'GetParameter', 'DeleteParameter', 'ListTagsForResource'],
      ec2: ['DescribeInstances', 'DescribeInstanceStatus', 'DescribeSubnets', 'DescribeSecurityGroups', 'TerminateInstances', 'DescribeVpcs', 'DescribeRouteTables', 'DescribeVpcEndpoints', 'DescribeLaunchTemplateVersions', 'CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'],
      sts: ['AssumeRole'],
      s3: ['GetObject', 'HeadObject'],
      sns: ['Publish'],
      servicequotas: ['GetServiceQuota'],
    };
    const missing: string[] = [];
    for (const [service, ops] of Object.entries(expected))
      for (const op of ops) {
        const seen = covered.get(`${service}:${op}`);
        if (!seen?.has('ok') || !seen.has('error')) missing.push(`${service}:${op} (${[...(seen ?? [])].join(',') || 'none'})`);
      }
    // operations with no error the project can provoke: only their happy path
    // (ListWaves and ListApplications list only UninitializedAccountException; their invalid input is in emulator.wire.test.ts)
    for (const key of ['mgn:InitializeService', 'sts:GetCallerIdentity', 's3:PutObject', 'mgn:ListWaves', 'mgn:ListApplications']) if (!covered.get(key)?.has('ok')) missing.push(key);
    expect(missing).toEqual([]);
  });
});

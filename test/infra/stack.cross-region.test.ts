import { Match } from 'aws-cdk-lib/assertions';
import { ENV, STEPS } from '../../functions/lib/steps';
import { SSM_AGENT_CORE_ACTIONS, SSM_AGENT_MESSAGE_ACTIONS } from '../../infra/constructs/launch-targets';
import { INTERFACE_ENDPOINT_SERVICES, endpointGroupOf, mgnBucketNames, type EndpointGroupName } from '../../infra/constructs/service-endpoints';
import { UNSCOPED_ACTIONS } from '../../infra/step-permissions';
import { logicalId, synthExample, type Synthesised } from './synth';

let s: Synthesised;
beforeAll(() => {
  // One synth for the whole file; it also runs cdk-nag and throws on any unacknowledged finding.
  s = synthExample('cross-region');
});

const resourcesOf = (type: string) => Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);
const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attr: string) => ({ 'Fn::GetAtt': [id, attr] });

describe('isolated network (cross-region config)', () => {
  it('has no internet gateway, NAT gateway, elastic IP or egress-only gateway', () => {
    for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::EgressOnlyInternetGateway', 'AWS::EC2::VPCGatewayAttachment'])
      expect(resourcesOf(type).map(([id]) => id)).toEqual([]);
  });

  it('has no default route: every route goes to the source VPC over peering', () => {
    const routes = resourcesOf('AWS::EC2::Route').map(([, r]) => r.Properties!);
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.DestinationCidrBlock).toBe('10.10.0.0/16');
      expect(route.VpcPeeringConnectionId).toBe('pcx-0a1b2c3d4e5f60718');
      expect(route.GatewayId).toBeUndefined();
      expect(route.NatGatewayId).toBeUndefined();
    }
    // every route table of the VPC but the test tier's gets the peering route (replies to the sources);
    // test instances, clones of running production servers, stay off the source network
    const testTables = s.stack.network.test.subnets.map((subnet) => subnet.routeTable.routeTableId);
    const tables = resourcesOf('AWS::EC2::RouteTable')
      .map(([id]) => id)
      .filter((id) => !testTables.some((t) => JSON.stringify(s.stack.resolve(t)) === JSON.stringify(ref(id))))
      .sort();
    expect(testTables).toHaveLength(2);
    expect(tables).toHaveLength(8);
    expect(routes.map((r) => (r.RouteTableId as { Ref: string }).Ref).sort()).toEqual(tables);
  });

  it('keeps a flow log on the new VPC', () => {
    s.template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
  });
});

describe('service endpoints', () => {
  const endpointSgId = (group: EndpointGroupName = 'hosts') => logicalId(s.stack, s.stack.endpoints.securityGroups[group]);

  it.each([...INTERFACE_ENDPOINT_SERVICES, 'execute-api'] as const)('creates the %s interface endpoint with private DNS behind its group\'s security group', (service) => {
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: `com.amazonaws.ap-south-1.${service}`,
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SecurityGroupIds: [getAtt(endpointSgId(endpointGroupOf(service)), 'GroupId')],
    });
  });

  it('lets TCP 443 in to the hosts group from the source CIDRs and the orchestrator, staging, test and cutover subnets, nothing else', () => {
    const sg = s.json.Resources[endpointSgId()].Properties!;
    const ingress = sg.SecurityGroupIngress as { CidrIp: string; FromPort: number; ToPort: number; IpProtocol: string }[];
    expect(ingress.map((r) => r.CidrIp).sort()).toEqual(
      // sources; orchestrator 0-1, staging 2-3, test 5-6, cutover 7-8 (endpoints 4.0/26, 4.64/26 are not clients)
      ['10.10.0.0/16', '10.40.0.0/24', '10.40.1.0/24', '10.40.2.0/24', '10.40.3.0/24', '10.40.8.0/22', '10.40.12.0/22', '10.40.16.0/22', '10.40.20.0/22'].sort(),
    );
    for (const rule of ingress) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    // and from the Lambdas' security group
    s.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: getAtt(endpointSgId(), 'GroupId'),
      SourceSecurityGroupId: getAtt(logicalId(s.stack, s.stack.functions.securityGroup), 'GroupId'),
      FromPort: 443,
      ToPort: 443,
      IpProtocol: 'tcp',
    });
  });

  it('puts the S3 gateway endpoint in the staging route tables with a policy limited to the MGN, AL2023 and wave buckets', () => {
    const gateway = resourcesOf('AWS::EC2::VPCEndpoint').find(([, r]) => r.Properties!.VpcEndpointType === 'Gateway')![1].Properties!;
    const tables = (gateway.RouteTableIds as { Ref: string }[]).map((r) => r.Ref);
    expect(tables).toHaveLength(2);
    for (const table of tables) expect(table).toMatch(/staging/);
    const statements = (gateway.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    const s3Resources = statements.flatMap((st) => st.Resource as unknown[]);
    expect(s3Resources).toEqual(
      expect.arrayContaining([...mgnBucketNames('ap-south-1').map((b) => `arn:aws:s3:::${b}/*`), 'arn:aws:s3:::al2023-repos-ap-south-1-de612dc2/*']),
    );
    expect(mgnBucketNames('ap-south-1')).toEqual([
      'aws-application-migration-service-ap-south-1',
      'aws-application-migration-service-hashes-ap-south-1',
      'aws-mgn-clients-ap-south-1',
      'aws-mgn-clients-hashes-ap-south-1',
      'aws-mgn-internal-ap-south-1',
      'aws-mgn-internal-hashes-ap-south-1',
    ]);
    const bucketId = logicalId(s.stack, s.stack.store.bucket);
    // the only other buckets: the wave bucket, for this account's principals; deletes only of a wave's run lock
    const other = statements.filter((st) => st.Sid !== 'MgnAndAl2023Buckets');
    expect(other).toHaveLength(2);
    expect(other[0]).toMatchObject({
      Condition: { StringEquals: { 'aws:PrincipalAccount': ref('AWS::AccountId') } },
      Resource: [getAtt(bucketId, 'Arn'), { 'Fn::Join': ['', [getAtt(bucketId, 'Arn'), '/*']] }],
    });
    expect(other[1]).toEqual({
      Sid: 'WaveLockFromThisAccount',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 's3:DeleteObject',
      Condition: { StringEquals: { 'aws:PrincipalAccount': ref('AWS::AccountId'), 'aws:ResourceAccount': ref('AWS::AccountId') } },
      Resource: { 'Fn::Join': ['', [getAtt(bucketId, 'Arn'), '/waves/*/lock.json']] },
    });
    for (const st of statements) expect(st.Action).not.toEqual(expect.arrayContaining(['s3:*']));
  });

  it('keeps CreateSessionForMgn working in the mgn endpoint policy and refuses other accounts', () => {
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-south-1.mgn',
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'mgn:*', Condition: { StringEquals: { 'aws:PrincipalAccount': ref('AWS::AccountId') } } }),
          Match.objectLike({ Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:ap-south-1:*:*/POST/CreateSessionForMgn' }),
        ]),
      },
    });
  });

  it.each(['ec2', 'ssm', 'ssmmessages', 'ec2messages', 'states', 'sts', 'sns', 'events', 'logs', 'kms'])('limits the %s endpoint to principals of this account', (service) => {
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: `com.amazonaws.ap-south-1.${service}`,
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: `${service}:*`, Condition: { StringEquals: Match.objectLike({ 'aws:PrincipalAccount': ref('AWS::AccountId') }) } })]),
      },
    });
  });

  it('answers S3 private DNS only to inbound resolvers, so the VPC itself uses the gateway', () => {
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-south-1.s3',
      VpcEndpointType: 'Interface',
      DnsOptions: { PrivateDnsOnlyForInboundResolverEndpoint: 'OnlyInboundResolver' },
    });
  });
});

describe('replication security group', () => {
  it('allows TCP 1500 from the source CIDRs', () => {
    const sg = s.json.Resources[logicalId(s.stack, s.stack.replication.securityGroup)].Properties!;
    expect(sg.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '10.10.0.0/16', IpProtocol: 'tcp', FromPort: 1500, ToPort: 1500 })]);
  });
});

describe('orchestrator functions', () => {
  const functionsById = () => resourcesOf('AWS::Lambda::Function');

  it('creates one Node.js 24 arm64 function per step with active tracing, in the orchestrator subnets with the orchestrator security group (and the probe group for the verify steps)', () => {
    const orchestratorSubnets = s.stack.network.orchestrator.subnets.map((subnet) => ref(s.stack.getLogicalId(subnet.node.defaultChild as never)));
    const sgId = logicalId(s.stack, s.stack.functions.securityGroup);
    const probeId = logicalId(s.stack, s.stack.functions.probeSecurityGroup);
    expect(STEPS.filter((step) => step.probesLaunchedInstances).map((step) => step.name)).toEqual(['verify-test', 'verify-cutover']);
    expect(functionsById()).toHaveLength(STEPS.length);
    for (const step of STEPS) {
      const id = logicalId(s.stack, s.stack.functions.functions[step.name]);
      const fn = s.json.Resources[id].Properties!;
      expect(fn).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        Timeout: step.timeoutSeconds,
        VpcConfig: {
          SubnetIds: orchestratorSubnets,
          SecurityGroupIds: step.probesLaunchedInstances ? [getAtt(sgId, 'GroupId'), getAtt(probeId, 'GroupId')] : [getAtt(sgId, 'GroupId')],
        },
      });
    }
  });

  it("gives the functions' security group egress on TCP 443 only, to the endpoints and the source region's SSM endpoint", () => {
    const sgId = logicalId(s.stack, s.stack.functions.securityGroup);
    const sg = s.json.Resources[sgId].Properties!;
    expect(sg.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '10.10.200.0/24', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })]);
    const egress = resourcesOf('AWS::EC2::SecurityGroupEgress')
      .map(([, r]) => r.Properties!)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(getAtt(sgId, 'GroupId')));
    expect(egress).toEqual([
      expect.objectContaining({
        DestinationSecurityGroupId: getAtt(logicalId(s.stack, s.stack.endpoints.securityGroups.hosts), 'GroupId'),
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      }),
      expect.objectContaining({ DestinationSecurityGroupId: getAtt(logicalId(s.stack, s.stack.endpoints.securityGroups.ec2), 'GroupId'), FromPort: 443, ToPort: 443 }),
      expect.objectContaining({ DestinationSecurityGroupId: getAtt(logicalId(s.stack, s.stack.endpoints.securityGroups.orchestrator), 'GroupId'), FromPort: 443, ToPort: 443 }),
    ]);
  });

  it('gives every function its own log group with the configured retention', () => {
    for (const step of STEPS) {
      const fn = s.json.Resources[logicalId(s.stack, s.stack.functions.functions[step.name])].Properties!;
      const logGroupId = logicalId(s.stack, s.stack.functions.logGroups[step.name]);
      expect(fn.LoggingConfig).toEqual({ LogGroup: ref(logGroupId) });
      expect(s.json.Resources[logGroupId].Properties!.RetentionInDays).toBe(90);
    }
  });

  it("sets each step's declared environment variables, and the S3 endpoint for steps that use S3", () => {
    for (const step of STEPS) {
      const vars = (s.json.Resources[logicalId(s.stack, s.stack.functions.functions[step.name])].Properties!.Environment as { Variables: Record<string, unknown> })
        .Variables;
      for (const name of step.env) expect(vars[name]).toBeDefined();
      expect(vars.AWS_ENDPOINT_URL_S3).toBeDefined();
    }
    const preflight = s.json.Resources[logicalId(s.stack, s.stack.functions.functions['preflight'])].Properties!.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(JSON.parse(preflight.Variables[ENV.ssmEndpointsByRegion] as string)).toEqual({
      'ap-southeast-1': 'https://vpce-0123456789abcdef0-a1b2c3d4.ssm.ap-southeast-1.vpce.amazonaws.com',
    });
  });
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('IAM', () => {
  const allStatements = (): { id: string; statement: Statement }[] =>
    Object.entries(s.json.Resources).flatMap(([id, r]) => {
      const docs: unknown[] = [];
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') docs.push(r.Properties!.PolicyDocument);
      if (r.Type === 'AWS::IAM::Role') for (const p of (r.Properties!.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) docs.push(p.PolicyDocument);
      return docs.flatMap((doc) => (doc as { Statement: Statement[] }).Statement.map((statement) => ({ id, statement })));
    });
  const actions = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
  const resources = (st: Statement) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

  it('has no statement with a wildcard action', () => {
    const offending = allStatements().filter(({ statement }) => actions(statement).some((a) => a.includes('*')));
    expect(offending).toEqual([]);
  });

  it('grants Resource "*" only for actions that have no resource-level permissions', () => {
    const serviceLevel = new Set([
      ...Object.keys(UNSCOPED_ACTIONS),
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      // the SSM agent on launched instances (the actions of AmazonSSMManagedInstanceCore that have no resource type, or concern the instance itself)
      ...SSM_AGENT_CORE_ACTIONS,
      ...SSM_AGENT_MESSAGE_ACTIONS,
      // vended logs and X-Ray of the state machine
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
    ]);
    const star = allStatements().filter(({ statement }) => resources(statement).includes('*'));
    expect(star.length).toBeGreaterThan(0);
    for (const { statement } of star) for (const action of actions(statement)) expect(serviceLevel).toContain(action);
  });

  it("scopes each step's actions: S3 to the wave bucket, SNS to the topic, STS to the installer role, SendCommand to the documents and instances", () => {
    const policyOf = (name: string) =>
      (s.json.Resources[s.stack.getLogicalId(s.stack.functions.node.findChild(`${name}Policy`).node.defaultChild as never)].Properties!.PolicyDocument as {
        Statement: Statement[];
      }).Statement;
    const bucketArn = getAtt(logicalId(s.stack, s.stack.store.bucket), 'Arn');
    const install = policyOf('InstallAgents');
    expect(install).toContainEqual(
      expect.objectContaining({ Action: 'sts:AssumeRole', Resource: getAtt(logicalId(s.stack, s.stack.functions.installerRole), 'Arn') }),
    );
    expect(install).toContainEqual(expect.objectContaining({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [bucketArn, '/waves/*']] } }));
    const sendCommands = install.filter((st) => actions(st).includes('ssm:SendCommand'));
    const sendResources = JSON.stringify(sendCommands.map((st) => st.Resource));
    // the instances only under the allowed-tag condition, the documents without it
    const onInstances = sendCommands.filter((st) => JSON.stringify(st.Resource).includes(':instance/*'));
    expect(onInstances.map((st) => st.Condition)).toEqual([{ StringEquals: { 'ssm:resourceTag/mgn-orchestrator:allowed': 'true' } }]);
    expect(JSON.stringify(onInstances[0].Resource)).toContain(':managed-instance/*');
    expect(sendCommands.filter((st) => !st.Condition).map((st) => JSON.stringify(st.Resource)).join()).not.toMatch(/instance\/\*/);
    // each document by name, in the target region and in the source region (test/infra/source-region-documents.test.ts)
    for (const doc of [s.stack.documents.precheck, s.stack.documents.linuxInstall, s.stack.documents.windowsInstall])
      for (const region of ['ap-south-1', 'ap-southeast-1'])
        expect(sendResources).toContain(JSON.stringify([`:ssm:${region}:`, { Ref: 'AWS::AccountId' }, `:document/${doc.name}`]).slice(1, -1));
    expect(sendResources).toContain('::document/AWS-RunShellScript');
    expect(sendResources).toContain(':managed-instance/*');
    expect(sendResources).not.toContain('"*"');
    const approval = policyOf('RequestApproval');
    expect(approval).toContainEqual(expect.objectContaining({ Action: 'sns:Publish', Resource: ref(logicalId(s.stack, s.stack.notifications.topic)) }));
  });

  it('trusts only the install-agents role with the installer role, which carries the MGN agent installation policy', () => {
    const role = s.json.Resources[logicalId(s.stack, s.stack.functions.installerRole)].Properties!;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: getAtt(logicalId(s.stack, s.stack.functions.roles['install-agents']), 'Arn') },
        },
      ],
    });
    expect(JSON.stringify(role.ManagedPolicyArns)).toContain(':iam::aws:policy/AWSApplicationMigrationAgentInstallationPolicy');
    expect(role.MaxSessionDuration).toBe(3600);
  });
});

describe('state machine', () => {
  it('is STANDARD, with every placeholder substituted by the right function ARN, bucket and topic', () => {
    const sm = resourcesOf('AWS::StepFunctions::StateMachine')[0][1].Properties!;
    expect(sm.StateMachineType).toBe('STANDARD');
    const expected: Record<string, unknown> = {
      WaveBucketName: ref(logicalId(s.stack, s.stack.store.bucket)),
      NotificationTopicArn: ref(logicalId(s.stack, s.stack.notifications.topic)),
    };
    for (const step of STEPS) expected[step.placeholder] = getAtt(logicalId(s.stack, s.stack.functions.functions[step.name]), 'Arn');
    expect(sm.DefinitionSubstitutions).toEqual(expected);
    expect(sm.DefinitionString).toContain('"Resource": "${ValidateWaveFunctionArn}"');
  });

  it('logs ALL events without execution data (the approval task token is in its TaskScheduled parameters) to a KMS-encrypted log group, and traces with X-Ray', () => {
    const sm = resourcesOf('AWS::StepFunctions::StateMachine')[0][1].Properties!;
    const logGroupId = logicalId(s.stack, s.stack.flow.logGroup);
    expect(sm.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(logGroupId, 'Arn') } }],
    });
    expect(sm.TracingConfiguration).toEqual({ Enabled: true });
    expect(s.json.Resources[logGroupId].Properties!.KmsKeyId).toEqual(getAtt(logicalId(s.stack, s.stack.flow.logKey), 'Arn'));
  });

  it('may invoke exactly the step functions (unqualified ARNs)', () => {
    const policy = s.json.Resources[s.stack.getLogicalId(s.stack.flow.stateMachine.role.node.findChild('DefaultPolicy').node.defaultChild as never)];
    const invoke = (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.find((st) => st.Action === 'lambda:InvokeFunction')!;
    expect(invoke.Resource).toEqual(expect.arrayContaining(STEPS.map((step) => getAtt(logicalId(s.stack, s.stack.functions.functions[step.name]), 'Arn'))));
    expect(invoke.Resource).toHaveLength(STEPS.length);
  });
});

describe('triggers', () => {
  const smRef = () => ref(logicalId(s.stack, s.stack.flow.stateMachine));

  it('starts a wave from a StartWave event on the custom bus with detail.manifest as the input', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(logicalId(s.stack, s.stack.triggers.bus!)),
      EventPattern: { source: ['mgn-orchestrator'], 'detail-type': ['StartWave'] },
      Targets: [Match.objectLike({ Arn: smRef(), InputPath: '$.detail.manifest', RoleArn: Match.anyValue() })],
    });
  });

  it('schedules planned waves with their manifest location in the wave bucket', () => {
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'at(2030-03-14T22:00:00)',
      ScheduleExpressionTimezone: 'Asia/Kolkata',
      Target: Match.objectLike({
        Arn: smRef(),
        Input: { 'Fn::Join': ['', ['{"manifestLocation":{"bucket":"', ref(logicalId(s.stack, s.stack.store.bucket)), '","key":"scheduled/wave-12.json"}}']] },
      }),
    });
  });

  it('requires AWS_IAM on every API method', () => {
    const methods = resourcesOf('AWS::ApiGateway::Method').map(([, r]) => r.Properties!);
    expect(methods.map((m) => m.HttpMethod).sort()).toEqual(['GET', 'POST', 'POST']);
    for (const method of methods) expect(method.AuthorizationType).toBe('AWS_IAM');
  });

  it('maps POST /waves to StartExecution with an execution name derived from the waveId', () => {
    const post = resourcesOf('AWS::ApiGateway::Method').find(([id]) => /waves.*POST/i.test(id))![1].Properties!;
    const integration = post.Integration as Record<string, unknown>;
    expect(integration.Type).toBe('AWS');
    expect(JSON.stringify(integration.Uri)).toContain(':states:action/StartExecution');
    const template = JSON.stringify((integration.RequestTemplates as Record<string, unknown>)['application/json']);
    expect(template).toContain(JSON.stringify(smRef()));
    expect(template).toContain('\\"name\\": \\"$waveId-$runName\\"');
    expect(post.RequestValidatorId).toBeDefined();
    expect(post.RequestModels).toEqual({
      'application/json': ref(s.stack.getLogicalId(s.stack.triggers.node.findChild('StartWaveRequest').node.defaultChild as never)),
    });
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'states:StartExecution', Resource: smRef() })]) },
      Roles: [ref(s.stack.getLogicalId(s.stack.triggers.node.findChild('ApiRole').node.defaultChild as never))],
    });
  });

  it('maps POST /approvals to SendTaskSuccess, switching to SendTaskFailure for a rejection', () => {
    const post = resourcesOf('AWS::ApiGateway::Method').find(([id]) => /approvals.*POST/i.test(id))![1].Properties!;
    const integration = post.Integration as Record<string, unknown>;
    expect(integration.RequestParameters).toEqual({
      'integration.request.header.Content-Type': "'application/x-amz-json-1.0'",
      'integration.request.header.X-Amz-Target': "'AWSStepFunctions.SendTaskSuccess'",
    });
    const template = (integration.RequestTemplates as Record<string, string>)['application/json'];
    expect(template).toContain('#set($context.requestOverride.header.X-Amz-Target = "AWSStepFunctions.SendTaskFailure")');
    expect(template).toContain('"error": "ApprovalRejected"');
    // revert (finalize gate): its own SendTaskFailure error, never a SendTaskSuccess
    expect(template).toMatch(/#elseif\(\$decision == "revert"\)\n#set\(\$context\.requestOverride\.header\.X-Amz-Target = "AWSStepFunctions\.SendTaskFailure"\)\n\{[^\n]*"error": "RevertRequested"/);
    s.template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'ApprovalRequest',
      Schema: Match.objectLike({ required: ['taskToken', 'decision'], properties: Match.objectLike({ decision: { type: 'string', enum: ['approve', 'reject', 'revert'] } }) }),
    });
    // Step Functions task tokens are up to 2,048 characters (TaskToken, Step Functions API model)
    s.template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'ApprovalRequest',
      Schema: Match.objectLike({ properties: Match.objectLike({ taskToken: { type: 'string', minLength: 1, maxLength: 2048 } }) }),
    });
  });

  it('is a PRIVATE API reachable only through the execute-api endpoint', () => {
    const endpointId = logicalId(s.stack, s.stack.endpoints.interfaceEndpoints['execute-api']!);
    s.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: [ref(endpointId)] },
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { StringNotEquals: { 'aws:SourceVpce': ref(endpointId) } } }),
        ]),
      },
    });
  });
});

describe('notifications and monitoring', () => {
  it('encrypts the topic with its own rotating key and refuses plain HTTP publishers', () => {
    const keyId = logicalId(s.stack, s.stack.notifications.key);
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(keyId, 'Arn') });
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, KeyPolicy: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Sid: 'CloudWatchAlarmsPublish' })]) }) });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('alarms on failed executions, stalled replication and launch-job failures from the EMF metrics, notifying the topic', () => {
    const topic = ref(logicalId(s.stack, s.stack.notifications.topic));
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Namespace: 'AWS/States', AlarmActions: [topic] });
    // the account-wide series the steps emit (functions/lib/observability.ts), not a log metric filter
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StalledServers',
      Namespace: 'MgnOrchestrator',
      Dimensions: [{ Name: 'service', Value: 'mgn-orchestrator' }],
      Statistic: 'Maximum',
      AlarmActions: [topic],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topic],
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'test + cutover' }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'MgnOrchestrator', MetricName: 'LaunchJobFailures', Dimensions: Match.arrayWith([{ Name: 'LaunchKind', Value: 'test' }, { Name: 'service', Value: 'mgn-orchestrator' }]) },
            Stat: 'Sum',
          }),
        }),
      ]),
    });
    expect(resourcesOf('AWS::Logs::MetricFilter')).toEqual([]);
    // the dashboard graphs every wave's series of each metric
    const body = JSON.stringify(resourcesOf('AWS::CloudWatch::Dashboard')[0][1].Properties!.DashboardBody);
    for (const metric of ['ActiveServers', 'FailedServers', 'StalledServers', 'MaxReplicationLagSeconds', 'LaunchJobFailures', 'WaveServers'])
      expect(body).toMatch(new RegExp(`SEARCH\\('\\{MgnOrchestrator,WaveId,[A-Za-z,]*service\\} MetricName=[\\\\"]+${metric}[\\\\"]+ service=`));
  });

  it('traces the state machine and reaches X-Ray through an interface endpoint', () => {
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.ap-south-1.xray', VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    for (const step of STEPS) {
      const role = s.stack.functions.roles[step.name];
      const policy = s.json.Resources[logicalId(s.stack, role.node.findChild('DefaultPolicy') as never)].Properties!;
      expect(JSON.stringify(policy.PolicyDocument)).toContain('xray:PutTraceSegments');
    }
  });

  it('keeps the wave bucket encrypted, versioned, TLS-only, private and retained', () => {
    const bucketId = logicalId(s.stack, s.stack.store.bucket);
    s.template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: Match.anyValue(),
      }),
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucketId),
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { STEPS } from '../../functions/lib/steps';
import { logicalId, synthExample, type Synthesised } from './synth';

let s: Synthesised;
beforeAll(() => {
  // One synth for the whole file; it also runs cdk-nag and throws on any unacknowledged finding.
  s = synthExample('on-premises');
});

const resourcesOf = (type: string) => Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);
const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attr: string) => ({ 'Fn::GetAtt': [id, attr] });
/** Standalone egress rules of a security group, without their descriptions. */
const egressOf = (sgId: string) =>
  resourcesOf('AWS::EC2::SecurityGroupEgress')
    .map(([, r]) => r.Properties!)
    .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(getAtt(sgId, 'GroupId')))
    .map(({ Description: _description, GroupId: _group, ...rule }) => rule);

describe('on-premises config: existing VPC by explicit ids', () => {
  it('creates no VPC, subnet, internet gateway or NAT, and uses the given ids', () => {
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP'])
      expect(resourcesOf(type).map(([id]) => id)).toEqual([]);
    const fn = s.json.Resources[logicalId(s.stack, s.stack.functions.functions['validate-wave'])].Properties!;
    expect((fn.VpcConfig as { SubnetIds: string[] }).SubnetIds).toEqual(['subnet-0a0000000000000a1', 'subnet-0a0000000000000b1']);
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.eu-west-1.mgn',
      VpcId: 'vpc-0f1e2d3c4b5a69788',
      SubnetIds: ['subnet-0a0000000000000a3', 'subnet-0a0000000000000b3'],
    });
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', RouteTableIds: ['rtb-0a0000000000000a2'] });
  });

  it('attaches the Transit Gateway in the endpoint subnets and routes the data centre through it, once per route table', () => {
    const attachmentId = resourcesOf('AWS::EC2::TransitGatewayAttachment')[0][0];
    s.template.hasResourceProperties('AWS::EC2::TransitGatewayAttachment', {
      TransitGatewayId: 'tgw-0123456789abcdef0',
      VpcId: 'vpc-0f1e2d3c4b5a69788',
      SubnetIds: ['subnet-0a0000000000000a3', 'subnet-0a0000000000000b3'],
    });
    const routes = resourcesOf('AWS::EC2::Route');
    expect(routes.map(([, r]) => r.Properties!.RouteTableId).sort()).toEqual(['rtb-0a0000000000000a1', 'rtb-0a0000000000000a2', 'rtb-0a0000000000000b1']);
    for (const [, route] of routes) {
      expect(route.Properties).toEqual(expect.objectContaining({ DestinationCidrBlock: '172.16.0.0/12', TransitGatewayId: 'tgw-0123456789abcdef0' }));
      expect((route as { DependsOn?: string[] }).DependsOn).toContain(attachmentId);
    }
  });

  it('creates a Route 53 Resolver inbound endpoint reachable on port 53 from the DNS forwarders only', () => {
    const sgId = logicalId(s.stack, s.stack.resolver!.securityGroup);
    s.template.hasResourceProperties('AWS::Route53Resolver::ResolverEndpoint', {
      Direction: 'INBOUND',
      SecurityGroupIds: [getAtt(sgId, 'GroupId')],
      IpAddresses: [{ SubnetId: 'subnet-0a0000000000000a3' }, { SubnetId: 'subnet-0a0000000000000b3' }],
    });
    const ingress = s.json.Resources[sgId].Properties!.SecurityGroupIngress as { CidrIp: string; IpProtocol: string; FromPort: number }[];
    expect(ingress.map((r) => `${r.IpProtocol}/${r.FromPort} ${r.CidrIp}`).sort()).toEqual([
      'tcp/53 172.16.0.10/32',
      'tcp/53 172.16.0.11/32',
      'udp/53 172.16.0.10/32',
      'udp/53 172.16.0.11/32',
    ]);
  });

  it('limits replication servers to 1500 in from the data centre and 443 out to the endpoints and the S3 prefix list', () => {
    const sgId = logicalId(s.stack, s.stack.replication.securityGroup);
    const sg = s.json.Resources[sgId].Properties!;
    expect(sg.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '172.16.0.0/12', FromPort: 1500, ToPort: 1500, IpProtocol: 'tcp' })]);
    // Standalone egress rules replace the default allow-all rule; none is inline.
    expect(sg.SecurityGroupEgress).toBeUndefined();
    expect(egressOf(sgId)).toEqual([
      { DestinationSecurityGroupId: getAtt(logicalId(s.stack, s.stack.endpoints.securityGroups.hosts), 'GroupId'), IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
      { DestinationSecurityGroupId: getAtt(logicalId(s.stack, s.stack.endpoints.securityGroups.ec2), 'GroupId'), IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
      { DestinationPrefixListId: 'pl-6da54004', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
    ]);
  });

  it('has a REGIONAL API (no execute-api endpoint) that still needs AWS_IAM on every method', () => {
    expect(s.stack.endpoints.interfaceEndpoints['execute-api']).toBeUndefined();
    const services = resourcesOf('AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties!.ServiceName);
    expect(services).not.toContain('com.amazonaws.eu-west-1.execute-api');
    s.template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    for (const [, method] of resourcesOf('AWS::ApiGateway::Method')) expect(method.Properties!.AuthorizationType).toBe('AWS_IAM');
  });

  it('uses the explicit account in ARNs and conditions, and the configured log retention', () => {
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.eu-west-1.ssm',
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333', 'aws:ResourceAccount': '111122223333' } } })]) },
    });
    for (const step of STEPS) expect(s.json.Resources[logicalId(s.stack, s.stack.functions.logGroups[step.name])].Properties!.RetentionInDays).toBe(365);
    // no cross-region sources: the functions' only egress is 443 to the endpoints
    const sgId = logicalId(s.stack, s.stack.functions.securityGroup);
    expect(s.json.Resources[sgId].Properties!.SecurityGroupEgress).toBeUndefined();
    expect(egressOf(sgId)).toEqual(
      (['hosts', 'ec2', 'orchestrator'] as const).map((group) => ({
        DestinationSecurityGroupId: getAtt(logicalId(s.stack, s.stack.endpoints.securityGroups[group]), 'GroupId'),
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      })),
    );
  });

  it('creates the three Run Command documents and passes their names to install-agents', () => {
    const docs = resourcesOf('AWS::SSM::Document');
    expect(docs).toHaveLength(3);
    for (const [, doc] of docs) expect(doc.Properties).toMatchObject({ DocumentType: 'Command', DocumentFormat: 'JSON', Content: { schemaVersion: '2.2' } });
    const vars = (s.json.Resources[logicalId(s.stack, s.stack.functions.functions['install-agents'])].Properties!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(vars).toMatchObject({
      SSM_PRECHECK_DOCUMENT: ref(s.stack.getLogicalId(s.stack.documents.precheck)),
      SSM_LINUX_INSTALL_DOCUMENT: ref(s.stack.getLogicalId(s.stack.documents.linuxInstall)),
      SSM_WINDOWS_INSTALL_DOCUMENT: ref(s.stack.getLogicalId(s.stack.documents.windowsInstall)),
      INSTALLER_ROLE_ARN: getAtt(logicalId(s.stack, s.stack.functions.installerRole), 'Arn'),
    });
  });

  it('creates no schedules when the config plans none, and still the StartWave rule', () => {
    expect(resourcesOf('AWS::Scheduler::Schedule')).toEqual([]);
    s.template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['mgn-orchestrator'], 'detail-type': ['StartWave'] } });
  });
});

import { Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Interface endpoints every deployment gets, by service name suffix (com.amazonaws.<region>.<name>). */
// xray: the Lambda functions' and the state machine's traces (functions/lib/observability.ts)
export const INTERFACE_ENDPOINT_SERVICES = ['mgn', 'ec2', 's3', 'ssm', 'ssmmessages', 'ec2messages', 'states', 'sts', 'sns', 'events', 'logs', 'kms', 'servicequotas', 'xray'] as const;
export type EndpointServiceName = (typeof INTERFACE_ENDPOINT_SERVICES)[number] | 'execute-api';

/** The AWS-owned buckets MGN replication and conversion servers read (source: MGN network requirements). */
export const mgnBucketNames = (region: string): string[] =>
  ['aws-application-migration-service', 'aws-mgn-clients', 'aws-mgn-internal'].flatMap((name) => [`${name}-${region}`, `${name}-hashes-${region}`]);

/** The Amazon Linux 2023 package repository bucket replication servers update from. */
export const al2023RepoBucketName = (region: string): string => `al2023-repos-${region}-de612dc2`;

export interface ServiceEndpointsProps {
  readonly vpc: ec2.IVpc;
  readonly region: string;
  /** Account whose principals may use the endpoints (a token for environment-agnostic stacks). */
  readonly account: string;
  /** Subnets that hold the interface endpoints (one per AZ). */
  readonly endpointSubnets: ec2.ISubnet[];
  /** Staging subnets: their route tables get the S3 gateway route. */
  readonly stagingSubnets: ec2.ISubnet[];
  /**
   * CIDRs allowed to the endpoints on TCP 443: the source servers, the staging subnets and the
   * orchestrator subnets.
   */
  readonly clientCidrs: { readonly description: string; readonly cidrs: readonly string[] }[];
  /** ARN of the stack's wave bucket (allowed through both S3 endpoints). */
  readonly waveBucketArn: string;
  /** Create the execute-api endpoint (for a PRIVATE API). @default false */
  readonly executeApi?: boolean;
}

/**
 * The only way out of the isolated network: interface endpoints (private DNS on) behind one security
 * group allowing TCP 443 from the source, staging and orchestrator CIDRs, plus the S3 gateway
 * endpoint for the staging subnets. Every endpoint policy refuses principals of other accounts;
 * the S3 policies are limited to the MGN buckets, the AL2023 repository and the wave bucket.
 */
export class ServiceEndpoints extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly interfaceEndpoints: Partial<Record<EndpointServiceName, ec2.InterfaceVpcEndpoint>> = {};
  public readonly s3Gateway: ec2.GatewayVpcEndpoint;
  /** Endpoint-specific host name of the S3 interface endpoint (vpce-….s3.<region>.vpce.amazonaws.com, no `*.`). */
  public readonly s3InterfaceDnsName: string;
  /** Endpoint-specific DNS name of the mgn interface endpoint (for manifests: endpoints.mgn). */
  public readonly mgnInterfaceDnsName: string;

  constructor(scope: Construct, id: string, props: ServiceEndpointsProps) {
    super(scope, id);
    const { region, account } = props;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Interface endpoints: TCP 443 from sources, staging and orchestrator subnets',
      allowAllOutbound: false,
    });
    for (const group of props.clientCidrs)
      for (const cidr of group.cidrs) this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), `${group.description} ${cidr}`);

    const sameAccount = { StringEquals: { 'aws:PrincipalAccount': account } };
    const services: EndpointServiceName[] = [...INTERFACE_ENDPOINT_SERVICES, ...(props.executeApi ? (['execute-api'] as const) : [])];

    // The gateway first: an S3 interface endpoint with "private DNS only for inbound resolver endpoints" needs it.
    this.s3Gateway = new ec2.GatewayVpcEndpoint(this, 'S3Gateway', {
      vpc: props.vpc,
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnets: props.stagingSubnets }],
    });
    this.s3Gateway.addToPolicy(
      new iam.PolicyStatement({
        sid: 'MgnAndAl2023Buckets',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [...mgnBucketNames(region), al2023RepoBucketName(region)].map((bucket) => `arn:aws:s3:::${bucket}/*`),
      }),
    );
    this.s3Gateway.addToPolicy(waveBucketStatement(props.waveBucketArn, account));
    this.s3Gateway.addToPolicy(waveLockStatement(props.waveBucketArn, account));

    for (const service of services) {
      const endpoint = new ec2.InterfaceVpcEndpoint(this, endpointId(service), {
        vpc: props.vpc,
        service: new ec2.InterfaceVpcEndpointService(`com.amazonaws.${region}.${service}`, 443),
        subnets: { subnets: props.endpointSubnets },
        securityGroups: [this.securityGroup],
        open: false,
        privateDnsEnabled: true,
        // In the VPC, S3 names resolve to the gateway; on-premises resolvers get the interface endpoint.
        ...(service === 's3'
          ? { privateDnsOnlyForInboundResolverEndpoint: ec2.VpcEndpointPrivateDnsOnlyForInboundResolverEndpoint.ONLY_INBOUND_RESOLVER }
          : {}),
      });
      if (service === 's3') endpoint.node.addDependency(this.s3Gateway);
      for (const statement of endpointPolicy(service, region, account, props.waveBucketArn, sameAccount)) endpoint.addToPolicy(statement);
      this.interfaceEndpoints[service] = endpoint;
    }

    this.s3InterfaceDnsName = endpointDnsName(this.interfaceEndpoints.s3!);
    this.mgnInterfaceDnsName = endpointDnsName(this.interfaceEndpoints.mgn!);
  }

  /** Regional host names the orchestrator reaches through these endpoints (private DNS). */
  public orchestratorHostNames(region: string): string[] {
    return (['mgn', 'ssm', 'ec2', 'sts', 'sns', 'states', 'servicequotas'] as const).map((service) => `${service}.${region}.amazonaws.com`);
  }
}

const endpointId = (service: EndpointServiceName) =>
  service
    .split('-')
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('') + 'Endpoint';

/**
 * The endpoint-specific host name from the first DNS entry, `<hosted zone>:<name>`. For S3 the name is
 * a wildcard, `Z7HUB22UULQXV:*.vpce-….s3.<region>.vpce.amazonaws.com`: the `*.` is dropped (split on
 * it and join the parts again), so the result is a host name wherever it is used; an SDK endpoint
 * URL for S3 prefixes it with `bucket.`. Entries of other services carry no `*.` and pass unchanged.
 * CloudFormation only knows the entries at deploy time, hence intrinsic functions, not string code.
 */
const endpointDnsName = (endpoint: ec2.InterfaceVpcEndpoint): string =>
  Fn.join('', Fn.split('*.', Fn.select(1, Fn.split(':', Fn.select(0, endpoint.vpcEndpointDnsEntries)))));

const waveBucketStatement = (waveBucketArn: string, account: string) =>
  new iam.PolicyStatement({
    sid: 'WaveBucketFromThisAccount',
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
    resources: [waveBucketArn, `${waveBucketArn}/*`],
    conditions: { StringEquals: { 'aws:PrincipalAccount': account } },
  });

/** Runs release their wave's lock (waves/<waveId>/lock.json) with a conditional delete. */
const waveLockStatement = (waveBucketArn: string, account: string) =>
  new iam.PolicyStatement({
    sid: 'WaveLockFromThisAccount',
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:DeleteObject'],
    resources: [`${waveBucketArn}/waves/*/lock.json`],
    conditions: { StringEquals: { 'aws:PrincipalAccount': account } },
  });

function endpointPolicy(
  service: EndpointServiceName,
  region: string,
  account: string,
  waveBucketArn: string,
  sameAccount: Record<string, Record<string, string>>,
): iam.PolicyStatement[] {
  switch (service) {
    case 'mgn':
      return [
        new iam.PolicyStatement({
          sid: 'MgnFromThisAccount',
          principals: [new iam.AnyPrincipal()],
          actions: ['mgn:*'],
          resources: ['*'],
          conditions: sameAccount,
        }),
        // The agent opens its session through an MGN-owned API behind this endpoint (MGN user guide,
        // "Installing the Agent on a secured network"); the API lives in an AWS account, not ours.
        new iam.PolicyStatement({
          sid: 'AgentSession',
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: [`arn:aws:execute-api:${region}:*:*/POST/CreateSessionForMgn`],
        }),
      ];
    case 's3':
      return [
        // The installer and its hashes are downloaded without signing from the MGN buckets.
        new iam.PolicyStatement({
          sid: 'MgnBuckets',
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:GetObject'],
          resources: mgnBucketNames(region).map((bucket) => `arn:aws:s3:::${bucket}/*`),
        }),
        waveBucketStatement(waveBucketArn, account),
        waveLockStatement(waveBucketArn, account),
      ];
    case 'execute-api':
      return [
        new iam.PolicyStatement({
          sid: 'ThisAccountsApis',
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: [`arn:aws:execute-api:${region}:${account}:*`],
          conditions: sameAccount,
        }),
      ];
    default:
      return [
        new iam.PolicyStatement({
          sid: 'ThisAccountOnly',
          principals: [new iam.AnyPrincipal()],
          actions: [`${service}:*`],
          resources: ['*'],
          conditions: sameAccount,
        }),
      ];
  }
}

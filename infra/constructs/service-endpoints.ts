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

/**
 * The three groups of interface endpoints, each behind its own security group:
 * - `hosts`: what the source servers use (the agent: mgn, s3 for the installer; Run Command: ssm,
 *   ssmmessages, ec2messages), and so also the staging, test and cutover subnets and the orchestrator;
 *   execute-api too, since operators in the data centre call the PRIVATE API through it.
 * - `ec2`: the replication and conversion servers (staging) and the orchestrator.
 * - `orchestrator`: the AWS APIs only the Lambdas call (Step Functions, STS, SNS, EventBridge, KMS,
 *   CloudWatch Logs, Service Quotas, X-Ray): the orchestrator subnets and nothing else.
 */
export const ENDPOINT_GROUPS = {
  hosts: ['mgn', 's3', 'ssm', 'ssmmessages', 'ec2messages', 'execute-api'],
  ec2: ['ec2'],
  orchestrator: ['states', 'sts', 'sns', 'events', 'logs', 'kms', 'servicequotas', 'xray'],
} as const satisfies Record<string, readonly EndpointServiceName[]>;
export type EndpointGroupName = keyof typeof ENDPOINT_GROUPS;

export const endpointGroupOf = (service: EndpointServiceName): EndpointGroupName =>
  (Object.keys(ENDPOINT_GROUPS) as EndpointGroupName[]).find((g) => (ENDPOINT_GROUPS[g] as readonly string[]).includes(service))!;

/** CIDRs that open TCP 443 to the endpoints, by who they are. */
export interface EndpointClients {
  /** The source servers (data centre or source VPC): `hosts` endpoints only. */
  readonly sources: readonly string[];
  /** The staging subnets (replication and conversion servers): `hosts` and `ec2`. */
  readonly staging: readonly string[];
  /** The orchestrator subnets (the Lambdas): every endpoint. */
  readonly orchestrator: readonly string[];
  /** The test and cutover subnets (launched instances' SSM agent): `hosts` only. */
  readonly launched: readonly string[];
}

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
   * Who may open TCP 443 to which endpoints. Each group of endpoints has its own security group:
   * the source servers reach only the endpoints the agent and Run Command use, the orchestrator's
   * AWS APIs admit only the orchestrator subnets (ENDPOINT_GROUPS says which service is where).
   */
  readonly clients: EndpointClients;
  /** ARN of the stack's wave bucket (allowed through both S3 endpoints). */
  readonly waveBucketArn: string;
  /** Create the execute-api endpoint (for a PRIVATE API). @default false */
  readonly executeApi?: boolean;
}

/**
 * The only way out of the isolated network: interface endpoints (private DNS on) in three groups,
 * each behind its own security group (ENDPOINT_GROUPS), plus the S3 gateway endpoint for the staging
 * subnets. Every endpoint policy refuses principals of other accounts and, where the service fills in
 * aws:ResourceAccount, resources of other accounts (exceptions, each with its reason, in
 * endpointPolicy()); the S3 policies are limited to the MGN buckets, the AL2023 repository and the
 * wave bucket.
 */
export class ServiceEndpoints extends Construct {
  /** One security group per group of endpoints (ENDPOINT_GROUPS). */
  public readonly securityGroups: Readonly<Record<EndpointGroupName, ec2.SecurityGroup>>;
  public readonly interfaceEndpoints: Partial<Record<EndpointServiceName, ec2.InterfaceVpcEndpoint>> = {};
  public readonly s3Gateway: ec2.GatewayVpcEndpoint;
  /** Endpoint-specific host name of the S3 interface endpoint (vpce-….s3.<region>.vpce.amazonaws.com, no `*.`). */
  public readonly s3InterfaceDnsName: string;
  /** Endpoint-specific DNS name of the mgn interface endpoint (for manifests: endpoints.mgn). */
  public readonly mgnInterfaceDnsName: string;

  constructor(scope: Construct, id: string, props: ServiceEndpointsProps) {
    super(scope, id);
    const { region, account } = props;

    const { clients } = props;
    const group = (id: string, description: string, rules: { description: string; cidrs: readonly string[] }[]) => {
      const sg = new ec2.SecurityGroup(this, id, { vpc: props.vpc, description, allowAllOutbound: false });
      for (const rule of rules) for (const cidr of rule.cidrs) sg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), `${rule.description} ${cidr}`);
      return sg;
    };
    this.securityGroups = {
      hosts: group('HostsSecurityGroup', 'Endpoints of the agent and Run Command (mgn, s3, ssm, ssmmessages, ec2messages): TCP 443 from sources, staging, launched instances, orchestrator', [
        { description: 'source servers', cidrs: clients.sources },
        { description: 'staging subnet', cidrs: clients.staging },
        { description: 'orchestrator subnet', cidrs: clients.orchestrator },
        // launched instances reach SSM (ssm, ssmmessages, ec2messages) whatever groups the wave gives them
        { description: 'test or cutover subnet', cidrs: clients.launched },
      ]),
      ec2: group('Ec2SecurityGroup', 'EC2 endpoint: TCP 443 from the staging (replication, conversion) and orchestrator subnets', [
        { description: 'staging subnet', cidrs: clients.staging },
        { description: 'orchestrator subnet', cidrs: clients.orchestrator },
      ]),
      orchestrator: group('OrchestratorSecurityGroup', 'Endpoints only the orchestrator uses (states, sts, sns, events, logs, kms, servicequotas, xray): TCP 443 from its subnets', [
        { description: 'orchestrator subnet', cidrs: clients.orchestrator },
      ]),
    };

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
        securityGroups: [this.securityGroups[endpointGroupOf(service)]],
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

/** Principals of this account, acting on resources of this account. */
const ownAccount = (account: string) => ({ StringEquals: { 'aws:PrincipalAccount': account, 'aws:ResourceAccount': account } });

const waveBucketStatement = (waveBucketArn: string, account: string) =>
  new iam.PolicyStatement({
    sid: 'WaveBucketFromThisAccount',
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
    resources: [waveBucketArn, `${waveBucketArn}/*`],
    conditions: ownAccount(account),
  });

/**
 * Runs release their wave's lock (waves/<waveId>/lock.json) with a conditional delete; the launch
 * steps release the account-wide MGN job lease (waves/_mgn-jobs/lock.json, functions/lib/mgn-job-lease.ts).
 */
const waveLockStatement = (waveBucketArn: string, account: string) =>
  new iam.PolicyStatement({
    sid: 'WaveLockFromThisAccount',
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:DeleteObject'],
    resources: [`${waveBucketArn}/waves/*/lock.json`],
    conditions: ownAccount(account),
  });

/**
 * Services whose policies may admit principals of other accounts (resource policies, role trust,
 * shared resources): credentials from this VPC could otherwise publish to, decrypt with, or assume
 * roles in another account through the endpoint. aws:ResourceAccount pins the resource to this
 * account (IAM user guide, "AWS global condition context keys": aws:ResourceAccount; the VPC
 * endpoint policy examples of AWS's data perimeter guidance use it the same way).
 */
const RESOURCE_ACCOUNT_PINNED: readonly EndpointServiceName[] = ['sts', 'sns', 'events', 'logs', 'kms', 'states', 'servicequotas'];

/**
 * The policy of each interface endpoint. Every statement admits only principals of this account
 * (aws:PrincipalAccount); where the service's resources can belong to another account, also only
 * resources of this account (aws:ResourceAccount), with these exceptions:
 * - mgn, ssmmessages, ec2messages: aws:PrincipalAccount only. The agent's and Run Command's calls go
 *   to resources the service owns, not ours (mgn:GetAgentInstallationAssetsForMgn,
 *   RegisterAgentForMgn, …; ec2messages:GetMessages, ssmmessages:CreateControlChannel, … have no
 *   resource type in the Service Authorization Reference), and these services have no resource
 *   policies, so a principal of this account can only ever act in this account through them.
 *   MGN's CreateSessionForMgn is an API in an AWS account: allowed by its exact path.
 * - xray: aws:PrincipalAccount only. PutTraceSegments and PutTelemetryRecords have no resource type
 *   (Service Authorization Reference) and write the caller's traces into the caller's own account.
 * - ssm: this account's resources, plus reading and running AWS-owned documents and public
 *   parameters (arn:aws:ssm:<region>::document/…, …::parameter/aws/…), which have no account.
 * - ec2: this account's resources, except ec2:CreateVolume, CopySnapshot and CopyImage, which the IAM
 *   user guide lists among the actions that do not carry aws:ResourceAccount (MGN's replication and
 *   conversion servers create volumes from snapshots): principals of this account only.
 * - execute-api: only this account's APIs, by ARN as well as by aws:ResourceAccount.
 * - s3: the wave bucket for this account's principals and resources; the MGN buckets (owned by AWS)
 *   read-only, unsigned downloads included, by exact bucket ARN.
 */
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
          conditions: ownAccount(account),
        }),
      ];
    case 'ssm':
      return [
        new iam.PolicyStatement({
          sid: 'ThisAccountsResources',
          principals: [new iam.AnyPrincipal()],
          actions: ['ssm:*'],
          resources: ['*'],
          conditions: ownAccount(account),
        }),
        new iam.PolicyStatement({
          sid: 'AwsOwnedDocumentsAndPublicParameters',
          principals: [new iam.AnyPrincipal()],
          actions: ['ssm:Describe*', 'ssm:Get*', 'ssm:List*', 'ssm:SendCommand'],
          resources: [`arn:aws:ssm:${region}::document/*`, `arn:aws:ssm:${region}::parameter/aws/*`],
          conditions: sameAccount,
        }),
      ];
    case 'ec2':
      return [
        new iam.PolicyStatement({
          sid: 'ThisAccountsResources',
          principals: [new iam.AnyPrincipal()],
          actions: ['ec2:*'],
          resources: ['*'],
          conditions: ownAccount(account),
        }),
        new iam.PolicyStatement({
          sid: 'ActionsWithoutResourceAccount',
          principals: [new iam.AnyPrincipal()],
          actions: ['ec2:CreateVolume', 'ec2:CopySnapshot', 'ec2:CopyImage'],
          resources: ['*'],
          conditions: sameAccount,
        }),
      ];
    default:
      return [
        new iam.PolicyStatement({
          sid: RESOURCE_ACCOUNT_PINNED.includes(service) ? 'ThisAccountsResources' : 'ThisAccountOnly',
          principals: [new iam.AnyPrincipal()],
          actions: [`${service}:*`],
          resources: ['*'],
          conditions: RESOURCE_ACCOUNT_PINNED.includes(service) ? ownAccount(account) : sameAccount,
        }),
      ];
  }
}

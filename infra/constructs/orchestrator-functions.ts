import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV, LAMBDA_NODE_OPTIONS, STEPS, type EnvName, type StepSpec } from '../../functions/lib/steps';
import { acknowledge, acknowledgeWildcardResources } from '../nag';
import { stepStatements, type ScopeContext } from '../step-permissions';

export interface OrchestratorFunctionsProps {
  readonly vpc: ec2.IVpc;
  /** Isolated subnets the functions run in. */
  readonly subnets: ec2.ISubnet[];
  /** The interface endpoints' security groups: the functions' only egress is TCP 443 to them. */
  readonly endpointSecurityGroups: readonly ec2.ISecurityGroup[];
  /** Further TCP 443 destinations (the SSM endpoints of source regions, reached over peering). @default none */
  readonly extraHttpsDestinations?: readonly { readonly cidr: string; readonly description: string }[];
  /**
   * Where launched (test and cutover) instances run: steps with `probesLaunchedInstances` get a second
   * security group that may open any TCP port to these CIDRs, and the target group admits it.
   */
  readonly launchedInstances: {
    readonly cidrs: readonly { readonly cidr: string; readonly description: string }[];
    readonly securityGroup: ec2.ISecurityGroup;
  };
  /** The bundle of each step (dist/functions/<name>, built by esbuild.config.mjs). */
  readonly code: (step: StepSpec) => lambda.Code;
  /**
   * Values of the environment variables the steps declare (functions/lib/steps.ts ENV), except
   * INSTALLER_ROLE_ARN, which this construct sets. A step needing a missing one fails the synth.
   */
  readonly environment: Partial<Record<EnvName, string>>;
  /** Endpoint-specific host name of the S3 interface endpoint (no `*.`); the SDK reaches S3 at https://bucket.<it> (AWS_ENDPOINT_URL_S3). */
  readonly s3EndpointDns: string;
  /** Resource scopes for the steps' IAM actions (installerRoleArn is filled in here). */
  readonly scope: Omit<ScopeContext, 'installerRoleArn'>;
  /** Retention of each function's log group. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 256 */
  readonly memorySize?: number;
}

/**
 * One Lambda per entry of STEPS: Node.js 24 on arm64 with X-Ray active tracing, in the isolated subnets, egress only TCP 443
 * to the endpoints, its own log group with retention, and its own role holding exactly the
 * step's actions scoped by infra/step-permissions.ts. Also the installer role whose short-lived
 * credentials the install-agents step hands to hosts when the wave asks for `installer-role`.
 */
export class OrchestratorFunctions extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;
  /** Second group of the steps that run smoke checks against launched instances (any TCP port to the test and cutover subnets). */
  public readonly probeSecurityGroup: ec2.SecurityGroup;
  public readonly functions: Record<string, lambda.Function> = {};
  public readonly roles: Record<string, iam.Role> = {};
  public readonly logGroups: Record<string, logs.LogGroup> = {};
  public readonly installerRole: iam.Role;

  constructor(scope: Construct, id: string, props: OrchestratorFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Orchestrator Lambdas: TCP 443 to the VPC endpoints only',
      allowAllOutbound: false,
    });
    for (const group of props.endpointSecurityGroups)
      this.securityGroup.connections.allowTo(group, ec2.Port.tcp(443), 'AWS APIs through the interface endpoints');
    for (const dest of props.extraHttpsDestinations ?? [])
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(dest.cidr), ec2.Port.tcp(443), dest.description);

    // TCP and HTTP smoke checks reach a launched instance's private IP on the ports the wave's checks
    // name, so any TCP port; only to the test and cutover subnets, and only from the verify steps.
    this.probeSecurityGroup = new ec2.SecurityGroup(this, 'ProbeSecurityGroup', {
      vpc: props.vpc,
      description: 'Verify steps: TCP smoke checks to test and cutover instances',
      allowAllOutbound: false,
    });
    for (const dest of props.launchedInstances.cidrs)
      this.probeSecurityGroup.addEgressRule(ec2.Peer.ipv4(dest.cidr), ec2.Port.allTcp(), `smoke checks to ${dest.description}`);
    props.launchedInstances.securityGroup.addIngressRule(this.probeSecurityGroup, ec2.Port.allTcp(), 'smoke checks from the verify steps');

    const installStep = STEPS.find((s) => s.actions.includes('sts:AssumeRole'));
    for (const step of STEPS) {
      this.roles[step.name] = new iam.Role(this, `${pascal(step.name)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `MGN orchestrator step ${step.name}`,
      });
    }

    this.installerRole = new iam.Role(this, 'InstallerRole', {
      description: 'Short-lived credentials for the MGN replication agent installer',
      assumedBy: installStep ? new iam.ArnPrincipal(this.roles[installStep.name].roleArn) : new iam.AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(1),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AWSApplicationMigrationAgentInstallationPolicy')],
    });
    acknowledge(
      this.installerRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSApplicationMigrationAgentInstallationPolicy]',
      'AWSApplicationMigrationAgentInstallationPolicy is the policy MGN documents for agent-install credentials; AWS keeps it in step with what the agent calls. The role is assumable only by the install-agents step, for at most one hour',
    );

    const scopeContext: ScopeContext = { ...props.scope, installerRoleArn: this.installerRole.roleArn };
    const environment: Partial<Record<EnvName, string>> = { ...props.environment, [ENV.installerRoleArn]: this.installerRole.roleArn };

    for (const step of STEPS) {
      const name = pascal(step.name);
      const role = this.roles[step.name];
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.logGroups[step.name] = logGroup;

      const policy = new iam.Policy(this, `${name}Policy`, { roles: [role] });
      const securityGroups = step.probesLaunchedInstances ? [this.securityGroup, this.probeSecurityGroup] : [this.securityGroup];
      const stepGrants = stepStatements(step, scopeContext);
      // an action the step already holds on "*" (preflight's ec2:DescribeSubnets) is not granted twice
      const onAnyResource = new Set(stepGrants.filter((st) => st.resources.length === 1 && st.resources[0] === '*' && !st.conditions).flatMap((st) => st.actions));
      const platformGrants = this.networkInterfaceStatements(props.subnets, securityGroups, stack)
        .map((st) => ({ ...st, actions: st.actions.filter((action) => !(st.resources[0] === '*' && onAnyResource.has(action))) }))
        .filter((st) => st.actions.length > 0);
      const statements = [...stepGrants, ...platformGrants];
      for (const { actions, resources, conditions } of statements)
        policy.addStatements(new iam.PolicyStatement({ actions, resources, conditions: conditions as Record<string, unknown> | undefined }));
      logGroup.grantWrite(role);
      acknowledgeWildcardResources(
        policy,
        statements.flatMap((st) => st.resources.map((resource) => ({ resource, reason: `${st.actions.join(', ')}: ${st.reason}` }))),
      );

      const fn = new lambda.Function(this, name, {
        description: step.description,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: props.code(step),
        timeout: Duration.seconds(step.timeoutSeconds),
        memorySize: props.memorySize ?? 256,
        role,
        logGroup,
        vpc: props.vpc,
        vpcSubnets: { subnets: props.subnets },
        securityGroups,
        allowPublicSubnet: false,
        environment: stepEnvironment(step, environment, props.s3EndpointDns),
        // The function's segment joins the state machine's trace of the execution: a wave run is one
        // trace, each step annotated with its wave by Powertools Tracer (functions/lib/observability.ts).
        tracing: lambda.Tracing.ACTIVE,
      });
      // The ENI permissions must exist before Lambda validates the role on CreateFunction.
      fn.node.addDependency(policy);
      // Active tracing: CDK grants the X-Ray daemon's two write actions in the role's default policy.
      acknowledge(
        role.node.findChild('DefaultPolicy'),
        'AwsSolutions-IAM5[Resource::*]',
        "xray:PutTraceSegments, xray:PutTelemetryRecords: the X-Ray daemon Lambda runs for active tracing writes the function's segments with the role; X-Ray has no resource-level permissions for them (Service Authorization Reference, AWS X-Ray), so they are granted on '*' as in AWSXRayDaemonWriteAccess",
      );
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Only the state machine invokes this function, synchronously (Task state); a dead-letter target applies to asynchronous invocations only. Failures surface as task errors the state machine retries or catches',
      );
      this.functions[step.name] = fn;
    }
  }

  /** Hyperplane ENIs in the orchestrator subnets with the function's security groups, nothing else. */
  private networkInterfaceStatements(
    subnets: ec2.ISubnet[],
    securityGroups: ec2.ISecurityGroup[],
    stack: Stack,
  ): { actions: string[]; resources: string[]; conditions?: undefined; reason: string }[] {
    const ec2Arn = (resource: string) => `arn:${stack.partition}:ec2:${stack.region}:${stack.account}:${resource}`;
    const eniReason = 'Lambda creates and deletes the network interfaces of VPC functions itself; their ids do not exist before';
    return [
      {
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: ['*'],
        reason: 'EC2 Describe calls have no resource-level permissions',
      },
      {
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          ec2Arn('network-interface/*'),
          ...subnets.map((s) => ec2Arn(`subnet/${s.subnetId}`)),
          ...securityGroups.map((group) => ec2Arn(`security-group/${group.securityGroupId}`)),
        ],
        reason: `${eniReason}; creation is bound to the orchestrator subnets and the function's security groups`,
      },
      {
        actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: [ec2Arn('network-interface/*')],
        reason: eniReason,
      },
    ];
  }
}

const pascal = (name: string) =>
  name
    .split('-')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');

function stepEnvironment(step: StepSpec, values: Partial<Record<EnvName, string>>, s3EndpointDns: string): Record<string, string> {
  const env: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: step.name,
    [ENV.logLevel]: values[ENV.logLevel] ?? 'INFO',
    NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
  };
  for (const name of step.env) {
    const value = values[name];
    if (value === undefined) throw new Error(`step ${step.name} reads ${name} but the stack provides no value for it`);
    env[name] = value;
  }
  // Path-style through the S3 interface endpoint: private DNS for S3 answers only on-premises resolvers.
  if (step.actions.some((a) => a.startsWith('s3:'))) env.AWS_ENDPOINT_URL_S3 = `https://bucket.${s3EndpointDns}`;
  return env;
}

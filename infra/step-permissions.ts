/**
 * Least privilege for the Lambda steps: each action a step declares in functions/lib/steps.ts is
 * scoped here to the narrowest resources the service supports. An action this table does not know
 * fails the synth, so a new step action is never granted on `*` by accident.
 */
import type { StepSpec } from '../functions/lib/steps';

export interface ScopeContext {
  readonly partition: string;
  /** Target region (MGN, the stack, SSM for on-premises sources). */
  readonly region: string;
  readonly account: string;
  /** Regions of cross-region EC2 sources (SSM Run Command is sent there). */
  readonly sourceRegions: readonly string[];
  readonly waveBucketArn: string;
  readonly topicArn: string;
  readonly installerRoleArn: string;
  /** ARNs of the stack's SSM documents in every region that holds them (target and source regions). */
  readonly documentArns: readonly string[];
}

/**
 * Actions whose service authorisation reference lists no resource type: they can only be granted
 * on `*`. Each carries the reason, which also becomes the cdk-nag acknowledgement.
 */
export const UNSCOPED_ACTIONS: Readonly<Record<string, string>> = {
  'mgn:DescribeSourceServers': 'mgn:DescribeSourceServers is a list call with no resource type; it reads, it cannot change a server',
  'mgn:DescribeJobs': 'mgn:DescribeJobs is a list call with no resource type',
  'mgn:DescribeReplicationConfigurationTemplates': 'mgn:DescribeReplicationConfigurationTemplates is a list call with no resource type',
  'ssm:DescribeInstanceInformation': 'ssm:DescribeInstanceInformation has no resource type',
  'ssm:GetCommandInvocation': 'ssm:GetCommandInvocation has no resource type; it only reads results of commands',
  'ssm:ListCommandInvocations': 'ssm:ListCommandInvocations has no resource type; it only reads results of commands',
  'ec2:DescribeInstanceStatus': 'ec2:DescribeInstanceStatus has no resource-level permissions',
};

const arn = (ctx: ScopeContext, service: string, region: string, account: string, resource: string) =>
  `arn:${ctx.partition}:${service}:${region}:${account}:${resource}`;

const mgnResource = (ctx: ScopeContext, type: string) => arn(ctx, 'mgn', ctx.region, ctx.account, `${type}/*`);

/** Regions where Run Command may be sent: the target (on-premises and test/cutover instances) and the sources. */
const commandRegions = (ctx: ScopeContext) => [ctx.region, ...ctx.sourceRegions];

const SOURCE_SERVER_WHY =
  'MGN source servers are created by the agent install while the wave runs; their ids come from the manifest at run time, so the grant covers this account and region only';
const INSTANCE_WHY =
  "Run Command targets the wave's source, test and cutover instances, known only from the manifest and MGN at run time; limited to this account and the configured regions";

interface Scope {
  readonly resources: (ctx: ScopeContext) => string[];
  /** Why a wildcard in these resources is needed (also the cdk-nag acknowledgement). */
  readonly why: string;
}

const SCOPES: Readonly<Record<string, Scope>> = {
  's3:GetObject': {
    resources: (ctx) => [`${ctx.waveBucketArn}/*`],
    why: "reads manifests anywhere in the stack's own wave bucket (waves/… and scheduled/…)",
  },
  's3:PutObject': {
    resources: (ctx) => [`${ctx.waveBucketArn}/waves/*`],
    why: "writes only under waves/<waveId>/ of the stack's own wave bucket",
  },
  'mgn:CreateReplicationConfigurationTemplate': {
    resources: (ctx) => [mgnResource(ctx, 'replication-configuration-template')],
    why: 'the replication template id is assigned by MGN when preflight creates it',
  },
  'mgn:UpdateReplicationConfigurationTemplate': {
    resources: (ctx) => [mgnResource(ctx, 'replication-configuration-template')],
    why: 'the replication template id is assigned by MGN when preflight creates it',
  },
  'mgn:StartTest': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:StartCutover': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:TerminateTargetInstances': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:ChangeServerLifeCycleState': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:FinalizeCutover': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:MarkAsArchived': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:DisconnectFromService': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:DescribeJobLogItems': {
    resources: (ctx) => [mgnResource(ctx, 'job')],
    why: 'MGN launch jobs are created while the wave runs; their ids are unknown at deploy time',
  },
  'ssm:SendCommand': {
    resources: (ctx) => [
      ...ctx.documentArns,
      ...commandRegions(ctx).flatMap((region) => [
        `arn:${ctx.partition}:ssm:${region}::document/AWS-RunShellScript`,
        `arn:${ctx.partition}:ssm:${region}::document/AWS-RunPowerShellScript`,
        arn(ctx, 'ec2', region, ctx.account, 'instance/*'),
      ]),
      arn(ctx, 'ssm', ctx.region, ctx.account, 'managed-instance/*'),
    ],
    why: INSTANCE_WHY,
  },
  'ssm:PutParameter': {
    resources: (ctx) => commandRegions(ctx).map((region) => arn(ctx, 'ssm', region, ctx.account, 'parameter/mgn-orchestrator/*')),
    why: 'installer credentials are staged per wave and run under /mgn-orchestrator/<waveId>/<runId>/; the ids are known only at run time',
  },
  'ssm:DeleteParameter': {
    resources: (ctx) => commandRegions(ctx).map((region) => arn(ctx, 'ssm', region, ctx.account, 'parameter/mgn-orchestrator/*')),
    why: 'removes the staged installer credentials under /mgn-orchestrator/ once the install is done',
  },
  'sts:AssumeRole': { resources: (ctx) => [ctx.installerRoleArn], why: 'the installer role only' },
  'sns:Publish': { resources: (ctx) => [ctx.topicArn], why: 'the notifications topic only' },
};

export interface ScopedStatement {
  readonly actions: string[];
  readonly resources: string[];
  /** Why these resources hold a wildcard, when they do. */
  readonly reason: string;
}

/** The statements of one step's policy: actions grouped by identical resource lists. */
export function stepStatements(step: StepSpec, ctx: ScopeContext): ScopedStatement[] {
  const groups = new Map<string, { actions: string[]; resources: string[]; reasons: Set<string> }>();
  for (const action of [...new Set(step.actions)]) {
    let resources: string[];
    let why: string;
    if (UNSCOPED_ACTIONS[action]) {
      resources = ['*'];
      why = UNSCOPED_ACTIONS[action];
    } else if (SCOPES[action]) {
      resources = SCOPES[action].resources(ctx);
      why = SCOPES[action].why;
    } else
      throw new Error(
        `step ${step.name}: no resource scope is defined for ${action}; add it to infra/step-permissions.ts (SCOPES, or UNSCOPED_ACTIONS with the reason)`,
      );
    const key = JSON.stringify(resources);
    const group = groups.get(key) ?? { actions: [], resources, reasons: new Set<string>() };
    group.actions.push(action);
    group.reasons.add(why);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({ actions: g.actions, resources: g.resources, reason: [...g.reasons].join('; ') }));
}

/**
 * Least privilege for the Lambda steps: each action a step declares in functions/lib/steps.ts is
 * scoped here to the narrowest resources (and, where the service documents them, conditions) it
 * supports. An action this table does not know fails the synth, so a new step action is never
 * granted on `*` by accident; `*` is given only to actions whose Service Authorization Reference
 * entry lists no resource type (UNSCOPED_ACTIONS).
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
  /** Role of the launched-instance profile: the only role besides MGN's conversion server role a launch may pass to EC2. */
  readonly launchedInstanceRoleArn: string;
}

/** IAM condition block: operator -> key -> value(s). */
export type Conditions = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

/**
 * MGN's own waves and applications (functions/lib/mgn-grouping.ts). Create and List have no resource
 * type in the Service Authorization Reference (nothing exists before a create; a list names none);
 * the wave/application/source-server ids are MGN's, assigned at run time.
 */
const MGN_GROUPING_UNSCOPED: Readonly<Record<string, string>> = {
  'mgn:ListWaves': 'mgn:ListWaves is a list call with no resource type; it finds the wave\'s MGN wave by name',
  'mgn:ListApplications': 'mgn:ListApplications is a list call with no resource type; it finds the MGN applications by name',
  'mgn:CreateWave': 'mgn:CreateWave has no resource type (the wave does not exist before the call; Service Authorization Reference)',
  'mgn:CreateApplication': 'mgn:CreateApplication has no resource type (the application does not exist before the call; Service Authorization Reference)',
};

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
  'ec2:DescribeInstances':
    'ec2:DescribeInstances has no resource-level permissions; verify reads the launched instances, preflight the instance type of EC2 sources (rightSizing "in-aws") in their own regions',
  'ec2:DescribeSubnets': 'ec2:DescribeSubnets has no resource-level permissions; preflight reads the subnets a wave launches into',
  'ec2:DescribeSecurityGroups': 'ec2:DescribeSecurityGroups has no resource-level permissions',
  'ec2:DescribeRouteTables': 'ec2:DescribeRouteTables has no resource-level permissions; preflight checks target subnets reach no internet or NAT gateway',
  'ec2:DescribeLaunchTemplateVersions': 'ec2:DescribeLaunchTemplateVersions has no resource-level permissions; it reads the default version of the template MGN made for a server',
  // The next three are granted on * only when called through MGN (AWSApplicationMigrationEC2Access condition, SCOPES below).
  'ec2:DescribeSnapshots': 'ec2:DescribeSnapshots has no resource-level permissions',
  'ec2:DescribeImages': 'ec2:DescribeImages has no resource-level permissions',
  'ec2:DescribeVolumes': 'ec2:DescribeVolumes has no resource-level permissions',
  'mgn:CreateReplicationConfigurationTemplate':
    'mgn:CreateReplicationConfigurationTemplate has no resource type (the template does not exist before the call; Service Authorization Reference)',
  ...MGN_GROUPING_UNSCOPED,
};

const arn = (ctx: ScopeContext, service: string, region: string, account: string, resource: string) =>
  `arn:${ctx.partition}:${service}:${region}:${account}:${resource}`;

const mgnResource = (ctx: ScopeContext, type: string) => arn(ctx, 'mgn', ctx.region, ctx.account, `${type}/*`);
/** EC2 resources of a type in the target region and this account (MGN launches only there). */
const ec2Resource = (ctx: ScopeContext, type: string) => arn(ctx, 'ec2', ctx.region, ctx.account, `${type}/*`);
/**
 * EC2 snapshots and images in the target region: their ARNs carry no account
 * (`arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}`, Service Authorization Reference for
 * Amazon EC2), so an ARN pattern with the account would never match one.
 */
const ec2AccountlessResource = (ctx: ScopeContext, type: 'snapshot' | 'image') => arn(ctx, 'ec2', ctx.region, '', `${type}/*`);

/** Regions where Run Command may be sent: the target (on-premises and test/cutover instances) and the sources. */
const commandRegions = (ctx: ScopeContext) => [ctx.region, ...ctx.sourceRegions];

const SOURCE_SERVER_WHY =
  'MGN source servers are created by the agent install while the wave runs; their ids come from the manifest at run time, so the grant covers this account and region only';
const INSTANCE_WHY =
  "Run Command targets the wave's source, test and cutover instances, known only from the manifest and MGN at run time; limited to this account and the configured regions";

interface Scope {
  readonly resources: (ctx: ScopeContext) => string[];
  /** Conditions the grant carries (as the AWS documentation for the action gives them). @default none */
  readonly conditions?: Conditions;
  /** Why a wildcard in these resources is needed (also the cdk-nag acknowledgement). */
  readonly why: string;
}

/** The tag MGN puts on everything it creates (instances, volumes, snapshots, launch templates, groups). */
export const MGN_MANAGED_TAG = 'AWSApplicationMigrationServiceManaged';
const VIA_AWS_SERVICE = { Bool: { 'aws:ViaAWSService': 'true' } } as const;
const CALLED_VIA_MGN = { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['mgn.amazonaws.com'] } } as const;
/** `Null: false` on a tag key: the tag is present (the managed policy's test; MGN sets the value mgn.amazonaws.com). */
const tagged = (key: 'aws:ResourceTag' | 'aws:RequestTag' | 'ec2:ResourceTag') => ({ Null: { [`${key}/${MGN_MANAGED_TAG}`]: 'false' } });

const EC2_ACCESS_WHY =
  'AWSApplicationMigrationEC2Access (v10), which MGN documents for callers that launch test and cutover instances: MGN creates and removes these resources with the caller\'s identity while a launch or termination job runs, so their ids are unknown before; limited to resources MGN tagged, to calls made through MGN, and to this account and region';
const ec2Access = (resources: (ctx: ScopeContext) => string[], conditions?: Conditions): Scope => ({ resources, conditions, why: EC2_ACCESS_WHY });

/**
 * The statements of the AWSApplicationMigrationEC2Access managed policy, version v10 (2026-02-12),
 * action by action, with the same conditions. Resource ARNs are narrowed from `arn:aws:ec2:*:*:` to
 * this partition, region and account (images and snapshots keep the empty account of their ARN
 * format); iam:PassRole names the conversion server role in this account and the stack's
 * launched-instance role instead of any account's conversion server role. The statement for users
 * editing MGN's launch templates (no via-MGN condition) is not part of it: see LAUNCH_CALLER_ACTIONS
 * in functions/lib/steps.ts.
 */
const LAUNCH_CALLER_SCOPES: Readonly<Record<string, readonly Scope[]>> = {
  'iam:PassRole': [
    {
      resources: (ctx) => [`arn:${ctx.partition}:iam::${ctx.account}:role/service-role/AWSApplicationMigrationConversionServerRole`, ctx.launchedInstanceRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      why: "MGN's conversion server role (AWSApplicationMigrationEC2Access) and the launched-instance role, passed only to EC2",
    },
  ],
  'ec2:DescribeSnapshots': [ec2Access(() => ['*'], CALLED_VIA_MGN)],
  'ec2:DescribeImages': [ec2Access(() => ['*'], CALLED_VIA_MGN)],
  'ec2:DescribeVolumes': [ec2Access(() => ['*'], CALLED_VIA_MGN)],
  'ec2:DeleteSnapshot': [ec2Access((ctx) => [ec2AccountlessResource(ctx, 'snapshot')], { ...tagged('aws:ResourceTag'), ...VIA_AWS_SERVICE })],
  // Called directly by the launch steps (a new default version per launch kind): MGN's templates only.
  ...Object.fromEntries(
    ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'].map((action) => [
      action,
      [
        {
          resources: (ctx: ScopeContext) => [ec2Resource(ctx, 'launch-template')],
          conditions: tagged('aws:ResourceTag'),
          why: "the launch steps write a new default version of the launch template MGN made for each server (its id comes from GetLaunchConfiguration at run time); only templates tagged by MGN, as in AWSApplicationMigrationEC2Access",
        },
      ],
    ]),
  ),
  'ec2:CreateLaunchTemplate': [ec2Access((ctx) => [ec2Resource(ctx, 'launch-template')], { ...tagged('aws:RequestTag'), ...CALLED_VIA_MGN })],
  'ec2:DeleteLaunchTemplate': [ec2Access((ctx) => [ec2Resource(ctx, 'launch-template')], { ...tagged('aws:ResourceTag'), ...CALLED_VIA_MGN })],
  'ec2:DeleteVolume': [ec2Access((ctx) => [ec2Resource(ctx, 'volume')], { ...tagged('aws:ResourceTag'), ...VIA_AWS_SERVICE })],
  ...Object.fromEntries(
    ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute', 'ec2:GetConsoleOutput', 'ec2:GetConsoleScreenshot'].map(
      (action) => [action, [ec2Access((ctx) => [ec2Resource(ctx, 'instance')], { ...tagged('aws:ResourceTag'), ...VIA_AWS_SERVICE })]],
    ),
  ),
  ...Object.fromEntries(
    ['ec2:RevokeSecurityGroupEgress', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress'].map((action) => [
      action,
      [ec2Access((ctx) => [ec2Resource(ctx, 'security-group')], { ...tagged('aws:ResourceTag'), ...VIA_AWS_SERVICE })],
    ]),
  ),
  'ec2:CreateVolume': [
    ec2Access((ctx) => [ec2Resource(ctx, 'volume')], { ...tagged('aws:RequestTag'), ...VIA_AWS_SERVICE }),
    ec2Access((ctx) => [ec2AccountlessResource(ctx, 'snapshot')], { ...tagged('aws:ResourceTag'), ...VIA_AWS_SERVICE }),
  ],
  'ec2:CreateSecurityGroup': [
    ec2Access((ctx) => [ec2Resource(ctx, 'vpc')]),
    ec2Access((ctx) => [ec2Resource(ctx, 'security-group')], { ...tagged('aws:RequestTag'), ...VIA_AWS_SERVICE }),
  ],
  'ec2:CreateSnapshot': [
    ec2Access((ctx) => [ec2Resource(ctx, 'volume')], { ...tagged('ec2:ResourceTag'), ...VIA_AWS_SERVICE }),
    ec2Access((ctx) => [ec2AccountlessResource(ctx, 'snapshot')], { ...tagged('aws:RequestTag'), ...VIA_AWS_SERVICE }),
  ],
  'ec2:AttachVolume': [
    ec2Access((ctx) => [ec2Resource(ctx, 'instance')], { ...tagged('ec2:ResourceTag'), ...VIA_AWS_SERVICE }),
    ec2Access((ctx) => [ec2Resource(ctx, 'volume')], { ...tagged('ec2:ResourceTag'), ...VIA_AWS_SERVICE }),
  ],
  'ec2:DetachVolume': [
    ec2Access((ctx) => [ec2Resource(ctx, 'instance')], { ...tagged('ec2:ResourceTag'), ...VIA_AWS_SERVICE }),
    ec2Access((ctx) => [ec2Resource(ctx, 'volume')], VIA_AWS_SERVICE),
  ],
  'ec2:RunInstances': [
    ec2Access((ctx) => [ec2Resource(ctx, 'instance')], { ...tagged('aws:RequestTag'), ...VIA_AWS_SERVICE }),
    ec2Access(
      (ctx) => [
        ...['security-group', 'volume', 'subnet'].map((type) => ec2Resource(ctx, type)),
        ec2AccountlessResource(ctx, 'image'),
        ...['network-interface', 'launch-template'].map((type) => ec2Resource(ctx, type)),
      ],
      VIA_AWS_SERVICE,
    ),
  ],
  'ec2:CreateTags': [
    ec2Access((ctx) => ['security-group', 'volume', 'snapshot', 'instance', 'launch-template', 'network-interface'].map((type) => (type === 'snapshot' ? ec2AccountlessResource(ctx, type) : ec2Resource(ctx, type))), {
      StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateVolume', 'CreateSnapshot', 'RunInstances', 'CreateLaunchTemplate'] },
      ...VIA_AWS_SERVICE,
    }),
    ec2Access((ctx) => [ec2Resource(ctx, 'volume')], { ...tagged('ec2:ResourceTag'), ...VIA_AWS_SERVICE }),
  ],
  'ec2:ModifyVolume': [ec2Access((ctx) => [ec2Resource(ctx, 'volume')], { ...tagged('ec2:ResourceTag'), ...VIA_AWS_SERVICE })],
};

const MGN_GROUP_WHY = 'MGN assigns wave and application ids when the run creates them (ListWaves/ListApplications find them by name)';
/** Service Authorization Reference: ArchiveWave on WaveResource, ArchiveApplication on ApplicationResource, the associations on both sides. */
const MGN_GROUPING_SCOPES: Readonly<Record<string, Scope>> = {
  'mgn:ArchiveWave': { resources: (ctx) => [mgnResource(ctx, 'wave')], why: MGN_GROUP_WHY },
  'mgn:ArchiveApplication': { resources: (ctx) => [mgnResource(ctx, 'application')], why: MGN_GROUP_WHY },
  'mgn:AssociateApplications': { resources: (ctx) => [mgnResource(ctx, 'application'), mgnResource(ctx, 'wave')], why: MGN_GROUP_WHY },
  'mgn:AssociateSourceServers': {
    resources: (ctx) => [mgnResource(ctx, 'application'), mgnResource(ctx, 'source-server')],
    why: `${MGN_GROUP_WHY}; ${SOURCE_SERVER_WHY}`,
  },
};

const SCOPES: Readonly<Record<string, Scope | readonly Scope[]>> = {
  ...LAUNCH_CALLER_SCOPES,
  ...MGN_GROUPING_SCOPES,
  's3:GetObject': {
    resources: (ctx) => [`${ctx.waveBucketArn}/*`],
    why: "reads manifests anywhere in the stack's own wave bucket (waves/… and scheduled/…)",
  },
  's3:PutObject': {
    resources: (ctx) => [`${ctx.waveBucketArn}/waves/*`],
    why: "writes only under waves/<waveId>/ of the stack's own wave bucket",
  },
  's3:ListBucket': {
    resources: (ctx) => [ctx.waveBucketArn],
    why: "the stack's own wave bucket only: with it S3 answers a missing key 404 NoSuchKey (the flow's \"not there yet\") instead of 403 AccessDenied (S3 API reference, GetObject)",
  },
  's3:DeleteObject': {
    resources: (ctx) => [`${ctx.waveBucketArn}/waves/*/lock.json`],
    why: "deletes only a wave's run lock (waves/<waveId>/lock.json), with If-Match on the ETag of the lock the run holds",
  },
  'states:DescribeExecution': {
    resources: (ctx) => [`arn:${ctx.partition}:states:${ctx.region}:${ctx.account}:execution:*`],
    why: "reads the status of the execution holding a wave's lock; the state machine's name is generated, and naming it in the functions' roles would make a dependency cycle (state machine -> function -> role -> state machine)",
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
  'mgn:GetLaunchConfiguration': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:UpdateLaunchConfiguration': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  // Service Authorization Reference: both on SourceServerResource (required)
  'mgn:GetReplicationConfiguration': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
  'mgn:UpdateReplicationConfiguration': { resources: (ctx) => [mgnResource(ctx, 'source-server')], why: SOURCE_SERVER_WHY },
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
  // the replicating-servers quota: resource type `quota`, arn:…:servicequotas:<region>:<account>:<ServiceCode>/<QuotaCode> (Service Authorization Reference)
  'servicequotas:GetServiceQuota': {
    resources: (ctx) => [arn(ctx, 'servicequotas', ctx.region, ctx.account, 'mgn/L-9A599620')],
    why: "reads only MGN's replicating-servers quota (mgn/L-9A599620)",
  },
};

export interface ScopedStatement {
  readonly actions: string[];
  readonly resources: string[];
  /** The conditions every action of the statement is granted under. @default none */
  readonly conditions?: Conditions;
  /** Why these resources hold a wildcard, when they do. */
  readonly reason: string;
}

/** The grants of one action: its scopes, or `*` when the action has no resource type. */
function scopesOf(step: StepSpec, action: string): readonly Scope[] {
  const scoped = SCOPES[action];
  if (scoped) {
    const scopes = Array.isArray(scoped) ? (scoped as readonly Scope[]) : [scoped as Scope];
    for (const scope of scopes)
      if (scope.resources(PROBE_CONTEXT).includes('*') && !UNSCOPED_ACTIONS[action])
        throw new Error(`${action} supports resource-level permissions; scope it instead of granting it on "*" (infra/step-permissions.ts)`);
    return scopes;
  }
  if (UNSCOPED_ACTIONS[action]) return [{ resources: () => ['*'], why: UNSCOPED_ACTIONS[action] }];
  throw new Error(
    `step ${step.name}: no resource scope is defined for ${action}; add it to infra/step-permissions.ts (SCOPES, or UNSCOPED_ACTIONS with the reason)`,
  );
}

/** A context whose values are placeholders: enough to see whether a scope resolves to `*`. */
const PROBE_CONTEXT: ScopeContext = {
  partition: 'aws',
  region: 'region',
  account: 'account',
  sourceRegions: [],
  waveBucketArn: 'arn:aws:s3:::bucket',
  topicArn: 'topic',
  installerRoleArn: 'installer',
  documentArns: [],
  launchedInstanceRoleArn: 'launched',
};

/** The statements of one step's policy: actions grouped by identical resource lists and conditions. */
export function stepStatements(step: StepSpec, ctx: ScopeContext): ScopedStatement[] {
  const groups = new Map<string, { actions: string[]; resources: string[]; conditions?: Conditions; reasons: Set<string> }>();
  for (const action of [...new Set(step.actions)]) {
    for (const scope of scopesOf(step, action)) {
      const resources = scope.resources(ctx);
      const key = JSON.stringify([resources, scope.conditions ?? null]);
      const group = groups.get(key) ?? { actions: [], resources, conditions: scope.conditions, reasons: new Set<string>() };
      if (!group.actions.includes(action)) group.actions.push(action);
      group.reasons.add(scope.why);
      groups.set(key, group);
    }
  }
  return [...groups.values()].map((g) => ({
    actions: g.actions,
    resources: g.resources,
    ...(g.conditions ? { conditions: g.conditions } : {}),
    reason: [...g.reasons].join('; '),
  }));
}

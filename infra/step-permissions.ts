/**
 * Least privilege for the Lambda steps: each action a step declares in functions/lib/steps.ts is
 * scoped here to the narrowest resources (and, where the service documents them, conditions) it
 * supports. An action this table does not know fails the synth, so a new step action is never
 * granted on `*` by accident; `*` is given only to actions whose Service Authorization Reference
 * entry lists no resource type (UNSCOPED_ACTIONS).
 */
import { DEFAULT_ALLOWED_TAG, type AllowedTag } from '../functions/lib/allowed-tag';
import { INSTALLER_PARAMETER_ROOT } from '../functions/lib/installer-credentials';
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
  /** Role of the launched-instance profile: with MGN's conversion server role, what a launch may pass to EC2. */
  readonly launchedInstanceRoleArn: string;
  /** Roles of the instance profiles of your own that waves may name (deploy config launchInstanceProfiles). */
  readonly launchInstanceRoleArns?: readonly string[];
  /** The tag an instance must carry for Run Command (deploy config allowedTag). @default mgn-orchestrator:allowed = true */
  readonly allowedTag?: AllowedTag;
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
  /** Conditions the grant carries (as the AWS documentation for the action gives them), or a function of the context. @default none */
  readonly conditions?: Conditions | ((ctx: ScopeContext) => Conditions);
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
      resources: (ctx) => [
        `arn:${ctx.partition}:iam::${ctx.account}:role/service-role/AWSApplicationMigrationConversionServerRole`,
        ctx.launchedInstanceRoleArn,
        ...(ctx.launchInstanceRoleArns ?? []),
      ],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      why: "MGN's conversion server role (AWSApplicationMigrationEC2Access), the launched-instance role and the roles of the deploy config's launchInstanceProfiles, passed only to EC2",
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

/* ---- issue 12 items 2 and 3: Run Command only to tagged instances; installer credentials under a stack key ---- */

/**
 * ssm:SendCommand in two statements: the documents with no condition (a document carries no
 * allowed tag, and SendCommand always names one), and the instances and managed instances only
 * when they carry the deploy config's allowedTag: `ssm:resourceTag/<key>` is the condition key the
 * Service Authorization Reference lists for the instance and managed-instance resources of
 * SendCommand. IAM authorises SendCommand on every resource the request names, so one untagged
 * target denies the whole call (AccessDeniedException).
 */
const RUN_COMMAND_SCOPES: Readonly<Record<string, readonly Scope[]>> = {
  'ssm:SendCommand': [
    {
      resources: (ctx) => [
        ...ctx.documentArns,
        ...commandRegions(ctx).flatMap((region) => [
          `arn:${ctx.partition}:ssm:${region}::document/AWS-RunShellScript`,
          `arn:${ctx.partition}:ssm:${region}::document/AWS-RunPowerShellScript`,
        ]),
      ],
      why: "the stack's own Run Command documents in every region that holds them, and AWS's shell documents for smoke checks and quiesce",
    },
    {
      resources: (ctx) => [
        ...commandRegions(ctx).map((region) => arn(ctx, 'ec2', region, ctx.account, 'instance/*')),
        arn(ctx, 'ssm', ctx.region, ctx.account, 'managed-instance/*'),
      ],
      conditions: ({ allowedTag = DEFAULT_ALLOWED_TAG }) => ({ StringEquals: { [`ssm:resourceTag/${allowedTag.key}`]: allowedTag.value } }),
      why: `${INSTANCE_WHY}; only instances carrying the deploy config's allowedTag (ssm:resourceTag condition)`,
    },
  ],
  // preflight reads the tags of on-premises sources (mi-…): resource type managed-instance (Service Authorization Reference)
  'ssm:ListTagsForResource': [
    {
      resources: (ctx) => [arn(ctx, 'ssm', ctx.region, ctx.account, 'managed-instance/*')],
      why: "preflight reads the tags of the wave's on-premises sources, whose ids come from the manifest at run time; managed instances of this account and the target region only",
    },
  ],
};

/** ARN pattern of the staged installer credentials parameters in a region. */
const installerParameters = (ctx: ScopeContext, region: string) =>
  arn(ctx, 'ssm', region, ctx.account, `parameter${INSTALLER_PARAMETER_ROOT}/*`);

/**
 * The staged installer credentials: written and deleted only under INSTALLER_PARAMETER_ROOT, and
 * encrypted with the stack's installer-credentials key of the region (a key per region: the
 * parameter is written where its hosts read it). SSM encrypts a standard SecureString with
 * kms:Encrypt as the caller, under the encryption context PARAMETER_ARN = the parameter's ARN
 * (AWS KMS developer guide, "How AWS Systems Manager Parameter Store uses AWS KMS"); the grant holds
 * both that context and kms:ViaService. The key's own policy is the other half (infra/constructs/installer-credentials-key.ts).
 */
const INSTALLER_CREDENTIALS_SCOPES: Readonly<Record<string, Scope>> = {
  'ssm:PutParameter': {
    resources: (ctx) => commandRegions(ctx).map((region) => installerParameters(ctx, region)),
    why: `installer credentials are staged per run under ${INSTALLER_PARAMETER_ROOT}/<waveId>/<random>; the names exist only at run time`,
  },
  'ssm:DeleteParameter': {
    resources: (ctx) => commandRegions(ctx).map((region) => installerParameters(ctx, region)),
    why: `removes the staged installer credentials under ${INSTALLER_PARAMETER_ROOT}/ once the install phase ends`,
  },
  'kms:Encrypt': {
    resources: (ctx) => commandRegions(ctx).map((region) => arn(ctx, 'kms', region, ctx.account, 'key/*')),
    conditions: (ctx) => ({
      StringEquals: { 'kms:ViaService': commandRegions(ctx).map((region) => `ssm.${region}.amazonaws.com`) },
      StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': commandRegions(ctx).map((region) => installerParameters(ctx, region)) },
    }),
    why: "the installer-credentials key of each region is created by that region's stack (the main stack, or a source region's documents stack), so its id is not known here; only through SSM and only for the staged credentials parameters (encryption context PARAMETER_ARN), and the key policy admits only this use",
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
    why: "deletes only a wave's run lock (waves/<waveId>/lock.json) or the launch steps' MGN job lease (waves/_mgn-jobs/lock.json), with If-Match on the ETag of the version the caller holds",
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
  ...RUN_COMMAND_SCOPES,
  ...INSTALLER_CREDENTIALS_SCOPES,
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
  allowedTag: { key: 'key', value: 'value' },
};

/** The statements of one step's policy: actions grouped by identical resource lists and conditions. */
export function stepStatements(step: StepSpec, ctx: ScopeContext): ScopedStatement[] {
  const groups = new Map<string, { actions: string[]; resources: string[]; conditions?: Conditions; reasons: Set<string> }>();
  for (const action of [...new Set(step.actions)]) {
    for (const scope of scopesOf(step, action)) {
      const resources = scope.resources(ctx);
      const conditions = typeof scope.conditions === 'function' ? scope.conditions(ctx) : scope.conditions;
      const key = JSON.stringify([resources, conditions ?? null]);
      const group = groups.get(key) ?? { actions: [], resources, conditions, reasons: new Set<string>() };
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

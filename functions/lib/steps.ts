/**
 * The catalogue of Lambda steps: the one place that says which steps exist, which ASL placeholder
 * each one's ARN fills, which environment it needs and which AWS actions it may call.
 * The CDK app builds functions, substitutions and least-privilege roles from it; the simulator's
 * runner maps placeholders to handler modules from it; tests hold the ASL and the handlers to it.
 *
 * Folder convention: functions/<name>/handler.ts exports `handler`.
 */

/**
 * NODE_OPTIONS of every function (infra/constructs/orchestrator-functions.ts): stack traces in the logs
 * point at the TypeScript source through the bundle's source map. The benchmark loads the bundles with
 * it too, as deployed.
 */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/** Environment variables a step may read. CDK sets them; the simulator sets them for its runs. */
export const ENV = {
  /** S3 bucket (owned by the stack) holding manifests, per-run server records and reports. */
  waveBucket: 'WAVE_BUCKET',
  /** SNS topic for approvals and reports. */
  topicArn: 'NOTIFICATION_TOPIC_ARN',
  /** Isolated subnet where MGN puts replication servers. */
  stagingSubnetId: 'STAGING_SUBNET_ID',
  /** Security group for replication servers (TCP 1500 from the source CIDRs). */
  replicationSecurityGroupId: 'REPLICATION_SECURITY_GROUP_ID',
  /** Role whose short-lived credentials the installer uses when options.credentials = installer-role. */
  installerRoleArn: 'INSTALLER_ROLE_ARN',
  /** SSM documents created by the stack (names). */
  precheckDocument: 'SSM_PRECHECK_DOCUMENT',
  linuxInstallDocument: 'SSM_LINUX_INSTALL_DOCUMENT',
  windowsInstallDocument: 'SSM_WINDOWS_INSTALL_DOCUMENT',
  /** JSON object {"<region>": "https://<ssm endpoint dns>"} for sources managed by SSM in another region. */
  ssmEndpointsByRegion: 'SSM_ENDPOINTS_BY_REGION',
  /** Comma-separated host names the preflight step must reach on TCP 443 (the orchestrator's endpoints). */
  preflightEndpoints: 'PREFLIGHT_ENDPOINTS',
  /** Comma-separated subnet ids of the stack's isolated test tier: where test instances launch by default. */
  testSubnetIds: 'TEST_SUBNET_IDS',
  /** Comma-separated subnet ids of the stack's isolated cutover tier: where cutover instances launch by default. */
  cutoverSubnetIds: 'CUTOVER_SUBNET_IDS',
  /** Security group given to launched (test and cutover) instances unless the manifest names others. */
  targetSecurityGroupId: 'TARGET_SECURITY_GROUP_ID',
  /** Instance profile (name) given to launched instances unless the manifest names another: SSM agent permissions only. */
  launchedInstanceProfileName: 'LAUNCHED_INSTANCE_PROFILE_NAME',
  /** Comma-separated instance profiles of your own a wave may name (deploy config launchInstanceProfiles): the stack may pass their roles. */
  launchInstanceProfiles: 'LAUNCH_INSTANCE_PROFILES',
  /** Powertools log level. */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /** `key=value`: the tag an instance must carry for Run Command (deploy config allowedTag); launched instances get it. */
  allowedTag: 'ALLOWED_TAG',
  /** KMS key (alias name, the same in every region the stack deploys to) that encrypts the staged installer credentials. */
  installerCredentialsKey: 'INSTALLER_CREDENTIALS_KEY',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

export interface StepSpec {
  /** folder under functions/ */
  readonly name: string;
  /** the ASL placeholder its ARN fills, without ${} */
  readonly placeholder: string;
  readonly description: string;
  /** environment variables it reads (beyond the SDK's own) */
  readonly env: readonly EnvName[];
  /** IAM actions it calls; resources are scoped by the CDK app where the service allows */
  readonly actions: readonly string[];
  /** Lambda timeout in seconds */
  readonly timeoutSeconds: number;
  /**
   * Runs TCP/HTTP smoke checks against launched instances' private IPs: its network may open any TCP
   * port to the test and cutover subnets (the ports come from the wave's checks). @default false
   */
  readonly probesLaunchedInstances?: boolean;
}

const STORE_ACTIONS = ['s3:GetObject', 's3:PutObject'] as const;

/** wait-replication finds or creates the wave's MGN wave and applications and associates servers (mgn-grouping.ts). */
const MGN_GROUPING_ACTIONS = [
  'mgn:ListWaves',
  'mgn:CreateWave',
  'mgn:ListApplications',
  'mgn:CreateApplication',
  'mgn:AssociateApplications',
  'mgn:AssociateSourceServers',
] as const;
/** finalize-cutover archives them once their servers are archived. */
const MGN_ARCHIVE_GROUP_ACTIONS = ['mgn:ArchiveApplication', 'mgn:ArchiveWave'] as const;

/**
 * What MGN documents for callers of StartTest, StartCutover and TerminateTargetInstances: the actions
 * of the AWSApplicationMigrationEC2Access managed policy (MGN user guide, "AWS managed policies":
 * attach it "to enable them to launch test and cutover instances"). MGN launches and terminates the
 * conversion server and the target instances with the caller's identity, so these are checked
 * against the step's role. Every step calling one of those three holds all of them; the resources
 * and conditions (MGN's own tagged resources, via MGN only) are the managed policy's, in
 * infra/step-permissions.ts; iam:PassRole reaches only the conversion server role and the
 * launched-instance role, for ec2.amazonaws.com.
 *
 * Left out: the managed policy's one statement without an aws:ViaAWSService / aws:CalledVia
 * condition, ec2:CreateLaunchTemplateVersion, ModifyLaunchTemplate and DeleteLaunchTemplateVersions
 * on MGN-tagged templates. It is for a user editing MGN's launch templates themselves (MGN user guide,
 * "EC2 launch template": modify the template MGN created, then set the new version as default), not
 * for anything MGN does on the caller's behalf. The launch steps do that editing in calls of their
 * own (LAUNCH_SETTINGS_ACTIONS: a new version, made the default); no step deletes template versions.
 */
export const LAUNCH_CALLER_ACTIONS = [
  'iam:PassRole',
  'ec2:DescribeSnapshots',
  'ec2:DescribeImages',
  'ec2:DescribeVolumes',
  'ec2:CreateLaunchTemplate',
  'ec2:DeleteLaunchTemplate',
  'ec2:RunInstances',
  'ec2:StartInstances',
  'ec2:StopInstances',
  'ec2:TerminateInstances',
  'ec2:ModifyInstanceAttribute',
  'ec2:GetConsoleOutput',
  'ec2:GetConsoleScreenshot',
  'ec2:CreateSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:CreateVolume',
  'ec2:ModifyVolume',
  'ec2:AttachVolume',
  'ec2:DetachVolume',
  'ec2:DeleteVolume',
  'ec2:CreateSnapshot',
  'ec2:DeleteSnapshot',
  'ec2:CreateTags',
] as const;

/**
 * Sending servers back a lifecycle step and retiring the instances MGN launched for them (test
 * instances when a test is discarded or the wave moves to cutover, cutover instances on a revert): MGN's ChangeServerLifeCycleState and
 * TerminateTargetInstances, as a launching caller (TerminateTargetInstances is a job MGN runs with
 * the caller's permissions), and DescribeJobs to wait until no such instance is left running.
 */
const RETIRE_LAUNCHED_ACTIONS = [
  ...LAUNCH_CALLER_ACTIONS,
  'mgn:DescribeSourceServers',
  'mgn:ChangeServerLifeCycleState',
  'mgn:TerminateTargetInstances',
  'mgn:DescribeJobs',
] as const;

/**
 * Writing a server's launch settings before each launch: MGN's general launch settings, and a new
 * default version of the EC2 launch template MGN created for the server (subnet, groups, IP, type,
 * instance profile, tags). The template writes are limited to MGN's own templates by tag.
 */
const LAUNCH_SETTINGS_ACTIONS = [
  'mgn:GetLaunchConfiguration',
  'mgn:UpdateLaunchConfiguration',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:CreateLaunchTemplateVersion',
  'ec2:ModifyLaunchTemplate',
] as const;

/** The launch defaults of the stack (test/cutover subnets, target group, instance profile). */
const LAUNCH_DEFAULTS_ENV = [ENV.testSubnetIds, ENV.cutoverSubnetIds, ENV.targetSecurityGroupId, ENV.launchedInstanceProfileName, ENV.launchInstanceProfiles] as const;

export const STEPS: readonly StepSpec[] = [
  {
    name: 'validate-wave',
    placeholder: 'ValidateWaveFunctionArn',
    description: "Parse the manifest, refuse it with every problem named, take the wave's lock, store it for the run.",
    env: [ENV.waveBucket],
    // the wave lock: released again if the run cannot start; its holder's status read from Step Functions.
    // s3:ListBucket: the lock and the run's records are read before they exist, and S3 answers a
    // missing key with 404 NoSuchKey only to a caller allowed s3:ListBucket (403 AccessDenied otherwise;
    // S3 API reference, GetObject "Permissions"); the flow takes the 404 as "not there yet".
    actions: [...STORE_ACTIONS, 's3:ListBucket', 's3:DeleteObject', 'states:DescribeExecution'],
    timeoutSeconds: 30,
  },
  {
    name: 'preflight',
    placeholder: 'PreflightFunctionArn',
    description: "Endpoint reachability on 443, the stack's replication template and the known servers' replication settings, SSM status of every source.",
    env: [ENV.waveBucket, ENV.stagingSubnetId, ENV.replicationSecurityGroupId, ENV.ssmEndpointsByRegion, ENV.preflightEndpoints, ...LAUNCH_DEFAULTS_ENV, ENV.allowedTag],
    actions: [
      ...STORE_ACTIONS,
      'mgn:DescribeReplicationConfigurationTemplates',
      'mgn:UpdateReplicationConfigurationTemplate',
      'mgn:CreateReplicationConfigurationTemplate',
      'mgn:DescribeSourceServers',
      // the isolated replication settings on the wave's servers MGN already knows (template changes reach only new ones)
      'mgn:GetReplicationConfiguration',
      'mgn:UpdateReplicationConfiguration',
      'ssm:DescribeInstanceInformation',
      // the replicating-servers quota (mgn/L-9A599620): a wave larger than it is refused
      'servicequotas:GetServiceQuota',
      // every subnet and group a launch will use exists, shares one VPC, and reaches no internet gateway or NAT
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeRouteTables',
      // rightSizing "in-aws": the source instance's type, read in the source's region; every EC2 source's tags (allowedTag)
      'ec2:DescribeInstances',
      // the tags of on-premises (mi-) sources: only those with the deploy config's allowedTag get Run Command
      'ssm:ListTagsForResource',
    ],
    timeoutSeconds: 120,
  },
  {
    name: 'install-agents',
    placeholder: 'InstallAgentsFunctionArn',
    description: 'Host prechecks and agent install through SSM Run Command; reads results back per instance.',
    env: [
      ENV.waveBucket,
      ENV.installerRoleArn,
      ENV.precheckDocument,
      ENV.linuxInstallDocument,
      ENV.windowsInstallDocument,
      ENV.ssmEndpointsByRegion,
      ENV.installerCredentialsKey,
    ],
    actions: [
      ...STORE_ACTIONS,
      'ssm:SendCommand',
      'ssm:ListCommandInvocations',
      'ssm:GetCommandInvocation',
      // which hosts are not Online when SendCommand is refused for the whole batch (InvalidInstanceId)
      'ssm:DescribeInstanceInformation',
      'mgn:DescribeSourceServers',
      // installs admitted as the replicating-servers quota (mgn/L-9A599620) has room
      'servicequotas:GetServiceQuota',
      'sts:AssumeRole',
      // installer-role: short-lived credentials handed to hosts as a SecureString parameter name only
      'ssm:PutParameter',
      'ssm:DeleteParameter',
      // the SecureString is encrypted with the stack's installer-credentials key (SSM calls KMS Encrypt as the caller)
      'kms:Encrypt',
    ],
    timeoutSeconds: 300,
  },
  {
    name: 'wait-replication',
    placeholder: 'WaitReplicationFunctionArn',
    description: 'Polls MGN for the whole wave: state, progress, lag, ETA; flags stalls; times out.',
    env: [ENV.waveBucket],
    actions: [...STORE_ACTIONS, 'mgn:DescribeSourceServers', ...MGN_GROUPING_ACTIONS],
    timeoutSeconds: 120,
  },
  {
    name: 'launch-test',
    placeholder: 'LaunchTestFunctionArn',
    description: 'StartTest in jobs of at most 200 servers, never over 200 across active jobs; polls the jobs.',
    env: [ENV.waveBucket, ...LAUNCH_DEFAULTS_ENV, ENV.allowedTag],
    actions: [
      ...STORE_ACTIONS,
      ...LAUNCH_SETTINGS_ACTIONS,
      ...LAUNCH_CALLER_ACTIONS,
      'mgn:StartTest',
      'mgn:DescribeJobs',
      // the account-wide MGN job lease (waves/_mgn-jobs/lock.json): released with a conditional delete
      's3:DeleteObject',
      'mgn:DescribeSourceServers',
      // a server whose launch fails twice goes back to READY_FOR_TEST and its instance is terminated
      'mgn:ChangeServerLifeCycleState',
      'mgn:TerminateTargetInstances',
    ],
    timeoutSeconds: 120,
  },
  {
    name: 'verify-test',
    placeholder: 'VerifyTestFunctionArn',
    description: 'Boot status, SSM reachability and smoke checks of the test instances.',
    env: [ENV.waveBucket],
    probesLaunchedInstances: true,
    actions: [
      ...STORE_ACTIONS,
      ...LAUNCH_CALLER_ACTIONS,
      'ec2:DescribeInstanceStatus',
      'ec2:DescribeInstances',
      'ssm:DescribeInstanceInformation',
      'ssm:SendCommand',
      'ssm:GetCommandInvocation',
      'ssm:ListCommandInvocations',
      'mgn:DescribeSourceServers',
      'mgn:TerminateTargetInstances',
      'mgn:ChangeServerLifeCycleState',
    ],
    timeoutSeconds: 120,
  },
  {
    name: 'request-approval',
    placeholder: 'RequestApprovalFunctionArn',
    description: 'Sends the approval request (with its task token) to the SNS topic; never logs the token.',
    env: [ENV.waveBucket, ENV.topicArn],
    // reads the run state; writes nothing to the wave bucket
    actions: ['s3:GetObject', 'sns:Publish'],
    timeoutSeconds: 30,
  },
  {
    name: 'discard-test',
    placeholder: 'DiscardTestFunctionArn',
    description: 'After a rejection: terminates test instances and returns servers to READY_FOR_TEST.',
    env: [ENV.waveBucket],
    actions: [...STORE_ACTIONS, ...RETIRE_LAUNCHED_ACTIONS],
    timeoutSeconds: 120,
  },
  {
    name: 'prepare-cutover',
    placeholder: 'PrepareCutoverFunctionArn',
    description: 'Marks servers ready for cutover and terminates their test instances.',
    env: [ENV.waveBucket],
    actions: [...STORE_ACTIONS, ...RETIRE_LAUNCHED_ACTIONS],
    timeoutSeconds: 120,
  },
  {
    name: 'launch-cutover',
    placeholder: 'LaunchCutoverFunctionArn',
    description: 'Optional source quiesce, waits for low lag, StartCutover in jobs of at most 200; polls the jobs.',
    env: [ENV.waveBucket, ENV.ssmEndpointsByRegion, ...LAUNCH_DEFAULTS_ENV, ENV.allowedTag],
    actions: [
      ...STORE_ACTIONS,
      ...LAUNCH_SETTINGS_ACTIONS,
      ...LAUNCH_CALLER_ACTIONS,
      'mgn:StartCutover',
      'mgn:DescribeJobs',
      // the account-wide MGN job lease (waves/_mgn-jobs/lock.json): released with a conditional delete
      's3:DeleteObject',
      'mgn:DescribeSourceServers',
      // a server whose cutover launch fails twice goes back to READY_FOR_CUTOVER; its source is kept
      'mgn:ChangeServerLifeCycleState',
      'mgn:TerminateTargetInstances',
      'ssm:SendCommand',
      'ssm:GetCommandInvocation',
      'ssm:ListCommandInvocations',
      // quiesce: which sources are not Online when SendCommand is refused for the whole batch
      'ssm:DescribeInstanceInformation',
    ],
    timeoutSeconds: 120,
  },
  {
    name: 'verify-cutover',
    placeholder: 'VerifyCutoverFunctionArn',
    description: 'Verifies cutover instances; reverts a failed server to READY_FOR_CUTOVER and keeps its source.',
    env: [ENV.waveBucket],
    probesLaunchedInstances: true,
    actions: [
      ...STORE_ACTIONS,
      ...LAUNCH_CALLER_ACTIONS,
      'ec2:DescribeInstanceStatus',
      'ec2:DescribeInstances',
      'ssm:DescribeInstanceInformation',
      'ssm:SendCommand',
      'ssm:GetCommandInvocation',
      'ssm:ListCommandInvocations',
      'mgn:DescribeSourceServers',
      'mgn:ChangeServerLifeCycleState',
      'mgn:TerminateTargetInstances',
    ],
    timeoutSeconds: 120,
  },
  {
    name: 'revert-cutover',
    placeholder: 'RevertCutoverFunctionArn',
    description: 'Finalize gate answered revert: servers back to READY_FOR_CUTOVER, cutover instances terminated, sources kept.',
    env: [ENV.waveBucket],
    actions: [...STORE_ACTIONS, ...RETIRE_LAUNCHED_ACTIONS],
    timeoutSeconds: 120,
  },
  {
    name: 'finalize-cutover',
    placeholder: 'FinalizeCutoverFunctionArn',
    description: 'FinalizeCutover, then MarkAsArchived (and disconnect) where the manifest asks.',
    env: [ENV.waveBucket],
    actions: [
      ...STORE_ACTIONS,
      'mgn:DescribeSourceServers',
      'mgn:FinalizeCutover',
      'mgn:MarkAsArchived',
      'mgn:DisconnectFromService',
      ...MGN_ARCHIVE_GROUP_ACTIONS,
    ],
    timeoutSeconds: 120,
  },
  {
    name: 'report',
    placeholder: 'ReportFunctionArn',
    description: 'Writes the final report (every server with its result) and notifies the topic.',
    env: [ENV.waveBucket, ENV.topicArn, ENV.ssmEndpointsByRegion],
    // ssm:DeleteParameter: installer credentials left behind by a wave that stopped during installs;
    // s3:DeleteObject: the wave's lock, released at the end of every run
    actions: [...STORE_ACTIONS, 'mgn:DescribeSourceServers', 'sns:Publish', 'ssm:DeleteParameter', 's3:DeleteObject'],
    timeoutSeconds: 60,
  },
];

export const stepByName = (name: string): StepSpec => {
  const step = STEPS.find((s) => s.name === name);
  if (!step) throw new Error(`unknown step ${name}`);
  return step;
};

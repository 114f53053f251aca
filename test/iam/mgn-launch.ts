/**
 * What MGN does with the caller's permissions when it launches (StartTest, StartCutover) or
 * terminates (TerminateTargetInstances) instances. The Service Authorization Reference lists no
 * dependent actions for these, but the MGN user guide says callers need the AWS managed policy
 * AWSApplicationMigrationEC2Access ("You must attach the AWSApplicationMigrationFullAccess and the
 * AWSApplicationMigrationEC2Access policies to your users and roles to enable them to launch test
 * and cutover instances and to complete a full migration cycle"), and DESIGN.md (launched
 * instances): "iam:PassRole to ec2.amazonaws.com".
 *
 * The requests are derived from that policy's statements (managed-policies/AWSApplicationMigrationEC2Access.json,
 * default version v10 of 2026-02-12), one per statement, action and resource pattern, made
 * concrete: the call's region and the deployed account; the ids the run knows (the server's launch
 * template, the staging and launch subnets, the security groups the stack gives, the stack's VPC);
 * for resources MGN creates during the job (conversion server, volumes, snapshots, network
 * interfaces, the launched instance) an id no policy could name in advance. Each request carries
 * the context MGN's forward-access call has (aws:ViaAWSService, aws:CalledVia mgn.amazonaws.com)
 * and what its statement's conditions test (the MGN-managed tag on MGN's resources, the tag on
 * creation, ec2:CreateAction, iam:PassedToService). Launches also pass the launched instance's
 * role to EC2 when the stack gives launched instances an instance profile.
 */
import managedPolicy from './managed-policies/AWSApplicationMigrationEC2Access.json';
import type { AuthorizationRequest, ContextValue } from './call-requests';
import type { ResourceFacts } from './simulated-run';
import { MGN_MANAGED_TAG } from './simulated-run';
import { fillArn, resourceArnFormat } from './service-reference';

export const EC2_ACCESS_POLICY_NAME = 'AWSApplicationMigrationEC2Access';

interface ManagedStatement {
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}
export const EC2_ACCESS_STATEMENTS = (managedPolicy as { Statement: ManagedStatement[] }).Statement;

/**
 * Statements of the managed policy that are not MGN acting for the caller but the caller acting
 * directly (the console editing MGN's launch templates). The flow's own launch-template writes are
 * observed calls of their own and are checked as such.
 */
export const DIRECT_CALLER_STATEMENTS: ReadonlyMap<number, string> = new Map([
  [
    3,
    'CreateLaunchTemplateVersion/ModifyLaunchTemplate/DeleteLaunchTemplateVersions on MGN-managed templates carry no aws:ViaAWSService/aws:CalledVia condition: they are the caller editing MGN templates, which the flow does in calls of its own',
  ],
]);

/** Where MGN places what it launches, as the stack and the run tell it. */
export interface LaunchPlacement {
  /** Staging subnet: where MGN runs its conversion servers. */
  readonly stagingSubnetId?: string;
  readonly testSubnetIds: readonly string[];
  readonly cutoverSubnetIds: readonly string[];
  /** Security groups the stack gives launched instances (MGN's conversion servers get groups MGN creates). */
  readonly securityGroupIds: readonly string[];
  /** The stack's VPC (where MGN creates the security groups of its conversion servers). */
  readonly vpcId?: string;
  /** The role of the instance profile the stack gives launched instances, when it gives one. */
  readonly launchedInstanceRoleArn?: string;
  /** The role of each instance profile of the deploy config's launchInstanceProfiles, by profile name. */
  readonly profileRoles?: ReadonlyMap<string, string>;
}

export interface LaunchCall {
  readonly region: string;
  readonly sourceServerId: string;
  readonly partition: string;
  readonly account: string;
  readonly facts: ResourceFacts;
  readonly placement: LaunchPlacement;
  /** The instance profile of your own (not the stack's) the instance MGN launched for this call carries, from the run. */
  readonly launchedProfile?: string;
}

/** Ids of resources MGN creates while the job runs: unknown before it, so no grant can name them. */
export const CREATED_BY_MGN = {
  instance: 'i-created-by-mgn',
  volume: 'vol-created-by-mgn',
  snapshot: 'snap-created-by-mgn',
  'network-interface': 'eni-created-by-mgn',
  'security-group': 'sg-created-by-mgn',
  'launch-template': 'lt-created-by-mgn',
  image: 'ami-used-by-mgn',
} as const;

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const CREATE_ACTION_OF: Readonly<Record<string, string>> = {
  instance: 'RunInstances',
  'network-interface': 'RunInstances',
  volume: 'CreateVolume',
  snapshot: 'CreateSnapshot',
  'security-group': 'CreateSecurityGroup',
  'launch-template': 'CreateLaunchTemplate',
};

type Kind = 'mgn:StartTest' | 'mgn:StartCutover' | 'mgn:TerminateTargetInstances';

/** The concrete ids a resource pattern `arn:aws:ec2:*:*:<type>/*` stands for in this call. */
function idsFor(
  type: string,
  action: string,
  statement: ManagedStatement,
  kind: Kind,
  call: LaunchCall,
): string[] {
  const p = call.placement;
  const createsIt = Object.keys(statement.Condition?.Null ?? {}).some((k) => k.startsWith('aws:RequestTag/'));
  switch (type) {
    case 'subnet': {
      const tier =
        kind === 'mgn:StartTest' ? p.testSubnetIds : kind === 'mgn:StartCutover' ? p.cutoverSubnetIds : [];
      return [...new Set([...(p.stagingSubnetId ? [p.stagingSubnetId] : []), ...tier])];
    }
    case 'security-group':
      return action === 'ec2:RunInstances'
        ? [...new Set([...p.securityGroupIds, CREATED_BY_MGN['security-group']])]
        : [CREATED_BY_MGN['security-group']];
    case 'launch-template': {
      const own = call.facts.launchTemplateOf(call.sourceServerId);
      return createsIt || !own ? [CREATED_BY_MGN['launch-template']] : [own];
    }
    case 'vpc':
      return p.vpcId ? [p.vpcId] : [];
    default: {
      const id = CREATED_BY_MGN[type as keyof typeof CREATED_BY_MGN];
      if (!id) throw new Error(`${EC2_ACCESS_POLICY_NAME}: no id rule for resource type ${type}`);
      return [id];
    }
  }
}

/** The statement's resource pattern made concrete for this call, in the reference's ARN format for its type. */
async function concreteResources(
  pattern: string,
  action: string,
  statement: ManagedStatement,
  kind: Kind,
  call: LaunchCall,
): Promise<{ arn: string; type: string }[]> {
  if (pattern === '*') return [{ arn: '*', type: '*' }];
  const iam = /^arn:aws:iam::\*:(role\/.+)$/.exec(pattern);
  if (iam) return [{ arn: `arn:${call.partition}:iam::${call.account}:${iam[1]}`, type: 'role' }];
  const ec2 = /^arn:aws:ec2:\*:\*:([a-z-]+)\/\*$/.exec(pattern);
  if (!ec2) throw new Error(`${EC2_ACCESS_POLICY_NAME}: no rule for resource pattern ${pattern}`);
  const type = ec2[1];
  // e.g. snapshots and images have no account in their ARN
  const format = await resourceArnFormat('ec2', type);
  const variable = /\$\{([A-Za-z]+Id)\}$/.exec(format)?.[1];
  if (!variable) throw new Error(`${EC2_ACCESS_POLICY_NAME}: cannot fill ${format}`);
  return idsFor(type, action, statement, kind, call).map((id) => ({
    arn: fillArn(format, {
      Partition: call.partition,
      Region: call.region,
      Account: call.account,
      [variable]: id,
    }),
    type,
  }));
}

/** The context MGN's forward-access request carries, and what this statement's conditions test. */
function contextFor(statement: ManagedStatement, type: string): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {
    'aws:ViaAWSService': 'true',
    'aws:CalledVia': ['mgn.amazonaws.com'],
    'aws:CalledViaFirst': 'mgn.amazonaws.com',
    'aws:CalledViaLast': 'mgn.amazonaws.com',
  };
  const conditions = statement.Condition ?? {};
  for (const key of Object.keys(conditions.Null ?? {})) {
    const tag = /^(aws|ec2):(ResourceTag|RequestTag)\/(.+)$/.exec(key);
    if (!tag) throw new Error(`${EC2_ACCESS_POLICY_NAME}: no rule for condition Null ${key}`);
    if (tag[2] === 'ResourceTag') {
      // MGN's own resource: it carries the tag under both spellings.
      context[`aws:ResourceTag/${tag[3]}`] = MGN_MANAGED_TAG.value;
      context[`ec2:ResourceTag/${tag[3]}`] = MGN_MANAGED_TAG.value;
    } else {
      context[`aws:RequestTag/${tag[3]}`] = MGN_MANAGED_TAG.value;
      context['aws:TagKeys'] = [tag[3]];
    }
  }
  if (conditions.StringEquals?.['ec2:CreateAction']) {
    const createAction = CREATE_ACTION_OF[type];
    if (!createAction) throw new Error(`${EC2_ACCESS_POLICY_NAME}: no create action for ${type}`);
    context['ec2:CreateAction'] = createAction;
  }
  const passedTo = conditions.StringEquals?.['iam:PassedToService'];
  if (passedTo) context['iam:PassedToService'] = passedTo;
  return context;
}

/** Every request MGN makes with the caller's permissions for one source server of a launch or terminate call. */
export async function mgnLaunchRequests(kind: Kind, call: LaunchCall): Promise<AuthorizationRequest[]> {
  const out: AuthorizationRequest[] = [];
  for (const [index, statement] of EC2_ACCESS_STATEMENTS.entries()) {
    if (DIRECT_CALLER_STATEMENTS.has(index)) continue;
    const why = `${kind} for ${call.sourceServerId}: MGN acts with the caller's permissions (${EC2_ACCESS_POLICY_NAME} statement ${index})`;
    for (const action of list(statement.Action))
      for (const pattern of list(statement.Resource))
        for (const { arn, type } of await concreteResources(pattern, action, statement, kind, call))
          out.push({
            action,
            resource: arn,
            resourceAccount: call.account,
            context: contextFor(statement, type),
            dependency: why,
          });
  }
  // the role of the profile the launched instance carries: the stack's, one of the deploy config's
  // launchInstanceProfiles, or (a profile the stack does not know) a role no grant names
  const p = call.placement;
  const profile = call.launchedProfile;
  const role =
    profile === undefined
      ? p.launchedInstanceRoleArn
      : (p.profileRoles?.get(profile) ?? `arn:${call.partition}:iam::${call.account}:role/role-of-instance-profile-${profile}`);
  if (role && kind !== 'mgn:TerminateTargetInstances')
    out.push({
      action: 'iam:PassRole',
      resource: role,
      resourceAccount: call.account,
      context: {
        'iam:PassedToService': 'ec2.amazonaws.com',
        'aws:ViaAWSService': 'true',
        'aws:CalledVia': ['mgn.amazonaws.com'],
      },
      dependency: `${kind} for ${call.sourceServerId}: the launched instance gets ${profile ?? "the stack's"} instance profile, and launching with a profile passes its role to EC2 (DESIGN.md, launched instances)`,
    });
  return out;
}

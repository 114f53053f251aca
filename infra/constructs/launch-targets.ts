import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag';

/** Prefix of the SSM parameters that hold staged installer credentials (functions/lib: /mgn-orchestrator/<waveId>/<runId>/…). */
export const INSTALLER_PARAMETER_PREFIX = 'mgn-orchestrator';

/**
 * The actions of AmazonSSMManagedInstanceCore (v2), in three parts: the agent's ssm calls about its own
 * instance and its associations (granted on `*` as in the managed policy: the instance does not exist
 * before the launch), its parameter reads (this account and region only), and the ssmmessages /
 * ec2messages channel calls (no resource type).
 */
export const SSM_AGENT_CORE_ACTIONS = [
  'ssm:DescribeAssociation',
  'ssm:GetDeployablePatchSnapshotForInstance',
  'ssm:GetDocument',
  'ssm:DescribeDocument',
  'ssm:GetManifest',
  'ssm:ListAssociations',
  'ssm:ListInstanceAssociations',
  'ssm:PutInventory',
  'ssm:PutComplianceItems',
  'ssm:PutConfigurePackageResult',
  'ssm:UpdateAssociationStatus',
  'ssm:UpdateInstanceAssociationStatus',
  'ssm:UpdateInstanceInformation',
] as const;
export const SSM_AGENT_PARAMETER_ACTIONS = ['ssm:GetParameter', 'ssm:GetParameters'] as const;
export const SSM_AGENT_MESSAGE_ACTIONS = [
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
] as const;

export interface LaunchTargetsProps {
  readonly vpc: ec2.IVpc;
  /** The interface endpoints' security group: launched instances reach SSM (ssm, ssmmessages, ec2messages) through it on TCP 443. */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
}

/**
 * What a launched (test or cutover) instance gets unless the wave names its own: the target security
 * group and an instance profile whose role holds what the SSM agent needs and nothing more, so the
 * instance comes Online in SSM through the VPC's endpoints and the verify steps can run its checks.
 *
 * The role's statements are written out rather than attaching AmazonSSMManagedInstanceCore: the
 * actions are that policy's (v2), so the agent works as documented, but a change AWS makes to the
 * managed policy cannot silently widen what a clone of an arbitrary source server may do, parameter
 * reads are limited to this account and region, and the installer credentials the orchestrator stages
 * under /mgn-orchestrator/ are explicitly denied.
 */
export class LaunchTargets extends Construct {
  /** Default security group of launched instances: TCP 443 out to the endpoints, nothing in except the verify steps' probes. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Role of the launched-instance profile (MGN passes it to EC2 at launch: iam:PassRole). */
  public readonly role: iam.Role;
  public readonly instanceProfile: iam.InstanceProfile;

  constructor(scope: Construct, id: string, props: LaunchTargetsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'MGN test and cutover instances: TCP 443 to the VPC endpoints (SSM agent)',
      allowAllOutbound: false,
    });
    // Egress only: the endpoints admit the test and cutover subnets by CIDR (ServiceEndpoints clientCidrs),
    // so an instance the wave gives other groups still reaches them.
    this.securityGroup.addEgressRule(props.endpointSecurityGroup, ec2.Port.tcp(443), 'SSM agent to the ssm, ssmmessages and ec2messages endpoints');

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'MGN test and cutover instances: SSM agent only (the actions of AmazonSSMManagedInstanceCore)',
    });
    const parameters = `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter/*`;
    const agentPolicy = new iam.Policy(this, 'SsmAgentPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ sid: 'SsmAgentCore', actions: [...SSM_AGENT_CORE_ACTIONS], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'SsmAgentParameters',
          actions: [...SSM_AGENT_PARAMETER_ACTIONS],
          resources: [parameters],
        }),
        new iam.PolicyStatement({ sid: 'SsmAgentMessages', actions: [...SSM_AGENT_MESSAGE_ACTIONS], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'NoInstallerCredentials',
          effect: iam.Effect.DENY,
          actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'],
          resources: [`arn:${stack.partition}:ssm:*:${stack.account}:parameter/${INSTALLER_PARAMETER_PREFIX}/*`],
        }),
      ],
    });
    acknowledgeWildcardResources(agentPolicy, [
      {
        resource: '*',
        reason:
          'SSM agent calls about its own instance, whose id does not exist before MGN launches it; ssmmessages, ec2messages and several ssm agent calls have no resource type. Same actions and resources as AmazonSSMManagedInstanceCore',
      },
      {
        resource: parameters,
        reason:
          'Run Command documents may reference parameters of this account and region (AmazonSSMManagedInstanceCore grants them on *); the installer credentials under /mgn-orchestrator/ are denied',
      },
    ]);
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });
  }
}

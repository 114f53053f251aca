import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { INSTALLER_PARAMETER_ROOT, installerCredentialsKeyAlias } from '../../functions/lib/installer-credentials';

/** What key administrators may do: everything except using the key or granting its use (no Encrypt, Decrypt, ReEncrypt, GenerateDataKey, CreateGrant). */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:Disable*',
  'kms:List*',
  'kms:Get*',
  'kms:PutKeyPolicy',
  'kms:UpdateKeyDescription',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
] as const;

export interface InstallerCredentialsKeyProps {
  /** The deploy config's stackName: the alias is `alias/<stackName>/installer-credentials` in every region. */
  readonly stackName: string;
}

/**
 * The KMS key that encrypts the installer credentials staged for hosts (one per region the stack
 * deploys to: the main stack's region and each source region's documents stack, because a
 * SecureString is written, encrypted and read in one region). Its policy is the whole story:
 *
 * - the account (IAM) administers the key but may not use it or grant its use;
 * - Encrypt is delegated to IAM only through SSM in this region and only under the encryption
 *   context of a staged credentials parameter (PARAMETER_ARN, AWS KMS developer guide, "How AWS
 *   Systems Manager Parameter Store uses AWS KMS"): install-agents' role holds the matching grant;
 * - Decrypt only through SSM in this region, only for those parameters, only by principals of
 *   this account whose credentials are a host's: a hybrid-activated managed instance
 *   (`ssm:SourceInstanceARN`) or an EC2 instance (`ec2:SourceInstanceARN`). No IAM policy can widen
 *   it (no statement delegates Decrypt to IAM): a user or role of the account with ssm:GetParameter
 *   and kms:Decrypt on `*` still cannot read the credentials, and a host that can read parameters
 *   (AmazonSSMManagedInstanceCore) still has to know the run's random parameter name, which only
 *   the wave's tagged sources are sent.
 *
 * Why a key per region rather than one multi-region key: each region's stack owns its key outright
 * (no replica to keep in step, nothing shared across regions that could decrypt elsewhere), the
 * same alias names it everywhere, and the parameters live an hour at most, so nothing encrypted
 * under it has to survive the key (removal destroys it after the shortest waiting period).
 */
export class InstallerCredentialsKey extends Construct {
  public readonly key: kms.Key;
  /** The alias name install-agents passes as PutParameter KeyId (INSTALLER_CREDENTIALS_KEY). */
  public readonly aliasName: string;

  constructor(scope: Construct, id: string, props: InstallerCredentialsKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { partition, region, account } = stack;
    this.aliasName = installerCredentialsKeyAlias(props.stackName);
    const parameters = `arn:${partition}:ssm:${region}:${account}:parameter${INSTALLER_PARAMETER_ROOT}/*`;
    const viaSsm = { 'kms:ViaService': `ssm.${region}.amazonaws.com` };
    const onlyStagedCredentials = { 'kms:EncryptionContext:PARAMETER_ARN': parameters };
    const accountRoot = new iam.AccountRootPrincipal();

    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministrationWithoutUse',
          principals: [accountRoot],
          actions: [...KEY_ADMIN_ACTIONS],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'StageInstallerCredentialsThroughSsm',
          principals: [accountRoot],
          actions: ['kms:Encrypt'],
          resources: ['*'],
          conditions: { StringEquals: viaSsm, StringLike: onlyStagedCredentials },
        }),
        ...(
          [
            ['ManagedInstancesReadInstallerCredentials', 'ssm:SourceInstanceARN', `arn:${partition}:ssm:${region}:${account}:managed-instance/*`],
            ['Ec2InstancesReadInstallerCredentials', 'ec2:SourceInstanceARN', `arn:${partition}:ec2:${region}:${account}:instance/*`],
          ] as const
        ).map(
          ([sid, hostKey, hostArn]) =>
            new iam.PolicyStatement({
              sid,
              principals: [new iam.AnyPrincipal()],
              actions: ['kms:Decrypt'],
              resources: ['*'],
              conditions: {
                StringEquals: { ...viaSsm, 'kms:CallerAccount': account },
                StringLike: onlyStagedCredentials,
                ArnLike: { [hostKey]: hostArn },
              },
            }),
        ),
      ],
    });

    this.key = new kms.Key(this, 'Key', {
      description: `MGN orchestrator (${props.stackName}): installer credentials staged for source hosts in ${region}`,
      enableKeyRotation: true,
      policy,
      alias: this.aliasName,
      // Nothing encrypted under it outlives a run (the parameters are deleted when installs end).
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
  }
}

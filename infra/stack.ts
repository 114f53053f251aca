import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { documentNamesFor } from '../functions/lib/installer';
import { ENV, STEPS, type StepSpec } from '../functions/lib/steps';
import type { DeployConfig } from './config';
import { formatAllowedTag } from '../functions/lib/allowed-tag';
import { InstallerCredentialsKey } from './constructs/installer-credentials-key';
import { IsolatedNetwork } from './constructs/isolated-network';
import { LaunchTargets } from './constructs/launch-targets';
import { MigrationDocuments, type MigrationDocumentContents } from './constructs/migration-documents';
import { Monitoring } from './constructs/monitoring';
import { Notifications } from './constructs/notifications';
import { OrchestratorFunctions } from './constructs/orchestrator-functions';
import { ReplicationSecurity } from './constructs/replication-security';
import { ResolverInboundEndpoint } from './constructs/resolver-inbound-endpoint';
import { ServiceEndpoints } from './constructs/service-endpoints';
import { WaveStateMachine } from './constructs/wave-state-machine';
import { WaveStore } from './constructs/wave-store';
import { WaveTriggers } from './constructs/wave-triggers';
import { documentArns, documentRegions } from './ssm-documents';

export interface OrchestratorStackProps extends StackProps {
  /** The parsed deploy config (infra/config.ts). */
  readonly config: DeployConfig;
  /** The ASL text of statemachine/wave.asl.json. */
  readonly definition: string;
  /** SSM document contents from functions/lib/installer.ts. */
  readonly documents: MigrationDocumentContents;
  /** The code of each step (the app: esbuild bundles in dist/functions/<name>). */
  readonly code: (step: StepSpec) => lambda.Code;
}

/** The whole orchestrator in one stack: network, endpoints, documents, functions, flow, triggers, alarms. */
export class OrchestratorStack extends Stack {
  public readonly network: IsolatedNetwork;
  public readonly endpoints: ServiceEndpoints;
  public readonly replication: ReplicationSecurity;
  public readonly launchTargets: LaunchTargets;
  public readonly resolver?: ResolverInboundEndpoint;
  public readonly store: WaveStore;
  public readonly notifications: Notifications;
  public readonly documents: MigrationDocuments;
  public readonly functions: OrchestratorFunctions;
  public readonly flow: WaveStateMachine;
  public readonly triggers: WaveTriggers;
  public readonly monitoring: Monitoring;
  /** Encrypts the installer credentials staged for hosts in this region (each source region's documents stack has its own). */
  public readonly installerCredentialsKey: InstallerCredentialsKey;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: props.config.region } });
    // Access logs are delivered under a bucket policy, never an ACL, whatever the app's feature flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { config } = props;
    const account = config.account ?? Aws.ACCOUNT_ID;
    const region = config.region;
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.network = new IsolatedNetwork(this, 'Network', { network: config.network, connectivity: config.connectivity, flowLogRetention: logRetention });
    this.store = new WaveStore(this, 'WaveStore');
    this.notifications = new Notifications(this, 'Notifications', { emails: config.notifications.emails });

    this.endpoints = new ServiceEndpoints(this, 'Endpoints', {
      vpc: this.network.vpc,
      region,
      account,
      endpointSubnets: this.network.endpoints.subnets,
      stagingSubnets: this.network.staging.subnets,
      clients: {
        sources: config.sourceCidrs,
        staging: this.network.staging.cidrs,
        orchestrator: this.network.orchestrator.cidrs,
        launched: [...this.network.test.cidrs, ...this.network.cutover.cidrs],
      },
      waveBucketArn: this.store.bucket.bucketArn,
      executeApi: config.api.enabled && config.api.endpointType === 'PRIVATE',
    });

    this.replication = new ReplicationSecurity(this, 'Replication', {
      vpc: this.network.vpc,
      sourceCidrs: config.sourceCidrs,
      // mgn and the S3 interface endpoint (hosts group), ec2 (its own group)
      endpointSecurityGroups: [this.endpoints.securityGroups.hosts, this.endpoints.securityGroups.ec2],
      s3PrefixListId: config.s3PrefixListId,
    });

    this.launchTargets = new LaunchTargets(this, 'LaunchTargets', {
      vpc: this.network.vpc,
      // launched instances use only SSM (ssm, ssmmessages, ec2messages), in the hosts group
      endpointSecurityGroup: this.endpoints.securityGroups.hosts,
    });

    if (config.onPremises?.resolverInboundEndpoint)
      this.resolver = new ResolverInboundEndpoint(this, 'ResolverInbound', {
        vpc: this.network.vpc,
        subnets: this.network.endpoints.subnets,
        clientCidrs: config.onPremises.dnsClientCidrs ?? config.sourceCidrs,
      });

    // Named after the stack; each source region's documents stack (infra/source-region-documents.ts) uses the same names.
    this.documents = new MigrationDocuments(this, 'Documents', { contents: props.documents, names: documentNamesFor(config.stackName) });
    const docNames = this.documents.names;
    this.installerCredentialsKey = new InstallerCredentialsKey(this, 'InstallerCredentialsKey', { stackName: config.stackName });

    this.functions = new OrchestratorFunctions(this, 'Functions', {
      vpc: this.network.vpc,
      subnets: this.network.orchestrator.subnets,
      endpointSecurityGroups: Object.values(this.endpoints.securityGroups),
      extraHttpsDestinations: config.sourceRegions.map((s) => ({ cidr: s.ssmEndpointCidr, description: `SSM endpoint in ${s.region}` })),
      launchedInstances: {
        cidrs: [
          ...this.network.test.cidrs.map((cidr) => ({ cidr, description: `test subnet ${cidr}` })),
          ...this.network.cutover.cidrs.map((cidr) => ({ cidr, description: `cutover subnet ${cidr}` })),
        ],
        securityGroup: this.launchTargets.securityGroup,
      },
      code: props.code,
      s3EndpointDns: this.endpoints.s3InterfaceDnsName,
      logRetention,
      environment: {
        [ENV.waveBucket]: this.store.bucket.bucketName,
        [ENV.topicArn]: this.notifications.topic.topicArn,
        [ENV.stagingSubnetId]: this.network.staging.subnets[0].subnetId,
        [ENV.replicationSecurityGroupId]: this.replication.securityGroup.securityGroupId,
        [ENV.precheckDocument]: docNames.precheck,
        [ENV.linuxInstallDocument]: docNames.linuxInstall,
        [ENV.windowsInstallDocument]: docNames.windowsInstall,
        [ENV.ssmEndpointsByRegion]: JSON.stringify(Object.fromEntries(config.sourceRegions.map((s) => [s.region, `https://${s.ssmEndpointDns.replace(/^\*\./, '')}`]))),
        [ENV.preflightEndpoints]: [...this.endpoints.orchestratorHostNames(region), this.endpoints.s3InterfaceDnsName].join(','),
        [ENV.testSubnetIds]: this.network.test.subnets.map((subnet) => subnet.subnetId).join(','),
        [ENV.cutoverSubnetIds]: this.network.cutover.subnets.map((subnet) => subnet.subnetId).join(','),
        [ENV.targetSecurityGroupId]: this.launchTargets.securityGroup.securityGroupId,
        [ENV.launchedInstanceProfileName]: this.launchTargets.instanceProfile.instanceProfileName,
        [ENV.launchInstanceProfiles]: config.launchInstanceProfiles.map((p) => p.name).join(','),
        [ENV.logLevel]: config.logLevel,
        [ENV.allowedTag]: formatAllowedTag(config.allowedTag),
        [ENV.installerCredentialsKey]: this.installerCredentialsKey.aliasName,
      },
      scope: {
        partition: Aws.PARTITION,
        region,
        account,
        sourceRegions: config.sourceRegions.map((s) => s.region),
        waveBucketArn: this.store.bucket.bucketArn,
        topicArn: this.notifications.topic.topicArn,
        documentArns: documentArns(Aws.PARTITION, account, documentRegions(region, config.sourceRegions.map((s) => s.region)), documentNamesFor(config.stackName)),
        launchedInstanceRoleArn: this.launchTargets.role.roleArn,
        launchInstanceRoleArns: config.launchInstanceProfiles.map((p) => p.roleArn),
        allowedTag: config.allowedTag,
      },
    });
    // The topic is KMS-encrypted: publishing steps need the key as well as sns:Publish.
    for (const step of STEPS)
      if (step.actions.includes('sns:Publish')) this.notifications.key.grant(this.functions.roles[step.name], 'kms:Decrypt', 'kms:GenerateDataKey');

    this.flow = new WaveStateMachine(this, 'Flow', {
      definition: props.definition,
      functions: this.functions.functions,
      waveBucket: this.store.bucket,
      notifications: this.notifications,
      logRetention,
    });

    this.triggers = new WaveTriggers(this, 'Triggers', {
      stateMachine: this.flow.stateMachine,
      waveBucket: this.store.bucket,
      eventBridge: config.triggers.eventBridge,
      schedules: config.triggers.schedules,
      api: config.api,
      apiEndpoint: this.endpoints.interfaceEndpoints['execute-api'],
      approvers: config.approvers,
      logRetention,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine: this.flow.stateMachine,
      functions: this.functions.functions,
      notifications: this.notifications,
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.flow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'WaveBucketName', { value: this.store.bucket.bucketName });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.notifications.topic.topicArn });
    new CfnOutput(this, 'MgnEndpointDns', { value: this.endpoints.mgnInterfaceDnsName, description: 'manifest endpoints.mgn' });
    new CfnOutput(this, 'S3EndpointDns', { value: this.endpoints.s3InterfaceDnsName, description: 'manifest endpoints.s3' });
    new CfnOutput(this, 'StagingSubnetId', { value: this.network.staging.subnets[0].subnetId });
    new CfnOutput(this, 'ReplicationSecurityGroupId', { value: this.replication.securityGroup.securityGroupId });
    new CfnOutput(this, 'TestSubnetIds', {
      value: this.network.test.subnets.map((subnet) => subnet.subnetId).join(','),
      description: 'where test instances launch unless the wave says launch.test.subnetId',
    });
    new CfnOutput(this, 'CutoverSubnetIds', {
      value: this.network.cutover.subnets.map((subnet) => subnet.subnetId).join(','),
      description: 'where cutover instances launch unless the wave says launch.cutover.subnetId',
    });
    new CfnOutput(this, 'TargetSecurityGroupId', {
      value: this.launchTargets.securityGroup.securityGroupId,
      description: 'security group of launched instances unless the wave names others (TCP 443 to the endpoints)',
    });
    new CfnOutput(this, 'LaunchedInstanceProfileName', {
      value: this.launchTargets.instanceProfile.instanceProfileName,
      description: 'instance profile of launched instances unless the wave says launch.instanceProfile (SSM agent only)',
    });
    if (this.triggers.bus) new CfnOutput(this, 'EventBusName', { value: this.triggers.bus.eventBusName });
    if (this.triggers.api) new CfnOutput(this, 'ApiUrl', { value: this.triggers.api.url });
    if (this.resolver)
      new CfnOutput(this, 'ResolverInboundEndpointId', {
        value: this.resolver.endpoint.attrResolverEndpointId,
        description: 'forward *.amazonaws.com to its addresses (aws route53resolver list-resolver-endpoint-ip-addresses)',
      });

  }
}

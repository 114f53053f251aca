import {
  ArchiveApplicationCommand,
  ArchiveWaveCommand,
  AssociateApplicationsCommand,
  AssociateSourceServersCommand,
  ChangeServerLifeCycleStateCommand,
  CreateApplicationCommand,
  CreateWaveCommand,
  ListApplicationsCommand,
  ListWavesCommand,
  CreateReplicationConfigurationTemplateCommand,
  DescribeJobsCommand,
  DescribeReplicationConfigurationTemplatesCommand,
  DescribeSourceServersCommand,
  FinalizeCutoverCommand,
  GetLaunchConfigurationCommand,
  GetReplicationConfigurationCommand,
  MarkAsArchivedCommand,
  MgnClient,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  UpdateLaunchConfigurationCommand,
  UpdateReplicationConfigurationCommand,
  UpdateReplicationConfigurationTemplateCommand,
  type BootMode,
  type Job,
  type LaunchConfiguration,
  type PostLaunchActions,
  type SourceServer,
} from '@aws-sdk/client-mgn';
import { asTryLater } from '../errors';
import type {
  JobView,
  LaunchConfigurationUpdate,
  LaunchConfigurationView,
  LifecycleState,
  MgnGroupView,
  MgnPort,
  PostLaunchActionsView,
  ReplicationConfigurationView,
  ReplicationTemplateSettings,
  ReplicationTemplateView,
  SourceServerView,
} from '../ports';
import { chunk } from '../batching';
import { cachedBy, clientConfig } from './client-config';

/** DescribeSourceServers accepts at most 200 ids in filters.sourceServerIDs. */
export const MAX_IDS_PER_DESCRIBE = 200;
/** DescribeJobs accepts at most 1000 ids in filters.jobIDs. */
export const MAX_JOB_IDS_PER_DESCRIBE = 1000;
/** AssociateApplications and AssociateSourceServers accept at most 50 ids per call. */
export const MAX_IDS_PER_ASSOCIATE = 50;

export const mgnClientFor = cachedBy((region) => new MgnClient(clientConfig(region)));

/** ISO-8601 duration (PT1H2M3S, P1DT2H) to seconds; undefined when it is not one. */
export function durationSeconds(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!m) return undefined;
  const [, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return d * 86400 + h * 3600 + min * 60 + s;
}

export function toSourceServerView(s: SourceServer): SourceServerView {
  const disks = s.dataReplicationInfo?.replicatedDisks ?? [];
  const sum = (pick: (d: (typeof disks)[number]) => number | undefined) => disks.reduce((n, d) => n + (pick(d) ?? 0), 0);
  const hints = s.sourceProperties?.identificationHints ?? {};
  return {
    sourceServerId: s.sourceServerID ?? '',
    isArchived: s.isArchived ?? false,
    lifecycleState: s.lifeCycle?.state as LifecycleState | undefined,
    replicationState: s.dataReplicationInfo?.dataReplicationState,
    replicationError: s.dataReplicationInfo?.dataReplicationError?.error,
    hints: { awsInstanceId: hints.awsInstanceID, hostname: hints.hostname, fqdn: hints.fqdn },
    userProvidedId: s.userProvidedID,
    totalBytes: sum((d) => d.totalStorageBytes),
    replicatedBytes: sum((d) => d.replicatedStorageBytes),
    backloggedBytes: sum((d) => d.backloggedStorageBytes),
    lagSeconds: durationSeconds(s.dataReplicationInfo?.lagDuration),
    etaDateTime: s.dataReplicationInfo?.etaDateTime,
    lastTestJobId: s.lifeCycle?.lastTest?.initiated?.jobID,
    lastCutoverJobId: s.lifeCycle?.lastCutover?.initiated?.jobID,
    lastCutoverFinalizedAt: s.lifeCycle?.lastCutover?.finalized?.apiCallDateTime,
    lastCutoverInitiatedAt: s.lifeCycle?.lastCutover?.initiated?.apiCallDateTime,
    launchedInstanceId: s.launchedInstance?.ec2InstanceID,
    ...(s.applicationID ? { applicationId: s.applicationID } : {}),
  };
}

export function toJobView(j: Job): JobView {
  return {
    jobId: j.jobID ?? '',
    type: j.type,
    initiatedBy: j.initiatedBy,
    status: (j.status ?? 'PENDING') as JobView['status'],
    creationDateTime: j.creationDateTime,
    ...(j.endDateTime ? { endDateTime: j.endDateTime } : {}),
    servers: (j.participatingServers ?? []).map((p) => ({
      sourceServerId: p.sourceServerID ?? '',
      launchStatus: p.launchStatus as JobView['servers'][number]['launchStatus'],
      launchedInstanceId: p.launchedEc2InstanceID,
    })),
  };
}

export function toLaunchConfigurationView(c: LaunchConfiguration, sourceServerId: string): LaunchConfigurationView {
  return {
    sourceServerId: c.sourceServerID ?? sourceServerId,
    ec2LaunchTemplateId: c.ec2LaunchTemplateID,
    launchDisposition: c.launchDisposition,
    rightSizing: c.targetInstanceTypeRightSizingMethod,
    copyPrivateIp: c.copyPrivateIp,
    copyTags: c.copyTags,
    osByol: c.licensing?.osByol,
    bootMode: c.bootMode,
    ...(c.postLaunchActions ? { postLaunchActions: c.postLaunchActions as PostLaunchActionsView } : {}),
  };
}

/** MGN through the SDK, in one region. Throttling, quota and conflict errors become TryLaterError. */
export class SdkMgnPort implements MgnPort {
  constructor(private readonly client: MgnClient) {}

  static forRegion(region: string): SdkMgnPort {
    return new SdkMgnPort(mgnClientFor(region));
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw asTryLater(error, what);
    }
  }

  /** Every item of a paginated call: one page at a time (each through call()) until MGN gives no nextToken. */
  private async allPages<I>(what: string, page: (nextToken: string | undefined) => Promise<{ items?: I[]; nextToken?: string }>): Promise<I[]> {
    const items: I[] = [];
    let nextToken: string | undefined;
    do {
      const answer = await this.call(what, () => page(nextToken));
      items.push(...(answer.items ?? []));
      nextToken = answer.nextToken;
    } while (nextToken);
    return items;
  }

  async describeSourceServers(ids: readonly string[]): Promise<SourceServerView[]> {
    const out: SourceServerView[] = [];
    for (const batch of chunk(ids, MAX_IDS_PER_DESCRIBE)) {
      const items = await this.allPages('DescribeSourceServers', (nextToken) =>
        this.client.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: batch }, maxResults: MAX_IDS_PER_DESCRIBE, nextToken })),
      );
      out.push(...items.map(toSourceServerView));
    }
    return out;
  }

  async listSourceServers(): Promise<SourceServerView[]> {
    const items = await this.allPages('DescribeSourceServers', (nextToken) =>
      this.client.send(new DescribeSourceServersCommand({ filters: {}, maxResults: 1000, nextToken })),
    );
    return items.map(toSourceServerView);
  }

  async describeJobs(jobIds: readonly string[]): Promise<JobView[]> {
    const out: JobView[] = [];
    for (const batch of chunk(jobIds, MAX_JOB_IDS_PER_DESCRIBE)) {
      const items = await this.allPages('DescribeJobs', (nextToken) =>
        this.client.send(new DescribeJobsCommand({ filters: { jobIDs: batch }, maxResults: 1000, nextToken })),
      );
      out.push(...items.map(toJobView));
    }
    return out;
  }

  async listJobs(fromDate: string): Promise<JobView[]> {
    const items = await this.allPages('DescribeJobs', (nextToken) =>
      this.client.send(new DescribeJobsCommand({ filters: { fromDate }, maxResults: 1000, nextToken })),
    );
    return items.map(toJobView);
  }

  async startTest(ids: readonly string[]): Promise<JobView> {
    const res = await this.call('StartTest', () => this.client.send(new StartTestCommand({ sourceServerIDs: [...ids] })));
    return toJobView(res.job ?? { jobID: undefined });
  }

  async startCutover(ids: readonly string[]): Promise<JobView> {
    const res = await this.call('StartCutover', () => this.client.send(new StartCutoverCommand({ sourceServerIDs: [...ids] })));
    return toJobView(res.job ?? { jobID: undefined });
  }

  async terminateTargetInstances(ids: readonly string[]): Promise<JobView> {
    const res = await this.call('TerminateTargetInstances', () =>
      this.client.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [...ids] })),
    );
    return toJobView(res.job ?? { jobID: undefined });
  }

  async changeLifecycleState(id: string, state: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' | 'CUTOVER'): Promise<void> {
    await this.call('ChangeServerLifeCycleState', () =>
      this.client.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state } })),
    );
  }

  async finalizeCutover(id: string): Promise<void> {
    await this.call('FinalizeCutover', () => this.client.send(new FinalizeCutoverCommand({ sourceServerID: id })));
  }

  async markAsArchived(id: string): Promise<void> {
    await this.call('MarkAsArchived', () => this.client.send(new MarkAsArchivedCommand({ sourceServerID: id })));
  }

  async describeReplicationTemplates(): Promise<ReplicationTemplateView[]> {
    const items = await this.allPages('DescribeReplicationConfigurationTemplates', (nextToken) =>
      this.client.send(new DescribeReplicationConfigurationTemplatesCommand({ replicationConfigurationTemplateIDs: [], nextToken })),
    );
    return items.map((t) => ({
      id: t.replicationConfigurationTemplateID ?? '',
      stagingAreaSubnetId: t.stagingAreaSubnetId,
      dataPlaneRouting: t.dataPlaneRouting,
      createPublicIP: t.createPublicIP,
      securityGroupIds: t.replicationServersSecurityGroupsIDs ?? [],
      associateDefaultSecurityGroup: t.associateDefaultSecurityGroup,
      tags: { ...t.tags },
    }));
  }

  async getReplicationConfiguration(id: string): Promise<ReplicationConfigurationView> {
    const res = await this.call('GetReplicationConfiguration', () => this.client.send(new GetReplicationConfigurationCommand({ sourceServerID: id })));
    return {
      stagingAreaSubnetId: res.stagingAreaSubnetId,
      dataPlaneRouting: res.dataPlaneRouting,
      createPublicIP: res.createPublicIP,
      securityGroupIds: res.replicationServersSecurityGroupsIDs ?? [],
      associateDefaultSecurityGroup: res.associateDefaultSecurityGroup,
    };
  }

  async updateReplicationConfiguration(id: string, settings: ReplicationTemplateSettings): Promise<void> {
    // only the isolated-network fields: the rest (disks, instance type, encryption) stays as it is
    await this.call('UpdateReplicationConfiguration', () =>
      this.client.send(
        new UpdateReplicationConfigurationCommand({
          sourceServerID: id,
          stagingAreaSubnetId: settings.stagingAreaSubnetId,
          dataPlaneRouting: settings.dataPlaneRouting,
          createPublicIP: settings.createPublicIP,
          replicationServersSecurityGroupsIDs: [...settings.securityGroupIds],
          associateDefaultSecurityGroup: settings.associateDefaultSecurityGroup,
        }),
      ),
    );
  }

  async updateReplicationTemplate(id: string, settings: ReplicationTemplateSettings): Promise<void> {
    await this.call('UpdateReplicationConfigurationTemplate', () =>
      this.client.send(
        new UpdateReplicationConfigurationTemplateCommand({
          replicationConfigurationTemplateID: id,
          stagingAreaSubnetId: settings.stagingAreaSubnetId,
          dataPlaneRouting: settings.dataPlaneRouting,
          createPublicIP: settings.createPublicIP,
          replicationServersSecurityGroupsIDs: [...settings.securityGroupIds],
          associateDefaultSecurityGroup: settings.associateDefaultSecurityGroup,
        }),
      ),
    );
  }

  async getLaunchConfiguration(id: string): Promise<LaunchConfigurationView> {
    const res = await this.call('GetLaunchConfiguration', () => this.client.send(new GetLaunchConfigurationCommand({ sourceServerID: id })));
    return toLaunchConfigurationView(res, id);
  }

  async updateLaunchConfiguration(id: string, update: LaunchConfigurationUpdate): Promise<void> {
    await this.call('UpdateLaunchConfiguration', () =>
      this.client.send(
        new UpdateLaunchConfigurationCommand({
          sourceServerID: id,
          launchDisposition: update.launchDisposition,
          targetInstanceTypeRightSizingMethod: update.rightSizing,
          copyPrivateIp: update.copyPrivateIp,
          copyTags: update.copyTags,
          ...(update.osByol !== undefined ? { licensing: { osByol: update.osByol } } : {}),
          // USE_SOURCE is in the service model (shared/aws-models) but not in this SDK's enum type
          ...(update.bootMode ? { bootMode: update.bootMode as BootMode } : {}),
          ...(update.postLaunchActions ? { postLaunchActions: update.postLaunchActions as PostLaunchActions } : {}),
        }),
      ),
    );
  }

  async createReplicationTemplate(settings: ReplicationTemplateSettings, tags: Readonly<Record<string, string>>): Promise<string> {
    // CreateReplicationConfigurationTemplate has no optional fields; the non-network ones take MGN's console defaults.
    const res = await this.call('CreateReplicationConfigurationTemplate', () =>
      this.client.send(
        new CreateReplicationConfigurationTemplateCommand({
          stagingAreaSubnetId: settings.stagingAreaSubnetId,
          associateDefaultSecurityGroup: settings.associateDefaultSecurityGroup,
          replicationServersSecurityGroupsIDs: [...settings.securityGroupIds],
          replicationServerInstanceType: 't3.small',
          useDedicatedReplicationServer: false,
          defaultLargeStagingDiskType: 'GP3',
          ebsEncryption: 'DEFAULT',
          bandwidthThrottling: 0,
          dataPlaneRouting: settings.dataPlaneRouting,
          createPublicIP: settings.createPublicIP,
          stagingAreaTags: {},
          tags: { ...tags },
        }),
      ),
    );
    return res.replicationConfigurationTemplateID ?? '';
  }

  async listMgnWaves(): Promise<MgnGroupView[]> {
    const items = await this.allPages('ListWaves', (nextToken) => this.client.send(new ListWavesCommand({ filters: {}, maxResults: 1000, nextToken })));
    return items.map((w) => ({ id: w.waveID ?? '', arn: w.arn ?? '', name: w.name ?? '', isArchived: w.isArchived ?? false }));
  }

  async createMgnWave(name: string, description: string): Promise<MgnGroupView> {
    const w = await this.call('CreateWave', () => this.client.send(new CreateWaveCommand({ name, description })));
    return { id: w.waveID ?? '', arn: w.arn ?? '', name: w.name ?? name, isArchived: w.isArchived ?? false };
  }

  async archiveMgnWave(waveId: string): Promise<void> {
    await this.call('ArchiveWave', () => this.client.send(new ArchiveWaveCommand({ waveID: waveId })));
  }

  async listMgnApplications(): Promise<MgnGroupView[]> {
    const items = await this.allPages('ListApplications', (nextToken) =>
      this.client.send(new ListApplicationsCommand({ filters: {}, maxResults: 1000, nextToken })),
    );
    return items.map((a) => ({ id: a.applicationID ?? '', arn: a.arn ?? '', name: a.name ?? '', isArchived: a.isArchived ?? false, ...(a.waveID ? { waveId: a.waveID } : {}) }));
  }

  async createMgnApplication(name: string, description: string): Promise<MgnGroupView> {
    const a = await this.call('CreateApplication', () => this.client.send(new CreateApplicationCommand({ name, description })));
    return { id: a.applicationID ?? '', arn: a.arn ?? '', name: a.name ?? name, isArchived: a.isArchived ?? false };
  }

  async archiveMgnApplication(applicationId: string): Promise<void> {
    await this.call('ArchiveApplication', () => this.client.send(new ArchiveApplicationCommand({ applicationID: applicationId })));
  }

  async associateMgnApplications(waveId: string, applicationIds: readonly string[]): Promise<void> {
    for (const batch of chunk(applicationIds, MAX_IDS_PER_ASSOCIATE))
      await this.call('AssociateApplications', () => this.client.send(new AssociateApplicationsCommand({ waveID: waveId, applicationIDs: [...batch] })));
  }

  async associateMgnSourceServers(applicationId: string, sourceServerIds: readonly string[]): Promise<void> {
    for (const batch of chunk(sourceServerIds, MAX_IDS_PER_ASSOCIATE))
      await this.call('AssociateSourceServers', () =>
        this.client.send(new AssociateSourceServersCommand({ applicationID: applicationId, sourceServerIDs: [...batch] })),
      );
  }
}

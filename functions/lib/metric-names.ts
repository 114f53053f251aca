/**
 * The names of the wave metrics (functions/lib/observability.ts emits them, infra/constructs/monitoring.ts
 * graphs and alarms on them); kept apart so the CDK app imports no Powertools code.
 */
export const METRICS_NAMESPACE = 'MgnOrchestrator';
export const METRICS_SERVICE = 'mgn-orchestrator';

export const METRIC_NAMES = {
  activeServers: 'ActiveServers',
  failedServers: 'FailedServers',
  stalledServers: 'StalledServers',
  maxReplicationLag: 'MaxReplicationLagSeconds',
  replicationPercent: 'ReplicationPercent',
  launchJobFailures: 'LaunchJobFailures',
  waveServers: 'WaveServers',
} as const;

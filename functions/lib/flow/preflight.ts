import { ConfigurationError } from '../errors';
import type { WaveManifest } from '../manifest';
import type { FlowDeps, ReplicationTemplateSettings, ReplicationTemplateView } from '../ports';
import {
  activeServers,
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
} from '../run-state';
import { readWave, setAsideDisconnected } from '../source-servers';
import { phaseDone, type WaveContext } from '../wave-context';

export const PREFLIGHT_TCP_TIMEOUT_MS = 3000;

/** The orchestrator cannot reach an endpoint it needs: nothing in the wave can work. */
export class EndpointUnreachableError extends Error {
  override readonly name = 'EndpointUnreachableError';
}

/** What differs between a template and the isolated-network settings, one phrase each. */
export function templateDrift(t: ReplicationTemplateView, want: ReplicationTemplateSettings): string[] {
  const drift: string[] = [];
  if (t.dataPlaneRouting !== want.dataPlaneRouting)
    drift.push(`dataPlaneRouting ${t.dataPlaneRouting ?? 'unset'} -> PRIVATE_IP`);
  if (t.createPublicIP !== false) drift.push(`createPublicIP ${String(t.createPublicIP)} -> false`);
  if (t.stagingAreaSubnetId !== want.stagingAreaSubnetId)
    drift.push(`stagingAreaSubnetId ${t.stagingAreaSubnetId ?? 'unset'} -> ${want.stagingAreaSubnetId}`);
  const sgs = [...t.securityGroupIds].sort().join(',');
  if (sgs !== [...want.securityGroupIds].sort().join(',') || t.associateDefaultSecurityGroup !== false)
    drift.push(`replication security groups [${sgs}] -> [${want.securityGroupIds.join(',')}]`);
  return drift;
}

/** `host` or `host:port` (the port defaults to 443, the only port the endpoints serve). */
export function endpointHostPort(entry: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(entry);
  return m ? { host: m[1], port: Number(m[2]) } : { host: entry, port: 443 };
}

async function checkEndpoints(deps: FlowDeps): Promise<void> {
  const results = await Promise.all(
    deps.config.preflightEndpoints.map((entry) => {
      const { host, port } = endpointHostPort(entry);
      return deps.network.tcpProbe(host, port, PREFLIGHT_TCP_TIMEOUT_MS);
    }),
  );
  const unreachable = results.filter((r): r is string => r !== undefined);
  if (unreachable.length > 0)
    throw new EndpointUnreachableError(
      `the orchestrator cannot reach ${unreachable.length} endpoint(s) on TCP 443: ${unreachable.join('; ')}`,
    );
}

/** Makes every replication template route privately through the isolated staging subnet (creates one if none). */
export async function enforceReplicationTemplate(deps: FlowDeps): Promise<string[]> {
  const { stagingSubnetId, replicationSecurityGroupId } = deps.config;
  if (!stagingSubnetId || !replicationSecurityGroupId)
    throw new ConfigurationError(
      'STAGING_SUBNET_ID and REPLICATION_SECURITY_GROUP_ID must be set for preflight',
    );
  const want: ReplicationTemplateSettings = {
    stagingAreaSubnetId: stagingSubnetId,
    dataPlaneRouting: 'PRIVATE_IP',
    createPublicIP: false,
    securityGroupIds: [replicationSecurityGroupId],
    associateDefaultSecurityGroup: false,
  };
  const templates = await deps.mgn.describeReplicationTemplates();
  if (templates.length === 0) {
    const id = await deps.mgn.createReplicationTemplate(want);
    return [`created replication template ${id}`];
  }
  const fixes: string[] = [];
  for (const t of templates) {
    const drift = templateDrift(t, want);
    if (drift.length === 0) continue;
    await deps.mgn.updateReplicationTemplate(t.id, want);
    fixes.push(`fixed replication template ${t.id}: ${drift.join(', ')}`);
  }
  return fixes;
}

/**
 * Orchestrator-side endpoint reachability, replication template check and fix, and the SSM status
 * of every source that still needs the agent (each in the region whose SSM manages it).
 * A source that is not Online is set aside; the rest of the wave goes on.
 */
export async function preflight(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  await checkEndpoints(deps);
  const fixes = await enforceReplicationTemplate(deps);
  for (const fix of fixes) deps.log.warn(fix);

  const manifest: WaveManifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const known = await readWave(deps.mgn, manifest, state);
  setAsideDisconnected(state, known, 'preflight', at);
  const needAgent = activeServers(state).filter((r) => !known.has(r.name));

  if (!ctx.phases.install) {
    for (const r of needAgent)
      failServer(
        r,
        'preflight',
        'MGN does not know this server and options.phases.install is false: install the agent first',
        at,
      );
  } else {
    const byRegion = new Map<string, typeof needAgent>();
    for (const r of needAgent) byRegion.set(r.ssmRegion, [...(byRegion.get(r.ssmRegion) ?? []), r]);
    for (const [region, records] of byRegion) {
      const infos = await deps
        .ssm(region)
        .describeInstanceInformation(records.map((r) => r.sourceInstanceId));
      const ping = new Map(infos.map((i) => [i.instanceId, i.pingStatus]));
      for (const r of records) {
        const status = ping.get(r.sourceInstanceId);
        if (status === 'Online') continue;
        failServer(
          r,
          'preflight',
          status
            ? `SSM agent is ${status} in ${region}, not Online: Run Command cannot reach the source`
            : `not registered with SSM in ${region}: check the SSM agent, its instance profile or hybrid activation, and the ssm/ssmmessages/ec2messages endpoints`,
          at,
        );
      }
    }
  }
  for (const r of activeServers(state)) mark(r, 'preflight', 'done', at);
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info('preflight done', { templateFixes: fixes.length, ...counts });
  return phaseDone(ctx, 'preflight', counts);
}

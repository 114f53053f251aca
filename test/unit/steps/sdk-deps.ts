/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Step cores over the REAL SDK adapters, with the SDK clients mocked by aws-sdk-client-mock, so the
 * tests assert the exact AWS commands and inputs a step sends. The bucket is in memory.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { MgnClient } from '@aws-sdk/client-mgn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { SdkEc2Port } from '../../../functions/lib/adapters/ec2';
import { SdkMgnPort } from '../../../functions/lib/adapters/mgn';
import { SnsNotifier } from '../../../functions/lib/adapters/sns';
import { SdkSsmPort } from '../../../functions/lib/adapters/ssm';
import { SdkStsPort } from '../../../functions/lib/adapters/sts';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import type { WaveManifest } from '../../../functions/lib/manifest';
import type { FlowDeps, LogPort } from '../../../functions/lib/ports';
import { loadRunState, saveRunState, type RunState } from '../../../functions/lib/run-state';
import type { WaveContext } from '../../../functions/lib/wave-context';
import { executionArnOf, FakeWorld } from '../../asl/fake-world';

export const NOW = new Date('2026-01-05T08:00:00.000Z');

export interface CapturedLog extends LogPort {
  readonly lines: string[];
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const push = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    lines.push(`${level} ${message} ${JSON.stringify(extra)}`);
  };
  return { lines, info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
}

export interface SdkTestbed {
  readonly deps: FlowDeps;
  readonly log: CapturedLog;
  readonly objects: Map<string, string>;
  setNow(at: Date): void;
}

export function sdkTestbed(manifest: WaveManifest): SdkTestbed {
  const world = new FakeWorld(manifest);
  const log = captureLog();
  let now = NOW;
  const base = world.deps();
  const deps: FlowDeps = {
    ...base,
    mgn: new SdkMgnPort(new MgnClient({ region: manifest.targetRegion })),
    ssm: (region) => new SdkSsmPort(new SSMClient({ region })),
    ec2: new SdkEc2Port(new EC2Client({ region: manifest.targetRegion })),
    sts: new SdkStsPort(new STSClient({ region: manifest.targetRegion })),
    notifier: new SnsNotifier(new SNSClient({ region: manifest.targetRegion }), 'arn:aws:sns:eu-west-1:123456789012:waves'),
    now: () => now,
    log,
  };
  return { deps, log, objects: world.objects, setNow: (at) => (now = at) };
}

/** Runs validate-wave, so the manifest and fresh server records are in the (memory) bucket. */
export async function startedWave(bed: SdkTestbed, manifest: WaveManifest, runId = 'run-1'): Promise<WaveContext> {
  return validateWave({ input: manifest, runId, executionArn: executionArnOf(runId) }, bed.deps);
}

/** Edits the stored server records (to put a wave in a given phase). */
export async function editRecords(bed: SdkTestbed, ctx: WaveContext, edit: (state: RunState) => void): Promise<RunState> {
  const state = await loadRunState(bed.deps.store, ctx);
  edit(state);
  await saveRunState(bed.deps.store, state);
  return state;
}

export const readRecords = (bed: SdkTestbed, ctx: WaveContext) => loadRunState(bed.deps.store, ctx);

/** An MGN SourceServer as the API returns it. */
export function sdkServer(id: string, instanceId: string, extra: Record<string, unknown> = {}): Record<string, any> & { sourceServerID: string } {
  return {
    sourceServerID: id,
    isArchived: false,
    sourceProperties: { identificationHints: { awsInstanceID: instanceId, hostname: id } },
    lifeCycle: { state: 'READY_FOR_TEST' },
    dataReplicationInfo: { dataReplicationState: 'CONTINUOUS', lagDuration: 'PT2S', replicatedDisks: [{ totalStorageBytes: 100, replicatedStorageBytes: 100 }] },
    ...extra,
  };
}

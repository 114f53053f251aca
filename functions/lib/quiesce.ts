/**
 * Source quiesce before cutover (options.quiesce): on each source host, stop the workload's services
 * (the `service` smoke checks name them: they are what must run on the target) and flush file-system
 * buffers, so the last writes reach MGN's replication before the cutover instance is launched.
 * Service names passed the manifest's character rules, so no quoting is needed to hold.
 */
import { chunk, groupBy, MAX_INSTANCES_PER_COMMAND } from './batching';
import { commandOutcome } from './command-results';
import type { ServerSpec } from './manifest';
import type { FlowDeps } from './ports';
import type { ServerRecord } from './run-state';
import { sendToOnlineHosts } from './run-command';
import { POWERSHELL_DOCUMENT, SHELL_DOCUMENT } from './smoke-checks';

export const QUIESCE_TIMEOUT_SECONDS = 600;

export interface QuiesceProgress {
  stage: 'sent' | 'done';
  commandId: string;
  sentAt: string;
}

export const servicesToStop = (spec: ServerSpec): string[] =>
  (spec.checks ?? []).flatMap((c) => (c.type === 'service' ? [c.name] : []));

/** The `commands` of the quiesce script for one host; the script fails if a service does not stop. */
export function quiesceCommands(spec: ServerSpec): string[] {
  const services = servicesToStop(spec);
  if (spec.os === 'windows')
    return [
      "$ErrorActionPreference = 'Stop'",
      ...services.map((s) => `Stop-Service -Name ${s} -Force; Write-Output "STOPPED ${s}"`),
      'Get-Volume | Where-Object { $_.DriveLetter -and $_.DriveType -eq "Fixed" } | ForEach-Object { Write-VolumeCache -DriveLetter $_.DriveLetter }',
      'Write-Output "PASS flush"',
    ];
  return [
    'set -e',
    ...services.map((s) => `systemctl stop ${s}; echo "STOPPED ${s}"`),
    'sync',
    'echo "PASS flush"',
  ];
}

/**
 * One poll of the quiesce step for the servers ready to cut over. Returns the servers whose source is
 * quiesced (ready to launch) and those whose quiesce failed, with the reason; the rest are in progress.
 */
export async function advanceQuiesce(
  deps: FlowDeps,
  waveId: string,
  candidates: readonly { record: ServerRecord & { quiesce?: QuiesceProgress }; spec: ServerSpec }[],
  at: Date,
): Promise<{ ready: ServerRecord[]; failed: { record: ServerRecord; reason: string }[] }> {
  const ready: ServerRecord[] = [];
  const failed: { record: ServerRecord; reason: string }[] = [];
  const sent = candidates.filter((c) => c.record.quiesce?.stage === 'sent');
  for (const [, group] of groupBy(sent, (c) => `${c.record.ssmRegion} ${c.record.quiesce!.commandId}`)) {
    const invocations = new Map(
      (
        await deps.ssm(group[0].record.ssmRegion).listCommandInvocations(group[0].record.quiesce!.commandId)
      ).map((i) => [i.instanceId, i]),
    );
    for (const { record } of group) {
      const outcome = commandOutcome('source quiesce', invocations.get(record.sourceInstanceId));
      if (outcome.kind === 'success') record.quiesce!.stage = 'done';
      else if (outcome.kind === 'failure')
        failed.push({ record, reason: `${outcome.reason} (the source is kept; check its services)` });
      else if ((at.getTime() - Date.parse(record.quiesce!.sentAt)) / 1000 > QUIESCE_TIMEOUT_SECONDS)
        failed.push({
          record,
          reason: `source quiesce gave no result within ${QUIESCE_TIMEOUT_SECONDS}s (the source is kept)`,
        });
    }
  }
  for (const c of candidates) if (c.record.quiesce?.stage === 'done') ready.push(c.record);

  const toSend = candidates.filter((c) => !c.record.quiesce);
  const keyOf = (c: (typeof toSend)[number]) =>
    `${c.record.ssmRegion} ${c.spec.os} ${JSON.stringify(quiesceCommands(c.spec))}`;
  for (const [, group] of groupBy(toSend, keyOf))
    for (const batch of chunk(group, MAX_INSTANCES_PER_COMMAND)) {
      const region = batch[0].record.ssmRegion;
      // A source whose SSM agent went offline since its install would make SSM refuse the whole batch.
      const { commandId, sentTo, setAside } = await sendToOnlineHosts(deps.ssm(region), region, {
        documentName: batch[0].spec.os === 'windows' ? POWERSHELL_DOCUMENT : SHELL_DOCUMENT,
        instanceIds: batch.map((c) => c.record.sourceInstanceId),
        parameters: { commands: quiesceCommands(batch[0].spec) },
        comment: `mgn source quiesce ${waveId}`,
        timeoutSeconds: QUIESCE_TIMEOUT_SECONDS,
      });
      const byInstance = new Map(batch.map((c) => [c.record.sourceInstanceId, c.record]));
      for (const { instanceId, reason } of setAside)
        failed.push({ record: byInstance.get(instanceId)!, reason: `source quiesce not sent: ${reason} (the source is kept)` });
      for (const id of sentTo) byInstance.get(id)!.quiesce = { stage: 'sent', commandId: commandId!, sentAt: at.toISOString() };
    }
  return { ready, failed };
}

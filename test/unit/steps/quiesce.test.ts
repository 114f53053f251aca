import type { ServerSpec } from '../../../functions/lib/manifest';
import type { FlowDeps, InvocationView, SendCommandRequest, SsmPort } from '../../../functions/lib/ports';
import { CommandTargetsRefusedError } from '../../../functions/lib/errors';
import { advanceQuiesce, quiesceCommands, QUIESCE_TIMEOUT_SECONDS } from '../../../functions/lib/quiesce';
import type { ServerRecord } from '../../../functions/lib/run-state';

const linux: ServerSpec = {
  name: 'web-01',
  os: 'linux',
  source: { type: 'ec2', instanceId: 'i-0a1b2c3d4e5f60711', region: 'ap-southeast-1' },
  checks: [
    { type: 'service', name: 'nginx' },
    { type: 'tcp', port: 80 },
  ],
};
const windows: ServerSpec = {
  name: 'iis-01',
  os: 'windows',
  source: { type: 'onprem', managedInstanceId: 'mi-0a1b2c3d4e5f60711' },
  checks: [{ type: 'service', name: 'W3SVC' }],
};
const recordOf = (spec: ServerSpec, ssmRegion: string): ServerRecord => ({
  name: spec.name,
  os: spec.os,
  sourceInstanceId: spec.source.type === 'ec2' ? spec.source.instanceId : spec.source.managedInstanceId,
  ssmRegion,
  status: 'active',
  launches: { test: 0, cutover: 0 },
  timeline: [],
});

/** A fake SSM per region: records what was sent and answers invocations from `results`. */
function fakeSsm(results: Record<string, InvocationView['status']>) {
  const sent: (SendCommandRequest & { region: string })[] = [];
  const deps = {
    ssm: (region: string): SsmPort => ({
      describeInstanceInformation: async () => [],
      sendCommand: async (request) => {
        sent.push({ ...request, region });
        return `cmd-${sent.length}`;
      },
      listCommandInvocations: async () =>
        Object.entries(results).map(([instanceId, status]) => ({
          instanceId,
          status,
          output: status === 'Failed' ? 'STOPPED nginx\nFAIL flush' : 'PASS flush',
        })),
      putSecureParameter: async () => undefined,
      deleteParameter: async () => undefined,
      managedInstanceTags: async () => new Map(),
    }),
  } as unknown as FlowDeps;
  return { deps, sent };
}

describe('source quiesce before cutover', () => {
  it('stops the services the checks name and flushes buffers, per OS', () => {
    expect(quiesceCommands(linux)).toEqual([
      'set -e',
      'systemctl stop nginx; echo "STOPPED nginx"',
      'sync',
      'echo "PASS flush"',
    ]);
    expect(quiesceCommands(windows)).toEqual(
      expect.arrayContaining(['Stop-Service -Name W3SVC -Force; Write-Output "STOPPED W3SVC"']),
    );
  });

  it('sends one command per region and OS to the source hosts, and none is ready before it answers', async () => {
    const { deps, sent } = fakeSsm({});
    const web = recordOf(linux, 'ap-southeast-1');
    const iis = recordOf(windows, 'ap-south-1');
    const at = new Date('2026-01-05T10:00:00Z');
    const result = await advanceQuiesce(
      deps,
      'w1',
      [
        { record: web, spec: linux },
        { record: iis, spec: windows },
      ],
      at,
    );
    expect(result).toEqual({ ready: [], failed: [] });
    expect(sent.map((s) => [s.region, s.documentName, s.instanceIds])).toEqual([
      ['ap-southeast-1', 'AWS-RunShellScript', ['i-0a1b2c3d4e5f60711']],
      ['ap-south-1', 'AWS-RunPowerShellScript', ['mi-0a1b2c3d4e5f60711']],
    ]);
    expect(web.quiesce).toEqual({ stage: 'sent', commandId: 'cmd-1', sentAt: at.toISOString() });
  });

  it('releases a quiesced source to launch, and sets aside one whose quiesce failed or never answered', async () => {
    const at = new Date('2026-01-05T10:00:00Z');
    const ok = { record: recordOf(linux, 'r1'), spec: linux };
    const bad = {
      record: recordOf(
        {
          ...linux,
          name: 'web-02',
          source: { ...linux.source, instanceId: 'i-0a1b2c3d4e5f60712' } as ServerSpec['source'],
        },
        'r1',
      ),
      spec: linux,
    };
    const silent = {
      record: recordOf(
        {
          ...linux,
          name: 'web-03',
          source: { ...linux.source, instanceId: 'i-0a1b2c3d4e5f60713' } as ServerSpec['source'],
        },
        'r1',
      ),
      spec: linux,
    };
    const early = new Date(at.getTime() - (QUIESCE_TIMEOUT_SECONDS + 1) * 1000).toISOString();
    for (const c of [ok, bad, silent])
      c.record.quiesce = { stage: 'sent', commandId: 'cmd-9', sentAt: early };
    const { deps, sent } = fakeSsm({ 'i-0a1b2c3d4e5f60711': 'Success', 'i-0a1b2c3d4e5f60712': 'Failed' });

    const result = await advanceQuiesce(deps, 'w1', [ok, bad, silent], at);

    expect(result.ready).toEqual([ok.record]);
    expect(result.failed.map((f) => [f.record.name, f.reason])).toEqual([
      [
        'web-02',
        expect.stringMatching(
          /^source quiesce Failed: FAIL flush\n--- output tail ---\nSTOPPED nginx\nFAIL flush \(the source is kept/,
        ),
      ],
      ['web-03', `source quiesce gave no result within ${QUIESCE_TIMEOUT_SECONDS}s (the source is kept)`],
    ]);
    expect(sent).toEqual([]);
  });

  it('a source whose SSM agent went offline is set aside, its source kept; the others in its batch are quiesced', async () => {
    const at = new Date('2026-01-05T10:00:00Z');
    const srv = (n: number) => {
      const spec = { ...linux, name: `web-0${n}`, source: { ...linux.source, instanceId: `i-0a1b2c3d4e5f6071${n}` } as ServerSpec['source'] };
      return { record: recordOf(spec, 'ap-southeast-1'), spec };
    };
    const [a, b, c] = [1, 2, 3].map(srv);
    const sent: string[][] = [];
    const deps = {
      ssm: (): SsmPort => ({
        // SSM refuses the whole call while it names the offline host (SendCommand, InvalidInstanceId)
        sendCommand: async (request) => {
          sent.push([...request.instanceIds]);
          if (request.instanceIds.includes('i-0a1b2c3d4e5f60712')) throw new CommandTargetsRefusedError('InvalidInstanceId');
          return 'cmd-q';
        },
        describeInstanceInformation: async (ids) => ids.map((id) => ({ instanceId: id, pingStatus: id.endsWith('12') ? 'ConnectionLost' : 'Online' })),
        listCommandInvocations: async () => [],
        putSecureParameter: async () => undefined,
        managedInstanceTags: async () => new Map(),
        deleteParameter: async () => undefined,
      }),
    } as unknown as FlowDeps;

    const result = await advanceQuiesce(deps, 'w1', [a, b, c], at);

    expect(sent).toEqual([
      ['i-0a1b2c3d4e5f60711', 'i-0a1b2c3d4e5f60712', 'i-0a1b2c3d4e5f60713'],
      ['i-0a1b2c3d4e5f60711', 'i-0a1b2c3d4e5f60713'],
    ]);
    expect(result.failed.map((f) => [f.record.name, f.reason])).toEqual([
      ['web-02', expect.stringMatching(/^source quiesce not sent: host i-0a1b2c3d4e5f60712 is ConnectionLost in SSM \(ap-southeast-1\).*\(the source is kept\)$/)],
    ]);
    expect([a, c].map((x) => x.record.quiesce)).toEqual([
      { stage: 'sent', commandId: 'cmd-q', sentAt: at.toISOString() },
      { stage: 'sent', commandId: 'cmd-q', sentAt: at.toISOString() },
    ]);
    expect(b.record.quiesce).toBeUndefined();
  });
});

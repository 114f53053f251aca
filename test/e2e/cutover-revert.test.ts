/**
 * examples/scenarios/template-drift-cutover-revert.json with the example wave quiescing its sources
 * (options.quiesce), end to end on the real emulator, state machine and handlers:
 *
 * - the stack's replication template was edited in the console (public routing, a public IP, the
 *   default security group): preflight puts the isolated-network settings back before any server is
 *   added, so every server MGN adds replicates privately and none needs its own fix;
 * - each source is quiesced by Run Command (its services stopped, buffers flushed) before its cutover;
 * - two cutover instances fail their checks (web-01 its TCP port, api-01 its nginx service): each is
 *   set aside in cutover-verify with a reason naming the check, reverted to READY_FOR_CUTOVER (MGN
 *   user guide, "Reverting a cutover") and its instance terminated, never finalized; the other ten
 *   migrate.
 */
import { rmSync } from 'node:fs';
import { STACK_TEMPLATE_TAG } from '../../functions/lib/flow/preflight';
import type { ReportServer } from '../../functions/lib/flow/report';
import { parseManifest } from '../../functions/lib/manifest';
import type { Emulator } from '../../simulator/emulator';
import type { SimulationSession } from '../../simulator/runner/session';
import type { ServerReport } from '../../simulator/report/types';
import { exampleWave, simulateExampleScenario, type StepTraceRecord } from './harness';

type Traced = StepTraceRecord;

const wave = parseManifest({ ...exampleWave(), options: { ...exampleWave().options, quiesce: true } });
const FAILING = ['web-01', 'api-01'];

let session: SimulationSession;
let emulator: Emulator;
let trace: Traced[];
let outDir: string;

beforeAll(async () => {
  ({ session, emulator, trace, outDir } = await simulateExampleScenario('template-drift-cutover-revert.json', [wave]));
}, 300_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const report = () => session.waves[0].report;
/** The report's server, with what the flow's report adds (instances, verification). */
const server = (name: string) => report().servers.find((s) => s.name === name)! as ServerReport & Pick<ReportServer, 'instances' | 'verification'>;
const byStep = (step: string, operation: string) => trace.filter((t) => t.caller?.step === step && t.operation === operation);

describe('a drifted replication template, quiesced sources, cutover instances that fail their checks', () => {
  it('ends completed-with-failures (exit 3): the two failing cutovers in cutover-verify, the other ten migrated', () => {
    expect(report().outcome).toBe('completed-with-failures');
    expect(session.waves[0].exitCode).toBe(3);
    expect(report().servers.filter((s) => s.result === 'failed').map((s) => [s.name, s.failure?.phase])).toEqual(FAILING.map((n) => [n, 'cutover-verify']));
    const others = report().servers.filter((s) => !FAILING.includes(s.name));
    expect(others.map((s) => [s.name, s.result, s.finalLifecycleState])).toEqual(others.map((s) => [s.name, 'migrated', 'CUTOVER']));
  });

  it('names the failed check in each reason and in the verification record', () => {
    const web = server('web-01');
    expect(web.failure?.reason).toMatch(/smoke checks? failed from the orchestrator .*tcp [\d.]+:80: .*ECONNREFUSED/);
    expect(web.verification?.cutover?.checks[0]).toMatchObject({ type: 'tcp', result: expect.stringMatching(/^failed: .*ECONNREFUSED/) });
    // its test instance passed the same checks
    expect(web.verification?.test?.checks.every((c) => c.result === 'passed')).toBe(true);
    const api = server('api-01');
    expect(api.failure?.reason).toMatch(/service checks Failed: FAIL service:nginx/);
    expect(api.verification?.cutover?.checks.find((c) => c.type === 'service')).toMatchObject({ target: 'nginx', result: expect.stringMatching(/^failed/) });
  });

  it('reverts each failed cutover to READY_FOR_CUTOVER and terminates its cutover instance; never finalizes it', () => {
    const ids = FAILING.map((n) => server(n).sourceServerId!);
    for (const name of FAILING) {
      const s = server(name);
      expect(s.finalLifecycleState).toBe('READY_FOR_CUTOVER');
      expect(s.launches).toEqual({ test: 1, cutover: 1 });
    }
    const reverts = byStep('verify-cutover', 'ChangeServerLifeCycleState').filter((t) => t.outcome === 'ok');
    expect(reverts.map((t) => [t.params.sourceServerID, (t.params.lifeCycle as { state: string }).state]).sort()).toEqual(ids.map((id) => [id, 'READY_FOR_CUTOVER']).sort());
    const terminated = byStep('verify-cutover', 'TerminateTargetInstances').filter((t) => t.outcome === 'ok').flatMap((t) => t.params.sourceServerIDs as string[]);
    expect(terminated.sort()).toEqual([...ids].sort());
    for (const name of FAILING) {
      const instanceId = server(name).instances?.cutover?.instanceId;
      expect(instanceId).toBeDefined();
      // the terminate job is under way when the wave ends (the flow does not wait for it)
      expect(['shutting-down', 'terminated']).toContain(emulator.fleet.instances.get(instanceId!)?.state);
    }
    const finalized = trace.filter((t) => t.operation === 'FinalizeCutover' && t.outcome === 'ok').map((t) => t.params.sourceServerID);
    for (const id of ids) expect(finalized).not.toContain(id);
  });

  it("puts the stack's drifted template back once, before any server is added; no server needs its own fix", () => {
    const updates = byStep('preflight', 'UpdateReplicationConfigurationTemplate');
    expect(updates.map((t) => t.outcome)).toEqual(['ok']);
    expect(updates[0].params).toMatchObject({ dataPlaneRouting: 'PRIVATE_IP', createPublicIP: false, associateDefaultSecurityGroup: false });
    expect(byStep('preflight', 'CreateReplicationConfigurationTemplate')).toEqual([]);
    const ours = [...emulator.fleet.templates.values()].filter((t) => t.tags?.[STACK_TEMPLATE_TAG] === emulator.stack.stagingSubnetId);
    expect(ours).toHaveLength(1);
    expect(ours[0].settings).toMatchObject({
      dataPlaneRouting: 'PRIVATE_IP',
      createPublicIP: false,
      associateDefaultSecurityGroup: false,
      stagingAreaSubnetId: emulator.stack.stagingSubnetId,
      replicationServersSecurityGroupsIDs: [emulator.stack.securityGroupIds.replication],
    });
    const firstInstall = trace.find((t) => t.operation === 'SendCommand' && /agent install/.test(String(t.params.Comment)));
    expect(updates[0].seq).toBeLessThan(firstInstall!.seq);
    for (const s of emulator.fleet.sourceServers.values())
      expect(s.replicationConfiguration).toMatchObject({ dataPlaneRouting: 'PRIVATE_IP', createPublicIP: false, associateDefaultSecurityGroup: false });
    expect(trace.filter((t) => t.operation === 'UpdateReplicationConfiguration')).toEqual([]);
  });

  it('quiesces every source once, by Run Command from launch-cutover, before its cutover starts', () => {
    const quiesce = byStep('launch-cutover', 'SendCommand').filter((t) => /source quiesce/.test(String(t.params.Comment)));
    expect(quiesce.every((t) => t.outcome === 'ok')).toBe(true);
    const sent = quiesce.flatMap((t) => t.params.InstanceIds as string[]);
    const sources = wave.servers.map((s) => (s.source.type === 'ec2' ? s.source.instanceId : s.source.managedInstanceId));
    expect([...sent].sort()).toEqual([...sources].sort());
    const api = quiesce.find((t) => (t.params.InstanceIds as string[]).includes('i-0a1b2c3d'))!;
    expect((api.params.Parameters as { commands: string[] }).commands).toContain('systemctl stop nginx; echo "STOPPED nginx"');
    const firstCutover = trace.find((t) => t.operation === 'StartCutover' && t.outcome === 'ok')!;
    expect(Math.max(...quiesce.map((t) => t.seq))).toBeLessThan(firstCutover.seq);
  });
});

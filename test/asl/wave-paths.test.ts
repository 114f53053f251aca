import { FakeWorld, waveOf } from './fake-world';
import { runWave, serverIn, TASK_TOKEN } from './run-wave';

describe('wave state machine paths (real ASL, real step cores, fake fleet)', () => {
  it('happy path: every server installed, replicated, tested, approved, cut over, finalised and archived', async () => {
    const world = new FakeWorld(waveOf(3));
    const run = await runWave(world, { approval: 'approve' });

    expect(run.error).toBeUndefined();
    expect(run.output?.outcome).toBe('completed');
    expect(run.report?.outcome).toBe('completed');
    expect(run.report?.servers.map((s) => [s.name, s.result, s.finalLifecycleState])).toEqual([
      ['srv-000', 'migrated', 'CUTOVER'],
      ['srv-001', 'migrated', 'CUTOVER'],
      ['srv-002', 'migrated', 'CUTOVER'],
    ]);
    expect(serverIn(run.report, 'srv-000')?.launches).toEqual({ test: 1, cutover: 1 });
    expect(run.path.filter((s) => !s.endsWith('?') && !s.endsWith('Wait')).filter((s, i, a) => a.indexOf(s) === i)).toEqual([
      'ValidateWave',
      'Preflight',
      'InstallAgents',
      'WaitReplication',
      'LaunchTest',
      'VerifyTest',
      'RequestApproval',
      'PrepareCutover',
      'LaunchCutover',
      'VerifyCutover',
      'RequestFinalizeApproval',
      'FinalizeCutover',
      'Report',
      'WaveEnded',
    ]);
    // every test instance was terminated before cutover; every source server archived after finalising
    expect([...world.instances.values()].filter((i) => i.kind === 'test').every((i) => i.state === 'terminated')).toBe(true);
    expect(world.calls.filter((c) => c.op === 'MarkAsArchived')).toHaveLength(3);
    // the approval request went out through SNS with the task token
    expect(world.published.find((p) => p.subject.startsWith('Approval needed'))?.message).toContain(TASK_TOKEN);
  });

  it('one install failure: that server is set aside in "install" with the installer output; the rest migrate', async () => {
    const world = new FakeWorld(waveOf(3), { faults: { 'srv-001': 'install-fails' } });
    const run = await runWave(world, { approval: 'approve' });

    expect(run.report?.outcome).toBe('completed-with-failures');
    expect(serverIn(run.report, 'srv-001')).toMatchObject({
      result: 'failed',
      finalLifecycleState: 'NOT_IN_MGN',
      failure: { phase: 'install', reason: expect.stringContaining('could not download the replication agent') },
      launches: { test: 0, cutover: 0 },
    });
    expect(['srv-000', 'srv-002'].map((n) => serverIn(run.report, n)?.result)).toEqual(['migrated', 'migrated']);
    // the failed server never took part in a launch
    const launched = world.calls.filter((c) => c.op.startsWith('START_')).flatMap((c) => c.ids);
    expect(launched).toHaveLength(4);
  });

  it('one stalled replication reaching its timeout: set aside in "replication" as STALLED; the rest go on', async () => {
    const world = new FakeWorld(waveOf(3, { replicationTimeoutHours: 6 }), { faults: { 'srv-002': 'replication-stalls' } });
    const run = await runWave(world, { approval: 'approve' });

    expect(run.report?.outcome).toBe('completed-with-failures');
    const stalled = serverIn(run.report, 'srv-002');
    expect(stalled?.result).toBe('failed');
    expect(stalled?.failure?.phase).toBe('replication');
    expect(stalled?.failure?.reason).toMatch(/STALLED .* at 40% after 6h/);
    // the timeout was noticed on time: the phase ended within minutes of the 6-hour deadline
    const done = stalled!.timeline.find((e) => e.phase === 'replication' && e.status === 'failed')!;
    const started = stalled!.timeline.find((e) => e.phase === 'replication' && e.status === 'started')!;
    const hours = (Date.parse(done.at) - Date.parse(started.at)) / 3600_000;
    expect(hours).toBeGreaterThanOrEqual(6);
    expect(hours).toBeLessThan(6.05);
    expect(serverIn(run.report, 'srv-000')?.result).toBe('migrated');
  });

  it('a failed smoke check on one test instance: rolled back (READY_FOR_TEST, instance terminated), the rest go on', async () => {
    const world = new FakeWorld(waveOf(3), { faults: { 'srv-001': 'test-check-fails' } });
    const run = await runWave(world, { approval: 'approve' });

    const failed = serverIn(run.report, 'srv-001');
    expect(failed).toMatchObject({
      result: 'failed',
      finalLifecycleState: 'READY_FOR_TEST',
      failure: { phase: 'test-verify', reason: expect.stringContaining('FAIL tcp:443') },
      launches: { test: 1, cutover: 0 },
    });
    const id = failed!.sourceServerId!;
    const change = world.calls.findIndex((c) => c.op === 'ChangeServerLifeCycleState:READY_FOR_TEST' && c.ids.includes(id));
    const terminate = world.calls.findIndex((c) => c.op === 'TERMINATE' && c.ids.includes(id));
    expect(change).toBeGreaterThanOrEqual(0);
    expect(terminate).toBeGreaterThan(change);
    const testInstance = [...world.instances.entries()].find(([, i]) => i.sourceServerId === id && i.kind === 'test');
    expect(testInstance?.[1].state).toBe('terminated');
    expect(['srv-000', 'srv-002'].map((n) => serverIn(run.report, n)?.result)).toEqual(['migrated', 'migrated']);
    // the approval request names the server set aside
    expect(world.published.find((p) => p.subject.startsWith('Approval needed'))?.message).toMatch(/srv-001 \(test-verify\)/);
  });

  it('approval rejected: test instances terminated after the lifecycle returns to READY_FOR_TEST; no cutover; outcome "rejected"', async () => {
    const world = new FakeWorld(waveOf(2));
    const run = await runWave(world, { approval: 'reject' });

    expect(run.error).toBeUndefined();
    expect(run.output?.outcome).toBe('rejected');
    expect(run.report?.outcome).toBe('rejected');
    expect(run.report?.stoppedBy).toEqual({ error: 'ApprovalRejected', cause: expect.stringContaining('bad config'), gate: 'cutover' });
    expect(run.path).toContain('DiscardTest');
    expect(run.path).not.toContain('PrepareCutover');
    expect(world.calls.some((c) => c.op === 'START_CUTOVER')).toBe(false);
    expect(run.report?.servers.map((s) => [s.result, s.finalLifecycleState])).toEqual([
      ['skipped', 'READY_FOR_TEST'],
      ['skipped', 'READY_FOR_TEST'],
    ]);
    // both test instances are in a terminate job, started after the lifecycle change MGN requires
    const terminated = world.calls.filter((c) => c.op === 'TERMINATE').flatMap((c) => c.ids);
    expect(terminated.sort()).toEqual([...world.servers.keys()].sort());
    world.advance(120);
    expect([...world.instances.values()].map((i) => i.state)).toEqual(['terminated', 'terminated']);
  });

  it('a cutover launch failure before finalise: retried once, then reverted to READY_FOR_CUTOVER, source kept, never finalised', async () => {
    const world = new FakeWorld(waveOf(3), { faults: { 'srv-000': 'cutover-launch-fails' } });
    const run = await runWave(world, { approval: 'approve' });

    const failed = serverIn(run.report, 'srv-000');
    expect(failed).toMatchObject({
      result: 'failed',
      finalLifecycleState: 'READY_FOR_CUTOVER',
      failure: { phase: 'cutover-launch', reason: expect.stringContaining('gave up after 2 launches') },
      launches: { test: 1, cutover: 2 },
    });
    const id = failed!.sourceServerId!;
    expect(world.calls.filter((c) => (c.op === 'FinalizeCutover' || c.op === 'MarkAsArchived') && c.ids.includes(id))).toEqual([]);
    // the source keeps replicating: MGN still knows it, unarchived
    expect(world.servers.get(id)?.isArchived).toBe(false);
    expect(['srv-001', 'srv-002'].map((n) => serverIn(run.report, n)?.result)).toEqual(['migrated', 'migrated']);
    expect(run.report?.outcome).toBe('completed-with-failures');
  });

  it('a 450-server wave launches in 3 test jobs (200, 200, 50) with never more than 200 servers in active jobs', async () => {
    const manifest = waveOf(450, { phases: { install: true, test: true, cutover: false, finalize: false, archive: false } });
    const world = new FakeWorld(manifest);
    // 450 replicating servers: an account whose replicating-servers quota (mgn/L-9A599620) was raised
    world.replicatingQuota = 1000;
    // MGN already replicates them all: install and replication are skipped straight through
    for (const s of manifest.servers) world.addKnownServer(s.name, 'READY_FOR_TEST');
    const run = await runWave(world);

    const testJobs = world.calls.filter((c) => c.op === 'START_TEST');
    expect(testJobs.map((j) => j.ids.length)).toEqual([200, 200, 50]);
    expect(new Set(testJobs.flatMap((j) => j.ids)).size).toBe(450);
    expect(world.maxActiveJobServers).toBeLessThanOrEqual(200);
    // no approval without cutover; the report says every server was tested and none migrated
    expect(run.path).not.toContain('RequestApproval');
    expect(run.report?.outcome).toBe('completed');
    expect(run.report?.servers.every((s) => s.result === 'skipped' && s.launches.test === 1)).toBe(true);
  });

  describe('finalize gate', () => {
    const finalizeRequest = (world: FakeWorld) => world.published.find((p) => p.subject.includes('(finalize gate)'));

    it('approve: the second approval names the finalize gate, then FinalizeCutover and archive as before', async () => {
      const world = new FakeWorld(waveOf(2));
      const run = await runWave(world, { finalizeApproval: 'approve' });
      expect(run.report?.servers.map((s) => s.result)).toEqual(['migrated', 'migrated']);
      expect(finalizeRequest(world)?.message).toContain('Gate: finalize');
      expect(run.path.indexOf('RequestFinalizeApproval')).toBeGreaterThan(run.path.indexOf('VerifyCutover'));
      expect(run.path.indexOf('RequestFinalizeApproval')).toBeLessThan(run.path.indexOf('FinalizeCutover'));
    });

    it('finalizeApproval "auto": no second approval, finalized right after cutover verification', async () => {
      const world = new FakeWorld(waveOf(2, { finalizeApproval: 'auto' }));
      const run = await runWave(world, { finalizeApproval: 'reject' });
      expect(run.path).not.toContain('RequestFinalizeApproval');
      expect(finalizeRequest(world)).toBeUndefined();
      expect(run.report?.outcome).toBe('completed');
    });

    it('reject: stays cut over, not finalized; outcome "rejected" and the report says the wave awaits a later finalize', async () => {
      const world = new FakeWorld(waveOf(2));
      const run = await runWave(world, { finalizeApproval: 'reject' });
      expect(run.path).not.toContain('FinalizeCutover');
      expect(world.calls.filter((c) => c.op === 'FinalizeCutover' || c.op === 'MarkAsArchived')).toEqual([]);
      expect(run.report?.outcome).toBe('rejected');
      expect(run.report?.stoppedBy).toEqual({ error: 'ApprovalRejected', cause: expect.stringContaining('bad config'), gate: 'finalize' });
      expect(world.published.find((p) => p.subject === 'Wave wave-7: rejected')?.message).toContain('Stopped by ApprovalRejected at the finalize gate');
      expect(run.report?.servers.map((s) => [s.result, s.finalLifecycleState])).toEqual([
        ['skipped', 'CUTTING_OVER'],
        ['skipped', 'CUTTING_OVER'],
      ]);
      expect(run.report?.awaitingFinalize).toEqual({ servers: ['srv-000', 'srv-001'], resume: expect.stringContaining('resume at the finalize gate') });
      // the cutover instances keep running
      expect([...world.instances.values()].filter((i) => i.kind === 'cutover').map((i) => i.state)).toEqual(['running', 'running']);
    });

    it('revert: READY_FOR_CUTOVER first, then the cutover instances terminated; each server "reverted", outcome "reverted"', async () => {
      const world = new FakeWorld(waveOf(2));
      const run = await runWave(world, { finalizeApproval: 'revert' });
      expect(run.error).toBeUndefined();
      expect(run.path).toContain('RevertCutover');
      expect(run.path).not.toContain('FinalizeCutover');
      expect(run.report?.outcome).toBe('reverted');
      expect(run.report?.stoppedBy).toEqual({ error: 'RevertRequested', cause: expect.stringContaining('roll back'), gate: 'finalize' });
      expect(run.report?.servers.map((s) => [s.result, s.finalLifecycleState])).toEqual([
        ['reverted', 'READY_FOR_CUTOVER'],
        ['reverted', 'READY_FOR_CUTOVER'],
      ]);
      const ops = world.calls.map((c) => c.op);
      expect(ops.lastIndexOf('ChangeServerLifeCycleState:READY_FOR_CUTOVER')).toBeLessThan(ops.lastIndexOf('TERMINATE'));
      expect(ops).not.toContain('FinalizeCutover');
      expect([...world.instances.values()].filter((i) => i.kind === 'cutover').every((i) => i.state === 'terminated')).toBe(true);
    });

    it('revert answered at the cutover gate is refused: the request is sent again saying so, and the wave goes on with the next answer', async () => {
      const world = new FakeWorld(waveOf(2));
      const run = await runWave(world, { approval: ['revert', 'approve'] });
      expect(run.taskRuns.get('RequestApproval')).toBe(2);
      expect(run.path).not.toContain('RevertCutover');
      expect(run.path).not.toContain('DiscardTest');
      const requests = world.published.filter((p) => p.subject.includes('(cutover gate)'));
      expect(requests).toHaveLength(2);
      expect(requests[1].message).toContain('A revert answer was refused: at the cutover gate nothing is cut over yet');
      expect(run.report?.outcome).toBe('completed');
    });
  });
});

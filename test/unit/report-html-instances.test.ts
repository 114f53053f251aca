import { instancesCell, renderReportHtml } from '../../simulator/report/html';
import type { SimulationReport } from '../../simulator/report/types';

const server = {
  name: 'web-1',
  sourceServerId: 's-1234567890abcdef0',
  finalLifecycleState: 'CUTOVER',
  result: 'migrated' as const,
  launches: { test: 1, cutover: 1 },
  timeline: [],
  instances: {
    test: { instanceId: 'i-0aaaaaaaaaaaaaaa1', subnetId: 'subnet-0a0000000000000a1', privateIpAddress: '10.20.1.10', instanceType: 'm5.large', securityGroupIds: ['sg-0a1b2c3d4e5f60001'] },
    cutover: { instanceId: 'i-0ccccccccccccccc1', subnetId: 'subnet-0c0000000000000c2', privateIpAddress: '10.20.12.40', instanceType: 'm6i.2xlarge', securityGroupIds: ['sg-0a1b2c3d4e5f60001', 'sg-0b0000000000000b2'] },
  },
  verification: {
    test: { ec2StatusChecks: 'passed', ssm: 'unavailable: launched without an instance profile', checks: [{ type: 'tcp', target: '10.20.1.10:22', result: 'passed' }] },
  },
};

describe('report.html: launched instances', () => {
  it('shows each launched instance with its private IP, subnet, type and groups, and what verification ran', () => {
    const cell = instancesCell(server);
    expect(cell).toContain(
      '<b>test</b> <code>i-0aaaaaaaaaaaaaaa1</code> 10.20.1.10 in <code>subnet-0a0000000000000a1</code>, m5.large, <code>sg-0a1b2c3d4e5f60001</code> <span class="no-ssm">SSM unavailable: launched without an instance profile</span>',
    );
    expect(cell).toContain('title="EC2 status checks: passed\nSSM: unavailable: launched without an instance profile\ntcp 10.20.1.10:22: passed"');
    expect(cell).toContain('<b>cutover</b> <code>i-0ccccccccccccccc1</code> 10.20.12.40 in <code>subnet-0c0000000000000c2</code>, m6i.2xlarge, <code>sg-0a1b2c3d4e5f60001</code> <code>sg-0b0000000000000b2</code>');
    expect(instancesCell({ ...server, instances: undefined })).toBe('');
  });

  it('puts the instances in the servers table, escaped', () => {
    const report = {
      waveId: 'wave-1',
      runId: 'run-1',
      outcome: 'completed',
      startedAt: '2026-01-05T08:00:00.000Z',
      servers: [{ ...server, instances: { test: { ...server.instances.test, instanceType: '<b>x</b>' } } }],
      stats: { stateTransitions: 1, historyEvents: 1, apiCalls: {}, apiCallsScope: 'wave', launchJobs: 0, maxServersInActiveJobs: 0, simulatedSeconds: 1, wallMs: 1, maxPayloadBytes: 1, executions: 1, retries: 0, lambdaErrorsInjected: 0 },
      executions: [],
    } as unknown as SimulationReport;
    const html = renderReportHtml(report);
    expect(html).toContain('<th>Instances (as launched)</th>');
    expect(html).toContain('<td class="instances"><div class="instance" data-kind="test"');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
  });
});

/**
 * The approval task token is a credential (whoever holds it, with states:SendTaskSuccess or through
 * the API as an approver, answers the approval). The SNS message is its only carrier: it is in no
 * state's input or output of the execution history (what a log reader would see with execution
 * data), in no Lambda log line, and in no report. The wave still gets its answer. (Step Functions
 * itself shows it in the approval task's TaskScheduled parameters: the state machine logs without
 * execution data for that reason, test/infra/stack.cross-region.test.ts.)
 */
import { parseScenario } from '../../simulator/scenario';
import { simulate, startRealEmulator, type EmulatorFactory } from '../../simulator/runner/session';
import { faultWave } from '../faults/harness';

interface PublishedLike {
  readonly subject?: string;
  readonly message: string;
}

/** The task token in the approval request's message (functions/lib/flow/request-approval.ts approvalMessage). */
const tokenIn = (message: string): string | undefined => /\nTask token:\n(\S+)\s*$/.exec(message)?.[1];

/** Every string a history event carries as a state's or task's data (input, output, result). */
function stateData(event: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, key: string) => {
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (/^(input|output|result)$/i.test(k)) found.push(`${key}.${k}=${JSON.stringify(v)}`);
      walk(v, `${key}.${k}`);
    }
  };
  walk(event, '');
  return found;
}

describe('approval task token', () => {
  it.each(['approve', 'reject'] as const)('%s: only the SNS message carries it; history state data, Lambda logs and the report do not', async (answer) => {
    let started: { published?: readonly PublishedLike[] } | undefined;
    const emulator: EmulatorFactory = async (options) => {
      const like = await startRealEmulator(options);
      started = like as unknown as { published?: readonly PublishedLike[] };
      return like;
    };
    const history: unknown[] = [];
    // the handlers log as deployed (Powertools, INFO; the steps' log port has no debug level)
    const session = await simulate({
      manifests: [faultWave(`token-${answer}`, 3)],
      scenario: parseScenario({ seed: 5, approval: answer, defaults: { diskGiB: 20, bandwidthMbps: 1000, installSeconds: 60 } }),
      emulator,
      onHistoryEvent: (_execution, event) => history.push(event),
    });
    const sns = started?.published ?? [];
    const requests = sns.filter((m) => m.subject?.startsWith('Approval needed'));
    // approve: the cutover gate, then the finalize gate; reject ends at the cutover gate
    expect(requests).toHaveLength(answer === 'approve' ? 2 : 1);
    const tokens = requests.map((r) => tokenIn(r.message));
    // positive control: each request carries a token, a different one per gate (as Step Functions issues them)
    for (const token of tokens) expect(token).toMatch(/^\S{16,}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    const data = history.flatMap(stateData);
    expect(data.some((d) => d.includes(`"waveId":"token-${answer}"`) && d.includes('"approval"'))).toBe(true);
    expect(session.lambdaLogs.length).toBeGreaterThan(0);
    expect(session.lambdaLogs.some((line) => line.includes('approval requested'))).toBe(true);
    for (const token of tokens) {
      expect(data.filter((d) => d.includes(token!))).toEqual([]);
      expect(session.lambdaLogs.filter((line) => line.includes(token!))).toEqual([]);
      expect(JSON.stringify(session.waves[0].report)).not.toContain(token!);
    }
    expect(session.waves[0].report.outcome).toBe(answer === 'approve' ? 'completed' : 'rejected');
  }, 120_000);
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { captureLambdaLogs } from '../../simulator/runner/lambda-logs';

describe('captureLambdaLogs (the simulated CloudWatch log group)', () => {
  it("routes the handlers' Powertools records to the file and lets other output through", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lambda-logs-')), 'lambda-logs.jsonl');
    const seen: string[] = [];
    const original = process.stdout.write;
    // Prepare: a stand-in stdout that records what reaches the terminal
    process.stdout.write = ((chunk: string) => {
      seen.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    const capture = captureLambdaLogs(file);
    try {
      // Act
      new Logger({ serviceName: 'mgn-orchestrator-test', logLevel: 'INFO' }).info('replication at 40%', {
        waveId: 'w1',
      });
      process.stdout.write('[t+00:10:00] w1: install done\n');
      process.stdout.write('progress 40%\r');
    } finally {
      capture.restore();
      process.stdout.write = original;
    }
    // Assess
    const logged = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'replication at 40%',
        service: 'mgn-orchestrator-test',
        waveId: 'w1',
      }),
    ]);
    expect(capture.lines).toHaveLength(1);
    expect(seen.join('')).toBe('[t+00:10:00] w1: install done\nprogress 40%\r');
  });
});

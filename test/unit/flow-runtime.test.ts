import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigurationError } from '../../functions/lib/errors';
import { flowDeps, resetFlowConfig } from '../../functions/lib/flow-runtime';
import type { MgnPort } from '../../functions/lib/ports';

describe('flowDeps', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.WAVE_BUCKET = 'waves-bucket';
    process.env.AWS_REGION = 'eu-west-1';
    delete process.env.NOTIFICATION_TOPIC_ARN;
    resetFlowConfig();
  });
  afterAll(() => {
    process.env = saved;
    resetFlowConfig();
  });

  it('builds the ports of the adapters the step is built with, in the wave and home regions', () => {
    const mgn = {} as MgnPort;
    const regions: string[] = [];
    const deps = flowDeps('ap-south-1', new Logger(), {
      mgn: (region) => (regions.push(`mgn ${region}`), mgn),
      sts: (region) => (regions.push(`sts ${region}`), { assumeRole: jest.fn() }),
    });
    expect(deps.mgn).toBe(mgn);
    expect(regions).toEqual(['mgn ap-south-1', 'sts eu-west-1']);
  });

  it('names the missing adapter when a step calls a service it was not built with', () => {
    const deps = flowDeps('ap-south-1', new Logger(), {});
    expect(() => deps.mgn.describeSourceServers(['s-1'])).toThrow(ConfigurationError);
    expect(() => deps.ec2.describeInstanceStatus([])).toThrow('this step is not built with the ec2 adapter (called ec2.describeInstanceStatus)');
    expect(() => deps.ssm('eu-west-1').sendCommand({} as never)).toThrow('not built with the ssm adapter');
  });

  it('fails a notification with the missing topic when the step has SNS but the stack set no topic', async () => {
    const publish = jest.fn();
    const deps = flowDeps('ap-south-1', new Logger(), { notifier: () => ({ publish }) });
    await expect(deps.notifier.publish("subject", "message")).rejects.toThrow('NOTIFICATION_TOPIC_ARN is not set');
    expect(publish).not.toHaveBeenCalled();
  });
});

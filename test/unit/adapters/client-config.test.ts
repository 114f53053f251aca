import { clientConfig, FixedDelayRetryStrategy, MAX_SDK_ATTEMPTS, resetClients, SDK_RETRY_DELAY_ENV } from '../../../functions/lib/adapters/client-config';
import { s3ClientFor } from '../../../functions/lib/adapters/s3-wave-store';
import { ssmClientFor } from '../../../functions/lib/adapters/ssm';

describe('cached SDK clients', () => {
  const saved = process.env.AWS_ENDPOINT_URL_S3;
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
    else process.env.AWS_ENDPOINT_URL_S3 = saved;
    resetClients();
  });

  it('are built once per region until resetClients, which destroys them so the next call reads the environment again', () => {
    delete process.env.AWS_ENDPOINT_URL_S3;
    const first = s3ClientFor('eu-west-1');
    const ssm = ssmClientFor('eu-west-1');
    expect(s3ClientFor('eu-west-1')).toBe(first);
    expect(ssmClientFor('eu-west-1')).toBe(ssm);
    const destroyed = jest.spyOn(first, 'destroy');

    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:2222';
    expect(s3ClientFor('eu-west-1')).toBe(first); // a Lambda container keeps its client
    resetClients();
    expect(destroyed).toHaveBeenCalled();
    const second = s3ClientFor('eu-west-1');
    expect(second).not.toBe(first);
    expect(ssmClientFor('eu-west-1')).not.toBe(ssm);
    // path-style addressing follows AWS_ENDPOINT_URL_S3 as it is when the client is built
    expect(first.config.forcePathStyle).toBe(false);
    expect(second.config.forcePathStyle).toBe(true);
  });
});

describe('client retry settings', () => {
  const saved = process.env[SDK_RETRY_DELAY_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[SDK_RETRY_DELAY_ENV];
    else process.env[SDK_RETRY_DELAY_ENV] = saved;
  });

  it('are the SDK adaptive mode unless SDK_RETRY_DELAY_MS asks for a fixed delay (the simulator)', () => {
    delete process.env[SDK_RETRY_DELAY_ENV];
    expect(clientConfig('eu-west-1')).toEqual({ region: 'eu-west-1', retryMode: 'adaptive', maxAttempts: MAX_SDK_ATTEMPTS });
    process.env[SDK_RETRY_DELAY_ENV] = 'soon';
    expect(clientConfig('eu-west-1')).not.toHaveProperty('retryStrategy');
    process.env[SDK_RETRY_DELAY_ENV] = '0';
    const config = clientConfig('eu-west-1');
    expect(config).toMatchObject({ region: 'eu-west-1', maxAttempts: MAX_SDK_ATTEMPTS });
    expect((config as { retryStrategy?: unknown }).retryStrategy).toBeInstanceOf(FixedDelayRetryStrategy);
  });

  it('the fixed-delay strategy retries throttling and transient errors up to its attempts, and nothing else', async () => {
    const strategy = new FixedDelayRetryStrategy(3, 25);
    const first = await strategy.acquireInitialRetryToken();
    expect([first.getRetryCount(), first.getRetryDelay()]).toEqual([0, 0]);
    const second = await strategy.refreshRetryTokenForRetry(first, { errorType: 'THROTTLING' });
    expect([second.getRetryCount(), second.getRetryDelay()]).toEqual([1, 25]);
    const third = await strategy.refreshRetryTokenForRetry(second, { errorType: 'TRANSIENT' });
    expect(third.getRetryCount()).toBe(2);
    await expect(strategy.refreshRetryTokenForRetry(third, { errorType: 'THROTTLING' })).rejects.toThrow('No retry token available');
    await expect(strategy.refreshRetryTokenForRetry(first, { errorType: 'CLIENT_ERROR' })).rejects.toThrow('No retry token available');
    await expect(strategy.refreshRetryTokenForRetry(first, { errorType: 'SERVER_ERROR' })).rejects.toThrow('No retry token available');
  });
});

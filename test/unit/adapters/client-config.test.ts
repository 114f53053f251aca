import { resetClients } from '../../../functions/lib/adapters/client-config';
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

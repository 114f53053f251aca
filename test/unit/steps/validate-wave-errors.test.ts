import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3WaveStore } from '../../../functions/lib/adapters/s3-wave-store';
import { TryLaterError } from '../../../functions/lib/errors';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import { InvalidInputError } from '../../../functions/lib/validation';
import { executionArnOf, waveOf } from '../../asl/fake-world';
import { sdkTestbed } from './sdk-deps';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

const atLocation = { manifestLocation: { bucket: 'uploads', key: 'waves/wave-7.json' } };

describe('validate-wave: only a bad manifest is a bad manifest', () => {
  it('a manifest object that is not JSON is refused as bad input, naming its location', async () => {
    const bed = sdkTestbed(waveOf(1));
    bed.objects.set('uploads/waves/wave-7.json', '{ "waveId": ');
    const error = await validateWave({ input: atLocation, runId: 'run-1', executionArn: executionArnOf('run-1') }, bed.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems).toEqual([expect.stringMatching(/^manifestLocation: s3:\/\/uploads\/waves\/wave-7\.json is not JSON/)]);
  });

  it('S3 throttling (SlowDown) reading the manifest is TryLaterError, which the state machine retries, never InvalidInputError', async () => {
    const bed = sdkTestbed(waveOf(1));
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'Please reduce your request rate.', $metadata: { httpStatusCode: 503 } }),
    );
    const store = new S3WaveStore(new S3Client({ region: 'eu-west-1', maxAttempts: 1 }), 'waves-bucket');
    const error = await validateWave({ input: atLocation, runId: 'run-1', executionArn: executionArnOf('run-1') }, { ...bed.deps, store }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TryLaterError);
    expect(error).toMatchObject({ name: 'TryLaterError', code: 'SlowDown' });
  });
});

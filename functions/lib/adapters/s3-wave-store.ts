import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { asTryLater } from '../errors';
import { parseJsonBytes } from '../input-text';
import type { WaveStore } from '../ports';
import { cachedBy, clientConfig } from './client-config';

/** Path-style addressing whenever an S3 endpoint is set (the simulator's emulator serves one host for every bucket). */
export const s3ClientFor = cachedBy(
  (region) => new S3Client({ ...clientConfig(region), forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }),
);

const isMissing = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

export class S3WaveStore implements WaveStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  getJson<T>(key: string): Promise<T | undefined> {
    return this.getJsonFrom<T>(this.bucket, key);
  }

  async getJsonFrom<T>(bucket: string, key: string): Promise<T | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await res.Body?.transformToByteArray();
      // strict UTF-8: a manifest with a bad byte is refused by offset, never read with U+FFFD in it
      return bytes === undefined ? undefined : (parseJsonBytes(bytes, `s3://${bucket}/${key}`) as T);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw asTryLater(error, 'GetObject');
    }
  }

  async putJson(key: string, value: unknown): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw asTryLater(error, 'PutObject');
    }
  }
}

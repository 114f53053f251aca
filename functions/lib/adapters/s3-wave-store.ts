import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { asTryLater, TryLaterError } from '../errors';
import { parseJsonBytes } from '../input-text';
import type { VersionedJson, WaveStore } from '../ports';
import { cachedBy, clientConfig } from './client-config';

/** Path-style addressing whenever an S3 endpoint is set (the simulator's emulator serves one host for every bucket). */
export const s3ClientFor = cachedBy(
  (region) => new S3Client({ ...clientConfig(region), forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }),
);

type S3Error = { name?: string; $metadata?: { httpStatusCode?: number } };
const statusOf = (error: unknown) => (error as S3Error).$metadata?.httpStatusCode;

const isMissing = (error: unknown) => {
  const e = error as S3Error;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || statusOf(error) === 404;
};

/** 412 PreconditionFailed: the object is not (or no longer) the version the condition named. */
const isPreconditionFailed = (error: unknown) => (error as S3Error).name === 'PreconditionFailed' || statusOf(error) === 412;

/**
 * 409 ConditionalRequestConflict: another conditional write or a delete of the key was in progress.
 * S3 says to retry (API reference PutObject, If-None-Match/If-Match): the state machine retries it.
 */
function conflictOrOther(error: unknown, what: string): unknown {
  if ((error as S3Error).name === 'ConditionalRequestConflict' || statusOf(error) === 409)
    return new TryLaterError(`${what}: ConditionalRequestConflict: a concurrent write to the same key was in progress`, 'ConditionalRequestConflict');
  return asTryLater(error, what);
}

export class S3WaveStore implements WaveStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  getJson<T>(key: string): Promise<T | undefined> {
    return this.getJsonFrom<T>(this.bucket, key);
  }

  async getJsonFrom<T>(bucket: string, key: string): Promise<T | undefined> {
    const got = await this.read<T>(bucket, key);
    return got?.value;
  }

  async getVersionedJson<T>(key: string): Promise<VersionedJson<T> | undefined> {
    const got = await this.read<T>(this.bucket, key);
    if (!got) return undefined;
    if (!got.etag) throw new Error(`GetObject s3://${this.bucket}/${key} answered without an ETag`);
    return { value: got.value, etag: got.etag };
  }

  private async read<T>(bucket: string, key: string): Promise<{ value: T; etag?: string } | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await res.Body?.transformToByteArray();
      // strict UTF-8: a manifest with a bad byte is refused by offset, never read with U+FFFD in it
      return bytes === undefined ? undefined : { value: parseJsonBytes(bytes, `s3://${bucket}/${key}`) as T, etag: res.ETag };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw asTryLater(error, 'GetObject');
    }
  }

  async putJson(key: string, value: unknown): Promise<void> {
    try {
      await this.client.send(this.put(key, value));
    } catch (error) {
      throw asTryLater(error, 'PutObject');
    }
  }

  async createJson(key: string, value: unknown): Promise<string | undefined> {
    try {
      const res = await this.client.send(this.put(key, value, { IfNoneMatch: '*' }));
      return res.ETag ?? '';
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw conflictOrOther(error, 'PutObject If-None-Match');
    }
  }

  async replaceJson(key: string, value: unknown, etag: string): Promise<string | undefined> {
    try {
      const res = await this.client.send(this.put(key, value, { IfMatch: etag }));
      return res.ETag ?? '';
    } catch (error) {
      if (isPreconditionFailed(error) || isMissing(error)) return undefined;
      throw conflictOrOther(error, 'PutObject If-Match');
    }
  }

  async deleteJsonVersion(key: string, etag: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: etag }));
      return true;
    } catch (error) {
      if (isPreconditionFailed(error) || isMissing(error)) return false;
      throw conflictOrOther(error, 'DeleteObject If-Match');
    }
  }

  private put(key: string, value: unknown, condition: { IfNoneMatch?: string; IfMatch?: string } = {}): PutObjectCommand {
    return new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
      ...condition,
    });
  }
}

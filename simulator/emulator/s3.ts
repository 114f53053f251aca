/**
 * S3 (restXml, path style): PUT/GET/HEAD object, for wave manifests, per-server state and reports.
 */
import { createHash } from 'node:crypto';
import { ApiError } from './errors';
import { decodeAwsChunked, type RenderedResponse } from './protocols';

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified: number;
  readonly metadata: Record<string, string>;
}

export interface S3State {
  /** explicit buckets; when strict, PutObject to any other bucket is NoSuchBucket */
  readonly buckets: Map<string, Map<string, StoredObject>>;
  readonly strict: boolean;
}

export interface S3Request {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly now: number;
  readonly requestId: string;
}

export function s3Operation(method: string, key: string): string | undefined {
  if (!key) return undefined;
  if (method === 'PUT') return 'PutObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  return undefined;
}

function bucketOf(state: S3State, name: string, create: boolean): Map<string, StoredObject> {
  let bucket = state.buckets.get(name);
  if (!bucket && create && !state.strict) {
    bucket = new Map();
    state.buckets.set(name, bucket);
  }
  if (!bucket) throw new ApiError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: name });
  return bucket;
}

const header = (h: S3Request['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function handleS3(state: S3State, req: S3Request): RenderedResponse {
  const base = { 'x-amz-request-id': req.requestId, 'x-amz-id-2': 'emulator' };
  switch (s3Operation(req.method, req.key)) {
    case 'PutObject': {
      const bucket = bucketOf(state, req.bucket, true);
      const chunked = (header(req.headers, 'content-encoding') ?? '').includes('aws-chunked') || (header(req.headers, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
      const body = chunked ? decodeAwsChunked(req.body) : req.body;
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
      bucket.set(req.key, { body, contentType: header(req.headers, 'content-type') ?? 'application/octet-stream', etag, lastModified: req.now, metadata });
      return { status: 200, headers: { ...base, etag }, body: '' };
    }
    case 'GetObject':
    case 'HeadObject': {
      const bucket = bucketOf(state, req.bucket, false);
      const object = bucket.get(req.key);
      if (!object) throw new ApiError('NoSuchKey', 'The specified key does not exist.', 404, { Key: req.key });
      const headers: Record<string, string> = {
        ...base,
        etag: object.etag,
        'content-type': object.contentType,
        'content-length': String(object.body.length),
        'last-modified': new Date(object.lastModified).toUTCString(),
        'accept-ranges': 'bytes',
      };
      for (const [k, v] of Object.entries(object.metadata)) headers[`x-amz-meta-${k}`] = v;
      return { status: 200, headers, body: req.method === 'HEAD' ? '' : object.body };
    }
    default:
      throw new ApiError('NotImplemented', `The emulator does not implement ${req.method} on ${req.key ? 'objects' : 'buckets'}.`, 501);
  }
}

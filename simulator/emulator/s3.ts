/**
 * S3 (restXml, path style): PUT/GET/HEAD/DELETE object, for wave manifests, per-server state, reports
 * and the run lock, and ListObjectsV2 (GET /<bucket>?list-type=2), for `mgnctl status` / `mgnctl report`
 * to find a wave's runs. As S3 answers (S3 API reference PutObject/GetObject/DeleteObject, user guide
 * "Checking object integrity", "conditional writes", "conditional deletes"):
 * - Content-MD5 is checked (InvalidDigest when malformed, BadDigest when it does not match);
 * - a checksum (x-amz-checksum-<algorithm> header, or an aws-chunked trailer named by x-amz-trailer)
 *   is verified, kept with the object, and echoed on PUT and on GET/HEAD with x-amz-checksum-mode;
 * - x-amz-content-sha256 must be the payload's SHA-256 when it is one (XAmzContentSHA256Mismatch);
 * - every object is encrypted (SSE-S3 by default) and x-amz-server-side-encryption says how;
 * - If-None-Match: * and If-Match: <etag> make PUT conditional, If-Match makes DELETE conditional:
 *   412 PreconditionFailed when the condition does not hold, 404 NoSuchKey for If-Match on no object.
 */
import { createHash } from 'node:crypto';
import { CHECKSUM_ALGORITHMS, CHECKSUM_BYTES, checksumHeader, checksumOf, isBase64Of, UNVERIFIED_ALGORITHMS, type ChecksumAlgorithm } from './checksums';
import { ApiError } from './errors';
import { escapeXml, type RenderedResponse } from './protocols';

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified: number;
  readonly metadata: Record<string, string>;
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
  readonly encryption: { readonly algorithm: string; readonly kmsKeyId?: string };
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
  /** region and account, for the ARN of the default KMS key */
  readonly region: string;
  readonly account: string;
  /** the query string (ListObjectsV2's parameters) */
  readonly query?: URLSearchParams;
}

/** The object operations the emulator serves, by HTTP method. */
export const S3_OPERATIONS: Readonly<Record<string, string>> = { PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' };

/** The bucket operations the emulator serves: GET /<bucket>?list-type=2 only. */
export const S3_BUCKET_OPERATIONS: readonly string[] = ['ListObjectsV2'];

export function s3Operation(method: string, key: string, query?: URLSearchParams): string | undefined {
  if (!key) return method === 'GET' && query?.get('list-type') === '2' ? 'ListObjectsV2' : undefined;
  return S3_OPERATIONS[method];
}

/** PutObject and DeleteObject change the bucket. */
export const s3Mutating = (operation: string): boolean => operation === 'PutObject' || operation === 'DeleteObject';

const SSE_ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'];

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

const unquote = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');

/** RFC 7232 entity-tag lists: `*`, or comma-separated (quoted) tags. */
const etagMatches = (condition: string, etag: string): boolean =>
  condition.trim() === '*' || condition.split(',').some((c) => unquote(c) === unquote(etag));

function preconditionFailed(condition: 'If-Match' | 'If-None-Match'): ApiError {
  return new ApiError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition });
}

/** An aws-chunked body (streamed uploads): the payload and the trailing headers (checksums) after the last chunk. */
function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new ApiError('IncompleteBody', 'The request body ended before its last aws-chunked chunk', 400);
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size) || size < 0) throw new ApiError('InvalidRequest', 'The aws-chunked body has a malformed chunk size', 400);
    offset = lineEnd + 2;
    if (size === 0) break;
    if (offset + size > body.length) throw new ApiError('IncompleteBody', 'You did not provide the number of bytes specified by the chunk size', 400);
    parts.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
  // trailer lines until an empty line
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    const line = body.subarray(offset, lineEnd < 0 ? body.length : lineEnd).toString('latin1');
    offset = lineEnd < 0 ? body.length : lineEnd + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}

/** x-amz-content-sha256, when it is a digest (not UNSIGNED-PAYLOAD or STREAMING-…), must be the body's SHA-256. */
function checkContentSha256(req: S3Request): void {
  const claimed = header(req.headers, 'x-amz-content-sha256') ?? '';
  if (!/^[0-9a-f]{64}$/.test(claimed)) return;
  const computed = createHash('sha256').update(req.body).digest('hex');
  if (computed !== claimed)
    throw new ApiError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
      ClientComputedContentSHA256: claimed,
      S3ComputedContentSHA256: computed,
    });
}

/** The payload of a PUT, as S3 reads it: aws-chunked bodies decoded and their declared length checked. */
function readPayload(req: S3Request): { payload: Buffer; trailers: Record<string, string> } {
  const contentSha = header(req.headers, 'x-amz-content-sha256') ?? '';
  const chunked = (header(req.headers, 'content-encoding') ?? '').split(',').some((e) => e.trim() === 'aws-chunked') || contentSha.startsWith('STREAMING-');
  if (!chunked) return { payload: req.body, trailers: {} };
  const decoded = decodeAwsChunked(req.body);
  const declared = header(req.headers, 'x-amz-decoded-content-length');
  if (declared === undefined) throw new ApiError('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
  if (Number(declared) !== decoded.payload.length)
    throw new ApiError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
  return decoded;
}

/** Content-MD5 (RFC 1864): base64 of the 16-byte MD5 of the payload. */
function checkContentMd5(req: S3Request, payload: Buffer): void {
  const md5 = header(req.headers, 'content-md5');
  if (md5 === undefined) return;
  if (!isBase64Of(md5.trim(), 16)) throw new ApiError('InvalidDigest', 'The Content-MD5 you specified is not valid.', 400, { 'Content-MD5': md5 });
  if (createHash('md5').update(payload).digest('base64') !== md5.trim())
    throw new ApiError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400, {
      ExpectedDigest: Buffer.from(md5.trim(), 'base64').toString('hex'),
      CalculatedDigest: createHash('md5').update(payload).digest('hex'),
    });
}

/** The object checksum a PUT carries (header or trailer), verified; undefined when it carries none. */
function checkChecksum(req: S3Request, payload: Buffer, trailers: Record<string, string>): StoredObject['checksum'] {
  const trailerNames = (header(req.headers, 'x-amz-trailer') ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const sent = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers))
    if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-mode' && name !== 'x-amz-checksum-type' && name !== 'x-amz-checksum-algorithm' && typeof value === 'string')
      sent.set(name, value.trim());
  for (const name of trailerNames) {
    if (!name.startsWith('x-amz-checksum-')) continue;
    if (trailers[name] === undefined) throw new ApiError('InvalidRequest', `The trailer ${name} named by x-amz-trailer was not sent after the body.`, 400);
    sent.set(name, trailers[name]);
  }
  const hint = header(req.headers, 'x-amz-sdk-checksum-algorithm');
  if (sent.size > 1) throw new ApiError('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.', 400);
  if (sent.size === 0) {
    if (hint !== undefined)
      throw new ApiError('InvalidRequest', `x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.`, 400);
    return undefined;
  }
  const [[name, value]] = [...sent];
  const algorithm = name.slice('x-amz-checksum-'.length).toUpperCase();
  if ((UNVERIFIED_ALGORITHMS as readonly string[]).includes(algorithm))
    throw new ApiError('NotImplemented', `The emulator does not compute ${algorithm} checksums; use CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512 or MD5.`, 501);
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) throw new ApiError('InvalidRequest', `${name} is not a checksum S3 supports.`, 400);
  const alg = algorithm as ChecksumAlgorithm;
  if (hint !== undefined && hint.toUpperCase() !== alg)
    throw new ApiError('InvalidRequest', `Value for x-amz-sdk-checksum-algorithm header is invalid: ${hint} does not match ${name}.`, 400);
  if (!isBase64Of(value, CHECKSUM_BYTES[alg])) throw new ApiError('InvalidRequest', `Value for ${name} header is invalid.`, 400);
  if (checksumOf(alg, payload) !== value) throw new ApiError('BadDigest', `The ${alg} you specified did not match the calculated checksum.`, 400);
  return { algorithm: alg, value };
}

function encryptionOf(req: S3Request): StoredObject['encryption'] {
  const algorithm = header(req.headers, 'x-amz-server-side-encryption');
  const keyId = header(req.headers, 'x-amz-server-side-encryption-aws-kms-key-id');
  if (algorithm === undefined) {
    if (keyId !== undefined)
      throw new ApiError('InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms', 400, {
        ArgumentName: 'x-amz-server-side-encryption',
      });
    // every new object is encrypted with SSE-S3 unless the request asks otherwise (S3 default encryption)
    return { algorithm: 'AES256' };
  }
  if (!SSE_ALGORITHMS.includes(algorithm))
    throw new ApiError('InvalidArgument', 'The encryption method specified is not supported', 400, { ArgumentName: 'x-amz-server-side-encryption', ArgumentValue: algorithm });
  if (algorithm === 'AES256') {
    if (keyId !== undefined) throw new ApiError('InvalidArgument', 'x-amz-server-side-encryption-aws-kms-key-id is only valid with aws:kms', 400);
    return { algorithm };
  }
  return { algorithm, kmsKeyId: keyId ?? `arn:aws:kms:${req.region}:${req.account}:alias/aws/s3` };
}

const encryptionHeaders = (o: StoredObject): Record<string, string> => ({
  'x-amz-server-side-encryption': o.encryption.algorithm,
  ...(o.encryption.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': o.encryption.kmsKeyId } : {}),
});

const checksumHeaders = (o: StoredObject): Record<string, string> =>
  o.checksum ? { [checksumHeader(o.checksum.algorithm)]: o.checksum.value, 'x-amz-checksum-type': 'FULL_OBJECT' } : {};

function putObject(state: S3State, req: S3Request, base: Record<string, string>): RenderedResponse {
  const bucket = bucketOf(state, req.bucket, true);
  const { payload, trailers } = readPayload(req);
  checkContentMd5(req, payload);
  const checksum = checkChecksum(req, payload, trailers);
  const encryption = encryptionOf(req);
  const ifNoneMatch = header(req.headers, 'if-none-match');
  const ifMatch = header(req.headers, 'if-match');
  const existing = bucket.get(req.key);
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new ApiError('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, { Header: 'If-None-Match' });
    if (existing) throw preconditionFailed('If-None-Match');
  }
  if (ifMatch !== undefined) {
    if (!existing) throw new ApiError('NoSuchKey', 'The specified key does not exist.', 404, { Key: req.key });
    if (!etagMatches(ifMatch, existing.etag)) throw preconditionFailed('If-Match');
  }
  const etag = `"${createHash('md5').update(payload).digest('hex')}"`;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
  const object: StoredObject = {
    body: payload,
    contentType: header(req.headers, 'content-type') ?? 'application/octet-stream',
    etag,
    lastModified: req.now,
    metadata,
    checksum,
    encryption,
  };
  bucket.set(req.key, object);
  return { status: 200, headers: { ...base, etag, ...encryptionHeaders(object), ...checksumHeaders(object) }, body: '' };
}

function getObject(state: S3State, req: S3Request, base: Record<string, string>): RenderedResponse {
  const bucket = bucketOf(state, req.bucket, false);
  const object = bucket.get(req.key);
  if (!object) throw new ApiError('NoSuchKey', 'The specified key does not exist.', 404, { Key: req.key });
  const ifMatch = header(req.headers, 'if-match');
  const ifNoneMatch = header(req.headers, 'if-none-match');
  if (ifMatch !== undefined && !etagMatches(ifMatch, object.etag)) throw preconditionFailed('If-Match');
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, object.etag))
    return { status: 304, headers: { ...base, etag: object.etag, 'last-modified': new Date(object.lastModified).toUTCString() }, body: '' };
  const headers: Record<string, string> = {
    ...base,
    etag: object.etag,
    'content-type': object.contentType,
    'content-length': String(object.body.length),
    'last-modified': new Date(object.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    ...encryptionHeaders(object),
    // S3 returns the stored checksum only when the request enables checksum mode
    ...((header(req.headers, 'x-amz-checksum-mode') ?? '').toUpperCase() === 'ENABLED' ? checksumHeaders(object) : {}),
  };
  for (const [k, v] of Object.entries(object.metadata)) headers[`x-amz-meta-${k}`] = v;
  return { status: 200, headers, body: req.method === 'HEAD' ? '' : object.body };
}

function deleteObject(state: S3State, req: S3Request, base: Record<string, string>): RenderedResponse {
  const bucket = bucketOf(state, req.bucket, false);
  const ifMatch = header(req.headers, 'if-match');
  const existing = bucket.get(req.key);
  if (ifMatch !== undefined) {
    if (!existing) throw new ApiError('NoSuchKey', 'The specified key does not exist.', 404, { Key: req.key });
    if (!etagMatches(ifMatch, existing.etag)) throw preconditionFailed('If-Match');
  }
  bucket.delete(req.key);
  return { status: 204, headers: base, body: '' };
}

const LIST_MAX_KEYS = 1000;

/**
 * ListObjectsV2 (S3 API reference): keys in UTF-8 binary order after `start-after` or the
 * continuation token, under `prefix`, rolled up to CommonPrefixes at the first `delimiter` after the
 * prefix; at most `max-keys` (default and ceiling 1,000) keys and prefixes per page. A max-keys that
 * is not a non-negative integer, an encoding-type other than `url`, or a continuation token S3 did
 * not issue is InvalidArgument.
 */
function listObjectsV2(state: S3State, req: S3Request, base: Record<string, string>): RenderedResponse {
  const q = req.query ?? new URLSearchParams();
  const maxKeysText = q.get('max-keys');
  if (maxKeysText !== null && !/^\d{1,10}$/.test(maxKeysText))
    throw new ApiError('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400, { ArgumentName: 'max-keys', ArgumentValue: maxKeysText });
  const encoding = q.get('encoding-type');
  if (encoding !== null && encoding !== 'url')
    throw new ApiError('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, { ArgumentName: 'encoding-type', ArgumentValue: encoding });
  const token = q.get('continuation-token');
  let after = q.get('start-after') ?? '';
  if (token !== null) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!token || !decoded.startsWith('emulator:'))
      throw new ApiError('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token' });
    after = decoded.slice('emulator:'.length);
  }
  const bucket = bucketOf(state, req.bucket, false);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = Math.min(LIST_MAX_KEYS, maxKeysText === null ? LIST_MAX_KEYS : Number(maxKeysText));
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && byBytes(k, after) > 0).sort(byBytes);
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last = '';
  let truncated = false;
  for (const key of keys) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined && prefixes.includes(common)) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      prefixes.push(common);
      // the next page starts after every key under this prefix
      last = `${common}\u{10FFFF}`;
    } else {
      contents.push(key);
      last = key;
    }
  }
  const encode = (v: string) => escapeXml(encoding === 'url' ? encodeURIComponent(v).replace(/%2F/g, '/') : v);
  const tag = (name: string, value: string | number | boolean) => `<${name}>${typeof value === 'string' ? value : String(value)}</${name}>`;
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    tag('Name', escapeXml(req.bucket)) +
    tag('Prefix', encode(prefix)) +
    (delimiter ? tag('Delimiter', encode(delimiter)) : '') +
    tag('MaxKeys', maxKeys) +
    (encoding ? tag('EncodingType', 'url') : '') +
    tag('KeyCount', contents.length + prefixes.length) +
    tag('IsTruncated', truncated) +
    (token !== null ? tag('ContinuationToken', escapeXml(token)) : '') +
    (truncated ? tag('NextContinuationToken', Buffer.from(`emulator:${last}`).toString('base64url')) : '') +
    (q.get('start-after') !== null ? tag('StartAfter', encode(q.get('start-after')!)) : '') +
    contents
      .map((key) => {
        const o = bucket.get(key)!;
        return `<Contents>${tag('Key', encode(key))}${tag('LastModified', new Date(o.lastModified).toISOString())}${tag('ETag', escapeXml(o.etag))}${tag('Size', o.body.length)}${tag('StorageClass', 'STANDARD')}</Contents>`;
      })
      .join('') +
    prefixes.map((p) => `<CommonPrefixes>${tag('Prefix', encode(p))}</CommonPrefixes>`).join('') +
    '</ListBucketResult>';
  return { status: 200, headers: { ...base, 'content-type': 'application/xml' }, body };
}

export function handleS3(state: S3State, req: S3Request): RenderedResponse {
  const base = { 'x-amz-request-id': req.requestId, 'x-amz-id-2': 'emulator' };
  checkContentSha256(req);
  switch (s3Operation(req.method, req.key, req.query)) {
    case 'ListObjectsV2':
      return listObjectsV2(state, req, base);
    case 'PutObject':
      return putObject(state, req, base);
    case 'GetObject':
    case 'HeadObject':
      return getObject(state, req, base);
    case 'DeleteObject':
      return deleteObject(state, req, base);
    default:
      throw new ApiError('NotImplemented', `The emulator does not implement ${req.method} on ${req.key ? 'objects' : 'buckets'}.`, 501);
  }
}

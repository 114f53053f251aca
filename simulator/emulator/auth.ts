/**
 * Request authentication as AWS does it (Signature Version 4, "Create a signed AWS API request" in
 * the IAM user guide, and S3's "Authenticating requests (AWS Signature Version 4)"): the emulator
 * knows the secret of each access key it accepts, recomputes the signature of every request and
 * refuses unsigned, malformed, unknown-key and badly signed requests, each in the protocol of the
 * service the request was for (MGN restJson1, SSM, Step Functions and Service Quotas JSON with `__type`, EC2 XML,
 * STS/SNS query XML, S3 XML). The request's age is not checked: the emulator's clock is virtual.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, SERVICES, type ServiceName } from './errors';

/** The credentials the emulator accepts unless told otherwise (the simulator's Lambdas and the tests sign with them). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIASIMULATOR0000000', secretAccessKey: 'simulator-secret-access-key-not-a-secret' } as const;

export interface Credential {
  readonly secretAccessKey: string;
  /** temporary credentials (STS) are valid only with their session token */
  readonly sessionToken?: string;
}

/** Access keys the emulator knows: the configured ones, and the temporary ones its STS handed out. */
export class CredentialStore {
  private readonly keys = new Map<string, Credential>();

  constructor(initial: readonly { accessKeyId: string; secretAccessKey: string }[] = [EMULATOR_CREDENTIALS]) {
    for (const c of initial) this.keys.set(c.accessKeyId, { secretAccessKey: c.secretAccessKey });
  }

  add(accessKeyId: string, credential: Credential): void {
    this.keys.set(accessKeyId, credential);
  }

  get(accessKeyId: string): Credential | undefined {
    return this.keys.get(accessKeyId);
  }
}

export interface IncomingSigned {
  readonly method: string;
  /** the path as sent (percent-encoded), without the query */
  readonly rawPath: string;
  /** the query string as sent, without `?` */
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Authenticated {
  readonly service: string;
  readonly region: string;
  readonly accessKeyId: string;
}

type Failure = 'missing' | 'malformed' | 'missing-date' | 'unknown-key' | 'bad-token' | 'bad-signature' | 'missing-content-sha256';

/** Why a request was refused before any operation ran; `render` words it for the service the request was for. */
export class AuthFailure extends Error {
  constructor(
    readonly failure: Failure,
    message: string,
    /** the signing service named by the credential scope, when there was one */
    readonly scopeService?: string,
  ) {
    super(message);
  }
}

const escapeUri = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function canonicalPath(rawPath: string, s3: boolean): string {
  if (s3) return rawPath || '/';
  // every other service: the path normalized, then URI-encoded once more (SigV4 "double encoding")
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(rawQuery: string): string {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (key.toLowerCase() === 'x-amz-signature') continue;
    pairs.push([escapeUri(key), escapeUri(value)]);
  }
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(',') : String(v)).replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
};

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

interface Parsed {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly sessionToken?: string;
  readonly fromQuery: boolean;
}

function parseAuthorization(req: IncomingSigned, query: URLSearchParams): Parsed | undefined {
  const auth = headerValue(req.headers, 'authorization');
  if (auth !== undefined) {
    if (!auth.startsWith('AWS4-HMAC-SHA256 ')) throw new AuthFailure('malformed', 'Authorization header requires the AWS4-HMAC-SHA256 algorithm (Signature Version 4).');
    const field = (name: string) => new RegExp(`(?:^|[ ,])${name}=([^,\\s]+)`).exec(auth.slice('AWS4-HMAC-SHA256 '.length))?.[1];
    const credential = field('Credential');
    const signedHeaders = field('SignedHeaders');
    const signature = field('Signature');
    const missing = [['Credential', credential], ['SignedHeaders', signedHeaders], ['Signature', signature]].filter(([, v]) => !v).map(([k]) => k);
    if (missing.length) throw new AuthFailure('malformed', `Authorization header requires '${missing.join("', '")}' parameter${missing.length > 1 ? 's' : ''}.`);
    const amzDate = headerValue(req.headers, 'x-amz-date');
    const scope = credential!.split('/');
    if (scope.length !== 5 || scope[4] !== 'aws4_request') throw new AuthFailure('malformed', `Credential should be scoped to a valid region and service: '${credential}'.`, scope[3]);
    if (!amzDate) throw new AuthFailure('missing-date', 'AWS authentication requires a valid Date or x-amz-date header', scope[3]);
    return {
      accessKeyId: scope[0],
      date: scope[1],
      region: scope[2],
      service: scope[3],
      signedHeaders: signedHeaders!.split(';'),
      signature: signature!,
      amzDate,
      sessionToken: headerValue(req.headers, 'x-amz-security-token'),
      fromQuery: false,
    };
  }
  const credential = query.get('X-Amz-Credential');
  if (credential === null) return undefined;
  const scope = credential.split('/');
  const amzDate = query.get('X-Amz-Date');
  const signedHeaders = query.get('X-Amz-SignedHeaders');
  const signature = query.get('X-Amz-Signature');
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || scope.length !== 5 || !signedHeaders || !signature)
    throw new AuthFailure('malformed', 'Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature and X-Amz-SignedHeaders parameters.', scope[3]);
  if (!amzDate) throw new AuthFailure('missing-date', 'AWS authentication requires a valid X-Amz-Date parameter', scope[3]);
  return {
    accessKeyId: scope[0],
    date: scope[1],
    region: scope[2],
    service: scope[3],
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    sessionToken: query.get('X-Amz-Security-Token') ?? undefined,
    fromQuery: true,
  };
}

function signedHeaderLines(headers: IncomingHttpHeaders, names: readonly string[], service?: string): string {
  return names
    .map((name) => {
      const value = headerValue(headers, name);
      if (value === undefined) throw new AuthFailure('bad-signature', `The request signature names the header '${name}', which the request does not carry.`, service);
      return `${name}:${value}\n`;
    })
    .join('');
}

function signatureOf(
  req: Pick<IncomingSigned, 'method' | 'rawPath' | 'rawQuery'>,
  headerLines: string,
  signedHeaders: readonly string[],
  payloadHash: string,
  secretAccessKey: string,
  scope: { date: string; region: string; service: string; amzDate: string },
): string {
  const canonicalRequest = [req.method, canonicalPath(req.rawPath, scope.service === 's3'), canonicalQuery(req.rawQuery), headerLines, signedHeaders.join(';'), payloadHash].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', scope.amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, scope.date), scope.region), scope.service), 'aws4_request');
  return hmac(key, stringToSign).toString('hex');
}

/**
 * Signs a request by hand (tests that send raw HTTP to the emulator): adds x-amz-date (and, for S3,
 * x-amz-content-sha256) and the Authorization header over every header given plus host.
 */
export function signRequest(
  req: { method: string; url: string; headers?: Record<string, string>; body?: string | Buffer },
  scope: { region: string; service: string; credentials?: { accessKeyId: string; secretAccessKey: string }; at?: Date },
): Record<string, string> {
  const url = new URL(req.url);
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : (req.body ?? Buffer.alloc(0));
  const amzDate = (scope.at ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const credentials = scope.credentials ?? EMULATOR_CREDENTIALS;
  const payloadHash = sha256Hex(body);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    host: url.host,
    'x-amz-date': amzDate,
    ...(scope.service === 's3' ? { 'x-amz-content-sha256': payloadHash } : {}),
  };
  const names = Object.keys(headers).sort();
  const signature = signatureOf(
    { method: req.method, rawPath: url.pathname, rawQuery: url.search.slice(1) },
    signedHeaderLines(headers, names),
    names,
    payloadHash,
    credentials.secretAccessKey,
    { date: amzDate.slice(0, 8), region: scope.region, service: scope.service, amzDate },
  );
  const { host: _host, ...rest } = headers;
  return { ...rest, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${amzDate.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}

/**
 * Verifies a request's SigV4 signature against `store`. Returns the scope it was signed for, or
 * throws AuthFailure saying what is wrong (never which part of a secret).
 */
export function authenticate(req: IncomingSigned, store: CredentialStore): Authenticated {
  const query = new URLSearchParams(req.rawQuery);
  const parsed = parseAuthorization(req, query);
  if (!parsed) throw new AuthFailure('missing', 'Missing Authentication Token');
  const s3 = parsed.service === 's3';
  if (!parsed.amzDate.startsWith(parsed.date))
    throw new AuthFailure('bad-signature', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.date}' != '${parsed.amzDate.slice(0, 8)}'`, parsed.service);
  const credential = store.get(parsed.accessKeyId);
  if (!credential) throw new AuthFailure('unknown-key', 'The security token included in the request is invalid.', parsed.service);
  if (credential.sessionToken !== undefined && credential.sessionToken !== parsed.sessionToken)
    throw new AuthFailure('bad-token', 'The security token included in the request is invalid.', parsed.service);
  if (!parsed.signedHeaders.includes('host')) throw new AuthFailure('bad-signature', "'Host' must be a signed header.", parsed.service);
  const contentSha = headerValue(req.headers, 'x-amz-content-sha256');
  if (s3 && !parsed.fromQuery && contentSha === undefined)
    throw new AuthFailure('missing-content-sha256', 'Missing required header for this request: x-amz-content-sha256', parsed.service);
  const payloadHash = contentSha ?? (s3 && parsed.fromQuery ? 'UNSIGNED-PAYLOAD' : sha256Hex(req.body));
  const lines = signedHeaderLines(req.headers, parsed.signedHeaders, parsed.service);
  const expected = Buffer.from(signatureOf(req, lines, parsed.signedHeaders, payloadHash, credential.secretAccessKey, parsed));
  const given = Buffer.from(parsed.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw new AuthFailure(
      'bad-signature',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      parsed.service,
    );
  return { service: parsed.service, region: parsed.region, accessKeyId: parsed.accessKeyId };
}

const QUERY_VERSIONS: Record<string, ServiceName> = { '2016-11-15': 'ec2', '2011-06-15': 'sts', '2010-03-31': 'sns' };

/**
 * The service a request is for, from its shape alone (an unsigned request names no service):
 * X-Amz-Target (SSM, Step Functions), a query-protocol Action with its API Version (EC2, STS, SNS),
 * `POST /<Operation>` of MGN, and otherwise a path-style S3 object request.
 */
export function sniffService(req: IncomingSigned, mgnOperations: ReadonlySet<string>): ServiceName {
  const target = headerValue(req.headers, 'x-amz-target') ?? '';
  if (target.startsWith('AmazonSSM.')) return 'ssm';
  if (target.startsWith('AWSStepFunctions.')) return 'states';
  if (target.startsWith('ServiceQuotasV20190624.')) return 'servicequotas';
  const form = new URLSearchParams(req.method === 'GET' ? req.rawQuery : req.body.toString('utf8'));
  const contentType = headerValue(req.headers, 'content-type') ?? '';
  if (form.has('Action') && (req.method === 'GET' || contentType.startsWith('application/x-www-form-urlencoded'))) return QUERY_VERSIONS[form.get('Version') ?? ''] ?? 'ec2';
  if (req.method === 'POST' && mgnOperations.has(req.rawPath.replace(/^\//, ''))) return 'mgn';
  return 's3';
}

export const isServedService = (name: string): name is ServiceName => (SERVICES as readonly string[]).includes(name);

/** An authentication failure in the words of the service the request was for. */
export function authError(service: ServiceName, failure: AuthFailure): ApiError {
  const { message } = failure;
  const kind = failure.failure;
  switch (service) {
    case 'mgn': {
      const code = { missing: 'MissingAuthenticationTokenException', malformed: 'IncompleteSignatureException', 'missing-date': 'IncompleteSignatureException', 'unknown-key': 'UnrecognizedClientException', 'bad-token': 'UnrecognizedClientException', 'bad-signature': 'InvalidSignatureException', 'missing-content-sha256': 'InvalidSignatureException' }[kind];
      return new ApiError(code, message, 403);
    }
    case 'ssm':
    case 'states':
    case 'servicequotas': {
      const code = { missing: 'MissingAuthenticationTokenException', malformed: 'IncompleteSignatureException', 'missing-date': 'IncompleteSignatureException', 'unknown-key': 'UnrecognizedClientException', 'bad-token': 'UnrecognizedClientException', 'bad-signature': 'InvalidSignatureException', 'missing-content-sha256': 'InvalidSignatureException' }[kind];
      return new ApiError(code, message, 400);
    }
    case 'ec2': {
      if (kind === 'missing') return new ApiError('MissingAuthenticationToken', 'The request must contain either a valid (registered) AWS access key ID or X.509 certificate.', 401);
      if (kind === 'malformed' || kind === 'missing-date') return new ApiError('IncompleteSignature', message, 400);
      return new ApiError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    }
    case 'sts':
    case 'sns': {
      if (kind === 'missing') return new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      if (kind === 'malformed' || kind === 'missing-date') return new ApiError('IncompleteSignature', message, 400);
      if (kind === 'unknown-key' || kind === 'bad-token') return new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      return new ApiError('SignatureDoesNotMatch', message, 403);
    }
    case 's3': {
      switch (kind) {
        // an anonymous request to a private bucket
        case 'missing':
          return new ApiError('AccessDenied', 'Access Denied', 403);
        case 'missing-date':
          return new ApiError('AccessDenied', message, 403);
        case 'malformed':
          return new ApiError('AuthorizationHeaderMalformed', message, 400);
        case 'unknown-key':
          return new ApiError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
        case 'bad-token':
          return new ApiError('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400);
        case 'missing-content-sha256':
          return new ApiError('InvalidRequest', message, 400);
        case 'bad-signature':
          return new ApiError('SignatureDoesNotMatch', message, 403);
      }
    }
  }
}

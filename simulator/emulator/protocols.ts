/**
 * Wire formats: request parsing (query-protocol form bodies) and response/error
 * rendering for restJson1 (MGN), awsJson1_1 (SSM), awsJson1_0 (Step Functions), EC2 query, AWS query (STS, SNS) and restXml (S3).
 */
import { ApiError, type ServiceName } from './errors';

/**
 * Parses a query-protocol form body into nested objects: `Filter.1.Value.2=x` -> `{Filter: [{Value: [, 'x']}]}`
 * (indexes are 1-based on the wire), `Tags.member.1.Key` -> `{Tags: [{Key}]}` (query protocol's `member`).
 */
export function parseQueryParams(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const form = new URLSearchParams(body);
  for (const [key, value] of form) {
    const path = key.split('.').filter((p) => p !== 'member');
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      const index = /^[0-9]+$/.test(seg) ? Number(seg) - 1 : undefined;
      const container = node as Record<string | number, unknown>;
      const k: string | number = index ?? seg;
      if (last) {
        container[k] = value;
      } else {
        const nextIsIndex = /^[0-9]+$/.test(path[i + 1]);
        if (container[k] === undefined || typeof container[k] !== 'object') container[k] = nextIsIndex ? [] : {};
        node = container[k] as Record<string, unknown> | unknown[];
      }
    }
  }
  // sparse arrays from out-of-order or missing indexes become dense
  const densify = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(densify);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, densify(x)]));
    return v;
  };
  return densify(root) as Record<string, unknown>;
}

// ------------------------------------------------------------------ XML

/** A value to render as XML: objects become child elements, arrays repeated item elements. */
export type XmlValue = string | number | boolean | undefined | null | XmlValue[] | XmlList | { [key: string]: XmlValue };

/** A list whose items the model names other than `item` (EC2's `GroupIdStringList` items are `<groupId>`). */
export class XmlList {
  constructor(
    readonly itemName: string,
    readonly items: readonly XmlValue[],
  ) {}
}

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** Renders children of an element; `itemName` is `item` for EC2 and `member` for the query protocol. */
export function renderXml(value: XmlValue, itemName: string): string {
  if (value === undefined || value === null) return '';
  if (value instanceof XmlList) return value.items.map((v) => `<${value.itemName}>${renderXml(v, itemName)}</${value.itemName}>`).join('');
  if (Array.isArray(value)) return value.map((v) => `<${itemName}>${renderXml(v, itemName)}</${itemName}>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${renderXml(v, itemName)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

export const NAMESPACES: Record<'ec2' | 'sts' | 'sns', string> = {
  ec2: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
};

export function ec2Response(operation: string, body: XmlValue, requestId: string): string {
  return `${XML_HEAD}<${operation}Response xmlns="${NAMESPACES.ec2}"><requestId>${requestId}</requestId>${renderXml(body, 'item')}</${operation}Response>`;
}

export function queryResponse(service: 'sts' | 'sns', operation: string, result: XmlValue, requestId: string): string {
  return (
    `${XML_HEAD}<${operation}Response xmlns="${NAMESPACES[service]}">` +
    `<${operation}Result>${renderXml(result, 'member')}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

// ------------------------------------------------------------------ errors

export interface RenderedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
}

/**
 * SSM error shapes name their message member `Message` or `message` (or have none); answer with
 * what the model's shape has, so strict clients find it.
 */
const SSM_CAPITAL_MESSAGE = new Set([
  'InvalidInstanceId',
  'InvalidDocument',
  'InvalidParameters',
  'InternalServerError',
  'ThrottlingException',
  'InvalidNextToken',
  'UnsupportedPlatformType',
  'ValidationException',
  'AccessDeniedException',
]);
/** SSM error shapes with no members at all: the body is just `__type`. */
const SSM_NO_MESSAGE = new Set(['InvocationDoesNotExist', 'DuplicateInstanceId', 'InvalidCommandId', 'InvalidFilterKey', 'InvalidPluginName', 'InvalidResourceType', 'InvalidResourceId']);

export function renderError(service: ServiceName, error: ApiError, requestId: string, method = 'POST'): RenderedResponse {
  switch (service) {
    case 'mgn':
      return {
        status: error.status,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code, 'x-amzn-requestid': requestId, ...error.headers },
        body: JSON.stringify({ message: error.message, ...error.fields }),
      };
    case 'ssm': {
      const body: Record<string, unknown> = { __type: error.code, ...error.fields };
      if (!SSM_NO_MESSAGE.has(error.code)) body[SSM_CAPITAL_MESSAGE.has(error.code) ? 'Message' : 'message'] = error.message;
      return { status: error.status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, ...error.headers }, body: JSON.stringify(body) };
    }
    case 'servicequotas':
      // every Service Quotas error shape has one member, `Message`
      return {
        status: error.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, ...error.headers },
        body: JSON.stringify({ __type: error.code, Message: error.message, ...error.fields }),
      };
    case 'states':
      // every Step Functions error shape has one member, `message`
      return {
        status: error.status,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId, ...error.headers },
        body: JSON.stringify({ __type: error.code, message: error.message, ...error.fields }),
      };
    case 'ec2':
      return {
        status: error.status,
        headers: { 'content-type': 'text/xml;charset=UTF-8', ...error.headers },
        body: `${XML_HEAD}<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case 'sts':
    case 'sns':
      return {
        status: error.status,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, ...error.headers },
        body:
          `${XML_HEAD}<ErrorResponse xmlns="${NAMESPACES[service]}"><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
          `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    case 's3': {
      const extra = Object.entries(error.fields)
        .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
        .join('');
      return {
        status: error.status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...error.headers },
        body:
          method === 'HEAD'
            ? ''
            : `${XML_HEAD}<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>${extra}<RequestId>${requestId}</RequestId><HostId>emulator</HostId></Error>`,
      };
    }
  }
}

/** The "cannot parse" error each protocol gives for a body that is not what it expects. */
export function malformedRequest(service: ServiceName, what: string): ApiError {
  switch (service) {
    case 'mgn':
      return new ApiError('ValidationException', `Cannot parse request: ${what}`, 400, { reason: 'cannotParse' });
    case 'ssm':
    case 'states':
    case 'servicequotas':
      return new ApiError('SerializationException', `Cannot parse request: ${what}`, 400);
    case 'ec2':
      return new ApiError('InvalidParameterValue', `Cannot parse request: ${what}`, 400);
    case 'sts':
    case 'sns':
      return new ApiError('MalformedInput', `Cannot parse request: ${what}`, 400);
    case 's3':
      return new ApiError('InvalidRequest', `Cannot parse request: ${what}`, 400);
  }
}

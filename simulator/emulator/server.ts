/**
 * The emulator's HTTP server: one listener on 127.0.0.1 for every service. The SigV4 credential
 * scope names the service and region; each request is traced, may be throttled or hit by chaos
 * (deterministically per seed), and is answered in the service's own wire format.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WaveManifest } from '../../functions/lib/manifest';
import { VirtualClock } from '../clock';
import type { Scenario } from '../scenario';
import { EC2_OPERATIONS } from './ec2';
import { ApiError, internalError, SERVICES, throttlingError, type ServiceName } from './errors';
import { DEFAULT_DOCUMENTS, Fleet, type DocumentNames } from './fleet';
import { MGN_OPERATIONS, type Context } from './mgn';
import { ec2Response, malformedRequest, parseQueryParams, parseScope, queryResponse, renderError, type RenderedResponse } from './protocols';
import { SeededRandom } from './random';
import { handleS3, s3Operation, type S3State } from './s3';
import { snsOperations, type PublishedMessage, type SnsState } from './sns';
import { redactSsmParams, SSM_OPERATIONS } from './ssm';
import { STS_OPERATIONS } from './sts';
import { Trace } from './trace';

export interface EmulatorOptions {
  /** default 0: any free port */
  readonly port?: number;
  readonly manifests?: readonly WaveManifest[];
  /** drives throttling, chaos, the id seed, and the servers of `manifests` */
  readonly scenario?: Scenario;
  readonly clock?: VirtualClock;
  /** append every request to this JSONL file */
  readonly traceFile?: string;
  readonly documents?: Partial<DocumentNames>;
  /**
   * Where the stack's SSM documents exist: the deployment's target region and the source regions of
   * its deploy config (SendCommand anywhere else is refused with InvalidDocument). Default: the
   * regions of the waves loaded, as a deploy config listing every source region of those waves would.
   */
  readonly documentRegions?: { readonly targetRegion: string; readonly sourceRegions: readonly string[] };
  /** S3 buckets that exist; when omitted, PutObject creates a bucket on first write */
  readonly buckets?: readonly string[];
  /** SNS topic ARNs that exist; when omitted, any well-formed topic ARN in the caller's region exists */
  readonly topics?: readonly string[];
  /** real delay of a chaos slow response, default 1500 ms */
  readonly slowResponseMs?: number;
  /**
   * A chaos slow response slower than the caller's Lambda timeout: called with the client's port;
   * when it returns true (the runner timed out the invocation behind that port) the answer is never
   * sent, as for a Lambda sandbox that was stopped while waiting. Otherwise the answer is delayed.
   */
  readonly onSlowResponse?: (clientPort: number) => boolean;
  /** MGN account initialized (InitializeService done); default true */
  readonly initialized?: boolean;
  /** sees every AWS answer as sent on the wire (conformance tests, debugging) */
  readonly onResponse?: (answer: WireAnswer) => void;
}

export interface WireAnswer {
  readonly service: ServiceName;
  readonly operation: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly clock: VirtualClock;
  readonly trace: Trace;
  readonly fleet: Fleet;
  /** SNS messages published so far */
  readonly published: readonly PublishedMessage[];
  /** the earliest virtual time at which something in the fleet changes, or undefined when nothing will */
  nextEventTime(): number | undefined;
  addWave(manifest: WaveManifest, scenario?: Scenario): void;
  /** creates an S3 bucket (needed when `buckets` made S3 strict) */
  createBucket(name: string): void;
  state(): Record<string, unknown>;
  close(): Promise<void>;
}

const MUTATING_CONTROL = new Set(['advance']);

interface Resolved {
  readonly service: ServiceName;
  readonly operation: string;
  readonly region: string;
  readonly params: unknown;
  readonly accessKeyId: string;
  readonly mutating: boolean;
  readonly run: (ctx: Context) => RenderedResponse;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const scenario = options.scenario ?? {};
  const seed = scenario.seed ?? 1;
  const clock = options.clock ?? new VirtualClock();
  const fleet = new Fleet({
    clock,
    seed,
    documents: { ...DEFAULT_DOCUMENTS, ...options.documents },
    documentRegions: options.documentRegions,
    initialized: options.initialized ?? true,
  });
  fleet.credentialCanary = scenario.sts?.credentialCanary ?? '';
  const trace = new Trace(options.traceFile);
  const throttleRandom = new SeededRandom(seed ^ 0x7a7a7a7a);
  const chaosRandom = new SeededRandom(seed ^ 0x0c4a05);
  const s3: S3State = { buckets: new Map((options.buckets ?? []).map((b) => [b, new Map()])), strict: options.buckets !== undefined };
  const sns: SnsState = { topics: options.topics ? new Set(options.topics) : undefined, published: [] };
  const SNS_OPERATIONS = snsOperations(sns);
  let requestCounter = 0;
  for (const m of options.manifests ?? []) fleet.addWave(m, scenario);

  const throttleRate = scenario.throttle?.rate ?? 0;
  const chaos = scenario.chaos ?? {};
  const slowMs = options.slowResponseMs ?? 1500;

  function resolve(req: IncomingMessage, url: URL, body: Buffer): Resolved {
    const scope = parseScope(req.headers, url.searchParams);
    if (!scope) throw Object.assign(new ApiError('MissingAuthenticationToken', 'Missing Authentication Token', 403), { service: 'mgn' as ServiceName });
    const service = scope.service as ServiceName;
    if (!SERVICES.includes(service)) throw Object.assign(new ApiError('UnknownService', `The emulator does not serve ${scope.service}.`, 400), { service: 'mgn' as ServiceName });
    const region = scope.region;
    const accessKeyId = scope.accessKeyId;
    const text = () => body.toString('utf8');
    const json = (): Record<string, unknown> => {
      if (body.length === 0) return {};
      try {
        const parsed = JSON.parse(text()) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
      } catch {
        // answered below
      }
      throw malformedRequest(service, 'body is not a JSON object');
    };
    switch (service) {
      case 'mgn': {
        const operation = url.pathname.replace(/^\//, '');
        const op = req.method === 'POST' ? MGN_OPERATIONS[operation] : undefined;
        if (!op) throw Object.assign(new ApiError('UnknownOperationException', `Unknown operation ${req.method} ${url.pathname}`, 404), { service });
        const input = json();
        return {
          service,
          operation,
          region,
          accessKeyId,
          params: input,
          mutating: !!op.mutating,
          run: (ctx) => {
            if (!fleet.initialized && operation !== 'InitializeService')
              throw new ApiError('UninitializedAccountException', 'Account not initialized: call InitializeService first.', 400);
            const result = op.run(input, ctx);
            const status = op.status ?? 200;
            return {
              status,
              headers: { 'content-type': 'application/json', 'x-amzn-requestid': ctx.requestId },
              body: status === 204 ? '' : JSON.stringify(result ?? {}),
            };
          },
        };
      }
      case 'ssm': {
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
        const op = SSM_OPERATIONS[operation];
        if (!op) throw Object.assign(new ApiError('UnknownOperationException', `Unknown operation ${target}`, 400), { service });
        const input = json();
        return {
          service,
          operation,
          region,
          accessKeyId,
          params: redactSsmParams(operation, input),
          mutating: !!op.mutating,
          run: (ctx) => ({
            status: 200,
            headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': ctx.requestId },
            body: JSON.stringify(op.run(input, ctx) ?? {}),
          }),
        };
      }
      case 'ec2':
      case 'sts':
      case 'sns': {
        const params = parseQueryParams(req.method === 'GET' ? url.search.slice(1) : text());
        const operation = String(params.Action ?? '');
        const table = service === 'ec2' ? EC2_OPERATIONS : service === 'sts' ? STS_OPERATIONS : SNS_OPERATIONS;
        const op = table[operation];
        if (!op) throw Object.assign(new ApiError(service === 'ec2' ? 'InvalidAction' : 'InvalidAction', `The action ${operation || '(none)'} is not valid for this web service.`, 400), { service });
        const { Action: _a, Version: _v, ...input } = params;
        return {
          service,
          operation,
          region,
          accessKeyId,
          params: input,
          mutating: !!op.mutating,
          run: (ctx) => {
            const result = op.run(input, ctx);
            const xml = service === 'ec2' ? ec2Response(operation, result, ctx.requestId) : queryResponse(service, operation, result, ctx.requestId);
            return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': ctx.requestId }, body: xml };
          },
        };
      }
      case 's3': {
        const [, bucket = '', ...rest] = url.pathname.split('/');
        const key = decodeURIComponent(rest.join('/'));
        const operation = s3Operation(req.method ?? '', key);
        if (!operation) throw Object.assign(new ApiError('NotImplemented', `The emulator does not implement ${req.method} ${url.pathname}.`, 501), { service });
        return {
          service,
          operation,
          region,
          accessKeyId,
          params: { Bucket: decodeURIComponent(bucket), Key: key, ...(operation === 'PutObject' ? { ContentLength: body.length } : {}) },
          mutating: operation === 'PutObject',
          run: (ctx) =>
            handleS3(s3, { method: req.method ?? 'GET', bucket: decodeURIComponent(bucket), key, headers: req.headers, body, now: fleet.now(), requestId: ctx.requestId }),
        };
      }
    }
  }

  async function control(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const action = url.pathname.slice('/_emulator/'.length);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (action === 'state' && req.method === 'GET') return send(200, emulator.state());
    if (action === 'trace' && req.method === 'GET') return send(200, trace.entries);
    if (MUTATING_CONTROL.has(action) && req.method === 'POST') {
      const seconds = Number(url.searchParams.get('seconds'));
      const to = url.searchParams.get('to');
      if (to === 'next') {
        const next = fleet.nextEventTime();
        if (next !== undefined) clock.advanceTo(next);
      } else if (!Number.isFinite(seconds) || seconds < 0) return send(400, { message: 'advance needs ?seconds=N (N >= 0) or ?to=next' });
      else clock.advanceBy(seconds);
      return send(200, emulator.state());
    }
    send(404, { message: `unknown control request ${req.method} ${url.pathname}; use GET /_emulator/state, GET /_emulator/trace or POST /_emulator/advance?seconds=N` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/_emulator/')) return control(req, url, res);
    const requestId = `00000000-0000-4000-8000-${(++requestCounter).toString(16).padStart(12, '0')}`;
    const virtualTime = new Date(fleet.now()).toISOString();
    let resolved: Resolved;
    try {
      resolved = resolve(req, url, body);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('InternalFailure', String(err), 500);
      const service = (err as { service?: ServiceName }).service ?? 'mgn';
      trace.record({ virtualTime, service, operation: url.pathname, region: '', params: {}, outcome: e.code, status: e.status });
      const rendered = renderError(service, e, requestId, req.method);
      options.onResponse?.({ service, operation: url.pathname, status: rendered.status, headers: rendered.headers, body: String(rendered.body) });
      return send(res, rendered);
    }
    const { service, operation, region, params, mutating } = resolved;
    const record = (outcome: string, status: number) =>
      trace.record({ virtualTime, service, operation, region, params, outcome, status, ...(mutating ? { mutating: true as const } : {}) });

    // chaos and throttling pick calls deterministically per seed (one draw per call in arrival order)
    if (chaosRandom.chance(chaos.dropConnectionRate ?? 0)) {
      record('ConnectionDropped', 0);
      req.socket.destroy();
      return;
    }
    const slow = chaosRandom.chance(chaos.slowResponseRate ?? 0);
    let response: RenderedResponse;
    let outcome = 'ok';
    try {
      if (throttleRandom.chance(throttleRate)) throw throttlingError(service, 1);
      if (chaosRandom.chance(chaos.internalErrorRate ?? 0)) throw internalError(service);
      response = resolved.run({ fleet, region, accessKeyId: resolved.accessKeyId, requestId });
    } catch (err) {
      const e = err instanceof ApiError ? err : internalError(service);
      if (!(err instanceof ApiError)) console.error('emulator: unexpected error', err);
      outcome = e.code;
      response = renderError(service, e, requestId, req.method);
    }
    record(outcome, response.status);
    options.onResponse?.({ service, operation, status: response.status, headers: response.headers, body: typeof response.body === 'string' ? response.body : response.body.toString('utf8') });
    if (slow) {
      const port = req.socket.remotePort;
      if (port !== undefined && options.onSlowResponse?.(port)) {
        record('SlowResponseAbandoned', 0);
        return; // the caller timed out: its socket is closed with the emulator
      }
      await new Promise((r) => setTimeout(r, slowMs));
    }
    send(res, response);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error('emulator: request failed', err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const emulator: Emulator = {
    url: `http://127.0.0.1:${port}`,
    port,
    clock,
    trace,
    fleet,
    published: sns.published,
    nextEventTime: () => fleet.nextEventTime(),
    addWave: (manifest, waveScenario) => fleet.addWave(manifest, waveScenario ?? scenario),
    createBucket: (name) => {
      if (!s3.buckets.has(name)) s3.buckets.set(name, new Map());
    },
    state: () => ({ ...fleet.summary(), requests: trace.entries.length }),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolveClose());
      }),
  };
  return emulator;
}

function send(res: ServerResponse, r: RenderedResponse): void {
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  res.writeHead(r.status, { ...r.headers, ...(r.headers['content-length'] ? {} : { 'content-length': String(body.length) }) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

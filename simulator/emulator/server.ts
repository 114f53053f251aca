/**
 * The emulator's HTTP server: one listener on 127.0.0.1 for every service. Every request must carry
 * a valid SigV4 signature (auth.ts) whose credential scope names the service and region; a request
 * that is unsigned or badly signed is refused in the protocol of the service it was for. Each
 * request is traced, may be throttled or hit by chaos (deterministically per seed), and is answered
 * in the service's own wire format.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WaveManifest } from '../../functions/lib/manifest';
import type { DeployConfig } from '../../infra/config';
import { VirtualClock } from '../clock';
import { defaultDeployConfig, type RegionNetwork, type StackNetwork } from '../network';
import type { Scenario } from '../scenario';
import { authenticate, AuthFailure, authError, CredentialStore, EMULATOR_CREDENTIALS, isServedService, sniffService, type IncomingSigned } from './auth';
import { EC2_OPERATIONS } from './ec2';
import { ApiError, internalError, throttlingError, type ServiceName } from './errors';
import { ACCOUNT_ID, DEFAULT_DOCUMENTS, Fleet, type DocumentNames } from './fleet';
import { MGN_OPERATIONS, type Context, type JsonOperation } from './mgn';
import { ec2Response, malformedRequest, parseQueryParams, queryResponse, renderError, type RenderedResponse } from './protocols';
import { fleetProbes, type NetworkProbe } from './probes';
import { SeededRandom } from './random';
import { handleS3, S3_OPERATIONS, s3Mutating, s3Operation, type S3State } from './s3';
import { executionRegistry, stepFunctionsOperations, type ExecutionRegistry, type StepFunctionsState } from './sfn';
import { snsOperations, type PublishedMessage, type SnsState } from './sns';
import { SERVICE_QUOTAS_OPERATIONS } from './service-quotas';
import { redactSsmParams, SSM_OPERATIONS } from './ssm';
import { stsOperations } from './sts';
import { Trace, type TraceCaller } from './trace';

export interface EmulatorOptions {
  /** default 0: any free port */
  readonly port?: number;
  readonly manifests?: readonly WaveManifest[];
  /** drives throttling, chaos, the id seed, and the servers of `manifests`; its `network` adds resources */
  readonly scenario?: Scenario;
  /**
   * The deploy config whose network the target region has (simulator/network.ts). Default: the
   * example config (examples/deploy/cross-region.json) moved to the first manifest's target region.
   */
  readonly deployConfig?: DeployConfig;
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
  /** access keys (and their secrets) whose signatures the emulator accepts; default EMULATOR_CREDENTIALS */
  readonly credentials?: readonly { readonly accessKeyId: string; readonly secretAccessKey: string }[];
  /** who sent a request, by the client's port (the simulator's runner knows which execution and step): recorded in the trace */
  readonly callerOf?: (clientPort: number) => TraceCaller | undefined;
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
  /** The deploy config's network in its region (stack resources and the scenario's). */
  readonly targetNetwork: RegionNetwork;
  /** The ids of what the simulated stack created (its outputs and the Lambdas' environment). */
  readonly stack: StackNetwork;
  /** TCP/HTTP probes from the verify step, answered by the fleet (functions/lib/ports.ts NetworkPort). */
  readonly network: NetworkProbe;
  /** SNS messages published so far */
  readonly published: readonly PublishedMessage[];
  /** Step Functions executions: the runner reports its executions here, DescribeExecution answers from them */
  readonly executions: ExecutionRegistry;
  /** an object of the emulated S3 (undefined when absent), for tests and the simulator's own reads */
  s3Object(bucket: string, key: string): { readonly body: Buffer; readonly etag: string } | undefined;
  /** the earliest virtual time at which something in the fleet changes, or undefined when nothing will */
  nextEventTime(): number | undefined;
  addWave(manifest: WaveManifest, scenario?: Scenario): void;
  /** creates an S3 bucket (needed when `buckets` made S3 strict) */
  createBucket(name: string): void;
  state(): Record<string, unknown>;
  close(): Promise<void>;
}

const MUTATING_CONTROL = new Set(['advance']);

/** Every operation the emulator serves, by service (the conformance suite must cover each). */
export function servedOperations(): Record<ServiceName, string[]> {
  return {
    mgn: Object.keys(MGN_OPERATIONS),
    ssm: Object.keys(SSM_OPERATIONS),
    ec2: Object.keys(EC2_OPERATIONS),
    sts: Object.keys(stsOperations(new CredentialStore([]))),
    s3: Object.values(S3_OPERATIONS),
    sns: Object.keys(snsOperations({ published: [] })),
    states: Object.keys(stepFunctionsOperations({ executions: new Map() })),
    servicequotas: Object.keys(SERVICE_QUOTAS_OPERATIONS),
  };
}

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
  const deployConfig = options.deployConfig ?? defaultDeployConfig(options.manifests?.[0]?.targetRegion);
  const fleet = new Fleet({
    clock,
    seed,
    documents: { ...DEFAULT_DOCUMENTS, ...options.documents },
    documentRegions: options.documentRegions,
    initialized: options.initialized ?? scenario.account?.mgnInitialized ?? true,
    deployConfig,
    scenario,
  });
  fleet.credentialCanary = scenario.sts?.credentialCanary ?? '';
  const trace = new Trace(options.traceFile);
  const throttleRandom = new SeededRandom(seed ^ 0x7a7a7a7a);
  const chaosRandom = new SeededRandom(seed ^ 0x0c4a05);
  const s3: S3State = { buckets: new Map((options.buckets ?? []).map((b) => [b, new Map()])), strict: options.buckets !== undefined };
  const sns: SnsState = { topics: options.topics ? new Set(options.topics) : undefined, published: [] };
  const SNS_OPERATIONS = snsOperations(sns);
  const credentials = new CredentialStore(options.credentials ?? [EMULATOR_CREDENTIALS]);
  const STS_OPERATIONS = stsOperations(credentials);
  const stepFunctions: StepFunctionsState = { executions: new Map() };
  const SFN_OPERATIONS = stepFunctionsOperations(stepFunctions);
  const mgnOperationNames = new Set(Object.keys(MGN_OPERATIONS));
  let requestCounter = 0;
  for (const m of options.manifests ?? []) fleet.addWave(m, scenario);

  const s3Outage = s3Outages(scenario, clock.now());
  const throttleRate = scenario.throttle?.rate ?? 0;
  const chaos = scenario.chaos ?? {};
  const slowMs = options.slowResponseMs ?? 1500;

  function resolve(req: IncomingMessage, url: URL, body: Buffer): Resolved {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const signed: IncomingSigned = {
      method: req.method ?? 'GET',
      rawPath: q < 0 ? rawUrl : rawUrl.slice(0, q),
      rawQuery: q < 0 ? '' : rawUrl.slice(q + 1),
      headers: req.headers,
      body,
    };
    let scope;
    try {
      scope = authenticate(signed, credentials);
      if (!isServedService(scope.service))
        throw new AuthFailure('bad-signature', `Credential should be scoped to correct service: the emulator does not serve '${scope.service}'.`, scope.service);
    } catch (err) {
      if (!(err instanceof AuthFailure)) throw err;
      const service = err.scopeService !== undefined && isServedService(err.scopeService) ? err.scopeService : sniffService(signed, mgnOperationNames);
      throw Object.assign(authError(service, err), { service });
    }
    const service = scope.service as ServiceName;
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
        const op = req.method === 'POST' && Object.prototype.hasOwnProperty.call(MGN_OPERATIONS, operation) ? MGN_OPERATIONS[operation] : undefined;
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
            // MGN is initialized per region; until then every call but InitializeService is refused (the model's shape: message, code)
            if (!fleet.isInitialized(ctx.region) && operation !== 'InitializeService')
              throw new ApiError('UninitializedAccountException', `Account not initialized in ${ctx.region}: call InitializeService first.`, 400, { code: 'UninitializedAccountException' });
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
      case 'ssm':
      case 'states':
      case 'servicequotas': {
        const target = String(req.headers['x-amz-target'] ?? '');
        const prefix = { ssm: 'AmazonSSM.', states: 'AWSStepFunctions.', servicequotas: 'ServiceQuotasV20190624.' }[service];
        const operation = target.startsWith(prefix) ? target.slice(prefix.length) : '';
        const table: Record<string, JsonOperation> = { ssm: SSM_OPERATIONS, states: SFN_OPERATIONS, servicequotas: SERVICE_QUOTAS_OPERATIONS }[service];
        const op = Object.prototype.hasOwnProperty.call(table, operation) ? table[operation] : undefined;
        if (!op) throw Object.assign(new ApiError('UnknownOperationException', `Unknown operation ${target}`, 400), { service });
        const input = json();
        return {
          service,
          operation,
          region,
          accessKeyId,
          params: service === 'ssm' ? redactSsmParams(operation, input) : input,
          mutating: !!op.mutating,
          run: (ctx) => ({
            status: 200,
            headers: { 'content-type': service === 'states' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1', 'x-amzn-requestid': ctx.requestId },
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
        const op = Object.prototype.hasOwnProperty.call(table, operation) ? table[operation] : undefined;
        if (!op) throw Object.assign(new ApiError('InvalidAction', `The action ${operation || '(none)'} is not valid for this web service.`, 400), { service });
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
        const conditions = Object.fromEntries(
          (['if-match', 'if-none-match'] as const).filter((h) => req.headers[h] !== undefined).map((h) => [h === 'if-match' ? 'IfMatch' : 'IfNoneMatch', String(req.headers[h])]),
        );
        return {
          service,
          operation,
          region,
          accessKeyId,
          params: { Bucket: decodeURIComponent(bucket), Key: key, ...(operation === 'PutObject' ? { ContentLength: body.length } : {}), ...conditions },
          mutating: s3Mutating(operation),
          run: (ctx) =>
            handleS3(s3, {
              method: req.method ?? 'GET',
              bucket: decodeURIComponent(bucket),
              key,
              headers: req.headers,
              body,
              now: fleet.now(),
              requestId: ctx.requestId,
              region,
              account: ACCOUNT_ID,
            }),
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
    const clientPort = req.socket.remotePort;
    const caller = clientPort === undefined ? undefined : options.callerOf?.(clientPort);
    const by = caller ? { caller } : {};
    let resolved: Resolved;
    try {
      resolved = resolve(req, url, body);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('InternalFailure', String(err), 500);
      const service = (err as { service?: ServiceName }).service ?? 'mgn';
      trace.record({ virtualTime, service, operation: url.pathname, region: '', params: {}, outcome: e.code, status: e.status, ...by });
      const rendered = renderError(service, e, requestId, req.method);
      options.onResponse?.({ service, operation: url.pathname, status: rendered.status, headers: rendered.headers, body: String(rendered.body) });
      return send(res, rendered, fleet.now());
    }
    const { service, operation, region, params, mutating } = resolved;
    const record = (outcome: string, status: number) =>
      trace.record({ virtualTime, service, operation, region, params, outcome, status, ...(mutating ? { mutating: true as const } : {}), ...by });

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
      if (service === 's3') {
        const outage = s3Outage(operation, String((params as { Key?: unknown }).Key ?? ''), fleet.now());
        if (outage) throw outage;
      }
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
      if (clientPort !== undefined && options.onSlowResponse?.(clientPort)) {
        record('SlowResponseAbandoned', 0);
        return; // the caller timed out: its socket is closed with the emulator
      }
      await new Promise((r) => setTimeout(r, slowMs));
    }
    send(res, response, fleet.now());
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
    targetNetwork: fleet.targetNetwork,
    stack: fleet.targetNetwork.stack!,
    network: fleetProbes(fleet),
    published: sns.published,
    executions: executionRegistry(stepFunctions),
    s3Object: (bucket, key) => s3.buckets.get(bucket)?.get(key),
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

/**
 * scenario.s3Outages: the 5xx S3 answers (error codes and messages of the S3 API reference, "Error
 * responses") to a request of an outage's operation on a matching key while the outage lasts, counted
 * on the virtual clock from the emulator's start; undefined for a request no outage covers.
 */
export function s3Outages(scenario: Scenario, startMs: number): (operation: string, key: string, now: number) => ApiError | undefined {
  const outages = (scenario.s3Outages ?? []).map((o) => ({
    ...o,
    pattern: new RegExp(`^${o.key.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`),
    from: startMs + (o.startSeconds ?? 0) * 1000,
    until: startMs + ((o.startSeconds ?? 0) + o.seconds) * 1000,
  }));
  return (operation, key, now) => {
    const hit = outages.find((o) => o.operation === operation && now >= o.from && now < o.until && o.pattern.test(key));
    if (!hit) return undefined;
    return hit.status === 503 ? new ApiError('ServiceUnavailable', 'Service is unable to handle request.', 503) : internalError('s3');
  };
}

/**
 * Sends an answer. Its Date header is the emulator's (virtual) time, as AWS dates its answers by its
 * own clock: the simulator's Lambdas read the same virtual clock, so their SDK sees no clock skew
 * (a real-time Date made it "correct" the skew and resend the request after every error answer).
 */
function send(res: ServerResponse, r: RenderedResponse, now: number): void {
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  res.writeHead(r.status, { date: new Date(now).toUTCString(), ...r.headers, ...(r.headers['content-length'] ? {} : { 'content-length': String(body.length) }) });
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

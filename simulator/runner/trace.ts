/**
 * Reads the emulator's trace (every request it served) into the report's numbers: API calls per
 * operation, launch jobs, servers in active jobs, launches per server.
 *
 * The trace is read tolerantly: a record names its service and operation (`service`, `operation`
 * or `op` or `action`), its request (`request` | `params` | `input`), its answer (`response` |
 * `output` | `result`) and, for a refused call, an error (`error` | `errorCode`). MGN shapes are
 * the wire shapes: StartTest/StartCutover/TerminateTargetInstances answer `{ job: { jobID,
 * participatingServers: [{ sourceServerID }] } }`, DescribeJobs answers `{ items: [{ jobID, status }] }`.
 */
export interface TraceRecord {
  readonly service: string;
  readonly operation: string;
  readonly request?: unknown;
  readonly response?: unknown;
  readonly error?: string;
  readonly waveId?: string;
  readonly raw: unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Turns whatever the emulator exposes as `trace` into a list of raw records. */
export function traceEntries(trace: unknown): unknown[] {
  if (!trace) return [];
  if (Array.isArray(trace)) return trace;
  if (isObject(trace)) {
    for (const key of ['records', 'entries', 'events']) {
      const v: unknown = trace[key];
      if (Array.isArray(v)) return v;
      if (typeof v === 'function') {
        const out = (v as () => unknown).call(trace);
        if (Array.isArray(out)) return out;
        if (out && typeof (out as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(out as Iterable<unknown>)];
      }
    }
    if (typeof (trace as { toArray?: unknown }).toArray === 'function') return (trace as { toArray(): unknown[] }).toArray();
  }
  if (typeof (trace as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(trace as Iterable<unknown>)];
  return [];
}

export function normalizeRecord(raw: unknown): TraceRecord | undefined {
  if (!isObject(raw)) return undefined;
  const service = str(raw.service) ?? str(raw.svc);
  const operation = str(raw.operation) ?? str(raw.op) ?? str(raw.action);
  if (!service || !operation) return undefined;
  const outcome = raw.outcome;
  const error =
    str(raw.error) ??
    str(raw.errorCode) ??
    (isObject(raw.error) ? str(raw.error.code) ?? str(raw.error.name) : undefined) ??
    (isObject(outcome) ? str(outcome.error) ?? str(outcome.errorCode) : undefined) ??
    (typeof outcome === 'string' && outcome !== 'ok' && outcome !== 'success' ? outcome : undefined);
  return {
    service: service.toLowerCase(),
    operation,
    request: raw.request ?? raw.params ?? raw.input,
    response: raw.response ?? raw.output ?? raw.result,
    error,
    waveId: str(raw.waveId),
    raw,
  };
}

export const readTrace = (trace: unknown): TraceRecord[] =>
  traceEntries(trace)
    .map(normalizeRecord)
    .filter((r): r is TraceRecord => r !== undefined);

const JOB_OPS = new Set(['StartTest', 'StartCutover', 'TerminateTargetInstances']);
const LAUNCH_OPS = { StartTest: 'test', StartCutover: 'cutover' } as const;

interface JobSeen {
  readonly jobId: string;
  readonly operation: string;
  readonly servers: readonly string[];
  readonly startIndex: number;
  endIndex: number;
}

function jobFrom(record: TraceRecord, index: number): JobSeen | undefined {
  if (record.service !== 'mgn' || !JOB_OPS.has(record.operation) || record.error) return undefined;
  const job = isObject(record.response) && isObject(record.response.job) ? record.response.job : undefined;
  const fromResponse = job && Array.isArray(job.participatingServers)
    ? job.participatingServers.map((p) => (isObject(p) ? str(p.sourceServerID) : undefined)).filter((s): s is string => !!s)
    : undefined;
  const fromRequest =
    isObject(record.request) && Array.isArray(record.request.sourceServerIDs)
      ? record.request.sourceServerIDs.filter((s): s is string => typeof s === 'string')
      : [];
  return {
    jobId: (job && str(job.jobID)) ?? `untracked-${index}`,
    operation: record.operation,
    servers: fromResponse ?? fromRequest,
    startIndex: index,
    endIndex: Number.POSITIVE_INFINITY,
  };
}

export interface TraceSummary {
  readonly jobs: readonly JobSeen[];
  readonly maxServersInActiveJobs: number;
}

/** Jobs in the trace with the span over which each was active (until DescribeJobs first saw it COMPLETED). */
export function summarizeJobs(records: readonly TraceRecord[]): TraceSummary {
  const jobs = new Map<string, JobSeen>();
  records.forEach((record, index) => {
    const job = jobFrom(record, index);
    if (job) jobs.set(job.jobId, job);
    if (record.service === 'mgn' && record.operation === 'DescribeJobs' && isObject(record.response) && Array.isArray(record.response.items)) {
      for (const item of record.response.items) {
        if (!isObject(item)) continue;
        const seen = jobs.get(String(item.jobID));
        if (seen && item.status === 'COMPLETED' && seen.endIndex === Number.POSITIVE_INFINITY) seen.endIndex = index;
      }
    }
  });
  // Sweep over the record order: +servers at a job's start, -servers at its end.
  const deltas: Array<[number, number]> = [];
  for (const job of jobs.values()) {
    deltas.push([job.startIndex, job.servers.length]);
    if (Number.isFinite(job.endIndex)) deltas.push([job.endIndex, -job.servers.length]);
  }
  deltas.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let active = 0;
  let max = 0;
  for (const [, d] of deltas) {
    active += d;
    max = Math.max(max, active);
  }
  return { jobs: [...jobs.values()], maxServersInActiveJobs: max };
}

/** Launches per source server id, from the StartTest/StartCutover jobs the emulator accepted. */
export function launchesByServer(jobs: readonly JobSeen[]): Map<string, { test: number; cutover: number }> {
  const out = new Map<string, { test: number; cutover: number }>();
  for (const job of jobs) {
    const kind = LAUNCH_OPS[job.operation as keyof typeof LAUNCH_OPS];
    if (!kind) continue;
    for (const id of job.servers) {
      const entry = out.get(id) ?? { test: 0, cutover: 0 };
      entry[kind]++;
      out.set(id, entry);
    }
  }
  return out;
}

const SERVICE_LABEL: Record<string, string> = { mgn: 'mgn', ssm: 'ssm', ec2: 'ec2', sts: 'sts', s3: 's3', sns: 'sns' };

/** "<service>:<Operation>" -> count. */
export function countApiCalls(records: readonly TraceRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    const key = `${SERVICE_LABEL[r.service] ?? r.service}:${r.operation}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The records of one wave when the emulator tags records with waveId; undefined when it does not. */
export function recordsOfWave(records: readonly TraceRecord[], waveId: string): TraceRecord[] | undefined {
  if (!records.some((r) => r.waveId !== undefined)) return undefined;
  return records.filter((r) => r.waveId === waveId);
}

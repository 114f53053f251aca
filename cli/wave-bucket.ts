/**
 * What `mgnctl status` and `mgnctl report` read from a deployed stack's wave bucket (the stack output
 * WaveBucketName): a wave's runs under waves/<waveId>/runs/<runId>/, each run's server records
 * (servers.json, functions/lib/run-state.ts) and its final report (report.json). One S3 client, built
 * on first use; AWS_ENDPOINT_URL_S3 points it at an endpoint (path-style then, as the flow's store does).
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { reportKey, serversKey } from '../functions/lib/wave-context';

let client: S3Client | undefined;
let clientRegion: string | undefined;

export function waveBucketClient(region?: string): S3Client {
  if (!client || clientRegion !== region) {
    client = new S3Client({
      ...(region ? { region } : {}),
      forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
      retryMode: 'adaptive',
      maxAttempts: 5,
    });
    clientRegion = region;
  }
  return client;
}

/** S3 bucket naming rules (S3 user guide, "General purpose bucket naming rules"). */
export const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The wave, or the run, is not in the bucket: the operator named it wrong (exit 2). */
export class WaveNotFoundError extends Error {
  override readonly name = 'WaveNotFoundError';
}

export interface RunListing {
  readonly runId: string;
  /** the newest write of any of the run's objects */
  readonly lastModified: Date;
  readonly hasReport: boolean;
}

const runsPrefix = (waveId: string) => `waves/${waveId}/runs/`;

/** Every run of the wave in the bucket, most recently written first. */
export async function listRuns(s3: S3Client, bucket: string, waveId: string): Promise<RunListing[]> {
  const runs = new Map<string, { lastModified: Date; hasReport: boolean }>();
  let token: string | undefined;
  let anything = false;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `waves/${waveId}/`, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      anything = true;
      const rest = o.Key?.startsWith(runsPrefix(waveId)) ? o.Key.slice(runsPrefix(waveId).length) : undefined;
      const [runId, file] = rest?.split('/') ?? [];
      if (!runId || !file) continue;
      const run = runs.get(runId) ?? { lastModified: new Date(0), hasReport: false };
      if (o.LastModified && o.LastModified > run.lastModified) run.lastModified = o.LastModified;
      if (file === 'report.json') run.hasReport = true;
      runs.set(runId, run);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (runs.size === 0)
    throw new WaveNotFoundError(
      anything
        ? `wave ${waveId} has no runs in bucket ${bucket} (nothing under ${runsPrefix(waveId)}): it was never started, or its runs stopped before validation`
        : `wave ${waveId} is not in bucket ${bucket} (nothing under waves/${waveId}/): check the wave id, and that the bucket is the stack's WaveBucketName output`,
    );
  return [...runs]
    .map(([runId, r]) => ({ runId, ...r }))
    .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
}

/** The run named, or the newest one (the one written last: a wave has one run at a time). */
export async function findRun(
  s3: S3Client,
  bucket: string,
  waveId: string,
  runId?: string,
): Promise<RunListing> {
  const runs = await listRuns(s3, bucket, waveId);
  if (runId === undefined) return runs[0];
  const run = runs.find((r) => r.runId === runId);
  if (!run)
    throw new WaveNotFoundError(
      `wave ${waveId} has no run ${runId} in bucket ${bucket}; its runs, newest first: ${runs.map((r) => r.runId).join(', ')}`,
    );
  return run;
}

/** A JSON object of the bucket, or undefined when there is none at the key. */
export async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString('utf8')) as T;
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export const runRecordsKey = serversKey;
export const runReportKey = reportKey;

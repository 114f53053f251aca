/**
 * The commands that drive a deployed stack (start, status, approve, reject) talk to Step Functions
 * through one client, built on first use. The region comes from --region or the usual AWS_REGION /
 * profile chain; AWS_ENDPOINT_URL_SFN points it at a VPC endpoint where the operator needs one.
 */
import { SFNClient } from '@aws-sdk/client-sfn';

let client: SFNClient | undefined;
let clientRegion: string | undefined;

export function stepFunctions(region?: string): SFNClient {
  if (!client || clientRegion !== region) {
    client = new SFNClient({ ...(region ? { region } : {}), retryMode: 'adaptive', maxAttempts: 5 });
    clientRegion = region;
  }
  return client;
}

/** `RUN_NAME` of the API: what may follow the waveId in an execution name. */
export const RUN_NAME = /^[A-Za-z0-9_-]{1,16}$/;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The execution name for a wave run: `<waveId>-<runName>`, or `<waveId>-<dd-Mon-yyyy>` (UTC day), the
 * same name the API's POST /waves derives, so a start from the CLI and one from the API the same day
 * cannot both run: Step Functions never starts two executions with one name.
 */
export function executionName(waveId: string, runName: string | undefined, now: Date): string {
  if (runName !== undefined) return `${waveId}-${runName}`;
  const dd = String(now.getUTCDate()).padStart(2, '0');
  return `${waveId}-${dd}-${MONTHS[now.getUTCMonth()]}-${now.getUTCFullYear()}`;
}

/** An AWS error as one line, without echoing request values (a task token is a credential). */
export const awsErrorLine = (error: unknown): string => {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
};

/**
 * One launch decision at a time, account-wide. MGN allows at most 200 servers across all active jobs
 * in the account (MGN quotas page: "servers in all active jobs", not adjustable). A launch poll reads
 * the active jobs (DescribeJobs), works out the room left and starts jobs to fill it: two waves whose
 * polls run at the same moment both see the same free room and both fill it, and MGN refuses the
 * second (ServiceQuotaExceededException). So the launch steps (launch-test and launch-cutover, of
 * every wave of the stack) take one lease around the whole decision, from DescribeJobs to the last
 * StartTest/StartCutover: a lease object in the wave bucket created with an S3 conditional write
 * (PutObject If-None-Match: *, S3 user guide "How to prevent object overwrites with conditional
 * writes") and released with a conditional delete of the version written (DeleteObject If-Match,
 * "How to perform conditional deletes"). A poll that finds the lease held does not decide anything
 * and polls again shortly; reserved concurrency would not do, since the two launch functions would
 * still race each other.
 *
 * The key, waves/_mgn-jobs/lock.json, sits with the waves' locks (`_` starts no wave id) so the same
 * grants and endpoint policy cover it. A holder that died (a Lambda timed out) leaves its lease
 * behind: it expires LEASE_SECONDS after it was taken, longer than any launch step can run (the
 * Lambda timeout, functions/lib/steps.ts), and is then taken over with PutObject If-Match.
 *
 * Scope: the stack's own waves. Launches made outside the orchestrator (the console, another stack
 * in the same account) still count against MGN's limit and can still be refused; the flow treats that
 * refusal as "try later".
 */
import { reasonOf } from './errors';
import type { FlowDeps } from './ports';

export const MGN_JOB_LEASE_KEY = 'waves/_mgn-jobs/lock.json';
/** Longer than a launch step's Lambda timeout (120 s): after it the holder cannot be acting. */
export const LEASE_SECONDS = 300;
/** How soon a poll that found the lease held tries again. */
export const LEASE_RETRY_SECONDS = 15;

export interface MgnJobLease {
  /** who holds it: <waveId>/<runId>/<step> */
  readonly holder: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

type LeaseDeps = Pick<FlowDeps, 'store' | 'now' | 'log'>;

export type Leased<T> = { readonly ran: true; readonly value: T } | { readonly ran: false; readonly heldBy: string };

const asLease = (value: unknown): MgnJobLease | undefined => {
  const v = value as Partial<MgnJobLease> | undefined;
  return v && typeof v.holder === 'string' && typeof v.expiresAt === 'string' ? (v as MgnJobLease) : undefined;
};

/** Takes the lease (or one whose holder's time is up), or says who holds it. Resolves the ETag of the lease written. */
async function takeLease(holder: string, deps: LeaseDeps): Promise<{ etag: string } | { heldBy: string }> {
  const now = deps.now();
  const lease: MgnJobLease = { holder, acquiredAt: now.toISOString(), expiresAt: new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString() };
  const created = await deps.store.createJson(MGN_JOB_LEASE_KEY, lease);
  if (created !== undefined) return { etag: created };
  let current: Awaited<ReturnType<LeaseDeps['store']['getVersionedJson']>>;
  try {
    current = await deps.store.getVersionedJson<unknown>(MGN_JOB_LEASE_KEY);
  } catch (error) {
    // released between our write and this read (without s3:ListBucket S3 answers 403, not 404): next poll
    return { heldBy: `a lease released just now (${reasonOf(error)})` };
  }
  if (!current) return { heldBy: 'a lease released just now' };
  const held = asLease(current.value);
  const expires = held ? Date.parse(held.expiresAt) : NaN;
  if (held && !(Number.isFinite(expires) && now.getTime() >= expires)) return { heldBy: held.holder };
  const replaced = await deps.store.replaceJson(MGN_JOB_LEASE_KEY, lease, current.etag);
  if (replaced === undefined) return { heldBy: 'another launch step that took over the same lapsed lease' };
  deps.log.warn('took over the MGN job lease its holder left behind', { previousHolder: held?.holder ?? null, expiredAt: held?.expiresAt ?? null });
  return { etag: replaced };
}

/**
 * Runs `decide` holding the account-wide MGN job lease, or does not run it (ran: false) when another
 * launch step holds it. The lease is released when `decide` ends, whether it resolved or threw; a
 * release that fails leaves a lease that lapses after LEASE_SECONDS.
 */
export async function withMgnJobLease<T>(holder: string, deps: LeaseDeps, decide: () => Promise<T>): Promise<Leased<T>> {
  const taken = await takeLease(holder, deps);
  if ('heldBy' in taken) return { ran: false, heldBy: taken.heldBy };
  try {
    return { ran: true, value: await decide() };
  } finally {
    try {
      if (!(await deps.store.deleteJsonVersion(MGN_JOB_LEASE_KEY, taken.etag)))
        deps.log.warn('the MGN job lease changed hands before its release: left in place', { holder });
    } catch (error) {
      deps.log.error('could not release the MGN job lease; it lapses on its own', { holder, reason: reasonOf(error) });
    }
  }
}

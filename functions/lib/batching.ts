/** Splitting work into the batch sizes AWS APIs accept. */

/** SSM SendCommand targets at most 50 instance ids per call. */
export const MAX_INSTANCES_PER_COMMAND = 50;

export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Groups items by a key, keeping first-seen order (one SendCommand per group of identical parameters). */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

/**
 * Runs `work` over the items with at most `limit` calls in flight, in order of the items. Used where
 * a step makes one AWS call per server (FinalizeCutover, MarkAsArchived): a 1,000-server poll then
 * takes seconds, not minutes, while the account's API rate is left to the SDK's adaptive retry.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

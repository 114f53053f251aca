/**
 * Where steps read the time. Lambda uses the system clock; the simulator runs the handlers in-process
 * on its virtual clock, so it swaps the source here (one call, before its first execution).
 */
let source: () => number = () => Date.now();

export const now = (): Date => new Date(source());

/** For the simulator: read time from `nowMs` instead of the system clock; returns a function that restores it. */
export function useClockSource(nowMs: () => number): () => void {
  const previous = source;
  source = nowMs;
  return () => {
    source = previous;
  };
}

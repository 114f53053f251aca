/**
 * Makes `Date.now()` and `new Date()` read the virtual clock while a simulation runs, so the
 * handlers' timestamps (report timelines, deadlines such as replicationTimeoutHours) and
 * `$$.Execution.StartTime` are in simulated time, like everything the emulator answers.
 * Timers (setTimeout) and performance.now() are untouched: wall time is still measured for real.
 * The emulator does not check SigV4 request dates, so signing with a virtual date is harmless.
 */
import type { VirtualClock } from '../clock';

const RealDate = Date;
let active: VirtualClock | undefined;
let depth = 0;

function virtualDateClass(): DateConstructor {
  return new Proxy(RealDate, {
    construct(target, args: unknown[]) {
      if (args.length === 0 && active) return new target(active.now());
      return new target(...(args as [string | number | Date]));
    },
    apply(target) {
      return active ? new target(active.now()).toString() : target();
    },
    get(target, prop, receiver) {
      if (prop === 'now') return () => (active ? active.now() : target.now());
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** Installs the virtual Date (nesting-safe); returns a function that removes it. */
export function useVirtualDate(clock: VirtualClock): () => void {
  if (active && active !== clock) throw new Error('another simulation already drives Date in this process');
  active = clock;
  if (depth++ === 0) globalThis.Date = virtualDateClass();
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--depth === 0) {
      globalThis.Date = RealDate;
      active = undefined;
    }
  };
}

/**
 * Makes `Date.now()` and `new Date()` read the virtual clock while a simulation runs, so the
 * handlers' timestamps (report timelines, deadlines such as replicationTimeoutHours) and
 * `$$.Execution.StartTime` are in simulated time, like everything the emulator answers.
 * Timers (setTimeout) and performance.now() are untouched: wall time is still measured for real.
 * The emulator does not check SigV4 request dates, so signing with a virtual date is harmless.
 *
 * One exception: the SDK's client-side rate limiter (retryMode "adaptive") refills its token bucket
 * from `Date.now()`. The virtual clock stands still while a handler runs, so after one throttling
 * answer the bucket would never refill and the handler would wait (in real time) until its task
 * timed out. While the virtual Date is installed the limiter reads real time instead.
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

interface RateLimiterClass {
  prototype: { getCurrentTimeInSeconds(): number };
}

/** The SDK's rate limiter classes (the older MGN client and the current clients use different packages). */
function rateLimiters(): RateLimiterClass[] {
  const found: RateLimiterClass[] = [];
  for (const id of ['@smithy/util-retry', '@smithy/core/retry']) {
    try {
      const mod = require(id) as { DefaultRateLimiter?: RateLimiterClass };
      if (mod.DefaultRateLimiter && !found.includes(mod.DefaultRateLimiter)) found.push(mod.DefaultRateLimiter);
    } catch {
      // not installed: nothing to adjust
    }
  }
  return found;
}

let restoreLimiters: (() => void) | undefined;

function realTimeRateLimiters(): () => void {
  const saved = rateLimiters().map((cls) => {
    const original = Object.getOwnPropertyDescriptor(cls.prototype, 'getCurrentTimeInSeconds');
    cls.prototype.getCurrentTimeInSeconds = () => RealDate.now() / 1000;
    return { cls, original };
  });
  return () => {
    for (const { cls, original } of saved) {
      if (original) Object.defineProperty(cls.prototype, 'getCurrentTimeInSeconds', original);
      else delete (cls.prototype as Partial<RateLimiterClass['prototype']>).getCurrentTimeInSeconds;
    }
  };
}

/** Installs the virtual Date (nesting-safe); returns a function that removes it. */
export function useVirtualDate(clock: VirtualClock): () => void {
  if (active && active !== clock) throw new Error('another simulation already drives Date in this process');
  active = clock;
  if (depth++ === 0) {
    globalThis.Date = virtualDateClass();
    restoreLimiters = realTimeRateLimiters();
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--depth === 0) {
      globalThis.Date = RealDate;
      active = undefined;
      restoreLimiters?.();
      restoreLimiters = undefined;
    }
  };
}

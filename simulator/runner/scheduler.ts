/**
 * Discrete-event scheduling over the shared VirtualClock.
 *
 * Every running execution is either busy (running states, or inside a handler that talks to the
 * emulator in real time) or parked until a virtual wake-up time (a Wait state, a retry interval).
 * When nothing is busy, the clock jumps to the earliest wake-up (or execution deadline) and the
 * executions due then resume. Several executions (several waves) share one scheduler and one clock,
 * so their interleaving in virtual time is the interleaving they would have in real time.
 *
 * If the emulator offers `nextEventTime()`, the clock stops at each fleet event on the way to the
 * wake-up so that clock listeners observe it; nothing else depends on it (the fleet derives its
 * state from the clock).
 */
import type { VirtualClock } from '../clock';

interface Parked {
  readonly wakeMs: number;
  readonly resolve: (outcome: WakeOutcome) => void;
}

export type WakeOutcome = 'woken' | 'cancelled';

interface ExecutionSlot {
  parked?: Parked;
  deadlineMs?: number;
  onDeadline?: () => void;
}

export interface SchedulerOptions {
  /** The emulator's next fleet event (epoch ms), if it has one. */
  readonly nextEventTime?: () => number | undefined;
}

/** Stops a runaway fleet-event walk; the clock still reaches the wake-up time in one jump after it. */
const MAX_FLEET_STOPS_PER_ADVANCE = 10_000;

export class VirtualScheduler {
  private readonly executions = new Map<string, ExecutionSlot>();
  private inflight = 0;
  private checkQueued = false;
  private advances = 0;

  constructor(
    readonly clock: VirtualClock,
    private readonly options: SchedulerOptions = {},
  ) {}

  /** How many times the clock jumped forward. */
  get advanceCount(): number {
    return this.advances;
  }

  /** How many executions are parked right now. */
  get parkedCount(): number {
    let n = 0;
    for (const slot of this.executions.values()) if (slot.parked) n++;
    return n;
  }

  /** An execution starts running (busy). `deadlineMs` is its virtual TimeoutSeconds, if any. */
  register(executionId: string, deadline?: { atMs: number; onDeadline: () => void }): void {
    if (this.executions.has(executionId)) throw new Error(`execution ${executionId} is already registered`);
    this.executions.set(executionId, { deadlineMs: deadline?.atMs, onDeadline: deadline?.onDeadline });
  }

  /** The execution ended (or was aborted): it no longer holds the clock back. */
  unregister(executionId: string): void {
    const slot = this.executions.get(executionId);
    if (!slot) return;
    this.executions.delete(executionId);
    slot.parked?.resolve('cancelled');
    this.queueCheck();
  }

  /** Parks the execution until the clock reaches `wakeMs`; resolves 'cancelled' if it is unregistered first. */
  sleepUntil(executionId: string, wakeMs: number): Promise<WakeOutcome> {
    const slot = this.executions.get(executionId);
    if (!slot) return Promise.resolve('cancelled');
    if (wakeMs <= this.clock.now()) return Promise.resolve('woken');
    if (slot.parked) throw new Error(`execution ${executionId} is already parked`);
    return new Promise<WakeOutcome>((resolve) => {
      slot.parked = { wakeMs, resolve };
      this.queueCheck();
    });
  }

  sleepFor(executionId: string, seconds: number): Promise<WakeOutcome> {
    return this.sleepUntil(executionId, this.clock.now() + Math.max(0, seconds) * 1000);
  }

  /** Runs `work` as busy time: the clock does not move while any such work is in flight. */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    this.inflight++;
    try {
      return await work();
    } finally {
      this.inflight--;
      this.queueCheck();
    }
  }

  private queueCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    // setImmediate: let every pending microtask (executions moving between states) settle first.
    setImmediate(() => {
      this.checkQueued = false;
      this.advanceIfIdle();
    });
  }

  private advanceIfIdle(): void {
    if (this.inflight > 0 || this.executions.size === 0) return;
    let target = Infinity;
    for (const slot of this.executions.values()) {
      if (!slot.parked) return; // someone is still running states
      target = Math.min(target, slot.parked.wakeMs, slot.deadlineMs ?? Infinity);
    }
    if (!Number.isFinite(target)) return;
    this.walkFleetEvents(target);
    this.clock.advanceTo(target);
    this.advances++;
    const now = this.clock.now();
    for (const slot of [...this.executions.values()]) {
      if (slot.deadlineMs !== undefined && slot.deadlineMs <= now && slot.onDeadline) {
        const onDeadline = slot.onDeadline;
        slot.onDeadline = undefined;
        slot.deadlineMs = undefined;
        onDeadline();
      }
    }
    for (const slot of this.executions.values()) {
      if (slot.parked && slot.parked.wakeMs <= now) {
        const { resolve } = slot.parked;
        slot.parked = undefined;
        resolve('woken');
      }
    }
  }

  private walkFleetEvents(target: number): void {
    const next = this.options.nextEventTime;
    if (!next) return;
    for (let i = 0; i < MAX_FLEET_STOPS_PER_ADVANCE; i++) {
      const at = next();
      if (at === undefined || at <= this.clock.now() || at >= target) return;
      this.clock.advanceTo(at);
    }
  }
}

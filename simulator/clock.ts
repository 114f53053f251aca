/**
 * The simulator's virtual clock. The emulator reads it for every timestamp and state change; the
 * runner advances it when every running execution is waiting (discrete-event simulation), so a
 * 24-hour replication takes as long as the events in it, not 24 hours.
 */
export type AdvanceListener = (nowMs: number) => void;

export class VirtualClock {
  private nowMs: number;
  private readonly listeners = new Set<AdvanceListener>();

  constructor(startMs: number = Date.UTC(2026, 0, 5, 8, 0, 0)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  nowDate(): Date {
    return new Date(this.nowMs);
  }

  /** Seconds since `fromMs`, on this clock. */
  secondsSince(fromMs: number): number {
    return (this.nowMs - fromMs) / 1000;
  }

  /** Moves time forward (never back) and tells the listeners, in registration order. */
  advanceTo(targetMs: number): void {
    if (targetMs <= this.nowMs) return;
    this.nowMs = targetMs;
    for (const listener of this.listeners) listener(this.nowMs);
  }

  advanceBy(seconds: number): void {
    this.advanceTo(this.nowMs + Math.max(0, seconds) * 1000);
  }

  onAdvance(listener: AdvanceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

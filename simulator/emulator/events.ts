/**
 * The fleet's future: state changes scheduled at virtual times (an install finishing, a replication
 * reaching CONTINUOUS, an instance booting). Applied in time order when the clock moves, so a jump
 * of the clock over several changes replays them in the order they would have happened.
 */
interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly run: (at: number) => void;
}

export class EventQueue {
  private readonly queue: Scheduled[] = [];
  private seq = 0;

  schedule(at: number, run: (at: number) => void): void {
    const item = { at, seq: this.seq++, run };
    // binary search keeps the queue sorted by (at, seq)
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.queue[mid].at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
  }

  /** Runs every change due at or before `now`, including changes those changes schedule. */
  runUntil(now: number): void {
    while (this.queue.length > 0 && this.queue[0].at <= now) {
      const item = this.queue.shift()!;
      item.run(item.at);
    }
  }

  nextTime(): number | undefined {
    return this.queue[0]?.at;
  }

  get size(): number {
    return this.queue.length;
  }
}

/**
 * The live progress view of wave runs, one line per wave: elapsed time, the last completed phase,
 * where the run is, and its servers by state (with replication progress). `mgnctl simulate` draws it
 * from the simulator's progress events, `mgnctl status` from a deployed run's records in the wave
 * bucket: on a TTY the block is redrawn in place, otherwise a line is printed when a wave completes
 * a phase.
 */
// type-only: the simulator's progress events are what this view draws; status builds the same shape
import type { FleetStatus, WaveProgress } from '../simulator/runner/session';

export type { FleetStatus, WaveProgress };

/** 3725 -> "t+01:02:05" */
export const clockText = (seconds: number): string => {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  return `t+${String(h).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

export const fleetText = (fleet: FleetStatus | undefined): string => {
  if (!fleet) return '';
  const states = Object.entries(fleet.lifecycle)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  const repl =
    fleet.replicationPercent !== undefined ? `, replication ${fleet.replicationPercent.toFixed(0)}%` : '';
  return ` | ${states}${repl}`;
};

/** The redrawn line of one wave. */
export const progressLine = (p: WaveProgress): string =>
  `${p.waveId.padEnd(20)} ${clockText(p.simulatedSeconds)}  after ${String(p.lastCompletedPhase ?? '-').padEnd(14)} at ${p.state}${fleetText(p.fleet)}`;

/** The line printed when a wave completes a phase (no TTY). */
export const phaseDoneLine = (p: WaveProgress): string =>
  `[${clockText(p.simulatedSeconds)}] ${p.waveId}: ${p.lastCompletedPhase ?? ''} done${fleetText(p.fleet)}`;

/** Live progress: a redrawn block on a TTY, one line per completed phase otherwise. */
export class ProgressDisplay {
  private readonly latest = new Map<string, { progress: WaveProgress; detail: readonly string[] }>();
  private readonly logged = new Map<string, string>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void = (text) => void process.stdout.write(text),
  ) {}

  start(): void {
    if (this.tty) this.timer = setInterval(() => this.redraw(), 250);
  }

  /** `detail`: lines drawn under the wave's line on a TTY (status's per-phase table). */
  update(p: WaveProgress, detail: readonly string[] = []): void {
    this.latest.set(p.waveId, { progress: p, detail });
    if (this.tty) return;
    const phase = p.lastCompletedPhase ?? '';
    if (phase && this.logged.get(p.waveId) !== phase) {
      this.logged.set(p.waveId, phase);
      this.write(`${phaseDoneLine(p)}\n`);
    }
  }

  private redraw(): void {
    const lines = [...this.latest.values()].flatMap(({ progress, detail }) => [
      progressLine(progress),
      ...detail,
    ]);
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}A`);
    for (const line of lines) this.write(`\x1b[2K${line}\n`);
    this.drawn = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.redraw();
  }
}

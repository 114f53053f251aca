/**
 * UNTIL THE FLOW WRITES LAUNCH SETTINGS (issue 10, section 3).
 *
 * The emulator refuses a launch whose template names no subnet, as AWS does in an account without a
 * default VPC, so a wave run by today's flow fails at test launch (test/simulator/launch-settings.test.ts
 * proves it). Tests about other things (interruptions, faults, concurrency, reports, the CLI) run with
 * the emulator's TEST-ONLY `legacyLaunchTemplates: "prefilled"`, which writes for each server what the
 * flow is meant to write. Every use goes through this file: once the flow lands, delete it and the
 * compiler lists each test to switch back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PREFILLED_LAUNCH_TEMPLATES = { legacyLaunchTemplates: 'prefilled' } as const;

/** A copy of a scenario file (or of an empty scenario) with the prefilled templates, written into `dir`. */
export function scenarioFileWithPrefilledTemplates(dir: string, source?: string): string {
  const scenario = source ? (JSON.parse(readFileSync(source, 'utf8')) as Record<string, unknown>) : {};
  const path = join(dir, `prefilled-${source ? source.split('/').pop()! : 'scenario.json'}`);
  writeFileSync(path, JSON.stringify({ ...scenario, ...PREFILLED_LAUNCH_TEMPLATES }));
  return path;
}

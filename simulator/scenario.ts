/**
 * A simulator scenario: how the emulated fleet behaves (disk sizes, bandwidth, install time),
 * which servers fail where, how often the APIs throttle, how the approval is answered and where
 * executions are interrupted. Validated like the manifest: unknown keys and bad values are errors.
 */
import { z } from 'zod';
import { parseOrThrow } from '../functions/lib/validation';

export const FAULT_KINDS = [
  'precheck-fails',
  'install-fails',
  'replication-stalls',
  'test-launch-fails',
  'test-check-fails',
  'cutover-launch-fails',
  'agent-offline',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The phase names of a wave run live with the flow (functions/lib/phases.ts); re-exported here for the simulator.
 * Fault kinds fail a server in these phases: precheck-fails -> precheck, install-fails -> install,
 * replication-stalls -> replication, test-launch-fails -> test-launch, test-check-fails -> test-verify,
 * cutover-launch-fails -> cutover-launch, agent-offline (the host's SSM agent stops answering after its
 * precheck, so Run Command refuses every command naming it) -> install.
 */
import { PHASES, type PhaseName } from '../functions/lib/phases';
export { PHASES, type PhaseName };

export const FAULT_PHASE: Record<FaultKind, PhaseName> = {
  'precheck-fails': 'precheck',
  'install-fails': 'install',
  'replication-stalls': 'replication',
  'test-launch-fails': 'test-launch',
  'test-check-fails': 'test-verify',
  'cutover-launch-fails': 'cutover-launch',
  'agent-offline': 'install',
};

const positive = (field: string, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .positive(`${field} must be > 0`)
    .max(max, `${field} must be <= ${max}`);

export const scenarioSchema = z.strictObject({
  seed: z
    .number()
    .int('seed must be an integer')
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  defaults: z
    .strictObject({
      diskGiB: positive('diskGiB', 65536).optional(),
      bandwidthMbps: positive('bandwidthMbps', 100000).optional(),
      installSeconds: positive('installSeconds', 86400).optional(),
    })
    .optional(),
  servers: z
    .record(
      z.string(),
      z.strictObject({
        diskGiB: positive('diskGiB', 65536).optional(),
        bandwidthMbps: positive('bandwidthMbps', 100000).optional(),
        installSeconds: positive('installSeconds', 86400).optional(),
        fault: z
          .enum(FAULT_KINDS, {
            error: (iss) =>
              `${JSON.stringify(iss.input)} is not a fault; use one of ${FAULT_KINDS.join(', ')}`,
          })
          .optional(),
      }),
    )
    .optional(),
  throttle: z
    .strictObject({ rate: z.number().min(0, 'rate must be 0..1').max(1, 'rate must be 0..1') })
    .optional(),
  approval: z
    .enum(['approve', 'reject'], {
      error: (iss) => `${JSON.stringify(iss.input)} is not allowed; use "approve" or "reject"`,
    })
    .optional(),
  /** Account quotas the emulator enforces (extension). Default replicatingServers 1000, as after a quota increase. */
  quotas: z
    .strictObject({
      replicatingServers: z
        .number()
        .int()
        .min(1, 'replicatingServers must be 1..10000')
        .max(10000, 'replicatingServers must be 1..10000')
        .optional(),
    })
    .optional(),
  /** Emulator and runner chaos for the fault matrix (extension); each rate is a share of calls, 0..1. */
  chaos: z
    .strictObject({
      internalErrorRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
      dropConnectionRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
      slowResponseRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
      lambdaErrorRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
    })
    .optional(),
  /**
   * STS in the emulator (extension): every AssumeRole answer embeds `credentialCanary` in its secret
   * key and session token, so tests can prove the credentials never reach logs, reports or history.
   */
  sts: z
    .strictObject({
      credentialCanary: z
        .string()
        .regex(/^[A-Za-z0-9]{8,64}$/, 'credentialCanary must be 8-64 letters or digits')
        .optional(),
    })
    .optional(),
  interruptions: z
    .array(
      z.strictObject({
        afterPhase: z.enum(PHASES, {
          error: (iss) => `${JSON.stringify(iss.input)} is not a phase; use one of ${PHASES.join(', ')}`,
        }),
      }),
    )
    .max(20)
    .optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;

export const SCENARIO_DEFAULTS = {
  diskGiB: 100,
  bandwidthMbps: 500,
  installSeconds: 180,
  replicatingServers: 1000,
} as const;

export const parseScenario = (input: unknown): Scenario => parseOrThrow(scenarioSchema, input, 'scenario');

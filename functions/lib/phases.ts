/**
 * The phase names of a wave run, in order. Reports, timelines and the simulator's interruptions
 * (`interruptions[].afterPhase`) use them; `WaveContext.lastCompletedPhase` is one of them.
 */
export const PHASES = [
  'validate',
  'preflight',
  'precheck',
  'install',
  'replication',
  'test-launch',
  'test-verify',
  'approval',
  'cutover-prep',
  'cutover-launch',
  'cutover-verify',
  /** the finalize gate (options.finalizeApproval): after the soak, approve, reject or revert */
  'finalize-approval',
  'finalize',
  'report',
] as const;
export type PhaseName = (typeof PHASES)[number];

/**
 * The shapes that start a wave from outside the console, and how each becomes a Step Functions
 * execution: an EventBridge StartWave event (the rule passes `$.detail.manifest` as the input), a
 * `POST /waves` body (the API's mapping template: name `<waveId>-<runName>`, input the manifest or
 * `{manifestLocation}`) and a `POST /approvals` body. infra/constructs/wave-triggers.ts builds the
 * rule, the JSON schema models and the templates from these constants; validate-wave parses the
 * execution input with `parseExecutionInput`; tests reproduce the mapping with these functions.
 */
import * as z from 'zod';
import { APPROVAL_DECISION_NAMES, APPROVER_NOTE, taskAnswer, type TaskAnswer } from './approval-decisions';
import { checkSize, MAX_EXECUTION_INPUT_BYTES } from './input-text';
import { WAVE_ID } from './manifest';
import { InvalidInputError, parseOrThrow } from './validation';

/** The event that starts a wave on the custom bus. */
export const START_WAVE_EVENT = { source: 'mgn-orchestrator', detailType: 'StartWave' } as const;

/** Where the StartWave rule finds the execution input in the event. */
export const EVENT_INPUT_PATH = '$.detail.manifest';

/** `runName` in POST /waves: appended to the waveId to form the execution name. */
export const RUN_NAME = /^[A-Za-z0-9_-]{1,16}$/;

/** S3 bucket names the API accepts in manifestLocation. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What an approver may say about themselves (the body's `by`, kept as a note; the identity is the caller's). */
export const APPROVER = APPROVER_NOTE;

/** Step Functions execution names: 1-80 letters, digits, - and _. They become part of S3 keys. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

const waveId = z.string().regex(WAVE_ID, 'must be a wave id (letter or digit, then up to 62 letters, digits, _ -)');

export const manifestLocationSchema = z.strictObject({
  bucket: z.string().regex(BUCKET_NAME, 'must be an S3 bucket name (3-63 lowercase letters, digits, . -)'),
  key: z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
});
export type ManifestLocation = z.output<typeof manifestLocationSchema>;

/** The execution input: the manifest itself (validated by the manifest schema), or where it is stored. */
export type ExecutionInput = { readonly manifest: unknown } | { readonly manifestLocation: ManifestLocation };

/** What validate-wave receives as `input`: a `{manifestLocation}` object is a reference, anything else the manifest. */
export function parseExecutionInput(input: unknown): ExecutionInput {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'manifestLocation' in input)
    return parseOrThrow(z.strictObject({ manifestLocation: manifestLocationSchema }), input, 'execution input');
  checkSize(Buffer.byteLength(JSON.stringify(input ?? null)), 'execution input', '(input)', MAX_EXECUTION_INPUT_BYTES);
  return { manifest: input };
}

/** An EventBridge event as delivered to targets (envelope fields beyond these are EventBridge's own). */
export const startWaveEventSchema = z.looseObject({
  source: z.literal(START_WAVE_EVENT.source, { error: `must be "${START_WAVE_EVENT.source}"` }),
  'detail-type': z.literal(START_WAVE_EVENT.detailType, { error: `must be "${START_WAVE_EVENT.detailType}"` }),
  detail: z.strictObject({ manifest: z.record(z.string(), z.unknown(), { error: 'must be the wave manifest (an object)' }) }),
});

/** The StartWave rule's mapping: the event's detail.manifest is the execution input. Refuses anything else by field. */
export function executionInputFromEvent(event: unknown): unknown {
  checkSize(Buffer.byteLength(JSON.stringify(event ?? null)), 'StartWave event', '(event)', MAX_EXECUTION_INPUT_BYTES);
  return parseOrThrow(startWaveEventSchema, event, 'StartWave event').detail.manifest;
}

export const startWaveRequestSchema = z
  .strictObject({
    waveId: waveId.optional(),
    runName: z.string().regex(RUN_NAME, 'must be 1-16 letters, digits, _ -').optional(),
    manifest: z.looseObject({ waveId }).optional(),
    manifestLocation: manifestLocationSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.manifest && body.manifestLocation)
      ctx.addIssue({ code: 'custom', path: ['manifestLocation'], message: 'give either manifest or manifestLocation, not both' });
    else if (!body.manifest && !body.manifestLocation)
      ctx.addIssue({ code: 'custom', path: ['manifest'], message: 'is required (or manifestLocation with waveId)' });
    else if (body.manifestLocation && !body.waveId) ctx.addIssue({ code: 'custom', path: ['waveId'], message: 'is required with manifestLocation' });
    else if (body.manifest && body.waveId && body.waveId !== body.manifest.waveId)
      ctx.addIssue({ code: 'custom', path: ['waveId'], message: `must match manifest.waveId (${JSON.stringify(body.manifest.waveId)})` });
  });

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `dd-Mon-yyyy` of the request's UTC day: API Gateway's `$context.requestTime` up to the first colon, "/" -> "-". */
export const requestDay = (at: Date): string =>
  `${String(at.getUTCDate()).padStart(2, '0')}-${MONTHS[at.getUTCMonth()]}-${at.getUTCFullYear()}`;

/** The StartExecution a POST /waves body becomes (wave-triggers.ts startExecutionTemplate, in TypeScript). */
export function executionFromApiRequest(body: unknown, requestedAt: Date): { name: string; input: unknown } {
  checkSize(Buffer.byteLength(JSON.stringify(body ?? null)), 'POST /waves body', '(body)', MAX_EXECUTION_INPUT_BYTES);
  const request = parseOrThrow(startWaveRequestSchema, body, 'POST /waves body');
  const id = request.manifest ? request.manifest.waveId : request.waveId!;
  const name = `${id}-${request.runName ?? requestDay(requestedAt)}`;
  if (!EXECUTION_NAME.test(name)) throw new InvalidInputError('POST /waves body', [`runName: the execution name ${JSON.stringify(name)} is longer than 80 characters`]);
  return { name, input: request.manifest ?? { manifestLocation: request.manifestLocation } };
}

export const approvalRequestSchema = z.strictObject({
  taskToken: z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'),
  decision: z.enum(APPROVAL_DECISION_NAMES, { error: `must be ${APPROVAL_DECISION_NAMES.map((d) => `"${d}"`).join(' or ')}` }),
  /** Optional note on who answers; the recorded identity is the caller's (`$context.identity.userArn`). */
  by: z.string().regex(APPROVER, 'must be 1-128 letters, digits, spaces or _ . @ : / + = , -').optional(),
  reason: z.string().max(256, 'must be at most 256 characters').optional(),
});
export type ApprovalRequest = z.output<typeof approvalRequestSchema>;

/** The authenticated caller of POST /approvals as API Gateway's AWS_IAM auth sees it. */
export interface ApiCaller {
  /** `$context.identity.userArn`: e.g. arn:aws:sts::111122223333:assumed-role/MigrationApprover/alice */
  readonly userArn: string;
}

/**
 * The task-token answer a POST /approvals body becomes (wave-triggers.ts approvalTemplate, in
 * TypeScript): `by` is the caller's identity, the body's `by` only a note.
 */
export function approvalAnswerFromApiRequest(body: unknown, caller: ApiCaller): TaskAnswer {
  const r = parseOrThrow(approvalRequestSchema, body, 'POST /approvals body');
  return taskAnswer(r.decision, r.taskToken, { by: caller.userArn, ...(r.by ? { note: r.by } : {}), ...(r.reason !== undefined ? { reason: r.reason } : {}) });
}

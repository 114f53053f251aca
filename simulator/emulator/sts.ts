/**
 * STS (AWS query protocol): AssumeRole hands out short-lived credentials (installer role, cross
 * account), GetCallerIdentity says who the caller is. Credentials are random (plus the scenario's
 * sts.credentialCanary, if any) and never traced.
 */
import type { CredentialStore } from './auth';
import { ApiError } from './errors';
import type { QueryOperation } from './ec2';
import { ACCOUNT_ID } from './fleet';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

function validationError(message: string): ApiError {
  return new ApiError('ValidationError', message, 400);
}

/** STS's operations; the temporary credentials AssumeRole hands out are valid (with their session token) for later calls. */
export const stsOperations = (credentials: CredentialStore): Record<string, QueryOperation> => ({
  AssumeRole: {
    run(input, ctx) {
      const missing = ['RoleArn', 'RoleSessionName'].filter((k) => input[k] === undefined);
      if (missing.length)
        throw validationError(
          `${missing.length} validation error${missing.length > 1 ? 's' : ''} detected: ${missing.map((k) => `Value null at '${k[0].toLowerCase()}${k.slice(1)}' failed to satisfy constraint: Member must not be null`).join('; ')}`,
        );
      const roleArn = String(input.RoleArn);
      const session = String(input.RoleSessionName);
      if (!ROLE_ARN.test(roleArn)) throw validationError(`${roleArn} is invalid: RoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
      if (!SESSION_NAME.test(session))
        throw validationError(`1 validation error detected: Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
      const duration = input.DurationSeconds === undefined ? 3600 : Number(input.DurationSeconds);
      if (!Number.isInteger(duration) || duration < 900 || duration > 43200)
        throw validationError(`1 validation error detected: Value '${String(input.DurationSeconds)}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
      const account = roleArn.split(':')[4];
      const roleName = roleArn.split('/').pop()!;
      const roleId = `AROA${ctx.fleet.randomHex(17).toUpperCase()}`;
      const accessKeyId = `ASIA${ctx.fleet.randomHex(16).toUpperCase()}`;
      // the canary (tests of secret handling) replaces the start of the secret and rides in the token
      const secretAccessKey = `${ctx.fleet.credentialCanary}${ctx.fleet.randomHex(40)}`.slice(0, 40);
      const sessionToken = `FwoGZXIvYXdzE${ctx.fleet.credentialCanary}${ctx.fleet.randomHex(120)}`;
      credentials.add(accessKeyId, { secretAccessKey, sessionToken });
      return {
        Credentials: {
          AccessKeyId: accessKeyId,
          SecretAccessKey: secretAccessKey,
          SessionToken: sessionToken,
          Expiration: new Date(ctx.fleet.now() + duration * 1000).toISOString(),
        },
        AssumedRoleUser: { AssumedRoleId: `${roleId}:${session}`, Arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${session}` },
        PackedPolicySize: input.Policy === undefined ? undefined : 6,
      };
    },
  },

  GetCallerIdentity: {
    run(_input, ctx) {
      return { UserId: `AIDA${ctx.accessKeyId.slice(-12).toUpperCase().replace(/[^A-Z0-9]/g, 'X').padStart(12, 'X')}`, Account: ACCOUNT_ID, Arn: `arn:aws:iam::${ACCOUNT_ID}:user/emulator` };
    },
  },
});

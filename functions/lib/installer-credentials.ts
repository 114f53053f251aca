/**
 * Where the short-lived installer credentials are staged for the hosts that install with
 * installer-role: one SecureString per run and region, at a path nobody can guess, encrypted with
 * the stack's own KMS key of that region (never SSM's default aws/ssm key, which every principal of
 * the account allowed to call SSM may use), deleted when the install phase ends.
 *
 * SSM encrypts and decrypts a standard SecureString under the encryption context
 * `PARAMETER_ARN` = the parameter's ARN (AWS KMS developer guide, "How AWS Systems Manager
 * Parameter Store uses AWS KMS"), so the key policy can admit decryption of these parameters only.
 */
import { randomBytes } from 'node:crypto';

/** Every staged credentials parameter lives under this path (IAM and the key policy name it). */
export const INSTALLER_PARAMETER_ROOT = '/mgn-orchestrator/installer-credentials';

/** 128 random bits, hex: the part of the name nobody can guess or enumerate. */
export const PARAMETER_NONCE = /^[0-9a-f]{32}$/;

/** A fresh, unguessable parameter name for one run of a wave. */
export function newCredentialsParameterName(waveId: string, nonce: string = randomBytes(16).toString('hex')): string {
  if (!PARAMETER_NONCE.test(nonce)) throw new RangeError(`nonce must be 32 hex digits, got ${JSON.stringify(nonce)}`);
  return `${INSTALLER_PARAMETER_ROOT}/${waveId}/${nonce}`;
}

/** The alias of a stack's installer-credentials key: the same name in every region the stack deploys a key to. */
export const installerCredentialsKeyAlias = (stackName: string): string => `alias/${stackName}/installer-credentials`;

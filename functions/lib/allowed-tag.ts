/**
 * The tag that marks an instance (EC2 or hybrid managed instance `mi-…`) as one the orchestrator may
 * send Run Command to. IAM enforces it (the step roles' ssm:SendCommand on instances and managed
 * instances carries `ssm:resourceTag/<key>` = `<value>`; Service Authorization Reference for AWS
 * Systems Manager, SendCommand), preflight checks it before anything is touched, and the launch steps
 * put it on the test and cutover instances they launch so the verify steps may still reach them.
 */
import { ConfigurationError } from './errors';

export interface AllowedTag {
  readonly key: string;
  readonly value: string;
}

export const DEFAULT_ALLOWED_TAG: AllowedTag = { key: 'mgn-orchestrator:allowed', value: 'true' };

/** `key=value`, the form of the ALLOWED_TAG environment variable. */
export const formatAllowedTag = (tag: AllowedTag): string => `${tag.key}=${tag.value}`;

/** Parses ALLOWED_TAG (`key=value`, split at the first `=`); the default tag when unset. */
export function parseAllowedTag(raw: string | undefined): AllowedTag {
  if (raw === undefined || raw.trim() === '') return DEFAULT_ALLOWED_TAG;
  const eq = raw.indexOf('=');
  if (eq <= 0 || eq === raw.length - 1)
    throw new ConfigurationError(`ALLOWED_TAG ${JSON.stringify(raw)} is not key=value (like ${formatAllowedTag(DEFAULT_ALLOWED_TAG)})`);
  return { key: raw.slice(0, eq), value: raw.slice(eq + 1) };
}

/** Whether a resource's tags hold the allowed tag. */
export const carriesAllowedTag = (tags: Readonly<Record<string, string>> | undefined, tag: AllowedTag): boolean =>
  tags?.[tag.key] === tag.value;

/** Why a source without the tag is set aside, naming the tag and the fix. */
export function untaggedReason(instanceId: string, region: string, tag: AllowedTag, kind: 'ec2' | 'managed-instance'): string {
  const fix =
    kind === 'ec2'
      ? `aws ec2 create-tags --region ${region} --resources ${instanceId} --tags Key=${tag.key},Value=${tag.value}`
      : `aws ssm add-tags-to-resource --region ${region} --resource-type ManagedInstance --resource-id ${instanceId} --tags Key=${tag.key},Value=${tag.value}`;
  return `source ${instanceId} in ${region} does not carry the tag ${tag.key}=${tag.value} (the deploy config's allowedTag): the orchestrator may send Run Command only to instances with it, so nothing was sent; tag it (${fix}) and re-run the wave`;
}

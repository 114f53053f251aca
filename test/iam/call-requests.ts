/**
 * What IAM authorises for one AWS call the emulator served: the call's own action on each resource
 * it names (ARNs built from the call's parameters with the resource types the Service
 * Authorization Reference lists for that action, `*` when it lists none), with the request
 * context its conditions can read (the resource's tags as the emulator knows them), plus the
 * requests AWS documents as needed alongside the call but the reference does not list:
 *
 * - mgn:StartTest / StartCutover / TerminateTargetInstances: what MGN does with the caller's
 *   permissions while launching (mgn-launch.ts, from AWSApplicationMigrationEC2Access);
 * - sns:Publish to a topic with SSE-KMS: kms:GenerateDataKey and kms:Decrypt on its key
 *   (Amazon SNS developer guide, "Encryption at rest": the publisher needs both on the key);
 * - ssm:PutParameter of a SecureString with a customer managed KeyId: kms:Encrypt on that key, through
 *   SSM, under the encryption context PARAMETER_ARN (AWS KMS developer guide, "How AWS Systems Manager
 *   Parameter Store uses AWS KMS": a standard parameter is encrypted with Encrypt as the caller);
 * - s3:GetObject answered NoSuchKey: s3:ListBucket on the bucket, without which S3 answers 403
 *   AccessDenied instead of 404 for a missing key (S3 API reference, GetObject "Permissions").
 */
import type { ObservedCall, ResourceFacts } from './simulated-run';
import { mgnLaunchRequests, type LaunchPlacement } from './mgn-launch';
import { fillArn, parseArn, referenceAction, type ReferenceResourceType } from './service-reference';

export type ContextValue = string | string[];

export interface AuthorizationRequest {
  readonly action: string;
  /** The resource ARN, or `*` for an action the reference lists no resource type for. */
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  readonly context: Readonly<Record<string, ContextValue>>;
  /** Set for a request implied by the call rather than its own action: the documented reason. */
  readonly dependency?: string;
  /** The endpoint the request travels through (the caller's own HTTP request): region and IAM service prefix. */
  readonly endpoint?: { readonly region: string; readonly service: string };
}

export interface MappingContext {
  readonly partition: string;
  /** The deployed account (the simulation's account is translated to it before mapping). */
  readonly account: string;
  readonly facts: ResourceFacts;
  readonly placement: LaunchPlacement;
  /** The KMS key of an encrypted topic (from the stack), undefined for an unencrypted one. */
  readonly topicKeyArn: (topicArn: string) => string | undefined;
  /** The ARN of the stack's KMS key a PutParameter KeyId (alias name) names in a region, undefined when the stack has none there. */
  readonly parameterKeyArn?: (region: string, keyId: string) => string | undefined;
}

/** The emulator's service names that are not the IAM service prefix. */
const IAM_PREFIX: Readonly<Record<string, string>> = { 'service-quotas': 'servicequotas' };

/** Operations whose IAM action is not `<prefix>:<Operation>` (Service Authorization Reference). */
const OPERATION_ACTION: Readonly<Record<string, string>> = {
  's3:HeadObject': 's3:GetObject',
  's3:HeadBucket': 's3:ListBucket',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:ListObjects': 's3:ListBucket',
  's3:GetObjectAttributes': 's3:GetObject',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : str(v) ? [v as string] : [];

/** One resource a call names, as variables of its ARN format (or the ARN itself), and its tags. */
interface NamedResource {
  readonly vars?: Readonly<Record<string, string>>;
  readonly arn?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Service condition keys the call itself sets (e.g. servicequotas:service). */
  readonly context?: Readonly<Record<string, ContextValue>>;
}

type Extractor = (call: ObservedCall, ctx: MappingContext) => NamedResource[];

const sourceServers: Extractor = (call, ctx) =>
  [...strings(call.params.sourceServerIDs), ...strings(call.params.sourceServerID)].map((id) => ({
    vars: { SourceServerID: id },
    tags: ctx.facts.tagsOf('source-server', id),
  }));

/** AWS-owned documents (AWS-RunShellScript, …) have no account in their ARN. */
const isAwsOwnedDocument = (name: string) => /^AWS/.test(name);

/**
 * How each resource type of the reference is named in a call's parameters. Keyed by
 * `<prefix>:<resource type key>` (lower case). A resource type the call does not name yields [].
 */
const EXTRACTORS: Readonly<Record<string, Extractor>> = {
  'mgn:sourceserverresource': sourceServers,
  'mgn:jobresource': (call) => strings(call.params.jobID).map((id) => ({ vars: { JobID: id } })),
  'mgn:replicationconfigurationtemplateresource': (call) =>
    strings(call.params.replicationConfigurationTemplateID).map((id) => ({
      vars: { ReplicationConfigurationTemplateID: id },
    })),
  'mgn:launchconfigurationtemplateresource': (call) =>
    strings(call.params.launchConfigurationTemplateID).map((id) => ({
      vars: { LaunchConfigurationTemplateID: id },
    })),
  'mgn:applicationresource': (call) =>
    [...strings(call.params.applicationID), ...strings(call.params.applicationIDs)].map((id) => ({ vars: { ApplicationID: id } })),
  'mgn:waveresource': (call) => strings(call.params.waveID).map((id) => ({ vars: { WaveID: id } })),
  'ssm:document': (call) =>
    strings(call.params.DocumentName).map((name) => ({
      vars: { DocumentName: name, ...(isAwsOwnedDocument(name) ? { Account: '' } : {}) },
    })),
  'ssm:instance': (call, ctx) =>
    strings(call.params.InstanceIds)
      .filter((id) => id.startsWith('i-'))
      .map((id) => ({ vars: { InstanceId: id }, tags: ctx.facts.tagsOf('instance', id) })),
  'ssm:managed-instance': (call, ctx) =>
    [...strings(call.params.InstanceIds), ...(call.params.ResourceType === 'ManagedInstance' ? strings(call.params.ResourceId) : [])]
      .filter((id) => id.startsWith('mi-'))
      .map((id) => ({ vars: { InstanceId: id }, tags: ctx.facts.tagsOf('managed-instance', id) })),
  'ssm:parameter': (call) =>
    [...strings(call.params.Name), ...strings(call.params.Names)].map((n) => ({
      vars: { ParameterNameWithoutLeadingSlash: n.replace(/^\//, '') },
    })),
  'ssm:bucket': (call) => strings(call.params.OutputS3BucketName).map((b) => ({ vars: { BucketName: b } })),
  'ec2:instance': (call, ctx) =>
    [...strings(call.params.InstanceId), ...strings(call.params.InstanceIds)].map((id) => ({
      vars: { InstanceId: id },
      tags: ctx.facts.tagsOf('instance', id),
    })),
  'ec2:launch-template': (call, ctx) =>
    strings(call.params.LaunchTemplateId).map((id) => ({
      vars: { LaunchTemplateId: id },
      tags: ctx.facts.tagsOf('launch-template', id),
    })),
  's3:object': (call) => {
    const bucket = str(call.params.Bucket);
    const key = str(call.params.Key);
    return bucket && key ? [{ vars: { BucketName: bucket, ObjectName: key } }] : [];
  },
  's3:bucket': (call) =>
    str(call.params.Bucket) && !str(call.params.Key)
      ? [{ vars: { BucketName: call.params.Bucket as string } }]
      : [],
  'sns:topic': (call) => strings(call.params.TopicArn).map((arn) => ({ arn })),
  'sts:role': (call) => strings(call.params.RoleArn).map((arn) => ({ arn })),
  // a Standard workflow's execution (the wave's state machine is Standard, never Express)
  'states:execution': (call) =>
    strings(call.params.executionArn)
      .filter((arn) => arn.split(':')[5] === 'execution')
      .map((arn) => ({ arn })),
  'servicequotas:quota': (call) => {
    const service = str(call.params.ServiceCode);
    const quota = str(call.params.QuotaCode);
    return service && quota
      ? [{ vars: { ServiceCode: service, QuotaCode: quota }, context: { 'servicequotas:service': service } }]
      : [];
  },
};

/** Context keys for a resource's tags: aws:ResourceTag/K, plus the service's own form when the reference lists it. */
function tagContext(
  type: ReferenceResourceType,
  tags: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!tags) return out;
  const prefixes = type.conditionKeys
    // the reference spells the managed-instance key `ssm:resourceTag/tag-key`; IAM reads it per tag key like the others
    .map((k) => /^([a-z0-9-]+:resourceTag)\/(\$\{TagKey\}|tag-key)$/i.exec(k)?.[1])
    .filter((p): p is string => !!p);
  for (const [k, v] of Object.entries(tags)) {
    out[`aws:ResourceTag/${k}`] = v;
    for (const p of prefixes) out[`${p}/${k}`] = v;
  }
  return out;
}

/** aws:RequestTag/K and aws:TagKeys for the tags a call puts on what it creates (MGN's `tags`). */
function requestTagContext(call: ObservedCall): Record<string, ContextValue> {
  const tags = call.params.tags;
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) return {};
  const entries = Object.entries(tags as Record<string, unknown>).filter(
    (e): e is [string, string] => typeof e[1] === 'string',
  );
  if (entries.length === 0) return {};
  return {
    ...Object.fromEntries(entries.map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': entries.map(([k]) => k),
  };
}

export const iamActionOf = (call: ObservedCall): string => {
  const prefix = IAM_PREFIX[call.service] ?? call.service;
  const natural = `${prefix}:${call.operation}`;
  return OPERATION_ACTION[natural] ?? natural;
};

/** Every authorisation request behind one observed call. Throws, naming what to add, for a call it cannot map. */
export async function requestsForCall(
  call: ObservedCall,
  ctx: MappingContext,
): Promise<AuthorizationRequest[]> {
  const action = iamActionOf(call);
  const ref = await referenceAction(action);
  if (!ref)
    throw new Error(
      `${call.step} called ${call.service}:${call.operation}, which is not an IAM action of the Service Authorization Reference: map it in OPERATION_ACTION (test/iam/call-requests.ts)`,
    );
  const endpoint = { region: call.region, service: action.split(':')[0] };
  const base = { action: ref.action, resourceAccount: ctx.account, endpoint };
  const own: AuthorizationRequest[] = [];
  if (ref.resourceTypes.length === 0) own.push({ ...base, resource: '*', context: requestTagContext(call) });
  else {
    for (const type of ref.resourceTypes) {
      const extractor = EXTRACTORS[`${action.split(':')[0]}:${type.key.toLowerCase()}`];
      for (const named of extractor ? extractor(call, ctx) : []) {
        const arn =
          named.arn ??
          fillArn(type.arnFormat, {
            Partition: ctx.partition,
            Region: call.region,
            Account: ctx.account,
            ...named.vars,
          });
        const parsed = parseArn(type.arnFormat, arn);
        if (!parsed && named.vars?.Account !== '')
          throw new Error(`${call.step} ${ref.action}: ${arn} is not a ${type.key} ARN (${type.arnFormat})`);
        own.push({
          ...base,
          resource: arn,
          resourceAccount: parsed?.Account || ctx.account,
          context: { ...tagContext(type, named.tags), ...requestTagContext(call), ...named.context },
        });
      }
    }
    if (own.length === 0)
      throw new Error(
        `${call.step} ${ref.action} (${call.seenIn}): cannot tell its resource from the call's parameters ${JSON.stringify(call.params).slice(0, 200)}; the reference lists ${ref.resourceTypes.map((t) => t.key).join(', ')}: add an extractor in test/iam/call-requests.ts`,
      );
  }
  return [...own, ...(await dependentRequests(call, ref.action, ctx))];
}

async function dependentRequests(
  call: ObservedCall,
  action: string,
  ctx: MappingContext,
): Promise<AuthorizationRequest[]> {
  switch (action) {
    case 'mgn:StartTest':
    case 'mgn:StartCutover':
    case 'mgn:TerminateTargetInstances':
      return (
        await Promise.all(
          strings(call.params.sourceServerIDs).map((id) =>
            mgnLaunchRequests(action, {
              region: call.region,
              sourceServerId: id,
              partition: ctx.partition,
              account: ctx.account,
              facts: ctx.facts,
              placement: ctx.placement,
              launchedProfile:
                action === 'mgn:TerminateTargetInstances' ? undefined : ctx.facts.ownProfileOf(id, action === 'mgn:StartTest' ? 'test' : 'cutover'),
            }),
          ),
        )
      ).flat();
    case 'sns:Publish': {
      const topic = str(call.params.TopicArn);
      const key = topic ? ctx.topicKeyArn(topic) : undefined;
      if (!key) return [];
      const why =
        'publishing to a topic encrypted with a KMS key needs kms:GenerateDataKey and kms:Decrypt on that key (Amazon SNS developer guide, Encryption at rest)';
      const context = {
        'kms:ViaService': `sns.${call.region}.amazonaws.com`,
        'aws:ViaAWSService': 'true',
        'aws:CalledVia': ['sns.amazonaws.com'],
      };
      return ['kms:GenerateDataKey', 'kms:Decrypt'].map((a) => ({
        action: a,
        resource: key,
        resourceAccount: ctx.account,
        context,
        dependency: why,
      }));
    }
    case 'ssm:PutParameter': {
      const keyId = str(call.params.KeyId);
      const name = str(call.params.Name);
      if (!keyId || !name || call.params.Type !== 'SecureString' || keyId === 'alias/aws/ssm') return [];
      const key = ctx.parameterKeyArn?.(call.region, keyId);
      if (!key) throw new Error(`${call.step} ssm:PutParameter names KMS key ${keyId} in ${call.region}, which the stack has not: map it in parameterKeyArn (test/iam/check.ts)`);
      return [
        {
          action: 'kms:Encrypt',
          resource: key,
          resourceAccount: ctx.account,
          context: {
            'kms:ViaService': `ssm.${call.region}.amazonaws.com`,
            'kms:CallerAccount': ctx.account,
            'kms:EncryptionContext:PARAMETER_ARN': `arn:${ctx.partition}:ssm:${call.region}:${ctx.account}:parameter/${name.replace(/^\//, '')}`,
            'aws:ViaAWSService': 'true',
            'aws:CalledVia': ['ssm.amazonaws.com'],
          },
          dependency:
            'SSM encrypts a standard SecureString with kms:Encrypt as the caller, under the encryption context PARAMETER_ARN (AWS KMS developer guide, How AWS Systems Manager Parameter Store uses AWS KMS)',
        },
      ];
    }
    case 's3:GetObject': {
      if (call.outcome !== 'NoSuchKey') return [];
      const bucket = str(call.params.Bucket);
      if (!bucket) return [];
      return [
        {
          action: 's3:ListBucket',
          resource: `arn:${ctx.partition}:s3:::${bucket}`,
          resourceAccount: ctx.account,
          context: {},
          endpoint: { region: call.region, service: 's3' },
          dependency:
            'S3 answers a missing key with 404 NoSuchKey only to a caller with s3:ListBucket on the bucket, with 403 AccessDenied otherwise (S3 API reference, GetObject); the flow treats the 404 as "not there yet"',
        },
      ];
    }
    default:
      return [];
  }
}

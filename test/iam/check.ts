/**
 * The IAM check for one deploy config: synthesise its stack, simulate the example wave under each
 * scenario, map every served call to the authorisation requests behind it, and evaluate each
 * against the policies of the role of the step that made it.
 */
import { STEPS } from '../../functions/lib/steps';
import { ENV } from '../../functions/lib/steps';
import managedEc2Access from './managed-policies/AWSApplicationMigrationEC2Access.json';
import { requestsForCall, type AuthorizationRequest, type MappingContext } from './call-requests';
import { evaluate, type Decision, type EvaluationTarget } from './evaluate';
import type { LaunchPlacement } from './mgn-launch';
import {
  exampleWave,
  simulateWave,
  waveForDeployConfig,
  type ObservedCall,
  type ScenarioRun,
  type SimulatedRun,
} from './simulated-run';
import {
  resolverFor,
  rolePolicies,
  synthesise,
  type PolicyDocument,
  type RolePolicy,
  type SynthesisedStack,
  type TemplateResolver,
} from './stack-policies';

export const PARTITION = 'aws';

/** AWS managed policies whose documents this folder holds (a role attaching another fails the check). */
export const MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  AWSApplicationMigrationEC2Access: managedEc2Access as PolicyDocument,
};

/** One distinct request of one step, with where it was first seen and how often. */
export interface CheckedRequest {
  readonly step: string;
  readonly request: AuthorizationRequest;
  readonly decision: Decision;
  /** The call behind it: "<service>:<Operation> (<scenario> #<seq>)". */
  readonly seenIn: string;
  count: number;
}

export interface StepRole {
  readonly step: string;
  readonly roleId: string;
  readonly principal: string;
  readonly policies: readonly RolePolicy[];
}

/** The policies on a request's path besides the role's: the resource's own and the stack's VPC endpoint's. */
export interface PathPolicies {
  resourcePolicy(resource: string): PolicyDocument | undefined;
  endpointPolicy(region: string, service: string): { name: string; document: PolicyDocument } | undefined;
}

export interface ConfigCheck {
  readonly stack: SynthesisedStack;
  readonly account: string;
  readonly path: PathPolicies;
  readonly runs: readonly SimulatedRun[];
  readonly roles: Readonly<Record<string, StepRole>>;
  readonly requests: readonly CheckedRequest[];
  readonly calls: number;
}

const sortedJson = (o: Readonly<Record<string, unknown>>) =>
  JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));
export const requestKey = (step: string, r: AuthorizationRequest) =>
  `${step}|${r.action}|${r.resource}|${sortedJson(r.context)}`;

/** The simulation names its own account; the deployed stack may name another: translate every value. */
function inAccount<T>(value: T, from: string, to: string): T {
  if (from === to) return value;
  return JSON.parse(JSON.stringify(value).split(from).join(to)) as T;
}

function envExpression(stack: SynthesisedStack, step: string, name: string): unknown {
  const fn = stack.template.Resources[stack.functionOfStep[step]];
  return (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
    name
  ];
}

/** The first value the stack gives `name` in any step's environment, resolved. */
function stackValue(stack: SynthesisedStack, resolver: TemplateResolver, name: string): string | undefined {
  for (const step of Object.keys(stack.functionOfStep)) {
    const expression = envExpression(stack, step, name);
    if (expression !== undefined) return resolver.resolveString(expression);
  }
  return undefined;
}

/** Where MGN puts what it launches in this stack: its own environment for the launch steps, resolved. */
function placementOf(stack: SynthesisedStack, resolver: TemplateResolver): LaunchPlacement {
  const ids = (name: string) => (stackValue(stack, resolver, name) ?? '').split(',').filter(Boolean);
  const profileName = stackValue(stack, resolver, ENV.launchedInstanceProfileName);
  let launchedInstanceRoleArn: string | undefined;
  if (profileName) {
    const [profileId, profile] =
      Object.entries(stack.template.Resources).find(
        ([id, r]) => r.Type === 'AWS::IAM::InstanceProfile' && resolver.ref(id) === profileName,
      ) ?? [];
    const roleRef = (profile?.Properties?.Roles as { Ref?: string }[] | undefined)?.[0]?.Ref;
    if (!profileId || !roleRef)
      throw new Error(
        `the stack gives launched instances the profile ${profileName} but defines no such instance profile with a role`,
      );
    launchedInstanceRoleArn = resolver.getAtt(roleRef, 'Arn') as string;
  }
  const vpcs = Object.keys(stack.template.Resources).filter(
    (id) => stack.template.Resources[id].Type === 'AWS::EC2::VPC',
  );
  const network = stack.config.network;
  return {
    stagingSubnetId: stackValue(stack, resolver, ENV.stagingSubnetId),
    testSubnetIds: ids(ENV.testSubnetIds),
    cutoverSubnetIds: ids(ENV.cutoverSubnetIds),
    securityGroupIds: [stackValue(stack, resolver, ENV.targetSecurityGroupId)].filter(
      (v): v is string => !!v,
    ),
    vpcId:
      network.mode === 'existing' ? network.vpcId : vpcs.length === 1 ? resolver.ref(vpcs[0]) : undefined,
    launchedInstanceRoleArn,
    profileRoles: new Map(stack.config.launchInstanceProfiles.map((p) => [p.name, p.roleArn])),
  };
}

/** The stack's KMS keys by alias name (a PutParameter KeyId), as key ARNs; the stack deploys to one region. */
function aliasKeys(stack: SynthesisedStack, resolver: TemplateResolver): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of Object.values(stack.template.Resources))
    if (r.Type === 'AWS::KMS::Alias' && r.Properties)
      out.set(resolver.resolveString(r.Properties.AliasName), resolver.resolveString(r.Properties.TargetKeyId));
  return out;
}

/** The KMS key of each encrypted topic of the stack, by topic ARN. */
function topicKeys(stack: SynthesisedStack, resolver: TemplateResolver): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, r] of Object.entries(stack.template.Resources))
    if (r.Type === 'AWS::SNS::Topic' && r.Properties?.KmsMasterKeyId !== undefined)
      out.set(resolver.ref(id), resolver.resolveString(r.Properties.KmsMasterKeyId));
  return out;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Bucket policies, topic policies and key policies of the stack by the ARNs they govern, and the
 * policy of each interface endpoint by the service it serves in the stack's region. Endpoint
 * policies say `Principal: {"AWS": "*"}`, which IAM treats as `"*"` (the form iam-simulate takes).
 */
function pathPolicies(stack: SynthesisedStack, resolver: TemplateResolver): PathPolicies {
  const byArn = new Map<string, PolicyDocument>();
  const buckets = new Map<string, PolicyDocument>();
  const endpoints = new Map<string, { name: string; document: PolicyDocument }>();
  for (const [id, r] of Object.entries(stack.template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::KMS::Key' && p.KeyPolicy)
      byArn.set(resolver.getAtt(id, 'Arn') as string, resolver.resolve(p.KeyPolicy) as PolicyDocument);
    if (r.Type === 'AWS::SNS::TopicPolicy')
      for (const topic of list(p.Topics as unknown[]))
        byArn.set(resolver.resolveString(topic), resolver.resolve(p.PolicyDocument) as PolicyDocument);
    if (r.Type === 'AWS::S3::BucketPolicy')
      buckets.set(resolver.resolveString(p.Bucket), resolver.resolve(p.PolicyDocument) as PolicyDocument);
    if (r.Type === 'AWS::EC2::VPCEndpoint' && p.PolicyDocument && p.VpcEndpointType === 'Interface') {
      const service = resolver.resolveString(p.ServiceName).split('.').pop()!;
      const document = resolver.resolve(p.PolicyDocument) as PolicyDocument;
      for (const st of document.Statement as (PolicyDocument['Statement'][number] & {
        Principal?: unknown;
      })[])
        if (JSON.stringify(st.Principal) === '{"AWS":"*"}') st.Principal = '*';
      endpoints.set(service, { name: id, document });
    }
  }
  return {
    resourcePolicy: (arn) => byArn.get(arn) ?? buckets.get(/^arn:[^:]+:s3:::([^/]+)/.exec(arn)?.[1] ?? ''),
    endpointPolicy: (region, service) =>
      region === stack.config.region ? endpoints.get(service) : undefined,
  };
}

/** Everything on the request's path: the role, the resource's policy, and the endpoint's when the call went through one. */
export function targetFor(
  role: StepRole,
  account: string,
  path: PathPolicies,
  request: AuthorizationRequest,
): EvaluationTarget {
  return {
    principal: role.principal,
    principalAccount: account,
    policies: role.policies,
    resourcePolicy: request.resource === '*' ? undefined : path.resourcePolicy(request.resource),
    endpointPolicy: request.endpoint
      ? path.endpointPolicy(request.endpoint.region, request.endpoint.service)
      : undefined,
  };
}

export async function checkConfig(configName: string, scenarios: readonly ScenarioRun[]): Promise<ConfigCheck> {
  const stack = synthesise(configName);
  const manifest = waveForDeployConfig(exampleWave(), stack.config);
  const runs: SimulatedRun[] = [];
  for (const scenario of scenarios) runs.push(await simulateWave(manifest, scenario, stack.config));

  const simulated = runs[0].simulatedAccount;
  const account = stack.config.account ?? simulated;
  const env = inAccount(
    Object.assign({}, ...runs.map((r) => r.env)) as Record<string, string>,
    simulated,
    account,
  );
  const resolver = resolverFor(stack, env, {
    partition: PARTITION,
    region: stack.config.region,
    account,
    stackName: stack.config.stackName,
  });

  const roles: Record<string, StepRole> = {};
  for (const step of STEPS) {
    const roleId = stack.roleOfStep[step.name];
    roles[step.name] = {
      step: step.name,
      roleId,
      principal: `arn:${PARTITION}:sts::${account}:assumed-role/${resolver.ref(roleId)}/${step.name}`,
      policies: rolePolicies(stack, roleId, resolver, MANAGED_POLICIES),
    };
  }

  const keys = topicKeys(stack, resolver);
  const aliases = aliasKeys(stack, resolver);
  const stackPath = pathPolicies(stack, resolver);
  /*
   * Each source region's documents stack creates the same installer-credentials key construct
   * (infra/source-region-documents.ts): its key there is the main stack's key with the region
   * changed, and so is its key policy (the policy names only its own region).
   */
  const regional = new Map<string, { arn: string; policy: PolicyDocument | undefined }>();
  for (const sourceRegion of stack.config.sourceRegions.map((r) => r.region))
    for (const [alias, arn] of aliases) {
      const inRegion = (text: string) => text.split(`:${stack.config.region}:`).join(`:${sourceRegion}:`).split(`.${stack.config.region}.`).join(`.${sourceRegion}.`);
      const policy = stackPath.resourcePolicy(arn);
      regional.set(`${sourceRegion} ${alias}`, { arn: inRegion(arn), policy: policy && (JSON.parse(inRegion(JSON.stringify(policy))) as PolicyDocument) });
    }
  const path: PathPolicies = {
    ...stackPath,
    resourcePolicy: (arn) => stackPath.resourcePolicy(arn) ?? [...regional.values()].find((k) => k.arn === arn)?.policy,
  };
  const placement = placementOf(stack, resolver);
  const seen = new Map<string, CheckedRequest>();
  let calls = 0;
  for (const run of runs) {
    const ctx: MappingContext = {
      partition: PARTITION,
      account,
      facts: run.facts,
      placement,
      topicKeyArn: (arn) => keys.get(arn),
      parameterKeyArn: (region, keyId) => (region === stack.config.region ? aliases.get(keyId) : regional.get(`${region} ${keyId}`)?.arn),
    };
    for (const raw of run.calls) {
      const call: ObservedCall = inAccount(raw, simulated, account);
      const role = roles[call.step];
      if (!role)
        throw new Error(`a call was made by ${call.step}, which is not a step of functions/lib/steps.ts`);
      calls++;
      for (const request of await requestsForCall(call, ctx)) {
        const key = requestKey(call.step, request);
        const known = seen.get(key);
        if (known) {
          known.count++;
          continue;
        }
        const decision = await evaluate(request, targetFor(role, account, path, request));
        seen.set(key, {
          step: call.step,
          request,
          decision,
          seenIn: `${call.service}:${call.operation} (${call.seenIn})`,
          count: 1,
        });
      }
    }
  }
  return { stack, account, path, runs, roles, requests: [...seen.values()], calls };
}

/** The requests of one step re-evaluated with one statement removed from its role's policies; the ones now denied. */
export async function deniedWithout(
  check: ConfigCheck,
  step: string,
  policy: string,
  index: number,
  requests: readonly CheckedRequest[],
): Promise<CheckedRequest[]> {
  const role = check.roles[step];
  const mutated: StepRole = {
    ...role,
    policies: role.policies.map((p) =>
      p.name === policy
        ? {
            name: p.name,
            document: { ...p.document, Statement: p.document.Statement.filter((_, i) => i !== index) },
          }
        : p,
    ),
  };
  const denied: CheckedRequest[] = [];
  for (const r of requests) {
    const decision = await evaluate(r.request, targetFor(mutated, check.account, check.path, r.request));
    if (!decision.allowed) denied.push({ ...r, decision });
  }
  return denied;
}

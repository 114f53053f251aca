/**
 * The step roles' policies as deployed: the stack synthesised in-process for a deploy config, each
 * step role's inline policies (and policies attached to it) taken from the template, and every
 * intrinsic function resolved to the concrete names the simulation used.
 *
 * The concrete names are not assumed: each step function's Environment in the template says which
 * resource fills each variable (`WAVE_BUCKET: {Ref: WaveStoreBucket…}`), and the simulator gave
 * the handlers the same variables, so unifying the two maps CloudFormation logical ids to the
 * simulator's values. Resources the simulation never names (the topic's KMS key, log groups, the
 * launched-instance role) get a name derived from their logical id: the requests that involve them
 * are built from the same template, so both sides agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { STEPS } from '../../functions/lib/steps';
import { loadDeployConfig, type DeployConfig } from '../../infra/config';
import { loadMigrationDocumentContents } from '../../infra/ssm-documents';
import { OrchestratorStack } from '../../infra/stack';
import { ROOT } from './simulated-run';

type Json = Record<string, unknown>;
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Json;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

/** One named policy of a step role, resolved. */
export interface RolePolicy {
  /** Logical id of the AWS::IAM::Policy (or "<role>/inline/<name>"). */
  readonly name: string;
  readonly document: PolicyDocument;
}

export interface SynthesisedStack {
  readonly configName: string;
  readonly config: DeployConfig;
  readonly template: CfnTemplate;
  /** Step name -> logical id of its role. */
  readonly roleOfStep: Readonly<Record<string, string>>;
  /** Step name -> logical id of its function. */
  readonly functionOfStep: Readonly<Record<string, string>>;
}

/**
 * The stack as infra/app.ts builds it for `examples/deploy/<configName>.json`, with the real ASL and
 * SSM documents; the Lambda code is a fixture (policies do not depend on it). cdk-nag is left out
 * here: test/infra/least-privilege.test.ts runs it on the same stacks.
 */
export function synthesise(configName: string): SynthesisedStack {
  const config = loadDeployConfig(join(ROOT, 'examples', 'deploy', `${configName}.json`));
  const app = new App();
  const stack = new OrchestratorStack(app, config.stackName, {
    config,
    definition: readFileSync(join(ROOT, 'statemachine', 'wave.asl.json'), 'utf8'),
    documents: loadMigrationDocumentContents(),
    code: () => lambda.Code.fromAsset(join(ROOT, 'test', 'fixtures', 'infra', 'bundle')),
  });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as import('aws-cdk-lib').CfnElement);
  return {
    configName,
    config,
    template,
    roleOfStep: Object.fromEntries(STEPS.map((s) => [s.name, id(stack.functions.roles[s.name])])),
    functionOfStep: Object.fromEntries(STEPS.map((s) => [s.name, id(stack.functions.functions[s.name])])),
  };
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The concrete world the template is resolved in. */
export interface ResolutionContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
}

/**
 * Resolves CloudFormation intrinsic functions to strings: Ref, Fn::GetAtt, Fn::Join, Fn::Select,
 * Fn::Split, Fn::Sub and the pseudo parameters. Values learnt from the simulation win; anything
 * else is derived from the resource's type and logical id. An expression it cannot resolve is an
 * error naming it (add its rule here rather than letting a policy half-resolve).
 */
export class TemplateResolver {
  private readonly refs = new Map<string, string>();
  private readonly attributes = new Map<string, string>();

  constructor(
    private readonly template: CfnTemplate,
    private readonly ctx: ResolutionContext,
  ) {}

  /** Logical id -> value bindings learnt so far (for messages and tests). */
  bindings(): Record<string, string> {
    return Object.fromEntries([...this.refs, ...this.attributes]);
  }

  /**
   * Learns what each template expression of a step's environment stood for in the simulation:
   * `{Ref: X}` ↔ "value" binds X; `{Fn::GetAtt: [X, A]}` binds X.A; a Join with a separator splits
   * the value; a Join of literals around one expression strips them. Literals and expressions the
   * simulation did not give (or gave differently, such as a fixed subnet the simulator does not
   * model yet) teach nothing.
   */
  learn(expression: unknown, value: string): void {
    if (typeof expression === 'string' || expression === undefined) return;
    if (!isObject(expression)) return;
    if (typeof expression.Ref === 'string') {
      if (!expression.Ref.startsWith('AWS::')) this.bind(this.refs, expression.Ref, value);
      return;
    }
    const getAtt = expression['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt.length === 2) {
      this.bind(this.attributes, `${String(getAtt[0])}.${String(getAtt[1])}`, value);
      return;
    }
    const join = expression['Fn::Join'];
    if (Array.isArray(join) && join.length === 2 && Array.isArray(join[1])) {
      const [sep, parts] = join as [string, unknown[]];
      if (sep !== '') {
        const values = value.split(sep);
        if (values.length === parts.length) parts.forEach((p, i) => this.learn(p, values[i]));
        return;
      }
      const dynamic = parts.filter((p) => typeof p !== 'string');
      if (dynamic.length !== 1) return;
      const at = parts.indexOf(dynamic[0]);
      const prefix = parts.slice(0, at).join('');
      const suffix = parts.slice(at + 1).join('');
      if (value.startsWith(prefix) && value.endsWith(suffix) && value.length >= prefix.length + suffix.length)
        this.learn(dynamic[0], value.slice(prefix.length, value.length - suffix.length));
    }
  }

  private bind(map: Map<string, string>, key: string, value: string): void {
    const known = map.get(key);
    if (known !== undefined && known !== value)
      throw new Error(`${key} is ${known} in one step's environment and ${value} in another's`);
    map.set(key, value);
  }

  resolve(expression: unknown): unknown {
    if (typeof expression === 'string' || typeof expression === 'number' || typeof expression === 'boolean')
      return expression;
    if (Array.isArray(expression)) return expression.map((e) => this.resolve(e));
    if (!isObject(expression)) return expression;
    const keys = Object.keys(expression);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')))
      return this.intrinsic(keys[0], expression[keys[0]]);
    return Object.fromEntries(Object.entries(expression).map(([k, v]) => [k, this.resolve(v)]));
  }

  resolveString(expression: unknown): string {
    const out = this.resolve(expression);
    if (typeof out !== 'string')
      throw new Error(`${JSON.stringify(expression)} does not resolve to a string`);
    return out;
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return this.getAtt(id, attribute);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map((p) => this.asString(p, 'Fn::Join')).join(sep);
      }
      case 'Fn::Select': {
        const [index, items] = arg as [unknown, unknown];
        const resolved = this.resolve(items);
        if (!Array.isArray(resolved)) throw new Error(`Fn::Select over ${JSON.stringify(items)}: not a list`);
        return resolved[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return this.asString(this.resolve(text), 'Fn::Split').split(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Json];
        return text.replace(/\$\{([^}]+)\}/g, (_, v: string) => {
          if (vars && v in vars) return this.asString(this.resolve(vars[v]), 'Fn::Sub');
          const [id, attribute] = v.split('.');
          return attribute ? this.asString(this.getAtt(id, attribute), 'Fn::Sub') : this.ref(id);
        });
      }
      default:
        throw new Error(
          `cannot resolve ${name} ${JSON.stringify(arg)}: add its rule to test/iam/stack-policies.ts`,
        );
    }
  }

  private asString(v: unknown, where: string): string {
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    throw new Error(`${where}: ${JSON.stringify(v)} is not a string`);
  }

  private resource(id: string): CfnResource {
    const r = this.template.Resources[id];
    if (!r) throw new Error(`the template has no resource ${id}`);
    return r;
  }

  ref(id: string): string {
    const { partition, region, account, stackName } = this.ctx;
    switch (id) {
      case 'AWS::Partition':
        return partition;
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::NoValue':
        return '';
    }
    const learnt = this.refs.get(id);
    if (learnt !== undefined) return learnt;
    const r = this.resource(id);
    const p = r.Properties ?? {};
    const named = (key: string) => (p[key] !== undefined ? this.resolveString(p[key]) : undefined);
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return named('BucketName') ?? id.toLowerCase();
      case 'AWS::SNS::Topic':
        return `arn:${partition}:sns:${region}:${account}:${named('TopicName') ?? id}`;
      case 'AWS::IAM::Role':
        return named('RoleName') ?? id;
      case 'AWS::IAM::InstanceProfile':
        return named('InstanceProfileName') ?? id;
      case 'AWS::SSM::Document':
        return named('Name') ?? id;
      case 'AWS::KMS::Key':
        return `key-${id}`;
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName') ?? `/aws/lambda/${id}`;
      case 'AWS::EC2::VPC':
        return `vpc-${id}`;
      case 'AWS::EC2::Subnet':
        return `subnet-${id}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${id}`;
      case 'AWS::Lambda::Function':
        return named('FunctionName') ?? id;
      default:
        throw new Error(`cannot resolve Ref ${id} (${r.Type}): add its rule to test/iam/stack-policies.ts`);
    }
  }

  getAtt(id: string, attribute: string): unknown {
    const learnt = this.attributes.get(`${id}.${attribute}`);
    if (learnt !== undefined) return learnt;
    const { partition, region, account } = this.ctx;
    const r = this.resource(id);
    const path = typeof r.Properties?.Path === 'string' ? r.Properties.Path : '/';
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::S3::Bucket.Arn':
        return `arn:${partition}:s3:::${this.ref(id)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${account}:role${path}${this.ref(id)}`;
      case 'AWS::IAM::InstanceProfile.Arn':
        return `arn:${partition}:iam::${account}:instance-profile${path}${this.ref(id)}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:${partition}:kms:${region}:${account}:key/${this.ref(id)}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${partition}:logs:${region}:${account}:log-group:${this.ref(id)}:*`;
      case 'AWS::SNS::Topic.TopicArn':
        return this.ref(id);
      case 'AWS::SNS::Topic.TopicName':
        return this.ref(id).split(':').pop();
      case 'AWS::EC2::SecurityGroup.GroupId':
        return this.ref(id);
      case 'AWS::Lambda::Function.Arn':
        return `arn:${partition}:lambda:${region}:${account}:function:${this.ref(id)}`;
      default:
        throw new Error(
          `cannot resolve Fn::GetAtt ${id}.${attribute} (${r.Type}): add its rule to test/iam/stack-policies.ts`,
        );
    }
  }
}

/**
 * A resolver that knows the simulation's concrete names: every step function's environment in the
 * template is unified with the environment the session gave the handlers.
 */
export function resolverFor(
  stack: SynthesisedStack,
  env: Readonly<Record<string, string>>,
  ctx: ResolutionContext,
): TemplateResolver {
  const resolver = new TemplateResolver(stack.template, ctx);
  for (const fnId of Object.values(stack.functionOfStep)) {
    const variables =
      (stack.template.Resources[fnId].Properties?.Environment as { Variables?: Json } | undefined)
        ?.Variables ?? {};
    for (const [name, expression] of Object.entries(variables))
      if (env[name] !== undefined) resolver.learn(expression, env[name]);
  }
  return resolver;
}

/**
 * The resolved policies of one role: its inline `Policies`, every AWS::IAM::Policy and
 * AWS::IAM::ManagedPolicy that names it, and the AWS managed policies it attaches (only those
 * whose document this folder holds; any other is an error, so a grant is never silently missed).
 */
export function rolePolicies(
  stack: SynthesisedStack,
  roleId: string,
  resolver: TemplateResolver,
  managed: Readonly<Record<string, PolicyDocument>>,
): RolePolicy[] {
  const role = stack.template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the template`);
  const out: RolePolicy[] = [];
  for (const p of list(
    role.Properties?.Policies as { PolicyName: unknown; PolicyDocument: unknown }[] | undefined,
  ))
    out.push({
      name: `${roleId}/inline/${resolver.resolveString(p.PolicyName)}`,
      document: resolver.resolve(p.PolicyDocument) as PolicyDocument,
    });
  for (const [id, r] of Object.entries(stack.template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = list(r.Properties?.Roles as unknown[] | undefined);
    if (!roles.some((x) => isObject(x) && x.Ref === roleId)) continue;
    out.push({ name: id, document: resolver.resolve(r.Properties!.PolicyDocument) as PolicyDocument });
  }
  for (const arn of list(role.Properties?.ManagedPolicyArns as unknown[] | undefined)) {
    const resolved = resolver.resolveString(arn);
    const name = resolved.split('/').pop()!;
    const doc = managed[name];
    if (!doc)
      throw new Error(
        `${roleId} attaches ${resolved}, whose document test/iam/managed-policies/ does not hold`,
      );
    out.push({ name: `aws-managed/${name}`, document: doc });
  }
  return out;
}

export const statementsOf = (
  policies: readonly RolePolicy[],
): { policy: string; index: number; statement: PolicyStatement }[] =>
  policies.flatMap((p) =>
    p.document.Statement.map((statement, index) => ({ policy: p.name, index, statement })),
  );

export const actionsOf = (st: PolicyStatement): string[] => list(st.Action);
export const resourcesOf = (st: PolicyStatement): string[] => list(st.Resource);

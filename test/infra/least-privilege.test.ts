/**
 * Least privilege, read from the synthesised templates of both example configs:
 * - each step's Lambda role can call exactly the actions functions/lib/steps.ts declares for it
 *   (plus the ENI and log actions every VPC function needs, listed here), and nothing else;
 * - the API refuses unsigned requests: AWS_IAM on every method, no method open (NONE);
 * - every VPC endpoint policy admits only principals of this account, except the two grants the
 *   MGN agent needs on AWS-owned resources (read-only GetObject on the MGN/AL2023 buckets and
 *   CreateSessionForMgn), which no other account's principal can turn into a write;
 * - both stacks synthesise with the AwsSolutions and Serverless cdk-nag packs and no finding left.
 */
import { STEPS } from '../../functions/lib/steps';
import { synthExample, type Synthesised } from './synth';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** What every function in a VPC needs beyond its step: ENIs in its subnets, and writing its own log group. */
const PLATFORM_ACTIONS = new Set([
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'ec2:DescribeSubnets',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  // active tracing: the X-Ray daemon Lambda runs writes the function's segments with the role
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);
/** Steps that publish to the encrypted topic also use its KMS key (SNS calls KMS on their behalf). */
const TOPIC_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

describe.each(['cross-region', 'on-premises'] as const)('least privilege (%s config)', (config) => {
  let s: Synthesised;
  beforeAll(() => {
    // throws on any unacknowledged AwsSolutions or Serverless finding
    s = synthExample(config);
  });

  /** Every Allow action reachable by a role: its inline policies, policies attached to it, managed policy ARNs. */
  function roleGrants(roleLogicalId: string): { actions: Set<string>; managed: unknown[] } {
    const actions = new Set<string>();
    const role = s.json.Resources[roleLogicalId];
    const docs: unknown[] = list(role.Properties!.Policies as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument);
    for (const r of Object.values(s.json.Resources))
      if (r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!.Roles).includes(`"${roleLogicalId}"`)) docs.push(r.Properties!.PolicyDocument);
    for (const doc of docs) for (const st of (doc as { Statement: Statement[] }).Statement) if (st.Effect === 'Allow') for (const a of list(st.Action)) actions.add(a);
    return { actions, managed: list(role.Properties!.ManagedPolicyArns) };
  }

  it.each(STEPS.map((step) => [step.name, step] as const))("%s: the role's actions are exactly the step's", (name, step) => {
    const roleId = s.stack.getLogicalId(s.stack.functions.roles[name].node.defaultChild as never);
    const { actions, managed } = roleGrants(roleId);
    expect(managed).toEqual([]);
    const stepActions = [...actions].filter((a) => !PLATFORM_ACTIONS.has(a)).sort();
    const expected = [...new Set([...step.actions, ...(step.actions.includes('sns:Publish') ? TOPIC_KEY_ACTIONS : [])])].filter((a) => !PLATFORM_ACTIONS.has(a)).sort();
    expect(stepActions).toEqual(expected);
  });

  it("keeps each role's inline policies within IAM's 10,240-character limit per role, tokens at their longest", () => {
    // IAM counts the policy JSON without whitespace; deploy-time values are rendered long on purpose.
    const longest = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(longest);
      if (!node || typeof node !== 'object') return node;
      const n = node as Record<string, unknown>;
      if ('Ref' in n) return n.Ref === 'AWS::AccountId' ? '123456789012' : n.Ref === 'AWS::Partition' ? 'aws-us-gov' : 'x'.repeat(64);
      if ('Fn::GetAtt' in n) return `arn:aws-us-gov:service:us-gov-west-1:123456789012:type/${'x'.repeat(64)}`;
      if ('Fn::Join' in n) {
        const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
        return (longest(items) as string[]).join(delimiter);
      }
      return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, longest(v)]));
    };
    const sizes = new Map<string, number>();
    for (const r of Object.values(s.json.Resources))
      if (r.Type === 'AWS::IAM::Policy')
        for (const role of list(r.Properties!.Roles as { Ref: string }[]))
          sizes.set(role.Ref, (sizes.get(role.Ref) ?? 0) + JSON.stringify(longest(r.Properties!.PolicyDocument)).replace(/\s/g, '').length);
    const launchCutover = s.stack.getLogicalId(s.stack.functions.roles['launch-cutover'].node.defaultChild as never);
    expect(sizes.get(launchCutover)).toBeGreaterThan(5000); // the largest: launch settings, EC2Access, Run Command
    expect([...sizes].filter(([, size]) => size > 10240)).toEqual([]);
  });

  it('only the install-agents role may assume the installer role, and only it stages credentials', () => {
    const holders = STEPS.filter((step) => {
      const { actions } = roleGrants(s.stack.getLogicalId(s.stack.functions.roles[step.name].node.defaultChild as never));
      return actions.has('sts:AssumeRole') || actions.has('ssm:PutParameter');
    }).map((step) => step.name);
    expect(holders).toEqual(['install-agents']);
  });

  it('the API refuses unsigned requests: AWS_IAM on every method, none open', () => {
    const methods = Object.values(s.json.Resources).filter((r) => r.Type === 'AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    expect(methods.map((m) => m.Properties!.AuthorizationType)).toEqual(methods.map(() => 'AWS_IAM'));
    expect(methods.filter((m) => m.Properties!.HttpMethod === 'OPTIONS' || m.Properties!.AuthorizationType === 'NONE')).toEqual([]);
    // and the stage throttles: a runaway script cannot hammer StartExecution
    const stage = Object.values(s.json.Resources).find((r) => r.Type === 'AWS::ApiGateway::Stage')!.Properties!;
    expect(stage.MethodSettings).toEqual(expect.arrayContaining([expect.objectContaining({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 })]));
  });

  it('the API admits only this account: a PRIVATE API only through its endpoint, a REGIONAL one only from api.allowedSourceCidrs', () => {
    const api = Object.values(s.json.Resources).find((r) => r.Type === 'AWS::ApiGateway::RestApi')!.Properties!;
    const types = (api.EndpointConfiguration as { Types: string[] }).Types;
    expect(types).toEqual([s.config.api.endpointType]);
    const statements = (api.Policy as { Statement: Statement[] }).Statement;
    const denyAll = statements.filter((st) => st.Effect === 'Deny' && st.Resource === 'execute-api:/*');
    if (types[0] === 'PRIVATE') expect(denyAll.find((st) => st.Condition?.StringNotEquals?.['aws:SourceVpce'])).toBeDefined();
    // a REGIONAL API is on the internet: every caller outside the configured ranges is refused
    else expect(denyAll.map((st) => st.Condition)).toContainEqual({ NotIpAddress: { 'aws:SourceIp': s.config.api.allowedSourceCidrs } });
    const allows = statements.filter((x) => x.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    for (const st of allows) expect(JSON.stringify(st.Principal)).toMatch(/:root|111122223333/);
    expect(allows.filter((st) => JSON.stringify(st.Principal) === '{"AWS":"*"}' || st.Principal === '*')).toEqual([]);
  });

  it('every VPC endpoint policy admits only this account, apart from read-only grants on AWS-owned MGN resources', () => {
    const endpoints = Object.values(s.json.Resources).filter((r) => r.Type === 'AWS::EC2::VPCEndpoint');
    expect(endpoints.length).toBeGreaterThan(5);
    const account = config === 'on-premises' ? '111122223333' : { Ref: 'AWS::AccountId' };
    for (const endpoint of endpoints) {
      const doc = endpoint.Properties!.PolicyDocument as { Statement: Statement[] } | undefined;
      expect({ endpoint: endpoint.Properties!.ServiceName, hasPolicy: doc !== undefined }).toEqual({ endpoint: endpoint.Properties!.ServiceName, hasPolicy: true });
      for (const st of doc!.Statement) {
        if (st.Effect !== 'Allow') continue;
        const sameAccount = st.Condition?.StringEquals?.['aws:PrincipalAccount'];
        if (sameAccount !== undefined) {
          expect(sameAccount).toEqual(account);
          continue;
        }
        // the exceptions: the agent's installer download and its session with MGN
        const actions = list(st.Action);
        const resources = JSON.stringify(st.Resource);
        const mgnDownload = actions.length === 1 && actions[0] === 's3:GetObject' && /aws-application-migration-service|aws-mgn-|al2023-repos/.test(resources);
        const mgnSession = actions.length === 1 && actions[0] === 'execute-api:Invoke' && /\/POST\/CreateSessionForMgn"$/.test(resources.replace(/]$/, ''));
        expect({ endpoint: endpoint.Properties!.ServiceName, actions, resources, allowed: mgnDownload || mgnSession }).toMatchObject({ allowed: true });
        if (mgnDownload) expect(resources).not.toContain('mgn-orchestrator-waves');
      }
    }
  });
});

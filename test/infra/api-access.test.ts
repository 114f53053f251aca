/**
 * Who may call the orchestrator's API, and who may answer approvals through it (issue 12 items 1
 * and 4). The synthesized API resource policy is evaluated, as API Gateway would after expanding
 * `execute-api:/…` to the API's ARN, with `@cloud-copilot/iam-simulate` for callers of this account
 * whose identity policy allows execute-api:Invoke everywhere: only the deploy config's approvers
 * may POST /approvals; a REGIONAL API admits only api.allowedSourceCidrs (aws:SourceIp); a PRIVATE
 * API only its VPC endpoint. And the approval an approver sends records the caller's IAM identity,
 * whatever the body says.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { approvalTemplate } from '../../infra/constructs/wave-triggers';
import { APPROVAL_DECISION_NAMES } from '../../functions/lib/approval-decisions';
import { approvalAnswerFromApiRequest } from '../../functions/lib/trigger-input';
import { evaluate as resolve } from './intrinsics';
import { synthExample, type Synthesised } from './synth';

const ACCOUNT = '111122223333';
const REGION = { 'cross-region': 'ap-south-1', 'on-premises': 'eu-west-1' } as const;
const API_ID = 'a1b2c3d4e5';
const ENDPOINT_ID = 'vpce-0a1b2c3d4e5f60718';

interface Call {
  /** the caller's role session or user */
  readonly principal: string;
  /** aws:PrincipalArn: the role's ARN for a session, the user's ARN for a user */
  readonly principalArn: string;
  readonly method: 'POST' | 'GET';
  readonly path: string;
  readonly sourceIp: string;
  /** set for a request that came through an execute-api VPC endpoint (private APIs) */
  readonly sourceVpce?: string;
}

const session = (role: string, name: string) => ({
  principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.split('/').pop()}/${name}`,
  principalArn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
});

describe.each(['cross-region', 'on-premises'] as const)('API access (%s config)', (name) => {
  let s: Synthesised;
  let policy: unknown;
  beforeAll(() => {
    s = synthExample(name);
    const api = Object.values(s.json.Resources).find((r) => r.Type === 'AWS::ApiGateway::RestApi')!.Properties!;
    const deployed = resolve(api.Policy, {
      ref: (ref) =>
        ({ 'AWS::Partition': 'aws', 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION[name] })[ref] ??
        (s.json.Resources[ref]?.Type === 'AWS::EC2::VPCEndpoint' ? ENDPOINT_ID : `unresolved:${ref}`),
      getAtt: (resource, attribute) => `${resource}.${attribute}`,
    });
    // API Gateway expands the short form when it saves the policy (resource policy examples)
    policy = JSON.parse(JSON.stringify(deployed).replaceAll('"execute-api:/', `"arn:aws:execute-api:${REGION[name]}:${ACCOUNT}:${API_ID}/`));
  });

  const insideRanges = () => (s.config.api.endpointType === 'REGIONAL' ? '203.0.113.10' : '10.10.1.20');
  const viaEndpoint = () => (s.config.api.endpointType === 'PRIVATE' ? { sourceVpce: ENDPOINT_ID } : {});

  async function decide(call: Call): Promise<string> {
    const response = await runSimulation(
      {
        request: {
          principal: call.principal,
          action: 'execute-api:Invoke',
          resource: { resource: `arn:aws:execute-api:${REGION[name]}:${ACCOUNT}:${API_ID}/v1/${call.method}/${call.path}`, accountId: ACCOUNT },
          contextVariables: {
            'aws:PrincipalArn': call.principalArn,
            'aws:PrincipalAccount': ACCOUNT,
            'aws:SourceIp': call.sourceIp,
            'aws:SecureTransport': 'true',
            ...(call.sourceVpce ? { 'aws:SourceVpce': call.sourceVpce, 'aws:VpcSourceIp': call.sourceIp } : {}),
          },
        },
        identityPolicies: [{ name: 'operator', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] } }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy as never,
      },
      {},
    );
    if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
    if (response.resultType !== 'single') throw new Error(`expected one resource, got ${response.resultType}`);
    return response.result.analysis.result;
  }

  it('lets every approver POST /approvals, from a role session or as a user', async () => {
    expect(s.config.approvers!.length).toBeGreaterThan(0);
    for (const approver of s.config.approvers!) {
      const [, kind, name] = /:(role|user)\/(.+)$/.exec(approver)!;
      const who = kind === 'role' ? session(name, 'alice') : { principal: approver, principalArn: approver };
      expect({ approver, decision: await decide({ ...who, method: 'POST', path: 'approvals', sourceIp: insideRanges(), ...viaEndpoint() }) }).toEqual({ approver, decision: 'Allowed' });
    }
  });

  it('refuses POST /approvals to any other principal of the account, even one IAM allows, but lets it start waves and read their status', async () => {
    const operator = session('WaveOperator', 'mallory');
    expect(await decide({ ...operator, method: 'POST', path: 'approvals', sourceIp: insideRanges(), ...viaEndpoint() })).toBe('ExplicitlyDenied');
    // the approver's role name in another path, or a user named like the role, is someone else
    expect(await decide({ principal: `arn:aws:iam::${ACCOUNT}:user/MigrationApprover`, principalArn: `arn:aws:iam::${ACCOUNT}:user/MigrationApprover`, method: 'POST', path: 'approvals', sourceIp: insideRanges(), ...viaEndpoint() })).toBe('ExplicitlyDenied');
    expect(await decide({ ...operator, method: 'POST', path: 'waves', sourceIp: insideRanges(), ...viaEndpoint() })).toBe('Allowed');
    expect(await decide({ ...operator, method: 'GET', path: 'waves/wave-12-14-Mar-2030', sourceIp: insideRanges(), ...viaEndpoint() })).toBe('Allowed');
  });

  it('refuses callers from outside the network the config names, approvers included', async () => {
    const approver = session('MigrationApprover', 'alice');
    if (s.config.api.endpointType === 'REGIONAL') {
      // on the internet: only the configured public ranges
      expect(await decide({ ...approver, method: 'POST', path: 'approvals', sourceIp: '198.51.100.77' })).toBe('ExplicitlyDenied');
      expect(await decide({ ...approver, method: 'GET', path: 'waves/x', sourceIp: '198.51.100.77' })).toBe('ExplicitlyDenied');
      expect(await decide({ ...approver, method: 'GET', path: 'waves/x', sourceIp: '203.0.113.200' })).toBe('Allowed');
    } else {
      // private: only through the stack's execute-api endpoint
      expect(await decide({ ...approver, method: 'POST', path: 'approvals', sourceIp: '10.10.1.20', sourceVpce: 'vpce-0ffffffffffffffff' })).toBe('ExplicitlyDenied');
      expect(await decide({ ...approver, method: 'POST', path: 'approvals', sourceIp: '10.10.1.20' })).toBe('ExplicitlyDenied');
    }
  });
});

describe('POST /approvals records the caller, not what the body says', () => {
  const caller = { userArn: 'arn:aws:sts::111122223333:assumed-role/MigrationApprover/alice' };

  it('the mapping template takes `by` from $context.identity.userArn and the body\'s `by` only as a note', () => {
    const template = approvalTemplate();
    // the body's by is read once, into $note
    expect(template.match(/input\.path\('\$\.by'\)/g)).toHaveLength(1);
    expect(template).toContain(`#set($note = "$!input.path('$.by')")`);
    // every recorded "by" (the approval's output, the rejection's cause) is the authenticated identity
    const identity = '$util.escapeJavaScript($context.identity.userArn)';
    const recorded = [...template.matchAll(/\\"by\\": \\"(.+?)\\"|\(by (.+?)#if/g)].map((m) => m[1] ?? m[2]);
    // one per decision (approve's output; reject's and revert's causes)
    expect(recorded).toEqual(APPROVAL_DECISION_NAMES.map(() => identity));
    expect(recorded).toHaveLength(3);
  });

  it('its TypeScript mirror: approve and reject name the caller; a claimed name is a note', () => {
    expect(approvalAnswerFromApiRequest({ taskToken: 'T', decision: 'approve', by: 'the CISO' }, caller)).toEqual({
      action: 'SendTaskSuccess',
      taskToken: 'T',
      output: JSON.stringify({ approved: true, by: caller.userArn, note: 'the CISO' }),
    });
    expect(approvalAnswerFromApiRequest({ taskToken: 'T', decision: 'reject', reason: 'app team not ready' }, caller)).toEqual({
      action: 'SendTaskFailure',
      taskToken: 'T',
      error: 'ApprovalRejected',
      cause: `app team not ready (by ${caller.userArn})`,
    });
  });
});

/**
 * Evaluates authorisation requests against a role's identity policies with
 * `@cloud-copilot/iam-simulate`, and says why a denied one is denied.
 */
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizationRequest } from './call-requests';
import type { PolicyDocument, PolicyStatement, RolePolicy } from './stack-policies';

export interface Decision {
  readonly allowed: boolean;
  /** Allowed, ImplicitlyDenied, ExplicitlyDenied. */
  readonly result: string;
  /** The identity statements that allowed it ("<policy>#<index>", 0-based). */
  readonly allowedBy: readonly string[];
  /** The policy layers that refused it (identity, resource, endpoint, ...), as iam-simulate reports them. */
  readonly blockedBy?: readonly string[];
}

/** "<policy>#<index>": one statement of a role's policies. */
export const statementId = (policy: string, index: number) => `${policy}#${index}`;

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * An AWS-owned SSM document (AWS-RunShellScript) has no account in its ARN
 * (`arn:aws:ssm:<region>::document/AWS-RunShellScript`, SSM user guide), which the reference's ARN
 * format for `document` cannot express; iam-simulate's input validation refuses it, so such a
 * request is evaluated without that validation (the policies are the same).
 */
const isAccountlessDocument = (resource: string) => /^arn:[^:]+:ssm:[^:]+::document\//.test(resource);

/** Who asks, with which identity policies, and the other policies on the request's path. */
export interface EvaluationTarget {
  /** The step's role session: arn:aws:sts::<account>:assumed-role/<role>/<step>. */
  readonly principal: string;
  readonly principalAccount: string;
  readonly policies: readonly RolePolicy[];
  /** The resource's own policy (bucket, topic, key policy), when the stack gives it one. */
  readonly resourcePolicy?: PolicyDocument;
  /** The policy of the stack's VPC endpoint the call went through, when it went through one. */
  readonly endpointPolicy?: { readonly name: string; readonly document: PolicyDocument };
}

/*
 * `kms:EncryptionContext:<key>` (AWS KMS condition keys) has its variable after a colon, and
 * iam-simulate recognises variable keys only after a slash (`aws:PrincipalTag/<key>`): it ignores
 * such a context value, so every condition on it fails. The harness evaluates each such key under an
 * alias it does understand, renaming it alike in the request's context and in every policy on the
 * path (the same operator and values are compared; only the key's name changes).
 */
const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:(.+)$/i;
const encryptionContextAlias = (key: string) => {
  const m = ENCRYPTION_CONTEXT.exec(key);
  return m ? `aws:PrincipalTag/kms-encryption-context.${m[1]}` : key;
};
function aliasContextKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(aliasContextKeys) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      k === 'Condition' && v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, Record<string, unknown>>).map(([op, keys]) => [
              op,
              Object.fromEntries(Object.entries(keys).map(([ck, cv]) => [encryptionContextAlias(ck), cv])),
            ]),
          )
        : aliasContextKeys(v),
    ]),
  ) as T;
}
const usesEncryptionContext = (request: AuthorizationRequest) => Object.keys(request.context).some((k) => ENCRYPTION_CONTEXT.test(k));

export async function evaluate(request: AuthorizationRequest, target: EvaluationTarget): Promise<Decision> {
  if (usesEncryptionContext(request))
    return evaluateAsIs(
      { ...request, context: Object.fromEntries(Object.entries(request.context).map(([k, v]) => [encryptionContextAlias(k), v])) },
      {
        ...target,
        policies: target.policies.map((p) => ({ ...p, document: aliasContextKeys(p.document) })),
        ...(target.resourcePolicy ? { resourcePolicy: aliasContextKeys(target.resourcePolicy) } : {}),
        ...(target.endpointPolicy ? { endpointPolicy: { ...target.endpointPolicy, document: aliasContextKeys(target.endpointPolicy.document) } } : {}),
      },
    );
  return evaluateAsIs(request, target);
}

async function evaluateAsIs(request: AuthorizationRequest, target: EvaluationTarget): Promise<Decision> {
  const { principal, policies } = target;
  const simulation: Simulation = {
    request: {
      principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      // The SDK calls over TLS; the principal's account is what endpoint policies test.
      contextVariables: {
        'aws:SecureTransport': 'true',
        'aws:PrincipalAccount': target.principalAccount,
        // AWS fills in the account of the resource the request acts on (endpoint policies test it)
        'aws:ResourceAccount': request.resourceAccount,
        ...request.context,
      },
    },
    identityPolicies: policies.map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(target.resourcePolicy ? { resourcePolicy: target.resourcePolicy } : {}),
    ...(target.endpointPolicy
      ? {
          vpcEndpointPolicies: [{ name: target.endpointPolicy.name, policy: target.endpointPolicy.document }],
        }
      : {}),
  };
  if (isAccountlessDocument(request.resource)) {
    const result = runUnsafeSimulation(simulation, {});
    return {
      allowed: result === 'Allowed',
      result,
      allowedBy: result === 'Allowed' ? allowersByHand(request, policies) : [],
    };
  }
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error')
    throw new Error(
      `iam-simulate refused ${request.action} on ${request.resource}: ${JSON.stringify(response.errors).slice(0, 800)}`,
    );
  if (response.resultType !== 'single')
    throw new Error(
      `${request.action} on ${request.resource}: expected one resource, got a wildcard simulation`,
    );
  const analysis = response.result.analysis;
  const allowedBy = (analysis.identityAnalysis?.allowStatements ?? []).map((s) =>
    statementId(s.policyId, s.statement.index() - 1),
  );
  return {
    allowed: response.overallResult === 'Allowed',
    result: response.overallResult,
    allowedBy,
    blockedBy: analysis.blockedBy,
  };
}

/** Statements whose action and resource patterns match (used only where the simulator ran without analysis). */
function allowersByHand(request: AuthorizationRequest, policies: readonly RolePolicy[]): string[] {
  const matches = (patterns: string[], value: string) =>
    patterns.some((p) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
        'i',
      ).test(value),
    );
  const out: string[] = [];
  for (const p of policies)
    p.document.Statement.forEach((st, i) => {
      if (
        st.Effect === 'Allow' &&
        matches(list(st.Action), request.action) &&
        matches(list(st.Resource), request.resource)
      )
        out.push(statementId(p.name, i));
    });
  return out;
}

/** Why a request is denied, in one line: what the policies grant for its action, if anything. */
export function denialReason(
  request: AuthorizationRequest,
  decision: Decision,
  policies: readonly RolePolicy[],
): string {
  const layers = (decision.blockedBy ?? []).filter((l) => l !== 'identity');
  if (decision.result === 'ExplicitlyDenied')
    return `explicitly denied (${(decision.blockedBy ?? []).join(', ') || 'a Deny statement'})`;
  if (layers.length > 0 && decision.allowedBy.length > 0)
    return `the role allows it but the ${layers.join(' and ')} policy does not`;
  const [service] = request.action.split(':');
  const grants: PolicyStatement[] = [];
  for (const p of policies)
    for (const st of p.document.Statement)
      if (
        st.Effect === 'Allow' &&
        list(st.Action).some(
          (a) => a === '*' || a.toLowerCase() === request.action.toLowerCase() || a === `${service}:*`,
        )
      )
        grants.push(st);
  if (grants.length === 0) return `no statement grants ${request.action}`;
  const where = grants
    .map((st) => `${list(st.Resource).join(' ')}${st.Condition ? ` if ${JSON.stringify(st.Condition)}` : ''}`)
    .join('; ');
  return `${request.action} is granted only on ${where}`;
}

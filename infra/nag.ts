/**
 * cdk-nag (v3) wiring: the AwsSolutions and Serverless packs run on every synth (infra/app.ts, and the tests),
 * and each construct acknowledges the findings it knowingly accepts, next to the code that causes
 * them, each with its own reason. Anything not acknowledged fails the synth.
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Registers the AwsSolutions and Serverless checks on the app. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

/** Acknowledges one finding (`AwsSolutions-XX`, `Serverless-XX`, optionally `[finding]`) on a construct and its children. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (!reason.trim()) throw new Error(`acknowledging ${id} needs a reason`);
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The text cdk-nag shows for a value that may hold tokens: `{"Fn::GetAtt":["Fn","Arn"]}` -> `<Fn.Arn>`,
 * `{"Ref":"AWS::Partition"}` -> `<AWS::Partition>`, joins flattened (same rendering as cdk-nag's IAM5 findings).
 */
export function nagText(scope: IConstruct, value: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
    const n = node as Record<string, unknown>;
    if (n['Fn::Join']) {
      const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (n['Fn::Sub']) return visit(n['Fn::Sub']);
    if (n['Fn::GetAtt']) {
      const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (n['Fn::ImportValue']) return visit(n['Fn::ImportValue']);
    if (n.Ref) return `<${visit(n.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}

/** Acknowledges IAM5 for each wildcard resource of a policy, with the reason that resource needs its wildcard. */
export function acknowledgeWildcardResources(policy: IConstruct, resources: ReadonlyArray<{ resource: string; reason: string }>): void {
  const reasons = new Map<string, Set<string>>();
  for (const { resource, reason } of resources) {
    const text = nagText(policy, resource);
    if (!text.includes('*')) continue;
    if (!reasons.has(text)) reasons.set(text, new Set());
    reasons.get(text)!.add(reason);
  }
  for (const [text, why] of reasons) acknowledge(policy, `AwsSolutions-IAM5[Resource::${text}]`, [...why].join('; '));
}

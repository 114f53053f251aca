/**
 * Preflight's allowed-tag check (issue 12 item 3): Run Command may reach only instances carrying
 * the deploy config's allowedTag (IAM holds the step roles to it with `ssm:resourceTag/<key>` on
 * ssm:SendCommand), so a source without it would be refused at its first command. Preflight reads
 * the tags before anything is sent (EC2 DescribeInstances in the source's region for an EC2 source;
 * SSM ListTagsForResource for a managed instance `mi-…`) and sets aside only the untagged sources,
 * each with the tag and the command that adds it; the rest of the wave goes on.
 */
import { DEFAULT_ALLOWED_TAG, carriesAllowedTag, untaggedReason } from './allowed-tag';
import type { FlowDeps } from './ports';
import { failServer, type ServerRecord } from './run-state';

/** Sets aside every record whose source lacks the allowed tag; returns the records set aside. */
export async function setAsideUntaggedSources(deps: FlowDeps, records: readonly ServerRecord[], at: Date): Promise<ServerRecord[]> {
  const tag = deps.config.allowedTag ?? DEFAULT_ALLOWED_TAG;
  const byRegion = new Map<string, ServerRecord[]>();
  for (const r of records) byRegion.set(r.ssmRegion, [...(byRegion.get(r.ssmRegion) ?? []), r]);
  const setAside: ServerRecord[] = [];
  for (const [region, group] of byRegion) {
    const managed = group.filter((r) => r.sourceInstanceId.startsWith('mi-'));
    const ec2 = group.filter((r) => !r.sourceInstanceId.startsWith('mi-'));
    const tags = new Map<string, Readonly<Record<string, string>>>();
    if (managed.length > 0)
      for (const [id, t] of await deps.ssm(region).managedInstanceTags(managed.map((r) => r.sourceInstanceId))) tags.set(id, t);
    if (ec2.length > 0)
      for (const instance of await deps.ec2In(region).describeInstances(ec2.map((r) => r.sourceInstanceId))) tags.set(instance.instanceId, instance.tags ?? {});
    for (const r of group) {
      const own = tags.get(r.sourceInstanceId);
      // a source EC2 or SSM does not know is the other checks' to name (SSM status, rightSizing "in-aws")
      if (own === undefined) continue;
      if (!carriesAllowedTag(own, tag)) {
        failServer(r, 'preflight', untaggedReason(r.sourceInstanceId, region, tag, r.sourceInstanceId.startsWith('mi-') ? 'managed-instance' : 'ec2'), at);
        setAside.push(r);
      }
    }
  }
  if (setAside.length > 0)
    deps.log.warn('sources without the allowed tag set aside', { tag: `${tag.key}=${tag.value}`, servers: setAside.map((r) => r.name) });
  return setAside;
}

/**
 * Writing a server's launch settings before its test or cutover launch, idempotently.
 *
 * MGN launches a server from the default version of the EC2 launch template it created for it
 * (GetLaunchConfiguration → ec2LaunchTemplateID) plus its general launch settings
 * (UpdateLaunchConfiguration). Per server, in this order (MGN may itself write a template version
 * when right-sizing changes, so the template is read after the general settings are written):
 *
 * 1. GetLaunchConfiguration; UpdateLaunchConfiguration only when a managed field differs
 *    (right-sizing, boot mode, licensing, copy private IP / tags, launch disposition STARTED, and
 *    for an on-premises source post-launch actions covering the launch, so that MGN installs the
 *    SSM agent on the clone: its hybrid registration would keep it from ever being Online as i-…).
 * 2. DescribeLaunchTemplateVersions $Default; when it does not already hold the plan, a new version
 *    from it (CreateLaunchTemplateVersion, SourceVersion = default) with the primary network
 *    interface (subnet, groups, private IP, no public IP), instance type, instance profile and tags,
 *    made the default (ModifyLaunchTemplate). Nothing else is set: MGN's "Full launch template setting
 *    review" says security groups belong on the network interface only and no key pair is set.
 *
 * A resumed run finds everything in place and writes nothing. "Not now" answers (EC2
 * RequestLimitExceeded, MGN ThrottlingException) leave the server queued for the next poll; any other
 * refusal sets that server aside with the call and the reason.
 */
import { DEFAULT_ALLOWED_TAG } from '../allowed-tag';
import { forEachConcurrently } from '../batching';
import { TryLaterError, reasonOf } from '../errors';
import type { LaunchKind, LaunchPlan } from '../launch-settings';
import type {
  FlowDeps,
  LaunchConfigurationUpdate,
  LaunchConfigurationView,
  LaunchTemplateChange,
  LaunchTemplateVersionView,
  PostLaunchDeployment,
  TemplateTagSpecification,
} from '../ports';
import type { ServerRecord } from '../run-state';

/** Servers whose settings are written at once (each takes 2 to 5 calls, one after the other). */
export const LAUNCH_SETTINGS_CONCURRENCY = 10;

/** Resource types whose tags the plan's tags go to (the instance and its EBS volumes). */
export const TAGGED_RESOURCES = ['instance', 'volume'] as const;

const DEPLOYMENT_COVERS: Record<PostLaunchDeployment, readonly LaunchKind[]> = {
  TEST_AND_CUTOVER: ['test', 'cutover'],
  TEST_ONLY: ['test'],
  CUTOVER_ONLY: ['cutover'],
};

/** The UpdateLaunchConfiguration a launch needs, or undefined when MGN already holds every managed value. */
export function launchConfigurationUpdate(
  plan: LaunchPlan,
  kind: LaunchKind,
  current: LaunchConfigurationView,
): LaunchConfigurationUpdate | undefined {
  const copyPrivateIp = kind === 'cutover' && plan.copyPrivateIp;
  const deployment = current.postLaunchActions?.deployment;
  const needsSsmAgent = plan.installSsmAgent && !(deployment && DEPLOYMENT_COVERS[deployment]?.includes(kind));
  const holds =
    current.launchDisposition === 'STARTED' &&
    current.rightSizing === plan.rightSizing &&
    (current.copyPrivateIp ?? false) === copyPrivateIp &&
    current.copyTags === true &&
    (plan.byol === undefined || (current.osByol ?? false) === plan.byol) &&
    (plan.bootMode === undefined || current.bootMode === plan.bootMode) &&
    !needsSsmAgent;
  if (holds) return undefined;
  return {
    launchDisposition: 'STARTED',
    rightSizing: plan.rightSizing,
    copyPrivateIp,
    // the server's tags (manifest servers[].tags, given to the agent at install) follow it to AWS
    copyTags: true,
    ...(plan.byol !== undefined ? { osByol: plan.byol } : {}),
    // only a change: USE_SOURCE is MGN's initial value and not one UpdateLaunchConfiguration takes
    // (API reference, UpdateLaunchConfiguration: "bootMode valid values are LEGACY_BIOS | UEFI")
    ...(plan.bootMode && plan.bootMode !== 'USE_SOURCE' && current.bootMode !== plan.bootMode ? { bootMode: plan.bootMode } : {}),
    ...(needsSsmAgent ? { postLaunchActions: { ...(current.postLaunchActions ?? {}), deployment: 'TEST_AND_CUTOVER' as const } } : {}),
  };
}

/**
 * Why MGN's launch configuration cannot take the plan's boot mode: "use-source" once the server's
 * boot mode was set to LEGACY_BIOS or UEFI, which UpdateLaunchConfiguration cannot set back.
 */
export function bootModeConflict(plan: LaunchPlan, current: LaunchConfigurationView): string | undefined {
  if (plan.bootMode !== 'USE_SOURCE' || current.bootMode === undefined || current.bootMode === 'USE_SOURCE') return undefined;
  return (
    `launch.bootMode "use-source": MGN's launch configuration of ${current.sourceServerId} has bootMode ${current.bootMode}, and UpdateLaunchConfiguration ` +
    'takes only LEGACY_BIOS or UEFI (MGN API reference); set launch.bootMode to "legacy-bios" or "uefi" for this server'
  );
}

/** Why MGN's launch template cannot take the plan as it is (MGN's guide forbids instance-level groups). */
export function templateConflict(current: LaunchTemplateVersionView): string | undefined {
  if (current.instanceSecurityGroups.length === 0) return undefined;
  return (
    `launch template ${current.launchTemplateId} version ${current.versionNumber} (the default) sets instance-level security groups ` +
    `[${current.instanceSecurityGroups.join(', ')}], which EC2 refuses together with a network interface; MGN's guide says leave them blank: ` +
    'make a version without them the default, then re-run the wave'
  );
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

const tagsHeld = (specs: readonly TemplateTagSpecification[], want: Readonly<Record<string, string>>) =>
  TAGGED_RESOURCES.every((resourceType) => {
    const spec = specs.find((s) => s.resourceType === resourceType);
    return spec !== undefined && Object.entries(want).every(([k, v]) => spec.tags[k] === v);
  });

/** The plan's tags over the version's own tag specifications (other resource types kept as they are). */
function mergedTagSpecifications(specs: readonly TemplateTagSpecification[], want: Readonly<Record<string, string>>): TemplateTagSpecification[] {
  const out = specs.filter((s) => !(TAGGED_RESOURCES as readonly string[]).includes(s.resourceType)).map((s) => ({ ...s }));
  for (const resourceType of TAGGED_RESOURCES) {
    const own = specs.find((s) => s.resourceType === resourceType);
    out.push({ resourceType, tags: { ...(own?.tags ?? {}), ...want } });
  }
  return out;
}

const profileHeld = (current: LaunchTemplateVersionView, name: string) =>
  current.instanceProfile?.name === name || (current.instanceProfile?.arn?.endsWith(`/${name}`) ?? false);

/** The new template version a launch needs, or undefined when the default version already holds the plan. */
export function launchTemplateChange(
  plan: LaunchPlan,
  kind: LaunchKind,
  current: LaunchTemplateVersionView,
  description: string,
): LaunchTemplateChange | undefined {
  const privateIpAddress = kind === 'cutover' ? plan.privateIpAddress : undefined;
  const ni = current.networkInterfaces;
  const networkHeld =
    ni.length === 1 &&
    (ni[0].deviceIndex ?? 0) === 0 &&
    ni[0].subnetId === plan.subnetId &&
    sameSet(ni[0].groups, plan.securityGroupIds) &&
    ni[0].privateIpAddress === privateIpAddress &&
    ni[0].associatePublicIpAddress === false &&
    ni[0].deleteOnTermination !== false;
  const hasTags = Object.keys(plan.tags).length > 0;
  const held =
    networkHeld &&
    (!plan.instanceType || current.instanceType === plan.instanceType) &&
    (!plan.instanceProfile || profileHeld(current, plan.instanceProfile)) &&
    (!hasTags || tagsHeld(current.tagSpecifications, plan.tags));
  if (held) return undefined;
  return {
    networkInterface: {
      subnetId: plan.subnetId,
      groups: [...plan.securityGroupIds],
      ...(privateIpAddress ? { privateIpAddress } : {}),
    },
    ...(plan.instanceType ? { instanceType: plan.instanceType } : {}),
    ...(plan.instanceProfile ? { instanceProfileName: plan.instanceProfile } : {}),
    ...(hasTags ? { tagSpecifications: mergedTagSpecifications(current.tagSpecifications, plan.tags) } : {}),
    description,
  };
}

/** A refusal that is not "not now", named by the call that got it. */
class LaunchSettingsRefused extends Error {
  override readonly name = 'LaunchSettingsRefused';
}

async function attempt<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TryLaterError) throw error;
    throw new LaunchSettingsRefused(`${what}: ${reasonOf(error)}`);
  }
}

export interface LaunchSettingsOutcome {
  /** settings in place: these servers may launch */
  readonly ready: { readonly record: ServerRecord; readonly launchTemplate: { id: string; version: number; wrote: boolean } }[];
  /** "not now" (throttling): try again next poll */
  readonly later: { readonly record: ServerRecord; readonly reason: string }[];
  /** refused: set these servers aside in the launch phase */
  readonly refused: { readonly record: ServerRecord; readonly reason: string }[];
}

/**
 * Puts the launch settings of `kind` in place for the given servers, LAUNCH_SETTINGS_CONCURRENCY at
 * a time. After the first "not now" no further server is started this poll.
 */
export async function applyLaunchSettings(
  deps: FlowDeps,
  kind: LaunchKind,
  waveId: string,
  servers: readonly { readonly record: ServerRecord; readonly plan: LaunchPlan }[],
): Promise<LaunchSettingsOutcome> {
  const outcome: { ready: LaunchSettingsOutcome['ready'][number][]; later: LaunchSettingsOutcome['later'][number][]; refused: LaunchSettingsOutcome['refused'][number][] } = {
    ready: [],
    later: [],
    refused: [],
  };
  let throttled: string | undefined;
  const description = `mgn-orchestrator: ${kind} launch of wave ${waveId}`;
  const allowedTag = deps.config.allowedTag ?? DEFAULT_ALLOWED_TAG;
  await forEachConcurrently(servers, LAUNCH_SETTINGS_CONCURRENCY, async ({ record, plan }) => {
    if (throttled) {
      outcome.later.push({ record, reason: throttled });
      return;
    }
    const id = record.sourceServerId!;
    try {
      const config = await attempt('GetLaunchConfiguration', () => deps.mgn.getLaunchConfiguration(id));
      const bootConflict = bootModeConflict(plan, config);
      if (bootConflict) throw new LaunchSettingsRefused(bootConflict);
      const update = launchConfigurationUpdate(plan, kind, config);
      if (update) await attempt('UpdateLaunchConfiguration', () => deps.mgn.updateLaunchConfiguration(id, update));
      const templateId = config.ec2LaunchTemplateId;
      if (!templateId)
        throw new LaunchSettingsRefused('GetLaunchConfiguration: MGN names no EC2 launch template (ec2LaunchTemplateID) for this server');
      const current = await attempt(`DescribeLaunchTemplateVersions on ${templateId}`, () => deps.ec2.describeDefaultLaunchTemplateVersion(templateId));
      const conflict = templateConflict(current);
      if (conflict) throw new LaunchSettingsRefused(conflict);
      // the launched instance carries the allowed tag, so the verify steps may still send it Run Command (issue 12 item 3)
      const change = launchTemplateChange({ ...plan, tags: { ...plan.tags, [allowedTag.key]: allowedTag.value } }, kind, current, description);
      let version = current.versionNumber;
      if (change) {
        version = await attempt(`CreateLaunchTemplateVersion on ${templateId}`, () =>
          deps.ec2.createLaunchTemplateVersion(templateId, current.versionNumber, change),
        );
        await attempt(`ModifyLaunchTemplate on ${templateId}`, () => deps.ec2.setDefaultLaunchTemplateVersion(templateId, version));
      }
      outcome.ready.push({ record, launchTemplate: { id: templateId, version, wrote: update !== undefined || change !== undefined } });
    } catch (error) {
      if (error instanceof TryLaterError) {
        throttled ??= `launch settings not written yet: ${error.code}: ${error.message}`;
        outcome.later.push({ record, reason: throttled });
      } else outcome.refused.push({ record, reason: `launch settings refused: ${error instanceof LaunchSettingsRefused ? error.message : reasonOf(error)}` });
    }
  });
  return outcome;
}

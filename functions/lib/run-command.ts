/**
 * Sending Run Command to hosts, any of which may have gone offline since it was last seen. SSM
 * refuses a SendCommand naming any instance that is not Online with InvalidInstanceId, for the whole
 * call (SSM API reference, SendCommand errors): nothing runs on any target. So on that answer the
 * batch is read back with DescribeInstanceInformation, the hosts that are not Online are set aside,
 * each with its ping status, and the command goes to the rest.
 */
import { CommandNotAuthorizedError, CommandTargetsRefusedError } from './errors';
import type { SendCommandRequest, SsmPort } from './ports';

/** Sends at most this many times per batch: hosts can drop between a refusal and the next send. */
export const MAX_SEND_ATTEMPTS = 3;

export interface HostSetAside {
  readonly instanceId: string;
  readonly reason: string;
}

export interface SendOutcome {
  /** the command id, when the command went to some host */
  readonly commandId?: string;
  /** the hosts the command went to */
  readonly sentTo: readonly string[];
  /** the hosts it could not go to, each with why */
  readonly setAside: readonly HostSetAside[];
}

/** Why SSM will not take commands for this host, from its DescribeInstanceInformation entry (or its absence). */
export function unreachableReason(
  instanceId: string,
  region: string,
  info: { pingStatus: string; lastPingAt?: string } | undefined,
): string {
  if (!info)
    return `host ${instanceId} is not registered with SSM in ${region}: Run Command refuses commands naming it (InvalidInstanceId); check its SSM agent, instance profile or hybrid activation, and the ssm/ssmmessages/ec2messages endpoints`;
  const last = info.lastPingAt ? `, last ping ${info.lastPingAt}` : '';
  return `host ${instanceId} is ${info.pingStatus} in SSM (${region}${last}), not Online: Run Command refuses commands naming it (InvalidInstanceId); bring its SSM agent back, then re-run the wave`;
}

/**
 * SendCommand to `request.instanceIds` (≤ 50) in `region`, to the Online ones when SSM refuses the call
 * for an offline one. Other errors (throttling, a missing document) are the caller's.
 */
export async function sendToOnlineHosts(ssm: SsmPort, region: string, request: SendCommandRequest): Promise<SendOutcome> {
  const setAside: HostSetAside[] = [];
  let remaining = [...request.instanceIds];
  for (let attempt = 1; remaining.length > 0; attempt++) {
    try {
      const commandId = await ssm.sendCommand({ ...request, instanceIds: remaining });
      return { commandId, sentTo: remaining, setAside };
    } catch (error) {
      if (error instanceof CommandNotAuthorizedError) {
        // IAM, not SSM: a target without the deploy config's allowedTag (preflight sets those aside
        // first, so a tag removed since). Nothing ran; only this batch is set aside.
        for (const id of remaining)
          setAside.push({
            instanceId: id,
            reason: `IAM refused Run Command to this batch in ${region} (${error.message}): the step may send commands only to instances carrying the deploy config's allowedTag; check the tags of every host in the batch, then re-run the wave`,
          });
        return { sentTo: [], setAside };
      }
      if (!(error instanceof CommandTargetsRefusedError)) throw error;
      const infos = new Map((await ssm.describeInstanceInformation(remaining)).map((i) => [i.instanceId, i]));
      const offline = remaining.filter((id) => infos.get(id)?.pingStatus !== 'Online');
      for (const id of offline) setAside.push({ instanceId: id, reason: unreachableReason(id, region, infos.get(id)) });
      remaining = remaining.filter((id) => !offline.includes(id));
      // Refused although every host says Online, or still refused after a few rounds: not an offline
      // host this step can route around (IAM on the instances, say). Only this batch is set aside.
      if (remaining.length > 0 && (offline.length === 0 || attempt >= MAX_SEND_ATTEMPTS)) {
        for (const id of remaining)
          setAside.push({
            instanceId: id,
            reason: `SSM refused Run Command for host ${id} in ${region} (${error.message}) although it is Online: check that this account may send commands to it (ssm:SendCommand on the instance)`,
          });
        remaining = [];
      }
    }
  }
  return { sentTo: [], setAside };
}

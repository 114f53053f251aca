/**
 * How one server's agent installer gets AWS credentials. Kept apart from manifest.ts so the steps that
 * only need this rule (install-agents, report) do not bundle the manifest's zod schemas (~450 KB).
 */
import type { ServerSpec, WaveOptions } from './manifest';

export type CredentialsMode = 'instance-profile' | 'installer-role';

/**
 * options.credentials when the wave sets it; left out, installer-role for an on-premises source (no
 * instance profile there, and the installer runs with --no-prompt) and the instance profile for an
 * EC2 source.
 */
export const credentialsModeOf = (
  options: Pick<WaveOptions, 'credentials'>,
  server: Pick<ServerSpec, 'source'>,
): CredentialsMode => options.credentials ?? (server.source.type === 'onprem' ? 'installer-role' : 'instance-profile');

/**
 * How a manifest server is known to SSM and MGN. Kept apart from manifest.ts (which carries the zod
 * schema) so steps that only read an already-validated manifest do not load the validator.
 */
import type { ServerSpec } from './manifest';

/** The id SSM and MGN know the source by: the EC2 instance id or the managed instance id. */
export const sourceInstanceId = (server: ServerSpec): string =>
  server.source.type === 'ec2' ? server.source.instanceId : server.source.managedInstanceId;

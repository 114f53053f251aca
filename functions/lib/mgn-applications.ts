/**
 * The MGN application of each server of a wave. Apart from manifest.ts (which re-exports it) so that
 * the steps that group servers in MGN on every poll (wait-replication, finalize-cutover) do not
 * bundle the manifest's zod schemas (zod classic) and load them on every cold start.
 */

/**
 * MGN's ApplicationName (model mgn-2020-02-26): 1-256 characters, no NUL, no whitespace but spaces
 * between words. Names are unique per account and region, case-insensitively (MGN user guide).
 */
// eslint-disable-next-line no-control-regex
export const MGN_APPLICATION_NAME = /^(?=.{1,256}$)[^\s\x00]( *[^\s\x00])*$/;
/** An MGN application holds at most 200 source servers (MGN user guide, "Applications"). */
export const MAX_SERVERS_PER_APPLICATION = 200;

/**
 * The MGN application of each server, in manifest order: its `application`, else the wave's default
 * application, named after the wave. MGN holds at most 200 servers in an application, so servers
 * past the 200th without an `application` go to `<waveId>-2`, `<waveId>-3`, ... in groups of 200.
 */
export function applicationNamesOf(waveId: string, servers: readonly { readonly application?: unknown }[]): string[] {
  let unnamed = 0;
  return servers.map((server) => {
    if (typeof server.application === 'string') return server.application;
    const group = Math.floor(unnamed / MAX_SERVERS_PER_APPLICATION);
    unnamed += 1;
    return group === 0 ? waveId : `${waveId}-${group + 1}`;
  });
}

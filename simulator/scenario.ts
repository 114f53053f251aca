/**
 * A simulator scenario: how the emulated fleet behaves (disk sizes, bandwidth, install time),
 * which servers fail where, how often the APIs throttle, how the approval is answered and where
 * executions are interrupted. Validated like the manifest: unknown keys and bad values are errors.
 */
import { z } from 'zod';
import { INSTANCE_PROFILE_NAME, INSTANCE_TYPE, SECURITY_GROUP_ID, SUBNET_ID } from '../functions/lib/manifest';
import { parseOrThrow } from '../functions/lib/validation';

export const FAULT_KINDS = [
  'precheck-fails',
  'install-fails',
  'replication-stalls',
  'test-launch-fails',
  'test-check-fails',
  'cutover-launch-fails',
  'agent-offline',
  'cutover-check-fails',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The phase names of a wave run live with the flow (functions/lib/phases.ts); re-exported here for the simulator.
 * Fault kinds fail a server in these phases: precheck-fails -> precheck, install-fails -> install,
 * replication-stalls -> replication, test-launch-fails -> test-launch, test-check-fails -> test-verify,
 * cutover-launch-fails -> cutover-launch, agent-offline (the host's SSM agent stops answering after its
 * precheck, so Run Command refuses every command naming it) -> install, cutover-check-fails (the cutover
 * instance boots but fails the server's first smoke check, as test-check-fails does on the test instance:
 * its port refuses, its URL answers another status, its service is not running; with no checks, EC2's
 * reachability check) -> cutover-verify, where the flow reverts the server to READY_FOR_CUTOVER.
 */
import { PHASES, type PhaseName } from '../functions/lib/phases';
export { PHASES, type PhaseName };

export const FAULT_PHASE: Record<FaultKind, PhaseName> = {
  'precheck-fails': 'precheck',
  'install-fails': 'install',
  'replication-stalls': 'replication',
  'test-launch-fails': 'test-launch',
  'test-check-fails': 'test-verify',
  'cutover-launch-fails': 'cutover-launch',
  'agent-offline': 'install',
  'cutover-check-fails': 'cutover-verify',
};

const positive = (field: string, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .positive(`${field} must be > 0`)
    .max(max, `${field} must be <= ${max}`);

const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const cidr = (what: string, minMask = 0, maxMask = 32) =>
  z
    .string({ error: `${what} must be an IPv4 CIDR block (like 10.40.9.0/24)` })
    .regex(CIDR, { error: (iss) => `${JSON.stringify(iss.input)} is not an IPv4 CIDR block (like 10.40.9.0/24)` })
    .refine((c) => Number(c.split('/')[1]) >= minMask && Number(c.split('/')[1]) <= maxMask, {
      error: (iss) => `${JSON.stringify(iss.input)}: the block size must be between /${minMask} and /${maxMask}`,
    });
const id = (re: RegExp, what: string) => z.string().regex(re, { error: (iss) => `${JSON.stringify(iss.input)} is not ${what}` });
const VPC_ID = /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/;
const portNumber = z.number().int().min(0, 'ports are 0..65535').max(65535, 'ports are 0..65535');

/** A security group rule of a scenario group: protocol, ports, and exactly one of cidr / groupId. */
const securityGroupRule = z
  .strictObject({
    protocol: z.enum(['tcp', 'udp', '-1'], { error: (iss) => `${JSON.stringify(iss.input)} is not a protocol; use "tcp", "udp" or "-1" (all)` }),
    fromPort: portNumber.optional(),
    toPort: portNumber.optional(),
    cidr: cidr('cidr').optional(),
    groupId: id(SECURITY_GROUP_ID, 'a security group id (sg-…)').optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.cidr === undefined) === (r.groupId === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of cidr and groupId' });
    if (r.protocol === '-1' && (r.fromPort !== undefined || r.toPort !== undefined))
      ctx.addIssue({ code: 'custom', path: ['fromPort'], message: 'protocol "-1" covers every port; leave fromPort and toPort out' });
    if (r.protocol !== '-1' && (r.fromPort === undefined || r.toPort === undefined))
      ctx.addIssue({ code: 'custom', path: ['fromPort'], message: 'tcp and udp rules need fromPort and toPort' });
    if (r.fromPort !== undefined && r.toPort !== undefined && r.fromPort > r.toPort)
      ctx.addIssue({ code: 'custom', path: ['toPort'], message: `toPort ${r.toPort} is below fromPort ${r.fromPort}` });
  });

/**
 * Network resources a scenario adds to the simulated account (extension, for tests): VPCs, subnets
 * with their routes, security groups and IAM instance profiles. A subnet or group without vpcId is in
 * the stack's VPC. The emulator checks them against the deploy config's network (simulator/network.ts).
 */
export const scenarioNetworkSchema = z.strictObject({
  vpcs: z
    .array(z.strictObject({ vpcId: id(VPC_ID, 'a VPC id (vpc-…)'), cidr: cidr('cidr', 16, 28), name: z.string().min(1).max(128).optional() }))
    .max(5)
    .optional(),
  subnets: z
    .array(
      z.strictObject({
        subnetId: id(SUBNET_ID, 'a subnet id (subnet- and 8 or 17 hex digits)'),
        vpcId: id(VPC_ID, 'a VPC id (vpc-…)').optional(),
        cidr: cidr('cidr', 16, 28),
        availabilityZone: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}[a-z]$/, { error: (iss) => `${JSON.stringify(iss.input)} is not an availability zone name` }),
        name: z.string().min(1).max(128).optional(),
        /** Routes besides the local one, e.g. { destination: "0.0.0.0/0", target: "igw-…" }. */
        routes: z
          .array(
            z.strictObject({
              destination: cidr('destination'),
              target: z.string().regex(/^(igw|nat|pcx|tgw)-([0-9a-f]{8}|[0-9a-f]{17})$/, {
                error: (iss) => `${JSON.stringify(iss.input)} is not an internet gateway, NAT gateway, peering connection or transit gateway id (igw-, nat-, pcx-, tgw-)`,
              }),
            }),
          )
          .max(50)
          .optional(),
      }),
    )
    .max(50)
    .optional(),
  securityGroups: z
    .array(
      z.strictObject({
        groupId: id(SECURITY_GROUP_ID, 'a security group id (sg-…)'),
        vpcId: id(VPC_ID, 'a VPC id (vpc-…)').optional(),
        name: z.string().regex(/^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/, { error: 'name must be 1-255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*' }),
        description: z.string().min(1).max(255).optional(),
        ingress: z.array(securityGroupRule).max(60).optional(),
        /** Default: all outbound traffic, as for a new security group. */
        egress: z.array(securityGroupRule).max(60).optional(),
      }),
    )
    .max(50)
    .optional(),
  /**
   * Rules added to existing groups (AuthorizeSecurityGroupIngress/Egress), e.g. to let the
   * orchestrator Lambdas reach launched instances. `group` and a rule's `groupId` may name one of the
   * stack's groups by role: "orchestrator", "probe", "target", "endpoints", "replication".
   */
  securityGroupRules: z
    .array(
      z
        .strictObject({
          group: z.string().regex(/^(orchestrator|probe|target|endpoints|replication|sg-([0-9a-f]{8}|[0-9a-f]{17}))$/, {
            error: (iss) => `${JSON.stringify(iss.input)} is not a security group id or one of orchestrator, probe, target, endpoints, replication`,
          }),
          direction: z.enum(['ingress', 'egress'], { error: (iss) => `${JSON.stringify(iss.input)} is not allowed; use "ingress" or "egress"` }),
          protocol: z.enum(['tcp', 'udp', '-1'], { error: (iss) => `${JSON.stringify(iss.input)} is not a protocol; use "tcp", "udp" or "-1" (all)` }),
          fromPort: portNumber.optional(),
          toPort: portNumber.optional(),
          cidr: cidr('cidr').optional(),
          groupId: z
            .string()
            .regex(/^(orchestrator|probe|target|endpoints|replication|sg-([0-9a-f]{8}|[0-9a-f]{17}))$/, {
              error: (iss) => `${JSON.stringify(iss.input)} is not a security group id or one of orchestrator, probe, target, endpoints, replication`,
            })
            .optional(),
        })
        .superRefine((r, ctx) => {
          if ((r.cidr === undefined) === (r.groupId === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of cidr and groupId' });
          if (r.protocol !== '-1' && (r.fromPort === undefined || r.toPort === undefined))
            ctx.addIssue({ code: 'custom', path: ['fromPort'], message: 'tcp and udp rules need fromPort and toPort' });
          if (r.fromPort !== undefined && r.toPort !== undefined && r.fromPort > r.toPort)
            ctx.addIssue({ code: 'custom', path: ['toPort'], message: `toPort ${r.toPort} is below fromPort ${r.fromPort}` });
        }),
    )
    .max(100)
    .optional(),
  /** Instance profiles that exist besides the stack's; ssmAgent (default true): its role carries AmazonSSMManagedInstanceCore. */
  instanceProfiles: z
    .array(z.strictObject({ name: id(INSTANCE_PROFILE_NAME, 'an instance profile name (1-128 letters, digits and +=,.@_-)'), ssmAgent: z.boolean().optional() }))
    .max(20)
    .optional(),
});

export type ScenarioNetwork = z.output<typeof scenarioNetworkSchema>;

/* ---- issue 12 item 3: the sources' tags and IAM's allowed-tag condition on Run Command ---- */
const TAG_KEY_TEXT = /^[\p{L}\p{N} _.:/=+\-@]{1,128}$/u;
const TAG_VALUE_TEXT = /^[\p{L}\p{N} _.:/=+\-@]{0,256}$/u;
/**
 * The tags of the wave's sources in the emulated account (extension), and whether IAM holds Run
 * Command to them. `sources.<server name>` replaces the tags of that server's source (its EC2
 * instance, or its managed instance `mi-…`); a source not listed carries the deploy config's
 * allowedTag, as a fleet prepared by the README's instructions does. With `enforced`, SendCommand
 * naming any instance without the allowedTag answers AccessDeniedException, as the step roles'
 * `ssm:resourceTag` condition makes IAM answer.
 */
export const hostTagsSchema = z.strictObject({
  sources: z
    .record(
      z.string(),
      z.record(
        z.string().regex(TAG_KEY_TEXT, { error: (iss) => `${JSON.stringify(iss.input)} is not a tag key (1-128 letters, digits, spaces or _ . : / = + - @)` }),
        z.string().regex(TAG_VALUE_TEXT, { error: (iss) => `${JSON.stringify(iss.input)} is not a tag value (up to 256 letters, digits, spaces or _ . : / = + - @)` }),
      ),
    )
    .optional(),
  enforced: z.boolean().optional(),
});

// --- finalize gate (issue 13): the answer of each approval gate, and a re-run of the wave ---
const gateAnswersSchema = z.strictObject({
  cutover: z
    .enum(['approve', 'reject'], {
      error: (iss) => `${JSON.stringify(iss.input)} is not allowed at the cutover gate; use "approve" or "reject" (nothing is cut over yet to revert)`,
    })
    .optional(),
  finalize: z
    .enum(['approve', 'reject', 'revert'], {
      error: (iss) => `${JSON.stringify(iss.input)} is not allowed at the finalize gate; use "approve", "reject" or "revert"`,
    })
    .optional(),
});
const rerunSchema = z.strictObject({
  approval: z
    .union([z.enum(['approve', 'reject']), gateAnswersSchema], {
      error: (iss) => `${JSON.stringify(iss.input)} is not allowed; use "approve", "reject" or { "cutover"?, "finalize"? }`,
    })
    .optional(),
});

export const scenarioSchema = z.strictObject({
  seed: z
    .number()
    .int('seed must be an integer')
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  defaults: z
    .strictObject({
      diskGiB: positive('diskGiB', 65536).optional(),
      bandwidthMbps: positive('bandwidthMbps', 100000).optional(),
      installSeconds: positive('installSeconds', 86400).optional(),
    })
    .optional(),
  servers: z
    .record(
      z.string(),
      z.strictObject({
        diskGiB: positive('diskGiB', 65536).optional(),
        bandwidthMbps: positive('bandwidthMbps', 100000).optional(),
        installSeconds: positive('installSeconds', 86400).optional(),
        /** the instance type of an EC2 source's own instance (DescribeInstances in its region); default m5.large */
        sourceInstanceType: z
          .string()
          .regex(INSTANCE_TYPE, { error: (iss) => `${JSON.stringify(iss.input)} is not an EC2 instance type (like r5.xlarge)` })
          .optional(),
        fault: z
          .enum(FAULT_KINDS, {
            error: (iss) =>
              `${JSON.stringify(iss.input)} is not a fault; use one of ${FAULT_KINDS.join(', ')}`,
          })
          .optional(),
      }),
    )
    .optional(),
  throttle: z
    .strictObject({ rate: z.number().min(0, 'rate must be 0..1').max(1, 'rate must be 0..1') })
    .optional(),
  approval: z
    .union([
      z.enum(['approve', 'reject'], {
        error: (iss) => `${JSON.stringify(iss.input)} is not allowed; use "approve" or "reject"`,
      }),
      // finalize gate (issue 13): each gate's answer
      z.lazy(() => gateAnswersSchema),
    ], { error: (iss) => `${JSON.stringify(iss.input)} is not allowed; use "approve", "reject" or { "cutover"?: "approve" | "reject", "finalize"?: "approve" | "reject" | "revert" }` })
    .optional(),
  /** Once the wave's run has ended, run it again (a new execution, same manifest), its gates answered as `approval` says (extension). */
  rerun: z.lazy(() => rerunSchema).optional(),
  /**
   * Account quotas the emulator enforces (extension). replicatingServers is MGN's quota on source
   * servers in active replication (Service Quotas mgn/L-9A599620): 150 on a fresh account, as AWS
   * sets it; set more to simulate an account after a quota increase.
   */
  quotas: z
    .strictObject({
      replicatingServers: z
        .number()
        .int()
        .min(1, 'replicatingServers must be 1..10000')
        .max(10000, 'replicatingServers must be 1..10000')
        .optional(),
    })
    .optional(),
  /**
   * The simulated account (extension): `mgnInitialized: false` is an account where MGN was never
   * initialized in the target region (every MGN call answers UninitializedAccountException).
   */
  account: z.strictObject({ mgnInitialized: z.boolean().optional() }).optional(),
  /** Emulator and runner chaos for the fault matrix (extension); each rate is a share of calls, 0..1. */
  chaos: z
    .strictObject({
      internalErrorRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
      dropConnectionRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
      slowResponseRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
      lambdaErrorRate: z.number().min(0, 'rates are 0..1').max(1, 'rates are 0..1').optional(),
    })
    .optional(),
  /**
   * STS in the emulator (extension): every AssumeRole answer embeds `credentialCanary` in its secret
   * key and session token, so tests can prove the credentials never reach logs, reports or history.
   */
  sts: z
    .strictObject({
      credentialCanary: z
        .string()
        .regex(/^[A-Za-z0-9]{8,64}$/, 'credentialCanary must be 8-64 letters or digits')
        .optional(),
    })
    .optional(),
  /** Network resources the scenario adds to the simulated account (see scenarioNetworkSchema). */
  network: scenarioNetworkSchema.optional(),
  /**
   * The stack's replication template as an operator left it (extension): it exists before the wave
   * starts (made by an earlier run, tagged with the stack's staging subnet) and was then edited in the
   * MGN console to these settings. Preflight must find the drift and put the isolated-network settings
   * back (UpdateReplicationConfigurationTemplate) before any server is added.
   */
  replicationTemplate: z
    .strictObject({
      dataPlaneRouting: z
        .enum(['PRIVATE_IP', 'PUBLIC_IP'], { error: (iss) => `${JSON.stringify(iss.input)} is not allowed; use "PRIVATE_IP" or "PUBLIC_IP"` })
        .optional(),
      createPublicIP: z.boolean({ error: 'createPublicIP must be true or false' }).optional(),
      /** another subnet of the target region (the stack's, or one the scenario's network adds) */
      stagingAreaSubnetId: id(SUBNET_ID, 'a subnet id (subnet- and 8 or 17 hex digits)').optional(),
      associateDefaultSecurityGroup: z.boolean({ error: 'associateDefaultSecurityGroup must be true or false' }).optional(),
    })
    .refine((t) => Object.keys(t).length > 0, { error: 'name at least one drifted setting (dataPlaneRouting, createPublicIP, stagingAreaSubnetId, associateDefaultSecurityGroup)' })
    .optional(),
  /**
   * S3 outages (extension): for `seconds` of virtual time from `startSeconds` after the simulation
   * starts, S3 answers every `operation` request on a key matching `key` with a 5xx (500 InternalError
   * or 503 ServiceUnavailable, as S3 does), so calls fail past the SDK's retries. `key` is a pattern in
   * which `*` stands for any characters within one path segment (never "/"); see
   * examples/scenarios/s3-outage.json.
   */
  s3Outages: z
    .array(
      z.strictObject({
        operation: z.enum(['PutObject', 'GetObject', 'DeleteObject'], {
          error: (iss) => `${JSON.stringify(iss.input)} is not an S3 operation the flow uses; use PutObject, GetObject or DeleteObject`,
        }),
        key: z
          .string({ error: 'key must be a key pattern (like waves/*/runs/*/servers.json)' })
          .min(1, 'key must not be empty')
          .max(1024, 'key must be at most 1024 characters'),
        status: z
          .union([z.literal(500), z.literal(503)], { error: (iss) => `${JSON.stringify(iss.input)} is not allowed; use 500 (InternalError) or 503 (ServiceUnavailable)` })
          .optional(),
        startSeconds: z.number({ error: 'startSeconds must be a number' }).min(0, 'startSeconds must be >= 0').max(30 * 86400, 'startSeconds must be <= 2592000').optional(),
        seconds: positive('seconds', 30 * 86400),
      }),
    )
    .max(20)
    .optional(),
  /** The sources' tags and IAM's allowed-tag condition on Run Command (see hostTagsSchema). */
  hostTags: hostTagsSchema.optional(),
  interruptions: z
    .array(
      z.strictObject({
        afterPhase: z.enum(PHASES, {
          error: (iss) => `${JSON.stringify(iss.input)} is not a phase; use one of ${PHASES.join(', ')}`,
        }),
      }),
    )
    .max(20)
    .optional(),
  /**
   * A second execution of every wave (a double EventBridge event, a console start during an API
   * start), started once the first completes this phase; it must end at once with
   * WaveAlreadyRunning while the first runs, or run normally once the first has ended (extension).
   */
  secondStart: z
    .strictObject({
      afterPhase: z.enum(PHASES, {
        error: (iss) => `${JSON.stringify(iss.input)} is not a phase; use one of ${PHASES.join(', ')}`,
      }),
    })
    .optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;

export const SCENARIO_DEFAULTS = {
  diskGiB: 100,
  bandwidthMbps: 500,
  installSeconds: 180,
  /** MGN's default quota on replicating source servers (Service Quotas mgn/L-9A599620). */
  replicatingServers: 150,
} as const;

export const parseScenario = (input: unknown): Scenario => parseOrThrow(scenarioSchema, input, 'scenario');

/**
 * The wave manifest: the one input a migration team writes. Parsed here, at the edge, with zod;
 * the parsed type is the domain type every step works with.
 *
 * Rules worth knowing:
 * - unknown keys are errors everywhere, so a typo ("aproval") never passes silently;
 * - every string that can reach a shell command on a source host (devices, tags, ids, check
 *   names and URLs) is restricted to characters with no meaning to bash or PowerShell, so we
 *   never depend on quoting to hold.
 */
import * as z from 'zod';
import { formatIssues, formatPath, InvalidInputError, show } from './validation';
import { applicationNamesOf, MAX_SERVERS_PER_APPLICATION, MGN_APPLICATION_NAME } from './mgn-applications';

export { applicationNamesOf, MAX_SERVERS_PER_APPLICATION, MGN_APPLICATION_NAME };

export const MAX_SERVERS_PER_WAVE = 1000;

export const WAVE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** us-east-1, ap-southeast-2, us-gov-west-1, eu-central-2 ... */
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$/;
export const EC2_INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const MANAGED_INSTANCE_ID = /^mi-[0-9a-f]{17}$/;
export const FQDN =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** An endpoint-specific interface endpoint DNS name; `*.` (as the console shows it) is accepted and dropped. */
export const ENDPOINT_DNS =
  /^(?:\*\.)?vpce-[0-9a-f]{8,17}-[0-9a-z]{8}(?:-[a-z]{2}(?:-gov)?-[a-z]+-[0-9][a-z])?\.(?<service>[a-z0-9-]+)\.(?<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2})\.vpce\.amazonaws\.com$/;
export const LINUX_DEVICE = /^\/dev\/[A-Za-z0-9][A-Za-z0-9_-]{0,62}(\/[A-Za-z0-9][A-Za-z0-9_-]{0,62}){0,2}$/;
export const WINDOWS_DRIVE = /^[A-Za-z]:$/;
/**
 * MGN tag rules, narrowed to characters that are inert in bash and PowerShell. Keys also exclude "=",
 * which separates key and value on the installer's command line, in the CSV and in the SSM parameter.
 */
export const TAG_KEY = /^[\p{L}\p{N} _.:/+\-@]{1,128}$/u;
export const TAG_VALUE = /^[\p{L}\p{N} _.:/=+\-@]{0,256}$/u;
export const USER_PROVIDED_ID = /^[A-Za-z0-9_.:/=+\-@]{1,128}$/;
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;
/**
 * http(s) URL without shell metacharacters (no spaces, quotes, $, `, ;, &, |, <, >, (, ), *, !, \, {, }).
 * "%" only as a percent-escape (%2F), so cmd-style %VAR% expansion has nothing to expand.
 */
export const CHECK_URL =
  /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/([A-Za-z0-9._~/=+,:@-]|%[0-9A-Fa-f]{2})*)?(\?([A-Za-z0-9._~/=+,:@-]|%[0-9A-Fa-f]{2})*)?$/;
/** An SSM parameter name (optionally a /path/name), as the installer reads its short-lived credentials from one. */
export const SSM_PARAMETER_NAME = /^(?=.{1,1011}$)\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

export const SUBNET_ID = /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const SECURITY_GROUP_ID = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** An EC2 instance type: family (with generation and attributes) dot size, e.g. m6i.large, u-6tb1.metal. */
export const INSTANCE_TYPE = /^[a-z][a-z0-9-]{0,15}\.[a-z0-9]{1,16}$/;
/** IAM instance profile name rules (1-128 of letters, digits and + = , . @ _ -). */
export const INSTANCE_PROFILE_NAME = /^[A-Za-z0-9+=,.@_-]{1,128}$/;
export const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;

export interface EndpointDns {
  /** the name without any leading `*.` */
  readonly dns: string;
  readonly service: string;
  readonly region: string;
}

/** Parses an interface endpoint DNS name, or returns undefined when it is not one. */
export function parseEndpointDns(value: string): EndpointDns | undefined {
  const m = ENDPOINT_DNS.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const dns = value.trim().toLowerCase().replace(/^\*\./, '');
  return { dns, service: m.groups!.service, region: m.groups!.region };
}

/** zod calls error maps for a missing value too; say "is required" rather than "nothing is not ..." */
const describe = (what: string, bad: (input: unknown) => string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `is required (${what})` : bad(iss.input);

const regex = (re: RegExp, what: string) =>
  z
    .string({ error: describe(what, (input) => `expected a string (${what}), got ${show(input)}`) })
    .regex(re, {
      error: (iss) => `${show(iss.input)} is not ${what}`,
    });

const endpointDns = (service: string) =>
  z.string().transform((value, ctx) => {
    const parsed = parseEndpointDns(value);
    if (!parsed || parsed.service !== service) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(value)} is not an endpoint-specific ${service} interface endpoint DNS name (vpce-<id>-<suffix>.${service}.<region>.vpce.amazonaws.com)`,
      });
      return z.NEVER;
    }
    return parsed.dns;
  });

const ec2Source = z.strictObject({
  type: z.literal('ec2'),
  instanceId: regex(EC2_INSTANCE_ID, 'an EC2 instance id (i- followed by 8 or 17 hex digits)'),
  region: regex(REGION, 'an AWS region code (like eu-west-1)'),
});

const onpremSource = z.strictObject({
  type: z.literal('onprem'),
  managedInstanceId: regex(MANAGED_INSTANCE_ID, 'an SSM managed instance id (mi- followed by 17 hex digits)'),
  hostname: regex(FQDN, 'a fully qualified host name (letters, digits, hyphens and dots)').optional(),
});

const source = z.discriminatedUnion('type', [ec2Source, onpremSource], {
  error: (iss) =>
    iss.code === 'invalid_union' && iss.input && typeof iss.input === 'object'
      ? `type must be "ec2" or "onprem", got ${show((iss.input as { type?: unknown }).type)}`
      : 'expected an object with type "ec2" or "onprem"',
});

const check = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('tcp'),
      port: z.number().int().min(1, 'port must be 1..65535').max(65535, 'port must be 1..65535'),
    }),
    z.strictObject({
      type: z.literal('http'),
      url: regex(CHECK_URL, 'an http(s) URL without spaces, quotes or shell metacharacters'),
      expectStatus: z
        .number()
        .int()
        .min(100, 'expectStatus must be 100..599')
        .max(599, 'expectStatus must be 100..599'),
    }),
    z.strictObject({
      type: z.literal('service'),
      name: regex(SERVICE_NAME, 'a service name (letters, digits, _ . @ -)'),
    }),
  ],
  {
    error: () => 'a check must be {type:"tcp",port} | {type:"http",url,expectStatus} | {type:"service",name}',
  },
);

const tags = z.record(z.string(), z.string()).superRefine((record, ctx) => {
  const keys = Object.keys(record);
  if (keys.length > 50) ctx.addIssue({ code: 'custom', message: `at most 50 tags, got ${keys.length}` });
  for (const key of keys) {
    if (!TAG_KEY.test(key))
      ctx.addIssue({
        code: 'custom',
        // an empty key has no useful path of its own: point at the tags object
        path: key ? [key] : [],
        message: `tag key ${show(key)} must be 1-128 letters, digits, spaces or _ . : / + - @ (no "=")`,
      });
    else if (key.toLowerCase().startsWith('aws:'))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'tag keys starting with "aws:" are reserved by AWS',
      });
    if (typeof record[key] === 'string' && !TAG_VALUE.test(record[key]))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `tag value ${show(record[key])} must be at most 256 letters, digits, spaces or _ . : / = + - @`,
      });
  }
});

const securityGroupIds = z
  .array(regex(SECURITY_GROUP_ID, 'a security group id (sg- followed by 8 or 17 hex digits)'))
  .min(1, 'securityGroupIds, when given, lists 1 to 5 security groups')
  .max(5, 'at most 5 security groups per network interface');

const launchNetwork = {
  subnetId: regex(SUBNET_ID, 'a subnet id (subnet- followed by 8 or 17 hex digits)').optional(),
  securityGroupIds: securityGroupIds.optional(),
};

/**
 * Where and how MGN launches a server's test and cutover instances. Wave-level `launch` holds
 * defaults; `servers[].launch` overrides them field by field (mergeLaunch). `copyPrivateIp` sits at
 * the top of `launch` but concerns the cutover instance only: test instances always take an address
 * from their subnet. Cross-field rules (instanceType with rightSizing, privateIpAddress only per
 * server, one cutover IP per server, copyPrivateIp with privateIpAddress, "in-aws" only for EC2
 * sources) live in crossFieldIssues
 * and judge the merged settings.
 */
export const launchSchema = z.strictObject({
  test: z.strictObject(launchNetwork).optional(),
  cutover: z
    .strictObject({
      ...launchNetwork,
      privateIpAddress: regex(IPV4, 'an IPv4 address (like 10.20.3.14)').optional(),
    })
    .optional(),
  instanceType: regex(INSTANCE_TYPE, 'an EC2 instance type (like m6i.large)').optional(),
  rightSizing: z
    .enum(['none', 'basic', 'in-aws'], {
      error: (iss) => `${show(iss.input)} is not allowed; use "none", "basic" or "in-aws"`,
    })
    .optional(),
  instanceProfile: regex(INSTANCE_PROFILE_NAME, 'an IAM instance profile name (1-128 letters, digits, + = , . @ _ -)').optional(),
  bootMode: z
    .enum(['legacy-bios', 'uefi', 'use-source'], {
      error: (iss) => `${show(iss.input)} is not allowed; use "legacy-bios", "uefi" or "use-source"`,
    })
    .optional(),
  byol: z.boolean().optional(),
  copyPrivateIp: z.boolean().optional(),
  tags: tags.optional(),
});

export const serverSchema = z.strictObject({
  name: regex(SERVER_NAME, 'a server name (letter or digit, then up to 62 letters, digits, . _ -)'),
  os: z.enum(['linux', 'windows'], {
    error: describe('"linux" or "windows"', (input) =>
      `${show(input)} is not an OS; use "linux" or "windows"`),
  }),
  source,
  devices: z
    .array(z.string())
    .min(1, 'devices, when given, lists at least one device')
    .max(64, 'at most 64 devices per server')
    .optional(),
  tags: tags.optional(),
  userProvidedId: regex(
    USER_PROVIDED_ID,
    'a user-provided id (1-128 letters, digits, _ . : / = + - @)',
  ).optional(),
  checks: z.array(check).max(20, 'at most 20 checks per server').optional(),
  launch: launchSchema.optional(),
  /** The MGN application the server is grouped in (default: one application named after the wave). */
  application: regex(
    MGN_APPLICATION_NAME,
    'an MGN application name (1-256 characters, no leading, trailing or repeated whitespace other than single spaces)',
  ).optional(),
});

const phasesSchema = z.strictObject({
  install: z.boolean().default(true),
  test: z.boolean().default(true),
  cutover: z.boolean().default(true),
  finalize: z.boolean().default(true),
  archive: z.boolean().default(true),
});

export const optionsSchema = z.strictObject({
  approval: z
    .enum(['required', 'auto'], {
      error: (iss) => `${show(iss.input)} is not allowed; use "required" or "auto"`,
    })
    .default('required'),
  pollIntervalSeconds: z
    .number()
    .int()
    .min(30, 'pollIntervalSeconds must be 30..3600')
    .max(3600, 'pollIntervalSeconds must be 30..3600')
    .default(300),
  replicationTimeoutHours: z
    .number()
    .min(1, 'replicationTimeoutHours must be 1..720')
    .max(720, 'replicationTimeoutHours must be 1..720')
    .default(72),
  /** Left out: per server, see credentialsModeOf. */
  credentials: z
    .enum(['instance-profile', 'installer-role'], {
      error: (iss) => `${show(iss.input)} is not allowed; use "instance-profile" or "installer-role"`,
    })
    .optional(),
  phases: phasesSchema.default({ install: true, test: true, cutover: true, finalize: true, archive: true }),
  /**
   * Quiesce each source right before its cutover launch (extension): stop the services its `service`
   * checks name and flush file-system buffers, so the last writes replicate. Default false.
   */
  quiesce: z.boolean().default(false),
  // --- finalize gate (issue 13): finalizing is irreversible, so it waits for a soak and a second approval ---
  /**
   * "required": after cutover verification (and the soak) the wave asks a second approval before
   * FinalizeCutover: approve, reject (stay cut over, not finalized) or revert (roll back to the source).
   */
  finalizeApproval: z
    .enum(['required', 'auto'], {
      error: (iss) => `${show(iss.input)} is not allowed; use "required" or "auto"`,
    })
    .default('required'),
  /** Hours of production traffic on the cutover instances before the finalize gate (0..720). */
  soakHours: z
    .number({ error: 'soakHours must be a number of hours, 0..720' })
    .min(0, 'soakHours must be 0..720')
    .max(720, 'soakHours must be 0..720')
    .default(0),
});

const defaultOptions = optionsSchema.parse({});

/** The manifest's shape, field by field. Cross-field rules live in crossFieldProblems. */
export const manifestShape = z.strictObject({
  waveId: regex(WAVE_ID, 'a wave id (letter or digit, then up to 62 letters, digits, _ -)'),
  targetRegion: regex(REGION, 'an AWS region code (like ap-south-1)'),
  endpoints: z.strictObject({ mgn: endpointDns('mgn'), s3: endpointDns('s3') }),
  servers: z
    .array(serverSchema)
    .min(1, 'a wave needs at least one server')
    .max(
      MAX_SERVERS_PER_WAVE,
      `a wave holds at most ${MAX_SERVERS_PER_WAVE} servers; split it into several waves`,
    ),
  options: optionsSchema.default(defaultOptions),
  launch: launchSchema.optional(),
});

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parts of `launch` that merge key by key rather than being replaced whole. */
const NESTED_LAUNCH_FIELDS = ['test', 'cutover', 'tags'] as const;

function mergeLaunchObjects(wave: Loose | undefined, server: Loose | undefined): Loose {
  const merged: Loose = { ...wave, ...server };
  for (const key of NESTED_LAUNCH_FIELDS) {
    const fromWave = wave?.[key];
    const fromServer = server?.[key];
    if (isObject(fromWave) && isObject(fromServer)) merged[key] = { ...fromWave, ...fromServer };
  }
  return merged;
}

/**
 * The launch settings one server gets: the wave's `launch` defaults, overridden field by field by the
 * server's own `launch`. `test`, `cutover` and `tags` merge key by key (a server naming only its
 * cutover IP keeps the wave's cutover subnet and groups); `securityGroupIds` lists replace the
 * wave's whole. A manifest that parsed holds no contradiction in the result (crossFieldIssues).
 */
export function mergeLaunch(wave: LaunchSpec | undefined, server: LaunchSpec | undefined): LaunchSpec {
  return mergeLaunchObjects(wave, server) as LaunchSpec;
}

/** One problem: where it is (a path into the manifest) and its `<path>: <message>` line. */
export interface ManifestProblem {
  readonly path: ReadonlyArray<string | number>;
  readonly line: string;
}

const problem = (path: Array<string | number>, message: string): ManifestProblem => ({
  path,
  line: `${formatPath(path)}: ${message}`,
});

/**
 * Rules that span fields (uniqueness, endpoint region, devices by OS, phase dependencies, launch
 * settings once merged). They run
 * on the raw input even when some fields are malformed, so one pass reports every mistake.
 */
export function crossFieldIssues(input: unknown): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  if (!isObject(input)) return problems;
  const targetRegion = typeof input.targetRegion === 'string' ? input.targetRegion : undefined;
  if (isObject(input.endpoints) && targetRegion && REGION.test(targetRegion)) {
    for (const service of ['mgn', 's3'] as const) {
      const value = input.endpoints[service];
      const parsed = typeof value === 'string' ? parseEndpointDns(value) : undefined;
      if (parsed && parsed.service === service && parsed.region !== targetRegion)
        problems.push(
          problem(
            ['endpoints', service],
            `endpoint is in ${parsed.region} but targetRegion is ${targetRegion}; use the ${service} endpoint of the target region`,
          ),
        );
    }
  }
  const servers = Array.isArray(input.servers) ? input.servers : [];
  const names = new Map<string, number>();
  const ids = new Map<string, number>();
  servers.forEach((server, i) => {
    if (!isObject(server)) return;
    if (typeof server.name === 'string') {
      const seen = names.get(server.name.toLowerCase());
      if (seen !== undefined)
        problems.push(
          problem(
            ['servers', i, 'name'],
            `${show(server.name)} is already used by servers[${seen}]; names must be unique in the wave (case-insensitive)`,
          ),
        );
      else names.set(server.name.toLowerCase(), i);
    }
    const src = server.source;
    if (isObject(src)) {
      const field =
        src.type === 'ec2' ? 'instanceId' : src.type === 'onprem' ? 'managedInstanceId' : undefined;
      const id = field ? src[field] : undefined;
      if (field && typeof id === 'string') {
        const other = ids.get(id);
        if (other !== undefined)
          problems.push(
            problem(
              ['servers', i, 'source', field],
              `${show(id)} is already used by servers[${other}]; each source server appears once per wave`,
            ),
          );
        else ids.set(id, i);
      }
    }
    if (Array.isArray(server.devices) && (server.os === 'linux' || server.os === 'windows')) {
      const pattern = server.os === 'windows' ? WINDOWS_DRIVE : LINUX_DEVICE;
      const seen = new Set<string>();
      server.devices.forEach((device, d) => {
        if (typeof device !== 'string') return;
        if (!pattern.test(device))
          problems.push(
            problem(
              ['servers', i, 'devices', d],
              server.os === 'windows'
                ? `${show(device)} is not a Windows drive letter (like "C:")`
                : `${show(device)} is not a Linux device path (like "/dev/sda" or "/dev/nvme0n1")`,
            ),
          );
        else if (seen.has(device.toLowerCase()))
          problems.push(problem(['servers', i, 'devices', d], `${show(device)} is listed twice`));
        seen.add(device.toLowerCase());
      });
    }
  });
  problems.push(...launchIssues(input.launch, servers));
  problems.push(...applicationIssues(input.waveId, servers));
  // An on-premises host has no instance profile, and --no-prompt stops the installer from asking for keys.
  if (isObject(input.options) && input.options.credentials === 'instance-profile') {
    const onprem = servers.flatMap((s, i) => (isObject(s) && isObject(s.source) && s.source.type === 'onprem' ? [`servers[${i}]`] : []));
    if (onprem.length > 0)
      problems.push(
        problem(
          ['options', 'credentials'],
          `"instance-profile" cannot install on-premises sources (${onprem.slice(0, 5).join(', ')}${onprem.length > 5 ? `, … ${onprem.length} in all` : ''}); use "installer-role" or leave it out`,
        ),
      );
  }
  const phases = isObject(input.options) && isObject(input.options.phases) ? input.options.phases : undefined;
  if (phases) {
    const on = (k: string) => phases[k] !== false;
    if (on('finalize') && !on('cutover'))
      problems.push(
        problem(
          ['options', 'phases', 'finalize'],
          'finalize needs cutover; set phases.cutover to true or phases.finalize to false',
        ),
      );
    if (!on('finalize') && isObject(input.options) && typeof input.options.soakHours === 'number' && input.options.soakHours > 0)
      problems.push(
        problem(
          ['options', 'soakHours'],
          'the soak waits before finalizing, and phases.finalize is false; set soakHours to 0 or phases.finalize to true',
        ),
      );
    if (on('archive') && !on('finalize'))
      problems.push(
        problem(
          ['options', 'phases', 'archive'],
          'archive needs finalize; set phases.finalize to true or phases.archive to false',
        ),
      );
  }
  return problems;
}

/**
 * A fixed instance type leaves MGN nothing to right-size: "basic" or "in-aws" contradicts it. Only
 * well-formed values count; a malformed one has its own problem already.
 */
const sizingConflict = (launch: Loose): boolean =>
  typeof launch.instanceType === 'string' &&
  INSTANCE_TYPE.test(launch.instanceType) &&
  (launch.rightSizing === 'basic' || launch.rightSizing === 'in-aws');

/** Security group ids listed twice in one launch network (test or cutover). */
function repeatedGroups(launch: Loose | undefined, at: Array<string | number>): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const kind of ['test', 'cutover'] as const) {
    const network = launch?.[kind];
    const groups =
      isObject(network) && Array.isArray(network.securityGroupIds) ? network.securityGroupIds : [];
    const seen = new Set<unknown>();
    groups.forEach((group, g) => {
      if (typeof group === 'string' && seen.has(group))
        problems.push(problem([...at, kind, 'securityGroupIds', g], `${show(group)} is listed twice`));
      seen.add(group);
    });
  }
  return problems;
}

/**
 * The launch rules that span fields, judged on what each server gets once its `launch` is merged
 * over the wave's (mergeLaunch). A contradiction is reported once, at the most specific field that
 * causes it: the server's own field when it has one, else the wave's.
 */
function launchIssues(waveInput: unknown, servers: readonly unknown[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const wave = isObject(waveInput) ? waveInput : undefined;
  if (wave) {
    if (isObject(wave.cutover) && wave.cutover.privateIpAddress !== undefined)
      problems.push(
        problem(
          ['launch', 'cutover', 'privateIpAddress'],
          'a private IP belongs to one server; set it per server in servers[].launch.cutover.privateIpAddress, not in the wave-level launch defaults',
        ),
      );
    if (sizingConflict(wave))
      problems.push(
        problem(
          ['launch', 'rightSizing'],
          `${show(wave.rightSizing)} contradicts launch.instanceType ${show(wave.instanceType)} (a fixed instance type means right-sizing "none"); set rightSizing to "none" or remove one of the two`,
        ),
      );
    problems.push(...repeatedGroups(wave, ['launch']));
  }
  const cutoverIps = new Map<string, number>();
  servers.forEach((server, i) => {
    if (!isObject(server)) return;
    const own = isObject(server.launch) ? server.launch : undefined;
    if (!own && !wave) return;
    const at = (...path: string[]) => ['servers', i, 'launch', ...path];
    const merged = mergeLaunchObjects(wave, own);

    if (own && sizingConflict(merged)) {
      const ownType = own.instanceType !== undefined;
      const ownSizing = own.rightSizing !== undefined;
      // removing the server's own field helps only when the wave's value would not contradict in turn
      const sizingRemovable = wave?.rightSizing === undefined || wave.rightSizing === 'none';
      const typeRemovable = wave?.instanceType === undefined;
      if (ownSizing)
        problems.push(
          problem(
            at('rightSizing'),
            `${show(merged.rightSizing)} contradicts ${ownType ? `servers[${i}].launch.instanceType` : "the wave's launch.instanceType"} ${show(merged.instanceType)} (a fixed instance type means right-sizing "none"); set rightSizing to "none"${sizingRemovable ? ' or remove it' : ''}${ownType && typeRemovable ? ', or remove instanceType' : ''}`,
          ),
        );
      else if (ownType)
        problems.push(
          problem(
            at('instanceType'),
            `${show(merged.instanceType)} contradicts the wave's launch.rightSizing ${show(merged.rightSizing)} (a fixed instance type means right-sizing "none"); also set servers[${i}].launch.rightSizing to "none"${typeRemovable ? ', or remove instanceType' : ''}`,
          ),
        );
      // neither is the server's own: the wave-level contradiction above says it once
    }

    // "in-aws" takes the type of the source's own EC2 instance: an on-premises source has none
    if (merged.rightSizing === 'in-aws' && merged.instanceType === undefined && isObject(server.source) && server.source.type === 'onprem')
      problems.push(
        problem(
          at('rightSizing'),
          `"in-aws" takes the instance type of a source running in EC2; servers[${i}] is on-premises: use "basic" or "none" with instanceType`,
        ),
      );

    const ownIp = own && isObject(own.cutover) ? own.cutover.privateIpAddress : undefined;
    const ip = typeof ownIp === 'string' && IPV4.test(ownIp) ? ownIp : undefined;
    if (ip !== undefined) {
      const other = cutoverIps.get(ip);
      if (other !== undefined)
        problems.push(
          problem(
            at('cutover', 'privateIpAddress'),
            `${show(ip)} is already the cutover IP of servers[${other}]; each cutover instance needs its own address`,
          ),
        );
      else cutoverIps.set(ip, i);
    }
    if (ip !== undefined && merged.copyPrivateIp === true) {
      if (own?.copyPrivateIp === true)
        problems.push(
          problem(
            at('copyPrivateIp'),
            `copyPrivateIp gives the cutover instance its source's private IP, but servers[${i}].launch.cutover.privateIpAddress names another; keep one of the two`,
          ),
        );
      else
        problems.push(
          problem(
            at('cutover', 'privateIpAddress'),
            `the wave's launch.copyPrivateIp is true (the cutover instance takes its source's private IP); set servers[${i}].launch.copyPrivateIp to false to use this address, or remove it`,
          ),
        );
    }

    if (own && isObject(own.tags) && wave && isObject(wave.tags)) {
      const count = Object.keys(merged.tags as Loose).length;
      if (count > 50 && Object.keys(own.tags).length <= 50 && Object.keys(wave.tags).length <= 50)
        problems.push(
          problem(
            at('tags'),
            `with the wave's launch.tags the launched instances would carry ${count} tags; at most 50 (EC2's limit per resource)`,
          ),
        );
    }
    problems.push(...repeatedGroups(own, at()));
  });
  return problems;
}

/** The cross-field rules as `<path>: <message>` lines. */
export function crossFieldProblems(input: unknown): string[] {
  return crossFieldIssues(input).map((p) => p.line);
}

/** Every problem in a manifest object (shape and cross-field), each with its path; empty when valid. */
export function findManifestProblems(input: unknown): ManifestProblem[] {
  // reportInput lets the messages quote the offending value ("got string \"22\"").
  const result = manifestShape.safeParse(input, { reportInput: true });
  const problems: ManifestProblem[] = [];
  if (!result.success) {
    // zod still runs an array's length checks on a string of the wrong type ("expected an array" and
    // "at most 5 ..." for one mistake): once a value has the wrong type, that is all there is to say.
    const mistyped = new Set(
      result.error.issues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)),
    );
    for (const issue of result.error.issues) {
      if (issue.code !== 'invalid_type' && mistyped.has(formatPath(issue.path))) continue;
      const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
      // Our own error maps word a missing or mistyped value better than the generic formatter.
      const ours =
        issue.code === 'invalid_type' && /^(is required \(|expected a string \()/.test(issue.message);
      const lines = ours ? [`${formatPath(path)}: ${issue.message}`] : formatIssues([issue]);
      if (issue.code === 'unrecognized_keys')
        issue.keys.forEach((key, n) => problems.push({ path: [...path, key], line: lines[n] }));
      else lines.forEach((line) => problems.push({ path, line }));
    }
  }
  return [...problems, ...crossFieldIssues(input)];
}

export type WaveManifest = z.output<typeof manifestShape>;
export type ServerSpec = WaveManifest['servers'][number];
export type WaveOptions = WaveManifest['options'];
export type SmokeCheck = NonNullable<ServerSpec['checks']>[number];
export type OsFamily = ServerSpec['os'];
export { credentialsModeOf, type CredentialsMode } from './credentials-mode';
/** The manifest's launch settings (wave defaults or one server's overrides). */
export type LaunchSpec = z.output<typeof launchSchema>;

/** Parses a manifest object, or throws InvalidInputError naming every bad field. */
export function parseManifest(input: unknown): WaveManifest {
  const problems = findManifestProblems(input);
  if (problems.length > 0)
    throw new InvalidInputError(
      'wave manifest',
      problems.map((p) => p.line),
    );
  return manifestShape.parse(input);
}

export { sourceInstanceId } from './server-identity';

/**
 * MGN applications of the wave (servers[].application, default the wave's): one spelling per name,
 * since MGN compares application names case-insensitively, and at most 200 servers in each.
 */
function applicationIssues(waveId: unknown, servers: readonly unknown[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  if (typeof waveId !== 'string') return problems;
  const names = applicationNamesOf(waveId, servers.map((s) => (isObject(s) ? s : {})));
  const spelling = new Map<string, { name: string; index: number }>();
  const members = new Map<string, number[]>();
  names.forEach((name, i) => {
    const key = name.toLowerCase();
    const first = spelling.get(key);
    if (first && first.name !== name)
      problems.push(
        problem(
          ['servers', i, 'application'],
          `${show(name)} differs from ${show(first.name)} (servers[${first.index}]) only by case; MGN application names are case-insensitive, so spell it one way`,
        ),
      );
    if (!first) spelling.set(key, { name, index: i });
    members.set(key, [...(members.get(key) ?? []), i]);
  });
  for (const [key, indexes] of members)
    if (indexes.length > MAX_SERVERS_PER_APPLICATION) {
      const at = indexes[MAX_SERVERS_PER_APPLICATION];
      problems.push(
        problem(
          ['servers', at, 'application'],
          `application ${show(spelling.get(key)?.name)} would hold ${indexes.length} servers; an MGN application holds at most ${MAX_SERVERS_PER_APPLICATION}: give some servers another "application"`,
        ),
      );
    }
  return problems;
}

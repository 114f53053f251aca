/**
 * The deploy configuration: the one file an operator writes to deploy the orchestrator into an
 * isolated network. Chosen with `npx cdk synth -c config=<file>`; parsed here with zod (strict:
 * unknown keys are errors) so a bad file fails the synth with every problem named by its field.
 *
 * Nothing here is looked up in an AWS account: availability zones, subnets, route tables and
 * CIDRs are explicit, so `cdk synth` runs offline with no credentials.
 */
import { readFileSync } from 'node:fs';
import { parseJsonBytes } from '../functions/lib/input-text';
import { z } from 'zod';
import { INSTANCE_PROFILE_NAME, REGION, TAG_KEY, TAG_VALUE, WAVE_ID, parseEndpointDns } from '../functions/lib/manifest';
import { DEFAULT_ALLOWED_TAG } from '../functions/lib/allowed-tag';
import { InvalidInputError, formatIssues, show } from '../functions/lib/validation';
import { planNewVpc } from './subnet-layout';

export const DEFAULT_CONFIG_FILE = 'examples/deploy/cross-region.json';

const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const AZ = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}[a-z]$/;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const pattern = (re: RegExp, what: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? `is required (${what})` : `expected a string (${what}), got ${show(iss.input)}`) })
    .regex(re, { error: (iss) => `${show(iss.input)} is not ${what}` });

const cidr = pattern(CIDR, 'an IPv4 CIDR block (like 10.20.0.0/16)');
const region = pattern(REGION, 'an AWS region code (like ap-south-1)');
const az = pattern(AZ, 'an availability zone name (like ap-south-1a)');

/** A subnet of an existing VPC, given in full so nothing has to be looked up. */
const existingSubnet = z.strictObject({
  subnetId: pattern(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id (subnet-…)'),
  availabilityZone: az,
  routeTableId: pattern(/^rtb-[0-9a-f]{8,17}$/, 'a route table id (rtb-…)'),
  cidr,
});

const newVpc = z.strictObject({
  mode: z.literal('new'),
  /**
   * CIDR of the new VPC (/16 to /28, no host bits). Each subnet tier (orchestrator, staging, endpoints,
   * test, cutover) takes one block per AZ from it: /24s, /26 for endpoints (infra/subnet-layout.ts).
   */
  cidr,
  /** Explicit AZs (1..3) of the target region; no lookup is made. */
  availabilityZones: z.array(az).min(1, 'give at least one availability zone').max(3, 'at most 3 availability zones'),
});

const TARGET_SUBNETS_HINT = '{ "test": [subnet…], "cutover": [subnet…] }, each subnet { subnetId, availabilityZone, routeTableId, cidr }';

/** Isolated subnets launched (test and cutover) instances go to unless the wave names others. */
const targetSubnets = z.strictObject({
  /** Where test instances launch by default. */
  test: z.array(existingSubnet).min(1, 'give at least one test subnet (where MGN launches test instances)'),
  /** Where cutover instances launch by default. */
  cutover: z.array(existingSubnet).min(1, 'give at least one cutover subnet (where MGN launches cutover instances)'),
});

const existingVpc = z.strictObject({
  mode: z.literal('existing'),
  vpcId: pattern(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id (vpc-…)'),
  vpcCidr: cidr,
  /** Subnets the orchestrator Lambdas run in. */
  orchestratorSubnets: z.array(existingSubnet).min(1, 'give at least one orchestrator subnet'),
  /** Subnets for MGN replication servers; the first one is the replication template's staging subnet. */
  stagingSubnets: z.array(existingSubnet).min(1, 'give at least one staging subnet'),
  /** Subnets that hold the interface endpoints (and the Resolver inbound endpoint). */
  endpointSubnets: z.array(existingSubnet).min(1, 'give at least one endpoint subnet'),
  /** Required: isolated subnets for test and cutover instances (optional only in the schema, so a missing one gets its own message). */
  targetSubnets: targetSubnets.optional(),
}).refine((vpc) => vpc.targetSubnets !== undefined, {
  path: ['targetSubnets'],
  message: `is required in mode "existing": give ${TARGET_SUBNETS_HINT}, the isolated subnets where MGN launches test and cutover instances`,
  // reported together with every other problem of the file, not only once the rest is valid
  when: () => true,
});

const network = z.discriminatedUnion('mode', [newVpc, existingVpc], {
  error: (iss) =>
    iss.code === 'invalid_union' && iss.input && typeof iss.input === 'object'
      ? `must be "new" or "existing", got ${show((iss.input as { mode?: unknown }).mode)}`
      : 'expected an object with mode "new" or "existing"',
});

const connectivity = z.strictObject({
  /** VPC peering to an isolated source VPC: routes to destinationCidr through the peering connection. */
  peering: z
    .array(
      z.strictObject({
        peeringConnectionId: pattern(/^pcx-[0-9a-f]{8,17}$/, 'a VPC peering connection id (pcx-…)'),
        destinationCidr: cidr,
      }),
    )
    .default([]),
  /** Transit Gateway (Direct Connect / VPN to the data centre): an attachment in the endpoint subnets plus routes. */
  transitGateway: z
    .strictObject({
      transitGatewayId: pattern(/^tgw-[0-9a-f]{8,17}$/, 'a transit gateway id (tgw-…)'),
      destinationCidrs: z.array(cidr).min(1, 'give at least one destination CIDR'),
    })
    .optional(),
});

/** A source region whose servers are managed by SSM there (cross-region EC2 sources). */
const sourceRegion = z
  .strictObject({
    region,
    /** Endpoint-specific DNS name of the ssm interface endpoint in the source VPC. */
    ssmEndpointDns: z.string(),
    /** CIDR of the subnets holding that endpoint (the Lambdas get TCP 443 egress to it). */
    ssmEndpointCidr: cidr,
  })
  .superRefine((value, ctx) => {
    const parsed = parseEndpointDns(value.ssmEndpointDns);
    if (!parsed || parsed.service !== 'ssm')
      ctx.addIssue({
        code: 'custom',
        path: ['ssmEndpointDns'],
        message: `${show(value.ssmEndpointDns)} is not an endpoint-specific ssm interface endpoint DNS name (vpce-<id>-<suffix>.ssm.<region>.vpce.amazonaws.com)`,
      });
    else if (parsed.region !== value.region)
      ctx.addIssue({
        code: 'custom',
        path: ['ssmEndpointDns'],
        message: `endpoint is in ${parsed.region} but region is ${value.region}; use the ssm endpoint of the source region`,
      });
  });

const schedule = z.strictObject({
  /** Schedule name (unique in the config). */
  name: pattern(/^[A-Za-z0-9_.-]{1,64}$/, 'a schedule name (1-64 letters, digits, _ . -)'),
  waveId: pattern(WAVE_ID, 'a wave id (letter or digit, then up to 62 letters, digits, _ -)'),
  /** EventBridge Scheduler expression: at(yyyy-mm-ddThh:mm:ss), cron(…) or rate(…). */
  expression: pattern(/^(at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)|cron\([^()]+\)|rate\([^()]+\))$/, 'an EventBridge Scheduler expression: at(…), cron(…) or rate(…)'),
  timezone: z.string().min(1).default('UTC'),
  /** Key of the wave manifest in the stack's wave bucket; the execution input is `{manifestLocation}`. */
  manifestKey: pattern(/^[A-Za-z0-9!_.*'()/-]{1,512}\.json$/, 'an S3 key ending in .json (letters, digits and !_.*\'()/-)'),
});

// ---- Approvals and API access (issue 12 items 1 and 4) ----
// The API's resource policy admits POST /approvals only for these principals (aws:PrincipalArn), and
// a REGIONAL API only from these address ranges (aws:SourceIp). Source: API Gateway developer guide,
// "AWS condition keys that can be used in API Gateway resource policies".

/** aws:PrincipalArn of an IAM user, or of every session of an IAM role (the role's ARN, path included). */
export const IAM_PRINCIPAL_ARN = /^arn:aws(-cn|-us-gov|-iso[a-z]?)?:iam::(\d{12}):(role|user)\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const ROLE_SESSION_ARN = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/([\w+=,.@-]+)\//;

const approverArn = z.string({ error: (iss) => `expected a string (an IAM role or user ARN), got ${show(iss.input)}` }).superRefine((arn, ctx) => {
  if (IAM_PRINCIPAL_ARN.test(arn)) return;
  const session = ROLE_SESSION_ARN.exec(arn);
  ctx.addIssue({
    code: 'custom',
    message: session
      ? `${show(arn)} is one session of role ${session[1]}; give the role's ARN (arn:aws:iam::<account>:role/<path/>${session[1]}), which covers every session of it`
      : `${show(arn)} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name> or arn:aws:iam::<account>:user/<name>; no wildcards)`,
  });
});

const approvers = z.array(approverArn).min(1, 'give at least one approver (an IAM role or user ARN), or leave approvers out with api.enabled false').optional();

const apiAllowedSourceCidrs = z.array(cidr).min(1, 'give at least one CIDR, or leave allowedSourceCidrs out').optional();

/** Ranges a REGIONAL API never sees as aws:SourceIp (private, shared, loopback, link-local): a request arrives from a public address. */
const NON_PUBLIC_RANGES: readonly [string, number][] = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
];
const ipv4 = (address: string): number => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const insideNonPublicRange = (block: string): boolean => {
  const [address, bits] = block.split('/');
  return NON_PUBLIC_RANGES.some(([base, prefix]) => Number(bits) >= prefix && Math.floor(ipv4(address) / 2 ** (32 - prefix)) === Math.floor(ipv4(base) / 2 ** (32 - prefix)));
};

interface ApiAccessFields {
  readonly account?: string;
  readonly api?: { readonly enabled?: boolean; readonly endpointType?: string; readonly allowedSourceCidrs?: readonly string[] };
  readonly approvers?: readonly string[];
}

/** Who may answer approvals and from where the API may be called: cross-field rules, each naming its field and fix. */
function apiAccessRules(config: ApiAccessFields, ctx: z.RefinementCtx): void {
  const api = config.api;
  if (!api?.enabled) return;
  if (config.approvers === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['approvers'],
      message:
        'is required while the API is enabled (POST /approvals answers approvals): list the IAM role or user ARNs that may approve or reject a cutover, like ["arn:aws:iam::111122223333:role/MigrationApprover"]; or set api.enabled to false and answer with mgnctl approve/reject',
    });
  const seen = new Map<string, number>();
  (Array.isArray(config.approvers) ? config.approvers : []).forEach((arn, i) => {
    if (typeof arn !== 'string') return;
    const other = seen.get(arn);
    if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['approvers', i], message: `${show(arn)} is already approvers[${other}]; list each approver once` });
    seen.set(arn, i);
    const account = IAM_PRINCIPAL_ARN.exec(arn)?.[2];
    if (account && config.account && account !== config.account)
      ctx.addIssue({
        code: 'custom',
        path: ['approvers', i],
        message: `${show(arn)} is in account ${account}; the API admits only principals of the stack's account (${config.account})`,
      });
  });
  if (api.endpointType !== 'REGIONAL') return;
  if (api.allowedSourceCidrs === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['api', 'allowedSourceCidrs'],
      message:
        'is required for a REGIONAL API, which is reachable from the internet: give the public address ranges your operators\' and schedulers\' requests come from (the API refuses every other aws:SourceIp), or use endpointType "PRIVATE"',
    });
  (Array.isArray(api.allowedSourceCidrs) ? api.allowedSourceCidrs : []).forEach((block, i) => {
    if (typeof block !== 'string' || !CIDR.test(block)) return;
    if (block.endsWith('/0'))
      ctx.addIssue({ code: 'custom', path: ['api', 'allowedSourceCidrs', i], message: `${show(block)} is the whole internet; give the ranges your callers' requests come from` });
    else if (insideNonPublicRange(block))
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'allowedSourceCidrs', i],
        message: `${show(block)} is a private range, and a REGIONAL API sees the public address a request comes from (aws:SourceIp), so it would admit nobody: give the public ranges of your NAT or proxy, or use endpointType "PRIVATE" (reached through the VPC endpoint)`,
      });
  });
}
/* ---- allowedTag (issue 12 item 3): Run Command only to instances carrying this tag ---- */
/**
 * The tag a source (EC2 instance or hybrid managed instance) must carry before the orchestrator may
 * send it Run Command: the step roles' ssm:SendCommand on instances and managed instances holds the
 * condition `ssm:resourceTag/<key>` = `<value>`, and preflight sets aside a source without it.
 * Launched (test and cutover) instances get it through their launch template.
 */
const allowedTag = z
  .strictObject({
    key: pattern(TAG_KEY, 'a tag key (1-128 letters, digits, spaces or _ . : / + - @)').refine((k) => !k.toLowerCase().startsWith('aws:'), {
      error: (iss) => `${show(iss.input)} starts with "aws:", which AWS reserves; use a key of your own (default ${DEFAULT_ALLOWED_TAG.key})`,
    }),
    value: pattern(TAG_VALUE, 'a tag value (up to 256 letters, digits, spaces or _ . : / = + - @)').refine((v) => v.length > 0, {
      error: `is empty: give the value sources are tagged with (default ${DEFAULT_ALLOWED_TAG.value})`,
    }),
  })
  .default({ ...DEFAULT_ALLOWED_TAG });

/* ---- launchInstanceProfiles: instance profiles waves may name besides the stack's ---- */
/** An IAM role ARN (path allowed, no wildcards): the role an instance profile holds. */
const ROLE_ARN = /^arn:aws(-cn|-us-gov|-iso[a-z]?)?:iam::(\d{12}):role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/**
 * MGN launches test and cutover instances with the caller's permissions, and launching with an
 * instance profile passes its role to EC2 (iam:PassRole, AWSApplicationMigrationEC2Access). The
 * launch steps may pass the stack's launched-instance role; a profile of your own that a wave names
 * in launch.instanceProfile must be listed here with its role, so the stack can grant that pass.
 */
const launchInstanceProfile = z.strictObject({
  name: pattern(INSTANCE_PROFILE_NAME, 'an IAM instance profile name (1-128 letters, digits, + = , . @ _ -)'),
  roleArn: z
    .string({ error: (iss) => `expected a string (the ARN of the role the instance profile holds), got ${show(iss.input)}` })
    .regex(ROLE_ARN, {
      error: (iss) =>
        `${show(iss.input)} is not an IAM role ARN (arn:aws:iam::<account>:role/<path/><name>, no wildcards); give the role the instance profile holds (aws iam get-instance-profile --instance-profile-name <name>)`,
    }),
});

export const deployConfigSchema = z
  .strictObject({
    /** CloudFormation stack name. */
    stackName: pattern(/^[A-Za-z][A-Za-z0-9-]{0,100}$/, 'a stack name (letter, then letters, digits, -)').default('MgnOrchestrator'),
    /** Target account; leave out for an environment-agnostic template. */
    account: pattern(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
    /** Target region (where MGN, the VPC and the orchestrator live). */
    region,
    network,
    connectivity: connectivity.default({ peering: [] }),
    /** CIDRs of the source servers (allowed to the endpoints on 443 and to replication servers on 1500). */
    sourceCidrs: z.array(cidr).min(1, 'give at least one source CIDR'),
    /** Cross-region EC2 sources: the SSM endpoint of each source region. */
    sourceRegions: z.array(sourceRegion).default([]),
    /** On-premises sources: a Route 53 Resolver inbound endpoint for the data centre's DNS forwarders. */
    onPremises: z
      .strictObject({
        resolverInboundEndpoint: z.boolean(),
        /** Who may query the resolver on TCP/UDP 53 (default: sourceCidrs). */
        dnsClientCidrs: z.array(cidr).min(1).optional(),
      })
      .optional(),
    /**
     * Required: the AWS-managed prefix list of S3 in the target region (pl-…, named
     * com.amazonaws.<region>.s3). Replication servers may send TCP 443 only to it and to the
     * endpoints; without it their egress would be 443 to anywhere the VPC routes.
     */
    s3PrefixListId: z
      .string({ error: (iss) => `expected a string (a managed prefix list id, pl-…), got ${show(iss.input)}` })
      .regex(/^pl-[0-9a-f]{8,17}$/, {
        error: (iss) => `${show(iss.input)} is not a managed prefix list id (pl- and 8 to 17 hex digits); use the S3 prefix list of the target region (com.amazonaws.<region>.s3)`,
      })
      .optional()
      // optional in the parse only so that a missing value gets this message (which says how to find it)
      .refine((id) => id !== undefined, {
        error:
          'is required: the S3 managed prefix list of the target region (pl-…), so MGN replication servers may send TCP 443 only to S3 and the endpoints; ' +
          'find it with aws ec2 describe-managed-prefix-lists --region <region> --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3',
      })
      .transform((id) => id!),
    api: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** PRIVATE: reachable only through the stack's execute-api endpoint. */
        endpointType: z.enum(['REGIONAL', 'PRIVATE'], { error: (iss) => `${show(iss.input)} is not allowed; use "REGIONAL" or "PRIVATE"` }).default('PRIVATE'),
        /** Where callers may be (the API's resource policy): required for REGIONAL (aws:SourceIp), optional for PRIVATE (aws:VpcSourceIp). */
        allowedSourceCidrs: apiAllowedSourceCidrs,
      })
      .default({ enabled: true, endpointType: 'PRIVATE' }),
    /** IAM role or user ARNs that may answer approvals through the API (POST /approvals); required while the API is enabled. */
    approvers,
    triggers: z
      .strictObject({
        /** Custom event bus + rule starting a wave from a `StartWave` event. */
        eventBridge: z.boolean().default(true),
        schedules: z.array(schedule).default([]),
      })
      .default({ eventBridge: true, schedules: [] }),
    notifications: z
      .strictObject({ emails: z.array(z.email({ error: (iss) => `${show(iss.input)} is not an e-mail address` })).default([]) })
      .default({ emails: [] }),
    logRetentionDays: z
      .number()
      .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
        error: (iss) => `${show(iss.input)} is not a CloudWatch Logs retention; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(90),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /** Run Command goes only to instances with this tag (default mgn-orchestrator:allowed = true). */
    allowedTag,
    /** Instance profiles of your own that waves may name in launch.instanceProfile, each with its role. */
    launchInstanceProfiles: z.array(launchInstanceProfile).max(20, 'list at most 20 instance profiles').default([]),
  })
  .superRefine((config, ctx) => {
    const azs =
      config.network.mode === 'new'
        ? config.network.availabilityZones.map((zone, i) => ({ zone, path: ['network', 'availabilityZones', i] }))
        : [
            ...(['orchestratorSubnets', 'stagingSubnets', 'endpointSubnets'] as const).flatMap((tier) =>
              (config.network as z.infer<typeof existingVpc>)[tier].map((s, i) => ({ zone: s.availabilityZone, path: ['network', tier, i, 'availabilityZone'] })),
            ),
            ...(['test', 'cutover'] as const).flatMap((tier) =>
              ((config.network as z.infer<typeof existingVpc>).targetSubnets?.[tier] ?? []).map((s, i) => ({
                zone: s.availabilityZone,
                path: ['network', 'targetSubnets', tier, i, 'availabilityZone'],
              })),
            ),
          ];
    for (const { zone, path } of azs)
      if (!zone.startsWith(config.region))
        ctx.addIssue({ code: 'custom', path, message: `${show(zone)} is not in region ${config.region}` });
    if (config.network.mode === 'new' && new Set(config.network.availabilityZones).size !== config.network.availabilityZones.length)
      ctx.addIssue({ code: 'custom', path: ['network', 'availabilityZones'], message: 'availability zones must be different' });
    if (config.network.mode === 'new') {
      const planned = planNewVpc(config.network.cidr, config.network.availabilityZones);
      if (typeof planned === 'string') ctx.addIssue({ code: 'custom', path: ['network', 'cidr'], message: planned });
    }
    if (config.network.mode === 'existing')
      for (const tier of ['test', 'cutover'] as const) {
        const seen = new Map<string, number>();
        (config.network.targetSubnets?.[tier] ?? []).forEach((subnet, i) => {
          const other = seen.get(subnet.subnetId);
          if (other !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['network', 'targetSubnets', tier, i, 'subnetId'],
              message: `${subnet.subnetId} is already targetSubnets.${tier}[${other}]; list each subnet once`,
            });
          else seen.set(subnet.subnetId, i);
        });
      }
    if (config.network.mode === 'existing') {
      // Interface endpoints and a Transit Gateway attachment take at most one subnet per AZ.
      const seen = new Map<string, number>();
      config.network.endpointSubnets.forEach((subnet, i) => {
        const other = seen.get(subnet.availabilityZone);
        if (other !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['network', 'endpointSubnets', i, 'availabilityZone'],
            message: `${subnet.availabilityZone} already has endpointSubnets[${other}]; give one endpoint subnet per availability zone`,
          });
        else seen.set(subnet.availabilityZone, i);
      });
    }
    // The Run Command documents are named <stackName>-Precheck …; SSM reserves these name prefixes.
    if (/^(aws|amazon|amzn)/i.test(config.stackName))
      ctx.addIssue({ code: 'custom', path: ['stackName'], message: `${show(config.stackName)} starts with a prefix SSM reserves for its own documents (aws, amazon, amzn); the stack's documents are named after it` });
    const sourceRegionIndex = new Map<string, number>();
    config.sourceRegions.forEach((s, i) => {
      const other = sourceRegionIndex.get(s.region);
      if (other !== undefined)
        ctx.addIssue({ code: 'custom', path: ['sourceRegions', i, 'region'], message: `${s.region} is already sourceRegions[${other}]; list each source region once` });
      sourceRegionIndex.set(s.region, i);
      if (s.region === config.region)
        ctx.addIssue({ code: 'custom', path: ['sourceRegions', i, 'region'], message: `${s.region} is the target region; list only other source regions` });
    });
    const profileIndex = new Map<string, number>();
    config.launchInstanceProfiles.forEach((p, i) => {
      const other = profileIndex.get(p.name);
      if (other !== undefined)
        ctx.addIssue({ code: 'custom', path: ['launchInstanceProfiles', i, 'name'], message: `${show(p.name)} is already launchInstanceProfiles[${other}]; list each instance profile once` });
      profileIndex.set(p.name, i);
      const roleAccount = ROLE_ARN.exec(p.roleArn)?.[2];
      if (config.account !== undefined && roleAccount !== undefined && roleAccount !== config.account)
        ctx.addIssue({
          code: 'custom',
          path: ['launchInstanceProfiles', i, 'roleArn'],
          message: `${p.roleArn} is in account ${roleAccount}, not ${config.account}: an instance profile holds a role of its own account; give the role in ${config.account}`,
        });
    });
    const names = new Set<string>();
    config.triggers.schedules.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['triggers', 'schedules', i, 'name'], message: `${show(s.name)} is used twice` });
      names.add(s.name);
    });
  })
  // reported together with every other problem of the file (the rules read only what they check)
  .superRefine((config, ctx) => apiAccessRules(config as ApiAccessFields, ctx), { when: (payload) => typeof payload.value === 'object' && payload.value !== null });

type ParsedConfig = z.output<typeof deployConfigSchema>;
export type ExistingSubnetConfig = z.output<typeof existingSubnet>;
export type TargetSubnetsConfig = z.output<typeof targetSubnets>;
/** An existing VPC as parsed: targetSubnets is required (the schema's refine guarantees it). */
export type ExistingNetworkConfig = Omit<z.output<typeof existingVpc>, 'targetSubnets'> & { readonly targetSubnets: TargetSubnetsConfig };
export type NewNetworkConfig = z.output<typeof newVpc>;
export type NetworkConfig = NewNetworkConfig | ExistingNetworkConfig;
export type DeployConfig = Omit<ParsedConfig, 'network'> & { readonly network: NetworkConfig };

/** Parses a deploy config object; throws InvalidInputError naming every bad field. */
export function parseDeployConfig(input: unknown, subject = 'deploy config'): DeployConfig {
  const result = deployConfigSchema.safeParse(input);
  if (!result.success) throw new InvalidInputError(subject, formatIssues(result.error.issues));
  return result.data as DeployConfig;
}

/** Reads and parses a deploy config file (JSON). */
export function loadDeployConfig(file: string): DeployConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new InvalidInputError(`deploy config ${file}`, [`(file): cannot be read: ${(err as Error).message}`]);
  }
  // strict UTF-8, then JSON: problems on "(file)"
  return parseDeployConfig(parseJsonBytes(bytes, `deploy config ${file}`), `deploy config ${file}`);
}

/**
 * `mgnctl installer-command`: the agent install command for one server in an isolated network,
 * for an operator who installs by hand (or wants to see what the SSM document runs).
 */
import { CredentialsMode, installCommand, InstallTarget } from '../../functions/lib/installer';
import type { OsFamily } from '../../functions/lib/manifest';
import { InvalidInputError } from '../../functions/lib/validation';
import { parseCommandArgs } from '../arguments';

export const summary = 'print the MGN agent installer URL and install command for the isolated network';

const USAGE = `usage: mgnctl installer-command --os linux|windows --region R --mgn-endpoint DNS --s3-endpoint DNS [options]

Prints the installer URL (rewritten to the S3 interface endpoint), its SHA-512 URL and the install
command (bash for Linux, PowerShell for Windows): download, hash check, install with --endpoint and
--s3-endpoint. Credentials are never written into the command: with --credentials installer-role the
command reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN from the host's environment,
or with --credentials-parameter NAME from that SSM SecureString on the host, read in the region it
was written in (--credentials-region, default --region).

required:
  --os linux|windows
  --region R                    target region, like ap-south-1
  --mgn-endpoint DNS            MGN interface endpoint DNS name (a leading "*." is fine)
  --s3-endpoint DNS             S3 interface endpoint DNS name (a leading "*." is fine)
options:
  --devices D1,D2               devices to replicate (/dev/sda,/dev/sdb or C:,D:)
  --tags K=V,K2=V2              tags for the source server
  --user-provided-id ID         your id for the server
  --credentials MODE            instance-profile (default) or installer-role
  --credentials-parameter NAME  SSM SecureString with the installer credentials (implies installer-role)
  --credentials-region R        region that parameter is in (default --region): where the host reads it
  --json                        print {url, hashUrl, shell, command} as JSON
  -h, --help                    this help

exit codes: 0 ok, 2 bad arguments`;

const EXIT_OK = 0;
const EXIT_BAD_INPUT = 2;

const FLAG_OF: Record<string, string> = {
  os: '--os',
  region: '--region',
  mgnEndpoint: '--mgn-endpoint',
  s3Endpoint: '--s3-endpoint',
  devices: '--devices',
  tags: '--tags',
  userProvidedId: '--user-provided-id',
  credentials: '--credentials',
  credentialsParameter: '--credentials-parameter',
  credentialsRegion: '--credentials-region',
};

/** `devices[1]: ...` -> `--devices (item 2): ...`; `mgnEndpoint: ...` -> `--mgn-endpoint: ...` */
function asFlagProblem(line: string): string {
  const m = /^([A-Za-z0-9]+)(\[(\d+)\]|\.[^:]*)?: /.exec(line);
  if (!m || !FLAG_OF[m[1]]) return line;
  const where = m[3] !== undefined ? ` (item ${Number(m[3]) + 1})` : '';
  return `${FLAG_OF[m[1]]}${where}: ${line.slice(m[0].length)}`;
}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('installer-command', USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      os: { type: 'string' },
      region: { type: 'string' },
      'mgn-endpoint': { type: 'string' },
      's3-endpoint': { type: 'string' },
      devices: { type: 'string' },
      tags: { type: 'string' },
      'user-provided-id': { type: 'string' },
      credentials: { type: 'string' },
      'credentials-parameter': { type: 'string' },
      'credentials-region': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const missing = (['os', 'region', 'mgn-endpoint', 's3-endpoint'] as const).filter(
    (k) => v[k] === undefined,
  );
  if (missing.length > 0) {
    console.error(`mgnctl installer-command: missing ${missing.map((k) => `--${k}`).join(', ')}\n\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }

  const problems: string[] = [];
  let tags: Record<string, string> | undefined;
  for (const pair of list(v.tags) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      problems.push(`--tags: ${JSON.stringify(pair)} is not KEY=VALUE; write --tags Key=Value,Key2=Value2`);
    else (tags ??= {})[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (problems.length > 0) {
    for (const p of problems) console.error(`mgnctl installer-command: ${p}`);
    return EXIT_BAD_INPUT;
  }
  const credentialsParameter = v['credentials-parameter'];
  const target: InstallTarget = {
    os: v.os as OsFamily,
    region: v.region!,
    mgnEndpoint: v['mgn-endpoint']!,
    s3Endpoint: v['s3-endpoint']!,
    devices: list(v.devices),
    tags,
    userProvidedId: v['user-provided-id'],
    credentials: (v.credentials ??
      (credentialsParameter !== undefined ? 'installer-role' : 'instance-profile')) as CredentialsMode,
    credentialsParameter,
    credentialsRegion: v['credentials-region'],
  };

  let result;
  try {
    result = installCommand(target);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    for (const p of e.problems) console.error(`mgnctl installer-command: ${asFlagProblem(p)}`);
    return EXIT_BAD_INPUT;
  }

  if (v.json) {
    console.log(JSON.stringify(result, null, 2));
    return EXIT_OK;
  }
  const how =
    result.shell === 'bash'
      ? '# run as root on the Linux source server (bash):'
      : '# run in an elevated PowerShell on the Windows source server:';
  console.log(
    [`installer: ${result.url}`, `hash:      ${result.hashUrl}`, '', how, result.command].join('\n'),
  );
  return EXIT_OK;
}

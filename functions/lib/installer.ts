/**
 * The MGN replication agent installer for isolated networks, as pure functions: the installer and
 * hash URLs rewritten to the S3 interface endpoint, the full install command (bash or PowerShell),
 * and the SSM documents (precheck + install) the stack creates and install-agents sends.
 *
 * Safety rules, in order:
 * - every input is validated again here with the manifest's regexes (defence in depth), so nothing
 *   with a shell or PowerShell metacharacter is ever written into a script;
 * - values are written inside single quotes as well, which bash and PowerShell never expand;
 * - credentials never appear in a command or a document parameter: the script reads them from the
 *   host's environment, or fetches them on the host from an SSM SecureString whose *name* is passed.
 *
 * Hash check: AWS publishes the installer's hash next to the installer in
 * `aws-application-migration-service-hashes-<region>`, at `<installer path>.sha512` (MGN user guide,
 * "Installing the AWS Replication Agent on Linux servers" / "... on Windows servers"). It is a SHA-512
 * digest, so that is what the scripts compute and compare (`sha512sum`, `Get-FileHash -Algorithm SHA512`).
 */
import {
  credentialsModeOf,
  LINUX_DEVICE,
  OsFamily,
  parseEndpointDns,
  REGION,
  SSM_PARAMETER_NAME,
  TAG_KEY,
  TAG_VALUE,
  USER_PROVIDED_ID,
  WINDOWS_DRIVE,
  type CredentialsMode,
  type ServerSpec,
  type WaveManifest,
} from './manifest';
import { InvalidInputError, show } from './validation';

export const INSTALLER_PATH: Readonly<Record<OsFamily, string>> = {
  linux: 'latest/linux/aws-replication-installer-init',
  windows: 'latest/windows/AwsReplicationWindowsInstaller.exe',
};
export const HASH_SUFFIX = '.sha512';
export const installerBucket = (region: string) => `aws-application-migration-service-${region}`;
export const hashBucket = (region: string) => `aws-application-migration-service-hashes-${region}`;

export interface DocumentNames {
  readonly precheck: string;
  readonly linuxInstall: string;
  readonly windowsInstall: string;
}

/**
 * The SSM document names a stack creates: fixed by the stack name, so the main stack and every
 * source-region documents stack create the same names (SendCommand names a document, not a region).
 */
export const documentNamesFor = (stackName: string): DocumentNames => ({
  precheck: `${stackName}-Precheck`,
  linuxInstall: `${stackName}-InstallLinux`,
  windowsInstall: `${stackName}-InstallWindows`,
});

/** The document names of a stack named MgnOrchestrator (the deploy config's default stackName). */
export const DEFAULT_DOCUMENT_NAMES: DocumentNames = documentNamesFor('MgnOrchestrator');

export type { CredentialsMode };

/** What the installer needs to know about one server. */
export interface InstallTarget {
  readonly os: OsFamily;
  /** the target region (where MGN replicates to) */
  readonly region: string;
  /** the MGN interface endpoint DNS name (a leading `*.` is accepted) */
  readonly mgnEndpoint: string;
  /** the S3 interface endpoint DNS name (a leading `*.` is accepted) */
  readonly s3Endpoint: string;
  readonly devices?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly userProvidedId?: string;
  /**
   * instance-profile: no credentials (EC2 source with an instance profile);
   * installer-role: short-lived credentials, from the host's environment or from credentialsParameter.
   * @default 'instance-profile'
   */
  readonly credentials?: CredentialsMode;
  /** name of an SSM SecureString holding `{"AccessKeyId","SecretAccessKey","SessionToken"}`, read on the host */
  readonly credentialsParameter?: string;
  /**
   * The region the host reads credentialsParameter from: where it was written. A SecureString lives in
   * one region, and an isolated host reaches SSM only in the region whose endpoint it can resolve
   * (an EC2 source: its own region; an on-premises source: the target region).
   * @default region (the command); required with credentialsParameter (the documents)
   */
  readonly credentialsRegion?: string;
}

export interface InstallCommand {
  readonly url: string;
  readonly hashUrl: string;
  readonly shell: 'bash' | 'powershell';
  /** the whole script; run it as root (Linux) or as an administrator (Windows) */
  readonly command: string;
}

type Problem = string;

/** Checks an endpoint DNS name for a service and region; returns it without `*.` or a problem. */
function checkEndpoint(
  field: string,
  value: unknown,
  service: 'mgn' | 's3',
  region: string | undefined,
  problems: Problem[],
) {
  if (typeof value !== 'string') {
    problems.push(`${field}: is required (the ${service} interface endpoint DNS name)`);
    return undefined;
  }
  const parsed = parseEndpointDns(value);
  if (!parsed) {
    problems.push(
      `${field}: ${show(value)} is not an endpoint-specific interface endpoint DNS name (vpce-<id>-<suffix>.${service}.<region>.vpce.amazonaws.com)`,
    );
    return undefined;
  }
  if (parsed.service !== service) {
    problems.push(`${field}: ${show(value)} is an endpoint for ${parsed.service}, not ${service}`);
    return undefined;
  }
  if (region !== undefined && parsed.region !== region) {
    problems.push(
      `${field}: endpoint is in ${parsed.region} but the target region is ${region}; use the ${service} endpoint of the target region`,
    );
    return undefined;
  }
  return parsed.dns;
}

function checkOs(value: unknown, problems: Problem[]): OsFamily | undefined {
  if (value === 'linux' || value === 'windows') return value;
  problems.push(`os: ${show(value)} is not an OS; use "linux" or "windows"`);
  return undefined;
}

function checkRegion(value: unknown, problems: Problem[]): string | undefined {
  if (typeof value === 'string' && REGION.test(value)) return value;
  problems.push(`region: ${show(value)} is not an AWS region code (like ap-south-1)`);
  return undefined;
}

const fail = (problems: Problem[]): never => {
  throw new InvalidInputError('installer input', problems);
};

function urlFor(kind: 'installer' | 'hash', os: OsFamily, region: string, s3EndpointDns: string): string {
  const problems: Problem[] = [];
  const o = checkOs(os, problems);
  const r = checkRegion(region, problems);
  const s3 = checkEndpoint('s3Endpoint', s3EndpointDns, 's3', r, problems);
  if (problems.length > 0 || !o || !r || !s3) return fail(problems);
  return kind === 'installer'
    ? `https://${installerBucket(r)}.bucket.${s3}/${INSTALLER_PATH[o]}`
    : `https://${hashBucket(r)}.bucket.${s3}/${INSTALLER_PATH[o]}${HASH_SUFFIX}`;
}

/** The installer URL rewritten to the S3 interface endpoint: `https://<bucket>.bucket.<s3 endpoint dns>/latest/...`. */
export function installerUrl(os: OsFamily, region: string, s3EndpointDns: string): string {
  return urlFor('installer', os, region, s3EndpointDns);
}

/** The URL of the installer's published SHA-512, through the same endpoint. */
export function installerHashUrl(os: OsFamily, region: string, s3EndpointDns: string): string {
  return urlFor('hash', os, region, s3EndpointDns);
}

/** The values a script needs, all validated. */
interface ScriptValues {
  readonly region: string;
  readonly mgnEndpoint: string;
  readonly s3Endpoint: string;
  /** comma-separated, may be "" */
  readonly devices: string;
  /** comma-separated K=V, may be "" */
  readonly tags: string;
  readonly userProvidedId: string;
  readonly credentialsParameter: string;
  /** the region of credentialsParameter, "" without one */
  readonly credentialsRegion: string;
}

/** Validates a target completely; throws InvalidInputError naming every bad field. */
export function checkInstallTarget(
  target: InstallTarget,
): ScriptValues & { os: OsFamily; credentials: CredentialsMode } {
  const problems: Problem[] = [];
  const t = (target ?? {}) as Partial<Record<keyof InstallTarget, unknown>>;
  const os = checkOs(t.os, problems);
  const region = checkRegion(t.region, problems);
  const mgnEndpoint = checkEndpoint('mgnEndpoint', t.mgnEndpoint, 'mgn', region, problems);
  const s3Endpoint = checkEndpoint('s3Endpoint', t.s3Endpoint, 's3', region, problems);

  const devices: string[] = [];
  if (t.devices !== undefined) {
    if (!Array.isArray(t.devices)) problems.push('devices: expected a list of devices');
    else
      t.devices.forEach((device: unknown, i: number) => {
        const pattern = os === 'windows' ? WINDOWS_DRIVE : LINUX_DEVICE;
        if (typeof device !== 'string' || !pattern.test(device))
          problems.push(
            `devices[${i}]: ${show(device)} is not ${os === 'windows' ? 'a Windows drive letter (like "C:")' : 'a Linux device path (like "/dev/sda")'}`,
          );
        else devices.push(device);
      });
  }

  const tags: string[] = [];
  if (t.tags !== undefined) {
    if (typeof t.tags !== 'object' || t.tags === null || Array.isArray(t.tags))
      problems.push('tags: expected an object of key/value strings');
    else {
      const entries = Object.entries(t.tags as Record<string, unknown>);
      if (entries.length > 50) problems.push(`tags: at most 50 tags, got ${entries.length}`);
      for (const [key, value] of entries) {
        if (!TAG_KEY.test(key))
          problems.push(
            `tags: tag key ${show(key)} must be 1-128 letters, digits, spaces or _ . : / + - @ (no "=")`,
          );
        else if (key.toLowerCase().startsWith('aws:'))
          problems.push(`tags: tag key ${show(key)} starts with "aws:", which is reserved by AWS`);
        else if (typeof value !== 'string' || !TAG_VALUE.test(value))
          problems.push(
            `tags: tag value ${show(value)} (key ${show(key)}) must be at most 256 letters, digits, spaces or _ . : / = + - @`,
          );
        else tags.push(`${key}=${value}`);
      }
    }
  }

  let userProvidedId = '';
  if (t.userProvidedId !== undefined) {
    if (typeof t.userProvidedId !== 'string' || !USER_PROVIDED_ID.test(t.userProvidedId))
      problems.push(
        `userProvidedId: ${show(t.userProvidedId)} is not a user-provided id (1-128 letters, digits, _ . : / = + - @)`,
      );
    else userProvidedId = t.userProvidedId;
  }

  const credentials = (t.credentials ?? 'instance-profile') as CredentialsMode;
  if (credentials !== 'instance-profile' && credentials !== 'installer-role')
    problems.push(
      `credentials: ${show(t.credentials)} is not allowed; use "instance-profile" or "installer-role"`,
    );
  let credentialsParameter = '';
  if (t.credentialsParameter !== undefined) {
    if (typeof t.credentialsParameter !== 'string' || !SSM_PARAMETER_NAME.test(t.credentialsParameter))
      problems.push(
        `credentialsParameter: ${show(t.credentialsParameter)} is not an SSM parameter name (letters, digits, _ . - and / between parts)`,
      );
    else if (credentials !== 'installer-role')
      problems.push(
        'credentialsParameter: only used with credentials "installer-role"; an instance profile needs no credentials',
      );
    else credentialsParameter = t.credentialsParameter;
  }
  let credentialsRegion = '';
  if (t.credentialsRegion !== undefined) {
    if (typeof t.credentialsRegion !== 'string' || !REGION.test(t.credentialsRegion))
      problems.push(`credentialsRegion: ${show(t.credentialsRegion)} is not an AWS region code (like ap-southeast-1)`);
    else if (t.credentialsParameter === undefined)
      problems.push('credentialsRegion: only used with credentialsParameter (the region that parameter was written in)');
    else credentialsRegion = t.credentialsRegion;
  }

  if (problems.length > 0 || !os || !region || !mgnEndpoint || !s3Endpoint) return fail(problems);
  return {
    os,
    credentials,
    region,
    mgnEndpoint,
    s3Endpoint,
    devices: devices.join(','),
    tags: tags.join(','),
    userProvidedId,
    credentialsParameter,
    credentialsRegion,
  };
}

/* ------------------------------------------------------------------------------------------------
 * Script text. One body per OS; the command fills the values in literally (validated), the SSM
 * documents fill them with {{ parameter }} placeholders (held by allowedPattern). Both are wrapped so
 * `exit`/`throw` ends the script, not the operator's shell.
 * ---------------------------------------------------------------------------------------------- */

interface ScriptInputs extends ScriptValues {
  /** "yes" to take AWS_ACCESS_KEY_ID/... from the environment the script runs in */
  readonly credentialsFromEnvironment: 'yes' | 'no';
}

function bashInstallScript(v: ScriptInputs): string {
  const installer = INSTALLER_PATH.linux;
  return `(
set -euo pipefail
REGION='${v.region}'
MGN_ENDPOINT='${v.mgnEndpoint}'
S3_ENDPOINT='${v.s3Endpoint}'
DEVICES='${v.devices}'
TAGS='${v.tags}'
USER_PROVIDED_ID='${v.userProvidedId}'
CREDENTIALS_PARAMETER='${v.credentialsParameter}'
CREDENTIALS_REGION='${v.credentialsRegion}'
CREDENTIALS_FROM_ENVIRONMENT='${v.credentialsFromEnvironment}'
INSTALLER_URL="https://aws-application-migration-service-$REGION.bucket.$S3_ENDPOINT/${installer}"
HASH_URL="https://aws-application-migration-service-hashes-$REGION.bucket.$S3_ENDPOINT/${installer}${HASH_SUFFIX}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
download() {
  if command -v curl >/dev/null 2>&1; then curl --fail --silent --show-error --retry 3 --output "$2" "$1"
  else wget --quiet --tries=3 --output-document="$2" "$1"; fi
}
download "$INSTALLER_URL" "$work/aws-replication-installer-init"
download "$HASH_URL" "$work/installer${HASH_SUFFIX}"
expected="$(awk 'NR == 1 { print tolower($1) }' "$work/installer${HASH_SUFFIX}")"
actual="$(sha512sum "$work/aws-replication-installer-init" | awk '{ print tolower($1) }')"
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "FAIL installer-hash: the SHA-512 of the download does not match $HASH_URL" >&2
  exit 1
fi
echo "PASS installer-hash"
chmod 0700 "$work/aws-replication-installer-init"
args=(--region "$REGION" --endpoint "$MGN_ENDPOINT" --s3-endpoint "$S3_ENDPOINT" --no-prompt)
if [ -n "$DEVICES" ]; then args+=(--devices "$DEVICES"); fi
if [ -n "$TAGS" ]; then IFS=',' read -r -a tag_list <<< "$TAGS"; args+=(--tags "\${tag_list[@]}"); fi
if [ -n "$USER_PROVIDED_ID" ]; then args+=(--user-provided-id "$USER_PROVIDED_ID"); fi
if [ -n "$CREDENTIALS_PARAMETER" ]; then
  if [ -z "$CREDENTIALS_REGION" ]; then
    echo "FAIL credentials: no region for the credentials parameter $CREDENTIALS_PARAMETER (a SecureString is read in the region it was written in)" >&2
    exit 1
  fi
  secret="$(aws ssm get-parameter --region "$CREDENTIALS_REGION" --name "$CREDENTIALS_PARAMETER" --with-decryption --query Parameter.Value --output text)"
  AWS_ACCESS_KEY_ID="$(printf '%s' "$secret" | sed -n 's/.*"AccessKeyId" *: *"\\([^"]*\\)".*/\\1/p')"
  AWS_SECRET_ACCESS_KEY="$(printf '%s' "$secret" | sed -n 's/.*"SecretAccessKey" *: *"\\([^"]*\\)".*/\\1/p')"
  AWS_SESSION_TOKEN="$(printf '%s' "$secret" | sed -n 's/.*"SessionToken" *: *"\\([^"]*\\)".*/\\1/p')"
  unset secret
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  CREDENTIALS_FROM_ENVIRONMENT='yes'
fi
if [ "$CREDENTIALS_FROM_ENVIRONMENT" = 'yes' ]; then
  if [ -z "\${AWS_ACCESS_KEY_ID:-}" ] || [ -z "\${AWS_SECRET_ACCESS_KEY:-}" ]; then
    echo "FAIL credentials: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (short-lived installer-role credentials)" >&2
    exit 1
  fi
  args+=(--aws-access-key-id "$AWS_ACCESS_KEY_ID" --aws-secret-access-key "$AWS_SECRET_ACCESS_KEY")
  if [ -n "\${AWS_SESSION_TOKEN:-}" ]; then args+=(--aws-session-token "$AWS_SESSION_TOKEN"); fi
fi
"$work/aws-replication-installer-init" "\${args[@]}"
)`;
}

function powershellInstallScript(v: ScriptInputs): string {
  const installer = INSTALLER_PATH.windows;
  return `& {
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Region = '${v.region}'
$MgnEndpoint = '${v.mgnEndpoint}'
$S3Endpoint = '${v.s3Endpoint}'
$Devices = '${v.devices}'
$Tags = '${v.tags}'
$UserProvidedId = '${v.userProvidedId}'
$CredentialsParameter = '${v.credentialsParameter}'
$CredentialsRegion = '${v.credentialsRegion}'
$CredentialsFromEnvironment = '${v.credentialsFromEnvironment}'
$InstallerUrl = 'https://aws-application-migration-service-' + $Region + '.bucket.' + $S3Endpoint + '/${installer}'
$HashUrl = 'https://aws-application-migration-service-hashes-' + $Region + '.bucket.' + $S3Endpoint + '/${installer}${HASH_SUFFIX}'
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
$work = Join-Path ([IO.Path]::GetTempPath()) ('mgn-' + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $work | Out-Null
try {
  $installer = Join-Path $work 'AwsReplicationWindowsInstaller.exe'
  $hashFile = Join-Path $work 'installer${HASH_SUFFIX}'
  Invoke-WebRequest -UseBasicParsing -Uri $InstallerUrl -OutFile $installer
  Invoke-WebRequest -UseBasicParsing -Uri $HashUrl -OutFile $hashFile
  $expected = ((Get-Content -Raw -Path $hashFile).Trim() -split '\\s+')[0].ToLowerInvariant()
  $actual = (Get-FileHash -Algorithm SHA512 -Path $installer).Hash.ToLowerInvariant()
  if (-not $expected -or $expected -ne $actual) { throw ('FAIL installer-hash: the SHA-512 of the download does not match ' + $HashUrl) }
  Write-Output 'PASS installer-hash'
  $installArgs = @('--region', $Region, '--endpoint', $MgnEndpoint, '--s3-endpoint', $S3Endpoint, '--no-prompt')
  if ($Devices) { $installArgs += @('--devices', $Devices) }
  if ($Tags) { $installArgs += '--tags'; $installArgs += ($Tags -split ',') }
  if ($UserProvidedId) { $installArgs += @('--user-provided-id', $UserProvidedId) }
  if ($CredentialsParameter) {
    if (-not $CredentialsRegion) { throw ('FAIL credentials: no region for the credentials parameter ' + $CredentialsParameter + ' (a SecureString is read in the region it was written in)') }
    $secret = (aws ssm get-parameter --region $CredentialsRegion --name $CredentialsParameter --with-decryption --query Parameter.Value --output text) | ConvertFrom-Json
    if ($LASTEXITCODE -ne 0 -or -not $secret) { throw 'FAIL credentials: could not read the credentials parameter' }
    $env:AWS_ACCESS_KEY_ID = $secret.AccessKeyId
    $env:AWS_SECRET_ACCESS_KEY = $secret.SecretAccessKey
    $env:AWS_SESSION_TOKEN = $secret.SessionToken
    Remove-Variable -Name secret
    $CredentialsFromEnvironment = 'yes'
  }
  if ($CredentialsFromEnvironment -eq 'yes') {
    if (-not $env:AWS_ACCESS_KEY_ID -or -not $env:AWS_SECRET_ACCESS_KEY) {
      throw 'FAIL credentials: set $env:AWS_ACCESS_KEY_ID, $env:AWS_SECRET_ACCESS_KEY and $env:AWS_SESSION_TOKEN (short-lived installer-role credentials)'
    }
    $installArgs += @('--aws-access-key-id', $env:AWS_ACCESS_KEY_ID, '--aws-secret-access-key', $env:AWS_SECRET_ACCESS_KEY)
    if ($env:AWS_SESSION_TOKEN) { $installArgs += @('--aws-session-token', $env:AWS_SESSION_TOKEN) }
  }
  & $installer @installArgs
  if ($LASTEXITCODE -ne 0) { throw ('the installer failed with exit code ' + $LASTEXITCODE) }
} finally {
  Remove-Item -Recurse -Force -Path $work -ErrorAction SilentlyContinue
}
}`;
}

/** The full install command for one server: download through the S3 endpoint, SHA-512 check, install. */
export function installCommand(target: InstallTarget): InstallCommand {
  const checked = checkInstallTarget(target);
  // The operator's own command: the parameter is read in --region unless told otherwise.
  const v = { ...checked, credentialsRegion: checked.credentialsParameter ? checked.credentialsRegion || checked.region : '' };
  const inputs: ScriptInputs = {
    ...v,
    credentialsFromEnvironment:
      v.credentials === 'installer-role' && v.credentialsParameter === '' ? 'yes' : 'no',
  };
  return {
    url: installerUrl(v.os, v.region, v.s3Endpoint),
    hashUrl: installerHashUrl(v.os, v.region, v.s3Endpoint),
    shell: v.os === 'windows' ? 'powershell' : 'bash',
    command: v.os === 'windows' ? powershellInstallScript(inputs) : bashInstallScript(inputs),
  };
}

/** A manifest server as an install target (its credentials mode per credentialsModeOf). */
export function installTargetFor(
  manifest: WaveManifest,
  server: ServerSpec,
  credentialsParameter?: string,
  credentialsRegion?: string,
): InstallTarget {
  return {
    os: server.os,
    region: manifest.targetRegion,
    mgnEndpoint: manifest.endpoints.mgn,
    s3Endpoint: manifest.endpoints.s3,
    devices: server.devices,
    tags: server.tags,
    userProvidedId: server.userProvidedId,
    credentials: credentialsModeOf(manifest.options, server),
    credentialsParameter,
    ...(credentialsRegion !== undefined ? { credentialsRegion } : {}),
  };
}

/* ------------------------------------------------------------------------------------------------
 * SSM documents
 * ---------------------------------------------------------------------------------------------- */

export interface SsmDocumentParameter {
  readonly type: 'String';
  readonly description: string;
  readonly allowedPattern: string;
  readonly default?: string;
}

export interface SsmDocumentStep {
  readonly action: 'aws:runShellScript' | 'aws:runPowerShellScript';
  readonly name: string;
  readonly precondition?: { readonly StringEquals: readonly [string, string] };
  readonly inputs: { readonly timeoutSeconds: string; readonly runCommand: readonly string[] };
}

/** The content of a Command document (schemaVersion 2.2), as CreateDocument takes it. */
export interface SsmDocumentContent {
  readonly schemaVersion: '2.2';
  readonly description: string;
  readonly parameters: Readonly<Record<string, SsmDocumentParameter>>;
  readonly mainSteps: readonly SsmDocumentStep[];
}

const inner = (re: RegExp) => re.source.replace(/^\^/, '').replace(/\$$/, '');
const REGION_INNER = inner(REGION);
const endpointPattern = (service: 'mgn' | 's3') =>
  `^vpce-[0-9a-f]{8,17}-[0-9a-z]{8}(-[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z])?\\.${service}\\.${REGION_INNER}\\.vpce\\.amazonaws\\.com$`;
const listPattern = (item: string) => `^$|^(${item})(,(${item}))*$`;
const optionalPattern = (re: RegExp) => `^$|^(${inner(re)})$`;

/**
 * allowedPattern of every document parameter: SSM refuses a SendCommand whose value does not match,
 * before anything reaches a host. Each one derives from the manifest's own regexes, and none of them
 * admits a quote, `$`, backtick, `;`, `&`, `|`, `<`, `>`, `(`, `)`, `%`, `{`, `}` or a line break.
 * (`\p{L}`/`\p{N}` are understood by SSM's Java-style patterns; compile with the `u` flag in JS.)
 */
export const DOCUMENT_PARAMETER_PATTERNS = {
  region: `^${REGION_INNER}$`,
  mgnEndpoint: endpointPattern('mgn'),
  s3Endpoint: endpointPattern('s3'),
  linuxDevices: listPattern(inner(LINUX_DEVICE)),
  windowsDevices: listPattern(inner(WINDOWS_DRIVE)),
  tags: listPattern(`${inner(TAG_KEY)}=${inner(TAG_VALUE)}`),
  userProvidedId: optionalPattern(USER_PROVIDED_ID),
  credentialsParameter: optionalPattern(SSM_PARAMETER_NAME),
  credentialsRegion: optionalPattern(REGION),
} as const;

const P = DOCUMENT_PARAMETER_PATTERNS;
const param = (description: string, allowedPattern: string, defaultValue?: string): SsmDocumentParameter => ({
  type: 'String',
  description,
  allowedPattern,
  ...(defaultValue !== undefined ? { default: defaultValue } : {}),
});
const endpointParameters = {
  region: param('Target AWS Region (where MGN replicates to).', P.region),
  mgnEndpoint: param(
    'Endpoint-specific DNS name of the MGN interface endpoint, without "*.".',
    P.mgnEndpoint,
  ),
  s3Endpoint: param('Endpoint-specific DNS name of the S3 interface endpoint, without "*.".', P.s3Endpoint),
};
const lines = (script: string) => script.split('\n');

/** The SSM placeholders a document's script is written with. */
const PLACEHOLDERS: ScriptValues = {
  region: '{{ region }}',
  mgnEndpoint: '{{ mgnEndpoint }}',
  s3Endpoint: '{{ s3Endpoint }}',
  devices: '{{ devices }}',
  tags: '{{ tags }}',
  userProvidedId: '{{ userProvidedId }}',
  credentialsParameter: '{{ credentialsParameter }}',
  credentialsRegion: '{{ credentialsRegion }}',
};

function bashPrecheckScript(v: Pick<ScriptValues, 'region' | 'mgnEndpoint' | 's3Endpoint'>): string {
  return `REGION='${v.region}'
MGN_ENDPOINT='${v.mgnEndpoint}'
S3_ENDPOINT='${v.s3Endpoint}'
S3_HOST="aws-application-migration-service-$REGION.bucket.$S3_ENDPOINT"
failures=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }
for target in "mgn $MGN_ENDPOINT" "s3 $S3_HOST"; do
  name="\${target%% *}"
  host="\${target#* }"
  if getent hosts "$host" >/dev/null 2>&1; then pass "dns:$name"
  else fail "dns:$name" "$host does not resolve; check the endpoint's private DNS or the DNS forwarder"; fi
  if timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/443"' probe "$host" 2>/dev/null; then pass "tcp443:$name"
  else fail "tcp443:$name" "no TCP connection to $host on 443; check routes and the endpoint security group"; fi
done
check_free() {
  free_kb="$(df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }')"
  if [ -n "$free_kb" ] && [ "$free_kb" -ge "$2" ]; then pass "disk:$1"
  else fail "disk:$1" "\${free_kb:-unknown} KiB free, needs at least $2 KiB"; fi
}
check_free / 2097152
check_free /tmp 512000
if [ "$failures" -gt 0 ]; then exit 1; fi`;
}

function powershellPrecheckScript(v: Pick<ScriptValues, 'region' | 'mgnEndpoint' | 's3Endpoint'>): string {
  return `$Region = '${v.region}'
$MgnEndpoint = '${v.mgnEndpoint}'
$S3Endpoint = '${v.s3Endpoint}'
$S3Host = 'aws-application-migration-service-' + $Region + '.bucket.' + $S3Endpoint
$failures = 0
function Pass([string]$check) { Write-Output ('PASS ' + $check) }
function Fail([string]$check, [string]$why) { Write-Output ('FAIL ' + $check + ': ' + $why); $script:failures++ }
foreach ($target in @(@('mgn', $MgnEndpoint), @('s3', $S3Host))) {
  $name = $target[0]
  $hostName = $target[1]
  try { [Net.Dns]::GetHostAddresses($hostName) | Out-Null; Pass ('dns:' + $name) }
  catch { Fail ('dns:' + $name) ($hostName + ' does not resolve; check the endpoint private DNS or the DNS forwarder') }
  $client = New-Object Net.Sockets.TcpClient
  try { $connected = $client.ConnectAsync($hostName, 443).Wait(5000) } catch { $connected = $false } finally { $client.Dispose() }
  if ($connected) { Pass ('tcp443:' + $name) }
  else { Fail ('tcp443:' + $name) ('no TCP connection to ' + $hostName + ' on 443; check routes and the endpoint security group') }
}
$free = (Get-PSDrive -Name C -ErrorAction SilentlyContinue).Free
if ($free -ge 2GB) { Pass 'disk:C:' } else { Fail 'disk:C:' ([string]$free + ' bytes free, needs at least 2 GB') }
if ($failures -gt 0) { exit 1 }`;
}

/** The precheck document: one Linux step and one Windows step, each run only on its platform. */
export function precheckDocument(): SsmDocumentContent {
  return {
    schemaVersion: '2.2',
    description:
      'MGN agent prechecks on a source server: DNS and TCP 443 to the MGN and S3 interface endpoints, free disk space. Prints PASS/FAIL lines; exits non-zero on any FAIL.',
    parameters: endpointParameters,
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'precheckLinux',
        precondition: { StringEquals: ['platformType', 'Linux'] },
        inputs: { timeoutSeconds: '120', runCommand: lines(bashPrecheckScript(PLACEHOLDERS)) },
      },
      {
        action: 'aws:runPowerShellScript',
        name: 'precheckWindows',
        precondition: { StringEquals: ['platformType', 'Windows'] },
        inputs: { timeoutSeconds: '120', runCommand: lines(powershellPrecheckScript(PLACEHOLDERS)) },
      },
    ],
  };
}

/** The install document for one OS: download through the S3 endpoint, SHA-512 check, install. */
export function installDocument(os: OsFamily): SsmDocumentContent {
  const problems: Problem[] = [];
  if (!checkOs(os, problems)) return fail(problems);
  const windows = os === 'windows';
  const inputs: ScriptInputs = { ...PLACEHOLDERS, credentialsFromEnvironment: 'no' };
  return {
    schemaVersion: '2.2',
    description: `Installs the MGN replication agent on ${windows ? 'Windows' : 'Linux'} through VPC endpoints only; credentials come from an SSM SecureString read on the host, never from a parameter value.`,
    parameters: {
      ...endpointParameters,
      devices: param(
        windows
          ? 'Comma-separated drive letters to replicate (like C:,D:), or "" for all.'
          : 'Comma-separated device paths to replicate (like /dev/sda,/dev/sdb), or "" for all.',
        windows ? P.windowsDevices : P.linuxDevices,
        '',
      ),
      tags: param('Comma-separated Key=Value tags for the source server, or "".', P.tags, ''),
      userProvidedId: param('Your id for the server (like a CMDB id), or "".', P.userProvidedId, ''),
      credentialsParameter: param(
        'Name of an SSM SecureString with short-lived installer credentials ({"AccessKeyId","SecretAccessKey","SessionToken"}), or "" to use the instance profile.',
        P.credentialsParameter,
        '',
      ),
      credentialsRegion: param(
        'Region the host reads credentialsParameter from: the region it was written in (a SecureString is regional), or "" with no credentials parameter.',
        P.credentialsRegion,
        '',
      ),
    },
    mainSteps: [
      {
        action: windows ? 'aws:runPowerShellScript' : 'aws:runShellScript',
        name: windows ? 'installAgentWindows' : 'installAgentLinux',
        inputs: {
          timeoutSeconds: '1800',
          runCommand: lines(windows ? powershellInstallScript(inputs) : bashInstallScript(inputs)),
        },
      },
    ],
  };
}

/** The install document's parameter values for one server, as SendCommand takes them (validated). */
export function installDocumentParameters(target: InstallTarget): Record<keyof ScriptValues, string[]> {
  const v = checkInstallTarget(target);
  // The document never reads credentials from the host's environment: only from the named parameter.
  if (v.credentials === 'installer-role' && v.credentialsParameter === '')
    fail([
      'credentialsParameter: is required with credentials "installer-role" (the SSM SecureString the host reads them from)',
    ]);
  if (v.credentialsParameter !== '' && v.credentialsRegion === '')
    fail([
      'credentialsRegion: is required with credentialsParameter (the region the parameter was written in; a SecureString is read in its own region)',
    ]);
  return {
    region: [v.region],
    mgnEndpoint: [v.mgnEndpoint],
    s3Endpoint: [v.s3Endpoint],
    devices: [v.devices],
    tags: [v.tags],
    userProvidedId: [v.userProvidedId],
    credentialsParameter: [v.credentialsParameter],
    credentialsRegion: [v.credentialsRegion],
  };
}

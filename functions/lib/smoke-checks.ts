/**
 * The manifest's smoke checks, two ways:
 *
 * - TCP and HTTP checks as probes from the verify step, inside the VPC, against a launched
 *   instance's private IP (NetworkPort): they need no SSM, so they work for every source kind;
 * - checks as Run Command scripts for AWS-RunShellScript / AWS-RunPowerShellScript (the verify step
 *   sends the service checks this way; quiesce reads the service names). Every value that reaches a
 *   script passed the manifest's character rules (no shell metacharacters), so no quoting is needed
 *   to hold. Each check prints `PASS <check>` or `FAIL <check>`; the script exits non-zero when any
 *   check fails, which is what marks the invocation Failed.
 */
import type { OsFamily, SmokeCheck } from './manifest';
import type { NetworkPort } from './ports';

export const TCP_PROBE_TIMEOUT_MS = 3000;
export const HTTP_PROBE_TIMEOUT_MS = 5000;

export const SHELL_DOCUMENT = 'AWS-RunShellScript';
export const POWERSHELL_DOCUMENT = 'AWS-RunPowerShellScript';
export const SMOKE_CHECK_TIMEOUT_SECONDS = 300;

export const smokeCheckDocument = (os: OsFamily) => (os === 'windows' ? POWERSHELL_DOCUMENT : SHELL_DOCUMENT);

export const checkLabel = (check: SmokeCheck): string =>
  check.type === 'tcp' ? `tcp:${check.port}` : check.type === 'http' ? `http:${check.url}` : `service:${check.name}`;

function linuxLine(check: SmokeCheck): string {
  const label = checkLabel(check);
  const verdict = (test: string) => `if ${test}; then echo "PASS ${label}"; else echo "FAIL ${label}"; rc=1; fi`;
  switch (check.type) {
    case 'tcp':
      return verdict(`timeout 5 bash -c "</dev/tcp/127.0.0.1/${check.port}" 2>/dev/null`);
    case 'http':
      return verdict(`[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 ${check.url})" = "${check.expectStatus}" ]`);
    case 'service':
      return verdict(`systemctl is-active --quiet ${check.name}`);
  }
}

function windowsLine(check: SmokeCheck): string {
  const label = checkLabel(check);
  const verdict = (test: string) => `if (${test}) { Write-Output "PASS ${label}" } else { Write-Output "FAIL ${label}"; $rc = 1 }`;
  switch (check.type) {
    case 'tcp':
      return verdict(`Test-NetConnection -ComputerName localhost -Port ${check.port} -InformationLevel Quiet`);
    case 'http':
      return verdict(
        `$(try { (Invoke-WebRequest -Uri ${check.url} -UseBasicParsing -TimeoutSec 10).StatusCode } catch { $_.Exception.Response.StatusCode.value__ }) -eq ${check.expectStatus}`,
      );
    case 'service':
      return verdict(`(Get-Service -Name ${check.name} -ErrorAction SilentlyContinue).Status -eq 'Running'`);
  }
}

/** The `commands` parameter for one server's checks. */
export function smokeCheckCommands(os: OsFamily, checks: readonly SmokeCheck[]): string[] {
  if (os === 'windows') return ['$rc = 0', ...checks.map(windowsLine), 'exit $rc'];
  return ['rc=0', ...checks.map(linuxLine), 'exit $rc'];
}

export const isNetworkCheck = (check: SmokeCheck): check is Extract<SmokeCheck, { type: 'tcp' | 'http' }> =>
  check.type === 'tcp' || check.type === 'http';

/** The check's URL aimed at the instance: its host replaced by the private IP, scheme, port, path and query kept. */
export function probeUrl(url: string, privateIpAddress: string): string {
  const target = new URL(url);
  target.hostname = privateIpAddress;
  return target.toString();
}

/** Where a check runs against a launched instance: ip:port, the probed URL, or the service name. */
export function checkTarget(check: SmokeCheck, privateIpAddress: string | undefined): string {
  switch (check.type) {
    case 'tcp':
      return `${privateIpAddress ?? '<private IP>'}:${check.port}`;
    case 'http':
      return privateIpAddress ? probeUrl(check.url, privateIpAddress) : check.url;
    case 'service':
      return check.name;
  }
}

/** Runs one TCP or HTTP check against the instance's private IP: `passed` or `failed: <why>`. */
export async function probeCheck(network: NetworkPort, check: SmokeCheck, privateIpAddress: string): Promise<string> {
  if (check.type === 'tcp') {
    const refused = await network.tcpProbe(privateIpAddress, check.port, TCP_PROBE_TIMEOUT_MS);
    return refused === undefined ? 'passed' : `failed: ${refused}`;
  }
  if (check.type === 'http') {
    const answer = await network.httpProbe(probeUrl(check.url, privateIpAddress), HTTP_PROBE_TIMEOUT_MS);
    if ('error' in answer) return `failed: ${answer.error}`;
    return answer.status === check.expectStatus ? 'passed' : `failed: answered ${answer.status}, expected ${check.expectStatus}`;
  }
  throw new Error(`a ${check.type} check is not probed over the network`);
}

/** Each service check's result from its Run Command output (`PASS service:<name>` / `FAIL service:<name>`), by name. */
export function serviceCheckResults(checks: readonly SmokeCheck[], output: string, succeeded: boolean): Map<string, string> {
  const lines = new Set(output.split(/\r?\n/).map((l) => l.trim()));
  const out = new Map<string, string>();
  for (const check of checks) {
    if (check.type !== 'service') continue;
    const label = checkLabel(check);
    if (lines.has(`PASS ${label}`)) out.set(check.name, 'passed');
    else if (lines.has(`FAIL ${label}`)) out.set(check.name, 'failed: the service is not running');
    else out.set(check.name, succeeded ? 'passed' : 'failed: the command output has no result for it');
  }
  return out;
}

/**
 * The manifest's smoke checks as Run Command scripts for AWS-RunShellScript / AWS-RunPowerShellScript.
 * Every value that reaches a script passed the manifest's character rules (no shell metacharacters),
 * so no quoting is needed to hold. Each check prints `PASS <check>` or `FAIL <check>`; the script
 * exits non-zero when any check fails, which is what marks the invocation Failed.
 */
import type { OsFamily, SmokeCheck } from './manifest';

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

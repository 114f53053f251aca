/** Runs the real CLI (`node bin/mgnctl.cjs installer-command ...`) and asserts exit codes and output. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { installCommand } from '../../functions/lib/installer';

const ROOT = join(__dirname, '..', '..');
const mgnctl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'mgnctl.cjs'), 'installer-command', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const MGN = 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com';
const S3 = 'vpce-0f1e2d3c4b5a69788-efgh5678.s3.ap-south-1.vpce.amazonaws.com';
const base = ['--region', 'ap-south-1', '--mgn-endpoint', `*.${MGN}`, '--s3-endpoint', S3];

describe('mgnctl installer-command', () => {
  it('prints the URL, the hash URL and the bash command for Linux', () => {
    const r = mgnctl(
      '--os',
      'linux',
      ...base,
      '--devices',
      '/dev/sda,/dev/sdb',
      '--tags',
      'App=shop,Tier=web',
      '--user-provided-id',
      'CMDB-1',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const expected = installCommand({
      os: 'linux',
      region: 'ap-south-1',
      mgnEndpoint: MGN,
      s3Endpoint: S3,
      devices: ['/dev/sda', '/dev/sdb'],
      tags: { App: 'shop', Tier: 'web' },
      userProvidedId: 'CMDB-1',
    });
    expect(r.stdout).toBe(
      [
        `installer: ${expected.url}`,
        `hash:      ${expected.hashUrl}`,
        '',
        '# run as root on the Linux source server (bash):',
        expected.command,
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with url, hashUrl, shell and command for Windows', () => {
    const r = mgnctl(
      '--os',
      'windows',
      ...base,
      '--devices',
      'C:,D:',
      '--credentials',
      'installer-role',
      '--json',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({
      url: `https://aws-application-migration-service-ap-south-1.bucket.${S3}/latest/windows/AwsReplicationWindowsInstaller.exe`,
      hashUrl: `https://aws-application-migration-service-hashes-ap-south-1.bucket.${S3}/latest/windows/AwsReplicationWindowsInstaller.exe.sha512`,
      shell: 'powershell',
      command: expect.stringContaining("$Devices = 'C:,D:'"),
    });
    expect(out.command).toContain("$CredentialsFromEnvironment = 'yes'");
  });

  it('a credentials parameter implies installer-role', () => {
    const r = mgnctl('--os', 'linux', ...base, '--credentials-parameter', '/mgn/w1/creds', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).command).toContain("CREDENTIALS_PARAMETER='/mgn/w1/creds'");
  });

  it('names each bad argument by its flag, exit 2', () => {
    const r = mgnctl(
      '--os',
      'windows',
      '--region',
      'ap-south-1',
      '--mgn-endpoint',
      S3,
      '--s3-endpoint',
      S3.replace('ap-south-1', 'eu-west-1'),
      '--devices',
      'C:,/dev/sda',
      '--tags',
      'aws:owner=me',
      '--user-provided-id',
      'x;reboot',
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `mgnctl installer-command: --mgn-endpoint: "${S3}" is an endpoint for s3, not mgn`,
      'mgnctl installer-command: --s3-endpoint: endpoint is in eu-west-1 but the target region is ap-south-1; use the s3 endpoint of the target region',
      'mgnctl installer-command: --devices (item 2): "/dev/sda" is not a Windows drive letter (like "C:")',
      'mgnctl installer-command: --tags: tag key "aws:owner" starts with "aws:", which is reserved by AWS',
      'mgnctl installer-command: --user-provided-id: "x;reboot" is not a user-provided id (1-128 letters, digits, _ . : / = + - @)',
    ]);
  });

  it('refuses injection attempts in every argument', () => {
    const attempts: string[][] = [
      ['--region', 'ap-south-1$(reboot)'],
      ['--mgn-endpoint', `${MGN};reboot`],
      ['--s3-endpoint', `\`reboot\`${S3}`],
      ['--devices', '/dev/sda&&reboot'],
      ['--tags', 'k=v|sh'],
      ['--user-provided-id', '$env:AWS_SECRET_ACCESS_KEY'],
      ['--credentials-parameter', "/x'y"],
    ];
    for (const [flag, value] of attempts) {
      const args = ['--os', 'linux', ...base];
      const at = args.indexOf(flag);
      if (at >= 0) args[at + 1] = value;
      else args.push(flag, value);
      const r = mgnctl(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${flag}`);
    }
  });

  it('refuses missing, unknown and malformed arguments; --help explains', () => {
    const missing = mgnctl('--os', 'linux');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^mgnctl installer-command: missing --region, --mgn-endpoint, --s3-endpoint/,
    );
    const unknown = mgnctl('--os', 'linux', ...base, '--proxy', 'x');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--proxy'/);
    const badOs = mgnctl('--os', 'solaris', ...base);
    expect(badOs.code).toBe(2);
    expect(badOs.stderr).toBe(
      'mgnctl installer-command: --os: "solaris" is not an OS; use "linux" or "windows"\n',
    );
    const badTag = mgnctl('--os', 'linux', ...base, '--tags', 'novalue');
    expect(badTag.code).toBe(2);
    expect(badTag.stderr).toBe(
      'mgnctl installer-command: --tags: "novalue" is not KEY=VALUE; write --tags Key=Value,Key2=Value2\n',
    );
    const help = mgnctl('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /^usage: mgnctl installer-command --os linux\|windows --region R --mgn-endpoint DNS --s3-endpoint DNS/,
    );
  });
});

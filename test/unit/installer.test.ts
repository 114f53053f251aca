import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DOCUMENT_PARAMETER_PATTERNS,
  installCommand,
  installDocument,
  installDocumentParameters,
  installerHashUrl,
  installerUrl,
  installTargetFor,
  InstallTarget,
  precheckDocument,
} from '../../functions/lib/installer';
import { parseManifest } from '../../functions/lib/manifest';
import { InvalidInputError } from '../../functions/lib/validation';

const MGN = 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com';
const S3 = 'vpce-0f1e2d3c4b5a69788-efgh5678.s3.ap-south-1.vpce.amazonaws.com';
const linux: InstallTarget = { os: 'linux', region: 'ap-south-1', mgnEndpoint: MGN, s3Endpoint: S3 };
const windows: InstallTarget = { ...linux, os: 'windows' };

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return (e as InvalidInputError).problems;
  }
  throw new Error('expected InvalidInputError');
};

describe('installerUrl / installerHashUrl', () => {
  it('rewrites the installer host to the S3 interface endpoint with a bucket. prefix (Linux and Windows)', () => {
    expect(installerUrl('linux', 'ap-south-1', S3)).toBe(
      `https://aws-application-migration-service-ap-south-1.bucket.${S3}/latest/linux/aws-replication-installer-init`,
    );
    expect(installerUrl('windows', 'ap-south-1', S3)).toBe(
      `https://aws-application-migration-service-ap-south-1.bucket.${S3}/latest/windows/AwsReplicationWindowsInstaller.exe`,
    );
  });
  it('matches the DESIGN example for eu-west-1', () => {
    expect(
      installerUrl('linux', 'eu-west-1', 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com'),
    ).toBe(
      'https://aws-application-migration-service-eu-west-1.bucket.vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com/latest/linux/aws-replication-installer-init',
    );
  });
  it('points the hash URL at the -hashes- bucket, same endpoint, published .sha512 object', () => {
    expect(installerHashUrl('linux', 'ap-south-1', S3)).toBe(
      `https://aws-application-migration-service-hashes-ap-south-1.bucket.${S3}/latest/linux/aws-replication-installer-init.sha512`,
    );
    expect(installerHashUrl('windows', 'ap-south-1', `*.${S3}`)).toBe(
      `https://aws-application-migration-service-hashes-ap-south-1.bucket.${S3}/latest/windows/AwsReplicationWindowsInstaller.exe.sha512`,
    );
  });
  it('accepts the endpoint with a leading "*." and drops it', () => {
    expect(installerUrl('linux', 'ap-south-1', `*.${S3}`)).toBe(installerUrl('linux', 'ap-south-1', S3));
  });
  it('refuses an endpoint in another region, of another service, or not an endpoint at all', () => {
    expect(
      problemsOf(() => installerUrl('linux', 'ap-south-1', S3.replace('ap-south-1', 'eu-west-1'))),
    ).toEqual([
      's3Endpoint: endpoint is in eu-west-1 but the target region is ap-south-1; use the s3 endpoint of the target region',
    ]);
    expect(problemsOf(() => installerUrl('linux', 'ap-south-1', MGN))).toEqual([
      `s3Endpoint: "${MGN}" is an endpoint for mgn, not s3`,
    ]);
    expect(problemsOf(() => installerUrl('linux', 'ap-south-1', 's3.ap-south-1.amazonaws.com'))).toEqual([
      expect.stringMatching(
        /^s3Endpoint: "s3\.ap-south-1\.amazonaws\.com" is not an endpoint-specific interface endpoint DNS name/,
      ),
    ]);
  });
  it('refuses a bad OS or region', () => {
    expect(problemsOf(() => installerUrl('macos' as never, 'ap-south-1', S3))).toEqual([
      'os: "macos" is not an OS; use "linux" or "windows"',
    ]);
    expect(problemsOf(() => installerUrl('linux', 'ap-south-1;id', S3))).toEqual([
      'region: "ap-south-1;id" is not an AWS region code (like ap-south-1)',
    ]);
  });
});

describe('installCommand', () => {
  it('builds a bash command with every flag, values in single quotes, for Linux', () => {
    const c = installCommand({
      ...linux,
      mgnEndpoint: `*.${MGN}`,
      devices: ['/dev/sda', '/dev/nvme1n1'],
      tags: { App: 'shop', 'Cost Centre': 'CC-1' },
      userProvidedId: 'CMDB-1',
    });
    expect(c.shell).toBe('bash');
    expect(c.url).toBe(installerUrl('linux', 'ap-south-1', S3));
    expect(c.hashUrl).toBe(installerHashUrl('linux', 'ap-south-1', S3));
    expect(c.command).toContain(`MGN_ENDPOINT='${MGN}'`);
    expect(c.command).toContain(`S3_ENDPOINT='${S3}'`);
    expect(c.command).toContain("DEVICES='/dev/sda,/dev/nvme1n1'");
    expect(c.command).toContain("TAGS='App=shop,Cost Centre=CC-1'");
    expect(c.command).toContain("USER_PROVIDED_ID='CMDB-1'");
    expect(c.command).toMatch(
      /args=\(--region "\$REGION" --endpoint "\$MGN_ENDPOINT" --s3-endpoint "\$S3_ENDPOINT" --no-prompt\)/,
    );
    expect(c.command).toContain('sha512sum');
    expect(c.command).not.toContain('*.');
  });
  it('builds a PowerShell command for Windows with the same flags', () => {
    const c = installCommand({
      ...windows,
      s3Endpoint: `*.${S3}`,
      devices: ['C:', 'D:'],
      tags: { App: 'portal' },
      userProvidedId: 'CMDB-2',
    });
    expect(c.shell).toBe('powershell');
    expect(c.url).toBe(installerUrl('windows', 'ap-south-1', S3));
    expect(c.command).toContain(`$S3Endpoint = '${S3}'`);
    expect(c.command).toContain("$Devices = 'C:,D:'");
    expect(c.command).toContain("$Tags = 'App=portal'");
    expect(c.command).toContain("$UserProvidedId = 'CMDB-2'");
    expect(c.command).toContain(
      "@('--region', $Region, '--endpoint', $MgnEndpoint, '--s3-endpoint', $S3Endpoint, '--no-prompt')",
    );
    expect(c.command).toContain('Get-FileHash -Algorithm SHA512');
    // balanced braces and parentheses: a cheap structural check where no PowerShell parser is available
    const count = (ch: string) => c.command.split(ch).length - 1;
    expect(count('{')).toBe(count('}'));
    expect(count('(')).toBe(count(')'));
  });
  it('references credentials from the environment only, never as values', () => {
    const bash = installCommand({ ...linux, credentials: 'installer-role' }).command;
    expect(bash).toContain("CREDENTIALS_FROM_ENVIRONMENT='yes'");
    expect(bash).toContain('--aws-access-key-id "$AWS_ACCESS_KEY_ID"');
    const ps = installCommand({ ...windows, credentials: 'installer-role' }).command;
    expect(ps).toContain("$CredentialsFromEnvironment = 'yes'");
    expect(ps).toContain("'--aws-access-key-id', $env:AWS_ACCESS_KEY_ID");
    const profile = installCommand(linux).command;
    expect(profile).toContain("CREDENTIALS_FROM_ENVIRONMENT='no'");
    const fromParameter = installCommand({
      ...linux,
      credentials: 'installer-role',
      credentialsParameter: '/mgn/wave-1/installer',
    }).command;
    expect(fromParameter).toContain("CREDENTIALS_PARAMETER='/mgn/wave-1/installer'");
    expect(fromParameter).toContain("CREDENTIALS_FROM_ENVIRONMENT='no'");
  });
  it('refuses a credentials parameter without installer-role, and a bad credentials mode', () => {
    expect(problemsOf(() => installCommand({ ...linux, credentialsParameter: '/x' }))).toEqual([
      'credentialsParameter: only used with credentials "installer-role"; an instance profile needs no credentials',
    ]);
    expect(problemsOf(() => installCommand({ ...linux, credentials: 'keys' as never }))).toEqual([
      'credentials: "keys" is not allowed; use "instance-profile" or "installer-role"',
    ]);
  });
  it('validates every field again and names each bad one', () => {
    const problems = problemsOf(() =>
      installCommand({
        os: 'linux',
        region: 'ap-south-1',
        mgnEndpoint: S3,
        s3Endpoint: S3.replace('ap-south-1', 'us-east-1'),
        devices: ['C:'],
        tags: { 'aws:x': 'y', ok: 'a,b' },
        userProvidedId: 'has space',
      }),
    );
    expect(problems).toEqual([
      `mgnEndpoint: "${S3}" is an endpoint for s3, not mgn`,
      's3Endpoint: endpoint is in us-east-1 but the target region is ap-south-1; use the s3 endpoint of the target region',
      'devices[0]: "C:" is not a Linux device path (like "/dev/sda")',
      'tags: tag key "aws:x" starts with "aws:", which is reserved by AWS',
      'tags: tag value "a,b" (key "ok") must be at most 256 letters, digits, spaces or _ . : / = + - @',
      'userProvidedId: "has space" is not a user-provided id (1-128 letters, digits, _ . : / = + - @)',
    ]);
    expect(problemsOf(() => installCommand({ ...windows, devices: ['/dev/sda'] }))).toEqual([
      'devices[0]: "/dev/sda" is not a Windows drive letter (like "C:")',
    ]);
  });

  describe('injection attempts in every string', () => {
    const attempts = [
      "'; reboot; '",
      '$(reboot)',
      '`reboot`',
      'a && reboot',
      'a | sh',
      '"x"',
      'a\nreboot',
      '$env:AWS_SECRET_ACCESS_KEY',
      '%COMSPEC%',
      'a;b',
      "a'b",
    ];
    const cases: Array<[string, (v: string) => InstallTarget]> = [
      ['region', (v) => ({ ...linux, region: `ap-south-1${v}` })],
      ['mgnEndpoint', (v) => ({ ...linux, mgnEndpoint: `${MGN}${v}` })],
      ['s3Endpoint', (v) => ({ ...linux, s3Endpoint: `${v}${S3}` })],
      ['devices[0]', (v) => ({ ...linux, devices: [`/dev/sda${v}`] })],
      ['devices[0]', (v) => ({ ...windows, devices: [`C:${v}`] })],
      ['tags', (v) => ({ ...linux, tags: { [`k${v}`]: 'v' } })],
      ['tags', (v) => ({ ...linux, tags: { k: `v${v}` } })],
      ['userProvidedId', (v) => ({ ...linux, userProvidedId: `id${v}` })],
      [
        'credentialsParameter',
        (v) => ({ ...linux, credentials: 'installer-role', credentialsParameter: `/mgn/creds${v}` }),
      ],
    ];
    it.each(cases.flatMap(([field, build]) => attempts.map((a) => [field, a, build] as const)))(
      '%s refuses %j',
      (field, attempt, build) => {
        const problems = problemsOf(() => installCommand(build(attempt)));
        expect(problems).toHaveLength(1);
        expect(problems[0].startsWith(field)).toBe(true);
      },
    );
  });

  it('builds the target from a manifest server', () => {
    const m = parseManifest({
      waveId: 'w',
      targetRegion: 'ap-south-1',
      endpoints: { mgn: MGN, s3: S3 },
      servers: [
        {
          name: 'a',
          os: 'windows',
          source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0' },
          devices: ['C:'],
          userProvidedId: 'X',
        },
      ],
      options: { credentials: 'installer-role' },
    });
    expect(installTargetFor(m, m.servers[0], '/p')).toEqual({
      os: 'windows',
      region: 'ap-south-1',
      mgnEndpoint: MGN,
      s3Endpoint: S3,
      devices: ['C:'],
      tags: undefined,
      userProvidedId: 'X',
      credentials: 'installer-role',
      credentialsParameter: '/p',
    });
  });
});

describe('the bash install command runs as written', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mgn-installer-'));
    // Fake curl: serves a fake installer (records its arguments) and its published SHA-512.
    writeFileSync(
      join(dir, 'curl'),
      `#!/usr/bin/env bash
out=""; url=""
while [ $# -gt 0 ]; do case "$1" in --output) out="$2"; shift 2;; --*) shift;; *) url="$1"; shift;; esac; done
echo "$url" >> "$FAKE_LOG/urls"
installer='#!/usr/bin/env bash
printf "%s\\n" "$@" > "$FAKE_LOG/args"'
case "$url" in
  *.sha512) if [ -n "\${FAKE_BAD_HASH:-}" ]; then echo "0000  x" > "$out"; else printf '%s' "$installer" | sha512sum | awk '{print toupper($1) "  aws-replication-installer-init"}' > "$out"; fi ;;
  *) printf '%s' "$installer" > "$out" ;;
esac
`,
    );
    // Fake aws CLI: answers get-parameter with the credentials JSON, and records how it was called.
    writeFileSync(
      join(dir, 'aws'),
      `#!/usr/bin/env bash
echo "$@" > "$FAKE_LOG/aws"
echo '{"AccessKeyId":"AKIAFROMPARAM","SecretAccessKey":"secret/from+param","SessionToken":"token=="}'
`,
    );
    chmodSync(join(dir, 'curl'), 0o755);
    chmodSync(join(dir, 'aws'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (command: string, env: Record<string, string> = {}) => {
    const log = mkdtempSync(join(dir, 'log-'));
    const result = spawnSync('bash', ['-c', command], {
      env: { PATH: `${dir}:${process.env.PATH}`, FAKE_LOG: log, HOME: dir, ...env },
      encoding: 'utf8',
    });
    const read = (name: string) => {
      try {
        return readFileSync(join(log, name), 'utf8');
      } catch {
        return undefined;
      }
    };
    return { ...result, read };
  };

  it('passes bash -n', () => {
    for (const target of [
      linux,
      {
        ...linux,
        devices: ['/dev/sda'],
        tags: { a: 'b' },
        userProvidedId: 'x',
        credentials: 'installer-role' as const,
      },
    ]) {
      const check = spawnSync('bash', ['-n'], { input: installCommand(target).command, encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('downloads through the endpoint, checks the hash and runs the installer with the right arguments', () => {
    const c = installCommand({
      ...linux,
      devices: ['/dev/sda', '/dev/sdb'],
      tags: { App: 'shop', 'Cost Centre': 'CC 1' },
      userProvidedId: 'CMDB-1',
    });
    const r = run(c.command);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PASS installer-hash');
    expect(r.read('urls')!.trim().split('\n')).toEqual([c.url, c.hashUrl]);
    expect(r.read('args')!.trim().split('\n')).toEqual([
      '--region',
      'ap-south-1',
      '--endpoint',
      MGN,
      '--s3-endpoint',
      S3,
      '--no-prompt',
      '--devices',
      '/dev/sda,/dev/sdb',
      '--tags',
      'App=shop',
      'Cost Centre=CC 1',
      '--user-provided-id',
      'CMDB-1',
    ]);
  });

  it('refuses to run an installer whose hash does not match', () => {
    const r = run(installCommand(linux).command, { FAKE_BAD_HASH: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FAIL installer-hash');
    expect(r.read('args')).toBeUndefined();
  });

  it('installer-role: takes credentials from the environment, and refuses to run without them', () => {
    const c = installCommand({ ...linux, credentials: 'installer-role' });
    const r = run(c.command, {
      AWS_ACCESS_KEY_ID: 'AKIAENV',
      AWS_SECRET_ACCESS_KEY: 'envsecret',
      AWS_SESSION_TOKEN: 'envtoken',
    });
    expect(r.status).toBe(0);
    expect(r.read('args')!.trim().split('\n').slice(-6)).toEqual([
      '--aws-access-key-id',
      'AKIAENV',
      '--aws-secret-access-key',
      'envsecret',
      '--aws-session-token',
      'envtoken',
    ]);
    expect(c.command).not.toContain('envsecret');
    const missing = run(c.command);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('FAIL credentials');
    expect(missing.read('args')).toBeUndefined();
  });

  it('installer-role with a parameter in another region: reads the SecureString where it was written', () => {
    const r = run(
      installCommand({ ...linux, credentials: 'installer-role', credentialsParameter: '/mgn/w1/creds', credentialsRegion: 'ap-southeast-1' })
        .command,
    );
    expect(r.status).toBe(0);
    expect(r.read('aws')!.trim()).toBe(
      'ssm get-parameter --region ap-southeast-1 --name /mgn/w1/creds --with-decryption --query Parameter.Value --output text',
    );
    // the installer itself still talks to MGN in the target region
    expect(r.read('args')!.trim().split('\n').slice(0, 2)).toEqual(['--region', 'ap-south-1']);
  });

  it('installer-role with a parameter: reads the SecureString on the host', () => {
    const r = run(
      installCommand({ ...linux, credentials: 'installer-role', credentialsParameter: '/mgn/w1/creds' })
        .command,
    );
    expect(r.status).toBe(0);
    expect(r.read('aws')!.trim()).toBe(
      'ssm get-parameter --region ap-south-1 --name /mgn/w1/creds --with-decryption --query Parameter.Value --output text',
    );
    expect(r.read('args')!.trim().split('\n').slice(-6)).toEqual([
      '--aws-access-key-id',
      'AKIAFROMPARAM',
      '--aws-secret-access-key',
      'secret/from+param',
      '--aws-session-token',
      'token==',
    ]);
    expect(r.stdout).not.toContain('AKIAFROMPARAM');
  });

  it('the SSM install document, once SSM fills its parameters, runs the same way', () => {
    const doc = installDocument('linux');
    const values = installDocumentParameters({
      ...linux,
      devices: ['/dev/sda'],
      tags: { App: 'shop' },
      credentials: 'installer-role',
      credentialsParameter: '/mgn/c',
      credentialsRegion: 'ap-southeast-1',
    });
    const script = doc.mainSteps[0].inputs.runCommand
      .join('\n')
      .replace(/\{\{ (\w+) \}\}/g, (_, name: string) => (values as Record<string, string[]>)[name][0]);
    const r = run(script);
    expect(r.status).toBe(0);
    expect(r.read('args')!.trim().split('\n')).toEqual([
      '--region',
      'ap-south-1',
      '--endpoint',
      MGN,
      '--s3-endpoint',
      S3,
      '--no-prompt',
      '--devices',
      '/dev/sda',
      '--tags',
      'App=shop',
      '--aws-access-key-id',
      'AKIAFROMPARAM',
      '--aws-secret-access-key',
      'secret/from+param',
      '--aws-session-token',
      'token==',
    ]);
    // the SecureString is read in the region the document says it was written in, not the target region
    expect(r.read('aws')!.trim()).toBe(
      'ssm get-parameter --region ap-southeast-1 --name /mgn/c --with-decryption --query Parameter.Value --output text',
    );
  });

  it('the SSM install document refuses to guess the credentials region', () => {
    const doc = installDocument('linux');
    const values = { ...installDocumentParameters({ ...linux, credentials: 'installer-role', credentialsParameter: '/mgn/c', credentialsRegion: 'ap-south-1' }), credentialsRegion: [''] };
    const script = doc.mainSteps[0].inputs.runCommand
      .join('\n')
      .replace(/\{\{ (\w+) \}\}/g, (_, name: string) => (values as Record<string, string[]>)[name][0]);
    const r = run(script);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FAIL credentials: no region for the credentials parameter /mgn/c');
    expect(r.read('aws')).toBeUndefined();
    expect(r.read('args')).toBeUndefined();
  });
});

describe('SSM documents', () => {
  it('precheck: schema 2.2, one Linux and one Windows step chosen by platformType, endpoint parameters', () => {
    const doc = precheckDocument();
    expect(doc.schemaVersion).toBe('2.2');
    expect(Object.keys(doc.parameters).sort()).toEqual(['mgnEndpoint', 'region', 's3Endpoint']);
    expect(doc.mainSteps.map((s) => [s.action, s.precondition])).toEqual([
      ['aws:runShellScript', { StringEquals: ['platformType', 'Linux'] }],
      ['aws:runPowerShellScript', { StringEquals: ['platformType', 'Windows'] }],
    ]);
    for (const step of doc.mainSteps) {
      const text = step.inputs.runCommand.join('\n');
      for (const p of ['region', 'mgnEndpoint', 's3Endpoint']) expect(text).toContain(`'{{ ${p} }}'`);
    }
  });

  it('install: one per OS, every parameter with an allowedPattern, optional ones default to ""', () => {
    for (const os of ['linux', 'windows'] as const) {
      const doc = installDocument(os);
      expect(doc.schemaVersion).toBe('2.2');
      expect(doc.mainSteps).toHaveLength(1);
      expect(doc.mainSteps[0].action).toBe(os === 'linux' ? 'aws:runShellScript' : 'aws:runPowerShellScript');
      expect(Object.keys(doc.parameters).sort()).toEqual([
        'credentialsParameter',
        'credentialsRegion',
        'devices',
        'mgnEndpoint',
        'region',
        's3Endpoint',
        'tags',
        'userProvidedId',
      ]);
      for (const [name, p] of Object.entries(doc.parameters)) {
        expect(p.allowedPattern).toMatch(/^\^/);
        if (['devices', 'tags', 'userProvidedId', 'credentialsParameter', 'credentialsRegion'].includes(name))
          expect(p.default).toBe('');
        // the empty default must itself be allowed
        if (p.default !== undefined) expect(new RegExp(p.allowedPattern, 'u').test(p.default)).toBe(true);
      }
      const text = doc.mainSteps[0].inputs.runCommand.join('\n');
      expect(text).not.toMatch(/AKIA|SecretAccessKey"\s*:\s*"[A-Za-z0-9]/);
    }
    expect(installDocument('windows').parameters.devices.allowedPattern).toBe(
      DOCUMENT_PARAMETER_PATTERNS.windowsDevices,
    );
  });

  it('the Linux precheck script passes bash -n and reports PASS/FAIL lines, exiting non-zero on a FAIL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-precheck-'));
    try {
      // Fakes: the mgn endpoint resolves and answers, the s3 one does not resolve; / has room, /tmp does not.
      writeFileSync(
        join(dir, 'getent'),
        '#!/usr/bin/env bash\ncase "$2" in vpce-*) exit 0;; *) exit 2;; esac\n',
      );
      writeFileSync(
        join(dir, 'timeout'),
        '#!/usr/bin/env bash\ncase "$6" in vpce-*) exit 0;; *) exit 1;; esac\n',
      );
      writeFileSync(
        join(dir, 'df'),
        '#!/usr/bin/env bash\necho "Filesystem 1024-blocks Used Available Capacity Mounted"\nif [ "$2" = / ]; then echo "d 1 1 9000000 1% /"; else echo "d 1 1 1000 99% /tmp"; fi\n',
      );
      for (const f of ['getent', 'timeout', 'df']) chmodSync(join(dir, f), 0o755);
      const script = precheckDocument()
        .mainSteps[0].inputs.runCommand.join('\n')
        .replace("'{{ region }}'", "'ap-south-1'")
        .replace("'{{ mgnEndpoint }}'", `'${MGN}'`)
        .replace("'{{ s3Endpoint }}'", `'${S3}'`);
      expect(spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' }).status).toBe(0);
      const r = spawnSync('bash', ['-c', script], {
        env: { PATH: `${dir}:${process.env.PATH}` },
        encoding: 'utf8',
      });
      const out = r.stdout.trim().split('\n');
      expect(out).toEqual([
        'PASS dns:mgn',
        'PASS tcp443:mgn',
        expect.stringMatching(
          /^FAIL dns:s3: aws-application-migration-service-ap-south-1\.bucket\.vpce-.* does not resolve/,
        ),
        expect.stringMatching(/^FAIL tcp443:s3: no TCP connection to .* on 443/),
        'PASS disk:/',
        'FAIL disk:/tmp: 1000 KiB free, needs at least 512000 KiB',
      ]);
      expect(r.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('allowedPatterns refuse metacharacters', () => {
    const P = DOCUMENT_PARAMETER_PATTERNS;
    const re = (pattern: string) => new RegExp(pattern, 'u');
    const good: Record<keyof typeof P, string[]> = {
      region: ['ap-south-1', 'us-gov-west-1'],
      mgnEndpoint: [MGN],
      s3Endpoint: [S3],
      linuxDevices: ['', '/dev/sda', '/dev/sda,/dev/nvme0n1,/dev/mapper/vg-root'],
      windowsDevices: ['', 'C:', 'C:,d:'],
      tags: ['', 'App=shop', 'App=shop,Cost Centre=CC-1,empty=', 'Ünï=välue'],
      userProvidedId: ['', 'CMDB-1', 'a/b:c=d+e@f'],
      credentialsParameter: ['', 'creds', '/mgn/wave-1/creds'],
      credentialsRegion: ['', 'ap-southeast-1', 'us-gov-west-1'],
    };
    const metacharacters = [
      ';',
      '$(id)',
      '`id`',
      '&&',
      '|',
      "'",
      '"',
      '\n',
      '\r',
      '$env:X',
      '%X%',
      '<',
      '>',
      '(',
      ')',
      '{',
      '}',
      '\\',
      '*',
      '!',
    ];
    it.each(Object.keys(P) as Array<keyof typeof P>)('%s', (name) => {
      for (const value of good[name]) expect(re(P[name]).test(value)).toBe(true);
      for (const value of good[name].filter((v) => v !== '')) {
        for (const m of metacharacters) {
          expect(re(P[name]).test(`${value}${m}`)).toBe(false);
          expect(re(P[name]).test(`${m}${value}`)).toBe(false);
        }
      }
    });
    it('endpoint patterns refuse "*.", another service and another shape', () => {
      expect(re(P.mgnEndpoint).test(`*.${MGN}`)).toBe(false);
      expect(re(P.mgnEndpoint).test(S3)).toBe(false);
      expect(re(P.s3Endpoint).test('s3.ap-south-1.amazonaws.com')).toBe(false);
      expect(re(P.tags).test('a=b=c,d')).toBe(false);
      expect(re(P.tags).test('=v')).toBe(false);
    });
    it('every value installDocumentParameters produces matches its pattern', () => {
      for (const os of ['linux', 'windows'] as const) {
        const values = installDocumentParameters({
          ...linux,
          os,
          devices: os === 'linux' ? ['/dev/sda', '/dev/sdb'] : ['C:', 'D:'],
          tags: { App: 'x', 'Cost Centre': 'a=b' },
          userProvidedId: 'CMDB-9',
          credentials: 'installer-role',
          credentialsParameter: '/mgn/c',
          credentialsRegion: 'eu-central-1',
        });
        const doc = installDocument(os);
        for (const [name, [value]] of Object.entries(values))
          expect(re(doc.parameters[name].allowedPattern).test(value)).toBe(true);
      }
    });
    it('installDocumentParameters needs a credentials parameter for installer-role', () => {
      expect(
        problemsOf(() => installDocumentParameters({ ...linux, credentials: 'installer-role' })),
      ).toEqual([
        'credentialsParameter: is required with credentials "installer-role" (the SSM SecureString the host reads them from)',
      ]);
      expect(installDocumentParameters(linux).credentialsParameter).toEqual(['']);
    });
    it('installDocumentParameters needs the region the credentials parameter was written in', () => {
      expect(
        problemsOf(() => installDocumentParameters({ ...linux, credentials: 'installer-role', credentialsParameter: '/mgn/c' })),
      ).toEqual([
        'credentialsRegion: is required with credentialsParameter (the region the parameter was written in; a SecureString is read in its own region)',
      ]);
      expect(problemsOf(() => installDocumentParameters({ ...linux, credentialsRegion: 'ap-southeast-1' }))).toEqual([
        'credentialsRegion: only used with credentialsParameter (the region that parameter was written in)',
      ]);
      expect(
        problemsOf(() => installDocumentParameters({ ...linux, credentials: 'installer-role', credentialsParameter: '/mgn/c', credentialsRegion: 'ap-south-1; id' })),
      ).toEqual(['credentialsRegion: "ap-south-1; id" is not an AWS region code (like ap-southeast-1)']);
      expect(installDocumentParameters(linux).credentialsRegion).toEqual(['']);
    });
  });
});

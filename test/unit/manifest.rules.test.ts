/**
 * Every manifest rule, each with a case that passes and a case that fails with the exact line an
 * operator sees. Prepare: a valid wave; Act: change one thing; Assess: the problems.
 */
import { credentialsModeOf, findManifestProblems, mergeLaunch, parseManifest, WaveManifest } from '../../functions/lib/manifest';
import { InvalidInputError } from '../../functions/lib/validation';

const MGN = 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com';
const S3 = 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.ap-south-1.vpce.amazonaws.com';

type Json = Record<string, unknown>;
const linuxServer = (): Json => ({
  name: 'web-1',
  os: 'linux',
  source: { type: 'ec2', instanceId: 'i-0123456789abcdef0', region: 'ap-southeast-1' },
});
const windowsServer = (): Json => ({
  name: 'app-1',
  os: 'windows',
  source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'app-1.corp.example.com' },
});
/** a third server that never collides with the others */
const otherServer = (): Json => ({
  name: 'db-9',
  os: 'linux',
  source: { type: 'onprem', managedInstanceId: 'mi-99999999999999999' },
});
const wave = (patch: Json = {}): Json => ({
  waveId: 'wave-1',
  targetRegion: 'ap-south-1',
  endpoints: { mgn: MGN, s3: S3 },
  servers: [linuxServer(), windowsServer()],
  ...patch,
});
/** the wave with servers[0] patched (undefined removes a key) */
const withServer = (patch: Json, base: Json = linuxServer()): Json => {
  const server: Json = { ...base, ...patch };
  for (const k of Object.keys(server)) if (server[k] === undefined) delete server[k];
  return wave({ servers: [server, otherServer()] });
};
const withSource = (source: Json) => withServer({ source });
const withOptions = (options: Json) => wave({ options });

const problems = (input: unknown): string[] => findManifestProblems(input).map((p) => p.line);
const ok = (input: unknown): WaveManifest => {
  expect(problems(input)).toEqual([]);
  return parseManifest(input);
};
const onlyProblem = (input: unknown, expected: string | RegExp) => {
  const found = problems(input);
  expect(found).toHaveLength(1);
  if (typeof expected === 'string') expect(found[0]).toBe(expected);
  else expect(found[0]).toMatch(expected);
};

describe('waveId', () => {
  it.each(['w', 'wave-12', 'W_1-a', 'a'.repeat(63)])('accepts %s', (waveId) => {
    expect(ok(wave({ waveId })).waveId).toBe(waveId);
  });
  it.each(['-wave', 'wave 1', 'wave.1', 'a'.repeat(64), ''])('refuses %j', (waveId) => {
    onlyProblem(
      wave({ waveId }),
      /^waveId: ".*" is not a wave id \(letter or digit, then up to 62 letters, digits, _ -\)$/,
    );
  });
  it('is required and must be a string', () => {
    const { waveId: _omit, ...rest } = wave();
    onlyProblem(
      rest,
      'waveId: is required (a wave id (letter or digit, then up to 62 letters, digits, _ -))',
    );
    onlyProblem(
      wave({ waveId: 12 }),
      'waveId: expected a string (a wave id (letter or digit, then up to 62 letters, digits, _ -)), got 12',
    );
  });
});

describe('targetRegion', () => {
  it.each(['ap-south-1', 'us-gov-west-1', 'eu-central-2'])('accepts %s', (targetRegion) => {
    const mgn = MGN.replace('ap-south-1', targetRegion);
    const s3 = S3.replace('ap-south-1', targetRegion);
    expect(ok(wave({ targetRegion, endpoints: { mgn, s3 } })).targetRegion).toBe(targetRegion);
  });
  it.each(['ap-south', 'AP-SOUTH-1', 'mars-1', 'ap-south-1;reboot'])('refuses %j', (targetRegion) => {
    onlyProblem(
      wave({ targetRegion }),
      `targetRegion: ${JSON.stringify(targetRegion)} is not an AWS region code (like ap-south-1)`,
    );
  });
});

describe('endpoints', () => {
  it('accepts endpoint-specific names with and without the console-style "*." and stores them without it', () => {
    const m = ok(wave({ endpoints: { mgn: `*.${MGN}`, s3: S3 } }));
    expect(m.endpoints).toEqual({ mgn: MGN, s3: S3 });
  });
  it('accepts the zonal form (…-ap-south-1a.mgn…)', () => {
    const zonal = 'vpce-0a1b2c3d4e5f60718-abcd1234-ap-south-1a.mgn.ap-south-1.vpce.amazonaws.com';
    expect(ok(wave({ endpoints: { mgn: zonal, s3: S3 } })).endpoints.mgn).toBe(zonal);
  });
  it('refuses the regional service name and names from the wrong service', () => {
    onlyProblem(
      wave({ endpoints: { mgn: 'mgn.ap-south-1.amazonaws.com', s3: S3 } }),
      /^endpoints\.mgn: "mgn\.ap-south-1\.amazonaws\.com" is not an endpoint-specific mgn interface endpoint DNS name/,
    );
    onlyProblem(
      wave({ endpoints: { mgn: MGN, s3: MGN } }),
      /^endpoints\.s3: ".*\.mgn\..*" is not an endpoint-specific s3 interface endpoint DNS name/,
    );
  });
  it('refuses an endpoint in another region than targetRegion', () => {
    onlyProblem(
      wave({ endpoints: { mgn: MGN, s3: S3.replace('ap-south-1', 'eu-west-1') } }),
      'endpoints.s3: endpoint is in eu-west-1 but targetRegion is ap-south-1; use the s3 endpoint of the target region',
    );
    onlyProblem(
      wave({ endpoints: { mgn: `*.${MGN.replace('ap-south-1', 'us-east-1')}`, s3: S3 } }),
      /^endpoints\.mgn: endpoint is in us-east-1 but targetRegion is ap-south-1/,
    );
  });
  it('requires both endpoints and refuses unknown ones', () => {
    onlyProblem(wave({ endpoints: { mgn: MGN } }), /^endpoints\.s3: is required/);
    onlyProblem(
      wave({ endpoints: { mgn: MGN, s3: S3, ssm: 'x' } }),
      'endpoints.ssm: unknown field; remove it or fix its spelling',
    );
  });
});

describe('servers', () => {
  it('needs 1..1000 servers', () => {
    onlyProblem(wave({ servers: [] }), 'servers: a wave needs at least one server');
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `s${i}`,
        os: 'linux',
        source: { type: 'ec2', instanceId: `i-${i.toString(16).padStart(8, '0')}`, region: 'ap-southeast-1' },
      }));
    expect(ok(wave({ servers: many(1000) })).servers).toHaveLength(1000);
    onlyProblem(
      wave({ servers: many(1001) }),
      'servers: a wave holds at most 1000 servers; split it into several waves',
    );
  });

  describe('name', () => {
    it.each(['a', 'web-01.prod', 'DB_2', 'x'.repeat(63)])('accepts %s', (name) => {
      expect(ok(withServer({ name })).servers[0].name).toBe(name);
    });
    it.each(['-web', '.web', 'web 1', 'web/1', 'x'.repeat(64), ''])('refuses %j', (name) => {
      onlyProblem(withServer({ name }), /^servers\[0\]\.name: ".*" is not a server name/);
    });
    it('must be unique in the wave, ignoring case', () => {
      const twin = { ...windowsServer(), name: 'WEB-1' };
      onlyProblem(
        wave({ servers: [linuxServer(), twin] }),
        'servers[1].name: "WEB-1" is already used by servers[0]; names must be unique in the wave (case-insensitive)',
      );
    });
  });

  describe('os', () => {
    it('accepts linux and windows', () => {
      expect(ok(withServer({ os: 'windows', devices: ['C:'] })).servers[0].os).toBe('windows');
    });
    it.each(['Linux', 'macos', ''])('refuses %j', (os) => {
      onlyProblem(
        withServer({ os }),
        `servers[0].os: ${JSON.stringify(os)} is not an OS; use "linux" or "windows"`,
      );
    });
    it('is required', () => {
      onlyProblem(withServer({ os: undefined }), 'servers[0].os: is required ("linux" or "windows")');
    });
  });

  describe('source', () => {
    it('accepts an EC2 source with an 8- or 17-digit instance id', () => {
      expect(
        ok(withSource({ type: 'ec2', instanceId: 'i-0123abcd', region: 'ap-southeast-1' })).servers[0].source,
      ).toEqual({
        type: 'ec2',
        instanceId: 'i-0123abcd',
        region: 'ap-southeast-1',
      });
      ok(withSource({ type: 'ec2', instanceId: 'i-0123456789abcdef0', region: 'eu-west-1' }));
    });
    it.each([
      'i-12',
      'i-0123456789ABCDEF0',
      'i-0123456789abcdef',
      'mi-0123456789abcdef0',
      'i-0123abcd;reboot',
    ])('refuses instance id %j', (instanceId) => {
      onlyProblem(
        withSource({ type: 'ec2', instanceId, region: 'ap-southeast-1' }),
        `servers[0].source.instanceId: ${JSON.stringify(instanceId)} is not an EC2 instance id (i- followed by 8 or 17 hex digits)`,
      );
    });
    it('needs the EC2 source region', () => {
      onlyProblem(
        withSource({ type: 'ec2', instanceId: 'i-0123abcd' }),
        /^servers\[0\]\.source\.region: is required/,
      );
      onlyProblem(
        withSource({ type: 'ec2', instanceId: 'i-0123abcd', region: 'singapore' }),
        'servers[0].source.region: "singapore" is not an AWS region code (like eu-west-1)',
      );
    });
    it('accepts an on-prem source with and without hostname', () => {
      ok(withSource({ type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0' }));
      ok(withSource({ type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'db01' }));
    });
    it.each(['mi-0123', 'i-0123456789abcdef0', 'mi-0123456789ABCDEF0', 'mi-0123456789abcdef0 '])(
      'refuses managed instance id %j',
      (managedInstanceId) => {
        onlyProblem(
          withSource({ type: 'onprem', managedInstanceId }),
          `servers[0].source.managedInstanceId: ${JSON.stringify(managedInstanceId)} is not an SSM managed instance id (mi- followed by 17 hex digits)`,
        );
      },
    );
    it.each(['db01.corp.example.com', 'a-b.c', 'x'.repeat(63)])('accepts hostname %s', (hostname) => {
      ok(withSource({ type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname }));
    });
    it.each(['db_01.corp', '-db.corp', 'db..corp', 'db.corp.', 'x'.repeat(64), `${'a.'.repeat(127)}ab`])(
      'refuses hostname %j',
      (hostname) => {
        onlyProblem(
          withSource({ type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname }),
          /^servers\[0\]\.source\.hostname: ".* is not a fully qualified host name/,
        );
      },
    );
    it('refuses an unknown source type, a missing type and fields of the other type', () => {
      onlyProblem(
        withSource({ type: 'vmware', instanceId: 'i-0123abcd' }),
        'servers[0].source.type: type must be "ec2" or "onprem", got "vmware"',
      );
      onlyProblem(
        withSource({ instanceId: 'i-0123abcd' }),
        'servers[0].source.type: type must be "ec2" or "onprem", got nothing',
      );
      onlyProblem(
        withSource({ type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', instanceId: 'i-0123abcd' }),
        'servers[0].source.instanceId: unknown field; remove it or fix its spelling',
      );
    });
    it('refuses the same source twice in a wave', () => {
      const copy = { ...windowsServer(), source: linuxServer().source };
      onlyProblem(
        wave({ servers: [linuxServer(), copy] }),
        'servers[1].source.instanceId: "i-0123456789abcdef0" is already used by servers[0]; each source server appears once per wave',
      );
      const mi = { ...linuxServer(), name: 'other', source: windowsServer().source };
      onlyProblem(
        wave({ servers: [windowsServer(), mi] }),
        /^servers\[1\]\.source\.managedInstanceId: "mi-0123456789abcdef0" is already used by servers\[0\]/,
      );
    });
  });

  describe('devices', () => {
    it('accepts Linux device paths on Linux and drive letters on Windows', () => {
      expect(
        ok(withServer({ devices: ['/dev/sda', '/dev/nvme0n1', '/dev/mapper/vg0-root'] })).servers[0].devices,
      ).toHaveLength(3);
      expect(ok(withServer({ devices: ['C:', 'd:'] }, windowsServer())).servers[0].devices).toEqual([
        'C:',
        'd:',
      ]);
    });
    it('refuses drive letters on Linux and paths on Windows', () => {
      onlyProblem(
        withServer({ devices: ['C:'] }),
        'servers[0].devices[0]: "C:" is not a Linux device path (like "/dev/sda" or "/dev/nvme0n1")',
      );
      onlyProblem(
        withServer({ devices: ['/dev/sda'] }, windowsServer()),
        'servers[0].devices[0]: "/dev/sda" is not a Windows drive letter (like "C:")',
      );
    });
    it('refuses an empty list, duplicates, more than 64 and non-strings', () => {
      onlyProblem(
        withServer({ devices: [] }),
        'servers[0].devices: devices, when given, lists at least one device',
      );
      onlyProblem(
        withServer({ devices: ['/dev/sda', '/dev/sda'] }),
        'servers[0].devices[1]: "/dev/sda" is listed twice',
      );
      const many = Array.from({ length: 65 }, (_, i) => `/dev/xvd${i}`);
      onlyProblem(withServer({ devices: many }), 'servers[0].devices: at most 64 devices per server');
      onlyProblem(withServer({ devices: [7] }), 'servers[0].devices[0]: expected a string, got number 7');
      // one mistake, one line: a string is not also "more than 64 devices"
      onlyProblem(
        withServer({ devices: 'x'.repeat(70) }),
        /^servers\[0\]\.devices: expected an array, got string "x+"$/,
      );
    });
  });

  describe('tags', () => {
    it('accepts MGN-style tags, Unicode letters included', () => {
      const tags = {
        Owner: 'team-a@example.com',
        'cost centre': '12/34',
        'app:tier': 'web + api',
        Ünïcødé: 'välue',
        empty: '',
      };
      expect(ok(withServer({ tags })).servers[0].tags).toEqual(tags);
      ok(withServer({ tags: { ['k'.repeat(128)]: 'v'.repeat(256) } }));
    });
    it('refuses keys over 128, values over 256, and empty keys', () => {
      onlyProblem(
        withServer({ tags: { ['k'.repeat(129)]: 'v' } }),
        /^servers\[0\]\.tags\.k+: tag key "k+\.\.\. must be 1-128 letters/,
      );
      onlyProblem(
        withServer({ tags: { k: 'v'.repeat(257) } }),
        /^servers\[0\]\.tags\.k: tag value "v+\.\.\. must be at most 256/,
      );
      onlyProblem(withServer({ tags: { '': 'v' } }), /^servers\[0\]\.tags: tag key "" must be 1-128/);
    });
    it('refuses characters outside the MGN set, "=" in keys and the aws: prefix', () => {
      onlyProblem(
        withServer({ tags: { 'a#b': 'v' } }),
        /^servers\[0\]\.tags\.a#b: tag key "a#b" must be 1-128 letters, digits, spaces or _ \. : \/ \+ - @ \(no "="\)$/,
      );
      onlyProblem(withServer({ tags: { 'a=b': 'v' } }), /tag key "a=b" must be/);
      onlyProblem(withServer({ tags: { k: 'a,b' } }), /tag value "a,b" must be/);
      onlyProblem(
        withServer({ tags: { 'AWS:createdBy': 'me' } }),
        'servers[0].tags.AWS:createdBy: tag keys starting with "aws:" are reserved by AWS',
      );
      ok(withServer({ tags: { 'awsome:x': 'v' } }));
    });
    it('allows at most 50 tags and only string values', () => {
      const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
      ok(withServer({ tags: tags(50) }));
      onlyProblem(withServer({ tags: tags(51) }), 'servers[0].tags: at most 50 tags, got 51');
      onlyProblem(withServer({ tags: { k: 1 } }), 'servers[0].tags.k: expected a string, got number 1');
    });
  });

  describe('userProvidedId', () => {
    it.each(['CMDB-0042', 'a', 'app/db:01=x+y@z', 'u'.repeat(128)])('accepts %s', (userProvidedId) => {
      expect(ok(withServer({ userProvidedId })).servers[0].userProvidedId).toBe(userProvidedId);
    });
    it.each(['', 'has space', 'u'.repeat(129), 'a,b'])('refuses %j', (userProvidedId) => {
      onlyProblem(
        withServer({ userProvidedId }),
        /^servers\[0\]\.userProvidedId: ".* is not a user-provided id \(1-128 letters, digits, _ \. : \/ = \+ - @\)$/,
      );
    });
  });

  describe('checks', () => {
    it('accepts tcp, http and service checks at their bounds', () => {
      const checks = [
        { type: 'tcp', port: 1 },
        { type: 'tcp', port: 65535 },
        { type: 'http', url: 'http://localhost/health', expectStatus: 100 },
        { type: 'http', url: 'https://app.corp:8443/a/b?x=1%2F2', expectStatus: 599 },
        { type: 'service', name: 'nginx' },
        { type: 'service', name: 'getty@tty1.service' },
      ];
      expect(ok(withServer({ checks })).servers[0].checks).toEqual(checks);
    });
    it.each([
      [{ type: 'tcp', port: 0 }, 'servers[0].checks[0].port: port must be 1..65535'],
      [{ type: 'tcp', port: 65536 }, 'servers[0].checks[0].port: port must be 1..65535'],
      [{ type: 'tcp', port: 22.5 }, /^servers\[0\]\.checks\[0\]\.port: /],
      [{ type: 'tcp', port: '22' }, 'servers[0].checks[0].port: expected a number, got string "22"'],
      [
        { type: 'http', url: 'http://h/', expectStatus: 99 },
        'servers[0].checks[0].expectStatus: expectStatus must be 100..599',
      ],
      [
        { type: 'http', url: 'http://h/', expectStatus: 600 },
        'servers[0].checks[0].expectStatus: expectStatus must be 100..599',
      ],
      [
        { type: 'http', url: 'ftp://h/', expectStatus: 200 },
        /^servers\[0\]\.checks\[0\]\.url: "ftp:\/\/h\/" is not an http\(s\) URL/,
      ],
      [{ type: 'http', url: 'http://h/' }, /^servers\[0\]\.checks\[0\]\.expectStatus: is required/],
      [
        { type: 'service', name: 'my service' },
        /^servers\[0\]\.checks\[0\]\.name: "my service" is not a service name/,
      ],
      [{ type: 'ping' }, /^servers\[0\]\.checks\[0\]\.type: a check must be/],
      [
        { type: 'tcp', port: 22, timeout: 5 },
        'servers[0].checks[0].timeout: unknown field; remove it or fix its spelling',
      ],
    ])('refuses %j', (check, expected) => {
      onlyProblem(withServer({ checks: [check] }), expected);
    });
    it('allows at most 20 checks', () => {
      const checks = Array.from({ length: 21 }, (_, i) => ({ type: 'tcp', port: i + 1 }));
      ok(withServer({ checks: checks.slice(0, 20) }));
      onlyProblem(withServer({ checks }), 'servers[0].checks: at most 20 checks per server');
    });
  });

  it('refuses unknown server fields', () => {
    onlyProblem(
      withServer({ hostname: 'x' }),
      'servers[0].hostname: unknown field; remove it or fix its spelling',
    );
  });
});

describe('options', () => {
  it('fills every default when absent', () => {
    expect(ok(wave()).options).toEqual({
      approval: 'required',
      pollIntervalSeconds: 300,
      replicationTimeoutHours: 72,
      phases: { install: true, test: true, cutover: true, finalize: true, archive: true },
      quiesce: false,
      finalizeApproval: 'required',
      soakHours: 0,
    });
    expect(ok(withOptions({ phases: { archive: false } })).options.phases).toEqual({
      install: true,
      test: true,
      cutover: true,
      finalize: true,
      archive: false,
    });
  });
  it('accepts every option at its bounds', () => {
    const options = {
      approval: 'auto',
      pollIntervalSeconds: 30,
      replicationTimeoutHours: 720,
      credentials: 'installer-role',
      phases: { install: false, test: false, cutover: false, finalize: false, archive: false },
      quiesce: true,
      finalizeApproval: 'auto',
      soakHours: 0,
    };
    expect(ok(withOptions(options)).options).toEqual(options);
    expect(ok(withOptions({ soakHours: 720, finalizeApproval: 'required' })).options).toMatchObject({ soakHours: 720, finalizeApproval: 'required' });
    expect(ok(withOptions({ soakHours: 1.5 })).options.soakHours).toBe(1.5);
    expect(
      ok(withOptions({ pollIntervalSeconds: 3600, replicationTimeoutHours: 1 })).options.pollIntervalSeconds,
    ).toBe(3600);
    expect(ok(withOptions({ replicationTimeoutHours: 1.5 })).options.replicationTimeoutHours).toBe(1.5);
  });
  it.each([
    [{ approval: 'maybe' }, 'options.approval: "maybe" is not allowed; use "required" or "auto"'],
    [{ quiesce: 'yes' }, 'options.quiesce: expected a boolean, got string "yes"'],
    [{ pollIntervalSeconds: 29 }, 'options.pollIntervalSeconds: pollIntervalSeconds must be 30..3600'],
    [{ pollIntervalSeconds: 3601 }, 'options.pollIntervalSeconds: pollIntervalSeconds must be 30..3600'],
    [{ pollIntervalSeconds: '60' }, 'options.pollIntervalSeconds: expected a number, got string "60"'],
    [
      { replicationTimeoutHours: 0.5 },
      'options.replicationTimeoutHours: replicationTimeoutHours must be 1..720',
    ],
    [
      { replicationTimeoutHours: 721 },
      'options.replicationTimeoutHours: replicationTimeoutHours must be 1..720',
    ],
    [
      { credentials: 'access-keys' },
      'options.credentials: "access-keys" is not allowed; use "instance-profile" or "installer-role"',
    ],
    [{ phases: { test: 'yes' } }, 'options.phases.test: expected a boolean, got string "yes"'],
    [{ aproval: 'auto' }, 'options.aproval: unknown field; remove it or fix its spelling'],
    [{ finalizeApproval: 'later' }, 'options.finalizeApproval: "later" is not allowed; use "required" or "auto"'],
    [{ soakHours: -1 }, 'options.soakHours: soakHours must be 0..720'],
    [{ soakHours: 721 }, 'options.soakHours: soakHours must be 0..720'],
    [
      { soakHours: 24, phases: { finalize: false, archive: false } },
      'options.soakHours: the soak waits before finalizing, and phases.finalize is false; set soakHours to 0 or phases.finalize to true',
    ],
    [{ phases: { rollback: true } }, 'options.phases.rollback: unknown field; remove it or fix its spelling'],
  ])('refuses %j', (options, expected) => {
    onlyProblem(withOptions(options), expected);
  });
  it('credentials left out: installer-role for on-premises sources, the instance profile for EC2 sources', () => {
    const m = ok(wave());
    expect(m.options.credentials).toBeUndefined();
    expect(m.servers.map((s) => [s.source.type, credentialsModeOf(m.options, s)])).toEqual([
      ['ec2', 'instance-profile'],
      ['onprem', 'installer-role'],
    ]);
    const all = ok(withOptions({ credentials: 'installer-role' }));
    expect(all.servers.map((s) => credentialsModeOf(all.options, s))).toEqual(['installer-role', 'installer-role']);
  });
  it('refuses "instance-profile" for a wave with on-premises sources, naming them and the fix', () => {
    onlyProblem(
      withOptions({ credentials: 'instance-profile' }),
      'options.credentials: "instance-profile" cannot install on-premises sources (servers[1]); use "installer-role" or leave it out',
    );
    const many = wave({ options: { credentials: 'instance-profile' }, servers: [linuxServer(), ...Array.from({ length: 7 }, (_, i) => ({ ...otherServer(), name: `db-${i}`, source: { type: 'onprem', managedInstanceId: `mi-0000000000000000${i}` } }))] });
    onlyProblem(
      many,
      'options.credentials: "instance-profile" cannot install on-premises sources (servers[1], servers[2], servers[3], servers[4], servers[5], … 7 in all); use "installer-role" or leave it out',
    );
    // EC2 sources only: the instance profile is fine
    ok(wave({ options: { credentials: 'instance-profile' }, servers: [linuxServer()] }));
  });
  it('checks phase dependencies: finalize needs cutover, archive needs finalize', () => {
    onlyProblem(
      withOptions({ phases: { cutover: false } }),
      'options.phases.finalize: finalize needs cutover; set phases.cutover to true or phases.finalize to false',
    );
    onlyProblem(
      withOptions({ phases: { finalize: false } }),
      'options.phases.archive: archive needs finalize; set phases.finalize to true or phases.archive to false',
    );
    ok(withOptions({ phases: { cutover: false, finalize: false, archive: false } }));
    ok(withOptions({ phases: { install: false, test: false } }));
  });
});

describe('unknown keys and wrong types at every level', () => {
  it.each([
    [wave({ colour: 'blue' }), 'colour: unknown field; remove it or fix its spelling'],
    [
      wave({ endpoints: { mgn: MGN, s3: S3, extra: 1 } }),
      'endpoints.extra: unknown field; remove it or fix its spelling',
    ],
    [withServer({ Name: 'x' }), 'servers[0].Name: unknown field; remove it or fix its spelling'],
    [
      withSource({ type: 'ec2', instanceId: 'i-0123abcd', region: 'ap-southeast-1', az: 'a' }),
      'servers[0].source.az: unknown field; remove it or fix its spelling',
    ],
    [
      withSource({ type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', ip: '10.0.0.1' }),
      'servers[0].source.ip: unknown field; remove it or fix its spelling',
    ],
    [
      withServer({ checks: [{ type: 'service', name: 'sshd', user: 'root' }] }),
      'servers[0].checks[0].user: unknown field; remove it or fix its spelling',
    ],
    [withOptions({ dryRun: true }), 'options.dryRun: unknown field; remove it or fix its spelling'],
    [
      withOptions({ phases: { Install: true } }),
      'options.phases.Install: unknown field; remove it or fix its spelling',
    ],
  ])('%#: %s', (input, expected) => {
    onlyProblem(input, expected);
  });
  it('explains what is expected when the document or a section has the wrong type', () => {
    expect(problems([])).toEqual(['(root): expected an object, got an array']);
    onlyProblem(wave({ servers: {} }), 'servers: expected an array, got an object');
    onlyProblem(wave({ servers: ['web-1'] }), 'servers[0]: expected an object, got string "web-1"');
    onlyProblem(wave({ options: null }), 'options: expected an object, got null');
  });
});

describe('injection attempts in every string that can reach a command', () => {
  const attempts = [
    'x; reboot',
    'x$(reboot)',
    'x`reboot`',
    'x && reboot',
    'x | sh',
    "x' ; reboot '",
    'x" ; reboot "',
    'x\nreboot',
    'x\r\nreboot',
    '$env:AWS_SECRET_ACCESS_KEY',
    '%COMSPEC%',
    'x > /etc/passwd',
    'x & calc',
    '${IFS}reboot',
    'x\u2019; reboot',
    'x\u2013Command reboot',
  ];
  const fields: Array<[string, (v: string) => Json]> = [
    ['waveId', (v) => wave({ waveId: v })],
    ['targetRegion', (v) => wave({ targetRegion: v })],
    ['endpoints.mgn', (v) => wave({ endpoints: { mgn: `${MGN}${v}`, s3: S3 } })],
    ['endpoints.s3', (v) => wave({ endpoints: { mgn: MGN, s3: `${v}${S3}` } })],
    ['servers[0].name', (v) => withServer({ name: `web${v}` })],
    [
      'servers[0].source.instanceId',
      (v) => withSource({ type: 'ec2', instanceId: `i-0123abcd${v}`, region: 'ap-southeast-1' }),
    ],
    [
      'servers[0].source.region',
      (v) => withSource({ type: 'ec2', instanceId: 'i-0123abcd', region: `ap-southeast-1${v}` }),
    ],
    [
      'servers[0].source.managedInstanceId',
      (v) => withSource({ type: 'onprem', managedInstanceId: `mi-0123456789abcdef0${v}` }),
    ],
    [
      'servers[0].source.hostname',
      (v) => withSource({ type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: `db${v}` }),
    ],
    ['servers[0].devices[0]', (v) => withServer({ devices: [`/dev/sda${v}`] })],
    ['servers[0].devices[0]', (v) => withServer({ devices: [`C:${v}`] }, windowsServer())],
    ['servers[0].tags', (v) => withServer({ tags: { [`k${v}`]: 'v' } })],
    ['servers[0].tags.k', (v) => withServer({ tags: { k: `v${v}` } })],
    ['servers[0].userProvidedId', (v) => withServer({ userProvidedId: `id${v}` })],
    [
      'servers[0].checks[0].url',
      (v) => withServer({ checks: [{ type: 'http', url: `http://h/${v}`, expectStatus: 200 }] }),
    ],
    ['servers[0].checks[0].name', (v) => withServer({ checks: [{ type: 'service', name: `sshd${v}` }] })],
  ];
  it.each(fields.flatMap(([field, build]) => attempts.map((a) => [field, a, build] as const)))(
    '%s refuses %j',
    (field, attempt, build) => {
      const found = problems(build(attempt));
      expect(found).toHaveLength(1);
      expect(found[0].startsWith(`${field}`)).toBe(true);
    },
  );
});

describe('reporting', () => {
  it('gives exactly one line per mistake: five mistakes, five lines', () => {
    const bad = wave({
      waveId: 'wave 1',
      endpoints: { mgn: MGN, s3: S3.replace('ap-south-1', 'eu-west-1') },
      servers: [
        { ...linuxServer(), devices: ['C:'] },
        { ...windowsServer(), name: 'web-1', tags: { 'aws:x': 'y' } },
      ],
    });
    const lines = problems(bad);
    expect(lines).toEqual(
      expect.arrayContaining([
        'waveId: "wave 1" is not a wave id (letter or digit, then up to 62 letters, digits, _ -)',
        'endpoints.s3: endpoint is in eu-west-1 but targetRegion is ap-south-1; use the s3 endpoint of the target region',
        'servers[0].devices[0]: "C:" is not a Linux device path (like "/dev/sda" or "/dev/nvme0n1")',
        'servers[1].name: "web-1" is already used by servers[0]; names must be unique in the wave (case-insensitive)',
        'servers[1].tags.aws:x: tag keys starting with "aws:" are reserved by AWS',
      ]),
    );
    expect(lines).toHaveLength(5);
  });
  it('parseManifest throws InvalidInputError carrying the same lines', () => {
    const bad = wave({ waveId: '', targetRegion: 'nowhere' });
    expect(() => parseManifest(bad)).toThrow(InvalidInputError);
    try {
      parseManifest(bad);
    } catch (e) {
      expect((e as InvalidInputError).problems).toEqual(problems(bad));
      expect((e as InvalidInputError).message).toMatch(/^wave manifest is invalid \(2 problems\):/);
    }
  });
  it('each problem carries its path for callers that map it back (the CSV reader)', () => {
    const found = findManifestProblems(
      withSource({ type: 'ec2', instanceId: 'i-1', region: 'ap-southeast-1' }),
    );
    expect(found).toEqual([
      {
        path: ['servers', 0, 'source', 'instanceId'],
        line: expect.stringMatching(/^servers\[0\]\.source\.instanceId: "i-1"/),
      },
    ]);
  });
});

describe('launch', () => {
  const SUBNET = 'subnet-0123456789abcdef0';
  const SG = 'sg-0123456789abcdef0';
  const SG2 = 'sg-0fedcba9876543210';
  /** the wave with wave-level launch defaults and servers[0].launch (undefined leaves one out) */
  const withLaunch = (
    waveLaunch: Json | undefined,
    serverLaunch?: Json,
    others: Json[] = [otherServer()],
  ): Json =>
    wave({
      ...(waveLaunch ? { launch: waveLaunch } : {}),
      servers: [{ ...linuxServer(), ...(serverLaunch ? { launch: serverLaunch } : {}) }, ...others],
    });
  const serverLaunch = (patch: Json) => withLaunch(undefined, patch);
  const ip = (address: string, patch: Json = {}) => ({ cutover: { privateIpAddress: address }, ...patch });

  it('accepts every field at wave and server level and keeps them as written', () => {
    const defaults = {
      test: { subnetId: SUBNET, securityGroupIds: [SG] },
      cutover: { subnetId: 'subnet-0123abcd', securityGroupIds: [SG, SG2] },
      rightSizing: 'in-aws',
      instanceProfile: 'MigratedInstanceProfile',
      bootMode: 'use-source',
      byol: true,
      copyPrivateIp: false,
      tags: { Project: 'lift' },
    };
    const own = {
      cutover: { privateIpAddress: '10.20.3.14' },
      instanceType: 'm6i.large',
      rightSizing: 'none',
      bootMode: 'uefi',
      byol: false,
      tags: { Tier: 'web' },
    };
    // the wave's "in-aws" reaches only EC2 sources here (servers[1] is another EC2 instance)
    const ec2Other = { ...otherServer(), source: { type: 'ec2', instanceId: 'i-0fedcba9876543210', region: 'ap-southeast-1' } };
    const m = ok(withLaunch(defaults, own, [ec2Other]));
    expect(m.launch).toEqual(defaults);
    expect(m.servers[0].launch).toEqual(own);
    expect(m.servers[1].launch).toBeUndefined();
  });

  describe('field by field', () => {
    it.each([
      [{ test: { subnetId: 'subnet-0123abcd' } }],
      [
        {
          cutover: {
            subnetId: SUBNET,
            securityGroupIds: [SG, SG2, 'sg-0123abcd', 'sg-1123abcd', 'sg-2123abcd'],
          },
        },
      ],
      [{ instanceType: 'u-6tb1.metal' }],
      [{ instanceType: 'c7gn.16xlarge' }],
      [{ instanceProfile: 'a+b=c,d.e@f_g-h' }],
      [{ rightSizing: 'basic' }],
      [{ bootMode: 'legacy-bios' }],
      [{ copyPrivateIp: true }],
      [{ cutover: { privateIpAddress: '0.0.0.0' } }],
      [{ cutover: { privateIpAddress: '255.255.255.254' } }],
    ])('accepts %j', (launch) => {
      expect(ok(serverLaunch(launch)).servers[0].launch).toEqual(launch);
    });
    it.each([
      [
        { test: { subnetId: 'subnet-12' } },
        'servers[0].launch.test.subnetId: "subnet-12" is not a subnet id (subnet- followed by 8 or 17 hex digits)',
      ],
      [
        { cutover: { subnetId: 'sn-0123abcd' } },
        'servers[0].launch.cutover.subnetId: "sn-0123abcd" is not a subnet id (subnet- followed by 8 or 17 hex digits)',
      ],
      [
        { test: { securityGroupIds: [] } },
        'servers[0].launch.test.securityGroupIds: securityGroupIds, when given, lists 1 to 5 security groups',
      ],
      [
        { test: { securityGroupIds: [SG, SG2, 'sg-0123abcd', 'sg-1123abcd', 'sg-2123abcd', 'sg-3123abcd'] } },
        'servers[0].launch.test.securityGroupIds: at most 5 security groups per network interface',
      ],
      [
        { cutover: { securityGroupIds: ['default'] } },
        'servers[0].launch.cutover.securityGroupIds[0]: "default" is not a security group id (sg- followed by 8 or 17 hex digits)',
      ],
      [
        { cutover: { securityGroupIds: SG } },
        `servers[0].launch.cutover.securityGroupIds: expected an array, got string "${SG}"`,
      ],
      [
        { cutover: { privateIpAddress: '10.0.0.256' } },
        'servers[0].launch.cutover.privateIpAddress: "10.0.0.256" is not an IPv4 address (like 10.20.3.14)',
      ],
      [
        { cutover: { privateIpAddress: '10.0.0.07' } },
        'servers[0].launch.cutover.privateIpAddress: "10.0.0.07" is not an IPv4 address (like 10.20.3.14)',
      ],
      [
        { cutover: { privateIpAddress: '10.0.0.0/24' } },
        'servers[0].launch.cutover.privateIpAddress: "10.0.0.0/24" is not an IPv4 address (like 10.20.3.14)',
      ],
      [
        { instanceType: 'large' },
        'servers[0].launch.instanceType: "large" is not an EC2 instance type (like m6i.large)',
      ],
      [
        { instanceType: 'M6i.large' },
        'servers[0].launch.instanceType: "M6i.large" is not an EC2 instance type (like m6i.large)',
      ],
      [
        { rightSizing: 'NONE' },
        'servers[0].launch.rightSizing: "NONE" is not allowed; use "none", "basic" or "in-aws"',
      ],
      [
        { bootMode: 'bios' },
        'servers[0].launch.bootMode: "bios" is not allowed; use "legacy-bios", "uefi" or "use-source"',
      ],
      [
        { instanceProfile: 'my profile' },
        'servers[0].launch.instanceProfile: "my profile" is not an IAM instance profile name (1-128 letters, digits, + = , . @ _ -)',
      ],
      [
        { instanceProfile: 'p'.repeat(129) },
        /^servers\[0\]\.launch\.instanceProfile: "p+\.\.\. is not an IAM instance profile name/,
      ],
      [{ byol: 'true' }, 'servers[0].launch.byol: expected a boolean, got string "true"'],
      [{ copyPrivateIp: 1 }, 'servers[0].launch.copyPrivateIp: expected a boolean, got number 1'],
      [
        { tags: { 'aws:migrated': 'yes' } },
        'servers[0].launch.tags.aws:migrated: tag keys starting with "aws:" are reserved by AWS',
      ],
      [{ tags: { k: 'a;b' } }, /^servers\[0\]\.launch\.tags\.k: tag value "a;b" must be at most 256/],
      [{ subnetId: SUBNET }, 'servers[0].launch.subnetId: unknown field; remove it or fix its spelling'],
      // a test instance takes its address from its subnet; copyPrivateIp is a launch-level field
      [
        { test: { privateIpAddress: '10.0.0.5' } },
        'servers[0].launch.test.privateIpAddress: unknown field; remove it or fix its spelling',
      ],
      [
        { cutover: { copyPrivateIp: true } },
        'servers[0].launch.cutover.copyPrivateIp: unknown field; remove it or fix its spelling',
      ],
      [
        { test: { copyPrivateIp: true } },
        'servers[0].launch.test.copyPrivateIp: unknown field; remove it or fix its spelling',
      ],
    ])('refuses %j', (launch, expected) => {
      onlyProblem(serverLaunch(launch), expected);
    });
    it('holds the wave-level launch to the same field rules', () => {
      onlyProblem(
        withLaunch({ test: { subnetId: 'subnet-12' } }),
        /^launch\.test\.subnetId: "subnet-12" is not a subnet id/,
      );
      onlyProblem(withLaunch({ tags: { 'a=b': 'v' } }), /^launch\.tags\.a=b: tag key "a=b" must be/);
      onlyProblem(
        withLaunch({ colour: 'blue' }),
        'launch.colour: unknown field; remove it or fix its spelling',
      );
    });
  });

  describe('rightSizing "in-aws": the type of the source\'s own EC2 instance', () => {
    const onprem = (launch?: Json): Json => ({ ...otherServer(), ...(launch ? { launch } : {}) });
    const IN_AWS_ONPREM = (i: number) =>
      `servers[${i}].launch.rightSizing: "in-aws" takes the instance type of a source running in EC2; servers[${i}] is on-premises: use "basic" or "none" with instanceType`;

    it('accepts it for an EC2 source; refuses it for an on-premises source, naming the field and the fix', () => {
      ok(withLaunch(undefined, { rightSizing: 'in-aws' }, []));
      onlyProblem(wave({ servers: [linuxServer(), onprem({ rightSizing: 'in-aws' })] }), IN_AWS_ONPREM(1));
    });

    it('a wave-level "in-aws" is refused only for the on-premises servers it reaches, each named', () => {
      ok(withLaunch({ rightSizing: 'in-aws' }, undefined, []));
      expect(problems(wave({ launch: { rightSizing: 'in-aws' }, servers: [onprem(), linuxServer(), { ...onprem(), name: 'db-2', source: { type: 'onprem', managedInstanceId: 'mi-88888888888888888' } }] }))).toEqual([
        IN_AWS_ONPREM(0),
        IN_AWS_ONPREM(2),
      ]);
      // an on-premises server that overrides it, with its own right-sizing or instance type, is fine
      ok(wave({ launch: { rightSizing: 'in-aws' }, servers: [linuxServer(), onprem({ rightSizing: 'basic' })] }));
      ok(wave({ launch: { rightSizing: 'in-aws' }, servers: [linuxServer(), onprem({ instanceType: 'm6i.large', rightSizing: 'none' })] }));
    });
  });

  describe('instanceType and rightSizing, judged once merged', () => {
    it('accepts an instance type alone or with right-sizing "none", and right-sizing alone', () => {
      ok(serverLaunch({ instanceType: 'm6i.large' }));
      ok(serverLaunch({ instanceType: 'm6i.large', rightSizing: 'none' }));
      ok(withLaunch({ instanceType: 'm6i.large', rightSizing: 'none' }));
      ok(withLaunch({ rightSizing: 'in-aws' }, { rightSizing: 'basic' }, []));
      // the server overrides the wave's right-sizing so that its own instance type holds
      ok(withLaunch({ rightSizing: 'basic' }, { instanceType: 'r6i.2xlarge', rightSizing: 'none' }));
      // saying "none" under the wave's instance type only repeats what the type implies
      ok(withLaunch({ instanceType: 'm6i.large' }, { rightSizing: 'none' }));
    });
    it('refuses both on one server, naming its rightSizing', () => {
      onlyProblem(
        serverLaunch({ instanceType: 'm6i.large', rightSizing: 'basic' }),
        'servers[0].launch.rightSizing: "basic" contradicts servers[0].launch.instanceType "m6i.large" (a fixed instance type means right-sizing "none"); set rightSizing to "none" or remove it, or remove instanceType',
      );
    });
    it('refuses both in the wave defaults once, not again for every server that inherits them', () => {
      onlyProblem(
        withLaunch({ instanceType: 'm6i.large', rightSizing: 'in-aws' }),
        'launch.rightSizing: "in-aws" contradicts launch.instanceType "m6i.large" (a fixed instance type means right-sizing "none"); set rightSizing to "none" or remove one of the two',
      );
    });
    it("names the server's rightSizing when the instance type comes from the wave", () => {
      onlyProblem(
        withLaunch({ instanceType: 'm6i.large' }, { rightSizing: 'basic' }),
        'servers[0].launch.rightSizing: "basic" contradicts the wave\'s launch.instanceType "m6i.large" (a fixed instance type means right-sizing "none"); set rightSizing to "none" or remove it',
      );
    });
    it("names the server's instanceType when the right-sizing comes from the wave", () => {
      onlyProblem(
        withLaunch({ rightSizing: 'basic' }, { instanceType: 'c6i.xlarge' }),
        'servers[0].launch.instanceType: "c6i.xlarge" contradicts the wave\'s launch.rightSizing "basic" (a fixed instance type means right-sizing "none"); also set servers[0].launch.rightSizing to "none", or remove instanceType',
      );
    });
    it('offers only the fixes that work when the wave is contradictory too', () => {
      const lines = problems(
        withLaunch({ instanceType: 'm6i.large', rightSizing: 'basic' }, { rightSizing: 'in-aws' }),
      );
      expect(lines).toEqual([
        expect.stringMatching(/^launch\.rightSizing: "basic" contradicts launch\.instanceType/),
        'servers[0].launch.rightSizing: "in-aws" contradicts the wave\'s launch.instanceType "m6i.large" (a fixed instance type means right-sizing "none"); set rightSizing to "none"',
      ]);
    });
  });

  describe('cutover private IP', () => {
    it('is per server: refused in the wave defaults, with the fix', () => {
      ok(serverLaunch(ip('10.20.3.14')));
      onlyProblem(
        withLaunch(ip('10.20.3.14')),
        'launch.cutover.privateIpAddress: a private IP belongs to one server; set it per server in servers[].launch.cutover.privateIpAddress, not in the wave-level launch defaults',
      );
    });
    it("is one server's only: a second server with the same address is refused", () => {
      const second = { ...otherServer(), launch: ip('10.20.3.14') };
      const third = { ...windowsServer(), launch: ip('10.20.3.15') };
      ok(withLaunch(undefined, ip('10.20.3.14'), [third]));
      onlyProblem(
        withLaunch(undefined, ip('10.20.3.14'), [third, second]),
        'servers[2].launch.cutover.privateIpAddress: "10.20.3.14" is already the cutover IP of servers[0]; each cutover instance needs its own address',
      );
    });
    it("merges with the wave's cutover subnet and groups", () => {
      const m = ok(withLaunch({ cutover: { subnetId: SUBNET, securityGroupIds: [SG] } }, ip('10.20.3.14')));
      expect(m.servers[0].launch).toEqual(ip('10.20.3.14'));
    });
  });

  describe("copyPrivateIp (the cutover instance takes its source's IP)", () => {
    it('is fine alone, at either level, and beside an address when switched off', () => {
      ok(withLaunch({ copyPrivateIp: true }));
      ok(serverLaunch({ copyPrivateIp: true }));
      ok(serverLaunch(ip('10.20.3.14', { copyPrivateIp: false })));
      // the server switches the wave's default off to use its own address
      ok(withLaunch({ copyPrivateIp: true }, ip('10.20.3.14', { copyPrivateIp: false })));
    });
    it('is refused beside privateIpAddress on the same server, naming copyPrivateIp', () => {
      onlyProblem(
        serverLaunch(ip('10.20.3.14', { copyPrivateIp: true })),
        "servers[0].launch.copyPrivateIp: copyPrivateIp gives the cutover instance its source's private IP, but servers[0].launch.cutover.privateIpAddress names another; keep one of the two",
      );
    });
    it('leaves a malformed address to its own problem', () => {
      onlyProblem(
        withLaunch({ copyPrivateIp: true }, ip('10.20.3.300')),
        'servers[0].launch.cutover.privateIpAddress: "10.20.3.300" is not an IPv4 address (like 10.20.3.14)',
      );
    });
    it("is refused from the wave's defaults under a server's address, naming the server's address and the override", () => {
      onlyProblem(
        withLaunch({ copyPrivateIp: true }, ip('10.20.3.14')),
        "servers[0].launch.cutover.privateIpAddress: the wave's launch.copyPrivateIp is true (the cutover instance takes its source's private IP); set servers[0].launch.copyPrivateIp to false to use this address, or remove it",
      );
    });
  });

  describe('tags and security groups', () => {
    it('refuses a security group listed twice in one network interface', () => {
      ok(serverLaunch({ test: { securityGroupIds: [SG] }, cutover: { securityGroupIds: [SG] } }));
      onlyProblem(
        serverLaunch({ cutover: { securityGroupIds: [SG, SG2, SG] } }),
        `servers[0].launch.cutover.securityGroupIds[2]: "${SG}" is listed twice`,
      );
      onlyProblem(
        withLaunch({ test: { securityGroupIds: [SG2, SG2] } }),
        `launch.test.securityGroupIds[1]: "${SG2}" is listed twice`,
      );
    });
    it('merges launch tags key by key, and refuses more than 50 once merged', () => {
      const tags = (from: number, n: number) =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${from + i}`, 'v']));
      ok(withLaunch({ tags: tags(0, 30) }, { tags: tags(20, 30) })); // k0..k49: 50 tags
      onlyProblem(
        withLaunch({ tags: tags(0, 30) }, { tags: tags(25, 30) }), // k0..k54
        "servers[0].launch.tags: with the wave's launch.tags the launched instances would carry 55 tags; at most 50 (EC2's limit per resource)",
      );
    });
  });

  it('reports every launch mistake with every other one, in one pass', () => {
    const bad = wave({
      waveId: 'wave 1',
      launch: {
        instanceType: 'm6i.large',
        rightSizing: 'basic',
        cutover: { privateIpAddress: '10.0.0.9' },
        copyPrivateIp: true,
      },
      servers: [
        { ...linuxServer(), launch: ip('10.0.0.5', { rightSizing: 'none', test: { subnetId: 'subnet-x' } }) },
        { ...windowsServer(), launch: ip('10.0.0.5', { copyPrivateIp: false, rightSizing: 'none' }) },
      ],
    });
    expect(problems(bad)).toEqual([
      'waveId: "wave 1" is not a wave id (letter or digit, then up to 62 letters, digits, _ -)',
      'servers[0].launch.test.subnetId: "subnet-x" is not a subnet id (subnet- followed by 8 or 17 hex digits)',
      expect.stringMatching(/^launch\.cutover\.privateIpAddress: a private IP belongs to one server/),
      expect.stringMatching(/^launch\.rightSizing: "basic" contradicts launch\.instanceType "m6i\.large"/),
      expect.stringMatching(
        /^servers\[0\]\.launch\.cutover\.privateIpAddress: the wave's launch\.copyPrivateIp is true/,
      ),
      expect.stringMatching(
        /^servers\[1\]\.launch\.cutover\.privateIpAddress: "10\.0\.0\.5" is already the cutover IP of servers\[0\]/,
      ),
    ]);
  });
});

describe('mergeLaunch', () => {
  it("gives each server the wave's defaults overridden field by field, test, cutover and tags key by key", () => {
    const defaults = {
      test: { subnetId: 'subnet-0123abcd', securityGroupIds: ['sg-0123abcd'] },
      cutover: { subnetId: 'subnet-1123abcd', securityGroupIds: ['sg-1123abcd'] },
      rightSizing: 'basic' as const,
      instanceProfile: 'Wave',
      tags: { Project: 'lift', Tier: 'any' },
    };
    expect(
      mergeLaunch(defaults, {
        cutover: { privateIpAddress: '10.0.0.5', securityGroupIds: ['sg-2123abcd'] },
        instanceType: 'm6i.large',
        rightSizing: 'none',
        tags: { Tier: 'web' },
      }),
    ).toEqual({
      test: { subnetId: 'subnet-0123abcd', securityGroupIds: ['sg-0123abcd'] },
      cutover: {
        subnetId: 'subnet-1123abcd',
        securityGroupIds: ['sg-2123abcd'],
        privateIpAddress: '10.0.0.5',
      },
      rightSizing: 'none',
      instanceType: 'm6i.large',
      instanceProfile: 'Wave',
      tags: { Project: 'lift', Tier: 'web' },
    });
    expect(mergeLaunch(defaults, undefined)).toEqual(defaults);
    expect(mergeLaunch(undefined, { byol: true })).toEqual({ byol: true });
    expect(mergeLaunch(undefined, undefined)).toEqual({});
  });
  it('leaves its inputs untouched', () => {
    const defaults = { tags: { a: '1' }, test: { subnetId: 'subnet-0123abcd' } };
    mergeLaunch(defaults, { tags: { b: '2' }, test: { securityGroupIds: ['sg-0123abcd'] } });
    expect(defaults).toEqual({ tags: { a: '1' }, test: { subnetId: 'subnet-0123abcd' } });
  });
});

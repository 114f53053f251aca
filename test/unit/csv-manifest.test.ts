import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultWaveFile,
  findWaveFile,
  findWaveFileProblems,
  parseCsv,
  parseCsvManifest,
  readCsvManifest,
} from '../../functions/lib/csv-manifest';
import { parseManifest } from '../../functions/lib/manifest';
import { InvalidInputError } from '../../functions/lib/validation';

const MGN = 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com';
const S3 = 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.ap-south-1.vpce.amazonaws.com';
const waveFile = { waveId: 'w1', targetRegion: 'ap-south-1', endpoints: { mgn: MGN, s3: S3 } };
const HEADER =
  'name,os,sourceType,instanceId,sourceRegion,managedInstanceId,hostname,devices,tags,userProvidedId,checks';
const ROW_EC2 = 'web-1,linux,ec2,i-0123456789abcdef0,ap-southeast-1,,,,,,';
const ROW_MI =
  'db-1,windows,onprem,,,mi-0123456789abcdef0,db-1.corp.example.com,C:;D:,Owner=dba;Tier=db,CMDB-7,tcp:1433;service:MSSQLSERVER';

const read = (csvText: string, wave: unknown = waveFile, overrides = {}) =>
  readCsvManifest({ csvText, wave, overrides });

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF, a BOM and blank lines', () => {
    const text = '\ufeffa,b,c\r\n"x, y","say ""hi""","two\r\nlines"\r\n\r\nlast,,\n';
    const { records, problems } = parseCsv(text);
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { row: 1, fields: ['a', 'b', 'c'] },
      { row: 2, fields: ['x, y', 'say "hi"', 'two\r\nlines'] },
      { row: 3, fields: [''] },
      { row: 4, fields: ['last', '', ''] },
    ]);
  });
  it('reads a last line without a line break and an empty quoted field', () => {
    expect(parseCsv('a,""').records).toEqual([{ row: 1, fields: ['a', ''] }]);
  });
  it('reports an unclosed quote and text after a closing quote', () => {
    expect(parseCsv('a,"b\nc').problems).toEqual(['(row 1): a quoted field is never closed']);
    expect(parseCsv('"a"b,c').problems).toEqual([
      '(row 1): text after a closing quote; a quote inside a quoted field is written ""',
    ]);
  });
});

describe('readCsvManifest', () => {
  it('turns rows into servers: sources, devices, tags and checks', () => {
    const { manifest, problems } = read(`${HEADER}\n${ROW_EC2}\n${ROW_MI}\n`);
    expect(problems).toEqual([]);
    expect(manifest!.servers).toEqual([
      {
        name: 'web-1',
        os: 'linux',
        source: { type: 'ec2', instanceId: 'i-0123456789abcdef0', region: 'ap-southeast-1' },
      },
      {
        name: 'db-1',
        os: 'windows',
        source: {
          type: 'onprem',
          managedInstanceId: 'mi-0123456789abcdef0',
          hostname: 'db-1.corp.example.com',
        },
        devices: ['C:', 'D:'],
        tags: { Owner: 'dba', Tier: 'db' },
        userProvidedId: 'CMDB-7',
        checks: [
          { type: 'tcp', port: 1433 },
          { type: 'service', name: 'MSSQLSERVER' },
        ],
      },
    ]);
    expect(manifest!.waveId).toBe('w1');
  });

  it('reads http checks whose URL has "=" in its query, and columns in any order or subset', () => {
    const csv =
      'checks,os,name,sourceType,managedInstanceId\n"http:http://h:8080/x?a=1=204",linux,n1,onprem,mi-0123456789abcdef0\n';
    const { manifest, problems } = read(csv);
    expect(problems).toEqual([]);
    expect(manifest!.servers[0].checks).toEqual([
      { type: 'http', url: 'http://h:8080/x?a=1', expectStatus: 204 },
    ]);
  });

  it('names the CSV row and column with the manifest path', () => {
    const csv = `${HEADER}\n${ROW_EC2}\n\n${ROW_MI}\nweb-3,linux,ec2,i-12,ap-southeast-1,,,,,,\n`;
    const { manifest, problems } = read(csv);
    expect(manifest).toBeUndefined();
    expect(problems).toEqual([
      'servers[2].source.instanceId (row 5, column instanceId): "i-12" is not an EC2 instance id (i- followed by 8 or 17 hex digits)',
    ]);
  });

  it('maps every column back in problems', () => {
    const csv = [
      HEADER,
      'bad name,macos,ec2,i-0123abcd,nowhere,,,C:,aws:x=1,bad id,tcp:99999',
      'ok-2,linux,onprem,i-0123abcd,,mi-0123456789abcdef0,-host,,,,service:a b',
      'ok-3,linux,cloud,,,,,,,,',
    ].join('\n');
    const { problems } = read(csv);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^servers\[0\]\.name \(row 2, column name\): "bad name" is not a server name/),
        expect.stringMatching(/^servers\[0\]\.os \(row 2, column os\): "macos" is not an OS/),
        expect.stringMatching(/^servers\[0\]\.source\.region \(row 2, column sourceRegion\): "nowhere"/),
        expect.stringMatching(
          /^servers\[0\]\.tags\.aws:x \(row 2, column tags\): tag keys starting with "aws:"/,
        ),
        expect.stringMatching(/^servers\[0\]\.userProvidedId \(row 2, column userProvidedId\): "bad id"/),
        'servers[0].checks[0].port (row 2, column checks): port must be 1..65535',
        'servers[1].source.instanceId (row 3, column instanceId): unknown field; remove it or fix its spelling',
        expect.stringMatching(/^servers\[1\]\.source\.hostname \(row 3, column hostname\): "-host"/),
        expect.stringMatching(
          /^servers\[1\]\.checks\[0\]\.name \(row 3, column checks\): "a b" is not a service name/,
        ),
        'servers[2].source.type (row 4, column sourceType): type must be "ec2" or "onprem", got "cloud"',
      ]),
    );
    // devices are only checked once the OS is known, so "C:" on an unknown OS adds nothing
    expect(problems).toHaveLength(10);
  });

  it('reports devices by OS, duplicates across rows and unreadable tags or checks', () => {
    const csv = [
      HEADER,
      'a,linux,ec2,i-0123abcd,ap-southeast-1,,,C:,Owner,,ping:1',
      'A,windows,ec2,i-0123abcd,ap-southeast-1,,,/dev/sda,k=v;k=w,,tcp:ssh',
      'c,linux,ec2,i-0123abce,ap-southeast-1,,,,,,http:http://h/',
    ].join('\r\n');
    expect(read(csv).problems).toEqual(
      expect.arrayContaining([
        'servers[0].tags (row 2, column tags): "Owner" is not KEY=VALUE; write tags as "Key=Value;Key2=Value2"',
        'servers[0].checks (row 2, column checks): "ping:1": a check is tcp:<port>, http:<url>=<status> or service:<name>',
        'servers[0].devices[0] (row 2, column devices): "C:" is not a Linux device path (like "/dev/sda" or "/dev/nvme0n1")',
        'servers[1].tags (row 3, column tags): tag key "k" appears twice',
        'servers[1].checks (row 3, column checks): "tcp:ssh": a tcp check is written tcp:<port>, like tcp:22',
        'servers[1].devices[0] (row 3, column devices): "/dev/sda" is not a Windows drive letter (like "C:")',
        'servers[1].name (row 3, column name): "A" is already used by servers[0]; names must be unique in the wave (case-insensitive)',
        'servers[1].source.instanceId (row 3, column instanceId): "i-0123abcd" is already used by servers[0]; each source server appears once per wave',
        'servers[2].checks (row 4, column checks): "http:http://h/": an http check is written http:<url>=<status>, like http:http://host/health=200',
      ]),
    );
    expect(read(csv).problems).toHaveLength(9);
  });

  it('refuses unknown and repeated columns and a header without the required ones', () => {
    const { problems } = read('name,os,flavour,os\nweb,linux,x,linux\n');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\(row 1, column 3\): unknown column "flavour"; columns are name, os, sourceType/,
        ),
        '(row 1, column 4): column "os" appears twice',
        '(row 1): the header needs a "sourceType" column',
      ]),
    );
  });

  it('refuses an empty CSV, a CSV with a header only, and rows longer than the header', () => {
    expect(read('\n\n').problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\(csv\): no header row/)]),
    );
    expect(read(`${HEADER}\n`).problems).toEqual(['servers: a wave needs at least one server']);
    expect(
      read(`name,os,sourceType,instanceId,sourceRegion\nw,linux,ec2,i-0123abcd,ap-southeast-1,extra\n`)
        .problems,
    ).toEqual(['servers[0] (row 2): 6 fields but the header has 5']);
  });

  it('takes wave-level fields from the wave file, flags winning', () => {
    const other = 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.eu-west-1.vpce.amazonaws.com';
    const s3Other = 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com';
    const m = parseCsvManifest({
      csvText: `${HEADER}\n${ROW_EC2}\n`,
      wave: { ...waveFile, options: { approval: 'auto' } },
      overrides: {
        waveId: 'from-flag',
        targetRegion: 'eu-west-1',
        mgnEndpoint: `*.${other}`,
        s3Endpoint: s3Other,
      },
    });
    expect(m).toMatchObject({
      waveId: 'from-flag',
      targetRegion: 'eu-west-1',
      endpoints: { mgn: other, s3: s3Other },
    });
    expect(m.options.approval).toBe('auto');
    // flags alone are enough
    expect(
      parseCsvManifest({
        csvText: `${HEADER}\n${ROW_EC2}\n`,
        overrides: { waveId: 'x', targetRegion: 'ap-south-1', mgnEndpoint: MGN, s3Endpoint: S3 },
      }).waveId,
    ).toBe('x');
  });

  it('validates the wave file with the same rules and refuses servers in it', () => {
    const { problems } = readCsvManifest({
      csvText: `${HEADER}\n${ROW_EC2}\n`,
      wave: { ...waveFile, servers: [], options: { pollIntervalSeconds: 1 }, extra: true },
      waveFileName: 'w.wave.json',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'servers (wave file w.wave.json): servers come from the CSV rows; remove "servers" from the wave file',
        'extra: unknown field; remove it or fix its spelling',
        'options.pollIntervalSeconds: pollIntervalSeconds must be 30..3600',
      ]),
    );
    expect(problems).toHaveLength(3);
    expect(readCsvManifest({ csvText: `${HEADER}\n${ROW_EC2}\n` }).problems).toEqual([
      expect.stringMatching(/^waveId: is required/),
      expect.stringMatching(/^targetRegion: is required/),
      'endpoints: is required (an object)',
    ]);
    expect(read(`${HEADER}\n${ROW_EC2}\n`, [1]).problems[0]).toBe(
      '(wave file): expected a JSON object with waveId, targetRegion, endpoints, options and launch',
    );
  });

  it('refuses injection attempts through CSV cells', () => {
    const csv = `${HEADER}\nweb-1,linux,ec2,i-0123456789abcdef0,ap-southeast-1,,,"/dev/sda;$(reboot)","k=v\`rm\`",x|y,"service:a&&b"\n`;
    const { problems } = read(csv);
    expect(problems).toEqual(
      expect.arrayContaining([
        'servers[0].devices[1] (row 2, column devices): "$(reboot)" is not a Linux device path (like "/dev/sda" or "/dev/nvme0n1")',
        expect.stringMatching(/^servers\[0\]\.tags\.k \(row 2, column tags\): tag value "v`rm`" must be/),
        expect.stringMatching(
          /^servers\[0\]\.userProvidedId \(row 2, column userProvidedId\): "x\|y" is not/,
        ),
        expect.stringMatching(
          /^servers\[0\]\.checks\[0\]\.name \(row 2, column checks\): "a&&b" is not a service name/,
        ),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('parseCsvManifest throws InvalidInputError with every problem', () => {
    expect(() => parseCsvManifest({ csvText: 'name\n', wave: waveFile })).toThrow(InvalidInputError);
  });
});

describe('launch columns', () => {
  const LAUNCH_HEADER =
    'name,os,sourceType,instanceId,sourceRegion,testSubnetId,testSecurityGroupIds,cutoverSubnetId,cutoverSecurityGroupIds,cutoverPrivateIp,instanceType,rightSizing,instanceProfile,bootMode,byol';
  const SUBNET = 'subnet-0123456789abcdef0';
  const SG = 'sg-0123456789abcdef0';
  const SG2 = 'sg-0fedcba9876543210';
  /** one EC2 row with the given launch cells (in LAUNCH_HEADER order after sourceRegion) */
  const row = (n: number, launch: string) =>
    `web-${n},linux,ec2,i-0123456789abcdef${n},ap-southeast-1,${launch}`;
  const EMPTY = ',,,,,,,,,';

  it('turns every launch column into servers[i].launch, and sets none for a row that leaves them empty', () => {
    const csv = [
      LAUNCH_HEADER,
      row(
        1,
        `${SUBNET},${SG},subnet-0123abcd,${SG};${SG2},10.20.3.14,m6i.large,none,MigratedProfile,uefi,true`,
      ),
      row(2, EMPTY),
      row(3, `,,,,,,in-aws,,legacy-bios,FALSE`),
    ].join('\n');
    const { manifest, problems } = read(csv);
    expect(problems).toEqual([]);
    expect(manifest!.servers.map((s) => s.launch)).toEqual([
      {
        test: { subnetId: SUBNET, securityGroupIds: [SG] },
        cutover: { subnetId: 'subnet-0123abcd', securityGroupIds: [SG, SG2], privateIpAddress: '10.20.3.14' },
        instanceType: 'm6i.large',
        rightSizing: 'none',
        instanceProfile: 'MigratedProfile',
        bootMode: 'uefi',
        byol: true,
      },
      undefined,
      { rightSizing: 'in-aws', bootMode: 'legacy-bios', byol: false },
    ]);
    expect('launch' in manifest!.servers[1]).toBe(false);
  });

  it('reads byol as true or false in any letter case and refuses anything else, naming row and column', () => {
    for (const [cell, value] of [
      ['true', true],
      ['TRUE', true],
      ['False', false],
    ] as const)
      expect(read(`${LAUNCH_HEADER}\n${row(1, `,,,,,,,,,${cell}`)}\n`).manifest!.servers[0].launch).toEqual({
        byol: value,
      });
    const { problems } = read(`${LAUNCH_HEADER}\n${row(1, ',,,,,,,,,yes')}\n${row(2, ',,,,,,,,,1')}\n`);
    expect(problems).toEqual([
      'servers[0].launch.byol (row 2, column byol): "yes" is not true or false',
      'servers[1].launch.byol (row 3, column byol): "1" is not true or false',
    ]);
  });

  it('names the row and column of every bad launch cell', () => {
    const csv = [
      LAUNCH_HEADER,
      row(1, `subnet-12,sg-1;${SG},sn-0123abcd,${SG};${SG},10.0.0.256,M6I.large,BASIC,my profile,bios,`),
    ].join('\n');
    expect(read(csv).problems).toEqual([
      'servers[0].launch.test.subnetId (row 2, column testSubnetId): "subnet-12" is not a subnet id (subnet- followed by 8 or 17 hex digits)',
      'servers[0].launch.test.securityGroupIds[0] (row 2, column testSecurityGroupIds): "sg-1" is not a security group id (sg- followed by 8 or 17 hex digits)',
      'servers[0].launch.cutover.subnetId (row 2, column cutoverSubnetId): "sn-0123abcd" is not a subnet id (subnet- followed by 8 or 17 hex digits)',
      'servers[0].launch.cutover.privateIpAddress (row 2, column cutoverPrivateIp): "10.0.0.256" is not an IPv4 address (like 10.20.3.14)',
      'servers[0].launch.instanceType (row 2, column instanceType): "M6I.large" is not an EC2 instance type (like m6i.large)',
      'servers[0].launch.rightSizing (row 2, column rightSizing): "BASIC" is not allowed; use "none", "basic" or "in-aws"',
      'servers[0].launch.instanceProfile (row 2, column instanceProfile): "my profile" is not an IAM instance profile name (1-128 letters, digits, + = , . @ _ -)',
      'servers[0].launch.bootMode (row 2, column bootMode): "bios" is not allowed; use "legacy-bios", "uefi" or "use-source"',
      `servers[0].launch.cutover.securityGroupIds[1] (row 2, column cutoverSecurityGroupIds): "${SG}" is listed twice`,
    ]);
    expect(
      read(
        `${LAUNCH_HEADER}\n${row(1, `,${SG};${SG2};sg-0123abcd;sg-1123abcd;sg-2123abcd;sg-3123abcd,,,,,,,,`)}\n`,
      ).problems,
    ).toEqual([
      'servers[0].launch.test.securityGroupIds (row 2, column testSecurityGroupIds): at most 5 security groups per network interface',
    ]);
  });

  it('judges contradictions on the row merged over the wave file, naming the row and column at fault', () => {
    const csv = [
      LAUNCH_HEADER,
      row(1, ',,,,10.20.3.14,m6i.large,basic,,,'), // type and right-sizing on one row
      row(2, ',,,,10.20.3.14,,,,,'), // same cutover IP as row 2
      row(3, ',,,,,,in-aws,,,'), // right-sizing under the wave's instance type
    ].join('\n');
    const { problems } = read(csv, {
      ...waveFile,
      launch: { instanceType: 'c6i.large', copyPrivateIp: true },
    });
    expect(problems).toEqual([
      'servers[0].launch.rightSizing (row 2, column rightSizing): "basic" contradicts servers[0].launch.instanceType "m6i.large" (a fixed instance type means right-sizing "none"); set rightSizing to "none" or remove it',
      "servers[0].launch.cutover.privateIpAddress (row 2, column cutoverPrivateIp): the wave's launch.copyPrivateIp is true (the cutover instance takes its source's private IP); set servers[0].launch.copyPrivateIp to false to use this address, or remove it",
      'servers[1].launch.cutover.privateIpAddress (row 3, column cutoverPrivateIp): "10.20.3.14" is already the cutover IP of servers[0]; each cutover instance needs its own address',
      "servers[1].launch.cutover.privateIpAddress (row 3, column cutoverPrivateIp): the wave's launch.copyPrivateIp is true (the cutover instance takes its source's private IP); set servers[1].launch.copyPrivateIp to false to use this address, or remove it",
      'servers[2].launch.rightSizing (row 4, column rightSizing): "in-aws" contradicts the wave\'s launch.instanceType "c6i.large" (a fixed instance type means right-sizing "none"); set rightSizing to "none" or remove it',
    ]);
  });

  it('takes launch defaults from the wave file, but never a cutover IP', () => {
    const defaults = {
      cutover: { subnetId: SUBNET, securityGroupIds: [SG] },
      instanceProfile: 'WaveProfile',
      tags: { Wave: 'w1' },
    };
    const m = parseCsvManifest({
      csvText: `${LAUNCH_HEADER}\n${row(1, ',,,,10.20.3.14,,,,,')}\n`,
      wave: { ...waveFile, launch: defaults },
    });
    expect(m.launch).toEqual(defaults);
    expect(m.servers[0].launch).toEqual({ cutover: { privateIpAddress: '10.20.3.14' } });
    const bad = { ...waveFile, launch: { cutover: { privateIpAddress: '10.20.3.14' } } };
    const refusal =
      'launch.cutover.privateIpAddress: a private IP belongs to one server; set it per server in servers[].launch.cutover.privateIpAddress, not in the wave-level launch defaults';
    expect(read(`${LAUNCH_HEADER}\n${row(1, EMPTY)}\n`, bad).problems).toEqual([refusal]);
    expect(findWaveFileProblems(bad)).toEqual([refusal]);
    expect(findWaveFileProblems({ ...waveFile, launch: defaults })).toEqual([]);
  });
});

describe('the wave file next to a CSV', () => {
  it('is <basename>.wave.json in the same folder, used only when it exists unless one is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-csv-'));
    try {
      const csv = join(dir, 'w12.csv');
      expect(defaultWaveFile(csv)).toBe(join(dir, 'w12.wave.json'));
      expect(findWaveFile(csv)).toBeUndefined();
      writeFileSync(join(dir, 'w12.wave.json'), '{}');
      expect(findWaveFile(csv)).toBe(join(dir, 'w12.wave.json'));
      expect(findWaveFile(csv, 'other.json')).toBe('other.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('examples/waves/wave-12-mixed', () => {
  const dir = join(__dirname, '..', '..', 'examples', 'waves');
  it('the CSV twin with its wave file parses to the same manifest as the JSON', () => {
    const fromJson = parseManifest(JSON.parse(readFileSync(join(dir, 'wave-12-mixed.json'), 'utf8')));
    const csvPath = join(dir, 'wave-12-mixed.csv');
    const wavePath = findWaveFile(csvPath)!;
    expect(wavePath).toBe(join(dir, 'wave-12-mixed.wave.json'));
    const fromCsv = parseCsvManifest({
      csvText: readFileSync(csvPath, 'utf8'),
      wave: JSON.parse(readFileSync(wavePath, 'utf8')),
    });
    expect(fromCsv).toEqual(fromJson);
  });
  it('is a 12-server mixed wave with cross-region EC2 and on-prem sources', () => {
    const m = parseManifest(JSON.parse(readFileSync(join(dir, 'wave-12-mixed.json'), 'utf8')));
    expect(m.servers).toHaveLength(12);
    expect(new Set(m.servers.map((s) => s.os))).toEqual(new Set(['linux', 'windows']));
    expect(m.servers.some((s) => s.source.type === 'ec2' && s.source.region !== m.targetRegion)).toBe(true);
    expect(m.servers.some((s) => s.source.type === 'onprem')).toBe(true);
  });
});

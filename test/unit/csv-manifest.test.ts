import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultWaveFile,
  findWaveFile,
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
      '(wave file): expected a JSON object with waveId, targetRegion, endpoints and options',
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

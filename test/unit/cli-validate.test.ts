/** Runs the real CLI (`node bin/mgnctl.cjs validate ...`) and asserts exit codes and output. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateJsonError } from '../../cli/commands/validate';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples', 'waves');
const mgnctl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'mgnctl.cjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mgnctl-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const example = () => JSON.parse(readFileSync(join(EXAMPLES, 'wave-12-mixed.json'), 'utf8'));

describe('mgnctl validate', () => {
  it('accepts the example wave and its CSV twin with a one-line summary', () => {
    for (const name of ['wave-12-mixed.json', 'wave-12-mixed.csv']) {
      const r = mgnctl('validate', join('examples', 'waves', name));
      expect(r).toEqual({
        code: 0,
        stdout: 'valid: wave wave-12-mixed, 12 servers (7 linux, 5 windows), target ap-south-1\n',
        stderr: '',
      });
    }
  });

  it('accepts every file in examples/waves, the wave file on its own included', () => {
    const r = mgnctl('validate', join('examples', 'waves', 'wave-12-mixed.wave.json'));
    expect(r).toEqual({
      code: 0,
      stdout: 'valid: wave file for wave wave-12-mixed, target ap-south-1 (servers come from the CSV)\n',
      stderr: '',
    });
    const bad = mgnctl(
      'validate',
      file(
        'x.wave.json',
        JSON.stringify({
          waveId: 'w',
          targetRegion: 'ap-south-1',
          servers: [],
          options: { phases: { cutover: false } },
        }),
      ),
    );
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)).toEqual([
      'servers: servers come from the CSV rows; remove "servers" from the wave file',
      'endpoints: is required (an object)',
      'options.phases.finalize: finalize needs cutover; set phases.cutover to true or phases.finalize to false',
    ]);
  });

  it('prints exactly one line per mistake on stderr: five mistakes, five lines, exit 2', () => {
    const m = example();
    m.waveId = 'wave 12'; // 1
    m.endpoints.s3 = m.endpoints.s3.replace('ap-south-1', 'eu-west-1'); // 2
    m.servers[3].source.instanceId = 'i-12'; // 3
    m.servers[5].name = m.servers[4].name; // 4
    m.options.approvl = 'auto'; // 5
    const r = mgnctl('validate', file('five.json', JSON.stringify(m, null, 2)));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      'waveId: "wave 12" is not a wave id (letter or digit, then up to 62 letters, digits, _ -)',
      'servers[3].source.instanceId: "i-12" is not an EC2 instance id (i- followed by 8 or 17 hex digits)',
      'options.approvl: unknown field; remove it or fix its spelling',
      'endpoints.s3: endpoint is in eu-west-1 but targetRegion is ap-south-1; use the s3 endpoint of the target region',
      'servers[5].name: "db-01" is already used by servers[4]; names must be unique in the wave (case-insensitive)',
    ]);
  });

  describe('launch settings', () => {
    const withLaunch = () => {
      const m = example();
      m.launch = {
        cutover: { subnetId: 'subnet-0123456789abcdef0' },
        copyPrivateIp: true,
        rightSizing: 'basic',
      };
      m.servers[0].launch = { cutover: { privateIpAddress: '10.20.3.14' }, copyPrivateIp: false };
      m.servers[1].launch = { instanceType: 'm6i.large', rightSizing: 'none' };
      return m;
    };

    it('accepts them and says so in the one summary line', () => {
      const r = mgnctl('validate', file('launch.json', JSON.stringify(withLaunch())));
      expect(r).toEqual({
        code: 0,
        stdout:
          'valid: wave wave-12-mixed, 12 servers (7 linux, 5 windows), target ap-south-1; launch settings: wave defaults, overrides for 2 servers\n',
        stderr: '',
      });
    });

    it('refuses every contradiction with the other mistakes, one line each, exit 2', () => {
      const m = withLaunch();
      m.waveId = 'wave 12';
      m.launch.cutover.privateIpAddress = '10.20.3.99'; // per server only
      m.servers[0].launch.copyPrivateIp = true; // beside its own address
      m.servers[1].launch.rightSizing = 'in-aws'; // beside its own instance type
      m.servers[2].launch = { cutover: { privateIpAddress: '10.20.3.14' }, copyPrivateIp: false }; // servers[0]'s address
      m.servers[3].launch = { instanceType: 'c6i.large' }; // under the wave's right-sizing "basic"
      const r = mgnctl('validate', file('launch-bad.json', JSON.stringify(m)));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toEqual([
        'waveId: "wave 12" is not a wave id (letter or digit, then up to 62 letters, digits, _ -)',
        'launch.cutover.privateIpAddress: a private IP belongs to one server; set it per server in servers[].launch.cutover.privateIpAddress, not in the wave-level launch defaults',
        "servers[0].launch.copyPrivateIp: copyPrivateIp gives the cutover instance its source's private IP, but servers[0].launch.cutover.privateIpAddress names another; keep one of the two",
        'servers[1].launch.rightSizing: "in-aws" contradicts servers[1].launch.instanceType "m6i.large" (a fixed instance type means right-sizing "none"); set rightSizing to "none", or remove instanceType',
        'servers[2].launch.cutover.privateIpAddress: "10.20.3.14" is already the cutover IP of servers[0]; each cutover instance needs its own address',
        'servers[3].launch.instanceType: "c6i.large" contradicts the wave\'s launch.rightSizing "basic" (a fixed instance type means right-sizing "none"); also set servers[3].launch.rightSizing to "none", or remove instanceType',
      ]);
    });

    it('takes launch defaults in a wave file, but no cutover IP there', () => {
      const wave = JSON.parse(readFileSync(join(EXAMPLES, 'wave-12-mixed.wave.json'), 'utf8'));
      wave.launch = { test: { securityGroupIds: ['sg-0123456789abcdef0'] }, byol: true };
      expect(mgnctl('validate', file('defaults.wave.json', JSON.stringify(wave)))).toEqual({
        code: 0,
        stdout:
          'valid: wave file for wave wave-12-mixed, target ap-south-1, with launch defaults (servers come from the CSV)\n',
        stderr: '',
      });
      wave.launch.cutover = { privateIpAddress: '10.20.3.14' };
      const r = mgnctl('validate', file('ip.wave.json', JSON.stringify(wave)));
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([
        expect.stringMatching(/^launch\.cutover\.privateIpAddress: a private IP belongs to one server/),
      ]);
    });

    it('names the CSV row and column of a bad launch cell', () => {
      const csv = readFileSync(join(EXAMPLES, 'wave-12-mixed.csv'), 'utf8').split(/\r?\n/);
      csv[0] += ',byol,cutoverPrivateIp';
      csv[1] += ',yes,10.20.3.14';
      csv[2] += ',false,10.20.3.14';
      const path = file('launch.csv', csv.join('\n'));
      copyFileSync(join(EXAMPLES, 'wave-12-mixed.wave.json'), join(dir, 'launch.wave.json'));
      const r = mgnctl('validate', path);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([
        'servers[0].launch.byol (row 2, column byol): "yes" is not true or false',
        'servers[1].launch.cutover.privateIpAddress (row 3, column cutoverPrivateIp): "10.20.3.14" is already the cutover IP of servers[0]; each cutover instance needs its own address',
      ]);
    });
  });

  it('names CSV row and column in problems', () => {
    const csv = readFileSync(join(EXAMPLES, 'wave-12-mixed.csv'), 'utf8').replace(
      'i-0a1b2c3d4e5f60713',
      'i-0a1b',
    );
    const path = file('bad.csv', csv);
    copyFileSync(join(EXAMPLES, 'wave-12-mixed.wave.json'), join(dir, 'bad.wave.json'));
    const r = mgnctl('validate', path);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'servers[3].source.instanceId (row 5, column instanceId): "i-0a1b" is not an EC2 instance id (i- followed by 8 or 17 hex digits)',
    ]);
  });

  it('takes the wave file from --wave-file and flags override it', () => {
    const csv = file('servers.csv', readFileSync(join(EXAMPLES, 'wave-12-mixed.csv'), 'utf8'));
    const noWave = mgnctl('validate', csv);
    expect(noWave.code).toBe(2);
    expect(lines(noWave.stderr)).toEqual([
      expect.stringMatching(/^waveId: is required/),
      expect.stringMatching(/^targetRegion: is required/),
      'endpoints: is required (an object)',
    ]);
    const r = mgnctl(
      'validate',
      csv,
      '--wave-file',
      join(EXAMPLES, 'wave-12-mixed.wave.json'),
      '--wave-id',
      'w-flag',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('valid: wave w-flag, 12 servers (7 linux, 5 windows), target ap-south-1\n');
    const badFlag = mgnctl(
      'validate',
      csv,
      '--wave-file',
      join(EXAMPLES, 'wave-12-mixed.wave.json'),
      '--target-region',
      'eu-west-1',
    );
    expect(badFlag.code).toBe(2);
    expect(lines(badFlag.stderr)).toEqual([
      'endpoints.mgn: endpoint is in ap-south-1 but targetRegion is eu-west-1; use the mgn endpoint of the target region',
      'endpoints.s3: endpoint is in ap-south-1 but targetRegion is eu-west-1; use the s3 endpoint of the target region',
    ]);
  });

  it('reports JSON syntax errors with line and column', () => {
    const r = mgnctl('validate', file('syntax.json', '{\n  "waveId": "w",\n  "servers": [,]\n}\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^mgnctl validate: .*syntax\.json: invalid JSON at line 3, column 15: unexpected "," where a value should be\n$/,
    );
    const wave = file('broken.wave.json', '{"waveId": ');
    const csv = file('broken.csv', 'name,os,sourceType\n');
    const r2 = mgnctl('validate', csv);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(
      `mgnctl validate: ${wave}: invalid JSON at line 1, column 12: the JSON ends too early\n`,
    );
  });

  it('reports an unreadable file clearly', () => {
    const r = mgnctl('validate', join(dir, 'missing.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `mgnctl validate: cannot read manifest ${join(dir, 'missing.json')}: no such file\n`,
    );
    expect(mgnctl('validate', dir).stderr).toMatch(/cannot read manifest .*: it is a directory/);
  });

  it('refuses bad arguments with exit 2 and shows help with --help', () => {
    const none = mgnctl('validate');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give exactly one manifest file \(got 0\)/);
    const unknown = mgnctl('validate', 'x.json', '--colour', 'blue');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mgnctl validate: Unknown option '--colour'/);
    const waveFileForJson = mgnctl(
      'validate',
      join('examples', 'waves', 'wave-12-mixed.json'),
      '--wave-file',
      'x',
    );
    expect(waveFileForJson.code).toBe(2);
    expect(waveFileForJson.stderr).toMatch(/--wave-file is for a CSV/);
    const help = mgnctl('validate', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: mgnctl validate <manifest\.json\|servers\.csv\|name\.wave\.json>/);
    expect(help.stdout).toContain('--wave-file FILE');
  });

  it('lists validate with its summary in the top-level help', () => {
    const r = mgnctl('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/validate\s+check a wave manifest/);
    expect(r.stdout).toMatch(/installer-command\s+print the MGN agent installer URL/);
  });
});

describe('locateJsonError', () => {
  it.each([
    ['{"a": 1,}', 8, 'expected a "quoted" property name, found "}"'],
    ['{"a" 1}', 5, 'expected \':\' after a property name, found "1"'],
    ['[1 2]', 3, "expected ',' or ']' after an array element, found \"2\""],
    ['{"a": tru}', 6, 'unexpected "t" where a value should be'],
    ['{"a": "x\ny"}', 8, 'a line break or control character inside a string'],
    ['{"a": "\\q"}', 7, 'bad escape in a string'],
    ['{"a": 1} x', 9, 'unexpected "x" after the end of the JSON value'],
    ['{"a": [1, ', 10, 'the JSON ends too early'],
    ["{'a': 1}", 1, 'expected a "quoted" property name, found "\'"'],
  ])('%j fails at %d: %s', (text, position, reason) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(locateJsonError(text)).toEqual({ position, reason });
  });
  it('finds nothing wrong in valid JSON', () => {
    const text = readFileSync(join(EXAMPLES, 'wave-12-mixed.json'), 'utf8');
    expect(locateJsonError(text)).toBeUndefined();
    expect(locateJsonError('[-1.5e3, "\\u00e9\\n", true, false, null, {}]')).toBeUndefined();
  });
});

/**
 * A wave as a CSV of servers (one per row, the header names the columns) plus the wave-level fields
 * (waveId, targetRegion, endpoints, options, launch defaults) from a small JSON "wave file" and/or
 * flags. The rows are turned into the JSON manifest's shape and validated by the same rules; every
 * problem names the CSV row and column as well: `servers[3].source.instanceId (row 5, column instanceId): ...`.
 *
 * Rows are numbered as a spreadsheet shows them: the header is row 1, a blank line is a row, a
 * quoted field spanning several lines is one row.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { findManifestProblems, ManifestProblem, parseManifest, WaveManifest } from './manifest';
import { formatPath, InvalidInputError, show } from './validation';

export const CSV_COLUMNS = [
  'name',
  'os',
  'sourceType',
  'instanceId',
  'sourceRegion',
  'managedInstanceId',
  'hostname',
  'devices',
  'tags',
  'userProvidedId',
  'checks',
  'testSubnetId',
  'testSecurityGroupIds',
  'cutoverSubnetId',
  'cutoverSecurityGroupIds',
  'cutoverPrivateIp',
  'instanceType',
  'rightSizing',
  'instanceProfile',
  'bootMode',
  'byol',
  'application',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly CsvColumn[] = ['name', 'os', 'sourceType'];

export interface CsvRecord {
  /** 1-based row number as a spreadsheet shows it */
  readonly row: number;
  readonly fields: string[];
}

/** Splits CSV text (RFC 4180: quoted fields, "" escapes, CRLF or LF, optional BOM) into records. */
export function parseCsv(text: string): { records: CsvRecord[]; problems: string[] } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const problems: string[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field started with a quote
  let row = 1;
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    records.push({ row, fields });
    fields = [];
    row += 1;
  };
  while (i < src.length) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        const next = src[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          problems.push(
            `(row ${row}): text after a closing quote; a quote inside a quoted field is written ""`,
          );
          while (i < src.length && src[i] !== ',' && src[i] !== '\n' && src[i] !== '\r') i += 1;
        }
        continue;
      }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      i += 1;
    } else if (c === ',') {
      endField();
      i += 1;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i += 1;
    }
  }
  if (quoted) problems.push(`(row ${row}): a quoted field is never closed`);
  if (field !== '' || fields.length > 0 || wasQuoted) endRecord();
  return { records, problems };
}

const isBlank = (r: CsvRecord) => r.fields.every((f) => f.trim() === '');

/** Fields for the wave as a whole, from flags; they win over the wave file. */
export interface WaveOverrides {
  readonly waveId?: string;
  readonly targetRegion?: string;
  readonly mgnEndpoint?: string;
  readonly s3Endpoint?: string;
}

/** Where a server's field came from, to name it in problems. */
interface RowOrigin {
  readonly row: number;
  readonly columns: Partial<Record<CsvColumn, true>>;
}

const FIELD_COLUMN: Record<string, CsvColumn> = {
  name: 'name',
  os: 'os',
  devices: 'devices',
  tags: 'tags',
  userProvidedId: 'userProvidedId',
  checks: 'checks',
  application: 'application',
};
const SOURCE_COLUMN: Record<string, CsvColumn> = {
  type: 'sourceType',
  instanceId: 'instanceId',
  region: 'sourceRegion',
  managedInstanceId: 'managedInstanceId',
  hostname: 'hostname',
};

/** `servers[i].launch` fields a row sets, by their path under `launch`. */
const LAUNCH_COLUMN: Record<string, CsvColumn> = {
  'test.subnetId': 'testSubnetId',
  'test.securityGroupIds': 'testSecurityGroupIds',
  'cutover.subnetId': 'cutoverSubnetId',
  'cutover.securityGroupIds': 'cutoverSecurityGroupIds',
  'cutover.privateIpAddress': 'cutoverPrivateIp',
  instanceType: 'instanceType',
  rightSizing: 'rightSizing',
  instanceProfile: 'instanceProfile',
  bootMode: 'bootMode',
  byol: 'byol',
};

/** The CSV column a manifest path inside servers[i] comes from. */
function columnOf(path: ReadonlyArray<string | number>): CsvColumn | undefined {
  const [, , field, sub, subsub] = path;
  if (field === 'source') return typeof sub === 'string' ? SOURCE_COLUMN[sub] : 'sourceType';
  if (field === 'launch' && typeof sub === 'string')
    return LAUNCH_COLUMN[sub === 'test' || sub === 'cutover' ? `${sub}.${String(subsub)}` : sub];
  return typeof field === 'string' ? FIELD_COLUMN[field] : undefined;
}

type Loose = Record<string, unknown>;

const splitList = (value: string) =>
  value
    .split(';')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** "K=V;K2=V2" -> { K: "V", K2: "V2" }, or a reason it cannot be read. */
function parseTags(value: string): Record<string, string> | string {
  const tags: Record<string, string> = {};
  for (const pair of splitList(value)) {
    const eq = pair.indexOf('=');
    if (eq < 0) return `${show(pair)} is not KEY=VALUE; write tags as "Key=Value;Key2=Value2"`;
    const key = pair.slice(0, eq).trim();
    if (Object.prototype.hasOwnProperty.call(tags, key)) return `tag key ${show(key)} appears twice`;
    tags[key] = pair.slice(eq + 1).trim();
  }
  return tags;
}

/** "tcp:22;http:http://host/health=200;service:nginx" -> check objects, or a reason. */
function parseChecks(value: string): Loose[] | string {
  const checks: Loose[] = [];
  for (const item of splitList(value)) {
    const colon = item.indexOf(':');
    const type = colon < 0 ? item : item.slice(0, colon);
    const arg = colon < 0 ? '' : item.slice(colon + 1);
    const number = (text: string) => (/^[0-9]+$/.test(text) ? Number(text) : text);
    if (type === 'tcp') {
      if (!/^[0-9]+$/.test(arg)) return `${show(item)}: a tcp check is written tcp:<port>, like tcp:22`;
      checks.push({ type, port: number(arg) });
    } else if (type === 'http') {
      const eq = arg.lastIndexOf('=');
      const status = eq < 0 ? '' : arg.slice(eq + 1);
      if (!/^[0-9]+$/.test(status))
        return `${show(item)}: an http check is written http:<url>=<status>, like http:http://host/health=200`;
      checks.push({ type, url: arg.slice(0, eq), expectStatus: number(status) });
    } else if (type === 'service') {
      checks.push({ type, name: arg });
    } else {
      return `${show(item)}: a check is tcp:<port>, http:<url>=<status> or service:<name>`;
    }
  }
  return checks;
}

/** "true" or "false" (any letter case: spreadsheets write TRUE and FALSE), or a reason. */
function parseBoolean(value: string): boolean | string {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  return `${show(value)} is not true or false`;
}

const LAUNCH_COLUMNS = Object.values(LAUNCH_COLUMN);

/**
 * A row's launch cells as its `servers[i].launch` (undefined when the row sets none; the wave
 * file's `launch` still applies), and why its byol cell cannot be read, if it cannot.
 */
function launchOfRow(cell: (column: CsvColumn) => string | undefined): {
  launch?: Loose;
  byolProblem?: string;
} {
  const launch: Loose = {};
  let byolProblem: string | undefined;
  const network = (subnet: CsvColumn, groups: CsvColumn, ip?: CsvColumn) => {
    const out: Loose = {};
    if (cell(subnet) !== undefined) out.subnetId = cell(subnet);
    const list = cell(groups);
    if (list !== undefined) out.securityGroupIds = splitList(list);
    if (ip && cell(ip) !== undefined) out.privateIpAddress = cell(ip);
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const test = network('testSubnetId', 'testSecurityGroupIds');
  if (test) launch.test = test;
  const cutover = network('cutoverSubnetId', 'cutoverSecurityGroupIds', 'cutoverPrivateIp');
  if (cutover) launch.cutover = cutover;
  for (const column of ['instanceType', 'rightSizing', 'instanceProfile', 'bootMode'] as const)
    if (cell(column) !== undefined) launch[column] = cell(column);
  const byol = cell('byol');
  if (byol !== undefined) {
    const parsed = parseBoolean(byol);
    if (typeof parsed === 'string') byolProblem = parsed;
    else launch.byol = parsed;
  }
  return { launch: Object.keys(launch).length > 0 ? launch : undefined, byolProblem };
}

export interface CsvManifestInput {
  readonly csvText: string;
  /** the parsed wave file (waveId, targetRegion, endpoints, options, launch), if any */
  readonly wave?: unknown;
  /** name of the wave file, for problems about it */
  readonly waveFileName?: string;
  readonly overrides?: WaveOverrides;
}

/**
 * Builds the manifest object from CSV rows + wave-level fields and lists every problem, with the row
 * and column for server fields. `manifest` is set only when there are none.
 */
export function readCsvManifest(input: CsvManifestInput): { manifest?: WaveManifest; problems: string[] } {
  const problems: string[] = [];
  const { records, problems: syntax } = parseCsv(input.csvText);
  problems.push(...syntax);

  // Wave-level fields: the wave file, then flags.
  const wave: Loose = {};
  if (input.wave !== undefined) {
    const label = input.waveFileName ? `wave file ${input.waveFileName}` : 'wave file';
    if (typeof input.wave !== 'object' || input.wave === null || Array.isArray(input.wave))
      problems.push(
        `(${label}): expected a JSON object with waveId, targetRegion, endpoints, options and launch`,
      );
    else {
      for (const [key, value] of Object.entries(input.wave as Loose)) {
        if (key === 'servers')
          problems.push(
            `servers (${label}): servers come from the CSV rows; remove "servers" from the wave file`,
          );
        else wave[key] = value;
      }
    }
  }
  const o = input.overrides ?? {};
  if (o.waveId !== undefined) wave.waveId = o.waveId;
  if (o.targetRegion !== undefined) wave.targetRegion = o.targetRegion;
  if (o.mgnEndpoint !== undefined || o.s3Endpoint !== undefined) {
    const endpoints: Loose =
      typeof wave.endpoints === 'object' && wave.endpoints !== null && !Array.isArray(wave.endpoints)
        ? { ...(wave.endpoints as Loose) }
        : {};
    if (o.mgnEndpoint !== undefined) endpoints.mgn = o.mgnEndpoint;
    if (o.s3Endpoint !== undefined) endpoints.s3 = o.s3Endpoint;
    wave.endpoints = endpoints;
  }

  // Header.
  const headerRecord = records.find((r) => !isBlank(r));
  const servers: Loose[] = [];
  const origins: RowOrigin[] = [];
  if (!headerRecord) {
    problems.push(`(csv): no header row; the first row names the columns: ${CSV_COLUMNS.join(',')}`);
  } else {
    const header = headerRecord.fields.map((f) => f.trim());
    const columnIndex = new Map<CsvColumn, number>();
    header.forEach((name, index) => {
      const where = `(row ${headerRecord.row}, column ${index + 1})`;
      if (!(CSV_COLUMNS as readonly string[]).includes(name))
        problems.push(`${where}: unknown column ${show(name)}; columns are ${CSV_COLUMNS.join(', ')}`);
      else if (columnIndex.has(name as CsvColumn))
        problems.push(`${where}: column ${show(name)} appears twice`);
      else columnIndex.set(name as CsvColumn, index);
    });
    for (const required of REQUIRED_COLUMNS)
      if (!columnIndex.has(required))
        problems.push(`(row ${headerRecord.row}): the header needs a ${show(required)} column`);

    for (const record of records) {
      if (record.row <= headerRecord.row || isBlank(record)) continue;
      const i = servers.length;
      const cell = (column: CsvColumn): string | undefined => {
        const index = columnIndex.get(column);
        const value = index === undefined ? undefined : record.fields[index]?.trim();
        return value === '' ? undefined : value;
      };
      const columns: RowOrigin['columns'] = {};
      const where = (path: string, column: CsvColumn) => `${path} (row ${record.row}, column ${column})`;
      if (
        record.fields.length > header.length &&
        record.fields.slice(header.length).some((f) => f.trim() !== '')
      )
        problems.push(
          `servers[${i}] (row ${record.row}): ${record.fields.length} fields but the header has ${header.length}`,
        );

      const server: Loose = {};
      const set = (target: Loose, key: string, column: CsvColumn, value: unknown) => {
        if (value === undefined) return;
        target[key] = value;
        columns[column] = true;
      };
      set(server, 'name', 'name', cell('name'));
      set(server, 'os', 'os', cell('os'));
      const source: Loose = {};
      set(source, 'type', 'sourceType', cell('sourceType'));
      set(source, 'instanceId', 'instanceId', cell('instanceId'));
      set(source, 'region', 'sourceRegion', cell('sourceRegion'));
      set(source, 'managedInstanceId', 'managedInstanceId', cell('managedInstanceId'));
      set(source, 'hostname', 'hostname', cell('hostname'));
      server.source = source;
      const devices = cell('devices');
      if (devices !== undefined) set(server, 'devices', 'devices', splitList(devices));
      const tags = cell('tags');
      if (tags !== undefined) {
        const parsed = parseTags(tags);
        if (typeof parsed === 'string') problems.push(`${where(`servers[${i}].tags`, 'tags')}: ${parsed}`);
        else set(server, 'tags', 'tags', parsed);
      }
      set(server, 'userProvidedId', 'userProvidedId', cell('userProvidedId'));
      set(server, 'application', 'application', cell('application'));
      const checks = cell('checks');
      if (checks !== undefined) {
        const parsed = parseChecks(checks);
        if (typeof parsed === 'string')
          problems.push(`${where(`servers[${i}].checks`, 'checks')}: ${parsed}`);
        else set(server, 'checks', 'checks', parsed);
      }
      const { launch, byolProblem } = launchOfRow(cell);
      if (byolProblem) problems.push(`${where(`servers[${i}].launch.byol`, 'byol')}: ${byolProblem}`);
      if (launch) {
        server.launch = launch;
        for (const column of LAUNCH_COLUMNS) if (cell(column) !== undefined) columns[column] = true;
      }
      servers.push(server);
      origins.push({ row: record.row, columns });
    }
  }
  wave.servers = servers;

  // Same rules as JSON; server problems also name the row and column.
  const annotate = (p: ManifestProblem): string => {
    if (p.path[0] !== 'servers' || typeof p.path[1] !== 'number') return p.line;
    const origin = origins[p.path[1]];
    if (!origin) return p.line;
    const prefix = formatPath(p.path as Array<string | number>);
    const column = columnOf(p.path);
    const where = column ? `(row ${origin.row}, column ${column})` : `(row ${origin.row})`;
    return `${prefix} ${where}${p.line.slice(prefix.length)}`;
  };
  problems.push(...findManifestProblems(wave).map(annotate));
  if (problems.length > 0) {
    // Wave-level problems first, then row by row, as an operator fixes them.
    const rowOf = (line: string) => Number(/\(row (\d+)/.exec(line)?.[1] ?? 0);
    return {
      problems: problems
        .map((line, n) => ({ line, n }))
        .sort((a, b) => rowOf(a.line) - rowOf(b.line) || a.n - b.n)
        .map((p) => p.line),
    };
  }
  return { manifest: parseManifest(wave), problems };
}

/** Parses a CSV wave or throws InvalidInputError naming every problem. */
export function parseCsvManifest(input: CsvManifestInput): WaveManifest {
  const { manifest, problems } = readCsvManifest(input);
  if (!manifest) throw new InvalidInputError('wave CSV', problems);
  return manifest;
}

/** A wave file on its own (wave-level fields, no servers): every problem, same rules and wording. */
export function findWaveFileProblems(wave: unknown): string[] {
  if (typeof wave === 'object' && wave !== null && !Array.isArray(wave) && 'servers' in wave) {
    const { servers: _servers, ...rest } = wave as Record<string, unknown>;
    return [
      'servers: servers come from the CSV rows; remove "servers" from the wave file',
      ...findWaveFileProblems(rest),
    ];
  }
  // The manifest's rules minus the servers, which the CSV supplies.
  return findManifestProblems(wave)
    .filter((p) => p.path[0] !== 'servers')
    .map((p) => p.line);
}

/** `waves/w12.csv` -> `waves/w12.wave.json`, the wave file found next to a CSV when none is named. */
export function defaultWaveFile(csvPath: string): string {
  return join(dirname(csvPath), `${basename(csvPath, extname(csvPath))}.wave.json`);
}

/** The wave file to use: the one named, else the default one when it exists. */
export function findWaveFile(csvPath: string, named?: string): string | undefined {
  if (named !== undefined) return named;
  const auto = defaultWaveFile(csvPath);
  return existsSync(auto) ? auto : undefined;
}

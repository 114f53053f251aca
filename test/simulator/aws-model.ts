/**
 * A small walker over the official botocore service models (test/fixtures/aws-models): checks a
 * JSON body or an XML document against an operation's output shape (required members present, no
 * unknown members, enum values valid, types, lengths, patterns) and tells which error codes an
 * operation may answer with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

interface Member {
  shape: string;
  location?: string;
  locationName?: string;
  jsonName?: string;
  flattened?: boolean;
}
interface Shape {
  type: string;
  members?: Record<string, Member>;
  required?: string[];
  member?: Member;
  key?: Member;
  value?: Member;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  flattened?: boolean;
  error?: { code?: string; httpStatusCode?: number };
  exception?: boolean;
}
interface Operation {
  input?: { shape: string };
  output?: { shape: string; resultWrapper?: string };
  errors?: { shape: string }[];
  http: { method: string; requestUri: string; responseCode?: number };
}
export interface Model {
  metadata: { protocol: string; serviceId: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const FIXTURES = join(__dirname, '..', 'fixtures', 'aws-models');
const cache = new Map<string, Model>();

export function loadModel(file: string): Model {
  let m = cache.get(file);
  if (!m) {
    m = JSON.parse(gunzipSync(readFileSync(join(FIXTURES, `${file}.service-2.json.gz`))).toString('utf8')) as Model;
    cache.set(file, m);
  }
  return m;
}

/** The wire codes of the errors the model lists for an operation (query protocols use `error.code`). */
export function modelErrorCodes(model: Model, operation: string): string[] {
  const op = model.operations[operation];
  if (!op) throw new Error(`no operation ${operation} in the model`);
  return (op.errors ?? []).map((e) => model.shapes[e.shape].error?.code ?? e.shape);
}

const compiled = new Map<string, RegExp | null>();
function patternOf(p: string): RegExp | null {
  if (!compiled.has(p)) {
    try {
      compiled.set(p, new RegExp(p, 'u'));
    } catch {
      compiled.set(p, null); // a Java-only construct: not checkable here
    }
  }
  return compiled.get(p)!;
}

function checkScalarString(shape: Shape, value: string, path: string, problems: string[]): void {
  if (shape.enum && !shape.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${shape.enum.join('|')}`);
  if (shape.min !== undefined && value.length < shape.min) problems.push(`${path}: shorter than ${shape.min}`);
  if (shape.max !== undefined && value.length > shape.max) problems.push(`${path}: longer than ${shape.max}`);
  if (shape.pattern) {
    const re = patternOf(shape.pattern);
    if (re && !re.test(value)) problems.push(`${path}: ${JSON.stringify(value)} does not match ${shape.pattern}`);
  }
}

/** JSON bodies (restJson1, awsJson1_1): member names (or jsonName) as keys; header/uri members skipped. */
export function checkJson(model: Model, shapeName: string, value: unknown, path = '$', timestamps: 'epoch' | 'iso' = 'epoch'): string[] {
  const problems: string[] = [];
  const walk = (name: string, v: unknown, p: string) => {
    const shape = model.shapes[name];
    switch (shape.type) {
      case 'structure': {
        if (!v || typeof v !== 'object' || Array.isArray(v)) return problems.push(`${p}: expected an object`);
        const obj = v as Record<string, unknown>;
        const members = Object.entries(shape.members ?? {}).filter(([, m]) => !m.location);
        const byWire = new Map(members.map(([k, m]) => [m.jsonName ?? k, { key: k, member: m }]));
        for (const req of shape.required ?? []) {
          const m = shape.members![req];
          if (m.location) continue;
          if (obj[m.jsonName ?? req] === undefined) problems.push(`${p}.${req}: required member missing`);
        }
        for (const [k, x] of Object.entries(obj)) {
          if (k === '__type') continue;
          const entry = byWire.get(k);
          if (!entry) problems.push(`${p}.${k}: not a member of ${name}`);
          else if (x !== null) walk(entry.member.shape, x, `${p}.${k}`);
        }
        return;
      }
      case 'list': {
        if (!Array.isArray(v)) return problems.push(`${p}: expected a list`);
        if (shape.max !== undefined && v.length > shape.max) problems.push(`${p}: more than ${shape.max} items`);
        v.forEach((x, i) => walk(shape.member!.shape, x, `${p}[${i}]`));
        return;
      }
      case 'map': {
        if (!v || typeof v !== 'object' || Array.isArray(v)) return problems.push(`${p}: expected a map`);
        for (const [k, x] of Object.entries(v)) {
          walk(shape.key!.shape, k, `${p}{key}`);
          walk(shape.value!.shape, x, `${p}.${k}`);
        }
        return;
      }
      case 'string':
        if (typeof v !== 'string') return problems.push(`${p}: expected a string, got ${typeof v}`);
        return checkScalarString(shape, v, p, problems);
      case 'integer':
      case 'long':
        if (typeof v !== 'number' || !Number.isInteger(v)) return problems.push(`${p}: expected an integer`);
        if (shape.min !== undefined && v < shape.min) problems.push(`${p}: below ${shape.min}`);
        return;
      case 'double':
      case 'float':
        if (typeof v !== 'number') problems.push(`${p}: expected a number`);
        return;
      case 'boolean':
        if (typeof v !== 'boolean') problems.push(`${p}: expected a boolean`);
        return;
      case 'timestamp':
        if (timestamps === 'epoch' ? typeof v !== 'number' : typeof v !== 'string' || Number.isNaN(Date.parse(v))) problems.push(`${p}: expected a ${timestamps} timestamp`);
        return;
      case 'blob':
        if (typeof v !== 'string') problems.push(`${p}: expected base64 text`);
        return;
      default:
        problems.push(`${p}: unhandled shape type ${shape.type}`);
    }
  };
  walk(shapeName, value, path);
  return problems;
}

// ------------------------------------------------------------------ XML

export interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  text: string;
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** A minimal XML parser: elements, text and entities (attributes are ignored). */
export function parseXml(text: string): XmlNode {
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const re = /<\?[^>]*\?>|<(\/?)([A-Za-z_][\w.:-]*)([^>]*?)(\/?)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[0].startsWith('<?')) continue;
    const top = stack[stack.length - 1];
    if (m[5] !== undefined) {
      top.text += unescape(m[5]);
    } else if (m[1] === '/') {
      if (top.name !== m[2]) throw new Error(`XML: </${m[2]}> closes <${top.name}>`);
      stack.pop();
    } else {
      const node: XmlNode = { name: m[2], children: [], text: '' };
      top.children.push(node);
      if (m[4] !== '/') stack.push(node);
    }
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack[stack.length - 1].name}> never closed`);
  return root.children[0];
}

/** XML bodies (ec2, query): element names from `locationName` (else the member name), list items `item`/`member`. */
export function checkXml(model: Model, shapeName: string, node: XmlNode, path = '$'): string[] {
  const problems: string[] = [];
  const defaultItem = model.metadata.protocol === 'ec2' ? 'item' : 'member';
  const walk = (name: string, n: XmlNode, p: string) => {
    const shape = model.shapes[name];
    const text = n.text.trim();
    switch (shape.type) {
      case 'structure': {
        const members = Object.entries(shape.members ?? {}).filter(([, m]) => !m.location);
        const wire = new Map(members.map(([k, m]) => [m.locationName ?? k, { key: k, member: m }]));
        for (const req of shape.required ?? []) {
          const m = shape.members![req];
          if (!m.location && !n.children.some((c) => c.name === (m.locationName ?? req))) problems.push(`${p}.${req}: required member missing`);
        }
        for (const c of n.children) {
          const entry = wire.get(c.name);
          if (!entry) problems.push(`${p}.${c.name}: not an element of ${name}`);
          else walk(entry.member.shape, c, `${p}.${c.name}`);
        }
        return;
      }
      case 'list': {
        const itemName = shape.member!.locationName ?? defaultItem;
        n.children.forEach((c, i) => {
          if (c.name !== itemName) problems.push(`${p}[${i}]: list item element is <${c.name}>, expected <${itemName}>`);
          else walk(shape.member!.shape, c, `${p}[${i}]`);
        });
        return;
      }
      case 'string':
        if (n.children.length) return problems.push(`${p}: expected text, got elements`);
        return checkScalarString(shape, text, p, problems);
      case 'integer':
      case 'long':
        if (!/^-?[0-9]+$/.test(text)) problems.push(`${p}: ${JSON.stringify(text)} is not an integer`);
        return;
      case 'boolean':
        if (text !== 'true' && text !== 'false') problems.push(`${p}: ${JSON.stringify(text)} is not a boolean`);
        return;
      case 'timestamp':
        if (Number.isNaN(Date.parse(text))) problems.push(`${p}: ${JSON.stringify(text)} is not a timestamp`);
        return;
      case 'double':
      case 'float':
        if (Number.isNaN(Number(text))) problems.push(`${p}: not a number`);
        return;
      default:
        problems.push(`${p}: unhandled shape type ${shape.type}`);
    }
  };
  walk(shapeName, node, path);
  return problems;
}

/** Checks an operation's successful XML answer: EC2 `<OpResponse>` or query `<OpResponse><OpResult>`. */
export function checkXmlOutput(model: Model, operation: string, body: string): string[] {
  const op = model.operations[operation];
  const doc = parseXml(body);
  if (doc.name !== `${operation}Response`) return [`root element is <${doc.name}>, expected <${operation}Response>`];
  if (!op.output) return [];
  if (model.metadata.protocol === 'ec2') {
    const payload: XmlNode = { name: doc.name, children: doc.children.filter((c) => c.name !== 'requestId'), text: '' };
    if (!doc.children.some((c) => c.name === 'requestId')) return ['no <requestId>'];
    return checkXml(model, op.output.shape, payload);
  }
  const wrapper = op.output.resultWrapper ?? `${operation}Result`;
  const result = doc.children.find((c) => c.name === wrapper);
  if (!result) return [`no <${wrapper}>`];
  if (!doc.children.some((c) => c.name === 'ResponseMetadata')) return ['no <ResponseMetadata>'];
  return checkXml(model, op.output.shape, result);
}

/** Output members carried in HTTP headers (S3): each present header must parse as its shape's type. */
export function checkHeaders(model: Model, operation: string, headers: Record<string, string>): string[] {
  const op = model.operations[operation];
  const shape = model.shapes[op.output!.shape];
  const problems: string[] = [];
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [name, m] of Object.entries(shape.members ?? {})) {
    if (m.location !== 'header') continue;
    const v = lower[m.locationName!.toLowerCase()];
    if (v === undefined) continue;
    const t = model.shapes[m.shape];
    if ((t.type === 'long' || t.type === 'integer') && !/^[0-9]+$/.test(v)) problems.push(`${name}: ${v} is not an integer`);
    if (t.type === 'timestamp' && Number.isNaN(Date.parse(v))) problems.push(`${name}: ${v} is not a date`);
    if (t.type === 'string' && t.enum && !t.enum.includes(v)) problems.push(`${name}: ${v} is not one of ${t.enum.join('|')}`);
  }
  return problems;
}

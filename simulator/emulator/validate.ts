/**
 * Input validation the way the services do it: required members, list lengths, enum values,
 * patterns and ranges from the service models, each problem naming its field. Each service then
 * words the problems its own way (MGN ValidationException with fieldList, SSM's Coral-style
 * "1 validation error detected", EC2 MissingParameter / InvalidParameterValue, ...).
 */
import { ApiError } from './errors';

export interface Problem {
  readonly name: string;
  readonly message: string;
  readonly kind: 'missing' | 'invalid';
  readonly value?: unknown;
}

type Obj = Record<string, unknown>;

export class Validator {
  readonly problems: Problem[] = [];

  constructor(private readonly input: Obj) {}

  private at(path: string): unknown {
    let node: unknown = this.input;
    for (const part of path.split('.')) {
      if (node === null || typeof node !== 'object') return undefined;
      node = (node as Obj)[part];
    }
    return node;
  }

  private add(name: string, message: string, kind: Problem['kind'] = 'invalid', value?: unknown): void {
    this.problems.push({ name, message, kind, value });
  }

  required(...paths: string[]): this {
    for (const p of paths) if (this.at(p) === undefined || this.at(p) === null) this.add(p, 'Member must not be null', 'missing');
    return this;
  }

  string(path: string, rule: { min?: number; max?: number; pattern?: RegExp; enum?: readonly string[] } = {}): this {
    const v = this.at(path);
    if (v === undefined || v === null) return this;
    if (typeof v !== 'string') return this.problem(path, 'Member must be a string', v);
    if (rule.min !== undefined && v.length < rule.min) return this.problem(path, `Member must have length greater than or equal to ${rule.min}`, v);
    if (rule.max !== undefined && v.length > rule.max) return this.problem(path, `Member must have length less than or equal to ${rule.max}`, v);
    if (rule.pattern && !rule.pattern.test(v)) return this.problem(path, `Member must satisfy regular expression pattern: ${rule.pattern.source}`, v);
    if (rule.enum && !rule.enum.includes(v)) return this.problem(path, `Member must satisfy enum value set: [${rule.enum.join(', ')}]`, v);
    return this;
  }

  list(path: string, rule: { min?: number; max?: number; item?: { pattern?: RegExp; enum?: readonly string[] } } = {}): this {
    const v = this.at(path);
    if (v === undefined || v === null) return this;
    if (!Array.isArray(v)) return this.problem(path, 'Member must be a list', v);
    if (rule.min !== undefined && v.length < rule.min) return this.problem(path, `Member must have length greater than or equal to ${rule.min}`, v);
    if (rule.max !== undefined && v.length > rule.max) return this.problem(path, `Member must have length less than or equal to ${rule.max}`, `list of ${v.length}`);
    const item = rule.item;
    if (item) {
      for (const x of v) {
        if (typeof x !== 'string') return this.problem(path, 'Member must contain only strings', x);
        if (item.pattern && !item.pattern.test(x)) return this.problem(path, `Member must satisfy constraint: [Member must satisfy regular expression pattern: ${item.pattern.source}]`, x);
        if (item.enum && !item.enum.includes(x)) return this.problem(path, `Member must satisfy constraint: [Member must satisfy enum value set: [${item.enum.join(', ')}]]`, x);
      }
    }
    return this;
  }

  integer(path: string, rule: { min?: number; max?: number } = {}): this {
    const v = this.at(path);
    if (v === undefined || v === null) return this;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.problem(path, 'Member must be an integer', v);
    if (rule.min !== undefined && v < rule.min) return this.problem(path, `Member must have value greater than or equal to ${rule.min}`, v);
    if (rule.max !== undefined && v > rule.max) return this.problem(path, `Member must have value less than or equal to ${rule.max}`, v);
    return this;
  }

  boolean(path: string): this {
    const v = this.at(path);
    if (v !== undefined && v !== null && typeof v !== 'boolean') this.problem(path, 'Member must be a boolean', v);
    return this;
  }

  map(path: string, rule: { max?: number; keyMax?: number; valueMax?: number } = {}): this {
    const v = this.at(path);
    if (v === undefined || v === null) return this;
    if (typeof v !== 'object' || Array.isArray(v)) return this.problem(path, 'Member must be a map', v);
    if (rule.max !== undefined && Object.keys(v).length > rule.max) return this.problem(path, `Member must have length less than or equal to ${rule.max}`, v);
    for (const [key, value] of Object.entries(v as Obj)) {
      if (rule.keyMax !== undefined && key.length > rule.keyMax) return this.problem(path, `Map keys must have length less than or equal to ${rule.keyMax}`, key);
      if (rule.valueMax !== undefined && (typeof value !== 'string' || value.length > rule.valueMax))
        return this.problem(`${path}.${key}`, `Member must be a string of length less than or equal to ${rule.valueMax}`, value);
    }
    return this;
  }

  private problem(path: string, message: string, value: unknown): this {
    this.add(path, message, 'invalid', value);
    return this;
  }

  /** "1 validation error detected: Value null at 'documentName' failed to satisfy constraint: ..." */
  coralMessage(): string {
    const n = this.problems.length;
    const parts = this.problems.map((p) => `Value ${p.kind === 'missing' ? 'null' : JSON.stringify(p.value)} at '${p.name}' failed to satisfy constraint: ${p.message}`);
    return `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
  }

  /** MGN: ValidationException with reason fieldValidationFailed and a fieldList naming each field. */
  throwMgn(): void {
    if (this.problems.length === 0) return;
    throw new ApiError('ValidationException', this.coralMessage(), 400, {
      reason: 'fieldValidationFailed',
      fieldList: this.problems.map((p) => ({ name: p.name, message: p.message })),
    });
  }

  /** SSM (and other awsJson services): ValidationException with the Coral message. */
  throwJson(): void {
    if (this.problems.length === 0) return;
    throw new ApiError('ValidationException', this.coralMessage(), 400);
  }
}

export const asObject = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const asStringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Offset pagination tokens: opaque to clients, validated when they come back. */
export function encodeToken(offset: number, salt: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: salt })).toString('base64');
}

export function decodeToken(token: string | undefined, salt: string): number | undefined {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown; s?: unknown };
    if (typeof parsed.o === 'number' && parsed.s === salt && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  return undefined;
}

/** ISO-8601 duration (PT1H2M3S) from seconds. */
export function isoDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  let out = 'PT';
  if (h) out += `${h}H`;
  if (m) out += `${m}M`;
  if (rest || out === 'PT') out += `${rest}S`;
  return out;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

import type { z } from 'zod';

/**
 * Thrown when input (a manifest, a scenario, a deploy config, an API payload) is refused.
 * `problems` holds every problem found, one `<path>: <what is wrong and what is allowed>` line each,
 * so an operator fixes them all in one pass instead of one per run.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly subject: string,
    readonly problems: string[],
  ) {
    super(`${subject} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** `["servers", 3, "source", "instanceId"]` -> `servers[3].source.instanceId` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** A short, safe rendering of a user-supplied value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${show(value)}`;
}

const article = (expected: string) => (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);

/** Turns zod issues into the project's `<path>: <message>` lines, one per problem. */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = issue.path;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          lines.push(`${formatPath([...path, key])}: unknown field; remove it or fix its spelling`);
        }
        break;
      case 'invalid_type': {
        const input = (issue as { input?: unknown }).input;
        if (input === undefined) lines.push(`${formatPath(path)}: is required (${article(issue.expected)})`);
        else lines.push(`${formatPath(path)}: expected ${article(issue.expected)}, got ${kindOf(input)}`);
        break;
      }
      case 'invalid_union': {
        // A discriminated union reports a bad discriminator here; keep zod's wording but name the path.
        lines.push(`${formatPath(path)}: ${issue.message}`);
        break;
      }
      default:
        lines.push(`${formatPath(path)}: ${issue.message}`);
    }
  }
  return lines;
}

/** Parses `input` with `schema` or throws InvalidInputError listing every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(subject, formatIssues(result.error.issues));
  return result.data;
}

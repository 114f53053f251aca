/**
 * Bytes that claim to be JSON text, from a file, an S3 object, an event or a request body: decoded
 * as UTF-8 strictly (a bad byte is refused with its offset, never turned into U+FFFD and let through
 * as if it were what the operator wrote) and held to a size limit before anything parses them.
 */
import { InvalidInputError } from './validation';

/** Step Functions' execution input, EventBridge's event and a state's payload all stop at 256 KiB. */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

/** Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629), or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i += 1;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [extra, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [extra, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [extra, min] = [3, 0x10000];
    else return i;
    if (i + extra >= bytes.length) return i; // truncated sequence at the end
    let cp = b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

/** UTF-8 text of `bytes` (a leading byte-order mark dropped), or InvalidInputError naming the offset. */
export function decodeUtf8(bytes: Uint8Array, subject: string, field = '(file)'): string {
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0)
    throw new InvalidInputError(subject, [
      `${field}: is not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad}); save it as UTF-8`,
    ]);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Refuses input larger than `maxBytes`, naming the size and the limit. */
export function checkSize(bytes: number, subject: string, field: string, maxBytes: number = MAX_EXECUTION_INPUT_BYTES): void {
  if (bytes > maxBytes)
    throw new InvalidInputError(subject, [
      `${field}: is ${bytes} bytes; at most ${maxBytes} bytes (${Math.round(maxBytes / 1024)} KiB) are accepted here`,
    ]);
}

/** Strictly decoded, size-checked JSON. Syntax errors are InvalidInputError on `field` too. */
export function parseJsonBytes(bytes: Uint8Array, subject: string, options: { field?: string; maxBytes?: number } = {}): unknown {
  const field = options.field ?? '(file)';
  checkSize(bytes.byteLength, subject, field, options.maxBytes ?? Number.POSITIVE_INFINITY);
  const text = decodeUtf8(bytes, subject, field);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError(subject, [`${field}: is not valid JSON: ${(err as Error).message}`]);
  }
}

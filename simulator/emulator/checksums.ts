/**
 * The object checksums S3 computes and verifies (S3 user guide, "Checking object integrity"): the
 * CRC family, SHA-1/SHA-256/SHA-512 and MD5, each carried base64-encoded in `x-amz-checksum-<name>`.
 * The CRCs are written out here (reflected, table-driven) so the emulator needs no native module.
 */
import { createHash } from 'node:crypto';

/** S3's names for the algorithms (the `x-amz-sdk-checksum-algorithm` values) the emulator verifies. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'SHA512', 'MD5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Algorithms S3 accepts that the emulator does not compute: refused as not implemented, never accepted unchecked. */
export const UNVERIFIED_ALGORITHMS = ['XXHASH64', 'XXHASH3', 'XXHASH128'] as const;

/** The digest size of each algorithm in bytes (a checksum header of another size is malformed). */
export const CHECKSUM_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32, SHA512: 64, MD5: 16 };

export const checksumHeader = (algorithm: string): string => `x-amz-checksum-${algorithm.toLowerCase()}`;

function crc32Table(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32_TABLE = crc32Table(0xedb88320);
const CRC32C_TABLE = crc32Table(0x82f63b78);

function crc32With(table: Uint32Array, data: Buffer): Buffer {
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out;
}

const CRC64NVME_POLY = 0x9a6c9329ac4bc9b5n;
const MASK64 = 0xffffffffffffffffn;
const CRC64_TABLE: bigint[] = Array.from({ length: 256 }, (_, n) => {
  let c = BigInt(n);
  for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ CRC64NVME_POLY : c >> 1n;
  return c;
});

function crc64nvme(data: Buffer): Buffer {
  let crc = MASK64;
  for (const byte of data) crc = CRC64_TABLE[Number((crc ^ BigInt(byte)) & 0xffn)] ^ (crc >> 8n);
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE((crc ^ MASK64) & MASK64);
  return out;
}

/** The checksum of `data`, base64-encoded as S3 sends it. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  switch (algorithm) {
    case 'CRC32':
      return crc32With(CRC32_TABLE, data).toString('base64');
    case 'CRC32C':
      return crc32With(CRC32C_TABLE, data).toString('base64');
    case 'CRC64NVME':
      return crc64nvme(data).toString('base64');
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
    case 'SHA512':
      return createHash('sha512').update(data).digest('base64');
    case 'MD5':
      return createHash('md5').update(data).digest('base64');
  }
}

/** True when `value` is canonical base64 of exactly `bytes` bytes. */
export function isBase64Of(value: string, bytes: number): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return false;
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === value;
}

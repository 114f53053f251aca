/**
 * IPv4 addresses and CIDR blocks, as far as launch settings need them: is a fixed private IP inside
 * its subnet, and is it one of the addresses AWS keeps for itself.
 *
 * AWS reserves five addresses in every subnet: the network address, .1 (VPC router), .2 (DNS),
 * .3 (future use) and the last (broadcast); an instance can never have them (Amazon VPC User Guide,
 * "Subnet CIDR blocks").
 */

/** The address as an unsigned 32-bit number, or undefined when it is not a dotted IPv4 address. */
export function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

export interface Cidr {
  /** the first address of the block */
  readonly network: number;
  readonly prefix: number;
  /** how many addresses the block holds */
  readonly size: number;
}

/** Parses `a.b.c.d/n`; undefined when it is not an IPv4 CIDR block. */
export function parseCidr(block: string): Cidr | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(block.trim());
  if (!m) return undefined;
  const address = ipv4ToNumber(m[1]);
  const prefix = Number(m[2]);
  if (address === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { network: address - (address % size), prefix, size };
}

export const cidrContains = (cidr: Cidr, address: number): boolean =>
  address >= cidr.network && address < cidr.network + cidr.size;

/** True for the five addresses AWS reserves in a subnet: the first four and the last. */
export const isReservedInSubnet = (cidr: Cidr, address: number): boolean =>
  address - cidr.network < 4 || address === cidr.network + cidr.size - 1;

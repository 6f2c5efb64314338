import { isIPv6 } from 'node:net';

/**
 * The key a client address counts under: an IPv4 address as it is (an IPv4-mapped IPv6 address as the IPv4
 * one), an IPv6 address by its /64 (one host or LAN usually holds a whole /64, so counting each address
 * would let it rotate through 2^64 of them), and requests whose address is unknown (the socket already
 * closed) together. `address` is Express's req.ip: the TCP peer, or what trusted proxies say (TRUST_PROXY).
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!isIPv6(address)) return address;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a zone or embedded IPv4 tail dropped), as lower-case hex. */
function ipv6Groups(address: string): string[] {
  const bare = address.split('%')[0].toLowerCase();
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(missing, 0)).fill('0'), ...right];
  return groups.map((group) => (group.includes('.') ? '0' : parseInt(group, 16).toString(16)));
}

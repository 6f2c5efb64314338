import { lookup as dnsLookup, promises as dnsPromises, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Server-side request forgery guard for webhook endpoints. A tenant chooses the URL, the service makes the
 * request from inside its network: without this, an endpoint could point at the cloud metadata service,
 * the database or an admin port. The URL is checked when an endpoint is saved (assertDeliverableUrl, for a
 * clear 400) and again on every delivery (guardedLookup), because a name that resolved to a public address
 * at creation can resolve to 127.0.0.1 a minute later (DNS rebinding).
 */

/** A resolver that returns every address of a name; tests inject one instead of DNS. */
export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** Why a URL may not be an endpoint. The message is for the API caller; it never echoes the URL itself. */
export class UnsafeUrlError extends Error {
  override readonly name = 'UnsafeUrlError';
}

/** A name that takes longer than this to resolve is refused rather than holding the request open. */
const LOOKUP_TIMEOUT_MS = 5_000;

// ipaddr.js calls these 'unicast' though no public host can have them.
const IPV4_BENCHMARKING = ipaddr.IPv4.parseCIDR('198.18.0.0/15');
// The only IPv6 block IANA allocates for global unicast. Outside it is special-purpose or unallocated,
// including ::/96 (IPv4-compatible, which embeds an IPv4 address without being 'ipv4Mapped') and 100::/64.
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

const RANGE_DESCRIPTIONS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local address',
  unspecified: 'an unspecified address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved address',
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'an IPv4-translated address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
};

/**
 * Null for a globally routable unicast address; otherwise what it is, as "a loopback address". Only the
 * canonical forms `net` accepts count as addresses ("127.1" is not one): what DNS and URL parsing produce.
 */
export function unsafeAddressReason(address: string): string | null {
  if (isIP(address) === 0) return 'not an IP address';
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns ::ffff:127.0.0.1 into 127.0.0.1, so a mapped address is judged as the IPv4 it reaches.
    parsed = ipaddr.process(address);
  } catch {
    return 'not an IP address';
  }
  const range = parsed.range();
  if (range !== 'unicast') return RANGE_DESCRIPTIONS[range] ?? 'not a public address';
  const special = parsed instanceof ipaddr.IPv4 ? parsed.match(IPV4_BENCHMARKING) : !parsed.match(IPV6_GLOBAL_UNICAST);
  if (special) return RANGE_DESCRIPTIONS.reserved;
  return null;
}

export function isPublicAddress(address: string): boolean {
  return unsafeAddressReason(address) === null;
}

/** The URL's host as an address when it is an IP literal (brackets removed), otherwise null. */
export function ipLiteralOf(url: URL): string | null {
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? null : host;
}

/**
 * For endpoint creation and update: the parsed URL, or UnsafeUrlError saying why not. Unless allowPrivate
 * (local development, tests), every address the host resolves to must be public: one private answer among
 * public ones is enough for a connection to land inside.
 */
export async function assertDeliverableUrl(raw: string, options: { allowPrivate: boolean; lookup?: LookupAll }): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('The endpoint URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsafeUrlError(`The endpoint URL must use http or https, not ${url.protocol.slice(0, -1)}.`);
  }
  // Credentials in a URL end up in logs and in every delivery record; the signature authenticates instead.
  if (url.username !== '' || url.password !== '') throw new UnsafeUrlError('The endpoint URL must not contain a username or password.');
  if (url.hostname === '') throw new UnsafeUrlError('The endpoint URL has no host.');
  if (options.allowPrivate) return url;

  const literal = ipLiteralOf(url);
  if (literal !== null) {
    const reason = unsafeAddressReason(literal);
    if (reason !== null) throw new UnsafeUrlError(`The endpoint host ${literal} is ${reason}.`);
    return url;
  }
  const addresses = await resolveAll(url.hostname, options.lookup ?? lookupAll);
  for (const { address } of addresses) {
    const reason = unsafeAddressReason(address);
    if (reason !== null) throw new UnsafeUrlError(`The endpoint host ${url.hostname} resolves to ${address}, ${reason}.`);
  }
  return url;
}

const lookupAll: LookupAll = (hostname) => dnsPromises.lookup(hostname, { all: true });

async function resolveAll(hostname: string, lookup: LookupAll): Promise<{ address: string; family: number }[]> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnsafeUrlError(`The endpoint host ${hostname} does not resolve within ${LOOKUP_TIMEOUT_MS} ms.`)), LOOKUP_TIMEOUT_MS);
    timer.unref();
  });
  let addresses: { address: string; family: number }[];
  try {
    addresses = await Promise.race([lookup(hostname), expiry]);
  } catch (error) {
    if (error instanceof UnsafeUrlError) throw error;
    throw new UnsafeUrlError(`The endpoint host ${hostname} does not resolve.`);
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw new UnsafeUrlError(`The endpoint host ${hostname} does not resolve.`);
  return addresses;
}

/**
 * A `lookup` for node:net / node:http used at delivery time: the addresses checked are the ones the socket
 * connects to, so there is no window between check and connect. Refuses (code EUNSAFEADDRESS) when any
 * address is not public, as assertDeliverableUrl does. Node skips `lookup` for IP literals: callers check
 * those with isPublicAddress themselves.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, options.all ? [] : '');
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), options.all ? [] : '');
      }
      if (!allowPrivate) {
        for (const { address } of addresses) {
          const reason = unsafeAddressReason(address);
          if (reason !== null) {
            const refusal = Object.assign(new Error(`${hostname} resolves to ${address}, ${reason}`), { code: 'EUNSAFEADDRESS' });
            return callback(refusal, options.all ? [] : '');
          }
        }
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

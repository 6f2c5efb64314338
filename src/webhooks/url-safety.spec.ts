import type { LookupAddress } from 'node:dns';
import { assertDeliverableUrl, guardedLookup, isPublicAddress, UnsafeUrlError, type LookupAll } from './url-safety.js';

describe('isPublicAddress', () => {
  const cases: [string, boolean][] = [
    // public
    ['8.8.8.8', true],
    ['93.184.216.34', true],
    ['1.1.1.1', true],
    ['172.15.255.255', true],
    ['172.32.0.1', true],
    ['100.63.255.255', true],
    ['100.128.0.1', true],
    ['2001:4860:4860::8888', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:8.8.8.8', true],
    // loopback
    ['127.0.0.1', false],
    ['127.255.255.254', false],
    ['::1', false],
    // private
    ['10.0.0.1', false],
    ['10.255.255.255', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    // link-local, including the cloud metadata service
    ['169.254.169.254', false],
    ['169.254.0.1', false],
    ['fe80::1', false],
    ['febf::1', false],
    // unique-local
    ['fc00::1', false],
    ['fd12:3456:789a::1', false],
    // unspecified
    ['0.0.0.0', false],
    ['0.1.2.3', false],
    ['::', false],
    // carrier-grade NAT
    ['100.64.0.1', false],
    ['100.127.255.255', false],
    // multicast, broadcast
    ['224.0.0.1', false],
    ['239.255.255.250', false],
    ['ff02::1', false],
    ['255.255.255.255', false],
    // reserved, documentation, benchmarking
    ['240.0.0.1', false],
    ['192.0.2.1', false],
    ['198.51.100.7', false],
    ['203.0.113.9', false],
    ['198.18.0.1', false],
    ['2001:db8::1', false],
    // IPv4 inside IPv6: judged as the IPv4 address they reach
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:7f00:1', false],
    ['::127.0.0.1', false],
    ['64:ff9b::7f00:1', false],
    ['2002:7f00:1::1', false],
    // not addresses
    ['', false],
    ['localhost', false],
    ['example.com', false],
    ['999.1.1.1', false],
    ['127.1', false],
    ['1.2.3', false],
    [' 8.8.8.8', false],
    ['8.8.8.8/32', false],
    ['[::1]', false],
  ];
  it.each(cases)('%p → %p', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('assertDeliverableUrl', () => {
  const strict = { allowPrivate: false };
  /** A resolver answering these addresses, remembering which names it was asked for. */
  function resolvingTo(...addresses: string[]): LookupAll & { asked: string[] } {
    const asked: string[] = [];
    const lookup = async (hostname: string) => {
      asked.push(hostname);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return Object.assign(lookup, { asked });
  }

  async function refusal(raw: string, options: Parameters<typeof assertDeliverableUrl>[1]): Promise<UnsafeUrlError> {
    try {
      await assertDeliverableUrl(raw, options);
    } catch (error) {
      expect(error).toBeInstanceOf(UnsafeUrlError);
      return error as UnsafeUrlError;
    }
    throw new Error(`${raw} was accepted`);
  }

  it('refuses what is not an absolute URL', async () => {
    expect((await refusal('not a url', strict)).message).toMatch(/not a valid absolute URL/);
    expect((await refusal('/hooks', strict)).message).toMatch(/not a valid absolute URL/);
  });

  it.each(['ftp://example.com/hook', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://example.com/'])('refuses %s as not http(s)', async (raw) => {
    expect((await refusal(raw, strict)).message).toMatch(/must use http or https/);
  });

  it('refuses credentials in the URL without repeating them', async () => {
    for (const raw of ['https://user:hunter2@example.com/hook', 'https://user@example.com/hook', 'https://:hunter2@example.com/hook']) {
      const error = await refusal(raw, { allowPrivate: true });
      expect(error.message).toMatch(/username or password/);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it.each([
    ['http://127.0.0.1/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://[::1]:8080/hook', /::1 is a loopback address/],
    ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254 is a link-local address/],
    ['http://[::ffff:127.0.0.1]/hook', /loopback/],
    ['http://10.1.2.3/hook', /private/],
    ['http://0x7f000001/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://0/hook', /unspecified/],
    ['http://[fe80::1]/hook', /link-local/],
  ])('refuses the IP literal in %s', async (raw, message) => {
    const lookup = resolvingTo('93.184.216.34');
    expect((await refusal(raw, { allowPrivate: false, lookup })).message).toMatch(message);
    expect(lookup.asked).toEqual([]);
  });

  it('refuses localhost through the real resolver', async () => {
    expect((await refusal('http://localhost:3000/hook', strict)).message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it('refuses a name that resolves to a private address', async () => {
    const error = await refusal('https://hooks.example.com/in', { allowPrivate: false, lookup: resolvingTo('10.0.0.5') });
    expect(error.message).toBe('The endpoint host hooks.example.com resolves to 10.0.0.5, a private address.');
  });

  it('refuses when any one of the addresses is not public', async () => {
    const error = await refusal('https://hooks.example.com/in', { allowPrivate: false, lookup: resolvingTo('93.184.216.34', '2001:4860:4860::8888', '169.254.169.254') });
    expect(error.message).toMatch(/169\.254\.169\.254, a link-local address/);
  });

  it('refuses a name that does not resolve', async () => {
    const failing: LookupAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    expect((await refusal('https://nowhere.invalid/', { allowPrivate: false, lookup: failing })).message).toMatch(/does not resolve/);
    expect((await refusal('https://empty.example/', { allowPrivate: false, lookup: resolvingTo() })).message).toMatch(/does not resolve/);
  });

  it('accepts a name that resolves only to public addresses', async () => {
    const lookup = resolvingTo('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946');
    const url = await assertDeliverableUrl('https://hooks.example.com/in?tenant=7', { allowPrivate: false, lookup });
    expect(url).toBeInstanceOf(URL);
    expect(url.href).toBe('https://hooks.example.com/in?tenant=7');
    expect(lookup.asked).toEqual(['hooks.example.com']);
  });

  it('accepts a public IP literal without resolving', async () => {
    await expect(assertDeliverableUrl('http://8.8.8.8/hook', strict)).resolves.toBeInstanceOf(URL);
    await expect(assertDeliverableUrl('http://[2001:4860:4860::8888]/hook', strict)).resolves.toBeInstanceOf(URL);
  });

  it('with allowPrivate accepts localhost and private literals', async () => {
    await expect(assertDeliverableUrl('http://localhost:3000/hook', { allowPrivate: true })).resolves.toBeInstanceOf(URL);
    await expect(assertDeliverableUrl('http://127.0.0.1:3000/hook', { allowPrivate: true })).resolves.toBeInstanceOf(URL);
    await expect(assertDeliverableUrl('http://[::1]:3000/hook', { allowPrivate: true })).resolves.toBeInstanceOf(URL);
  });
});

describe('guardedLookup', () => {
  type Answer = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };
  const lookUp = (allowPrivate: boolean, hostname: string, all: boolean): Promise<Answer> =>
    new Promise((resolve) => guardedLookup(allowPrivate)(hostname, { all }, (error, address, family) => resolve({ error, address, family })));

  it('refuses a name that resolves to a loopback address, naming it (all: false)', async () => {
    const { error } = await lookUp(false, 'localhost', false);
    expect(error?.code).toBe('EUNSAFEADDRESS');
    expect(error?.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it('refuses a name that resolves to a loopback address (all: true)', async () => {
    const { error } = await lookUp(false, 'localhost', true);
    expect(error?.code).toBe('EUNSAFEADDRESS');
  });

  it('with allowPrivate answers one address when all is false', async () => {
    const { error, address, family } = await lookUp(true, 'localhost', false);
    expect(error).toBeNull();
    expect(typeof address).toBe('string');
    expect([4, 6]).toContain(family);
  });

  it('with allowPrivate answers every address when all is true', async () => {
    const { error, address } = await lookUp(true, 'localhost', true);
    expect(error).toBeNull();
    expect(Array.isArray(address)).toBe(true);
    expect((address as LookupAddress[]).map((entry) => entry.address)).toEqual(expect.arrayContaining([expect.stringMatching(/^(127\.0\.0\.1|::1)$/)]));
  });

  it('passes resolver errors through', async () => {
    const { error } = await lookUp(true, 'nowhere.invalid', false);
    expect(error).not.toBeNull();
    expect(error?.code).not.toBe('EUNSAFEADDRESS');
  });
});

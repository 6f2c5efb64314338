import { trustProxySetting, validateEnvironment } from './environment.js';

describe('validateEnvironment', () => {
  it('fills defaults', () => {
    const env = validateEnvironment({});
    expect(env.PORT).toBe(3000);
    expect(env.DB_POOL_SIZE).toBe(10);
  });

  it('names the variable that is wrong', () => {
    expect(() => validateEnvironment({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => validateEnvironment({ API_KEYS: 'no-secret' })).toThrow(/API_KEYS/);
    expect(() => validateEnvironment({ DB_POOL_SIZE: '0' })).toThrow(/DB_POOL_SIZE/);
  });

  it('refuses production without API_KEYS and DATABASE_URL', () => {
    expect(() => validateEnvironment({ NODE_ENV: 'production' })).toThrow(/production/);
    expect(validateEnvironment({ NODE_ENV: 'production', API_KEYS: 'shop:0123456789', DATABASE_URL: 'postgres://x@y/z' }).NODE_ENV).toBe('production');
  });
});

describe('rate-limit settings', () => {
  it('turns both limits on by default: 1,000 requests per key per second, 100 failed authentications per address per minute', () => {
    const env = validateEnvironment({});
    expect([env.RATE_LIMIT_REQUESTS, env.RATE_LIMIT_WINDOW_MS]).toEqual([1_000, 1_000]);
    expect([env.RATE_LIMIT_AUTH_FAILURES, env.RATE_LIMIT_AUTH_WINDOW_MS]).toEqual([100, 60_000]);
    expect(env.TRUST_PROXY).toBe('false');
  });

  it('takes 0 for off, and windows only in whole seconds', () => {
    expect(validateEnvironment({ RATE_LIMIT_REQUESTS: '0', RATE_LIMIT_AUTH_FAILURES: '0' })).toMatchObject({ RATE_LIMIT_REQUESTS: 0, RATE_LIMIT_AUTH_FAILURES: 0 });
    expect(validateEnvironment({ RATE_LIMIT_WINDOW_MS: '60000', RATE_LIMIT_AUTH_WINDOW_MS: '3600000' }).RATE_LIMIT_WINDOW_MS).toBe(60_000);
    expect(() => validateEnvironment({ RATE_LIMIT_WINDOW_MS: '1500' })).toThrow(/RATE_LIMIT_WINDOW_MS.*whole number of seconds/);
    expect(() => validateEnvironment({ RATE_LIMIT_WINDOW_MS: '500' })).toThrow(/RATE_LIMIT_WINDOW_MS/);
    expect(() => validateEnvironment({ RATE_LIMIT_AUTH_WINDOW_MS: '7200000' })).toThrow(/RATE_LIMIT_AUTH_WINDOW_MS/);
    expect(() => validateEnvironment({ RATE_LIMIT_REQUESTS: '-1' })).toThrow(/RATE_LIMIT_REQUESTS/);
    expect(() => validateEnvironment({ RATE_LIMIT_AUTH_FAILURES: 'many' })).toThrow(/RATE_LIMIT_AUTH_FAILURES/);
  });

  it.each(['true', 'false', '1', '2', 'loopback', '10.0.0.0/8', '10.0.0.1, 10.0.0.2', 'loopback,uniquelocal,fd00::/8', '::1'])(
    'TRUST_PROXY=%s is accepted',
    (value) => {
      expect(validateEnvironment({ TRUST_PROXY: value }).TRUST_PROXY).toBe(value);
    },
  );

  it.each(['yes', '', '10.0.0.0/33', '10.0.0.300', 'loopback/8', 'proxy.internal', '10.0.0.1;10.0.0.2', '::1/129', '1/2/3'])('TRUST_PROXY=%j is refused', (value) => {
    expect(() => validateEnvironment({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
  });

  it('hands TRUST_PROXY to Express as a boolean, a hop count or the list', () => {
    expect(trustProxySetting('false')).toBe(false);
    expect(trustProxySetting('true')).toBe(true);
    expect(trustProxySetting(' 2 ')).toBe(2);
    expect(trustProxySetting('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
  });
});

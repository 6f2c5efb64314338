import { validateEnvironment } from './environment.js';

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

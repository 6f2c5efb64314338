import type { Response } from 'express';
import { FixedWindowLimiter } from './fixed-window-limiter.js';

/** A response that only records the headers set on it. */
function fakeResponse(): Response & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return { headers, setHeader: (name: string, value: string) => ((headers[name] = value), undefined) } as never;
}

describe('FixedWindowLimiter', () => {
  // An hour-long window: nothing here depends on time passing.
  const policy = { name: 'api-key', limit: 3, windowSeconds: 3_600 };

  it('counts each key on its own and says what is left in the IETF draft headers', async () => {
    const limiter = new FixedWindowLimiter(policy);
    const states = [];
    for (let i = 0; i < 4; i++) states.push(await limiter.count('a'));
    expect(states.map((s) => s.used)).toEqual([1, 2, 3, 4]);
    expect(states.map((s) => limiter.isOver(s))).toEqual([false, false, false, true]);
    expect(states.map((s) => limiter.isSpent(s))).toEqual([false, false, true, true]);
    expect((await limiter.count('b')).used).toBe(1);

    const response = fakeResponse();
    limiter.describe(response, states[0]);
    expect(response.headers['RateLimit-Policy']).toBe('"api-key";q=3;w=3600');
    expect(response.headers.RateLimit).toMatch(/^"api-key";r=2;t=(3600|3599)$/);
    expect(response.headers['Retry-After']).toBeUndefined();
  });

  it('a refusal says r=0 and how long to wait, in whole seconds, at least 1', async () => {
    const limiter = new FixedWindowLimiter(policy);
    const response = fakeResponse();
    expect(limiter.refuse(response, { used: 4, resetInMs: 1_200 })).toBe(2);
    expect(response.headers).toEqual({ 'RateLimit-Policy': '"api-key";q=3;w=3600', RateLimit: '"api-key";r=0;t=2', 'Retry-After': '2' });
    expect(limiter.refuse(fakeResponse(), { used: 4, resetInMs: 0 })).toBe(1);
  });

  it('peeks without counting', async () => {
    const limiter = new FixedWindowLimiter(policy);
    expect(await limiter.peek('a')).toBeNull();
    await limiter.count('a');
    expect((await limiter.peek('a'))?.used).toBe(1);
    expect((await limiter.peek('a'))?.used).toBe(1);
  });

  it('refuses a policy it could not state in the headers', () => {
    expect(() => new FixedWindowLimiter({ ...policy, name: 'has space' })).toThrow(/token/);
    expect(() => new FixedWindowLimiter({ ...policy, limit: 0 })).toThrow(/positive/);
    expect(() => new FixedWindowLimiter({ ...policy, windowSeconds: 0.5 })).toThrow(/whole seconds/);
  });
});

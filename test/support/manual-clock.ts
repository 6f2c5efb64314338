import type { INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { Clock } from '../../src/common/clock/clock.js';

export interface ManualClock {
  readonly now: Date;
  set(at: Date): void;
  advance(ms: number): void;
  restore(): void;
}

/**
 * Takes over the service's clock: every write and every expiry decision then happens at the time the
 * test sets, so expiry is tested without sleeping.
 */
export function manualClock(app: INestApplication, start = new Date()): ManualClock {
  let now = start;
  const spy = jest.spyOn(app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
  return {
    get now() {
      return now;
    },
    set(at) {
      now = at;
    },
    advance(ms) {
      now = new Date(now.getTime() + ms);
    },
    restore() {
      spy.mockRestore();
    },
  };
}

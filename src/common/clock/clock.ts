import { Injectable } from '@nestjs/common';

/**
 * The service's notion of "now", passed to every SQL function that writes money or decides expiry,
 * so that one movement stamps one time everywhere and tests can move time without sleeping
 * (`jest.spyOn(app.get(Clock), "now")`). A Date carries milliseconds, the precision the API shows.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

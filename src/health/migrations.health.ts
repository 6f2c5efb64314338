import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

/** Ready only when every migration the code ships has been applied to the database it talks to. */
@Injectable()
export class MigrationsHealthIndicator {
  /** Latched by the first check that finds nothing pending: migrations never become unapplied under a running service. */
  private appliedOnce = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly indicator: HealthIndicatorService,
  ) {}

  /** Asks the database every time; a database that does not answer within `timeoutMs` counts as down. */
  async isApplied(key: string, timeoutMs: number) {
    const check = this.indicator.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      const pending = await Promise.race([
        this.dataSource.showMigrations(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (pending) return check.down({ message: 'migrations pending' });
      this.appliedOnce = true;
      return check.up();
    } catch {
      // The reason (a driver message) stays out of the response; the database check beside this one names the outage.
      return check.down({ message: 'could not read the applied migrations' });
    } finally {
      clearTimeout(timer);
    }
  }

  /** For the startup probe: asks the database until it has once seen every migration applied, then never again. */
  async wereApplied(key: string, timeoutMs: number) {
    if (this.appliedOnce) return this.indicator.check(key).up();
    return this.isApplied(key, timeoutMs);
  }
}

import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

/** Ready only when every migration the code ships has been applied to the database it talks to. */
@Injectable()
export class MigrationsHealthIndicator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async isApplied(key: string) {
    const check = this.indicator.check(key);
    const pending = await this.dataSource.showMigrations();
    return pending ? check.down({ message: 'migrations pending' }) : check.up();
  }
}

import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { MigrationsHealthIndicator } from './migrations.health.js';

const DATABASE_PING_TIMEOUT_MS = 1_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly migrations: MigrationsHealthIndicator,
  ) {}

  /** Liveness does no I/O: a database outage must not make the orchestrator restart healthy processes. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process can serve' })
  @ApiOkResponse({ description: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 when the database answers and migrations are applied, else 503' })
  @ApiOkResponse({ description: 'The database answers and every migration is applied' })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer within 1 s, or migrations are pending' })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
      () => this.migrations.isApplied('migrations'),
    ]);
  }
}

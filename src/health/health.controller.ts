import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DomainError } from '../common/errors/domain-error.js';
import { ProblemDto } from '../common/http/problem.dto.js';
import { MigrationsHealthIndicator } from './migrations.health.js';
import { ShutdownSignal } from './shutdown-signal.js';

/** Each check of a probe gets this long; a database that hangs makes the probe answer 503, not hang with it. */
const CHECK_TIMEOUT_MS = 1_000;

class LiveDto {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

class CheckStatusDto {
  @ApiProperty({ enum: ['up'] }) status: 'up';
}

/** Terminus' answer when every check passed. */
class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({ type: 'object', maxProperties: 10, additionalProperties: { $ref: getSchemaPath(CheckStatusDto) }, example: { database: { status: 'up' }, migrations: { status: 'up' } } })
  info: Record<string, CheckStatusDto>;
  @ApiProperty({ type: 'object', maxProperties: 10, additionalProperties: { type: 'object' }, example: {} }) error: Record<string, unknown>;
  @ApiProperty({ type: 'object', maxProperties: 10, additionalProperties: { $ref: getSchemaPath(CheckStatusDto) }, example: { database: { status: 'up' }, migrations: { status: 'up' } } })
  details: Record<string, CheckStatusDto>;
}

const notReady = (description: string) =>
  ApiResponse({
    status: 503,
    description: `SERVICE_UNAVAILABLE: ${description}. The detail names the failing checks; Retry-After is set.`,
    headers: { 'Retry-After': { description: 'Seconds to wait before asking again', schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 3600 } } },
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
  });

/**
 * The three probes, outside /v1 and without a key. Liveness does no I/O: a database outage must not make
 * the orchestrator restart healthy processes. Readiness asks the database; startup asks it only until
 * the migrations have been seen applied once.
 */
@ApiTags('health')
@ApiExtraModels(ProblemDto, CheckStatusDto)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly migrations: MigrationsHealthIndicator,
    private readonly shutdown: ShutdownSignal,
  ) {}

  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Liveness: 200 while the process can serve',
    description: 'Does no I/O, so it stays 200 while the database is down and while the process drains on SIGTERM.',
  })
  @ApiOkResponse({ type: LiveDto, description: 'The process is up' })
  live(): LiveDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness: 200 when the database answers and migrations are applied, else 503',
    description:
      `Pings the database and reads the applied migrations, each within ${CHECK_TIMEOUT_MS} ms. Answers 503 while the ` +
      'database is down or hangs (and 200 again once it is back, without a restart), and from SIGTERM on while the ' +
      'process drains, so load balancers stop sending it work.',
  })
  @ApiOkResponse({ type: HealthDto, description: 'The database answers and every migration is applied' })
  @notReady(`the database does not answer within ${CHECK_TIMEOUT_MS} ms, migrations are pending, or the process is shutting down`)
  async ready(): Promise<HealthCheckResult> {
    if (this.shutdown.shuttingDown) throw new DomainError('SERVICE_UNAVAILABLE', 'Not ready: shutting down.');
    return this.run([
      () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
      () => this.migrations.isApplied('migrations', CHECK_TIMEOUT_MS),
    ]);
  }

  @Get('startup')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Startup: 200 once the migrations are applied, and from then on',
    description:
      'For a startupProbe. The service runs its migrations before it listens; this answers 200 once it has seen every ' +
      'migration applied and never asks the database again after that (readiness watches the database).',
  })
  @ApiOkResponse({ type: HealthDto, description: 'Every migration is applied' })
  @notReady(`the applied migrations could not be read within ${CHECK_TIMEOUT_MS} ms, or some are pending`)
  startup(): Promise<HealthCheckResult> {
    return this.run([() => this.migrations.wereApplied('migrations', CHECK_TIMEOUT_MS)]);
  }

  /** Terminus answers a failed check with a 503 carrying its report; the caller gets problem+json naming the checks. */
  private async run(checks: Parameters<HealthCheckService['check']>[0]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const report = error.getResponse() as Partial<HealthCheckResult>;
      const failing = Object.keys(report.error ?? {});
      throw new DomainError('SERVICE_UNAVAILABLE', `Not ready: ${failing.length > 0 ? failing.join(', ') : 'a check failed'}.`);
    }
  }
}

import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/**
 * Every environment variable the service reads, validated once at boot: a bad value stops the
 * process with a message naming the variable instead of failing on the first request.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  PORT = 3000;

  /** PostgreSQL URL; when unset an embedded PostgreSQL is started under EMBEDDED_PG_DIR. */
  @IsOptional() @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /** Comma-separated `name:secret` entries. */
  @IsOptional() @IsString()
  @Matches(/^\s*[A-Za-z0-9_.-]{1,64}:[^,:\s]{8,256}\s*(,\s*[A-Za-z0-9_.-]{1,64}:[^,:\s]{8,256}\s*)*$/, {
    message: 'API_KEYS must be a comma-separated list of name:secret entries (secret at least 8 characters)',
  })
  API_KEYS?: string;

  /** Signs list cursors; every replica needs the same value. Defaults to a digest of API_KEYS. */
  @IsOptional() @IsString() @MinLength(16)
  CURSOR_SECRET?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** One log line per request; off trades the access log for throughput. */
  @IsIn(['true', 'false'])
  LOG_REQUESTS = 'true';

  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DB_POOL_SIZE = 10;

  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  DB_CONNECTION_TIMEOUT_MS = 2_000;

  /** How long a money movement may wait for a wallet row lock before it answers 503. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  DB_LOCK_TIMEOUT_MS = 2_000;

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  DB_STATEMENT_TIMEOUT_MS = 5_000;

  @IsString()
  EMBEDDED_PG_DIR = '.data/postgres';

  @Transform(toInt) @IsInt() @Min(1024) @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  /** How often due holds are marked expired in the background; 0 turns the sweeper off (reads never depend on it). */
  @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  HOLD_SWEEP_INTERVAL_MS = 5_000;

  /** Idempotency records are kept at least this long, then pruned. */
  @Transform(toInt) @IsInt() @Min(24) @Max(24 * 365)
  IDEMPOTENCY_TTL_HOURS = 24;
}

export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (env.NODE_ENV === 'production' && (!env.API_KEYS || !env.DATABASE_URL)) {
    throw new Error('Invalid configuration: NODE_ENV=production needs API_KEYS and DATABASE_URL');
  }
  return env;
}

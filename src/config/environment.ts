import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsDivisibleBy, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateBy, validateSync } from 'class-validator';
import { isIP } from 'node:net';

const SCOPE_PATTERN = '(wallets:read|wallets:write|admin)';
const API_KEY_ENTRY = `[A-Za-z0-9_.-]{1,64}:[^,:\\s]{8,256}(:[A-Za-z0-9_.-]{1,64}:${SCOPE_PATTERN}(\\|${SCOPE_PATTERN})*)?`;

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** true, false, a hop count, or a comma-separated list of addresses, subnets (address/bits) and proxy-addr's names. */
function isTrustProxy(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const trimmed = value.trim();
  if (/^(true|false|\d{1,2})$/.test(trimmed)) return true;
  return trimmed.split(',').every((entry) => {
    const [address, bits, extra] = entry.trim().split('/');
    if (extra !== undefined) return false;
    if (PROXY_NAMES.includes(address)) return bits === undefined;
    const family = isIP(address);
    if (family === 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
}

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
/** 'true' and 'false' only: anything else stays as given and fails @IsBoolean, naming the variable. */
const toBoolean = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : value === 'true' ? true : value === 'false' ? false : value;

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

  /** Comma-separated `name:secret` (tenant `default`, all scopes) or `name:secret:tenant:scope|scope` entries. */
  @IsOptional() @IsString()
  @Matches(new RegExp(`^\\s*${API_KEY_ENTRY}\\s*(,\\s*${API_KEY_ENTRY}\\s*)*$`), {
    message:
      'API_KEYS must be a comma-separated list of name:secret or name:secret:tenant:scope|scope entries ' +
      '(secret at least 8 characters; scopes wallets:read, wallets:write, admin)',
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

  /**
   * Money moves posted at once, each group one statement and one transaction; moves that arrive while all
   * are busy wait and go out together in the next group (group posting). Below DB_POOL_SIZE, so reads
   * always find a connection.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  POSTING_MAX_IN_FLIGHT = 4;

  /** The most moves one group may carry. 1 turns group posting off: every move is its own statement. */
  @Transform(toInt) @IsInt() @Min(1) @Max(500)
  POSTING_MAX_GROUP_SIZE = 32;

  /** How long a money movement may wait for a wallet row lock before it answers 503. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  DB_LOCK_TIMEOUT_MS = 2_000;

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  DB_STATEMENT_TIMEOUT_MS = 5_000;

  @IsString()
  EMBEDDED_PG_DIR = '.data/postgres';

  @Transform(toInt) @IsInt() @Min(1024) @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  /** How long a key stored in the database (and an unknown secret) is remembered; a revocation takes this long to bite. */
  @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  API_KEY_CACHE_TTL_MS = 30_000;

  /** How often due holds are marked expired in the background; 0 turns the sweeper off (reads never depend on it). */
  @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  HOLD_SWEEP_INTERVAL_MS = 5_000;

  /** Idempotency records are kept at least this long, then pruned. */
  @Transform(toInt) @IsInt() @Min(24) @Max(24 * 365)
  IDEMPOTENCY_TTL_HOURS = 24;

  /**
   * Webhook delivery runs inside this process unless false; then a separate `npm run worker` process (its own
   * Deployment) delivers. Any number of processes may deliver side by side: they claim deliveries with
   * FOR UPDATE SKIP LOCKED.
   */
  @Transform(toBoolean) @IsBoolean()
  WEBHOOK_WORKER = true;

  /** The first retry of a failed delivery waits this long; each later one twice as long, with jitter, up to an hour. */
  @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000)
  WEBHOOK_RETRY_BASE_MS = 5_000;

  /** A delivery is retried for this long after its first attempt (24 h by default), then marked failed; it can be re-sent. */
  @Transform(toInt) @IsInt() @Min(1_000) @Max(30 * 24 * 3_600_000)
  WEBHOOK_RETRY_FOR_MS = 24 * 3_600_000;

  /** One attempt (connect, answer, body) may take this long; past it the attempt failed and is retried. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Endpoint URLs that resolve to loopback, private or link-local addresses are refused unless true (server-side request forgery). */
  @Transform(toBoolean) @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  /** Attempts in flight at once, per process, in all and per endpoint: a slow receiver cannot take every slot. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000)
  WEBHOOK_MAX_CONCURRENCY = 32;

  @Transform(toInt) @IsInt() @Min(1) @Max(100)
  WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT = 4;

  /** How often a delivering process looks for new events and due retries. */
  @Transform(toInt) @IsInt() @Min(10) @Max(60_000)
  WEBHOOK_POLL_INTERVAL_MS = 500;

  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open. */
  @IsOptional() @Matches(/^\S{16,256}$/, { message: 'METRICS_TOKEN must be 16–256 characters without spaces' })
  METRICS_TOKEN?: string;

  /**
   * Rate limit per API key, on by default: at most this many /v1 requests per key in each RATE_LIMIT_WINDOW_MS
   * (a fixed window that opens with the key's first request), counted in each process; more answer 429
   * RATE_LIMITED with Retry-After. 0 turns it off. The default, 1,000 per second, is several times what a
   * busy shop's backend sends and about a third of what one process serves on two cores: a runaway client
   * cannot take a whole replica from the other keys, and nobody integrating normally meets it (README: sizing).
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000)
  RATE_LIMIT_REQUESTS = 1_000;

  /** Whole seconds, as the RateLimit-Policy header states windows in seconds. */
  @Transform(toInt) @IsInt() @Min(1_000) @Max(3_600_000) @IsDivisibleBy(1_000, { message: 'RATE_LIMIT_WINDOW_MS must be a whole number of seconds (a multiple of 1000)' })
  RATE_LIMIT_WINDOW_MS = 1_000;

  /**
   * Failed authentication bounded per client address: after this many 401s (no key, a malformed or unknown
   * one) from one address in RATE_LIMIT_AUTH_WINDOW_MS, every further request from it answers 429
   * RATE_LIMITED with Retry-After until the window ends, before any key is compared. 0 turns it off. The
   * address is Express's req.ip, so behind a proxy set TRUST_PROXY; IPv6 addresses count per /64.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000)
  RATE_LIMIT_AUTH_FAILURES = 100;

  @Transform(toInt) @IsInt() @Min(1_000) @Max(3_600_000) @IsDivisibleBy(1_000, { message: 'RATE_LIMIT_AUTH_WINDOW_MS must be a whole number of seconds (a multiple of 1000)' })
  RATE_LIMIT_AUTH_WINDOW_MS = 60_000;

  /**
   * Which proxies in front of the service to believe about the client's address (X-Forwarded-For), as
   * Express's `trust proxy`: false (the default: the TCP peer is the client), a number of proxy hops, or a
   * comma-separated list of proxy addresses or subnets (`10.0.0.0/8`, `loopback`, `uniquelocal`). Only the
   * failed-authentication bound reads the client's address. `true` believes any X-Forwarded-For: only behind
   * a proxy that overwrites it.
   */
  @ValidateBy({ name: 'isTrustProxy', validator: { validate: isTrustProxy } }, {
    message: 'TRUST_PROXY must be true, false, a number of proxy hops, or a comma-separated list of IP addresses, subnets (address/bits) or loopback|linklocal|uniquelocal',
  })
  TRUST_PROXY = 'false';

  /**
   * Every request has its status line within this time, or answers 503 SERVICE_UNAVAILABLE with Retry-After.
   * Keep it above DB_STATEMENT_TIMEOUT_MS, so the database's own timeouts (which roll the work back) fire first.
   */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  REQUEST_TIMEOUT_MS = 8_000;

  /** Browser origins allowed to call the API (comma-separated, e.g. `https://shop.example,https://admin.shop.example`); unset: no CORS. */
  @IsOptional()
  @Matches(/^\s*https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\s*(,\s*https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\s*)*$/, {
    message: 'CORS_ORIGINS must be a comma-separated list of origins such as https://shop.example (scheme, host, optional port; no path)',
  })
  CORS_ORIGINS?: string;

  /**
   * After SIGTERM, readiness answers 503 at once but the server keeps serving this long before it stops
   * accepting connections, so load balancers stop sending traffic first. Counts against the 10 s shutdown deadline.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(5_000)
  SHUTDOWN_DELAY_MS = 0;
}

/** TRUST_PROXY as Express's `trust proxy` setting takes it: a boolean, a hop count, or the list as it is. */
export function trustProxySetting(value: string): boolean | number | string {
  const trimmed = value.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
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

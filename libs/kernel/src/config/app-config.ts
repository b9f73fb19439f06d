import 'reflect-metadata';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import type { DestinationPolicy } from '../network/destination-policy.js';

/** Which infrastructure an app talks to; variables for the others are not required. */
export interface AppDependencies {
  database: boolean;
  redis: boolean;
  /** Serves the admin API: ADMIN_TOKEN is required. */
  admin?: boolean;
  /** Reads provider credentials: CREDENTIALS_KEY is required. */
  credentials?: boolean;
}

const toBoolean = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase()) : value;

/** A whole number within bounds, converted from its environment string, with one clear message. */
function IntegerInRange(min: number, max: number, unit = ''): PropertyDecorator {
  return (target, property) => {
    const message = `${String(property)} must be a whole number${unit} from ${min} to ${max}`;
    for (const decorator of [Type(() => Number), IsInt({ message }), Min(min, { message }), Max(max, { message })])
      decorator(target, property);
  };
}

const postgresUrl = /^postgres(ql)?:\/\/[^\s]+$/;
const redisUrl = /^rediss?:\/\/[^\s]+$/;

/**
 * Every environment variable an app reads, validated once at start-up. Nothing outside
 * libs/kernel (config/) reads process.env.
 */
export class AppConfig {
  /** Set by loadConfig from the app, not from the environment. */
  appName = '';
  uses: AppDependencies = { database: false, redis: false };

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IntegerInRange(0, 65535)
  PORT = 0;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  /** The address other services (and Consul's HTTP check) reach this app at. */
  @IsString()
  @MinLength(1)
  SERVICE_ADDRESS = '127.0.0.1';

  /** Defaults to <app>-<address>-<port>; unique per replica. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'SERVICE_ID may hold letters, digits, ".", "_" and "-" only' })
  SERVICE_ID?: string;

  /**
   * Labels the running build in Consul meta ("build"), over the commit the build recorded: for an
   * image built without --build-arg BUILD_ID.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._+-]{1,64}$/, { message: 'BUILD_ID must be 1-64 letters, digits, ".", "_", "+" or "-"' })
  BUILD_ID?: string;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'CONSUL_HTTP_ADDR must be an http(s) URL such as http://127.0.0.1:8500' },
  )
  CONSUL_HTTP_ADDR = 'http://127.0.0.1:8500';

  @IsOptional()
  @IsString()
  CONSUL_HTTP_TOKEN?: string;

  /**
   * A file holding the Consul token instead of CONSUL_HTTP_TOKEN. It is read again when it changes,
   * so a token is rotated without a restart (consul/scripts/rotate_app_token.sh).
   */
  @IsOptional()
  @IsString()
  CONSUL_HTTP_TOKEN_FILE?: string;

  @IsOptional()
  @Matches(/^[a-z0-9_-]+$/, { message: 'CONSUL_DATACENTER must be a datacenter name such as dc1' })
  CONSUL_DATACENTER?: string;

  /** CA bundle for an https CONSUL_HTTP_ADDR. */
  @IsOptional()
  @IsString()
  CONSUL_CACERT?: string;

  /** Register this app in Consul at start-up (and deregister at shutdown). */
  @Transform(toBoolean)
  @IsBoolean()
  CONSUL_REGISTER = true;

  /**
   * Consul Connect: the upstreams this app's sidecar proxy listens for, as service:localPort pairs
   * (e.g. "postgres:15432,redis:16379"); DATABASE_URL and REDIS_URL then name those local ports.
   * When set, the app registers with a sidecar service for `consul connect proxy -sidecar-for`.
   */
  @Matches(
    /^$|^[a-z0-9-]+:([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])(,[a-z0-9-]+:([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]))*$/,
    {
      message:
        'CONSUL_CONNECT_UPSTREAMS must be service:port pairs (ports 1-65535) separated by commas, such as postgres:15432,redis:16379',
    },
  )
  CONSUL_CONNECT_UPSTREAMS = '';

  /** The port the sidecar proxy accepts mesh connections on (Consul picks one from 21000-21255 when unset). */
  @IsOptional()
  @IntegerInRange(1, 65_535)
  CONSUL_CONNECT_SIDECAR_PORT?: number;

  /** The upstreams of CONSUL_CONNECT_UPSTREAMS, parsed. */
  get connectUpstreams(): { service: string; localPort: number }[] {
    if (!this.CONSUL_CONNECT_UPSTREAMS) return [];
    return this.CONSUL_CONNECT_UPSTREAMS.split(',').map((pair) => {
      const [service, port] = pair.split(':');
      return { service: service!, localPort: Number(port) };
    });
  }

  /** How often Consul calls this app's readiness endpoint. */
  @Matches(/^\d+(ms|s|m)$/, { message: 'CONSUL_CHECK_INTERVAL must be a duration such as 5s' })
  CONSUL_CHECK_INTERVAL = '5s';

  /** How long Consul keeps a critical registration before removing it. */
  @Matches(/^\d+(ms|s|m|h)$/, { message: 'CONSUL_DEREGISTER_CRITICAL_AFTER must be a duration such as 1m or 90s' })
  CONSUL_DEREGISTER_CRITICAL_AFTER = '1m';

  @ValidateIf((config: AppConfig) => config.uses.database)
  @IsDefined({
    message:
      'DATABASE_URL is required by this app and is not set (e.g. postgresql://postgres@127.0.0.1:5432/switchboard)',
  })
  @Matches(postgresUrl, {
    message: 'DATABASE_URL must be a postgresql:// URL, e.g. postgresql://postgres@127.0.0.1:5432/switchboard',
  })
  DATABASE_URL?: string;

  @ValidateIf((config: AppConfig) => config.uses.redis)
  @IsDefined({ message: 'REDIS_URL is required by this app and is not set (e.g. redis://127.0.0.1:6379)' })
  @Matches(redisUrl, { message: 'REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' })
  REDIS_URL?: string;

  /** Bearer token of the admin API (at least 16 characters). */
  @ValidateIf((config: AppConfig) => config.uses.admin === true)
  @IsDefined({ message: 'ADMIN_TOKEN is required by this app and is not set (a random string of 16+ characters)' })
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters long' })
  ADMIN_TOKEN?: string;

  /**
   * Key that encrypts provider API keys at rest (AES-256-GCM): 32 bytes as 64 hex characters or
   * base64. Losing it makes stored keys unreadable; rotate by re-entering the keys.
   */
  @ValidateIf((config: AppConfig) => config.uses.credentials === true)
  @IsDefined({
    message: 'CREDENTIALS_KEY is required by this app and is not set (32 random bytes: openssl rand -hex 32)',
  })
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'CREDENTIALS_KEY must be 32 bytes as 64 hex characters or 44 base64 characters (openssl rand -hex 32)',
  })
  CREDENTIALS_KEY?: string;

  /**
   * Provider instances may point at loopback and private addresses (self-hosted model servers);
   * false refuses them too. Link-local and cloud metadata addresses are refused either way.
   */
  @Transform(toBoolean)
  @IsBoolean()
  INSTANCE_URL_ALLOW_PRIVATE = true;

  /**
   * The only environment variables an instance may read its key from (apiKeyEnv) start with this,
   * so an admin cannot have the apps' own secrets (or anything else in their environment) sent to
   * an instance's host as its "key".
   */
  @Matches(/^[A-Z][A-Z0-9_]{0,63}$/, {
    message:
      'INSTANCE_KEY_ENV_PREFIX must be the start of an environment variable name, such as SWITCHBOARD_PROVIDER_KEY_',
  })
  INSTANCE_KEY_ENV_PREFIX = 'SWITCHBOARD_PROVIDER_KEY_';

  /**
   * The only variables a model server that registered itself in Consul may name as its key
   * (switchboard_api_key_env). Apart from INSTANCE_KEY_ENV_PREFIX on purpose: whoever may register
   * an ai-provider-* service in Consul chooses where such a key is sent, so managed instances'
   * keys must be out of its reach.
   */
  @Matches(/^[A-Z][A-Z0-9_]{0,63}$/, {
    message:
      'DISCOVERED_KEY_ENV_PREFIX must be the start of an environment variable name, such as SWITCHBOARD_DISCOVERED_KEY_',
  })
  DISCOVERED_KEY_ENV_PREFIX = 'SWITCHBOARD_DISCOVERED_KEY_';

  /** How often each provider instance is probed. */
  @IntegerInRange(200, 3_600_000, ' of milliseconds')
  PROBE_INTERVAL_MS = 10_000;

  @IntegerInRange(100, 60_000, ' of milliseconds')
  PROBE_TIMEOUT_MS = 5_000;

  /** Consecutive failed probes that turn an instance's check to warning, and to critical. */
  @IntegerInRange(1, 100)
  HEALTH_WARN_AFTER_FAILURES = 1;

  @IntegerInRange(1, 100)
  HEALTH_CRITICAL_AFTER_FAILURES = 3;

  /** Consecutive good probes that bring a failing instance back to passing. */
  @IntegerInRange(1, 100)
  HEALTH_RECOVER_AFTER_SUCCESSES = 2;

  /**
   * How often each replica reports to Redis what the monitoring dashboard shows: a gateway's
   * traffic counts, in-flight attempts and circuits; every app's memory and event-loop delay.
   */
  @IntegerInRange(200, 60_000, ' of milliseconds')
  REPORT_INTERVAL_MS = 5_000;

  /** How often the database and Consul are compared and Consul brought in line (anti-entropy). */
  @IntegerInRange(500, 3_600_000, ' of milliseconds')
  RECONCILE_INTERVAL_MS = 5_000;

  /** Time allowed for in-flight requests to finish after SIGTERM. */
  @IntegerInRange(0, 600_000, ' of milliseconds')
  SHUTDOWN_GRACE_MS = 10_000;

  // ---- HTTP edge: limits every app applies before a handler runs ----------------------------

  /** The largest chat request body the gateway reads: vision requests carry images as base64. */
  @IntegerInRange(1024, 1_073_741_824, ' of bytes')
  GATEWAY_MAX_BODY_BYTES = 50 * 1024 * 1024;

  /** The largest request body of the operator APIs (instance-manager, router, load-balancer). */
  @IntegerInRange(1024, 1_073_741_824, ' of bytes')
  ADMIN_MAX_BODY_BYTES = 1024 * 1024;

  /** The deepest nesting of objects and arrays a JSON body may have; deeper answers 400. */
  @IntegerInRange(2, 1000)
  MAX_JSON_DEPTH = 64;

  /** The time a client has to send a whole request, headers and body; past it, 408 and the connection closes. */
  @IntegerInRange(1_000, 3_600_000, ' of milliseconds')
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** The time a client has to send the request headers (capped at HTTP_REQUEST_TIMEOUT_MS). */
  @IntegerInRange(1_000, 3_600_000, ' of milliseconds')
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** The largest request header section; larger answers 431. */
  @IntegerInRange(1_024, 1_048_576, ' of bytes')
  HTTP_MAX_HEADER_BYTES = 16_384;

  /**
   * Browser origins allowed to call the client API (CORS), comma-separated, such as
   * https://app.example.com; `*` allows any. Empty (the default) turns CORS off.
   */
  @Matches(/^(\*|(https?:\/\/[^\s,/]+)(\s*,\s*https?:\/\/[^\s,/]+)*)?$/, {
    message: 'GATEWAY_CORS_ORIGINS must be empty, * or comma-separated origins such as https://app.example.com',
  })
  GATEWAY_CORS_ORIGINS = '';

  // ---- gateway: client keys, routing, balancing, failover -----------------------------------

  /**
   * A client key created at start-up (if it does not exist yet), for scripts and the quick start.
   * When unset and no key exists at all, the gateway generates one and prints it once.
   */
  @IsOptional()
  @MinLength(20, { message: 'BOOTSTRAP_CLIENT_KEY must be at least 20 characters long' })
  @Matches(/^[A-Za-z0-9_.~-]+$/, {
    message: 'BOOTSTRAP_CLIENT_KEY may hold letters, digits, "-", "_", "." and "~" only',
  })
  BOOTSTRAP_CLIENT_KEY?: string;

  /** Requests per minute for the bootstrap key; unset means no limit. */
  @IsOptional()
  @IntegerInRange(1, 10_000_000)
  BOOTSTRAP_CLIENT_KEY_RPM?: number;

  /** How often the in-memory copies of client keys and the instance catalog are reloaded from Postgres. */
  @IntegerInRange(250, 3_600_000, ' of milliseconds')
  CATALOG_REFRESH_MS = 5_000;

  /** Consul KV key holding the routing policy (JSON); the safe built-in default applies while it is absent or invalid. */
  @Matches(/^[A-Za-z0-9_./-]+$/, {
    message: 'ROUTING_POLICY_KEY must be a Consul KV key such as switchboard/config/routing-policy',
  })
  ROUTING_POLICY_KEY = 'switchboard/config/routing-policy';

  /** Attempts per request across instances and providers (1 = no retry). */
  @IntegerInRange(1, 20)
  GATEWAY_MAX_ATTEMPTS = 4;

  /** Retries allowed as a share of recent requests (a retry budget against retry storms), in percent. */
  @IntegerInRange(0, 1000)
  GATEWAY_RETRY_BUDGET_PERCENT = 20;

  /** Full-jitter exponential backoff between attempts: base and cap. */
  @IntegerInRange(0, 60_000, ' of milliseconds')
  GATEWAY_BACKOFF_BASE_MS = 25;

  @IntegerInRange(0, 60_000, ' of milliseconds')
  GATEWAY_BACKOFF_MAX_MS = 1_000;

  /** The longest a Retry-After is waited out before the same instance is tried again. */
  @IntegerInRange(0, 600_000, ' of milliseconds')
  GATEWAY_MAX_RETRY_AFTER_MS = 5_000;

  /**
   * Processes the api-gateway runs on its one port (node:cluster), each a replica sharing circuits
   * and rate limits through Redis; the admission limits and instances' caps are split among them.
   */
  @IntegerInRange(1, 64)
  GATEWAY_WORKERS = availableParallelism();

  /** Admission control per gateway replica: requests served at once; past it they wait in line. */
  @IntegerInRange(1, 100_000)
  GATEWAY_MAX_IN_FLIGHT = 512;

  /** Requests allowed to wait for a slot; past it they are refused at once with 503 and Retry-After. */
  @IntegerInRange(0, 100_000)
  GATEWAY_MAX_QUEUED = 256;

  /** The longest a request waits for a slot before it is refused. */
  @IntegerInRange(0, 60_000, ' of milliseconds')
  GATEWAY_MAX_QUEUE_WAIT_MS = 1_000;

  // ---- usage: the request log ---------------------------------------------------------------

  /**
   * Whether a gateway writes a request log row per chat request. Costs, budgets and metrics work
   * either way; off, GET /admin/requests and /admin/usage have nothing from this replica.
   */
  @Transform(toBoolean)
  @IsBoolean()
  REQUEST_LOG_ENABLED = true;

  /** Days of request log kept; older days are dropped whole (daily partitions) by the instance-manager. */
  @IntegerInRange(1, 3650)
  REQUEST_LOG_RETENTION_DAYS = 30;

  /**
   * Request log rows a gateway replica holds in memory while Postgres is slow or away; past it the
   * oldest are dropped (counted in switchboard_request_log_dropped_total), so serving never waits.
   */
  @IntegerInRange(100, 10_000_000)
  REQUEST_LOG_QUEUE_MAX = 100_000;

  /**
   * The same queue's bound in approximate bytes (rows of keys that log bodies are large): past it the
   * oldest rows lose their prompt and answer first, then the oldest rows are dropped.
   */
  @IntegerInRange(1_048_576, 17_179_869_184, ' of bytes')
  REQUEST_LOG_QUEUE_MAX_BYTES = 268_435_456;

  /** Rows per insert statement, and the queue length that starts a write before the timer does. */
  @IntegerInRange(1, 50_000)
  REQUEST_LOG_BATCH_ROWS = 1_000;

  /** How often queued request log rows are written. */
  @IntegerInRange(50, 60_000, ' of milliseconds')
  REQUEST_LOG_FLUSH_MS = 1_000;

  /** The longest prompt or answer kept for a key that logs bodies (characters; the rest is cut). */
  @IntegerInRange(0, 1_000_000)
  REQUEST_LOG_BODY_MAX_CHARS = 32_768;

  /** Circuit breaker per instance. */
  @IntegerInRange(1, 1000)
  CIRCUIT_FAILURE_THRESHOLD = 5;

  @IntegerInRange(1, 100)
  CIRCUIT_FAILURE_RATIO_PERCENT = 50;

  @IntegerInRange(1, 100_000)
  CIRCUIT_MINIMUM_REQUESTS = 10;

  @IntegerInRange(100, 3_600_000, ' of milliseconds')
  CIRCUIT_WINDOW_MS = 30_000;

  @IntegerInRange(10, 3_600_000, ' of milliseconds')
  CIRCUIT_COOL_DOWN_MS = 10_000;

  @IntegerInRange(1, 1000)
  CIRCUIT_HALF_OPEN_TRIALS = 1;

  // ---- instance-manager: alerts -------------------------------------------------------------

  /** How often the instance-manager leader evaluates the alert rules. */
  @IntegerInRange(250, 3_600_000, ' of milliseconds')
  ALERT_EVAL_INTERVAL_MS = 5_000;

  /** Consul KV key holding the alerting thresholds (JSON); the built-in defaults apply while it is absent or invalid. */
  @Matches(/^[A-Za-z0-9_./-]+$/, {
    message: 'ALERTING_KEY must be a Consul KV key such as switchboard/config/alerting',
  })
  ALERTING_KEY = 'switchboard/config/alerting';

  /** One attempt to deliver an alert notification to a webhook may take this long. */
  @IntegerInRange(100, 120_000, ' of milliseconds')
  ALERT_WEBHOOK_TIMEOUT_MS = 5_000;

  /** Attempts per notification before it is given up until the next repeat (backoff between them). */
  @IntegerInRange(1, 20)
  ALERT_WEBHOOK_MAX_ATTEMPTS = 5;

  /** The first wait before retrying a failed delivery; it doubles per attempt, up to 32 times this. */
  @IntegerInRange(10, 600_000, ' of milliseconds')
  ALERT_WEBHOOK_RETRY_BASE_MS = 1_000;

  /** Where calls to provider instances may go (libs/kernel network/destination-policy). */
  get destinationPolicy(): DestinationPolicy {
    return { allowPrivate: this.INSTANCE_URL_ALLOW_PRIVATE };
  }

  /**
   * A replica's limit (admission, an instance's concurrency and rate caps) as this process's share:
   * split among the gateway's workers, rounded up so a cap of 1 stays 1 per worker.
   */
  shareOf(total: number): number {
    return Math.ceil(total / (cluster.isWorker ? this.GATEWAY_WORKERS : 1));
  }

  get serviceId(): string {
    return this.SERVICE_ID ?? `${this.appName}-${this.SERVICE_ADDRESS}-${this.PORT}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  }
}

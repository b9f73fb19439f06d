import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';

/** Which infrastructure an app talks to; variables for the others are not required. */
export interface AppDependencies {
  database: boolean;
  redis: boolean;
}

const toBoolean = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase()) : value;

const PORT_MESSAGE = 'PORT must be a whole number from 0 to 65535';
const GRACE_MESSAGE = 'SHUTDOWN_GRACE_MS must be a whole number of milliseconds from 0 to 600000';
const postgresUrl = /^postgres(ql)?:\/\/[^\s]+$/;
const redisUrl = /^rediss?:\/\/[^\s]+$/;

/**
 * Every environment variable an app reads, validated once at start-up. Nothing outside
 * libs/config reads process.env.
 */
export class AppConfig {
  /** Set by loadConfig from the app, not from the environment. */
  appName = '';
  uses: AppDependencies = { database: false, redis: false };

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt({ message: PORT_MESSAGE })
  @Min(0, { message: PORT_MESSAGE })
  @Max(65535, { message: PORT_MESSAGE })
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

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'CONSUL_HTTP_ADDR must be an http(s) URL such as http://127.0.0.1:8500' })
  CONSUL_HTTP_ADDR = 'http://127.0.0.1:8500';

  @IsOptional()
  @IsString()
  CONSUL_HTTP_TOKEN?: string;

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

  /** How often Consul calls this app's readiness endpoint. */
  @Matches(/^\d+(ms|s|m)$/, { message: 'CONSUL_CHECK_INTERVAL must be a duration such as 5s' })
  CONSUL_CHECK_INTERVAL = '5s';

  /** How long Consul keeps a critical registration before removing it. */
  @Matches(/^\d+(ms|s|m|h)$/, { message: 'CONSUL_DEREGISTER_CRITICAL_AFTER must be a duration such as 1m or 90s' })
  CONSUL_DEREGISTER_CRITICAL_AFTER = '1m';

  /**
   * Static addresses served for a service when Consul is unreachable and nothing is cached,
   * as JSON: {"instance-manager": ["10.0.0.5:8001"]}.
   */
  @IsOptional()
  @Matches(/^\{.*\}$/s, { message: 'DISCOVERY_FALLBACK must be a JSON object of service name to ["host:port", ...]' })
  DISCOVERY_FALLBACK?: string;

  @ValidateIf((config: AppConfig) => config.uses.database)
  @IsDefined({ message: 'DATABASE_URL is required by this app and is not set (e.g. postgresql://postgres@127.0.0.1:5432/switchboard)' })
  @Matches(postgresUrl, { message: 'DATABASE_URL must be a postgresql:// URL, e.g. postgresql://postgres@127.0.0.1:5432/switchboard' })
  DATABASE_URL?: string;

  @ValidateIf((config: AppConfig) => config.uses.redis)
  @IsDefined({ message: 'REDIS_URL is required by this app and is not set (e.g. redis://127.0.0.1:6379)' })
  @Matches(redisUrl, { message: 'REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' })
  REDIS_URL?: string;

  /** Time allowed for in-flight requests to finish after SIGTERM. */
  @Type(() => Number)
  @IsInt({ message: GRACE_MESSAGE })
  @Min(0, { message: GRACE_MESSAGE })
  @Max(600_000, { message: GRACE_MESSAGE })
  SHUTDOWN_GRACE_MS = 10_000;

  /** DISCOVERY_FALLBACK parsed (validated by loadConfig). */
  get discoveryFallback(): Record<string, string[]> {
    return this.DISCOVERY_FALLBACK ? (JSON.parse(this.DISCOVERY_FALLBACK) as Record<string, string[]>) : {};
  }

  get serviceId(): string {
    return this.SERVICE_ID ?? `${this.appName}-${this.SERVICE_ADDRESS}-${this.PORT}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  }
}

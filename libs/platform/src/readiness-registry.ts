import { Injectable } from '@nestjs/common';
import type { HealthIndicatorFunction, HealthIndicatorResult } from '@nestjs/terminus';

/** One readiness check; `key` is the name it was registered under, the key of its result. */
export type ReadinessCheck = (key: string) => HealthIndicatorResult | PromiseLike<HealthIndicatorResult>;

/**
 * What /health/ready reports, in registration order. The platform registers the infrastructure it
 * connects (Consul, and the database and Redis when the app uses them) as it is created; libraries
 * and apps register their own checks in onModuleInit, so the platform knows no domain library.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name))
      throw new Error(`a readiness check named "${name}" is registered already (is a module imported twice?)`);
    this.checks.set(name, check);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /** The checks as Terminus runs them. */
  indicators(): HealthIndicatorFunction[] {
    return [...this.checks].map(
      ([name, check]) =>
        () =>
          check(name),
    );
  }
}

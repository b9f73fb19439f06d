import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig, describeError } from '@switchboard/kernel';
import type { Usage } from '@switchboard/providers';
import { findPrice, type PriceIndex, priceKey } from './price-lookup.js';
import { PriceOverridesRepository } from './price-overrides.repository.js';
import { type ModelPrice, SHIPPED_PRICES } from './price-table.js';
import { requestCost } from './request-cost.js';

/**
 * The prices a gateway charges with, in memory: the shipped table with the operators' overrides
 * over it, reloaded from Postgres every CATALOG_REFRESH_MS (an override applies within that). A
 * request never waits for it: while Postgres is away the last loaded prices stay.
 */
@Injectable()
export class PriceBook implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PriceBook.name);
  private prices: PriceIndex = shippedIndex();
  private timer: NodeJS.Timeout | undefined;
  lastError: string | undefined;

  constructor(
    private readonly overrides: PriceOverridesRepository,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.config.CATALOG_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  priceOf(provider: string, model: string): ModelPrice | undefined {
    return findPrice(this.prices, provider, model);
  }

  /** The request's cost in USD, or undefined when it is unknown. No I/O. */
  costOf(provider: string, model: string, usage: Usage | undefined): number | undefined {
    return usage ? requestCost(usage, this.priceOf(provider, model)) : undefined;
  }

  async reload(): Promise<void> {
    try {
      const index = new Map(shippedIndex());
      for (const override of await this.overrides.findAll())
        index.set(priceKey(override.provider, override.model), override);
      this.prices = index;
      if (this.lastError) this.logger.log('Price overrides load from Postgres again');
      this.lastError = undefined;
    } catch (error) {
      const message = describeError(error);
      if (!this.lastError) this.logger.warn(`Could not reload price overrides (${message}); the prices in memory stay`);
      this.lastError = message;
    }
  }
}

export function shippedIndex(): Map<string, ModelPrice> {
  return new Map(SHIPPED_PRICES.map((entry) => [priceKey(entry.provider, entry.model), entry]));
}

import { Injectable } from '@nestjs/common';
import { AuditRepository } from '@switchboard/fleet';
import { DomainError, type DomainErrorKind } from '@switchboard/kernel';
import { isProviderName } from '@switchboard/providers';
import { type PriceOverride, PriceOverridesRepository } from './price-overrides.repository.js';
import { type ModelPrice, type ShippedPrice, SHIPPED_PRICES } from './price-table.js';

/** One model's price as the admin API shows it: where it comes from and what it replaced. */
export interface PriceView extends ModelPrice {
  provider: string;
  model: string;
  /** shipped: the table in libs/usage; override: an operator's, over the shipped one if any. */
  source: 'shipped' | 'override';
  /** The shipped price's page and the day it was read; null for an override of an unshipped model. */
  sourcePage: string | null;
  checkedOn: string | null;
  verified: boolean | null;
  note: string | null;
  updatedAt: string | null;
}

export class PriceOverrideNotFoundError extends DomainError {
  readonly kind: DomainErrorKind = 'not_found';

  constructor(provider: string, model: string) {
    super(`No price override for ${provider}/${model}`);
  }
}

export class InvalidPriceError extends DomainError {
  readonly kind: DomainErrorKind = 'invalid_request';

  constructor(
    message: string,
    override readonly field: string,
  ) {
    super(message);
  }
}

/** The price table for operators: shipped prices, overrides over them, changes audited. */
@Injectable()
export class PricesService {
  constructor(
    private readonly overrides: PriceOverridesRepository,
    private readonly audit: AuditRepository,
  ) {}

  async list(): Promise<PriceView[]> {
    const overrides = new Map(
      (await this.overrides.findAll()).map((entry) => [`${entry.provider}/${entry.model}`, entry]),
    );
    const views = SHIPPED_PRICES.map((shipped) => {
      const override = overrides.get(`${shipped.provider}/${shipped.model}`);
      overrides.delete(`${shipped.provider}/${shipped.model}`);
      return override ? overrideView(override, shipped) : shippedView(shipped);
    });
    return [...views, ...[...overrides.values()].map((override) => overrideView(override, undefined))];
  }

  async set(
    provider: string,
    model: string,
    price: ModelPrice,
    note: string | null,
    actor: string,
  ): Promise<PriceView> {
    if (!isProviderName(provider))
      throw new InvalidPriceError(`Unknown provider ${JSON.stringify(provider)}`, 'provider');
    const saved = await this.overrides.upsert(provider, model, price, note);
    await this.audit.record({
      actor,
      action: 'price.set',
      targetType: 'model_price',
      targetId: `${provider}/${model}`,
      details: { ...price, note },
    });
    return overrideView(saved, shippedOf(provider, model));
  }

  async remove(provider: string, model: string, actor: string): Promise<void> {
    if (!(await this.overrides.delete(provider, model))) throw new PriceOverrideNotFoundError(provider, model);
    await this.audit.record({
      actor,
      action: 'price.delete',
      targetType: 'model_price',
      targetId: `${provider}/${model}`,
      details: {},
    });
  }
}

function shippedOf(provider: string, model: string): ShippedPrice | undefined {
  return SHIPPED_PRICES.find((entry) => entry.provider === provider && entry.model === model);
}

function prices(price: ModelPrice): ModelPrice {
  return {
    inputUsdPerMtok: price.inputUsdPerMtok,
    outputUsdPerMtok: price.outputUsdPerMtok,
    ...(price.cachedInputUsdPerMtok !== undefined ? { cachedInputUsdPerMtok: price.cachedInputUsdPerMtok } : {}),
    ...(price.cacheWriteUsdPerMtok !== undefined ? { cacheWriteUsdPerMtok: price.cacheWriteUsdPerMtok } : {}),
    ...(price.reasoningUsdPerMtok !== undefined ? { reasoningUsdPerMtok: price.reasoningUsdPerMtok } : {}),
    ...(price.requestUsd !== undefined ? { requestUsd: price.requestUsd } : {}),
  };
}

function shippedView(shipped: ShippedPrice): PriceView {
  return {
    provider: shipped.provider,
    model: shipped.model,
    ...prices(shipped),
    source: 'shipped',
    sourcePage: shipped.source,
    checkedOn: shipped.checkedOn,
    verified: shipped.verified,
    note: shipped.note ?? null,
    updatedAt: null,
  };
}

function overrideView(override: PriceOverride, shipped: ShippedPrice | undefined): PriceView {
  return {
    provider: override.provider,
    model: override.model,
    ...prices(override),
    source: 'override',
    sourcePage: shipped?.source ?? null,
    checkedOn: shipped?.checkedOn ?? null,
    verified: shipped?.verified ?? null,
    note: override.note,
    updatedAt: override.updatedAt.toISOString(),
  };
}

import { Injectable } from '@nestjs/common';
import { type ModelPriceOverride, PrismaService } from '@switchboard/database';
import type { ModelPrice } from './price-table.js';

export interface PriceOverride extends ModelPrice {
  provider: string;
  model: string;
  note: string | null;
  updatedAt: Date;
}

/** Operators' prices in Postgres (model_price_overrides). */
@Injectable()
export class PriceOverridesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findAll(): Promise<PriceOverride[]> {
    const rows = await this.prisma.modelPriceOverride.findMany({ orderBy: [{ provider: 'asc' }, { model: 'asc' }] });
    return rows.map(toOverride);
  }

  async find(provider: string, model: string): Promise<PriceOverride | undefined> {
    const row = await this.prisma.modelPriceOverride.findUnique({ where: { provider_model: { provider, model } } });
    return row ? toOverride(row) : undefined;
  }

  async upsert(provider: string, model: string, price: ModelPrice, note: string | null): Promise<PriceOverride> {
    const data = {
      inputUsdPerMtok: price.inputUsdPerMtok,
      outputUsdPerMtok: price.outputUsdPerMtok,
      cachedInputUsdPerMtok: price.cachedInputUsdPerMtok ?? null,
      cacheWriteUsdPerMtok: price.cacheWriteUsdPerMtok ?? null,
      reasoningUsdPerMtok: price.reasoningUsdPerMtok ?? null,
      requestUsd: price.requestUsd ?? null,
      note,
    };
    const row = await this.prisma.modelPriceOverride.upsert({
      where: { provider_model: { provider, model } },
      create: { provider, model, ...data },
      update: data,
    });
    return toOverride(row);
  }

  /** True when there was one to delete. */
  async delete(provider: string, model: string): Promise<boolean> {
    const { count } = await this.prisma.modelPriceOverride.deleteMany({ where: { provider, model } });
    return count > 0;
  }
}

function toOverride(row: ModelPriceOverride): PriceOverride {
  const optional = (value: { toNumber(): number } | null) => (value === null ? {} : { value: value.toNumber() });
  return {
    provider: row.provider,
    model: row.model,
    inputUsdPerMtok: row.inputUsdPerMtok.toNumber(),
    outputUsdPerMtok: row.outputUsdPerMtok.toNumber(),
    ...rename(optional(row.cachedInputUsdPerMtok), 'cachedInputUsdPerMtok'),
    ...rename(optional(row.cacheWriteUsdPerMtok), 'cacheWriteUsdPerMtok'),
    ...rename(optional(row.reasoningUsdPerMtok), 'reasoningUsdPerMtok'),
    ...rename(optional(row.requestUsd), 'requestUsd'),
    note: row.note,
    updatedAt: row.updatedAt,
  };
}

function rename(value: { value?: number }, name: keyof ModelPrice): Partial<ModelPrice> {
  return value.value === undefined ? {} : { [name]: value.value };
}

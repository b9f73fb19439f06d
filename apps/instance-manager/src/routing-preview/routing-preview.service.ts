import { Injectable } from '@nestjs/common';
import type { ProviderInstance } from '@switchboard/database';
import { InstancesRepository } from '@switchboard/fleet';
import { fromOpenAIRequest, type ProviderName, RequestFormatError } from '@switchboard/providers';
import {
  type ModelCatalog,
  parseRoutingPolicy,
  poolKey,
  type RoutingPolicy,
  RoutingPolicyDocuments,
  RoutingPolicyError,
  routeChat,
  routeHintsFrom,
  UnknownModelError,
} from '@switchboard/routing';
import type {
  PreviewInstanceView,
  PreviewPolicyView,
  RoutingPreviewRequest,
  RoutingPreviewView,
} from './routing-preview.dto.js';

/**
 * "What would route where": a sample request through the very router the gateways run, over the
 * policy stored in Consul KV (or a draft) and the enabled instances in Postgres. Nothing is sent
 * upstream and nothing is stored.
 */
@Injectable()
export class RoutingPreviewService {
  constructor(
    private readonly documents: RoutingPolicyDocuments,
    private readonly instances: InstancesRepository,
  ) {}

  async preview(request: RoutingPreviewRequest): Promise<RoutingPreviewView> {
    const { headers, policy: draft, ...chatFields } = request;
    // Both throw a 400 naming the field (messages[0].content, x-switchboard-prefer-provider, ...).
    const chat = fromOpenAIRequest(chatFields);
    const hints = routeHintsFrom(headerValues(headers ?? {}));
    const [policy, rows] = await Promise.all([this.policyFor(draft), this.instances.findMany({ enabled: true })]);
    const catalog = new EnabledInstancesCatalog(rows);
    try {
      const decision = routeChat(chat, hints, policy.policy, catalog);
      return {
        ...decision,
        features: { ...decision.features },
        candidates: decision.candidates.map((candidate) => ({ ...candidate, instances: catalog.pool(candidate.pool) })),
        policy: policy.view,
      };
    } catch (error) {
      // A model nobody serves is an answer here ("nowhere, because ..."), where the gateway says 404.
      if (!(error instanceof UnknownModelError)) throw error;
      return {
        requested: chat.model,
        candidates: [],
        reasons: [error.message],
        unroutable: error.message,
        policy: policy.view,
      };
    }
  }

  private async policyFor(draft: unknown): Promise<{ policy: RoutingPolicy; view: PreviewPolicyView }> {
    if (draft === undefined) {
      const stored = await this.documents.read();
      return { policy: stored.policy, view: { source: stored.source, modifyIndex: stored.modifyIndex } };
    }
    try {
      return { policy: parseRoutingPolicy(draft), view: { source: 'draft' } };
    } catch (error) {
      // The same problems PUT lists, placed under the field they came in.
      if (error instanceof RoutingPolicyError) throw new RoutingPolicyError(error.problems.map((p) => `policy.${p}`));
      throw error;
    }
  }
}

/** Header names as HTTP delivers them (lower case); a value that is not a string is refused by name. */
function headerValues(headers: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new RequestFormatError(`headers.${name}`, 'a header value must be a string');
    values[name.toLowerCase()] = value;
  }
  return values;
}

/** The router's catalog over the enabled instances in Postgres (any health), as the gateways load it. */
class EnabledInstancesCatalog implements ModelCatalog {
  private readonly pools = new Map<string, ProviderInstance[]>();
  private readonly providers = new Map<string, ProviderName[]>();

  constructor(rows: readonly ProviderInstance[]) {
    for (const row of rows)
      for (const model of row.models) {
        const provider = row.provider as ProviderName;
        const key = poolKey(provider, model);
        this.pools.set(key, [...(this.pools.get(key) ?? []), row]);
        const serving = this.providers.get(model) ?? [];
        if (!serving.includes(provider)) this.providers.set(model, [...serving, provider]);
      }
  }

  providersServing(model: string): readonly ProviderName[] {
    return this.providers.get(model) ?? [];
  }

  pool(pool: string): PreviewInstanceView[] {
    return (this.pools.get(pool) ?? []).map((row) => ({ id: row.id, name: row.name, draining: row.draining }));
  }
}

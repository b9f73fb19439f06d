import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { InstanceBalancer, InstanceTable, RoutingPolicyStore } from '@switchboard/routing';
import type { FastifyRequest } from 'fastify';
import { ClientAuthGuard } from './client-auth.guard.js';

// The gateway's start, used as the creation time models report (the wire formats require one).
const STARTED = Math.floor(Date.now() / 1000);

/**
 * The models clients can ask for now: every model with at least one usable instance, by its
 * plain name and as provider/model, plus the policy's auto names. Anthropic clients (they send
 * anthropic-version) get Anthropic's list shape.
 */
@Controller('v1')
@UseGuards(ClientAuthGuard)
export class ModelsController {
  constructor(
    private readonly table: InstanceTable,
    private readonly balancer: InstanceBalancer,
    private readonly policies: RoutingPolicyStore,
  ) {}

  @Get('models')
  list(@Req() request: FastifyRequest) {
    const ids = new Map<string, string>();
    for (const pool of this.table.poolNames()) {
      if (this.balancer.usableCount(pool) === 0) continue;
      const [provider, ...rest] = pool.split('/');
      const model = rest.join('/');
      if (!ids.has(model)) ids.set(model, provider!);
      ids.set(pool, provider!);
    }
    if (ids.size > 0) for (const auto of this.policies.policy.autoModels) ids.set(auto, 'switchboard');
    const entries = [...ids.entries()].sort(([a], [b]) => a.localeCompare(b));
    if (request.headers['anthropic-version']) {
      const data = entries.map(([id]) => ({
        type: 'model',
        id,
        display_name: id,
        created_at: new Date(STARTED * 1000).toISOString(),
      }));
      return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    }
    return {
      object: 'list',
      data: entries.map(([id, owner]) => ({ id, object: 'model', created: STARTED, owned_by: owner })),
    };
  }
}

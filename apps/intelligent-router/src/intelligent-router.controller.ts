import { Body, Controller, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { AppConfig, DomainError } from '@switchboard/kernel';

import { fromAnthropicRequest, fromOpenAIRequest } from '@switchboard/providers';
import {
  type BalancingStrategy,
  InstanceBalancer,
  InstanceTable,
  type PolicyStatus,
  routeHintsFrom,
  type RouteCandidate,
  type RouteDecision,
  routeChat,
  type RoutingPolicy,
  RoutingPolicyStore,
} from '@switchboard/routing';

/** ?format= names neither client format. */
export class UnsupportedFormatError extends DomainError {
  readonly kind = 'invalid_request';

  constructor() {
    super('format must be openai or anthropic');
    this.name = 'UnsupportedFormatError';
  }
}

export interface RouteExplanation extends Omit<RouteDecision, 'candidates'> {
  candidates: (RouteCandidate & { usableInstances: number; strategy: BalancingStrategy })[];
  policy: PolicyStatus;
}

/**
 * The routing policy over HTTP: which (provider, model) candidates a chat request would get, in
 * order, and why. The gateway runs the same library code in process. Domain errors (an unreadable
 * body, an unknown preferred provider, a model nobody serves) are answered by the operator filter.
 */
@Controller()
export class IntelligentRouterController {
  constructor(
    private readonly config: AppConfig,
    private readonly policies: RoutingPolicyStore,
    private readonly table: InstanceTable,
    private readonly balancer: InstanceBalancer,
  ) {}

  /** What this service is and where its operational endpoints are. */
  @Get()
  describe(): { service: string; id: string; description: string; endpoints: string[] } {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'HTTP face of the routing policy: which provider and model a query should go to, with reasons.',
      endpoints: ['POST /route', 'GET /policy', '/health/live', '/health/ready', '/metrics'],
    };
  }

  /**
   * Body: a chat request in OpenAI format (or Anthropic's with ?format=anthropic). The optional
   * x-switchboard-prefer-provider and x-switchboard-allow-fallback headers are honoured as the
   * gateway does.
   */
  @Post('route')
  @HttpCode(200)
  @ApiResponse({ status: 200, description: 'The ordered candidates, each with its usable instances, and the reasons' })
  @ApiResponse({ status: 400, description: 'An unreadable body, an unknown format or preferred provider' })
  @ApiResponse({ status: 404, description: 'No instance serves the model' })
  route(
    @Body() body: unknown,
    @Query('format') format: string | undefined,
    @Headers() headers: Record<string, string | string[] | undefined>,
  ): RouteExplanation {
    if (format !== undefined && format !== 'openai' && format !== 'anthropic') throw new UnsupportedFormatError();
    const chat = format === 'anthropic' ? fromAnthropicRequest(body) : fromOpenAIRequest(body);
    const decision = routeChat(chat, routeHintsFrom(headers), this.policies.policy, this.table);
    return {
      ...decision,
      candidates: decision.candidates.map((candidate) => ({
        ...candidate,
        usableInstances: this.balancer.usableCount(candidate.pool),
        strategy: this.balancer.strategyFor(candidate.pool),
      })),
      policy: this.policies.status,
    };
  }

  /** The policy in force and where it came from (Consul KV or the built-in default). */
  @Get('policy')
  policy(): { status: PolicyStatus; policy: RoutingPolicy } {
    return { status: this.policies.status, policy: this.policies.policy };
  }
}

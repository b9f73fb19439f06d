import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Post,
  Query,
} from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import {
  InstanceBalancer,
  InstanceTable,
  InvalidPreferredProviderError,
  parsePreferredProvider,
  PREFERRED_PROVIDER_HEADER,
  RoutingPolicyStore,
} from '@switchboard/routing';
import { fromAnthropicRequest, fromOpenAIRequest, RequestFormatError } from '@switchboard/providers';
import { routeChat, UnknownModelError } from '@switchboard/routing';

/**
 * The routing policy over HTTP: which (provider, model) candidates a chat request would get, in
 * order, and why. The gateway runs the same library code in process.
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
  describe() {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'HTTP face of the routing policy: which provider and model a query should go to, with reasons.',
      endpoints: ['POST /route', 'GET /policy', '/health/live', '/health/ready', '/metrics'],
    };
  }

  /**
   * Body: a chat request in OpenAI format (or Anthropic's with ?format=anthropic). The optional
   * x-switchboard-prefer-provider header is honoured as the gateway does.
   */
  @Post('route')
  @HttpCode(200)
  route(
    @Body() body: unknown,
    @Query('format') format: string | undefined,
    @Headers(PREFERRED_PROVIDER_HEADER) preferred: string | undefined,
  ) {
    if (format !== undefined && format !== 'openai' && format !== 'anthropic')
      throw new BadRequestException('format must be openai or anthropic');
    try {
      const chat = format === 'anthropic' ? fromAnthropicRequest(body) : fromOpenAIRequest(body);
      const decision = routeChat(
        chat,
        { preferredProvider: parsePreferredProvider(preferred) },
        this.policies.policy,
        this.table,
      );
      return {
        ...decision,
        candidates: decision.candidates.map((candidate) => ({
          ...candidate,
          usableInstances: this.balancer.usableCount(candidate.pool),
          strategy: this.balancer.strategyFor(candidate.pool),
        })),
        policy: this.policies.status,
      };
    } catch (error) {
      if (error instanceof RequestFormatError || error instanceof InvalidPreferredProviderError)
        throw new BadRequestException(error.message);
      if (error instanceof UnknownModelError) throw new NotFoundException(error.message);
      throw error;
    }
  }

  /** The policy in force and where it came from (Consul KV or the built-in default). */
  @Get('policy')
  policy() {
    return { status: this.policies.status, policy: this.policies.policy };
  }
}

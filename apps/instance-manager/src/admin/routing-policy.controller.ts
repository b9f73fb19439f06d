import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Put,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditRepository } from '@switchboard/fleet';
import { describeError } from '@switchboard/kernel';
import { AdminTokenGuard } from '@switchboard/platform';
import { type RoutingPolicyDocument, RoutingPolicyDocuments } from '@switchboard/routing';
import type { FastifyRequest } from 'fastify';
import { actorOf } from './actor.js';

/** How often the built-in policy is offered to Consul KV while Consul cannot be reached at start. */
const SEED_RETRY_MS = 5_000;

@ApiTags('routing policy')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/routing-policy')
export class RoutingPolicyController {
  constructor(
    private readonly documents: RoutingPolicyDocuments,
    private readonly audit: AuditRepository,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The routing policy stored in Consul KV, its ModifyIndex, and what is refused in it, if anything',
  })
  read(): Promise<RoutingPolicyDocument> {
    return this.documents.read();
  }

  @Put()
  @ApiOperation({
    summary:
      'Replace the routing policy: validated (400 lists every problem), written to Consul KV with compare-and-set, audited; every gateway applies it within a second',
  })
  @ApiHeader({
    name: 'if-match',
    required: false,
    description: 'The modifyIndex you read (0: only if none is stored); 409 when it changed since',
  })
  async replace(
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<RoutingPolicyDocument> {
    const document = await this.documents.write(body, expectedIndexOf(ifMatch));
    await this.audit.record({
      actor: actorOf(request),
      action: 'routing_policy.replace',
      targetType: 'routing_policy',
      targetId: document.key,
      details: { modifyIndex: document.modifyIndex },
    });
    return document;
  }
}

function expectedIndexOf(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined) return undefined;
  const text = ifMatch.replace(/^W\//, '').replaceAll('"', '').trim();
  if (!/^\d+$/.test(text))
    throw new BadRequestException(`if-match must be the policy's modifyIndex (a whole number), not "${ifMatch}"`);
  return Number(text);
}

/**
 * Writes the built-in routing policy to Consul KV when none is stored, so the Consul UI shows the
 * policy in force; retried while Consul is away at start, never over a stored policy.
 */
@Injectable()
export class RoutingPolicySeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RoutingPolicySeed.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly documents: RoutingPolicyDocuments) {}

  onApplicationBootstrap(): void {
    void this.attempt();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    try {
      if (await this.documents.seedDefault())
        this.logger.log(`Stored the built-in routing policy at ${this.documents.key} (none was stored)`);
    } catch (error) {
      this.logger.warn(
        `Could not offer the built-in routing policy to Consul (${describeError(error)}); retrying in ${SEED_RETRY_MS} ms`,
      );
      this.timer = setTimeout(() => void this.attempt(), SEED_RETRY_MS);
      this.timer.unref();
    }
  }
}

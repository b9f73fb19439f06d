import {
  BadRequestException,
  Body,
  Controller,
  Get,
  NotFoundException,
  UnprocessableEntityException,
  Param,
  Post,
  Req,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags, PickType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ConsulClient, type ServiceHealthEntry } from '@switchboard/consul';
import { InstancesRepository, InstancesService, MANAGED_META_KEY } from '@switchboard/fleet';
import { describeError } from '@switchboard/kernel';
import { AdminTokenGuard } from '@switchboard/platform';
import { PROVIDER_NAMES, type ProviderName, providerServiceName } from '@switchboard/providers';
import { discoveredInstance, offersDiscovery } from '@switchboard/routing';
import type { FastifyRequest } from 'fastify';
import { actorOf } from './actor.js';
import { CreateInstanceDto } from './dto/instance.dto.js';

export class DiscoveredInstanceView {
  @ApiProperty({ description: 'Consul service ID, as its own agent registered it' }) serviceId!: string;
  @ApiProperty() provider!: string;
  @ApiProperty({ enum: ['passing', 'warning', 'critical'], description: 'Worst of its Consul checks' })
  status!: string;
  @ApiPropertyOptional({ type: [String] }) models?: string[];
  @ApiPropertyOptional() baseUrl?: string;
  @ApiPropertyOptional() weight?: number;
  @ApiPropertyOptional() priority?: number;
  @ApiPropertyOptional({ description: 'The environment variable its key is read from (never the key)' })
  apiKeyEnv?: string;
  @ApiPropertyOptional({ description: 'Why the gateways do not route to it (bad meta)' }) problem?: string;
  @ApiPropertyOptional({ description: 'The managed instance serving the same endpoint, when adopted' })
  adoptedAs?: string;
}

export class AdoptDiscoveredDto extends PickType(CreateInstanceDto, ['apiKey', 'apiKeyEnv'] as const) {
  @ApiPropertyOptional({ description: 'Name of the managed instance; defaults to the service ID' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
    message: 'name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  name?: string;
}

/**
 * Model servers that registered themselves in Consul with `switchboard_models` meta: the gateways
 * route to them from Consul alone. Operators see them here, read-only, and may adopt one: it then
 * becomes a managed instance (probed, in the database) and the gateways route to the managed one
 * only, since both name the same endpoint.
 */
@ApiTags('instances')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/instances/discovered')
export class DiscoveredInstancesController {
  constructor(
    private readonly consul: ConsulClient,
    private readonly repository: InstancesRepository,
    private readonly instances: InstancesService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Model servers discovered in Consul (registered by their own agents), read-only' })
  async list(): Promise<DiscoveredInstanceView[]> {
    const [entries, managed] = await Promise.all([this.discoveredEntries(), this.repository.findMany({})]);
    const adoptedBy = new Map(managed.map((row) => [row.baseUrl, row.name]));
    return entries.map(([provider, entry]) => view(provider, entry, adoptedBy));
  }

  @Post(':serviceId/adopt')
  @ApiOperation({ summary: 'Make a discovered server a managed instance (probed, stored, editable)' })
  async adopt(@Param('serviceId') serviceId: string, @Body() body: AdoptDiscoveredDto, @Req() request: FastifyRequest) {
    const found = (await this.discoveredEntries()).find(([, entry]) => entry.Service.ID === serviceId);
    if (!found)
      throw new NotFoundException(
        `no discovered service ${serviceId} in Consul: GET /admin/instances/discovered lists them`,
      );
    const [provider, entry] = found;
    const discovery = discoveredInstance(entry, provider);
    if ('problem' in discovery)
      throw new UnprocessableEntityException(`${discovery.problem}; fix its meta before adopting it`);
    // The key is the operator's to give: a variable named in Consul meta could be anyone's choice.
    if (!body.apiKey && !body.apiKeyEnv)
      throw new BadRequestException(
        'apiKey or apiKeyEnv is required: the managed instance keeps its key in Switchboard, not in Consul meta',
      );
    const { row } = discovery.instance;
    return this.instances.create(
      {
        name: body.name ?? serviceId,
        provider,
        baseUrl: row.baseUrl,
        models: row.models,
        weight: row.weight,
        priority: row.priority,
        ...(body.apiKey ? { apiKey: body.apiKey } : { apiKeyEnv: body.apiKeyEnv }),
      },
      actorOf(request),
    );
  }

  private async discoveredEntries(): Promise<[ProviderName, ServiceHealthEntry][]> {
    try {
      const perProvider = await Promise.all(
        PROVIDER_NAMES.map(async (provider) => {
          const entries = (await this.consul.healthService(providerServiceName(provider))).body;
          return entries
            .filter((entry) => offersDiscovery(entry, MANAGED_META_KEY))
            .map((entry): [ProviderName, ServiceHealthEntry] => [provider, entry]);
        }),
      );
      return perProvider.flat();
    } catch (error) {
      throw new ServiceUnavailableException(`Consul is unreachable: ${describeError(error)}`);
    }
  }
}

function view(
  provider: ProviderName,
  entry: ServiceHealthEntry,
  adoptedBy: Map<string, string>,
): DiscoveredInstanceView {
  const statuses = entry.Checks.map((check) => check.Status);
  const status = statuses.includes('critical') ? 'critical' : statuses.includes('warning') ? 'warning' : 'passing';
  const discovery = discoveredInstance(entry, provider);
  if ('problem' in discovery) return { serviceId: entry.Service.ID, provider, status, problem: discovery.problem };
  const { row, apiKeyEnv } = discovery.instance;
  return {
    serviceId: entry.Service.ID,
    provider,
    status,
    models: row.models,
    baseUrl: row.baseUrl,
    weight: row.weight,
    priority: row.priority,
    apiKeyEnv,
    adoptedAs: adoptedBy.get(row.baseUrl),
  };
}

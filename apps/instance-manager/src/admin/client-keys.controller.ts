import {
  Body,
  Controller,
  Delete,
  Get,
  Param,
  ParseBoolPipe,
  Patch,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type ClientKeyLimits, ClientKeysService } from '@switchboard/fleet';
import type { FastifyRequest } from 'fastify';
import { AdminTokenGuard } from '@switchboard/platform';
import { actorOf } from './actor.js';
import { ClientKeyDto, CreateClientKeyDto, CreatedClientKeyDto, UpdateClientKeyDto } from './dto/client-key.dto.js';

@ApiTags('client keys')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/client-keys')
export class ClientKeysController {
  constructor(private readonly keys: ClientKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a client key with its limits; the key is in this answer only' })
  @ApiOkResponse({ type: CreatedClientKeyDto })
  async create(@Body() body: CreateClientKeyDto, @Req() request: FastifyRequest): Promise<CreatedClientKeyDto> {
    const { name, ...limits } = body;
    const { key, view } = await this.keys.create(name, limitsFrom(limits), actorOf(request));
    return { ...view, key };
  }

  @Get()
  @ApiOkResponse({ type: [ClientKeyDto] })
  list(
    @Query('includeRevoked', new ParseBoolPipe({ optional: true })) includeRevoked?: boolean,
  ): Promise<ClientKeyDto[]> {
    return this.keys.list(includeRevoked ?? false);
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a key's name or limits (null clears a limit); gateways apply it within CATALOG_REFRESH_MS",
  })
  @ApiOkResponse({ type: ClientKeyDto })
  update(
    @Param('id') id: string,
    @Body() body: UpdateClientKeyDto,
    @Req() request: FastifyRequest,
  ): Promise<ClientKeyDto> {
    const { name, ...limits } = body;
    return this.keys.update(id, { ...limitsFrom(limits), ...(name !== undefined ? { name } : {}) }, actorOf(request));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a key (kept, marked revoked)' })
  @ApiOkResponse({ type: ClientKeyDto })
  revoke(@Param('id') id: string, @Req() request: FastifyRequest): Promise<ClientKeyDto> {
    return this.keys.revoke(id, actorOf(request));
  }
}

/** The limits the body names (undefined fields stay out, so an update leaves them as they are). */
function limitsFrom(body: Omit<UpdateClientKeyDto, 'name'>): Partial<ClientKeyLimits> {
  const limits = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
  // Lists and flags have no "no limit" null: clearing them means empty (everything allowed) and off.
  for (const list of ['allowedModels', 'allowedProviders']) if (limits[list] === null) limits[list] = [];
  if (limits.logBodies === null) limits.logBodies = false;
  return limits as Partial<ClientKeyLimits>;
}

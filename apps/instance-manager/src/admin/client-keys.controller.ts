import { Body, Controller, Delete, Get, Param, ParseBoolPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClientKeysService } from '@switchboard/fleet';
import type { FastifyRequest } from 'fastify';
import { AdminTokenGuard } from '@switchboard/platform';
import { actorOf } from './actor.js';
import { CreateClientKeyDto } from './dto/client-key.dto.js';

@ApiTags('client keys')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/client-keys')
export class ClientKeysController {
  constructor(private readonly keys: ClientKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a client key; the key is in this answer only' })
  async create(@Body() body: CreateClientKeyDto, @Req() request: FastifyRequest) {
    const { key, view } = await this.keys.create(body.name, body.rateLimitRpm ?? null, actorOf(request));
    return { ...view, key };
  }

  @Get()
  list(@Query('includeRevoked', new ParseBoolPipe({ optional: true })) includeRevoked?: boolean) {
    return this.keys.list(includeRevoked ?? false);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a key (kept, marked revoked)' })
  revoke(@Param('id') id: string, @Req() request: FastifyRequest) {
    return this.keys.revoke(id, actorOf(request));
  }
}

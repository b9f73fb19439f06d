import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InstanceSupervisor, InstancesService } from '@switchboard/fleet';
import type { FastifyRequest } from 'fastify';
import { AdminTokenGuard } from '@switchboard/platform';
import { actorOf } from './actor.js';
import { CreateInstanceDto, ListInstancesQuery, UpdateInstanceDto } from './dto/instance.dto.js';

@ApiTags('instances')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/instances')
export class InstancesController {
  constructor(
    private readonly instances: InstancesService,
    private readonly supervisor: InstanceSupervisor,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an instance (registered in Consul when enabled)' })
  create(@Body() body: CreateInstanceDto, @Req() request: FastifyRequest) {
    return this.instances.create(body, actorOf(request));
  }

  @Get()
  @ApiOperation({ summary: 'List instances, filtered by provider, enabled and health, paginated' })
  list(@Query() query: ListInstancesQuery) {
    return this.instances.list(query);
  }

  @Get('supervisor')
  @ApiOperation({ summary: 'Whether this replica is the prober/reconciler leader, and when it last worked' })
  supervisorStatus() {
    return this.supervisor.status;
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.instances.get(id);
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: UpdateInstanceDto, @Req() request: FastifyRequest) {
    return this.instances.update(id, body, actorOf(request));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() request: FastifyRequest): Promise<void> {
    await this.instances.remove(id, actorOf(request));
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(@Param('id') id: string, @Req() request: FastifyRequest) {
    return this.instances.setState(id, 'enable', actorOf(request));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop routing to it: deregistered from Consul' })
  disable(@Param('id') id: string, @Req() request: FastifyRequest) {
    return this.instances.setState(id, 'disable', actorOf(request));
  }

  @Post(':id/drain')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stay registered (tag "draining") but get no new work' })
  drain(@Param('id') id: string, @Req() request: FastifyRequest) {
    return this.instances.setState(id, 'drain', actorOf(request));
  }

  @Post(':id/undrain')
  @HttpCode(200)
  undrain(@Param('id') id: string, @Req() request: FastifyRequest) {
    return this.instances.setState(id, 'undrain', actorOf(request));
  }

  @Post(':id/probe')
  @HttpCode(200)
  @ApiOperation({ summary: 'Probe now (non-billing) and update its Consul check and metrics' })
  probe(@Param('id') id: string, @Req() request: FastifyRequest) {
    return this.instances.probeNow(id, actorOf(request));
  }

  @Get(':id/health')
  @ApiOperation({ summary: 'Health metrics from Redis and the check status from Consul' })
  health(@Param('id') id: string) {
    return this.instances.health(id);
  }
}

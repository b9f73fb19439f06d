import { Body, Controller, Delete, Get, HttpCode, Param, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '@switchboard/platform';
import { PricesService } from '@switchboard/usage';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../admin/actor.js';
import { PriceDto, SetPriceDto } from './prices.dto.js';

@ApiTags('prices')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/prices')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Get()
  @ApiOperation({ summary: 'Every priced model: the shipped table with the overrides over it' })
  @ApiOkResponse({ type: [PriceDto] })
  list(): Promise<PriceDto[]> {
    return this.prices.list() as Promise<PriceDto[]>;
  }

  @Put(':provider/:model')
  @ApiOperation({ summary: 'Set the price of a model (audited); gateways charge it within CATALOG_REFRESH_MS' })
  @ApiOkResponse({ type: PriceDto })
  set(
    @Param('provider') provider: string,
    @Param('model') model: string,
    @Body() body: SetPriceDto,
    @Req() request: FastifyRequest,
  ): Promise<PriceDto> {
    const { note, ...price } = body;
    return this.prices.set(provider, model, price, note ?? null, actorOf(request)) as Promise<PriceDto>;
  }

  @Delete(':provider/:model')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an override: the shipped price applies again (or none)' })
  async remove(@Param('provider') provider: string, @Param('model') model: string, @Req() request: FastifyRequest) {
    await this.prices.remove(provider, model, actorOf(request));
  }
}

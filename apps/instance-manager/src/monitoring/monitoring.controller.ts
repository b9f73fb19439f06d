import { Controller, Get, NotFoundException, Param, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { describeError } from '@switchboard/kernel';
import { AdminTokenGuard } from '@switchboard/platform';
import { InstanceSeriesView, MonitoringDashboard } from './dashboard.dto.js';
import { DashboardService } from './dashboard.service.js';

@ApiTags('monitoring')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/monitoring')
export class MonitoringController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('dashboard')
  @ApiOperation({
    summary:
      'The fleet at a glance: core services, providers and instances with health and 5-minute traffic, alerts, Consul',
    description:
      'Assembled from memory, Consul and Redis in a few round trips whatever the fleet size. A source that cannot be read is listed in sources.unavailable and its part left out; the rest is still served.',
  })
  @ApiOkResponse({ type: MonitoringDashboard })
  assemble(): Promise<MonitoringDashboard> {
    return this.dashboard.assemble();
  }

  @Get('instances/:id/series')
  @ApiOperation({ summary: "One instance's traffic per 10-second slot over the last 5 minutes (for charts)" })
  @ApiOkResponse({ type: InstanceSeriesView })
  async series(@Param('id') id: string): Promise<InstanceSeriesView> {
    let series: InstanceSeriesView | undefined;
    try {
      series = await this.dashboard.series(id);
    } catch (error) {
      throw new ServiceUnavailableException(
        `The traffic window in Redis cannot be read now (${describeError(error)}); try again when Redis is back`,
      );
    }
    if (!series) throw new NotFoundException(`no instance ${id}: GET /admin/instances lists them`);
    return series;
  }
}

import { AdminTokenGuard } from '@switchboard/platform';
import { Controller, Get, Query, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConsulClient } from '@switchboard/consul';
import { AuditRepository } from '@switchboard/fleet';
import { PROVIDER_SERVICE_PREFIX } from '@switchboard/providers';
import { describeError } from '@switchboard/kernel';

@ApiTags('consul')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin')
export class ConsulViewController {
  constructor(
    private readonly consul: ConsulClient,
    private readonly audit: AuditRepository,
  ) {}

  @Get('consul/services')
  @ApiOperation({ summary: `Every ${PROVIDER_SERVICE_PREFIX}* service in Consul with its instances and check status` })
  async providerServices() {
    try {
      const catalog = (await this.consul.catalogServices()).body;
      const names = Object.keys(catalog)
        .filter((name) => name.startsWith(PROVIDER_SERVICE_PREFIX))
        .sort();
      const services = await Promise.all(
        names.map(async (name) => ({
          name,
          instances: (await this.consul.healthService(name)).body.map((entry) => ({
            id: entry.Service.ID,
            address: `${entry.Service.Address}:${entry.Service.Port}`,
            tags: entry.Service.Tags ?? [],
            meta: entry.Service.Meta ?? {},
            checks: entry.Checks.map((check) => ({
              id: check.CheckID,
              name: check.Name,
              status: check.Status,
              output: check.Output,
            })),
          })),
        })),
      );
      return { services };
    } catch (error) {
      throw new ServiceUnavailableException(`Consul is unreachable: ${describeError(error)}`);
    }
  }

  @Get('audit')
  @ApiOperation({ summary: 'The latest admin changes, newest first' })
  async auditLog(@Query('targetId') targetId?: string) {
    const rows = await this.audit.list(undefined, targetId);
    return rows.map((row) => ({ ...row, id: row.id.toString(), createdAt: row.createdAt.toISOString() }));
  }
}

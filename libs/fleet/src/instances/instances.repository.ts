import { Injectable } from '@nestjs/common';
import { type Prisma, PrismaService, type ProviderInstance } from '@switchboard/database';
import type { ProviderName } from '@switchboard/providers';

export interface InstanceFilter {
  provider?: ProviderName;
  enabled?: boolean;
}

/** Provider instances in Postgres: the source of truth that Consul and Redis follow. */
@Injectable()
export class InstancesRepository {
  constructor(private readonly prisma: PrismaService) {}

  findMany(filter: InstanceFilter = {}): Promise<ProviderInstance[]> {
    return this.prisma.providerInstance.findMany({
      where: { provider: filter.provider, enabled: filter.enabled },
      orderBy: { name: 'asc' },
    });
  }

  findById(id: string): Promise<ProviderInstance | null> {
    return this.prisma.providerInstance.findUnique({ where: { id } });
  }

  create(data: Prisma.ProviderInstanceCreateInput): Promise<ProviderInstance> {
    return this.prisma.providerInstance.create({ data });
  }

  update(id: string, data: Prisma.ProviderInstanceUpdateInput): Promise<ProviderInstance> {
    return this.prisma.providerInstance.update({ where: { id }, data });
  }

  delete(id: string): Promise<ProviderInstance> {
    return this.prisma.providerInstance.delete({ where: { id } });
  }
}

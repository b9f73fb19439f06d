import { Injectable } from '@nestjs/common';
import { type Prisma, PrismaService } from '@switchboard/database';

export interface AuditEntry {
  actor: string;
  action: string;
  targetType:
    | 'provider_instance'
    | 'client_api_key'
    | 'routing_policy'
    | 'alert_webhook'
    | 'alerting_thresholds'
    | 'model_price';
  targetId?: string;
  /** Must never hold a secret: callers pass masked views only. */
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.prisma.auditLog.create({
      data: {
        actor: entry.actor,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        details: (entry.details ?? {}) as Prisma.InputJsonValue,
      },
    });
  }

  list(targetType?: string, targetId?: string, take = 100) {
    return this.prisma.auditLog.findMany({ where: { targetType, targetId }, orderBy: { id: 'desc' }, take });
  }
}

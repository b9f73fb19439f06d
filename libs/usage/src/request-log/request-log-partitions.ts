import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PrismaService } from '@switchboard/database';
import { AppConfig, describeError } from '@switchboard/kernel';

const DAY_MS = 86_400_000;
/** Days created ahead of today, so a gateway's rows always find their day's partition. */
const DAYS_AHEAD = 3;
/** How often partitions are created and old days dropped (and once at start). */
const MAINTENANCE_INTERVAL_MS = 3_600_000;
/** The rollups are small (a row per key, model and instance per hour or day); they are kept this long. */
const ROLLUP_RETENTION_DAYS = 400;
/** Serialises maintenance between instance-manager replicas (pg_advisory_xact_lock). */
const MAINTENANCE_LOCK = 72_707_370;

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
}

/** request_log_p20261201 holds [2026-12-01, 2026-12-02) UTC. */
export function partitionName(day: Date): string {
  return `request_log_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

function startOfDay(time: number): Date {
  return new Date(Math.floor(time / DAY_MS) * DAY_MS);
}

/**
 * The request log's daily partitions (instance-manager): creates today's and the next days'
 * partitions and drops the days older than REQUEST_LOG_RETENTION_DAYS, at start and hourly.
 * Dropping a partition frees a day at once, without the DELETE's writes and the vacuum after it.
 * Rows that landed in the default partition (their day had none yet) move into a day's partition
 * when it is created.
 */
@Injectable()
export class RequestLogPartitions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestLogPartitions.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: PrismaService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    void this.maintainQuietly();
    this.timer = setInterval(() => void this.maintainQuietly(), MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async maintain(now = Date.now()): Promise<MaintenanceResult> {
    const today = startOfDay(now).getTime();
    const created = await this.ensureDays(today - DAY_MS, today + DAYS_AHEAD * DAY_MS);
    const dropped = await this.dropBefore(new Date(today - this.config.REQUEST_LOG_RETENTION_DAYS * DAY_MS));
    return { created, dropped };
  }

  /** Creates the missing daily partitions from `from` to `to` (both days included); returns their names. */
  async ensureDays(from: number, to: number): Promise<string[]> {
    const existing = new Set(await this.partitions());
    const created: string[] = [];
    for (let day = startOfDay(from).getTime(); day <= to; day += DAY_MS) {
      const name = partitionName(new Date(day));
      if (existing.has(name)) continue;
      if (await this.createDay(new Date(day))) created.push(name);
    }
    return created;
  }

  /** Drops every daily partition that ends on or before `cutoff`, and rollup hours older than their retention. */
  async dropBefore(cutoff: Date): Promise<string[]> {
    const stale = (await this.partitions()).filter((name) => name < partitionName(cutoff));
    for (const name of stale) await this.prisma.$executeRawUnsafe(`DROP TABLE IF EXISTS "${name}"`);
    await this.prisma.$executeRawUnsafe(
      `DELETE FROM request_log_default WHERE time < $1::timestamptz`,
      cutoff.toISOString(),
    );
    await this.prisma.$executeRawUnsafe(
      `DELETE FROM usage_hourly WHERE hour < $1::timestamptz`,
      new Date(
        cutoff.getTime() - (ROLLUP_RETENTION_DAYS - this.config.REQUEST_LOG_RETENTION_DAYS) * DAY_MS,
      ).toISOString(),
    );
    return stale;
  }

  /** The daily partitions that exist, by name. */
  async partitions(): Promise<string[]> {
    const rows = await this.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT child.relname AS name FROM pg_inherits
         JOIN pg_class child ON child.oid = pg_inherits.inhrelid
         JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
        WHERE parent.relname = 'request_log' AND child.relname ~ '^request_log_p[0-9]{8}$'`,
    );
    return rows.map((row) => row.name).sort();
  }

  /**
   * One day's partition, in one transaction: made as a plain table, filled with that day's rows
   * from the default partition (which may not hold rows of a range being attached), then attached.
   */
  private async createDay(day: Date): Promise<boolean> {
    const name = partitionName(day);
    const from = day.toISOString();
    const to = new Date(day.getTime() + DAY_MS).toISOString();
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${MAINTENANCE_LOCK})`);
      const [{ exists }] = await tx.$queryRawUnsafe<{ exists: boolean }[]>(
        `SELECT to_regclass($1) IS NOT NULL AS exists`,
        name,
      );
      if (exists) return false;
      await tx.$executeRawUnsafe(`CREATE TABLE "${name}" (LIKE request_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await tx.$executeRawUnsafe(
        `WITH moved AS (DELETE FROM request_log_default WHERE time >= $1::timestamptz AND time < $2::timestamptz RETURNING *)
         INSERT INTO "${name}" SELECT * FROM moved`,
        from,
        to,
      );
      await tx.$executeRawUnsafe(
        `ALTER TABLE request_log ATTACH PARTITION "${name}" FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
      return true;
    });
  }

  private async maintainQuietly(): Promise<void> {
    try {
      const { created, dropped } = await this.maintain();
      if (created.length > 0 || dropped.length > 0)
        this.logger.log(
          `Request log partitions: created ${created.join(', ') || 'none'}; dropped ${dropped.join(', ') || 'none'}`,
        );
    } catch (error) {
      this.logger.warn(`Request log partition maintenance failed, retried within the hour: ${describeError(error)}`);
    }
  }
}

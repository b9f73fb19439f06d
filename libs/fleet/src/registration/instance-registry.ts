import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { ConsulClient } from '@switchboard/consul';
import type { ProviderInstance } from '@switchboard/database';
import {
  instanceCheckId,
  instanceServiceId,
  type KnownCheck,
  type ServiceIdSource,
  MANAGED_META_KEY,
  serviceDiffers,
  toConsulService,
} from './consul-service.js';
import { checkOutput } from '../health/check-output.js';

export type { KnownCheck } from './consul-service.js';

/** An instance as far as its check output goes: the draining state leads the output. */
type CheckSubject = ServiceIdSource & Pick<ProviderInstance, 'draining'>;

export interface ReconcileResult {
  registered: string[];
  deregistered: string[];
  unchanged: number;
}

/** Keeps provider instances registered in Consul as the database says they should be. */
@Injectable()
export class InstanceRegistry {
  private readonly logger = new Logger(InstanceRegistry.name);
  readonly checkTtl: string;
  readonly deregisterCriticalAfter = '10m';

  constructor(
    private readonly consul: ConsulClient,
    config: AppConfig,
  ) {
    // Three missed probes turn the check critical by itself: a dead prober is visible in Consul.
    this.checkTtl = `${Math.max(10, Math.ceil((3 * config.PROBE_INTERVAL_MS) / 1000))}s`;
  }

  /** Registers (or re-registers) an instance; its check gets the last known status and output at once. */
  async register(instance: ProviderInstance, known?: KnownCheck): Promise<void> {
    await this.consul.registerService(toConsulService(instance, this.checkTtl, this.deregisterCriticalAfter, known), {
      replaceExistingChecks: true,
    });
    if (known) await this.updateCheck(instance, known);
  }

  async deregister(instance: ServiceIdSource): Promise<void> {
    await this.consul.deregisterService(instanceServiceId(instance));
  }

  /**
   * Anti-entropy: registers what is missing or different, deregisters managed services whose
   * instance is gone or disabled. Services Switchboard does not manage are left alone.
   */
  async reconcile(
    wanted: ProviderInstance[],
    known: (instanceId: string) => KnownCheck | undefined,
  ): Promise<ReconcileResult> {
    const actual = await this.consul.agentServices();
    const result: ReconcileResult = { registered: [], deregistered: [], unchanged: 0 };
    const wantedIds = new Set<string>();
    for (const instance of wanted) {
      const serviceId = instanceServiceId(instance);
      wantedIds.add(serviceId);
      const current = actual[serviceId];
      const check = known(instance.id);
      const definition = toConsulService(instance, this.checkTtl, this.deregisterCriticalAfter, check);
      if (current && !serviceDiffers(definition, current)) {
        result.unchanged += 1;
        continue;
      }
      await this.register(instance, check);
      result.registered.push(serviceId);
    }
    for (const [serviceId, service] of Object.entries(actual)) {
      if (!service.Meta?.[MANAGED_META_KEY] || wantedIds.has(serviceId)) continue;
      await this.consul.deregisterService(serviceId);
      result.deregistered.push(serviceId);
    }
    if (result.registered.length || result.deregistered.length) {
      this.logger.log(
        `Reconciled Consul: registered ${result.registered.length}, deregistered ${result.deregistered.length}, unchanged ${result.unchanged}`,
      );
    }
    return result;
  }

  async updateCheck(instance: CheckSubject, check: KnownCheck): Promise<void> {
    await this.consul.updateCheck(
      instanceCheckId(instance),
      check.status,
      checkOutput(instance.draining, check.output),
    );
  }
}

import type { Logger } from '@nestjs/common';
import { describeError } from '@switchboard/kernel';
import { BlockingWatch } from './blocking-watch.js';
import type { ConsulClient } from './consul.client.js';
import type { KvEntry } from './consul.types.js';

/**
 * A blocking watch of one configuration document in KV: each new value, or its absence, goes to
 * onChange; while Consul is away the caller keeps what is in force, and the outage is logged once.
 * Not started: the caller starts it (onModuleInit) and stops it before the Consul client closes.
 */
export function watchKvDocument(
  consul: ConsulClient,
  key: string,
  what: string,
  logger: Logger,
  onChange: (entry: KvEntry | undefined) => void,
): BlockingWatch<KvEntry | undefined> {
  return new BlockingWatch((index, waitSeconds, signal) => consul.kvGet(key, { index, waitSeconds, signal }), {
    waitSeconds: 30,
    backoffMaxMs: 5_000,
    onChange,
    onError: (error, failures) => {
      if (failures === 1)
        logger.warn(`Cannot watch ${what} in Consul (${describeError(error)}); keeping what is in force`);
    },
  });
}

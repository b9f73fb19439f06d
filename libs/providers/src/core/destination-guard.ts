import { type LookupAddress, type LookupAllOptions, lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal, type DestinationPolicy, type DestinationRefusal, hostRefusal } from '@switchboard/kernel';
import { buildConnector } from 'undici';

/** The error code a refused destination fails its connection with (read by the provider client). */
export const DESTINATION_REFUSED = 'ERR_DESTINATION_REFUSED';

/**
 * A connection that was not opened because its host is, or resolves to, an address the policy
 * refuses (link-local, cloud metadata; loopback and private ones when those are turned off).
 */
export class DestinationRefusedError extends Error {
  readonly code = DESTINATION_REFUSED;

  constructor(
    readonly refusal: DestinationRefusal,
    how: 'points at' | 'resolves to',
  ) {
    super(`baseUrl ${how} ${refusal.target}; refused: ${refusal.remedy}`);
    this.name = 'DestinationRefusedError';
  }
}

/** node:dns lookup with every address (what guardedLookup resolves names with; replaceable in specs). */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const resolveAllWithDns: ResolveAll = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * A socket lookup that resolves like node:dns and refuses the connection when any address the name
 * resolves to is refused: checked after resolution, at connect time, so a name that points (or is
 * re-pointed) at the metadata service is never called, whatever the admin API saw. Any refused
 * address refuses them all, since the socket may pick any of them.
 */
export function guardedLookup(policy: DestinationPolicy, resolveAll: ResolveAll = resolveAllWithDns): LookupFunction {
  return (hostname, options, callback) => {
    const named = hostRefusal(hostname, policy);
    if (named) {
      callback(new DestinationRefusedError(named, 'points at'), '', 0);
      return;
    }
    resolveAll(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.map((entry) => addressRefusal(entry.address, policy)).find(Boolean);
      if (refused) return callback(new DestinationRefusedError(refused, 'resolves to'), '', 0);
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first)
        return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' }), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * An undici connector that applies the policy to every new connection (not to every request: a
 * kept-alive socket was checked when it opened). An IP-literal host is checked as it is, with no
 * lookup; a name goes through guardedLookup.
 */
export function guardedConnector(
  policy: DestinationPolicy,
  options: { timeoutMs: number },
  resolveAll?: ResolveAll,
): buildConnector.connector {
  const connect = buildConnector({ timeout: options.timeoutMs, lookup: guardedLookup(policy, resolveAll) });
  return (target, callback) => {
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const refusal = isIP(host) ? hostRefusal(host, policy) : undefined;
    if (refusal) {
      callback(new DestinationRefusedError(refusal, 'points at'), null);
      return;
    }
    connect(target, callback);
  };
}
